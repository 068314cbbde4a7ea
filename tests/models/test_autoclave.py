"""Autoclave: saturated steam, F0, the cycle's phases, recipe validation, determinism."""

from __future__ import annotations

import json

import pytest

from models.autoclave import Autoclave, AutoclaveParams, AutoclaveRecipe, F0Integrator, Phase, lethal_rate
from models.steam import (
    saturation_pressure_bar,
    saturation_pressure_mpa,
    saturation_temperature_c,
    saturation_temperature_k,
)
from models.unit import Unit


def run_cycle(ac: Autoclave, dt: float = 1.0, limit_s: float = 4 * 3600) -> list[dict[str, float]]:
    """Step until the cycle completes (or aborts); return every reading."""
    rows = []
    t = 0.0
    while t < limit_s:
        ac.step(dt)
        t += dt
        rows.append(ac.read())
        if rows[-1]["phase"] in (Phase.COMPLETE, Phase.ABORTED):
            break
    return rows


def test_f0_of_15_minutes_at_121_1_is_15() -> None:
    for dt, n in ((1.0, 900), (0.25, 3600), (0.5, 1800), (60.0, 15)):
        f0 = F0Integrator(121.1)
        for _ in range(n):
            f0.add(121.1, dt)
        assert f0.value == pytest.approx(15.0, abs=1e-9)
    uneven = F0Integrator(121.1)
    for dt in [0.5, 1.5, 2.0, 1.0] * 180:  # 5 s per round, 900 s
        uneven.add(121.1, dt)
    assert uneven.value == pytest.approx(15.0, abs=1e-9)


def test_lethal_rate_and_z_value() -> None:
    assert lethal_rate(121.1) == 1.0
    assert lethal_rate(131.1) == pytest.approx(10.0)
    assert lethal_rate(111.1) == pytest.approx(0.1)
    f0 = F0Integrator(121.1)
    f0.add(131.1, 60.0)  # a ramp over one minute: trapezoid of 1 and 10
    assert f0.value == pytest.approx(5.5)


def test_saturated_steam_at_121_1_is_2_05_bar() -> None:
    assert saturation_pressure_bar(121.1) == pytest.approx(2.05, rel=0.01)
    assert saturation_temperature_c(saturation_pressure_bar(121.1)) == pytest.approx(121.1, abs=1e-9)
    assert saturation_temperature_c(1.01325) == pytest.approx(99.974, abs=0.001)


@pytest.mark.parametrize(("t_k", "p_mpa"), [(300.0, 0.353658941e-2), (500.0, 0.263889776e1), (600.0, 0.123443146e2)])
def test_if97_saturation_pressure_verification_values(t_k: float, p_mpa: float) -> None:
    assert saturation_pressure_mpa(t_k) == pytest.approx(p_mpa, rel=1e-8)


@pytest.mark.parametrize(("p_mpa", "t_k"), [(0.1, 0.372755919e3), (1.0, 0.453035632e3), (10.0, 0.584149488e3)])
def test_if97_saturation_temperature_verification_values(p_mpa: float, t_k: float) -> None:
    assert saturation_temperature_k(p_mpa) == pytest.approx(t_k, rel=1e-8)


def test_saturation_curve_rejects_out_of_range() -> None:
    with pytest.raises(ValueError, match="outside the saturation curve"):
        saturation_pressure_mpa(700.0)
    with pytest.raises(ValueError, match="outside the saturation curve"):
        saturation_temperature_k(30.0)


