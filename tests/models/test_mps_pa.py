"""Tests of the MPS PA Compact Workstation model against physics and its control logic.

Settling criteria of the loop tests (default tunings, measured figures in brackets):
* level 15 -> 20 cm: within ±0.2 cm after 40 s [18 s], overshoot < 0.3 cm [0.02 cm]
* flow 6.7 -> 4 l/min (V102 open): within ±2 % after 25 s [11 s]
* pressure 167 -> 150 mbar (V102 open): within ±2 % after 25 s [12 s]
* temperature 20 -> 30 °C: within ±0.3 K after 900 s [500 s], overshoot < 0.5 K [0.19 K]
"""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest

from models.mps_pa import MpsPaParams, MpsPaStation
from models.unit import TagSpec, Unit

RHO = 998.2
G = 9.80665


def run(st: MpsPaStation, seconds: float, dt: float = 1.0) -> list[dict[str, float]]:
    out = []
    for _ in range(round(seconds / dt)):
        st.step(dt)
        out.append(st.read())
    return out


def settle_time(values: list[float], target: float, tol: float, dt: float) -> float:
    outside = [i for i, v in enumerate(values) if abs(v - target) > tol]
    return (outside[-1] + 1) * dt if outside else 0.0


# --- the Unit contract ----------------------------------------------------------------------


def test_implements_unit_protocol_and_tags_are_consistent() -> None:
    st = MpsPaStation()
    assert isinstance(st, Unit)
    assert st.unit_type == "mps_pa"
    specs = st.tag_specs()
    assert all(isinstance(s, TagSpec) for s in specs)
    names = [s.name for s in specs]
    assert len(names) == len(set(names))
    values = st.read()
    assert list(values) == names
    for s in specs:
        v = values[s.name]
        assert math.isfinite(v), s.name
        assert s.lo <= v <= s.hi, (s.name, v, s.lo, s.hi)
        assert (s.noise_sd > 0) == (s.kind == "measurement"), s.name
    for loop in ("level", "flow", "pressure", "temperature"):
        kinds = {n: k for n, k in ((s.name, s.kind) for s in specs)}
        assert kinds[f"{loop}_sp"] == "setpoint"
        assert kinds[f"{loop}_mode"] == "mode"
        assert kinds[f"{loop}_out"] == "output"
    switches = {s.name for s in specs if s.kind == "switch"}
    assert {"B113_min", "B114_max", "S111_overflow", "S112_overflow"} <= switches


def test_defaults_and_initial_steady_state() -> None:
    st = MpsPaStation()
    r = st.read()
    assert (r["level_mode"], r["flow_mode"], r["pressure_mode"], r["temperature_mode"]) == (
        1.0, 0.0, 0.0, 1.0,
    )  # fmt: skip
    assert (r["level_sp"], r["temperature_sp"]) == (15.0, 30.0)
    assert r["B101_level"] == pytest.approx(15.0)
    assert r["B104_temperature"] == 20.0
    assert r["P101_loop"] == 0.0
    # The pump starts at the speed that balances the drain: the level does not move.
    rows = run(st, 120.0, dt=0.1)
    assert max(abs(x["B101_level"] - 15.0) for x in rows) < 1e-3
    assert rows[-1]["B102_flow"] == pytest.approx(rows[-1]["drain_flow"], rel=1e-6)
    # ... while the temperature loop heats.
    assert rows[-1]["B104_temperature"] > 21.0
    assert rows[-1]["E104_power"] > 0.0


# --- water mass balance -------------------------------------------------------------------


