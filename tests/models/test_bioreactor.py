"""Tests of the fed-batch bioreactor against physics, its control loops and its contract.

Settling criteria of the loop tests, from a 60 h state (measured figures in brackets):
* temperature 25 -> 27 °C: within ±0.1 K after 900 s [170 s], overshoot < 0.3 K [0.10 K]
* temperature 25 -> 23 °C: within ±0.1 K after 1200 s [790 s], overshoot < 0.3 K [0.13 K]
* pH 6.5 -> 6.8 (base): within ±0.02 after 1800 s [1200 s], overshoot < 0.02 [0.003]
* DO 30 -> 40 % (cascade on agitation): within ±1 % after 300 s [61 s], agitation rises
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from models.bioreactor import (
    Bioreactor,
    BioreactorParams,
    FeedRecipe,
    FeedStep,
    cardinal_ph,
    cardinal_temperature,
    indpensim_recipe,
)
from models.pat import PatParams
from models.pid import PidTuning
from models.unit import TagSpec, Unit

BATCH_H = 232.0  # the 230 h recipe and 2 h after it


@pytest.fixture(scope="module")
def batch() -> dict[str, Any]:
    """One default batch at 10 s steps: data every 10 min, the unit, a 60 h snapshot."""
    br = Bioreactor()
    first = br.simulate(60 * 3600.0, dt_s=10.0, record_every=60)
    snap60 = json.loads(json.dumps(br.snapshot()))
    rest = br.simulate((BATCH_H - 60) * 3600.0, dt_s=10.0, record_every=60)
    data = {k: np.concatenate([first[k], rest[k]]) for k in first}
    return {"data": data, "unit": br, "snap60": snap60}


def from_snapshot(snap: dict[str, Any]) -> Bioreactor:
    br = Bioreactor()
    br.restore(snap)
    return br


def run_pv(br: Bioreactor, tag: str, seconds: int) -> np.ndarray:
    out = np.empty(seconds)
    for i in range(seconds):
        br.step(1.0)
        out[i] = br.read()[tag]
    return out


def settle_time(values: np.ndarray, target: float, tol: float) -> int:
    outside = np.nonzero(np.abs(values - target) > tol)[0]
    return int(outside[-1]) + 1 if outside.size else 0


# --- the Unit contract ----------------------------------------------------------------------


def test_implements_unit_protocol_and_tags_are_consistent() -> None:
    br = Bioreactor()
    assert isinstance(br, Unit)
    assert br.unit_type == "bioreactor"
    specs = br.tag_specs()
    assert all(isinstance(s, TagSpec) for s in specs)
    names = [s.name for s in specs]
    assert len(names) == len(set(names))
    for _ in range(600):
        br.step(1.0)
    values = br.read()
    assert list(values) == names
    for s in specs:
        v = values[s.name]
        assert math.isfinite(v), s.name
        assert s.lo <= v <= s.hi or s.name.endswith("_pat"), (s.name, v, s.lo, s.hi)
        if s.kind != "measurement":
            assert s.noise_sd == 0.0, s.name
    kinds = {s.name: s.kind for s in specs}
    for loop in ("temperature", "ph", "do"):
        assert (kinds[f"{loop}_sp"], kinds[f"{loop}_mode"], kinds[f"{loop}_out"]) == ("setpoint", "mode", "output")
    assert kinds["feed_mode"] == "mode" and kinds["feed_out"] == "output"
    for name in ("biomass", "glucose", "titre"):
        assert kinds[name] == "state"
    for name in ("temperature", "ph", "do", "agitation", "weight", "offgas_o2", "glucose_pat", "titre_pat"):
        assert kinds[name] == "measurement"
    assert {s.name for s in specs if s.writable} == {
        "temperature_sp", "temperature_mode", "temperature_out", "ph_sp", "ph_mode", "ph_out", "do_sp",
        "do_mode", "do_out", "feed_mode", "feed_out", "aeration_sp", "pressure_sp",
    }  # fmt: skip


def test_default_batch_is_a_plausible_penicillin_fed_batch(batch: dict[str, Any]) -> None:
    d = batch["data"]
    end = -1
    assert d["time_s"][end] == pytest.approx(BATCH_H * 3600.0)
    # Batch phase: the initial 15 g/l of glucose is used up within 30-50 h.
    t_h = d["time_s"] / 3600.0
    exhausted = t_h[np.argmax((d["glucose"] < 0.1) & (t_h > 20))]
    assert 30.0 < exhausted < 50.0
    # Fed phase: glucose-limited, biomass and titre of IndPenSim's order, DO held at 30 %.
    fed = t_h > 60
    assert d["glucose"][fed].max() < 0.1
    assert 25.0 < d["biomass"][end] < 50.0
    assert 10.0 < d["titre"][end] < 35.0
    assert np.all(np.diff(d["titre"][fed & (t_h < 230)]) > 0)
    assert np.abs(d["do"][(t_h > 55) & (t_h < 160)] - 30.0).max() < 0.5
    assert np.abs(d["temperature"][t_h > 1] - 25.0).max() < 0.05
    assert np.abs(d["ph"][t_h > 1] - 6.5).max() < 0.03
    # The vessel fills from 58 l to 70-80 l, inside its 100 l.
    assert 70.0 < d["volume"][end] < 80.0
    # After the recipe's last step the feed stops.
    assert d["feed_flow"][t_h > 230.01].max() == 0.0
    assert d["recipe_step"][end] == 0.0 and d["recipe_step"][t_h < 229][-1] == 21.0
    # The critical parameters stay inside their normal operating ranges (after start-up).
    specs = {s.name: s for s in batch["unit"].tag_specs()}
    for name in ("temperature", "ph", "do"):
        lo, hi = specs[name].nor or (-math.inf, math.inf)
        assert np.all((d[name][t_h > 1] >= lo) & (d[name][t_h > 1] <= hi)), name
    assert {s.name for s in specs.values() if s.critical} == {"temperature", "ph", "do"}
    # Off-gas: O2 below air, CO2 above, RQ = 1 balance.
    assert np.all(d["offgas_o2"] <= 20.95 + 1e-9) and np.all(d["offgas_co2"] >= 0.04 - 1e-9)


# --- balances ---------------------------------------------------------------------------------


def test_glucose_and_volume_balances_close(batch: dict[str, Any]) -> None:
    br: Bioreactor = batch["unit"]
    p = br.params
    d = batch["data"]
    fed = p.recipe.volume_l(BATCH_H * 3600.0)
    r = br.read()
    # Feed volume integrates the recipe exactly; fed glucose = volume × feed concentration.
    assert r["feed_total"] == pytest.approx(fed, rel=1e-12)
    assert r["glucose_fed_total"] == pytest.approx(fed * p.glucose_feed_g_l, rel=1e-12)
    # Volume: initial + feed + base - evaporation - harvest, at every row.
    v_expected = p.initial_volume_l + d["feed_total"] + d["base_total"] - d["evaporated_total"] - d["harvest_total"]
    np.testing.assert_allclose(d["volume"], v_expected, rtol=1e-12)
    # Glucose: initial + fed = in the broth + consumed + harvested, at every row.
    in_broth = br._m_s  # true mass (the glucose tag is clipped at 0)
    assert p.initial_glucose_g_l * p.initial_volume_l + r["glucose_fed_total"] == pytest.approx(
        in_broth + r["glucose_consumed_total"] + r["glucose_harvested_total"], rel=1e-10
    )
    lhs = p.initial_glucose_g_l * p.initial_volume_l + d["glucose_fed_total"]
    rhs = d["glucose"] * d["volume"] + d["glucose_consumed_total"] + d["glucose_harvested_total"]
    np.testing.assert_allclose(lhs, rhs, rtol=1e-9, atol=1e-6)
    # Weight is the broth mass.
    np.testing.assert_allclose(d["weight"], d["volume"] * p.broth_density_kg_l)
    # The glucose never goes meaningfully negative.
    assert br._m_s > -1e-6


def test_balances_close_with_continuous_harvest() -> None:
    p = BioreactorParams(continuous_harvest=True, recipe=FeedRecipe.from_steps([(10.0, 0.2)]))
    br = Bioreactor(p)
    data = br.simulate(6 * 3600.0, dt_s=5.0, record_every=72)
    r = br.read()
    assert data["volume"] == pytest.approx(p.initial_volume_l, rel=1e-12)  # constant level
    assert r["harvest_total"] > 1.0
    expected = r["feed_total"] + r["base_total"] - r["evaporated_total"]
    assert r["harvest_total"] == pytest.approx(expected, rel=1e-12)
    g_in = p.initial_glucose_g_l * p.initial_volume_l + r["glucose_fed_total"]
    g_out = br._m_s + r["glucose_consumed_total"] + r["glucose_harvested_total"]
    assert g_in == pytest.approx(g_out, rel=1e-10)
    assert r["glucose_harvested_total"] > 0.0


# --- analytic steady states -------------------------------------------------------------------


def test_chemostat_steady_state_matches_monod() -> None:
    """Constant feed with level control: S* = Ks·D/(μ'max − D), X* = Yxs·(Sf,eff − S*).

    Maintenance, death and product formation are off (the textbook chemostat); the DO loop
    holds 30 %, so μ'max = μmax·fT·fpH·DO/(Ko + DO). D is the harvest rate over the volume
    (feed + base − evaporation) and Sf,eff = Sf·F/F_harvest the feed glucose diluted by it.
    """
    v0, dilution = 60.0, 0.05
    feed = dilution * v0
    p = BioreactorParams(
        continuous_harvest=True,
        recipe=FeedRecipe.from_steps([(1000.0, feed)]),
        glucose_feed_g_l=20.0,
        feed_pump_max_l_h=5.0,
        maintenance_g_g_h=0.0,
        death_rate_1_h=0.0,
        qp_max_g_g_h=0.0,
        initial_volume_l=v0,
        initial_biomass_g_l=2.0,
        initial_glucose_g_l=5.0,
    )
    br = Bioreactor(p)
    br.simulate(300 * 3600.0, dt_s=30.0, record_every=10**9)
    r = br.read()
    d_h = r["harvest_flow"] / r["volume"]
    mu_max = (
        p.mu_max_1_h
        * cardinal_temperature(r["temperature"], p.t_min_c, p.t_opt_c, p.t_max_c)
        * cardinal_ph(r["ph"], p.ph_min, p.ph_opt, p.ph_max)
        * r["do"]
        / (p.ko_do_pct + r["do"])
    )
    s_star = p.ks_glucose_g_l * d_h / (mu_max - d_h)
    x_star = p.yxs_g_g * (p.glucose_feed_g_l * feed / r["harvest_flow"] - s_star)
    assert r["do"] == pytest.approx(30.0, abs=1e-3)
    assert d_h == pytest.approx(dilution, rel=0.05)  # base in, water out: close to F/V
    assert r["glucose"] == pytest.approx(s_star, rel=1e-4)
    assert r["biomass"] == pytest.approx(x_star, rel=1e-4)
    assert r["mu"] == pytest.approx(d_h, rel=1e-4)


def test_do_without_cells_relaxes_to_gas_equilibrium_with_kla() -> None:
    """No biomass: DO* = 100 % × (1 atm + head pressure) / 1 atm, approached as exp(−kLa·t)."""
    br = Bioreactor(BioreactorParams(initial_biomass_g_l=0.0, head_pressure_bar_g=0.8))
    assert br.read()["do"] == pytest.approx(100.0 * 1.81325 / 1.01325, rel=1e-12)
    br.write("do_mode", 0)
    br.write("do_out", 400.0)
    br.write("pressure_sp", 0.2)
    for _ in range(20):  # the drive ramps to 400 rpm
        br.step(1.0)
    r0 = br.read()
    equilibrium = 100.0 * 1.21325 / 1.01325
    for _ in range(60):
        br.step(1.0)
    r1 = br.read()
    assert r1["kla"] == pytest.approx(r0["kla"], rel=1e-4)  # the volume creeps with the feed
    kla_per_s = 0.5 * (r0["kla"] + r1["kla"]) / 3600.0
    expected = equilibrium + (r0["do"] - equilibrium) * math.exp(-kla_per_s * 60.0)
    assert r1["do"] == pytest.approx(expected, rel=1e-6)
    for _ in range(3600):
        br.step(1.0)
    assert br.read()["do"] == pytest.approx(equilibrium, rel=1e-9)
    assert br.read()["offgas_o2"] == pytest.approx(20.95, abs=1e-12)


def test_kla_follows_van_t_riet_with_documented_constants() -> None:
    """kLa = 0.026·(Pg/V)^0.4·vs^0.5·f_broth (SI), Pg from Np·ρ·N³·D⁵ and Cui et al.'s ratio."""
    br = Bioreactor()
    p = br.params
    br.write("do_mode", 0)
    br.write("do_out", 500.0)
    for _ in range(30):
        br.step(1.0)
    r = br.read()
    n = 500.0 / 60.0
    p0 = p.impeller_count * p.impeller_power_number * p.broth_density_kg_l * 1000.0 * n**3 * p.impeller_diameter_m**5
    q = p.aeration_l_min / 60000.0 * 1.01325 / (1.01325 + p.head_pressure_bar_g) * (r["temperature"] + 273.15) / 273.15
    fl = q / (n * p.impeller_diameter_m**3)
    pg = p0 * (1.0 - 12.6 * fl if fl < 0.035 else 0.62 - 1.85 * fl)
    vs = q / (math.pi * p.vessel_diameter_m**2 / 4.0)
    expected = 0.026 * (pg / (r["volume"] / 1000.0)) ** 0.4 * vs**0.5 * p.kla_broth_factor * 3600.0
    assert r["kla"] == pytest.approx(expected, rel=1e-12)
    assert r["power_per_volume"] == pytest.approx(pg / (r["volume"] / 1000.0), rel=1e-12)
    # More agitation or more air: more kLa.
    br.write("do_out", 700.0)
    br.write("aeration_sp", 80.0)
    for _ in range(30):
        br.step(1.0)
    assert br.read()["kla"] > 1.5 * r["kla"]


def test_cardinal_models() -> None:
    assert cardinal_temperature(25.0, 5.0, 25.0, 35.0) == 1.0
    assert cardinal_temperature(5.0, 5.0, 25.0, 35.0) == 0.0
    assert cardinal_temperature(36.0, 5.0, 25.0, 35.0) == 0.0
    assert 0.0 < cardinal_temperature(30.0, 5.0, 25.0, 35.0) < cardinal_temperature(26.0, 5.0, 25.0, 35.0) < 1.0
    assert cardinal_ph(6.5, 3.0, 6.5, 9.0) == 1.0
    assert cardinal_ph(9.5, 3.0, 6.5, 9.0) == 0.0
    values = [cardinal_ph(x, 3.0, 6.5, 9.0) for x in np.linspace(3.01, 8.99, 50)]
    assert all(0.0 <= v <= 1.0 for v in values)


# --- control loops ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "settle_s", "tol"),
    [(27.0, 900, 0.1), (23.0, 1200, 0.1)],
)
def test_temperature_step_settles(batch: dict[str, Any], target: float, settle_s: int, tol: float) -> None:
    br = from_snapshot(batch["snap60"])
    br.write("temperature_sp", target)
    pv = run_pv(br, "temperature", 1800)
    assert settle_time(pv, target, tol) <= settle_s
    overshoot = (pv.max() - target) if target > 25.0 else (target - pv.min())
    assert overshoot < 0.3


