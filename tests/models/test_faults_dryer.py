"""Fluid-bed dryer faults: heater failure, clogged filter, wrong feed moisture, stuck heater and fan."""

from __future__ import annotations

import json

import pytest

from models.dryer import FluidBedDryer, FluidBedDryerParams, lod_from_x, x_from_lod

ONE_BATCH = FluidBedDryerParams(repeat_interval_min=0.0, seed=1)


def run(d: FluidBedDryer, seconds: int) -> dict[str, float]:
    for _ in range(seconds):
        d.step(1.0)
    return d.read()


def drying() -> FluidBedDryer:
    """A batch 10 min into drying: inlet air at its setpoint, constant-rate period."""
    d = FluidBedDryer(ONE_BATCH)
    r = run(d, 600)
    assert r["phase"] == 1.0 and r["inlet_air_temperature"] == pytest.approx(65.0, abs=0.5)
    return d


def test_names_and_ranges_the_fault_catalog_uses() -> None:
    d = FluidBedDryer()
    assert set(d.disturbances.specs) == {"heater_failure", "fouling.filter", "feed_concentration"}
    assert (d.disturbances.specs["fouling.filter"].lo, d.disturbances.specs["fouling.filter"].hi) == (0.0, 0.9)
    assert (d.disturbances.specs["feed_concentration"].lo, d.disturbances.specs["feed_concentration"].hi) == (-0.9, 1)
    assert set(d.actuators.names) == {"heater", "fan"}
    r = d.read()
    assert r["heater_position"] == r["heater_out"] and r["fan_position"] == r["air_flow_sp"]


def test_faults_set_and_cleared_before_a_step_change_nothing() -> None:
    a, b = FluidBedDryer(ONE_BATCH), FluidBedDryer(ONE_BATCH)
    b.disturbances.set("heater_failure", 1.0)
    b.actuators.set("fan", stuck=True)
    b.disturbances.reset()
    b.actuators.clear()
    for _ in range(900):
        a.step(1.0)
        b.step(1.0)
    assert a.read() == b.read()


def test_heater_failure_drops_the_inlet_air_while_the_loop_saturates() -> None:
    d = drying()
    d.disturbances.set("heater_failure", 0.9)
    r = run(d, 300)
    assert r["heater_out"] == 100.0 and r["heater_position"] == 100.0
    assert r["heater_power"] == pytest.approx(0.1 * d._params.heater_power_kw)
    assert r["inlet_air_temperature"] < 45.0  # far out of the PAR (55-75 °C)
    d.disturbances.reset("heater_failure")
    r = run(d, 600)
    assert r["inlet_air_temperature"] == pytest.approx(65.0, abs=1.0)
    assert r["heater_out"] < 60.0


def test_clogged_filter_cuts_the_air_flow_and_trips_the_heater_interlock() -> None:
    d = drying()
    evaporating = d.read()["evaporation_rate"]
    d.disturbances.set("fouling.filter", 0.5)
    r = run(d, 60)
    assert r["air_flow"] == pytest.approx(150.0, abs=1.0)  # half the 300 m³/h asked
    assert r["fan_position"] == 300.0 and r["air_flow_sp"] == 300.0
    assert r["evaporation_rate"] < 0.6 * evaporating  # the air's drying capacity went with it
    d.disturbances.set("fouling.filter", 0.9)
    r = run(d, 120)
    assert r["air_flow"] < 50.0 and r["heater_power"] == 0.0  # below min_air_flow_m3_h: interlocked
    assert r["inlet_air_temperature"] < 45.0
    d.disturbances.reset()
    r = run(d, 600)
    assert r["air_flow"] == pytest.approx(300.0, abs=0.5)
    assert r["inlet_air_temperature"] == pytest.approx(65.0, abs=1.0)


def test_the_low_flow_interlock_trips_on_what_the_flow_transmitter_shows() -> None:
    d = drying()
    d.feedback.set("air_flow", offset=100.0)  # the transmitter reads 100 m³/h high
    d.disturbances.set("fouling.filter", 0.9)
    r = run(d, 120)
    # 30 m³/h of real air, 130 shown: the interlock holds, the heater keeps heating too little air.
    assert r["air_flow"] < 50.0 and r["heater_power"] > 0.0
    assert r["inlet_air_temperature"] > 65.0
    d.feedback.set("air_flow", held=300.0, failed=True)  # a failed transmitter: fail-safe, heater off
    d.disturbances.reset()
    r = run(d, 60)
    assert r["air_flow"] == pytest.approx(300.0, abs=5.0) and r["heater_power"] == 0.0
    d.feedback.clear()
    r = run(d, 60)
    assert r["heater_power"] > 0.0


