"""Fluid-bed dryer: wet-bulb plateau, balances, falling rate, NIR error, end-point, control, validation."""

from __future__ import annotations

import json
import statistics

import pytest

from models.dryer import DryerRecipe, DryerStep, FluidBedDryer, FluidBedDryerParams, lod_from_x, x_from_lod
from models.steam import adiabatic_saturation_temperature_c, latent_heat_kj_kg
from models.unit import Unit

ONE_BATCH = FluidBedDryerParams(repeat_interval_min=0.0)


def run(d: FluidBedDryer, seconds: float, dt: float = 1.0) -> list[dict[str, float]]:
    rows = []
    for _ in range(round(seconds / dt)):
        d.step(dt)
        rows.append(d.read())
    return rows


def test_lod_conversions() -> None:
    assert lod_from_x(0.25) == pytest.approx(20.0)
    assert x_from_lod(20.0) == pytest.approx(0.25)
    assert lod_from_x(x_from_lod(2.0)) == pytest.approx(2.0)


def test_constant_rate_period_product_at_wet_bulb_and_energy_balance() -> None:
    p = ONE_BATCH
    d = FluidBedDryer(p)
    assert isinstance(d, Unit)
    rows = run(d, 900.0)
    r = rows[-1]
    assert r["product_lod"] > p.critical_lod_pct  # still in the constant-rate period
    wet_bulb = adiabatic_saturation_temperature_c(r["inlet_air_temperature"], p.inlet_humidity_g_kg / 1000)
    assert r["product_temperature"] == pytest.approx(wet_bulb, abs=0.5)
    assert r["exhaust_air_temperature"] < r["inlet_air_temperature"] - 30.0  # evaporative cooling
    # Heat given up by the air = latent heat of the water evaporated (+ small bowl losses).
    m_air = r["air_flow"] * 1.2 / 3600
    q_air_kw = (
        m_air
        * (1.006 + 1.86 * p.inlet_humidity_g_kg / 1000)
        * (r["inlet_air_temperature"] - r["exhaust_air_temperature"])
    )
    q_evap_kw = r["evaporation_rate"] / 3600 * latent_heat_kj_kg(r["product_temperature"])
    q_loss_kw = p.heat_loss_w_k * (r["product_temperature"] - p.room_temperature_c) / 1000
    assert q_air_kw == pytest.approx(q_evap_kw + q_loss_kw, rel=0.01)
    # The evaporation rate is steady in this period.
    rates = [row["evaporation_rate"] for row in rows[600:]]
    assert max(rates) - min(rates) < 0.02 * max(rates)


def test_water_balance_closes() -> None:
    p = ONE_BATCH
    d = FluidBedDryer(p)
    for row in run(d, 2400.0, dt=5.0)[::50]:
        water_lost = p.dry_solids_kg * (x_from_lod(p.initial_lod_pct) - x_from_lod(row["product_lod"]))
        assert row["water_evaporated"] == pytest.approx(water_lost, abs=1e-9)


def test_falling_rate_period_heats_product_and_exhaust() -> None:
    d = FluidBedDryer(ONE_BATCH)
    rows = run(d, 2400.0)
    drying = [r for r in rows if r["phase"] == 1.0]
    wet = [r for r in drying if r["product_lod"] > 9.0][-1]
    dry = drying[-1]
    assert dry["product_lod"] < 3.0
    assert dry["product_temperature"] > wet["product_temperature"] + 8.0
    assert dry["exhaust_air_temperature"] > wet["exhaust_air_temperature"] + 8.0
    assert dry["evaporation_rate"] < 0.7 * wet["evaporation_rate"]
    assert dry["exhaust_humidity"] < wet["exhaust_humidity"]


def test_end_point_on_nir_switches_the_heater_off() -> None:
    d = FluidBedDryer(ONE_BATCH)
    rows = run(d, 3600.0)
    end = next(i for i, r in enumerate(rows) if r["phase"] == 2.0)
    r = rows[end]
    assert r["nir_lod"] <= 2.0 and r["batches_completed"] == 1.0
    assert r["product_lod"] == pytest.approx(2.0, abs=3 * 0.2 + 0.3)  # within the analyser's error
    assert r["heater_out"] == 0.0 and r["heater_power"] == 0.0 and r["inlet_temperature_mode"] == 0.0
    assert all(row["phase"] == 2.0 for row in rows[end:])
    assert rows[-1]["inlet_air_temperature"] < 22.0  # room air only: cooling the product
    assert rows[-1]["drying_time"] == pytest.approx(end / 60 + 1 / 60, abs=0.02)  # stops at the end-point
    assert 15.0 < rows[-1]["drying_time"] < 60.0