def test_ph_step_settles_with_base(batch: dict[str, Any]) -> None:
    br = from_snapshot(batch["snap60"])
    base0 = br.read()["base_total"]
    br.write("ph_sp", 6.8)
    pv = run_pv(br, "ph", 2400)
    assert settle_time(pv, 6.8, 0.02) <= 1800
    assert pv.max() - 6.8 < 0.02
    assert br.read()["base_total"] > base0


def test_do_cascade_on_agitation_settles(batch: dict[str, Any]) -> None:
    br = from_snapshot(batch["snap60"])
    n0 = br.read()["agitation"]
    br.write("do_sp", 40.0)
    pv = run_pv(br, "do", 600)
    assert settle_time(pv, 40.0, 1.0) <= 300
    r = br.read()
    assert r["agitation"] > n0 + 20.0
    assert r["do_out"] == pytest.approx(r["agitation"], abs=1e-9)  # the drive reached its setpoint


def test_manual_modes_are_bumpless_and_outputs_need_manual(batch: dict[str, Any]) -> None:
    br = from_snapshot(batch["snap60"])
    with pytest.raises(ValueError, match=r"ph_out is writable only in manual mode \(ph_mode = 0\)"):
        br.write("ph_out", 50.0)
    with pytest.raises(ValueError, match=r"feed_out is writable only in manual mode \(feed_mode = 0\)"):
        br.write("feed_out", 0.1)
    rate = br.read()["feed_out"]
    br.write("feed_mode", 0)
    br.step(1.0)
    assert br.read()["feed_flow"] == pytest.approx(rate)  # holds the recipe's rate
    br.write("feed_out", 0.2)
    br.step(1.0)
    assert br.read()["feed_flow"] == 0.2
    agit = br.read()["agitation"]
    br.write("do_mode", 0)
    br.step(1.0)
    assert br.read()["agitation"] == pytest.approx(agit, abs=1e-6)
    br.write("do_out", 600.0)
    for _ in range(20):
        br.step(1.0)
    assert br.read()["agitation"] == 600.0