def test_water_is_conserved_with_pumping_draining_and_overflow() -> None:
    st = MpsPaStation()
    total0 = st.read()["total_water"]
    saw_overflow = saw_drain = False
    st.write("level_mode", 0)
    for cycle in range(6):
        st.write("level_out", 100.0)  # fill to overflow
        st.write("V102_cmd", 0)
        for r in run(st, 400.0, dt=0.5):
            saw_overflow |= r["overflow_flow"] > 0.5 and r["S112_overflow"] == 1.0
        st.write("V102_cmd", 1)  # drain with the pump off
        st.write("level_out", 0.0 if cycle % 2 else 30.0)
        for r in run(st, 300.0, dt=0.7):
            saw_drain |= r["drain_flow"] > 3.0
            assert r["tank101_volume"] >= 0.0 and r["tank102_volume"] >= 0.0
    assert saw_overflow and saw_drain
    total = st.read()["total_water"]
    assert abs(total - total0) / total0 < 1e-9


def test_pump_cannot_empty_the_lower_tank() -> None:
    # 8 l fits into tank 102 below its overflow: the pump runs tank 101 dry.
    p = replace(MpsPaParams(), initial_lower_volume_l=3.0, drain_cd_area_mm2=0.0)
    st = MpsPaStation(p)
    st.write("level_mode", 0)
    st.write("level_out", 100.0)
    rows = run(st, 300.0, dt=0.5)
    assert min(r["tank101_volume"] for r in rows) >= 0.0
    end = rows[-1]
    assert end["B102_flow"] < 0.01  # lost suction
    assert end["tank101_level"] < 100 * p.pump_suction_loss_level_m
    assert end["B113_min"] == 0.0 and end["E104_interlock"] == 1.0
    assert end["E104_power"] == 0.0  # heater interlocked although the loop asks for heat
    assert end["temperature_out"] == 100.0
    assert end["total_water"] == pytest.approx(8.0, rel=1e-12)


def test_upper_tank_drains_to_empty_without_going_negative() -> None:
    st = MpsPaStation()
    st.write("level_mode", 0)
    st.write("level_out", 0.0)
    st.write("V102_cmd", 1)
    rows = run(st, 600.0, dt=1.0)
    assert min(r["tank102_volume"] for r in rows) >= 0.0
    assert rows[-1]["tank102_volume"] < 1e-6
    assert rows[-1]["total_water"] == pytest.approx(9.5, rel=1e-12)
    # Everything is in tank 101 now: max and overflow switches are wet.
    assert rows[-1]["B114_max"] == 1.0 and rows[-1]["S111_overflow"] == 1.0


# --- hydraulics against the analytic steady state --------------------------------------------


@pytest.mark.parametrize(("speed", "v106", "v102"), [(0.7, 1.0, 1), (0.75, 0.6, 1), (0.5, 1.0, 0)])
def test_steady_level_matches_analytic_solution(speed: float, v106: float, v102: int) -> None:
    """Pump flow = Torricelli outflow with both levels tied by the water inventory.

    ``p0 s² = ρg(z_in − h101) + R·q²``, ``q² = (CdA)²·2g·h102``, ``h101 = (W − A102 h102)/A101``
    is linear in h102: ``h102 = (p0 s² − ρg z_in + ρg W/A101) / (2g CdA² R + ρg A102/A101)``.
    """
    p = MpsPaParams()
    p0 = p.pump_shutoff_pressure_mbar * 100.0
    q_free = p.pump_free_flow_l_min / 1000.0 / 60.0
    q5 = 5.0 / 1000.0 / 60.0
    kv = p.v106_kv_m3_h / 3600.0 * v106 / math.sqrt(1e5)  # m³/s per √Pa
    r_tot = p0 / q_free**2 + p.line_loss_mbar_at_5_l_min * 100.0 / q5**2 + 1.0 / kv**2
    cda = (p.drain_cd_area_mm2 + v102 * p.v102_cd_area_mm2) * 1e-6
    w = (p.initial_lower_volume_l + p.initial_upper_volume_l) / 1000.0
    a_low, a_up = p.lower_tank_area_m2, p.upper_tank_area_m2
    h_up = (p0 * speed**2 - RHO * G * p.upper_inlet_elevation_m + RHO * G * w / a_low) / (
        2 * G * cda**2 * r_tot + RHO * G * a_up / a_low
    )
    assert 0.02 < h_up < p.upper_overflow_height_m  # the formula's assumptions hold
    q = cda * math.sqrt(2 * G * h_up)

    st = MpsPaStation(p)
    st.write("level_mode", 0)
    st.write("level_out", 100.0 * speed)
    st.write("V106_opening", 100.0 * v106)
    st.write("V102_cmd", v102)
    r = run(st, 2400.0, dt=1.0)[-1]
    assert r["B101_level"] == pytest.approx(100.0 * h_up, abs=1e-5)
    assert r["B102_flow"] == pytest.approx(q * 60000.0, rel=1e-6)
    # The vessel sees the static lift plus the friction downstream of it.
    r_down = p.line_loss_mbar_at_5_l_min * 100.0 / q5**2 + 1.0 / kv**2
    p_vessel = RHO * G * p.upper_inlet_elevation_m + r_down * q**2
    assert r["B103_pressure"] == pytest.approx(p_vessel / 100.0, rel=1e-6)