def test_nir_error_statistics_and_scan_period() -> None:
    p = FluidBedDryerParams(seed=4, nir_sd_pct=0.2, nir_bias_pct=0.1, nir_scan_interval_s=20.0, target_lod_pct=0.5)
    d = FluidBedDryer(p)
    rows = run(d, 1400.0, dt=20.0)  # one scan at the end of every step, in the constant-rate period
    residuals = [r["nir_lod"] - r["product_lod"] for r in rows]
    assert rows[-1]["nir_scans"] == len(rows)
    assert statistics.mean(residuals) == pytest.approx(0.1, abs=0.06)
    assert statistics.stdev(residuals) == pytest.approx(0.2, rel=0.25)
    held = FluidBedDryer(p)
    values = [r["nir_lod"] for r in run(held, 19.0)]
    assert len(set(values)) == 1  # held between scans


def test_consecutive_scans_delay_the_end_point() -> None:
    one = run(FluidBedDryer(FluidBedDryerParams(seed=2, repeat_interval_min=0.0)), 3600.0, dt=5.0)
    three = run(FluidBedDryer(FluidBedDryerParams(seed=2, repeat_interval_min=0.0, endpoint_scans=3)), 3600.0, dt=5.0)
    end1 = next(i for i, r in enumerate(one) if r["phase"] == 2.0)
    end3 = next(i for i, r in enumerate(three) if r["phase"] == 2.0)
    assert end3 > end1


def test_inlet_temperature_pid_settles_after_a_setpoint_step() -> None:
    d = FluidBedDryer(FluidBedDryerParams(initial_lod_pct=40.0, critical_lod_pct=30.0))
    rows = run(d, 600.0)
    assert abs(rows[-1]["inlet_air_temperature"] - 65.0) < 0.2
    d.write("inlet_temperature_sp", 75.0)
    rows = run(d, 600.0)
    temps = [r["inlet_air_temperature"] for r in rows]
    assert max(temps) < 75.0 + 2.0  # little overshoot
    assert all(abs(t - 75.0) < 0.3 for t in temps[-120:])  # settled
    d.write("inlet_temperature_mode", 0)
    d.write("heater_out", 10.0)
    rows = run(d, 400.0)
    assert rows[-1]["inlet_air_temperature"] < 50.0 and rows[-1]["heater_out"] == 10.0


def test_recipe_steps_change_the_setpoints() -> None:
    d = FluidBedDryer(FluidBedDryerParams(autostart=False, repeat_interval_min=0.0))
    recipe = DryerRecipe((DryerStep(50.0, 250.0, 5.0), DryerStep(70.0, 350.0, 10.0)), target_lod_pct=3.0)
    d.load_recipe(recipe)
    d.write("cycle_cmd", 1)
    r = run(d, 240.0)[-1]
    assert (r["inlet_temperature_sp"], r["air_flow_sp"], r["target_lod_sp"]) == (50.0, 250.0, 3.0)
    r = run(d, 120.0)[-1]
    assert (r["inlet_temperature_sp"], r["air_flow_sp"]) == (70.0, 350.0)
    with pytest.raises(ValueError, match="not while drying"):
        d.load_recipe(recipe)
    snap = json.loads(json.dumps(d.snapshot()))
    e = FluidBedDryer()
    e.restore(snap)
    assert e.recipe == recipe


def test_recipe_step_without_duration_is_refused() -> None:
    with pytest.raises(ValueError, match="recipe step 2: duration_min = None; every step needs a duration > 0 min"):
        DryerRecipe.from_dict(
            {
                "steps": [
                    {"inlet_temperature_c": 50, "air_flow_m3_h": 250, "duration_min": 5},
                    {"inlet_temperature_c": 65, "air_flow_m3_h": 300},
                ]
            }
        )
    with pytest.raises(ValueError, match=r"recipe step 1: inlet_temperature_c = 120.0, allowed 30-90 °C"):
        DryerRecipe((DryerStep(120.0, 250.0, 5.0),))
    with pytest.raises(ValueError, match="needs at least one step"):
        DryerRecipe(())