def test_aeration_failure_stays_stable_and_stops_growth(batch: dict[str, Any]) -> None:
    """Air off: DO collapses to ~0 (a stiff corner) without negative DO, NaN or blow-up."""
    br = from_snapshot(batch["snap60"])
    br.write("aeration_sp", 0.0)
    values = [br.read()]
    for _ in range(1800):
        br.step(1.0)
        values.append(br.read())
    do = np.array([v["do"] for v in values])
    assert np.all(np.isfinite(do)) and do.min() >= 0.0
    assert do[-1] < 1.0
    assert values[-1]["mu"] < 0.1 * values[0]["mu"]
    assert values[-1]["agitation"] == br.params.agitation_max_rpm  # the DO loop saturates


# --- determinism, snapshot, batch path ---------------------------------------------------------


def test_same_seed_gives_identical_data_other_seed_other_analyser_noise() -> None:
    a = Bioreactor(BioreactorParams(seed=7)).simulate(2 * 3600.0, record_every=60)
    b = Bioreactor(BioreactorParams(seed=7)).simulate(2 * 3600.0, record_every=60)
    c = Bioreactor(BioreactorParams(seed=8)).simulate(2 * 3600.0, record_every=60)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    assert not np.array_equal(a["glucose_pat"], c["glucose_pat"])
    np.testing.assert_array_equal(a["biomass"], c["biomass"])  # the process itself has no noise