def test_full_cycle_phases_saturation_and_load_lag() -> None:
    ac = Autoclave()
    assert isinstance(ac, Unit)
    rows = run_cycle(ac)
    phases = [int(r["phase"]) for r in rows]
    order = [p for i, p in enumerate(phases) if i == 0 or p != phases[i - 1]]
    assert order == [1, 2, 3, 4, 5, 6]
    assert max(r["vacuum_pulse"] for r in rows) == 3
    hold = [r for r in rows if r["phase"] == Phase.HOLD]
    assert len(hold) == pytest.approx(20 * 60, abs=1)
    for r in hold:
        assert 121.1 <= r["chamber_temperature"] <= 124.1  # EN 285 band: 0/+3 K
        assert r["load_temperature"] >= 121.1
        steam = r["chamber_pressure"] - r["air_partial_pressure"]
        assert r["chamber_temperature"] == pytest.approx(saturation_temperature_c(steam), abs=0.05)
        assert abs(r["theoretical_temperature"] - r["chamber_temperature"]) < 2.0  # EN 285 check
    heat = [r for r in rows if r["phase"] == Phase.HEATUP]
    assert all(r["load_temperature"] < r["chamber_temperature"] for r in heat[5:])  # the load lags
    last = rows[-1]
    assert last["cycle_ok"] == 1.0 and last["cycles_completed"] == 1.0
    assert last["f0"] > 20.0  # 20 min above 121.1 °C plus heat-up and exhaust
    assert last["chamber_pressure"] == pytest.approx(1.01325, abs=0.02)


def test_model_f0_is_the_sum_over_the_load_temperature() -> None:
    ac = Autoclave()
    f0 = F0Integrator(ac.read()["load_temperature"])
    f0.reset(AutoclaveParams().load_initial_temperature_c)
    for _ in range(2 * 3600):
        ac.step(1.0)
        r = ac.read()
        if 1 <= r["phase"] <= 5:
            f0.add(r["load_temperature"], 1.0)
        if r["phase"] == Phase.COMPLETE:
            break
    assert r["f0"] == pytest.approx(f0.value, abs=1e-9)


def test_without_vacuum_pulses_air_keeps_the_chamber_cold() -> None:
    ac = Autoclave(AutoclaveParams(vacuum_pulses=0, autostart=False))
    assert ac.read()["phase"] == Phase.IDLE
    ac.write("cycle_cmd", 1)
    assert ac.read()["phase"] == Phase.HEATUP
    for _ in range(600):
        ac.step(1.0)
    r = ac.read()
    assert r["air_partial_pressure"] > 0.5
    assert r["theoretical_temperature"] - r["chamber_temperature"] > 5.0


def test_abort_vents_and_a_new_cycle_can_start() -> None:
    ac = Autoclave()
    for _ in range(600):
        ac.step(1.0)
    with pytest.raises(ValueError, match="cycle_cmd start: a cycle is running"):
        ac.write("cycle_cmd", 1)
    ac.write("cycle_cmd", 2)
    for _ in range(900):
        ac.step(1.0)
    r = ac.read()
    assert r["phase"] == Phase.ABORTED and r["cycle_ok"] == 0.0
    assert r["chamber_pressure"] < 1.1
    with pytest.raises(ValueError, match="no cycle is running"):
        ac.write("cycle_cmd", 2)
    ac.write("hold_time_sp", 15)
    ac.write("cycle_cmd", 1)
    assert ac.read()["phase"] == Phase.PREVACUUM and ac.read()["f0"] == 0.0


def test_repeats_cycles_after_the_interval() -> None:
    ac = Autoclave(AutoclaveParams(repeat_interval_min=5.0, hold_time_min=5.0))
    rows = [ac.read()]
    for _ in range(3 * 3600):
        ac.step(2.0)
        rows.append(ac.read())
    assert rows[-1]["cycles_completed"] >= 3
    completes = [i for i in range(1, len(rows)) if rows[i]["phase"] == 6 and rows[i - 1]["phase"] != 6]
    restarts = [i for i in range(1, len(rows)) if rows[i]["phase"] == 1 and rows[i - 1]["phase"] == 6]
    assert [b - a for a, b in zip(completes, restarts, strict=False)] == [150] * len(restarts)  # 5 min at 2 s


