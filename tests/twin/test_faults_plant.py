"""Actuator, process and line faults injected through TwinControl on a running plant.

Each test steps the runtime (the same loop `gmp-twin run` paces), injects one fault kind as
an instructor would, and checks its physical effect in the unit's tags, then that clearing
it gives nominal behaviour back. The models' own tests (tests/models/test_faults_*) cover the
physics in more depth; these check the whole path catalog -> manager -> unit hook.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from models.unit import TagSpec
from twin.faults.service import TwinControl
from twin.plant import PlantConfig, build_plant, unit_steps
from twin.runtime import TwinRuntime


def _plant(unit_type: str, name: str, dt_s: float | None = None, seed: int = 4, **params: Any) -> TwinControl:
    unit: dict[str, Any] = {"name": name, "type": unit_type, "params": params}
    if dt_s is not None:
        unit["dt_s"] = dt_s
    cfg = PlantConfig.model_validate({"site": "lab", "units": [unit]})
    runtime = TwinRuntime(build_plant(cfg, seed=seed), seed=seed, unit_dt_s=unit_steps(cfg))
    return TwinControl(runtime, site="lab", run_id="plant-test")


def _run(control: TwinControl, seconds: float, tags: list[str], unit: str | None = None) -> dict[str, np.ndarray]:
    runtime = control.runtime
    name = unit or next(iter(runtime.slots))
    slot = runtime.slots[name]
    out: dict[str, list[float]] = {t: [] for t in tags}
    every = slot.every
    for k in range(round(seconds / runtime.dt_s)):
        runtime.step()
        if k % every == 0:
            values = slot.unit.read()
            for t in tags:
                out[t].append(float(values[t]))
    return {t: np.array(v) for t, v in out.items()}


def _clear_all(control: TwinControl) -> None:
    assert control.clear_all()


# -- actuators ---------------------------------------------------------------------------------
def test_stuck_jacket_valve_freezes_while_the_controller_output_moves() -> None:
    control = _plant("bioreactor", "bio", dt_s=1.0)
    _run(control, 3600, ["temperature"])
    control.inject({"kind": "valve_stuck", "target": {"unit": "bio", "actuator": "jacket_valve"}})
    control.runtime.write("bio", "temperature_sp", 27.0)
    r = _run(control, 1800, ["temperature_out", "jacket_valve_position", "temperature"])
    assert np.ptp(r["jacket_valve_position"][5:]) == 0.0
    assert np.ptp(r["temperature_out"]) > 20.0  # the controller winds up, the valve does not follow
    assert r["temperature"][-1] < 26.0  # so the broth never reaches 27 °C
    _clear_all(control)
    r = _run(control, 3600, ["temperature", "jacket_valve_position"])
    assert np.ptp(r["jacket_valve_position"]) > 1.0
    assert r["temperature"][-1] == pytest.approx(27.0, abs=0.2)


def test_sticking_pump_moves_in_jumps() -> None:
    control = _plant("mps_pa", "st")
    _run(control, 300, ["P101_speed"])
    control.inject({"kind": "valve_sticking", "target": {"unit": "st", "actuator": "P101"}, "magnitude": 8.0})
    control.runtime.write("st", "level_sp", 18.0)
    unit: Any = control.runtime.slots["st"].unit
    position, command = [], []
    for _ in range(3000):
        control.runtime.step()
        position.append(unit.actuators.position("P101"))
        command.append(unit.read()["level_out"])
    moves = np.count_nonzero(np.diff(position))
    assert moves < 0.2 * np.count_nonzero(np.diff(command))  # stick ...
    assert moves > 0 and np.abs(np.diff(position)).max() > 8.0  # ... and slip, in jumps past the deadband
    assert unit.read()["B101_level"] > 16.0  # the loop still gets there, roughly


def test_pump_wear_lowers_the_flow_at_the_same_speed() -> None:
    control = _plant("mps_pa", "st")
    for loop in ("level", "flow", "pressure"):
        control.runtime.write("st", f"{loop}_mode", 0.0)
    control.runtime.write("st", "level_out", 70.0)
    before = _run(control, 60, ["B102_flow"])["B102_flow"][-100:].mean()
    control.inject({"kind": "pump_wear", "target": {"unit": "st"}, "magnitude": 0.4})
    after = _run(control, 60, ["B102_flow", "P101_speed"])
    assert after["P101_speed"][-1] == pytest.approx(70.0, abs=0.5)
    assert after["B102_flow"][-100:].mean() < 0.8 * before
    _clear_all(control)
    again = _run(control, 60, ["B102_flow"])["B102_flow"][-100:].mean()
    assert again == pytest.approx(before, rel=0.02)


def test_heater_failure_leaves_the_loop_saturated_and_cold() -> None:
    control = _plant("mps_pa", "st")
    control.inject({"kind": "heater_failure", "target": {"unit": "st"}, "magnitude": 1.0})
    r = _run(control, 600, ["E104_power", "temperature_out", "B104_temperature"])
    assert r["E104_power"].max() == 0.0
    assert r["temperature_out"][-1] > 90.0
    assert r["B104_temperature"][-1] < 21.0  # never left ambient
    _clear_all(control)
    r = _run(control, 300, ["E104_power"])
    assert r["E104_power"].max() > 900.0


# -- process ------------------------------------------------------------------------------------
def test_leak_makes_the_pump_line_flow_read_more_than_reaches_the_tank() -> None:
    control = _plant("mps_pa", "st")
    _run(control, 600, ["B101_level"])
    base = _run(control, 120, ["B102_flow", "total_water"])
    control.inject({"kind": "leak", "target": {"unit": "st"}, "magnitude": 1.0})
    leak = _run(control, 600, ["B102_flow", "total_water", "B101_level"])
    assert leak["B102_flow"][-600:].mean() > base["B102_flow"].mean() + 0.8  # the loop pumps the leak too
    assert leak["total_water"][-1] == pytest.approx(base["total_water"][0], abs=1e-6)  # back into tank 101
    assert leak["B101_level"][-1] == pytest.approx(15.0, abs=0.5)


def test_jacket_fouling_lowers_heat_transfer() -> None:
    clean, fouled = _plant("bioreactor", "bio", dt_s=1.0), _plant("bioreactor", "bio", dt_s=1.0)
    fouled.inject({"kind": "fouling", "target": {"unit": "bio", "parameter": "jacket"}, "magnitude": 0.8})
    tags = ["jacket_temperature", "temperature", "heat_jacket"]
    a, b = _run(clean, 7200, tags), _run(fouled, 7200, tags)
    # Same duty needs four times the temperature difference across a fouled wall.
    dt_clean = np.mean(a["temperature"][-600:] - a["jacket_temperature"][-600:])
    dt_fouled = np.mean(b["temperature"][-600:] - b["jacket_temperature"][-600:])
    assert abs(dt_fouled) > 3.0 * abs(dt_clean)
    kla = _plant("bioreactor", "bio", dt_s=1.0)
    kla.inject({"kind": "fouling", "target": {"unit": "bio", "parameter": "kla"}, "magnitude": 0.5})
    assert _run(kla, 600, ["kla"])["kla"][-1] < 0.6 * _run(clean, 600, ["kla"])["kla"][-1]


def test_contamination_slows_growth_and_feed_error_changes_glucose() -> None:
    ref, sick, dilute = (_plant("bioreactor", "bio", dt_s=1.0) for _ in range(3))
    sick.inject({"kind": "contamination", "target": {"unit": "bio"}, "magnitude": 0.5})
    dilute.inject({"kind": "feed_concentration", "target": {"unit": "bio"}, "magnitude": -0.5})
    tags = ["mu", "biomass", "glucose", "glucose_fed_total"]
    r, s, d = (_run(c, 20 * 3600, tags) for c in (ref, sick, dilute))
    assert s["mu"][-1] < 0.6 * r["mu"][-1]
    assert s["biomass"][-1] < r["biomass"][-1]
    assert d["glucose_fed_total"][-1] < r["glucose_fed_total"][-1]  # same feed volume, half the sugar


# -- line -----------------------------------------------------------------------------------------
LINE = {"seed": 5, "filler_jams_per_h": 0.0, "capper_jams_per_h": 0.0}


def test_jam_stops_the_filler_and_starves_the_capper() -> None:
    control = _plant("filling_line", "line", dt_s=1.0, **LINE)
    _run(control, 300, ["filler_state"])
    control.inject({"kind": "jam", "target": {"unit": "line", "machine": "filler"}, "duration_s": 900})
    r = _run(control, 600, ["filler_state", "filler_stop_reason", "capper_stop_reason", "filler_produced"])
    assert r["filler_stop_reason"][-1] == 4.0  # jam
    assert np.ptp(r["filler_produced"][60:]) == 0.0
    assert r["capper_stop_reason"][-1] == 1.0  # starved
    r = _run(control, 900, ["filler_produced"])
    assert np.ptp(r["filler_produced"]) > 0  # the jam ends after its duration


def _produced(control: TwinControl, machine: str, seconds: float) -> float:
    r = _run(control, seconds, [f"{machine}_produced"])
    return float(r[f"{machine}_produced"][-1] - r[f"{machine}_produced"][0])


def test_speed_loss_and_microstops_cut_output() -> None:
    ref = _plant("filling_line", "line", dt_s=1.0, **LINE)
    slow = _plant("filling_line", "line", dt_s=1.0, **LINE)
    stops = _plant("filling_line", "line", dt_s=1.0, **LINE)
    slow.inject({"kind": "speed_loss", "target": {"unit": "line", "machine": "filler"}, "magnitude": 0.5})
    stops.inject({"kind": "microstop_rate", "target": {"unit": "line", "machine": "filler"}, "magnitude": 30})
    base = _produced(ref, "filler", 3600)
    assert _produced(slow, "filler", 3600) < 0.7 * base
    assert _produced(stops, "filler", 3600) < 0.95 * base


def test_reject_surge_raises_rejects() -> None:
    ref = _plant("filling_line", "line", dt_s=1.0, **LINE)
    bad = _plant("filling_line", "line", dt_s=1.0, **LINE)
    bad.inject({"kind": "reject_surge", "target": {"unit": "line", "machine": "capper"}, "magnitude": 0.2})
    a = _run(ref, 1800, ["capper_rejected"])["capper_rejected"][-1]
    b = _run(bad, 1800, ["capper_rejected", "capper_produced"])
    assert b["capper_rejected"][-1] > a + 0.1 * b["capper_produced"][-1]


def test_starved_and_blocked_line() -> None:
    starved = _plant("filling_line", "line", dt_s=1.0, **LINE)
    _run(starved, 300, ["filler_state"])
    starved.inject({"kind": "starved", "target": {"unit": "line"}, "magnitude": 1.0})
    r = _run(starved, 600, ["filler_stop_reason", "filler_produced"])
    assert r["filler_stop_reason"][-1] == 1.0 and np.ptp(r["filler_produced"][-300:]) == 0.0
    blocked = _plant("filling_line", "line", dt_s=1.0, **LINE)
    _run(blocked, 300, ["filler_state"])
    blocked.inject({"kind": "blocked", "target": {"unit": "line"}, "magnitude": 1.0})
    r = _run(blocked, 1800, ["cartoner_stop_reason", "buffer4_level", "buffer4_level"])
    assert r["cartoner_stop_reason"][-1] == 2.0  # blocked
    assert r["buffer4_level"][-1] > r["buffer4_level"][0]


class _Gauge:
    """A unit with tags and no fault hooks (a real kit's shadow, say): faults reach only its readings."""

    unit_type = "gauge"

    def tag_specs(self) -> list[TagSpec]:
        return [TagSpec("level", "Level", "cm", 0.0, 30.0)]

    def step(self, dt_s: float) -> None:
        pass

    def read(self) -> dict[str, float]:
        return {"level": 12.0}

    def write(self, tag: str, value: float) -> None:
        raise KeyError(tag)

    def snapshot(self) -> dict[str, Any]:
        return {}

    def restore(self, snap: dict[str, Any]) -> None:
        pass


def test_a_unit_without_fault_hooks_offers_only_its_readings() -> None:
    control = TwinControl(TwinRuntime({"gauge": _Gauge()}), site="lab")
    units = control.catalog()["units"]
    assert units["gauge"] == {
        "type": "gauge", "measurements": {"level": [0.0, 30.0]}, "tags": ["level"],
        "actuators": {}, "disturbances": {}, "machines": [],
    }  # fmt: skip
    with pytest.raises(ValueError, match="gauge has no actuator 'valve'; actuators: none"):
        control.inject({"kind": "valve_stuck", "target": {"unit": "gauge", "actuator": "valve"}})
    with pytest.raises(ValueError, match="gauge \\(gauge\\) has no 'leak'"):
        control.inject({"kind": "leak", "target": {"unit": "gauge"}, "magnitude": 1.0})
    control.inject({"kind": "sensor_bias", "target": {"unit": "gauge", "tag": "level"}, "magnitude": 2.0})
    control.runtime.step()
    assert control.runtime.readings("gauge")["level"] == (14.0, 0)