def test_snapshot_restore_then_continue_equals_uninterrupted() -> None:
    a = Bioreactor(BioreactorParams(seed=3))
    for _ in range(3000):
        a.step(1.0)
    a.write("feed_mode", 0)
    a.write("feed_out", 0.12)
    a.write("temperature_sp", 26.0)
    for _ in range(700):
        a.step(1.0)
    snap = json.loads(json.dumps(a.snapshot()))  # through JSON, as the runtime stores it
    b = Bioreactor(BioreactorParams(seed=99, initial_volume_l=40.0))
    b.restore(snap)
    for _ in range(3600):
        a.step(1.0)
        b.step(1.0)
    assert a.read() == b.read()
    np.testing.assert_array_equal(a.pat.last_spectrum, b.pat.last_spectrum)
    assert a.snapshot() == b.snapshot()


def test_restore_rejects_other_units() -> None:
    with pytest.raises(ValueError, match="not a bioreactor snapshot"):
        Bioreactor().restore({"unit_type": "mps_pa", "version": 1})


def test_simulate_equals_step_and_read() -> None:
    a = Bioreactor()
    data = a.simulate(1800.0, dt_s=2.0, record_every=150)
    b = Bioreactor()
    rows = []
    for _ in range(6):
        for _ in range(150):
            b.step(2.0)
        rows.append(b.read())
    assert len(data["time_s"]) == 6
    np.testing.assert_array_equal(data["time_s"], np.arange(1, 7) * 300.0)
    for name in rows[0]:
        np.testing.assert_allclose(data[name], [r[name] for r in rows], rtol=1e-12, atol=1e-12, err_msg=name)
    assert a.read() == b.read()


