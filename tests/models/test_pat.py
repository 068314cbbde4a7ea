"""Tests of the Raman PAT analyser: spectrum model, PLS1 (NIPALS), calibration and RMSEP.

Prediction-error bands (default parameters, measured figures in brackets): glucose RMSEP
0.25-0.8 g/l [0.45], titre RMSEP 0.3-1.0 g/l [0.59] on 4 independent validation batches.
"""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

from models.pat import (
    PatAnalyser,
    PatParams,
    RamanModel,
    batch_trajectories,
    calibrate,
    pls1_nipals,
    savgol_derivative_matrix,
)


def test_rmsep_on_independent_validation_batches_is_in_the_stated_band() -> None:
    cal = calibrate(PatParams())
    g, t = cal.models["glucose"], cal.models["titre"]
    assert 0.25 < g.rmsep < 0.8
    assert 0.3 < t.rmsep < 1.0
    for m in (g, t):
        assert 1 <= m.n_components <= 12
        assert m.rmsec <= m.rmsecv * 1.05  # fitted data are predicted at least as well
        assert m.rmsecv == pytest.approx(m.rmsecv_curve[m.n_components - 1])
        assert min(m.rmsecv_curve) <= m.rmsecv <= 1.05 * min(m.rmsecv_curve)
        # RMSEP from the stored validation predictions.
        y, pred = cal.validation_y[m.analyte], cal.validation_pred[m.analyte]
        assert m.rmsep == pytest.approx(float(np.sqrt(np.mean((pred - y) ** 2))))
    # Titre is harder than glucose: biomass's phenylalanine band overlaps penicillin's 1003 cm-1.
    assert t.rmsep > g.rmsep


def test_calibration_is_deterministic_and_cached() -> None:
    a = calibrate(PatParams())
    assert calibrate(PatParams()) is a
    b = calibrate.__wrapped__(PatParams())
    np.testing.assert_array_equal(a.models["glucose"].coef, b.models["glucose"].coef)
    c = calibrate(PatParams(calibration_seed=7))
    assert not np.array_equal(a.models["glucose"].coef, c.models["glucose"].coef)
    with pytest.raises(ValueError):
        a.models["glucose"].coef[0] = 1.0  # read-only: the cached model cannot be corrupted


def test_less_noise_gives_smaller_prediction_errors() -> None:
    noisy = calibrate(PatParams())
    quiet = calibrate(PatParams(shot_noise_factor=0.1, read_noise_counts=1.0, laser_power_sd=0.0))
    for analyte in ("glucose", "titre"):
        assert quiet.models[analyte].rmsep < 0.5 * noisy.models[analyte].rmsep


def test_fixed_number_of_components_is_honoured() -> None:
    cal = calibrate(PatParams(n_components=2))
    assert cal.models["glucose"].n_components == 2 == cal.models["titre"].n_components


def test_spectrum_model_bands_and_linearity() -> None:
    m = RamanModel(PatParams())
    nu = m.wavenumbers
    assert nu[0] == 400.0 and nu[-1] == 1800.0 and nu.size == 351
    assert abs(nu[np.argmax(m.components["glucose"])] - 1125.0) <= 4.0
    assert abs(nu[np.argmax(m.components["titre"])] - 1003.0) <= 4.0
    assert abs(nu[np.argmax(m.components["water"])] - 1640.0) <= 4.0
    # Without noise and drift a spectrum is linear in the concentrations.
    p0 = PatParams(shot_noise_factor=1e-12, read_noise_counts=0.0, laser_power_sd=0.0, fluorescence_drift_sd=0.0)
    q = RamanModel(p0)
    rng = np.random.default_rng(0)
    s = q.spectra(np.array([0.0, 10.0]), np.array([0.0, 0.0]), np.array([0.0, 0.0]), np.array([25.0, 25.0]), rng)
    np.testing.assert_allclose(s[1] - s[0], 10.0 * q.components["glucose"], rtol=1e-9, atol=1e-6)
    # Fluorescence grows with biomass.
    s = q.spectra(np.zeros(2), np.zeros(2), np.array([0.0, 40.0]), np.full(2, 25.0), rng)
    assert (s[1] - s[0]).min() > 0.0


def test_pls1_equals_least_squares_with_all_components() -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((40, 6))
    y = x @ np.array([0.5, -1.0, 2.0, 0.0, 0.3, 1.0]) + 0.1 * rng.standard_normal(40)
    coefs, xm, ym = pls1_nipals(x, y, 6)
    ols, *_ = np.linalg.lstsq(x - xm, y - ym, rcond=None)
    np.testing.assert_allclose(coefs[-1], ols, rtol=1e-8, atol=1e-10)
    # Fewer components: a shrunk model, whose fit improves monotonically with A.
    sse = [float(np.sum((y - ym - (x - xm) @ c) ** 2)) for c in coefs]
    assert all(a >= b - 1e-9 for a, b in itertools.pairwise(sse))


def test_pls1_row_a_is_the_model_fitted_with_a_components() -> None:
    # One fit gives every smaller model (cross-validation relies on it): row a-1 equals a
    # separate scikit-learn fit with a components.
    from sklearn.cross_decomposition import PLSRegression

    rng = np.random.default_rng(2)
    x = rng.standard_normal((50, 20)) @ rng.standard_normal((20, 20))
    y = x[:, 0] - 0.5 * x[:, 3] + 0.2 * rng.standard_normal(50)
    coefs, _, _ = pls1_nipals(x, y, 8)
    for a in range(1, 9):
        alone = PLSRegression(n_components=a, scale=False).fit(x, y).coef_[0]
        np.testing.assert_allclose(coefs[a - 1], alone, rtol=1e-9, atol=1e-12)


