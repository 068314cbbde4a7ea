"""Fault hooks of the MPS PA station: disturbances and actuator faults against the physics.

Each test brings the station to a steady state, applies the fault, checks its physical
effect, clears it and checks that the nominal behaviour returns.
"""

from __future__ import annotations

import json
import math

import pytest

from models.mps_pa import MpsPaParams, MpsPaStation

RHO = 998.2
G = 9.80665


def run(st: MpsPaStation, seconds: float, dt: float = 0.5) -> list[dict[str, float]]:
    out = []
    for _ in range(round(seconds / dt)):
        st.step(dt)
        out.append(st.read())
    return out


def steady() -> MpsPaStation:
    """The default station after a minute: level loop holding 15 cm, heater at full duty."""
    st = MpsPaStation()
    run(st, 60.0)
    return st


def pump_flow_l_min(p: MpsPaParams, speed: float, h101_m: float, wear: float) -> float:
    """Closed-form pump-line flow with V106 open: ``(1-w)(p0 s² - a Q²) = ρg(z - h) + (R + 1/Kv²) Q²``."""
    p0 = p.pump_shutoff_pressure_mbar * 100.0
    a = p0 / (p.pump_free_flow_l_min / 60000.0) ** 2
    r_line = p.line_loss_mbar_at_5_l_min * 100.0 / (5.0 / 60000.0) ** 2
    kv = p.v106_kv_m3_h / 3600.0 / math.sqrt(1e5)
    lift = RHO * G * (p.upper_inlet_elevation_m - h101_m)
    q2 = ((1.0 - wear) * p0 * speed**2 - lift) / ((1.0 - wear) * a + r_line + 1.0 / kv**2)
    return 60000.0 * math.sqrt(q2)


def test_fault_names_ranges_and_tags() -> None:
    st = MpsPaStation()
    assert set(st.DISTURBANCES) == {"pump_wear", "heater_failure", "leak"}
    assert set(st.ACTUATORS) == {"P101", "V106", "V102", "E104"}
    assert (st.DISTURBANCES["pump_wear"].hi, st.DISTURBANCES["heater_failure"].hi) == (0.9, 1.0)
    assert (st.DISTURBANCES["leak"].unit, st.DISTURBANCES["leak"].hi) == ("l/min", 5.0)
    assert st.disturbances.active() == {} and st.actuators.active() == {}
    with pytest.raises(ValueError, match="pump_wear"):
        st.disturbances.set("pump_wear", 0.95)
    kinds = {s.name: s.kind for s in st.tag_specs()}
    assert kinds["V106_opening"] == "output" and kinds["V106_position"] == "state"
    assert st.read()["V106_position"] == st.read()["V106_opening"] == 100.0


# --- actuators --------------------------------------------------------------------------------


def test_stuck_p101_freezes_the_pump_while_the_level_controller_moves() -> None:
    st = steady()
    speed0 = st.read()["P101_speed"]
    st.actuators.set("P101", stuck=True)
    st.write("level_sp", 20.0)
    rows = run(st, 60.0)
    assert max(abs(r["P101_speed"] - speed0) for r in rows) < 0.01
    assert rows[-1]["level_out"] == 100.0  # the controller asks for full speed ...
    assert abs(rows[-1]["B101_level"] - 15.0) < 0.05  # ... and nothing happens
    st.actuators.clear("P101")
    end = run(st, 60.0)[-1]
    assert end["B101_level"] == pytest.approx(20.0, abs=0.2)
    assert end["P101_speed"] == pytest.approx(end["level_out"], abs=0.1)