def test_step_is_independent_of_how_time_is_chunked_for_the_recipe() -> None:
    """Feed volume over 1 s steps equals the recipe integral (exact means over each step)."""
    br = Bioreactor()
    br.simulate(13 * 3600.0, dt_s=1.0, record_every=10**9)  # three recipe steps
    assert br.read()["feed_total"] == pytest.approx(indpensim_recipe().volume_l(13 * 3600.0), rel=1e-12)


def test_params_setter_passes_new_pat_parameters_to_the_analyser() -> None:
    br = Bioreactor()
    for _ in range(120):
        br.step(1.0)
    assert br.pat.scans == 3
    br.params = replace(br.params, pat=PatParams(scan_interval_s=30.0))
    for _ in range(120):
        br.step(1.0)
    assert br.pat.scans == 3 + 3  # the scan due at 180 s, then 210 s and 240 s
    assert br.pat.params.scan_interval_s == 30.0


def test_params_setter_applies_a_process_fault_keeping_the_state(batch: dict[str, Any]) -> None:
    br = from_snapshot(batch["snap60"])
    before = br.read()
    br.params = replace(br.params, kla_broth_factor=0.4)  # e.g. foaming / viscosity fault
    assert br.read()["biomass"] == before["biomass"]
    for _ in range(300):
        br.step(1.0)
    assert br.read()["agitation"] > before["agitation"] + 50.0  # the DO loop compensates