def test_pump_below_static_lift_delivers_nothing() -> None:
    st = MpsPaStation(replace(MpsPaParams(), drain_cd_area_mm2=0.0))  # levels stay put
    st.write("level_mode", 0)
    st.write("level_out", 30.0)  # 0.09 * 350 mbar < ~60 mbar of lift
    r = run(st, 40.0)[-1]
    assert r["B102_flow"] == 0.0
    # Dead-heading: the vessel holds the pump's shut-off pressure plus the suction head.
    assert r["B103_pressure"] == pytest.approx(0.09 * 350.0 + r["tank101_level"] * RHO * G / 1e4)


def test_closed_v106_dead_heads_the_pump() -> None:
    st = MpsPaStation()
    st.write("level_mode", 0)
    st.write("level_out", 100.0)
    st.write("V106_opening", 0.0)
    r = run(st, 30.0)[-1]
    assert r["B102_flow"] == 0.0
    assert 350.0 < r["B103_pressure"] < 400.0


# --- thermal ---------------------------------------------------------------------------------


def quiet_station(**changes: float) -> MpsPaStation:
    """No heat losses, no drain, pump stopped after 30 s; temperature loop manual at 0 %."""
    p = replace(MpsPaParams(), lower_ua_w_k=0.0, upper_ua_w_k=0.0, drain_cd_area_mm2=0.0)
    st = MpsPaStation(replace(p, **changes))
    st.write("level_mode", 0)
    st.write("level_out", 0.0)
    st.write("temperature_mode", 0)
    st.write("temperature_out", 0.0)
    run(st, 30.0, dt=0.1)
    assert st.read()["B102_flow"] == 0.0
    return st


@pytest.mark.parametrize("cycle_s", [10.0, 0.0])
def test_heating_rate_equals_power_over_heat_capacity(cycle_s: float) -> None:
    st = quiet_station(heater_cycle_s=cycle_s)
    r0 = st.read()
    st.write("temperature_out", 100.0)
    r1 = run(st, 120.0, dt=0.1)[-1]
    mass = RHO * r0["tank101_volume"] / 1000.0
    expected = 1000.0 * 120.0 / (mass * 4182.0)
    assert r1["B104_temperature"] - r0["B104_temperature"] == pytest.approx(expected, rel=1e-9)
    assert r1["tank102_temperature"] == r0["tank102_temperature"]


def test_time_proportioning_delivers_the_duty_on_average() -> None:
    st = quiet_station()  # 30 s done: a 10 s relay cycle starts now
    r0 = st.read()
    st.write("temperature_out", 35.0)
    relay = []
    for _ in range(1200):
        st.step(0.1)
        relay.append(st.read()["E104_on"])
    r1 = st.read()
    mass = RHO * r0["tank101_volume"] / 1000.0
    expected = 0.35 * 1000.0 * 120.0 / (mass * 4182.0)
    assert r1["B104_temperature"] - r0["B104_temperature"] == pytest.approx(expected, rel=1e-9)
    assert sum(relay) == pytest.approx(0.35 * len(relay), abs=12)  # it is a relay: 0/1
    assert set(relay) == {0.0, 1.0}