def test_sticking_v106_moves_only_past_its_deadband_and_stuck_v106_holds() -> None:
    st = steady()
    st.actuators.set("V106", deadband=10.0)
    st.write("V106_opening", 95.0)
    run(st, 5.0)
    r = st.read()
    assert (r["V106_opening"], r["V106_position"]) == (95.0, 100.0)
    st.write("V106_opening", 85.0)
    assert st.read()["V106_position"] == 85.0  # past the deadband: it jumps to the command
    st.actuators.set("V106", stuck=True)
    flow = st.read()["B102_flow"]
    st.write("level_mode", 0)  # hold the pump: the flow now depends on V106 alone
    st.write("V106_opening", 20.0)
    r = run(st, 5.0)[-1]
    assert r["V106_position"] == 85.0 and r["V106_opening"] == 20.0
    assert r["B102_flow"] == pytest.approx(flow, abs=0.1)
    st.actuators.clear()
    r = run(st, 5.0)[-1]
    assert r["V106_position"] == 20.0
    assert r["B102_flow"] < flow - 1.0  # the restriction now bites


def test_stuck_v102_stays_closed_then_open() -> None:
    st = steady()
    st.actuators.set("V102", stuck=True)
    st.write("V102_cmd", 1)
    r = run(st, 5.0)[-1]
    assert (r["V102_cmd"], r["V102_position"], r["S115_closed"], r["S116_open"]) == (1.0, 0.0, 1.0, 0.0)
    assert r["drain_flow"] == pytest.approx(2.06, abs=0.05)  # only the manual drain
    st.actuators.clear("V102")
    r = run(st, 5.0)[-1]
    assert (r["V102_position"], r["S116_open"]) == (100.0, 1.0)
    assert r["drain_flow"] > 5.0
    st.actuators.set("V102", stuck=True)  # now stuck open
    st.write("V102_cmd", 0)
    r = run(st, 5.0)[-1]
    assert (r["V102_cmd"], r["V102_position"]) == (0.0, 100.0)
    st.actuators.clear()
    assert run(st, 5.0)[-1]["V102_position"] == 0.0


def test_stuck_e104_keeps_heating_after_the_controller_stops() -> None:
    st = steady()  # heating at full duty towards 30 °C
    assert st.read()["E104_power"] == 1000.0
    st.actuators.set("E104", stuck=True)
    st.write("temperature_mode", 0)
    st.write("temperature_out", 0.0)
    t0 = st.read()["B104_temperature"]
    rows = run(st, 30.0)
    assert all(r["E104_power"] == 1000.0 and r["temperature_out"] == 0.0 for r in rows)
    assert rows[-1]["B104_temperature"] > t0 + 0.5
    st.actuators.clear("E104")
    rows = run(st, 30.0)
    assert all(r["E104_power"] == 0.0 for r in rows[20:])  # from the next relay cycle on


# --- disturbances -------------------------------------------------------------------------------


def test_heater_failure_stops_heating_while_the_controller_saturates() -> None:
    st = steady()
    st.disturbances.set("heater_failure", 1.0)
    t0 = st.read()["B104_temperature"]
    rows = run(st, 120.0)
    assert all(r["E104_power"] == 0.0 and r["temperature_out"] == 100.0 for r in rows)
    assert any(r["E104_on"] == 1.0 for r in rows)  # the relay still switches
    assert rows[-1]["B104_temperature"] < t0 + 0.02  # no heating (losses and mixing only)
    st.disturbances.set("heater_failure", 0.25)
    r = run(st, 10.0)[-1]
    assert r["E104_power"] == pytest.approx(750.0)
    st.disturbances.reset()
    rows = run(st, 60.0)
    assert rows[-1]["E104_power"] == 1000.0
    assert rows[-1]["B104_temperature"] > t0 + 0.5


def test_pump_wear_lowers_the_flow_at_the_same_speed() -> None:
    st = steady()
    st.write("level_mode", 0)
    st.write("level_out", 80.0)
    r0 = run(st, 20.0)[-1]
    p = st.params
    assert r0["P101_speed"] == pytest.approx(80.0, abs=1e-6)
    assert r0["B102_flow"] == pytest.approx(pump_flow_l_min(p, 0.8, r0["tank101_level"] / 100.0, 0.0), rel=1e-9)
    st.disturbances.set("pump_wear", 0.3)
    r = run(st, 10.0)[-1]
    assert r["P101_speed"] == pytest.approx(80.0, abs=1e-6)
    assert r["B102_flow"] == pytest.approx(pump_flow_l_min(p, 0.8, r["tank101_level"] / 100.0, 0.3), rel=1e-9)
    assert r["B102_flow"] < r0["B102_flow"] - 1.0
    assert r["B103_pressure"] < r0["B103_pressure"] - 20.0
    st.disturbances.reset("pump_wear")
    r = run(st, 10.0)[-1]
    assert r["B102_flow"] == pytest.approx(pump_flow_l_min(p, 0.8, r["tank101_level"] / 100.0, 0.0), rel=1e-9)