# --- bad input ----------------------------------------------------------------------------------


def test_bad_parameters_name_the_field_and_the_allowed_range() -> None:
    with pytest.raises(ValueError, match=r"^ph_setpoint = 20 is outside the allowed range \[3, 9\] pH$"):
        BioreactorParams(ph_setpoint=20)
    with pytest.raises(ValueError, match=r"^initial_volume_l = -5 is outside the allowed range \(0, 100\] l$"):
        BioreactorParams(initial_volume_l=-5)
    with pytest.raises(ValueError, match=r"initial_volume_l = 120 is outside the allowed range \(0, 100\] l"):
        BioreactorParams(initial_volume_l=120)
    with pytest.raises(ValueError, match="temperature_setpoint_c = 80"):
        BioreactorParams(temperature_setpoint_c=80)
    with pytest.raises(ValueError, match=r"mu_max_1_h must be > 0, got -0\.1"):
        BioreactorParams(mu_max_1_h=-0.1)
    with pytest.raises(ValueError, match="yxs_g_g must be finite"):
        BioreactorParams(yxs_g_g=math.nan)
    with pytest.raises(ValueError, match="t_min_c < t_opt_c < t_max_c"):
        BioreactorParams(t_opt_c=40.0)
    with pytest.raises(ValueError, match=r"recipe step 2 \('until 12 h'\): feed_rate_l_h = 0.015 exceeds"):
        BioreactorParams(feed_pump_max_l_h=0.01)
    with pytest.raises(ValueError, match="ph_tuning: output limits"):
        BioreactorParams(ph_tuning=PidTuning(kp=1.0, out_min=-10.0, out_max=100.0))


def test_recipe_step_without_duration_is_named() -> None:
    steps: list[Any] = [
        {"name": "batch", "duration_h": 20, "feed_rate_l_h": 0.0},
        {"name": "fed", "feed_rate_l_h": 0.1},
    ]
    with pytest.raises(ValueError, match=r"^recipe step 2 \('fed'\): no duration_h; every step needs a duration_h"):
        FeedRecipe.from_steps(steps)
    with pytest.raises(ValueError, match=r"^recipe step 1: no duration_h"):
        FeedRecipe.from_steps([{"feed_rate_l_h": 0.1}])
    with pytest.raises(ValueError, match=r"recipe step 2: .* no duration_h"):
        FeedRecipe.from_steps([(5, 0.1), (0.1,)])
    with pytest.raises(ValueError, match=r"recipe step 1 \('x'\): duration_h = -2 must be a number of hours > 0"):
        FeedRecipe.from_steps([{"name": "x", "duration_h": -2, "feed_rate_l_h": 0.1}])
    with pytest.raises(ValueError, match=r"recipe step 1: feed_rate_l_h = -1"):
        FeedRecipe.from_steps([(5, -1)])
    with pytest.raises(ValueError, match=r"recipe step 1: unknown field\(s\) rate"):
        FeedRecipe.from_steps([{"duration_h": 5, "rate": 1}])
    with pytest.raises(ValueError, match="at least one step"):
        FeedRecipe.from_steps([])