def test_feed_concentration_changes_the_next_batch_only() -> None:
    d = FluidBedDryer(ONE_BATCH)
    run(d, 60)
    lod_now = d.read()["product_lod"]
    d.disturbances.set("feed_concentration", 0.5)
    assert run(d, 1)["product_lod"] < lod_now  # the batch in the bowl keeps its water
    d.write("cycle_cmd", 2)
    d.write("cycle_cmd", 3)
    wet = d.read()["product_lod"]
    assert wet == pytest.approx(lod_from_x(1.5 * x_from_lod(ONE_BATCH.initial_lod_pct)))
    assert wet > ONE_BATCH.initial_lod_pct + 5.0
    d.disturbances.reset()
    d.write("cycle_cmd", 3)
    assert d.read()["product_lod"] == pytest.approx(ONE_BATCH.initial_lod_pct)


def test_wetter_feed_takes_longer_to_dry() -> None:
    times = []
    for error in (0.0, 0.4):
        d = FluidBedDryer(FluidBedDryerParams(repeat_interval_min=0.0, seed=1, autostart=False))
        d.disturbances.set("feed_concentration", error)
        d.write("cycle_cmd", 3)
        d.write("cycle_cmd", 1)
        while d.read()["phase"] != 2.0:
            d.step(10.0)
        times.append(d.read()["drying_time"])
    assert times[1] > 1.3 * times[0]


def test_stuck_heater_keeps_its_drive_while_the_controller_output_moves() -> None:
    d = drying()
    held = d.read()["heater_position"]
    d.actuators.set("heater", stuck=True)
    d.write("inlet_temperature_sp", 80.0)
    r = run(d, 120)
    assert r["heater_out"] == 100.0  # the controller asks for everything...
    assert r["heater_position"] == pytest.approx(held)  # ...the heater does not move
    assert r["inlet_air_temperature"] == pytest.approx(65.0, abs=0.5)
    d.actuators.clear("heater")
    r = run(d, 300)
    assert r["heater_position"] == r["heater_out"]
    assert r["inlet_air_temperature"] == pytest.approx(80.0, abs=1.0)


def test_stuck_fan_ignores_a_new_flow_setpoint() -> None:
    d = drying()
    d.actuators.set("fan", stuck=True)
    d.write("air_flow_sp", 450.0)
    r = run(d, 60)
    assert r["air_flow"] == pytest.approx(300.0, abs=0.5) and r["fan_position"] == 300.0
    assert r["air_flow_sp"] == 450.0
    d.actuators.set("fan", deadband=200.0)  # sticking: 150 m³/h away is not enough to move it
    assert run(d, 60)["air_flow"] == pytest.approx(300.0, abs=0.5)
    d.actuators.clear()
    r = run(d, 60)
    assert r["air_flow"] == pytest.approx(450.0, abs=0.5) and r["fan_position"] == 450.0


def test_snapshot_keeps_the_faults_and_old_snapshots_have_none() -> None:
    a = drying()
    a.disturbances.set("heater_failure", 0.8)
    a.disturbances.set("fouling.filter", 0.2)
    a.actuators.set("fan", stuck=True)
    run(a, 30)
    snap = json.loads(json.dumps(a.snapshot()))
    c = FluidBedDryer(FluidBedDryerParams(autostart=False))
    c.restore(snap)
    assert c.disturbances.active() == {"heater_failure": 0.8, "fouling.filter": 0.2}
    assert c.actuators.active() == {"fan": {"stuck": True, "deadband": 0.0}}
    assert c.read() == a.read()
    for _ in range(600):
        a.step(1.0)
        c.step(1.0)
        assert a.read() == c.read()
    c.restore({k: v for k, v in snap.items() if k not in ("disturbances", "actuators")})
    assert c.disturbances.active() == {} and c.actuators.active() == {}