def test_level_loop_compensates_pump_wear_with_more_speed() -> None:
    st = steady()
    speed0 = st.read()["P101_speed"]
    st.disturbances.set("pump_wear", 0.3)
    r = run(st, 120.0)[-1]
    assert r["B101_level"] == pytest.approx(15.0, abs=0.05)
    assert r["P101_speed"] > speed0 + 5.0
    st.disturbances.reset()
    r = run(st, 120.0)[-1]
    assert r["P101_speed"] == pytest.approx(speed0, abs=0.1)


def test_leak_b102_reads_more_than_reaches_tank_102_and_water_is_conserved() -> None:
    st = steady()
    total0 = st.read()["total_water"]
    st.disturbances.set("leak", 1.0)
    rows = run(st, 240.0)
    end = rows[-1]
    # Back at the level setpoint, tank 102 gets what drains; B102 also sees the leak.
    assert end["B101_level"] == pytest.approx(15.0, abs=0.01)
    assert end["B102_flow"] - end["drain_flow"] - end["overflow_flow"] == pytest.approx(1.0, abs=0.01)
    assert max(abs(r["total_water"] - total0) for r in rows) < 1e-9
    # A leak larger than the pump flow loses at most what the pump delivers.
    st.disturbances.set("leak", 5.0)
    st.write("level_mode", 0)
    st.write("level_out", 60.0)
    v0 = st.read()["tank102_volume"]
    rows = run(st, 30.0)
    assert all(r["tank102_volume"] <= v0 + 1e-12 for r in rows)
    assert rows[-1]["total_water"] == pytest.approx(total0, rel=1e-12)
    st.disturbances.reset("leak")
    st.write("level_mode", 1)
    end = run(st, 240.0)[-1]
    assert end["B102_flow"] == pytest.approx(end["drain_flow"], abs=0.005)


# --- snapshot / restore ---------------------------------------------------------------------------


def test_snapshot_restore_keeps_faults_and_continues_identically() -> None:
    a = steady()
    a.disturbances.set("leak", 0.8)
    a.disturbances.set("pump_wear", 0.2)
    a.actuators.set("V102", stuck=True)
    a.actuators.set("E104", deadband=30.0)
    a.write("V102_cmd", 1)
    a.write("V106_opening", 70.0)
    run(a, 30.0)
    snap = json.loads(json.dumps(a.snapshot()))  # through JSON, as the runtime stores it
    b = MpsPaStation()
    b.restore(snap)
    assert b.disturbances.active() == {"leak": 0.8, "pump_wear": 0.2}
    assert b.actuators.active() == {
        "V102": {"stuck": True, "deadband": 0.0},
        "E104": {"stuck": False, "deadband": 30.0},
    }
    for _ in range(300):
        a.step(0.5)
        b.step(0.5)
    assert a.read() == b.read()
    assert a.snapshot() == b.snapshot()
    assert a.read()["V102_position"] == 0.0  # still stuck closed


def test_restore_of_a_snapshot_without_faults_clears_them() -> None:
    a = steady()
    snap = json.loads(json.dumps(a.snapshot()))
    for key in ("disturbances", "actuators", "v106_cmd", "v106_pos"):  # as written before faults existed
        del snap[key]
    b = MpsPaStation()
    b.disturbances.set("leak", 2.0)
    b.actuators.set("P101", stuck=True)
    b.restore(snap)
    assert b.disturbances.active() == {} and b.actuators.active() == {}
    for _ in range(200):
        a.step(0.5)
        b.step(0.5)
    assert a.read() == b.read()
