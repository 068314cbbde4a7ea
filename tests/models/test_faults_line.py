"""Filling-line faults: jams, speed loss, micro-stop rate, reject surge, starved infeed, blocked outfeed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from models.filling_line import MACHINES, FillingLine, FillingLineParams
from models.line_machines import StopReason
from models.packml import PackMLState

#: No random losses: a steady line whose counts only the faults change.
QUIET: dict[str, Any] = {
    **{f"{m}_microstops_per_h": 0.0 for m in MACHINES},
    **{f"{m}_jams_per_h": 0.0 for m in MACHINES},
    "cycle_time_cv": 0.0, "lot_size_units": 0,
}  # fmt: skip
EXECUTE, SUSPENDED, HELD = 4.0, 12.0, 15.0


def quiet(**kw: Any) -> FillingLine:
    line = FillingLine(FillingLineParams(**{**QUIET, **kw}))
    line.step(120.0)
    return line


def gain(line: FillingLine, seconds: int, tag: str) -> float:
    before = line.read()[tag]
    for _ in range(seconds):
        line.step(1.0)
    return line.read()[tag] - before


def test_names_and_ranges_the_fault_catalog_uses() -> None:
    line = FillingLine()
    assert line.machines == MACHINES == ("filler", "capper", "labeller", "checkweigher", "cartoner")
    expected = {f"{kind}.{m}" for kind in ("microstop_rate", "speed_loss", "reject_surge") for m in MACHINES}
    assert set(line.disturbances.specs) == expected | {"starved", "blocked"}
    spec = line.disturbances.specs["microstop_rate.capper"]
    assert (spec.lo, spec.hi, spec.nominal) == (1.0, 50.0, 1.0)
    assert line.disturbances.specs["speed_loss.filler"].hi == 0.9
    assert line.disturbances.active() == {}
    assert FillingLine.ACTUATORS == {} and line.actuators.names == {}


def test_nominal_values_draw_no_extra_random_numbers() -> None:
    a, b = FillingLine(seed=4), FillingLine(seed=4)
    for name, spec in b.disturbances.specs.items():
        b.disturbances.set(name, spec.hi)
        b.disturbances.set(name, spec.nominal)  # explicitly nominal: the same as never touched
    for _ in range(1800):
        a.step(1.0)
        b.step(1.0)
    assert a.read() == b.read()
    assert a.core.rng.bit_generator.state == b.core.rng.bit_generator.state


def test_jam_stops_the_machine_and_starves_the_next() -> None:
    line = quiet()
    line.jam("labeller", 300.0)
    for _ in range(60):
        line.step(1.0)
    r = line.read()
    assert r["labeller_state"] == HELD and r["labeller_stop_reason"] == StopReason.JAM
    assert r["checkweigher_state"] == SUSPENDED and r["checkweigher_stop_reason"] == StopReason.STARVED
    assert r["labeller_speed"] == 0.0
    for _ in range(300):
        line.step(1.0)
    r = line.read()
    assert r["labeller_state"] == EXECUTE and r["checkweigher_state"] == EXECUTE
    with pytest.raises(KeyError, match="unknown machine 'mixer'"):
        line.jam("mixer", 10.0)


def test_a_jam_cleared_early_restarts_the_machine() -> None:
    line = quiet()
    line.jam("capper", 3600.0)
    line.step(0.2)  # still Holding
    line.clear_jam("capper")
    line.step(5.0)
    assert line.read()["capper_state"] == EXECUTE
    line.jam("capper", 3600.0)
    line.step(60.0)
    assert line.read()["capper_state"] == HELD
    line.clear_jam("capper")
    line.clear_jam("labeller")  # not jammed: nothing happens
    line.step(5.0)  # Unholding takes 2 s
    r = line.read()
    assert r["capper_state"] == EXECUTE and r["labeller_state"] == EXECUTE
    assert gain(line, 60, "capper_produced") >= 72  # at its 90/min while it empties buffer1


def test_speed_loss_lowers_the_count_and_the_speed_tag_and_clears() -> None:
    line = quiet()
    nominal = gain(line, 600, "filler_produced")  # 72 units/min
    assert nominal == pytest.approx(720, abs=2)
    line.disturbances.set("speed_loss.filler", 0.5)
    slowed = gain(line, 600, "filler_produced")
    assert slowed == pytest.approx(360, abs=2)
    r = line.read()
    assert r["filler_speed"] == pytest.approx(36.0) and r["filler_speed_sp"] == 72.0
    line.disturbances.reset("speed_loss.filler")
    assert gain(line, 600, "filler_produced") == pytest.approx(nominal, abs=2)
    assert line.read()["filler_speed"] == 72.0


def test_speed_loss_takes_effect_on_the_cycle_under_way() -> None:
    line = quiet(filler_speed_upm=6.0)  # a 10-s cycle
    line.step(0.5)
    filler = line.core.machines[0]
    end = filler.cycle_end
    assert end - line.t_s > 5.0
    line.disturbances.set("speed_loss.filler", 0.5)
    line.step(0.1)
    assert filler.cycle_end - line.t_s == pytest.approx(2.0 * (end - line.t_s + 0.1) - 0.1)
    line.disturbances.reset()
    line.step(0.1)
    assert filler.cycle_end == pytest.approx(end + 0.05)  # 0.1 s at half speed: 0.05 s of work lost


def test_a_slow_capper_blocks_the_filler_through_the_buffer() -> None:
    line = quiet()
    line.disturbances.set("speed_loss.capper", 0.5)  # 45 units/min against the filler's 72
    gain(line, 120, "line_out")
    assert line.read()["buffer1_level"] == 40.0  # full after 40/(72 - 45) min
    assert gain(line, 240, "filler_produced") == pytest.approx(180, abs=2)  # paced by the capper
    assert line.read()["buffer1_level"] >= 39.0
    line.disturbances.reset()
    gain(line, 300, "line_out")
    assert line.read()["buffer1_level"] < 5.0


def test_microstop_rate_factor_raises_the_stops_and_clearing_restores_the_rate() -> None:
    line = FillingLine(FillingLineParams(seed=2, lot_size_units=0, capper_jams_per_h=0.0))
    capper, labeller = line.core.machines[1], line.core.machines[2]
    holds: list[float] = []  # the capper cannot jam: every Hold is a micro-stop
    capper.psm.on_change = lambda t, old, new: holds.append(t) if new == PackMLState.HOLDING else None
    line.step(3600.0)
    nominal = len(holds)  # 8 per hour of cycling; the capper cycles about 80 % of the time
    assert 3 <= nominal <= 15
    line.disturbances.set("microstop_rate.capper", 10.0)
    line.step(1.0)
    assert capper.microstops_per_h == 80.0 and labeller.microstops_per_h == 10.0
    line.step(3600.0)
    faulted = len(holds) - nominal
    assert faulted > 4 * nominal
    availability = line.availability("capper")
    line.disturbances.reset()
    line.step(1.0)
    assert capper.microstops_per_h == capper.spec.microstops_per_h == 8.0
    line.step(3600.0)
    assert len(holds) - nominal - faulted < faulted / 4
    assert line.availability("capper") > availability  # recovering


def test_reject_surge_raises_the_rejects_and_clears() -> None:
    line = quiet()
    assert gain(line, 300, "capper_rejected") == 0.0
    line.disturbances.set("reject_surge.capper", 0.2)
    produced = gain(line, 600, "capper_produced")
    rejected = line.read()["capper_rejected"]
    assert rejected == pytest.approx(0.2 * produced, rel=0.25)
    assert line.read()["line_rejected"] >= rejected
    line.disturbances.reset()
    assert gain(line, 300, "capper_rejected") == 0.0


def test_starved_infeed_suspends_the_filler_and_clears() -> None:
    line = quiet()
    line.disturbances.set("starved", 0.5)
    assert gain(line, 600, "filler_produced") == pytest.approx(360, abs=3)  # half the supply
    line.disturbances.set("starved", 1.0)
    line.step(10.0)  # past starved_delay_s (5 s) without a container
    r = line.read()
    assert r["filler_state"] == SUSPENDED and r["filler_stop_reason"] == StopReason.STARVED
    assert gain(line, 120, "filler_produced") == 0.0
    r = line.read()
    assert all(r[f"{m}_stop_reason"] == StopReason.STARVED for m in MACHINES)  # the line ran empty
    line.disturbances.reset()
    line.step(1.0)
    assert line.read()["filler_state"] != SUSPENDED
    assert gain(line, 600, "filler_produced") == pytest.approx(720, abs=3)


def test_blocked_outfeed_fills_the_buffers_and_clears() -> None:
    line = quiet()
    line.disturbances.set("blocked", 1.0)
    assert gain(line, 300, "line_out") == 0.0
    r = line.read()
    assert r["cartoner_state"] == SUSPENDED and r["cartoner_stop_reason"] == StopReason.BLOCKED
    assert [r[f"buffer{i}_level"] for i in range(1, 5)] == [40.0, 40.0, 60.0, 40.0]
    assert r["filler_stop_reason"] == StopReason.BLOCKED
    line.disturbances.set("blocked", 0.5)  # 45 cartons/min leave
    assert gain(line, 600, "line_out") == pytest.approx(450, abs=3)
    line.disturbances.reset()
    assert gain(line, 600, "line_out") >= 720  # the filler's pace again, plus the buffers draining


def test_snapshot_keeps_the_faults_and_continues_identically() -> None:
    a = FillingLine(FillingLineParams(seed=9, lot_size_units=500))
    a.step(600.0)
    a.disturbances.set("microstop_rate.labeller", 20.0)
    a.disturbances.set("reject_surge.checkweigher", 0.1)
    a.disturbances.set("blocked", 0.3)
    a.step(300.0)
    a.disturbances.set("speed_loss.filler", 0.4)  # set after the step: applied at the next one
    snap = json.loads(json.dumps(a.snapshot()))
    b = FillingLine()
    b.restore(snap)
    assert b.disturbances.active() == a.disturbances.active()
    for _ in range(1200):
        a.step(1.0)
        b.step(1.0)
        assert a.read() == b.read()
    assert b.core.machines[0].speed_factor == pytest.approx(0.6)  # the pending value went in too
    b.restore({k: v for k, v in snap.items() if k not in ("disturbances", "actuators")})
    assert b.disturbances.active() == {}