def test_enthalpy_balance_closes_with_flows() -> None:
    p = replace(MpsPaParams(), lower_ua_w_k=0.0, upper_ua_w_k=0.0, heater_cycle_s=0.0)
    st = MpsPaStation(p)
    st.write("V102_cmd", 1)
    st.write("temperature_mode", 0)
    st.write("temperature_out", 60.0)

    def enthalpy(r: dict[str, float]) -> float:
        return (
            RHO
            * 4182.0
            / 1000.0
            * (r["tank101_volume"] * r["B104_temperature"] + r["tank102_volume"] * r["tank102_temperature"])
        )

    h0 = enthalpy(st.read())
    rows = run(st, 600.0, dt=0.5)
    assert rows[-1]["tank102_temperature"] > 25.0  # heat reached tank 102 with the flow
    assert enthalpy(rows[-1]) - h0 == pytest.approx(0.6 * 1000.0 * 600.0, rel=1e-6)


def test_heat_loss_relaxes_to_ambient() -> None:
    p = replace(MpsPaParams(), initial_temperature_c=40.0)
    st = MpsPaStation(p)
    st.write("temperature_mode", 0)
    st.write("temperature_out", 0.0)
    r = run(st, 1800.0, dt=1.0)[-1]
    assert 20.0 < r["B104_temperature"] < 39.0
    assert 20.0 < r["tank102_temperature"] < 39.0


# --- control loops ---------------------------------------------------------------------------


def test_level_loop_step_response() -> None:
    st = MpsPaStation()
    st.write("level_sp", 20.0)
    levels = [r["B101_level"] for r in run(st, 300.0, dt=0.1)]
    assert settle_time(levels, 20.0, 0.2, 0.1) < 40.0
    assert max(levels) < 20.3
    assert levels[-1] == pytest.approx(20.0, abs=1e-3)


def test_level_loop_rejects_v102_disturbance() -> None:
    st = MpsPaStation()
    st.write("V102_cmd", 1)
    rows = run(st, 300.0, dt=0.5)
    levels = [r["B101_level"] for r in rows]
    assert min(levels) > 13.5
    assert settle_time(levels, 15.0, 0.2, 0.5) < 120.0
    assert rows[-1]["P101_speed"] > 75.0


def open_v102_steady() -> MpsPaStation:
    st = MpsPaStation()
    st.write("V102_cmd", 1)
    run(st, 300.0)
    return st


def test_flow_loop_step_response() -> None:
    st = open_v102_steady()
    assert st.read()["B102_flow"] == pytest.approx(6.69, abs=0.05)
    st.write("flow_sp", 4.0)
    st.write("flow_mode", 1)
    flows = [r["B102_flow"] for r in run(st, 120.0, dt=0.1)]
    assert settle_time(flows, 4.0, 0.08, 0.1) < 25.0
    assert flows[-1] == pytest.approx(4.0, abs=0.01)


def test_pressure_loop_step_response() -> None:
    st = open_v102_steady()
    st.write("pressure_sp", 150.0)
    st.write("pressure_mode", 1)
    pressures = [r["B103_pressure"] for r in run(st, 120.0, dt=0.1)]
    assert settle_time(pressures, 150.0, 3.0, 0.1) < 25.0
    assert pressures[-1] == pytest.approx(150.0, abs=0.05)


def test_temperature_loop_step_response() -> None:
    st = MpsPaStation()
    temps = [r["B104_temperature"] for r in run(st, 1800.0, dt=1.0)]
    assert settle_time(temps, 30.0, 0.3, 1.0) < 900.0
    assert max(temps) < 30.5
    assert temps[-1] == pytest.approx(30.0, abs=0.1)