def test_recipe_validation_names_field_and_range() -> None:
    with pytest.raises(ValueError, match=r"hold_temperature_c = 140.0 is out of range, allowed 110-135 °C"):
        AutoclaveRecipe(hold_temperature_c=140.0)
    with pytest.raises(ValueError, match=r"hold_time_min = 0.0: the hold step needs a duration"):
        AutoclaveRecipe(hold_time_min=0.0)
    with pytest.raises(ValueError, match="missing hold_time_min"):
        AutoclaveRecipe.from_dict({"hold_temperature_c": 121.1})
    with pytest.raises(ValueError, match=r"unknown field\(s\) hold_temp"):
        AutoclaveRecipe.from_dict({"hold_temp": 121.1, "hold_time_min": 15})
    with pytest.raises(ValueError, match=r"vacuum_pulses = 2.5 must be a whole number"):
        AutoclaveRecipe(vacuum_pulses=2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"hold_temperature_c = 100.0 is out of range"):
        AutoclaveParams(hold_temperature_c=100.0)
    assert AutoclaveRecipe.from_dict({"hold_time_min": 15.0, "vacuum_pulses": 4.0}).vacuum_pulses == 4


def test_writes_are_validated_and_the_recipe_is_locked_during_a_cycle() -> None:
    ac = Autoclave()
    with pytest.raises(ValueError, match=r"hold_temperature_sp = 150.0 is outside the allowed range \[110.0, 135.0\]"):
        ac.write("hold_temperature_sp", 150.0)
    with pytest.raises(ValueError, match="the recipe is locked while a cycle runs"):
        ac.write("hold_temperature_sp", 125.0)
    with pytest.raises(KeyError, match="read-only tag 'f0'"):
        ac.write("f0", 0.0)
    with pytest.raises(KeyError, match="unknown tag 'door'"):
        ac.write("door", 1.0)
    with pytest.raises(ValueError, match=r"chamber_volume_l = -1.0 must be > 0"):
        AutoclaveParams(chamber_volume_l=-1.0)
    with pytest.raises(ValueError, match="pulse_low_bar < pulse_high_bar"):
        AutoclaveParams(pulse_low_bar=2.0)
    with pytest.raises(ValueError, match="dt_s must be > 0"):
        ac.step(-1.0)
    idle = Autoclave(AutoclaveParams(autostart=False))
    idle.write("hold_temperature_sp", 134.0)
    idle.write("vacuum_pulses_sp", 5)
    assert idle.recipe == AutoclaveRecipe(134.0, 20.0, 5, 10.0)
    with pytest.raises(ValueError, match=r"vacuum_pulses = 2.5 must be a whole number"):
        idle.write("vacuum_pulses_sp", 2.5)


def test_134_degree_recipe_holds_its_band() -> None:
    ac = Autoclave(AutoclaveParams(hold_temperature_c=134.0, hold_time_min=3.5))
    rows = run_cycle(ac)
    hold = [r for r in rows if r["phase"] == Phase.HOLD]
    assert all(134.0 <= r["chamber_temperature"] <= 137.0 for r in hold)
    assert rows[-1]["cycle_ok"] == 1.0


def test_deterministic_and_snapshot_restore_equals_uninterrupted() -> None:
    a, b = Autoclave(), Autoclave()
    for _ in range(700):
        a.step(1.0)
        b.step(1.0)
    assert a.read() == b.read()
    c = Autoclave(AutoclaveParams(autostart=False))
    c.restore(json.loads(json.dumps(a.snapshot())))
    for _ in range(2000):
        a.step(1.0)
        c.step(1.0)
        assert a.read() == c.read()
    with pytest.raises(ValueError, match="not an autoclave snapshot"):
        c.restore({"unit_type": "dryer", "version": 1})


def test_tags_are_consistent() -> None:
    ac = Autoclave()
    specs = {s.name: s for s in ac.tag_specs()}
    assert set(specs) == set(ac.read())
    assert {n for n, s in specs.items() if s.writable} == {
        "hold_temperature_sp",
        "hold_time_sp",
        "vacuum_pulses_sp",
        "drying_time_sp",
        "cycle_cmd",
    }
    assert specs["f0"].unit == "min" and specs["chamber_pressure"].unit == "bar abs"
