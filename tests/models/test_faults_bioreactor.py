"""Fault hooks of the bioreactor: disturbances and actuator faults against the physics.

Most tests start from a 60 h state (fed phase: glucose-limited, DO held at 30 % by the
agitation, the jacket cooling away the metabolic heat), apply the fault, check its physical
effect, clear it and check that the nominal behaviour returns.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from models.bioreactor import LEAK_MIN_VOLUME_L, Bioreactor, BioreactorParams, FeedRecipe


@pytest.fixture(scope="module")
def snap60() -> dict[str, Any]:
    br = Bioreactor()
    br.simulate(60 * 3600.0, dt_s=10.0, record_every=10**9)
    return json.loads(json.dumps(br.snapshot()))


def at(snap: dict[str, Any]) -> Bioreactor:
    br = Bioreactor()
    br.restore(snap)
    return br


def run(br: Bioreactor, seconds: float, dt: float = 1.0) -> list[dict[str, float]]:
    out = []
    for _ in range(round(seconds / dt)):
        br.step(dt)
        out.append(br.read())
    return out


def glucose_in_minus_out(br: Bioreactor) -> float:
    """Initial + fed glucose minus (in the broth + consumed + harvested + leaked), g: 0 if it closes."""
    p, r = br.params, br.read()
    g_in = p.initial_glucose_g_l * p.initial_volume_l + r["glucose_fed_total"]
    g_out = br._m_s + r["glucose_consumed_total"] + r["glucose_harvested_total"] + r["glucose_leaked_total"]
    return g_in - g_out


def test_fault_names_ranges_and_position_tags() -> None:
    br = Bioreactor()
    assert set(br.DISTURBANCES) == {
        "fouling.jacket", "fouling.kla", "contamination", "feed_concentration", "leak", "heater_failure",
        "raman_out_of_calibration",
    }  # fmt: skip
    assert set(br.ACTUATORS) == {"jacket_valve", "base_pump", "agitator", "feed_pump"}
    spec = br.DISTURBANCES["feed_concentration"]
    assert (spec.lo, spec.hi, spec.nominal) == (-0.9, 1.0, 0.0)
    assert (br.DISTURBANCES["leak"].unit, br.DISTURBANCES["leak"].hi) == ("l/h", 0.5)
    assert br.disturbances.active() == {} and br.actuators.active() == {}
    specs = {s.name: s for s in br.tag_specs()}
    r = br.read()
    for position, command in [
        ("jacket_valve_position", "temperature_out"), ("base_pump_position", "ph_out"),
        ("agitator_position", "do_out"), ("feed_pump_position", "feed_out"),
    ]:  # fmt: skip
        s, c = specs[position], specs[command]
        assert s.kind == "state" and not s.writable
        assert (s.unit, s.lo, s.hi) == (c.unit, c.lo, c.hi)
        assert r[position] == r[command]
    assert specs["leak_total"].kind == specs["glucose_leaked_total"].kind == "state"


# --- actuators --------------------------------------------------------------------------------


def test_stuck_jacket_valve_holds_the_temperature_while_the_controller_moves(snap60: dict[str, Any]) -> None:
    br = at(snap60)
    run(br, 10.0)
    u0 = br.read()["jacket_valve_position"]
    br.actuators.set("jacket_valve", stuck=True)
    br.write("temperature_sp", 27.0)
    rows = run(br, 900.0)
    assert all(r["jacket_valve_position"] == u0 for r in rows)
    assert rows[-1]["temperature_out"] > 50.0  # asks for heat ...
    assert abs(rows[-1]["temperature"] - 25.0) < 0.1  # ... and gets none
    br.actuators.clear("jacket_valve")
    end = run(br, 900.0)[-1]
    assert end["temperature"] == pytest.approx(27.0, abs=0.1)
    assert end["jacket_valve_position"] == end["temperature_out"]


def test_stuck_base_pump_lets_the_ph_stay_while_the_controller_saturates(snap60: dict[str, Any]) -> None:
    br = at(snap60)
    run(br, 10.0)
    r0 = br.read()
    br.actuators.set("base_pump", stuck=True)
    br.write("ph_sp", 6.8)
    rows = run(br, 1200.0, dt=2.0)
    assert all(r["base_pump_position"] == r0["base_pump_position"] for r in rows)
    assert all(r["base_flow"] == pytest.approx(r0["base_flow"], rel=1e-12) for r in rows)
    assert rows[-1]["ph_out"] == 100.0
    assert rows[-1]["ph"] < 6.55
    br.actuators.clear()
    end = run(br, 1800.0, dt=2.0)[-1]
    assert end["ph"] == pytest.approx(6.8, abs=0.03)


def test_stuck_agitator_keeps_its_speed_and_do_misses_a_new_setpoint(snap60: dict[str, Any]) -> None:
    br = at(snap60)
    run(br, 10.0)
    n0 = br.read()["agitation"]
    br.actuators.set("agitator", stuck=True)
    br.write("do_sp", 40.0)
    rows = run(br, 300.0)
    assert max(abs(r["agitation"] - n0) for r in rows) < 1e-9
    assert all(r["agitator_position"] == rows[0]["agitator_position"] for r in rows)
    assert rows[-1]["do_out"] > n0 + 50.0
    assert rows[-1]["do"] < 31.0
    br.actuators.clear("agitator")
    end = run(br, 300.0)[-1]
    assert end["do"] == pytest.approx(40.0, abs=1.0)
    assert end["agitation"] > n0 + 20.0


def test_stuck_and_sticking_feed_pump(snap60: dict[str, Any]) -> None:
    br = at(snap60)
    run(br, 10.0)
    rate = br.read()["feed_flow"]
    br.write("feed_mode", 0)
    br.actuators.set("feed_pump", stuck=True)
    br.write("feed_out", 0.2)
    rows = run(br, 60.0)
    assert all(r["feed_out"] == 0.2 and r["feed_flow"] == r["feed_pump_position"] == rate for r in rows)
    br.actuators.set("feed_pump", deadband=0.05)  # sticking: moves only past 0.05 l/h
    br.write("feed_out", rate + 0.04)
    br.step(1.0)
    assert br.read()["feed_flow"] == rate
    br.write("feed_out", 0.2)
    br.step(1.0)
    assert br.read()["feed_flow"] == 0.2
    br.actuators.clear()
    br.write("feed_out", 0.19)
    br.step(1.0)
    assert br.read()["feed_flow"] == 0.19


# --- disturbances -------------------------------------------------------------------------------


def test_jacket_fouling_lowers_heat_transfer_and_the_loop_cools_harder(snap60: dict[str, Any]) -> None:
    br = at(snap60)
    r0 = run(br, 10.0)[-1]
    ua = br.params.jacket_ua_w_k
    assert r0["heat_jacket"] == pytest.approx(ua * (r0["temperature"] - r0["jacket_temperature"]), rel=1e-12)
    br.disturbances.set("fouling.jacket", 0.5)
    r = run(br, 1.0)[-1]  # half the heat flow for the same temperature difference
    assert r["heat_jacket"] == pytest.approx(0.5 * ua * (r["temperature"] - r["jacket_temperature"]), rel=1e-12)
    assert r["heat_jacket"] == pytest.approx(0.5 * r0["heat_jacket"], rel=0.02)
    end = run(br, 1800.0)[-1]
    assert end["temperature"] == pytest.approx(25.0, abs=0.02)
    assert end["temperature"] - end["jacket_temperature"] > 1.8 * (r0["temperature"] - r0["jacket_temperature"])
    assert end["temperature_out"] < r0["temperature_out"] - 0.03  # more cooling water
    br.disturbances.reset("fouling.jacket")
    r = run(br, 1.0)[-1]
    assert r["heat_jacket"] == pytest.approx(ua * (r["temperature"] - r["jacket_temperature"]), rel=1e-12)


def test_kla_fouling_lowers_kla_and_the_do_loop_speeds_the_agitator_up(snap60: dict[str, Any]) -> None:
    br = at(snap60)
    r0 = run(br, 10.0)[-1]
    br.disturbances.set("fouling.kla", 0.5)
    r = run(br, 1.0)[-1]
    clean = br._kla_per_s(r["agitation"], r["aeration_flow"], r["pressure"], r["temperature"], r["volume"])[0]
    assert r["kla"] == pytest.approx(0.5 * 3600.0 * clean, rel=1e-12)
    assert r["kla"] == pytest.approx(0.5 * r0["kla"], rel=0.01)
    end = run(br, 600.0)[-1]
    assert end["do"] == pytest.approx(30.0, abs=0.5)
    assert end["agitation"] > r0["agitation"] + 100.0
    br.disturbances.reset()
    end = run(br, 900.0)[-1]
    assert end["agitation"] == pytest.approx(r0["agitation"], abs=15.0)


def test_kla_fouling_with_fixed_agitation_drops_the_do(snap60: dict[str, Any]) -> None:
    a, b = at(snap60), at(snap60)
    for br in (a, b):
        br.write("do_mode", 0)
    b.disturbances.set("fouling.kla", 0.5)
    ra, rb = run(a, 600.0, dt=2.0)[-1], run(b, 600.0, dt=2.0)[-1]
    assert rb["do"] < 5.0 < 20.0 < ra["do"]
    b.disturbances.reset("fouling.kla")
    ra, rb = run(a, 2400.0, dt=2.0)[-1], run(b, 2400.0, dt=2.0)[-1]
    assert rb["do"] == pytest.approx(ra["do"], abs=1.0)  # the glucose it left unused is used up by now


def test_contamination_lowers_mu_and_glucose_accumulates(snap60: dict[str, Any]) -> None:
    a, b = at(snap60), at(snap60)
    b.disturbances.set("contamination", 0.5)
    ra, rb = run(a, 1.0)[-1], run(b, 1.0)[-1]
    assert rb["mu"] == pytest.approx(0.5 * ra["mu"], rel=0.01)
    ra, rb = run(a, 7200.0, dt=10.0)[-1], run(b, 7200.0, dt=10.0)[-1]
    assert rb["glucose"] > 2.0 * ra["glucose"]  # the culture no longer keeps up with the feed
    assert rb["biomass"] < ra["biomass"]
    assert glucose_in_minus_out(b) == pytest.approx(0.0, abs=1e-6)
    b.disturbances.reset()
    run(a, 7200.0, dt=10.0)
    rb = run(b, 7200.0, dt=10.0)[-1]
    assert rb["glucose"] == pytest.approx(a.read()["glucose"], rel=0.1)  # back to glucose-limited growth


@pytest.mark.parametrize("error", [-0.5, 1.0])
def test_feed_concentration_error_changes_the_glucose_fed_and_in_the_broth(
    snap60: dict[str, Any], error: float
) -> None:
    a, b = at(snap60), at(snap60)
    b.disturbances.set("feed_concentration", error)
    g0 = a.read()["glucose_fed_total"]
    ra, rb = run(a, 7200.0, dt=10.0)[-1], run(b, 7200.0, dt=10.0)[-1]
    assert rb["feed_flow"] == ra["feed_flow"]  # same volume, other concentration
    assert rb["glucose_fed_total"] - g0 == pytest.approx((1.0 + error) * (ra["glucose_fed_total"] - g0), rel=1e-9)
    assert (rb["glucose"] > 2.0 * ra["glucose"]) if error > 0 else (rb["glucose"] < 0.5 * ra["glucose"])
    assert (rb["biomass"] > ra["biomass"]) == (error > 0)
    assert glucose_in_minus_out(b) == pytest.approx(0.0, abs=1e-6)
    b.disturbances.reset()
    ga, gb = ra["glucose_fed_total"], rb["glucose_fed_total"]
    ra, rb = run(a, 3600.0, dt=10.0)[-1], run(b, 3600.0, dt=10.0)[-1]
    assert rb["glucose_fed_total"] - gb == pytest.approx(ra["glucose_fed_total"] - ga, rel=1e-12)


def test_leak_drops_volume_and_weight_and_the_balances_still_close(snap60: dict[str, Any]) -> None:
    a, b = at(snap60), at(snap60)
    b.disturbances.set("leak", 0.5)
    ra, rb = run(a, 7200.0, dt=10.0)[-1], run(b, 7200.0, dt=10.0)[-1]
    assert rb["leak_total"] == pytest.approx(1.0, rel=1e-12)
    assert ra["volume"] - rb["volume"] == pytest.approx(1.0, abs=0.01)  # (feed and base shift a little)
    p = b.params
    assert rb["weight"] == pytest.approx(rb["volume"] * p.broth_density_kg_l, rel=1e-12)
    v_expected = (
        p.initial_volume_l + rb["feed_total"] + rb["base_total"] - rb["evaporated_total"] - rb["harvest_total"]
        - rb["leak_total"]
    )  # fmt: skip
    assert rb["volume"] == pytest.approx(v_expected, rel=1e-12)
    assert rb["harvest_total"] == 0.0 and rb["glucose_leaked_total"] > 0.0
    assert glucose_in_minus_out(b) == pytest.approx(0.0, abs=1e-6)
    # Broth leaves at its composition: the concentrations hardly notice.
    assert rb["biomass"] == pytest.approx(ra["biomass"], rel=0.01)
    b.disturbances.reset("leak")
    run(b, 600.0, dt=10.0)
    assert b.read()["leak_total"] == rb["leak_total"]


def test_leak_with_continuous_harvest_keeps_both_totals_apart() -> None:
    p = BioreactorParams(continuous_harvest=True, recipe=FeedRecipe.from_steps([(10.0, 0.2)]))
    br = Bioreactor(p)
    br.disturbances.set("leak", 0.3)
    r = run(br, 4 * 3600.0, dt=10.0)[-1]
    assert r["leak_total"] == pytest.approx(1.2, rel=1e-12) and r["harvest_total"] > 0.5
    assert r["harvest_total"] == pytest.approx(r["feed_total"] + r["base_total"] - r["evaporated_total"], rel=1e-12)
    assert r["volume"] == pytest.approx(p.initial_volume_l - 1.2, rel=1e-12)
    assert glucose_in_minus_out(br) == pytest.approx(0.0, abs=1e-6)


def test_leak_stops_at_the_minimum_volume() -> None:
    br = Bioreactor(BioreactorParams(initial_volume_l=LEAK_MIN_VOLUME_L + 0.1))
    br.disturbances.set("leak", 0.5)
    rows = run(br, 3600.0, dt=10.0)
    assert min(r["volume"] for r in rows) > LEAK_MIN_VOLUME_L - 0.01
    assert rows[-1]["leak_total"] < 0.15


def test_heater_failure_stops_the_jacket_heating() -> None:
    # At inoculation there is little metabolic heat: a higher setpoint needs hot water.
    ok, half, failed = Bioreactor(), Bioreactor(), Bioreactor()
    half.disturbances.set("heater_failure", 0.5)
    failed.disturbances.set("heater_failure", 1.0)
    for br in (ok, half, failed):
        br.write("temperature_sp", 28.0)
    r_ok, r_half = run(ok, 120.0)[-1], run(half, 120.0)[-1]
    rows = run(failed, 1800.0)
    assert r_ok["temperature"] > r_half["temperature"] + 0.3 > 25.0 + 0.3  # half the hot water heats more slowly
    end = rows[-1]
    assert end["temperature_out"] == end["jacket_valve_position"] == 100.0  # valve wide open ...
    assert end["temperature"] < 25.1 and end["heat_jacket"] > -1.0  # ... but no heat comes
    # The cooling side still works (though nothing can heat an undershoot back).
    failed.write("temperature_sp", 22.0)
    rows = run(failed, 1200.0)
    assert rows[-1]["temperature"] < 21.8 and rows[-1]["temperature_out"] > 20.0
    failed.disturbances.reset()
    failed.write("temperature_sp", 28.0)
    assert run(failed, 1800.0)[-1]["temperature"] == pytest.approx(28.0, abs=0.1)


# --- batch generation and snapshots ------------------------------------------------------------------


def test_simulate_honours_disturbances_and_actuator_faults(snap60: dict[str, Any]) -> None:
    a, b = at(snap60), at(snap60)
    for br in (a, b):
        br.disturbances.set("contamination", 0.4)
        br.disturbances.set("fouling.kla", 0.3)
        br.disturbances.set("fouling.jacket", 0.2)
        br.disturbances.set("leak", 0.2)
        br.actuators.set("jacket_valve", stuck=True)
    data = a.simulate(1800.0, dt_s=2.0, record_every=150)
    rows = []
    for _ in range(6):
        for _ in range(150):
            b.step(2.0)
        rows.append(b.read())
    for name in rows[0]:
        np.testing.assert_allclose(data[name], [r[name] for r in rows], rtol=1e-12, atol=1e-12, err_msg=name)
    assert np.all(data["jacket_valve_position"] == data["jacket_valve_position"][0])
    # kLa is 30 % below van 't Riet's at the agitation reached, so the DO loop needs more of it.
    r = rows[-1]
    clean = a._kla_per_s(r["agitation"], r["aeration_flow"], r["pressure"], r["temperature"], r["volume"])[0]
    assert r["kla"] == pytest.approx(0.7 * 3600.0 * clean, rel=1e-12)
    nominal = at(snap60).simulate(1800.0, dt_s=2.0, record_every=150)
    assert np.all(data["agitation"] > nominal["agitation"] + 10.0)
    assert np.all(data["leak_total"] > 0.0) and np.all(data["volume"] < nominal["volume"])


def test_snapshot_restore_keeps_faults_and_continues_identically(snap60: dict[str, Any]) -> None:
    a = at(snap60)
    a.disturbances.set("fouling.jacket", 0.3)
    a.disturbances.set("leak", 0.2)
    a.actuators.set("base_pump", stuck=True)
    a.actuators.set("agitator", deadband=20.0)
    a.write("feed_mode", 0)
    a.write("feed_out", 0.1)
    run(a, 600.0)
    snap = json.loads(json.dumps(a.snapshot()))  # through JSON, as the runtime stores it
    b = Bioreactor()
    b.restore(snap)
    assert b.read() == a.read()
    assert b.disturbances.active() == {"fouling.jacket": 0.3, "leak": 0.2}
    assert set(b.actuators.active()) == {"base_pump", "agitator"}
    for _ in range(1800):
        a.step(1.0)
        b.step(1.0)
    assert a.read() == b.read()
    assert a.snapshot() == b.snapshot()


def test_restore_of_a_snapshot_without_faults_clears_them(snap60: dict[str, Any]) -> None:
    old = {k: v for k, v in snap60.items() if k not in ("disturbances", "actuators", "positions", "leak")}
    a, b = at(snap60), Bioreactor()
    b.disturbances.set("contamination", 0.5)
    b.actuators.set("feed_pump", stuck=True)
    b.restore(old)
    assert b.disturbances.active() == {} and b.actuators.active() == {}
    assert b.read() == a.read()
    for _ in range(1800):
        a.step(1.0)
        b.step(1.0)
    assert a.read() == b.read()