def test_loops_are_stable_at_one_second_steps() -> None:
    st = MpsPaStation()
    st.write("level_sp", 20.0)
    rows = run(st, 200.0, dt=1.0)
    assert rows[-1]["B101_level"] == pytest.approx(20.0, abs=0.01)
    st.write("V102_cmd", 1)
    st.write("flow_sp", 5.0)
    st.write("flow_mode", 1)
    rows = run(st, 100.0, dt=1.0)
    assert rows[-1]["B102_flow"] == pytest.approx(5.0, abs=0.01)


def test_manual_mode_honours_the_written_output() -> None:
    st = MpsPaStation()
    st.write("level_mode", 0)
    st.write("level_out", 70.0)
    rows = run(st, 60.0, dt=0.1)
    assert rows[-1]["level_out"] == 70.0
    assert rows[-1]["P101_speed"] == pytest.approx(70.0, abs=1e-6)
    assert rows[-1]["B101_level"] > 18.0  # nobody corrects the rising level
    st.write("temperature_mode", 0)
    st.write("temperature_out", 0.0)
    rows = run(st, 30.0, dt=0.1)
    assert all(r["E104_power"] == 0.0 for r in rows[1:])


def test_pump_arbitration() -> None:
    st = MpsPaStation()
    speed = st.read()["P101_speed"]
    # Flow takes the pump: level drops to manual, holding the pump command.
    st.write("flow_mode", 1)
    r = st.read()
    assert (r["level_mode"], r["flow_mode"], r["pressure_mode"], r["P101_loop"]) == (
        0.0, 1.0, 0.0, 1.0,
    )  # fmt: skip
    assert r["level_out"] == pytest.approx(speed)
    st.write("flow_sp", 3.0)
    run(st, 30.0, dt=0.1)
    r = st.read()
    # Non-owners track the pump command.
    assert r["level_out"] == r["flow_out"] == r["pressure_out"]
    # An output cannot be forced while its loop is in auto.
    with pytest.raises(ValueError, match="manual"):
        st.write("flow_out", 50.0)
    # Writing a manual output takes the pump; the auto loop drops to manual.
    st.write("pressure_out", 55.0)
    r = st.read()
    assert (r["flow_mode"], r["P101_loop"], r["pressure_out"]) == (0.0, 2.0, 55.0)
    run(st, 10.0, dt=0.1)
    assert st.read()["P101_speed"] == pytest.approx(55.0, abs=1e-6)
    assert st.read()["level_out"] == 55.0
    # The temperature loop is independent.
    assert st.read()["temperature_mode"] == 1.0


def test_switching_loops_is_bumpless() -> None:
    st = MpsPaStation()
    run(st, 10.0, dt=0.1)
    r = st.read()
    st.write("flow_sp", r["B102_flow"])
    st.write("flow_mode", 1)
    rows = run(st, 5.0, dt=0.1)
    assert max(abs(x["P101_speed"] - r["P101_speed"]) for x in rows) < 0.05
    st.write("level_mode", 1)  # back to level: no jump either
    rows = run(st, 5.0, dt=0.1)
    assert max(abs(x["P101_speed"] - r["P101_speed"]) for x in rows) < 0.05


def test_v102_travel_and_end_switches() -> None:
    st = MpsPaStation()
    assert (st.read()["S115_closed"], st.read()["S116_open"]) == (1.0, 0.0)
    st.write("V102_cmd", 1)
    rows = run(st, 2.0, dt=0.1)
    assert rows[0]["V102_position"] == pytest.approx(10.0)
    assert (rows[4]["S115_closed"], rows[4]["S116_open"]) == (0.0, 0.0)
    assert rows[9]["V102_position"] == 100.0 and rows[9]["S116_open"] == 1.0