def test_recipe_profile_ramps_and_round_trips() -> None:
    r = FeedRecipe.from_steps([(2, 0.1), {"duration_h": 2, "feed_rate_l_h": 0.3, "ramp": True}, (1, 0.0)])
    assert r.rate_l_h(0.0) == 0.1
    assert r.rate_l_h(3 * 3600.0) == pytest.approx(0.2)
    assert r.rate_l_h(4.5 * 3600.0) == 0.0 and r.rate_l_h(9 * 3600.0) == 0.0
    assert r.volume_l(5 * 3600.0) == pytest.approx(0.2 + 0.4)
    assert r.mean_rate_l_h(1.5 * 3600.0, 2.5 * 3600.0) == pytest.approx((0.05 + 0.5 * (0.1 + 0.15) * 0.5) / 1.0)
    assert FeedRecipe.from_steps(r.to_list()) == r
    assert [r.step_index(t * 3600.0) for t in (0.0, 2.5, 4.9, 5.0)] == [0, 1, 2, 3]
    assert FeedStep(1.0, 0.0) == FeedStep(duration_h=1.0, feed_rate_l_h=0.0)
    p = BioreactorParams(recipe=r)
    assert BioreactorParams.from_dict(json.loads(json.dumps(p.to_dict()))) == p


def test_bad_writes_name_the_tag_and_the_allowed_range() -> None:
    br = Bioreactor()
    with pytest.raises(ValueError, match=r"^ph_sp = 20 is outside the allowed range \[3, 9\] pH$"):
        br.write("ph_sp", 20)
    with pytest.raises(ValueError, match=r"do_out = 900 is outside the allowed range \[200, 800\] rpm"):
        br.write("do_out", 900)
    with pytest.raises(ValueError, match="temperature_mode = 2 must be 0 \\(manual\\) or 1 \\(auto\\)"):
        br.write("temperature_mode", 2)
    with pytest.raises(ValueError, match="not a finite number"):
        br.write("do_sp", math.nan)
    with pytest.raises(KeyError, match=r"read-only tag 'biomass'.*writable tags: temperature_sp"):
        br.write("biomass", 1.0)
    with pytest.raises(KeyError, match="unknown tag 'rpm'"):
        br.write("rpm", 1.0)
    with pytest.raises(ValueError, match="dt_s must be a positive finite number"):
        br.step(0.0)
    with pytest.raises(ValueError, match="record_every must be an integer >= 1"):
        br.simulate(10.0, record_every=0)


# --- PAT in the batch ---------------------------------------------------------------------------


def test_pat_predictions_track_glucose_and_titre_during_the_batch(batch: dict[str, Any]) -> None:
    d = batch["data"]
    models = batch["unit"].pat.calibration.models
    t_h = d["time_s"] / 3600.0
    err_g = d["glucose_pat"] - d["glucose"]
    err_p = d["titre_pat"] - d["titre"]
    rmse_g, rmse_p = float(np.sqrt(np.mean(err_g**2))), float(np.sqrt(np.mean(err_p**2)))
    # In line with the calibration's RMSEP on independent validation batches.
    assert rmse_g < 1.5 * models["glucose"].rmsep
    assert rmse_p < 1.5 * models["titre"].rmsep
    assert abs(float(np.mean(err_g))) < 0.3 and abs(float(np.mean(err_p))) < 0.3
    # The trends are followed: glucose through the batch phase, titre over the whole batch.
    batch_phase = t_h < 45
    assert np.corrcoef(d["glucose_pat"][batch_phase], d["glucose"][batch_phase])[0, 1] > 0.99
    assert np.corrcoef(d["titre_pat"], d["titre"])[0, 1] > 0.99
    # Held between scans: one scan per minute.
    assert batch["unit"].pat.scans == pytest.approx(BATCH_H * 60 + 1, abs=1)