def test_savgol_derivative_matches_the_closed_form() -> None:
    # Quadratic fit, first derivative, unit spacing: the weights are k / Σk² (k = -h…h).
    d = savgol_derivative_matrix(12, 5)
    k = np.arange(-2.0, 3.0)
    expected = np.zeros((8, 12))
    for i in range(8):
        expected[i, i : i + 5] = k / float(k @ k)
    np.testing.assert_allclose(d, expected, atol=1e-15)


def test_savgol_derivative_is_exact_for_quadratics() -> None:
    d = savgol_derivative_matrix(30, 7)
    x = np.arange(30.0)
    np.testing.assert_allclose(d @ (3.0 * x**2 - 2.0 * x + 5.0), (6.0 * x - 2.0)[3:-3], atol=1e-9)


def test_calibration_batches_cover_the_bioreactor_ranges() -> None:
    rng = np.random.default_rng(2)
    c = batch_trajectories(rng, 8, 30, spike=True)
    assert c["glucose"].min() >= 0.0 and c["glucose"].max() > 18.0
    assert c["titre"].max() > 20.0 and c["biomass"].max() > 30.0
    assert np.bincount(c["batch"]).tolist() == [30] * 8
    # Spiking breaks the titre-biomass correlation of the unspiked trajectories.
    u = batch_trajectories(np.random.default_rng(2), 8, 30, spike=False)
    assert np.corrcoef(u["glucose"], u["titre"])[0, 1] < 0
    assert abs(np.corrcoef(c["glucose"], c["titre"])[0, 1]) < abs(np.corrcoef(u["glucose"], u["titre"])[0, 1])


def test_analyser_predictions_scatter_around_the_truth_with_the_rmsep() -> None:
    pat = PatAnalyser(PatParams(), seed=11)
    preds = np.array([pat.scan(4.0, 12.0, 30.0, 25.0) for _ in range(400)])
    models = pat.calibration.models
    for j, (truth, analyte) in enumerate(((4.0, "glucose"), (12.0, "titre"))):
        err = preds[:, j] - truth
        assert abs(float(err.mean())) < 0.5 * models[analyte].rmsep + 0.1
        assert 0.3 * models[analyte].rmsep < float(err.std()) < 1.5 * models[analyte].rmsep
    assert pat.scans == 400
    assert pat.next_scan_s == pytest.approx(400 * 60.0)
    assert (pat.glucose, pat.titre) == tuple(preds[-1])


def test_prediction_is_one_dot_product_on_the_raw_spectrum() -> None:
    pat = PatAnalyser(PatParams(), seed=4)
    g, t = pat.scan(6.0, 3.0, 10.0, 25.0)
    m = pat.calibration.models
    assert g == pytest.approx(m["glucose"].intercept + float(pat.last_spectrum @ m["glucose"].coef), rel=1e-12)
    assert t == pytest.approx(float(m["titre"].predict(pat.last_spectrum[None, :])[0]), rel=1e-12)
    assert pat.wavenumbers.shape == pat.last_spectrum.shape


def test_analyser_snapshot_restore_continues_identically() -> None:
    a = PatAnalyser(PatParams(), seed=5)
    for _ in range(3):
        a.scan(1.0, 2.0, 3.0, 25.0)
    snap = json.loads(json.dumps(a.snapshot()))
    b = PatAnalyser(PatParams(scan_interval_s=30.0), seed=1)
    b.restore(snap)
    assert b.params == PatParams()
    for _ in range(3):
        assert a.scan(5.0, 6.0, 7.0, 26.0) == b.scan(5.0, 6.0, 7.0, 26.0)
    np.testing.assert_array_equal(a.last_spectrum, b.last_spectrum)
    assert a.snapshot() == b.snapshot()


def test_negative_concentrations_are_taken_as_zero() -> None:
    a, b = PatAnalyser(seed=3), PatAnalyser(seed=3)
    assert a.scan(-1e-9, -2.0, -3.0, 25.0) == b.scan(0.0, 0.0, 0.0, 25.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scan_interval_s": 0}, "scan_interval_s must be > 0, got 0"),
        ({"n_points": 20}, "n_points must be an integer in 50-5000"),
        ({"derivative_window": 8}, "derivative_window must be an odd integer"),
        ({"wavenumber_min_cm1": 1900.0}, "wavenumber_min_cm1 must be below wavenumber_max_cm1"),
        ({"laser_power_sd": -0.1}, "laser_power_sd must be >= 0"),
        ({"glucose_counts_per_g_l": math.inf}, "glucose_counts_per_g_l must be finite"),
        ({"calibration_batches": 2}, "calibration_batches must be >= 3"),
    ],
)
def test_bad_parameters_are_named(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PatParams(**kwargs)  # type: ignore[arg-type]


def test_params_round_trip() -> None:
    p = PatParams(n_points=301, scan_interval_s=30.0, calibration_seed=3)
    assert PatParams.from_dict(json.loads(json.dumps(p.to_dict()))) == p