def test_overflow_spills_back_and_trips_s112() -> None:
    st = MpsPaStation()
    st.write("level_mode", 0)
    st.write("level_out", 100.0)
    r = run(st, 600.0)[-1]
    assert r["S112_overflow"] == 1.0
    assert 25.0 < r["B101_level"] < 26.0
    assert r["overflow_flow"] > 0.0
    assert r["B102_flow"] == pytest.approx(r["drain_flow"] + r["overflow_flow"], rel=1e-6)


# --- snapshot / restore ------------------------------------------------------------------------


def scripted(st: MpsPaStation, start: int, stop: int) -> list[dict[str, float]]:
    writes = {
        130: ("V102_cmd", 1),
        200: ("flow_mode", 1),
        260: ("V106_opening", 60.0),
        330: ("level_out", 80.0),
        400: ("temperature_sp", 45.0),
    }
    rows = []
    for i in range(start, stop):
        if i in writes:
            st.write(*writes[i])
        st.step(0.3)
        rows.append(st.read())
    return rows


def test_snapshot_restore_continues_identically() -> None:
    a = MpsPaStation()
    scripted(a, 0, 137)  # mid relay cycle, mid V102 travel
    snap = json.loads(json.dumps(a.snapshot()))
    b = MpsPaStation(replace(MpsPaParams(), heater_power_w=5.0, initial_upper_volume_l=1.0))
    b.restore(snap)
    assert b.params == a.params
    assert b.read() == a.read()
    assert scripted(a, 137, 500) == scripted(b, 137, 500)


def test_restore_rejects_foreign_snapshots() -> None:
    with pytest.raises(ValueError, match="mps_pa"):
        MpsPaStation().restore({"unit_type": "bioreactor"})


def test_params_setter_keeps_state_and_changes_physics() -> None:
    st = MpsPaStation()
    run(st, 10.0)
    before = st.read()
    st.params = replace(st.params, drain_cd_area_mm2=0.0)  # e.g. a blocked drain fault
    assert st.read()["B101_level"] == before["B101_level"]
    assert st.read()["drain_flow"] == 0.0
    r = run(st, 200.0)[-1]
    assert r["P101_speed"] < 45.0  # the loop throttles the pump: nothing leaves the tank


# --- bad input -----------------------------------------------------------------------------


def test_bad_writes_give_clear_errors() -> None:
    st = MpsPaStation()
    with pytest.raises(KeyError, match="level_sp") as e:
        st.write("LIC_sp", 10.0)
    assert "unknown" in str(e.value)
    with pytest.raises(KeyError, match="read-only"):
        st.write("B101_level", 10.0)
    with pytest.raises(ValueError, match=r"level_sp = 40.0 is outside the allowed range \[0.0, 25.0\]"):
        st.write("level_sp", 40.0)
    with pytest.raises(ValueError, match=r"\[0.0, 100.0\] %"):
        st.write("V106_opening", -1.0)
    with pytest.raises(ValueError, match="0 or 1"):
        st.write("level_mode", 0.5)
    with pytest.raises(ValueError, match="0 or 1"):
        st.write("V102_cmd", 2)
    with pytest.raises(ValueError, match="finite"):
        st.write("flow_sp", float("nan"))
    with pytest.raises(ValueError, match="manual"):
        st.write("level_out", 50.0)
    with pytest.raises(ValueError, match="dt_s"):
        st.step(0.0)
    # Nothing of the above changed the state.
    assert st.read() == MpsPaStation().read()


def test_invalid_params_are_refused() -> None:
    with pytest.raises(ValueError, match="exceeds tank 101"):
        MpsPaParams(initial_lower_volume_l=6.0)
    with pytest.raises(ValueError, match="pump_free_flow_l_min must be > 0"):
        MpsPaParams(pump_free_flow_l_min=0.0)
    with pytest.raises(ValueError, match="above the overflow"):
        MpsPaParams(initial_lower_volume_l=0.5, initial_upper_volume_l=9.5)