def test_commands_and_batches() -> None:
    d = FluidBedDryer(FluidBedDryerParams(repeat_interval_min=10.0))
    with pytest.raises(ValueError, match="already drying"):
        d.write("cycle_cmd", 1)
    with pytest.raises(ValueError, match="cycle_cmd load: not while drying"):
        d.write("cycle_cmd", 3)
    rows = run(d, 2 * 3600.0, dt=5.0)
    assert rows[-1]["batches_completed"] >= 2  # repeats after 10 min
    d.write("cycle_cmd", 2)
    rows = run(d, 120.0)
    assert rows[-1]["phase"] == 0.0 and rows[-1]["air_flow"] < 1.0
    d.write("cycle_cmd", 3)
    assert d.read()["product_lod"] == pytest.approx(20.0) and d.read()["water_evaporated"] == 0.0


def test_deterministic_and_snapshot_restore_equals_uninterrupted() -> None:
    def series(seed: int) -> list[dict[str, float]]:
        return run(FluidBedDryer(seed=seed), 1200.0, dt=2.0)

    assert series(3) == series(3)
    assert series(3) != series(4)
    a = FluidBedDryer(FluidBedDryerParams(seed=5))
    run(a, 700.0)
    b = FluidBedDryer()
    b.restore(json.loads(json.dumps(a.snapshot())))
    for _ in range(3000):
        a.step(1.0)
        b.step(1.0)
        assert a.read() == b.read()
    with pytest.raises(ValueError, match="not a fluid_bed_dryer snapshot"):
        b.restore({"unit_type": "autoclave", "version": 1})


def test_bad_inputs_name_the_field_and_what_is_allowed() -> None:
    d = FluidBedDryer()
    with pytest.raises(ValueError, match=r"inlet_temperature_sp = 120.0 is outside the allowed range \[30.0, 90.0\]"):
        d.write("inlet_temperature_sp", 120.0)
    with pytest.raises(ValueError, match=r"air_flow_sp = -5.0 is outside the allowed range \[100.0, 600.0\]"):
        d.write("air_flow_sp", -5.0)
    with pytest.raises(ValueError, match="heater_out is writable only in manual mode"):
        d.write("heater_out", 50.0)
    with pytest.raises(KeyError, match="read-only tag 'product_lod'"):
        d.write("product_lod", 1.0)
    with pytest.raises(ValueError, match=r"dry_solids_kg = -1.0 must be >= 0"):
        FluidBedDryerParams(dry_solids_kg=-1.0)
    with pytest.raises(ValueError, match="need equilibrium_lod_pct < critical_lod_pct < initial_lod_pct"):
        FluidBedDryerParams(critical_lod_pct=25.0)
    with pytest.raises(ValueError, match=r"target_lod_pct = 20.0, allowed 0.5-10 %"):
        FluidBedDryerParams(target_lod_pct=20.0)
    with pytest.raises(ValueError, match=r"inlet_temperature_sp_c = 120.0, allowed 30-90 °C"):
        FluidBedDryerParams(inlet_temperature_sp_c=120.0)
    idle = FluidBedDryer(FluidBedDryerParams(autostart=False))
    with pytest.raises(ValueError, match="the heater can go to auto only while drying"):
        idle.write("inlet_temperature_mode", 1)


def test_tags_are_consistent() -> None:
    d = FluidBedDryer()
    specs = {s.name: s for s in d.tag_specs()}
    assert set(specs) == set(d.read())
    assert {n for n, s in specs.items() if s.writable} == {
        "inlet_temperature_sp",
        "inlet_temperature_mode",
        "heater_out",
        "air_flow_sp",
        "target_lod_sp",
        "cycle_cmd",
    }
    assert specs["nir_lod"].kind == "measurement" and specs["nir_lod"].noise_sd == 0.0
    assert specs["product_temperature"].critical
