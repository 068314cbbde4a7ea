"""Filling and packaging line: counters, conservation, starving/blocking, losses, commands, determinism."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from analytics.monitoring_oee import find_machines
from analytics.oee import Counts, OeeAccumulator
from config_schema.tagmap import tagmap_for_unit
from models.filling_line import MACHINES, FillingLine, FillingLineParams
from models.line_machines import StopReason
from models.packml import PackMLState
from models.unit import Unit

#: No random losses at all: a deterministic, steady line.
QUIET: dict[str, Any] = {
    **{f"{m}_microstops_per_h": 0.0 for m in MACHINES},
    **{f"{m}_jams_per_h": 0.0 for m in MACHINES},
    "cycle_time_cv": 0.0, "lot_size_units": 0,
}  # fmt: skip


def _rates(microstops_per_h: float, jams_per_h: float) -> dict[str, Any]:
    return {
        **{f"{m}_microstops_per_h": microstops_per_h for m in MACHINES},
        **{f"{m}_jams_per_h": jams_per_h for m in MACHINES},
    }


#: Everything that can go wrong, often: small buffers, frequent stops and lots, wide fills.
STRESS = FillingLineParams(
    seed=11, buffer1_capacity=5, buffer2_capacity=3, buffer3_capacity=8, buffer4_capacity=2, lot_size_units=400,
    filler_changeover_min=3.0, capper_changeover_min=2.0, labeller_changeover_min=1.0,
    checkweigher_changeover_min=2.0, cartoner_changeover_min=4.0, jam_median_min=1.0, jam_scrap_probability=1.0,
    fill_sd_g=0.6, fill_drift_g_per_h=0.5,
    **_rates(40.0, 6.0),
)  # fmt: skip


def check_invariants(line: FillingLine) -> None:
    r = line.read()
    core = line.core
    for m in MACHINES:
        assert r[f"{m}_produced"] == r[f"{m}_good"] + r[f"{m}_rejected"], m
        assert 0 <= r[f"{m}_state"] <= 16
    assert r["line_entered"] == r["line_wip"] + r["line_out"] + r["line_rejected"]
    assert r["line_out"] == r["cartoner_good"]
    for i, (up, down) in enumerate(zip(core.machines, core.machines[1:], strict=False)):
        taken = down.psm.counters.produced + (down.unit is not None)
        assert up.psm.counters.good == taken + len(core.buffers[i]), (up.name, down.name)
        assert 0 <= r[f"buffer{i + 1}_level"] <= core.capacities[i]


def test_is_a_unit_with_consistent_tags() -> None:
    line = FillingLine()
    assert isinstance(line, Unit)
    specs = {s.name: s for s in line.tag_specs()}
    assert set(specs) == set(line.read())
    for m in MACHINES:
        assert specs[f"{m}_state"].kind == "state" and (specs[f"{m}_state"].lo, specs[f"{m}_state"].hi) == (0, 16)
        for c in ("produced", "good", "rejected"):
            assert specs[f"{m}_{c}"].kind == "state"
        assert specs[f"{m}_speed_sp"].writable and specs[f"{m}_cmd"].writable
    assert {s.name for s in specs.values() if s.writable} == {
        *(f"{m}_speed_sp" for m in MACHINES), *(f"{m}_cmd" for m in MACHINES), "fill_target", "fill_tolerance",
        "line_cmd", "line_mode", *(f"{m}_changeover_sp" for m in MACHINES),
        *(f"buffer{i}_capacity" for i in range(1, 5)),
    }  # fmt: skip
    tm = tagmap_for_unit("line", line.tag_specs(), endpoint="opc.tcp://h:4840", site="s", namespace_uri="urn:x")
    assert [m.machine for m in find_machines([tm])] == list(MACHINES)


def test_starts_in_execute_and_counts_add_up_under_stress() -> None:
    line = FillingLine(STRESS)
    seen: set[float] = set()
    for _ in range(3 * 3600):
        line.step(1.0)
        check_invariants(line)
        seen.update(line.read()[f"{m}_state"] for m in MACHINES)
    r = line.read()
    assert r["line_lots"] >= 3
    assert all(r[f"{m}_rejected"] > 0 for m in MACHINES)  # jams scrap in every machine
    assert r["checkweigher_rejected"] > r["filler_rejected"]  # the wide fills are caught
    assert {4, 6, 12, 15} <= seen


def test_events_do_not_depend_on_the_step() -> None:
    a, b = FillingLine(replace(STRESS, seed=4)), FillingLine(replace(STRESS, seed=4))
    for _ in range(1800):
        a.step(1.0)
    for _ in range(720):
        b.step(2.5)
    assert a.read() == b.read()


def test_same_seed_same_data_other_seed_other_data() -> None:
    runs = []
    for seed in (1, 1, 2):
        line = FillingLine(FillingLineParams(seed=seed))
        rows = []
        for _ in range(1200):
            line.step(1.0)
            rows.append(line.read())
        runs.append(rows)
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]
    assert FillingLine(seed=7).params.seed == 7


def test_snapshot_restore_equals_uninterrupted() -> None:
    a = FillingLine(STRESS)
    for _ in range(2000):
        a.step(1.0)
    b = FillingLine()
    b.restore(json.loads(json.dumps(a.snapshot())))
    assert b.read() == a.read() and b.params == STRESS
    for _ in range(3000):
        a.step(1.0)
        b.step(1.0)
        assert a.read() == b.read()
    with pytest.raises(ValueError, match="not a filling_line snapshot"):
        b.restore({"unit_type": "autoclave", "version": 1})


def test_jam_stops_the_machine_starves_downstream_and_blocks_upstream() -> None:
    line = FillingLine(FillingLineParams(**QUIET))
    line.step(120.0)
    line.jam("capper", 600.0)
    line.step(1.0)
    r = line.read()
    assert r["capper_state"] == PackMLState.HELD and r["capper_stop_reason"] == StopReason.JAM
    assert r["labeller_state"] == PackMLState.EXECUTE  # buffer 2 still feeds it
    line.step(300.0)
    r = line.read()
    assert r["capper_state"] == PackMLState.HELD
    assert r["buffer2_level"] == 0 and r["buffer1_level"] == line.core.capacities[0]
    assert (r["labeller_state"], r["labeller_stop_reason"]) == (PackMLState.SUSPENDED, StopReason.STARVED)
    assert (r["cartoner_state"], r["cartoner_stop_reason"]) == (PackMLState.SUSPENDED, StopReason.STARVED)
    assert (r["filler_state"], r["filler_stop_reason"]) == (PackMLState.SUSPENDED, StopReason.BLOCKED)
    produced = r["labeller_produced"]
    line.step(400.0)  # jam over (600 s in Held + unholding): everything runs again
    r = line.read()
    assert all(r[f"{m}_state"] == PackMLState.EXECUTE for m in MACHINES)
    assert r["labeller_produced"] > produced
    check_invariants(line)


def run_availability(machine: str, microstops_per_h: float, hours: float = 1.0) -> tuple[float, float]:
    p = FillingLineParams(**{**QUIET, f"{machine}_microstops_per_h": microstops_per_h, "seed": 5})
    line = FillingLine(p)
    acc = OeeAccumulator(machine, ideal_rate_per_min=p.capper_rated_speed_upm)
    for _ in range(int(hours * 3600)):
        r = line.read()
        acc.update(
            int(r[f"{machine}_state"]),
            Counts(r[f"{machine}_produced"], r[f"{machine}_good"], r[f"{machine}_rejected"]),
            line.t_s,
        )
        line.step(1.0)
    report = acc.report(line.t_s)
    assert report.availability is not None
    return line.availability(machine), report.availability


def test_micro_stop_rate_lowers_availability() -> None:
    exact, sampled = zip(*(run_availability("capper", rate) for rate in (0.0, 30.0, 120.0)), strict=True)
    assert exact[0] == pytest.approx(1.0)
    assert exact[0] > exact[1] > exact[2]
    assert sampled[0] > sampled[1] > sampled[2]
    assert sampled == pytest.approx(exact, abs=0.01)  # what analytics.oee sees at 1 s


def test_oee_categories_from_the_line_states() -> None:
    p = replace(STRESS, seed=3, lot_size_units=1500)
    line = FillingLine(p)
    accs = {m: OeeAccumulator(m, getattr(p, f"{m}_rated_speed_upm")) for m in MACHINES}
    for _ in range(2 * 3600):
        r = line.read()
        for m, acc in accs.items():
            acc.update(int(r[f"{m}_state"]), Counts(r[f"{m}_produced"], r[f"{m}_good"], r[f"{m}_rejected"]), line.t_s)
        line.step(1.0)
    rep = {m: acc.report(line.t_s) for m, acc in accs.items()}
    assert all(x.aust_s > 0 and x.adot_s > 0 and x.apt_s > 0 for x in rep.values())  # changeovers, jams
    assert rep["cartoner"].adet_s > 0  # starved behind the stops upstream
    cw = rep["checkweigher"]
    assert cw.quality == pytest.approx(
        line.read()["checkweigher_good"] / line.read()["checkweigher_produced"], abs=0.01
    )
    assert all(0.0 < (x.oee or 0.0) < 1.0 for x in rep.values())


def test_changeover_clears_the_line_lot_by_lot() -> None:
    p = FillingLineParams(seed=2, lot_size_units=600, filler_changeover_min=60.0, fill_drift_g_per_h=1.0)
    line = FillingLine(p)
    at_lot_end: list[tuple[int, int]] = []
    cartoner = line.core.machines[-1].psm

    def on_change(t: float, old: PackMLState, new: PackMLState) -> None:
        if new == PackMLState.COMPLETING and not at_lot_end:
            at_lot_end.append((cartoner.counters.good, line.core.rejected()))

    cartoner.on_change = on_change
    line.step(600.0)
    drifted = line.read()["fill_weight_mean"] - p.fill_target_g
    assert drifted == pytest.approx(1.0 * 600 / 3600)
    seen: dict[str, set[float]] = {m: set() for m in MACHINES}
    restarted_mean = None
    for _ in range(5400):
        line.step(1.0)
        r = line.read()
        for m in MACHINES:
            seen[m].add(r[f"{m}_state"])
        if restarted_mean is None and 6 in seen["filler"] and r["filler_state"] == PackMLState.EXECUTE:
            restarted_mean = r["fill_weight_mean"]  # the filler's setup is over: re-adjusted
    good, rejected = at_lot_end[0]
    assert good + rejected == 600  # every unit of lot 1 out or rejected before the cartoner completed
    # Completing, Complete, Resetting, Starting (Idle lasts 0 s: the machines restart by themselves)
    assert all({5, 6, 1, 3} <= s for s in seen.values())
    assert restarted_mean is not None and restarted_mean - p.fill_target_g < 0.01 < drifted
    assert line.read()["line_lots"] == 2


def test_line_commands_follow_packml() -> None:
    line = FillingLine(FillingLineParams(**QUIET))
    line.step(60.0)
    line.write("line_cmd", 3)  # Stop
    line.step(5.0)
    assert all(line.read()[f"{m}_state"] == PackMLState.STOPPED for m in MACHINES)
    check_invariants(line)
    with pytest.raises(ValueError, match="line_cmd Start is not allowed in any machine's state"):
        line.write("line_cmd", 2)
    line.write("line_cmd", 1)  # Reset
    line.step(10.0)
    assert all(line.read()[f"{m}_state"] == PackMLState.IDLE for m in MACHINES)
    line.write("line_mode", 2)
    assert line.read()["line_mode"] == 2
    line.write("line_mode", 1)
    line.write("line_cmd", 2)  # Start
    line.step(10.0)
    assert all(line.read()[f"{m}_state"] == PackMLState.EXECUTE for m in MACHINES)
    with pytest.raises(ValueError, match=r"line_mode can change only .* not at rest: filler \(Execute\)"):
        line.write("line_mode", 3)
    with pytest.raises(ValueError, match=r"Unhold is not allowed in state Execute \(4\); allowed there: Stop, Hold"):
        line.write("labeller_cmd", 5)
    line.write("labeller_cmd", 4)  # Hold by the operator: stays held
    line.step(600.0)
    assert line.read()["labeller_state"] == PackMLState.HELD
    assert line.read()["labeller_stop_reason"] == StopReason.COMMAND
    line.write("labeller_cmd", 5)
    line.step(5.0)
    assert line.read()["labeller_state"] == PackMLState.EXECUTE
    line.write("line_cmd", 11)  # changeover
    with pytest.raises(ValueError, match="already requested"):
        line.write("line_cmd", 11)
    line.step(300.0)
    assert line.read()["filler_state"] == PackMLState.COMPLETE
    assert line.read()["filler_stop_reason"] == StopReason.CHANGEOVER
    check_invariants(line)


def test_abort_scraps_the_unit_inside_and_clear_returns_to_stopped() -> None:
    line = FillingLine(FillingLineParams(**QUIET))
    line.step(30.3)
    before = line.read()["capper_rejected"]
    assert line.core.machines[1].unit is not None
    line.write("capper_cmd", 8)
    line.step(2.0)
    r = line.read()
    assert r["capper_state"] == PackMLState.ABORTED and r["capper_rejected"] == before + 1
    check_invariants(line)
    line.write("capper_cmd", 9)
    line.step(10.0)
    assert line.read()["capper_state"] == PackMLState.STOPPED


def test_speed_setpoint_sets_the_rate() -> None:
    line = FillingLine(FillingLineParams(**QUIET))
    line.write("filler_speed_sp", 60.0)
    line.step(600.0)
    assert line.read()["filler_produced"] == pytest.approx(600, abs=1)
    assert line.read()["filler_speed"] == 60.0


def test_checkweigher_passes_only_units_within_tolerance() -> None:
    p = FillingLineParams(**{**QUIET, "fill_sd_g": 1.0, "seed": 9})
    line = FillingLine(p)
    for _ in range(900):
        line.step(1.0)
        for w in line.core.buffers[3]:
            assert abs(w - p.fill_target_g) <= p.fill_tolerance_g + 6 * p.checkweigher_sd_g
    r = line.read()
    assert 0.2 < r["checkweigher_rejected"] / r["checkweigher_produced"] < 0.45  # 2·Φ(−1) ≈ 0.32


def test_bad_inputs_name_the_field_and_what_is_allowed() -> None:
    line = FillingLine()
    with pytest.raises(ValueError, match=r"capper_speed_sp = -5 is outside the allowed range \[1.0, 100.0\] units/min"):
        line.write("capper_speed_sp", -5)
    msg = r"capper_speed_upm = -1.0 is not allowed: 0 < speed <= capper_rated_speed_upm \(100.0\)"
    with pytest.raises(ValueError, match=msg):
        FillingLineParams(capper_speed_upm=-1.0)
    with pytest.raises(ValueError, match="buffer2_capacity must be >= 1"):
        FillingLineParams(buffer2_capacity=0)
    with pytest.raises(ValueError, match=r"seed = 1.5 must be a whole number"):
        FillingLineParams(seed=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"jam_scrap_probability = 2.0 must be within 0-1"):
        FillingLineParams(jam_scrap_probability=2.0)
    with pytest.raises(ValueError, match=r"filler_cmd = 2.5 must be a whole number"):
        line.write("filler_cmd", 2.5)
    with pytest.raises(ValueError, match=r"line_mode = 4 is outside the allowed range \[1.0, 3.0\]"):
        line.write("line_mode", 4)
    with pytest.raises(KeyError, match="read-only tag 'filler_state'"):
        line.write("filler_state", 4)
    with pytest.raises(KeyError, match=r"unknown tag 'nope'.*writable tags: filler_speed_sp"):
        line.write("nope", 1)
    with pytest.raises(KeyError, match="unknown machine 'sealer'"):
        line.jam("sealer", 10.0)
    with pytest.raises(ValueError, match="jam duration_s must be > 0"):
        line.jam("filler", 0.0)
    with pytest.raises(ValueError, match="dt_s must be > 0"):
        line.step(0.0)
    assert FillingLineParams(seed=3.0, autostart=0.0).autostart is False  # type: ignore[arg-type]
