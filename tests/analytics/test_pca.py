"""PCA monitor: limits against their distributions, contributions, streaming, dynamic and batch PCA."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.pca import (
    BatchPcaMonitor,
    PcaError,
    PcaMonitor,
    choose_components,
    lag_matrix,
    spe_limit_jm,
    t2_limit_f,
)

NAMES = ["flow", "temp", "press", "level", "speed", "ph"]


def latent_data(n: int, rng: np.random.Generator, noise: float = 0.3) -> np.ndarray:
    """Six variables driven by two latent factors plus independent noise."""
    mixing = np.array([[1.0, 0.8, 0.0, 0.5, 0.7, 0.0], [0.0, 0.6, 1.0, -0.5, 0.0, 0.9]])
    return rng.normal(size=(n, 2)) @ mixing + noise * rng.normal(size=(n, 6))


@pytest.fixture(scope="module")
def fitted() -> tuple[PcaMonitor, np.random.Generator]:
    rng = np.random.default_rng(42)
    mon = PcaMonitor(n_components=2, names=NAMES, limits="analytic", split_alpha=False)
    return mon.fit(latent_data(2000, rng)), rng


def test_analytic_limits_give_the_nominal_false_alarm_rate(fitted: tuple[PcaMonitor, np.random.Generator]) -> None:
    mon, rng = fitted
    res = mon.score(latent_data(20000, rng))
    # Independent Gaussian rows: the analytic limits hold (1 % ± Monte Carlo error).
    assert res.t2_alarm.mean() == pytest.approx(0.01, abs=0.003)
    assert res.spe_alarm.mean() == pytest.approx(0.01, abs=0.003)
    assert res.combined_alarm.mean() == pytest.approx(0.01, abs=0.004)


def test_limit_formulas() -> None:
    # F limit: k (n-1)(n+1) / (n (n-k)) F(k, n-k) tends to the chi-square quantile for large n.
    assert t2_limit_f(3, 10**6, 0.01) == pytest.approx(11.345, abs=0.01)
    # Jackson-Mudholkar against a Monte Carlo quantile of sum(lambda_i chi2_1).
    lam = 0.8 ** np.arange(20)  # a typical decaying residual spectrum
    rng = np.random.default_rng(1)
    q = (rng.standard_normal((200_000, lam.size)) ** 2) @ lam
    assert spe_limit_jm(lam, 0.01) == pytest.approx(np.quantile(q, 0.99), rel=0.03)
    assert choose_components(np.array([5.0, 3.0, 1.0, 0.5, 0.5]), 0.8) == 2
    assert choose_components(np.array([1.0, 1.0]), 1.0) == 1  # capped: keep a residual


def test_empirical_limits_from_calibration_and_cross_validation() -> None:
    rng = np.random.default_rng(7)
    ref, cal = latent_data(1500, rng), latent_data(3000, rng)
    mon = PcaMonitor(n_components=2, limits="empirical", alpha=0.05, split_alpha=False).fit(ref, calibration=cal)
    res = mon.score(cal)
    assert res.t2_alarm.mean() == pytest.approx(0.05, abs=0.002)
    assert res.spe_alarm.mean() == pytest.approx(0.05, abs=0.002)
    assert any("calibration" in n for n in mon.notes_)
    cv = PcaMonitor(n_components=2, limits="empirical", alpha=0.05, split_alpha=False).fit(ref)
    assert any("cross-validation" in n for n in cv.notes_)
    assert cv.score(latent_data(5000, rng)).spe_alarm.mean() == pytest.approx(0.05, abs=0.015)


def test_contributions_add_up_and_point_at_the_drifting_variable(
    fitted: tuple[PcaMonitor, np.random.Generator],
) -> None:
    mon, rng = fitted
    test = latent_data(100, rng)
    test[50:, 3] += 2.5  # "level" sensor drift: breaks the correlation structure
    res = mon.score(test)
    assert res.spe_alarm[50:].mean() > 0.9
    spe_alarms = [a for a in res.alarms if a.spe_alarm and a.row >= 50]
    assert spe_alarms and all(a.spe_top[0].variable == "level" for a in spe_alarms)
    a = spe_alarms[0]
    assert len(a.spe_top) == 3 and a.spe_top[0].share > 0.5
    # Contributions are complete decompositions: they sum to the statistic.
    model_z = (test[[a.row]] - mon._model.mean) / mon._model.scale  # type: ignore[union-attr]
    t = model_z @ mon._model.loadings  # type: ignore[union-attr]
    c_t2, c_spe = mon.contributions(model_z, t)
    assert c_t2.sum() == pytest.approx(a.t2) and c_spe.sum() == pytest.approx(a.spe)
    d = res.to_dict()
    assert d["first_alarm"] == res.first_alarm and d["alarms"][0]["spe_top"][0]["variable"]


def test_statistics_and_contributions_do_not_depend_on_loading_signs() -> None:
    # The loadings come from scikit-learn's PCA, whose sign convention is its own: flipping
    # any loading changes neither the eigenvalues, T², SPE nor the contributions.
    rng = np.random.default_rng(3)
    ref, test = latent_data(500, rng), latent_data(50, rng)
    mon = PcaMonitor(n_components=3).fit(ref)
    model = mon._model
    assert model is not None
    centred = (ref - ref.mean(axis=0)) / ref.std(axis=0, ddof=1)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    np.testing.assert_allclose(model.eigenvalues, s**2 / (ref.shape[0] - 1), rtol=1e-10)
    np.testing.assert_allclose(np.abs(model.loadings), np.abs(vt[:3].T), atol=1e-10)
    z, t, t2, spe = model.scores(test)
    before = mon.contributions(z, t)
    model.loadings = model.loadings * np.array([-1.0, 1.0, -1.0])
    z2, t_flipped, t2_flipped, spe_flipped = model.scores(test)
    np.testing.assert_allclose(t2_flipped, t2, rtol=1e-12)
    np.testing.assert_allclose(spe_flipped, spe, rtol=1e-12)
    for c_before, c_after in zip(before, mon.contributions(z2, t_flipped), strict=True):
        np.testing.assert_allclose(c_after, c_before, rtol=1e-12, atol=1e-12)


def test_streaming_matches_array_form_and_follows_the_river_contract() -> None:
    rng = np.random.default_rng(3)
    mon = PcaMonitor(n_components=2, lags=1, names=NAMES).fit(latent_data(800, rng))
    test = latent_data(60, rng)
    test[40:, 0] += 3.0
    res = mon.score(test)
    assert res.rows[0] == 1  # with lags=1 the first row has no statistic
    t2s, flags = [], []
    for row in test:
        assert mon.update(row) is mon
        if mon.t2 is not None:
            t2s.append(mon.t2)
            flags.append(mon.drift_detected)
    np.testing.assert_allclose(t2s, res.t2)
    assert flags == res.alarm.tolist()
    assert mon.last_alarm is not None and mon.last_alarm.row == 59
    with pytest.raises(AttributeError):
        mon.drift_detected = False  # type: ignore[misc]
    mon._reset()
    assert (mon.n_seen, mon.t2, mon.drift_detected) == (0, None, False)
    mon.update(dict(zip(NAMES, test[0], strict=True)))  # a mapping name -> value works too
    assert mon.n_seen == 1 and mon.t2 is None
    with pytest.raises(PcaError, match="non-finite"):
        mon.update([np.nan] * 6)


def test_dynamic_pca_sees_a_change_in_dynamics() -> None:
    rng = np.random.default_rng(11)

    def process(n: int, delay: int) -> np.ndarray:
        x = np.zeros(n + 5)
        for i in range(1, n + 5):
            x[i] = 0.9 * x[i - 1] + rng.normal()
        y = np.roll(x, delay) + 0.1 * rng.normal(size=n + 5)
        return np.column_stack([x, y])[5:]

    ref, fault = process(2000, 1), process(500, 3)  # the transport delay grows from 1 to 3
    static = PcaMonitor(n_components=1, limits="empirical").fit(ref, calibration=process(2000, 1))
    # [x_t, y_t, x_t-1, y_t-1] holds three signals: the 4th direction (y_t - x_t-1) is the
    # residual, whose variance is only the measurement noise while the delay is 1.
    dynamic = PcaMonitor(n_components=3, lags=1, limits="empirical").fit(ref, calibration=process(2000, 1))
    dyn, sta = dynamic.score(fault).spe_alarm.mean(), static.score(fault).spe_alarm.mean()
    assert dyn > 0.8 and sta < 0.3, (dyn, sta)
    np.testing.assert_array_equal(lag_matrix(np.arange(8.0).reshape(4, 2), 2)[0], [4, 5, 2, 3, 0, 1])


def test_bad_reference_data_is_refused_clearly() -> None:
    rng = np.random.default_rng(5)
    x = latent_data(50, rng)
    const = x.copy()
    const[:, 2] = 7.0
    with pytest.raises(PcaError, match=r"constant reference column.*press"):
        PcaMonitor(names=NAMES, drop_constant=False).fit(const)
    mon = PcaMonitor(n_components=2, names=NAMES).fit(const)  # dropped by default, and reported
    assert mon.names_ == ["flow", "temp", "level", "speed", "ph"] and "press" in mon.notes_[0]
    assert mon.score(x).t2.shape == (50,)  # scoring still takes all six columns
    bad = x.copy()
    bad[3, 1] = np.nan
    with pytest.raises(PcaError, match="row 3, column 1"):
        PcaMonitor().fit(bad)
    with pytest.raises(PcaError, match="more rows than variables"):
        PcaMonitor().fit(x[:6])
    with pytest.raises(PcaError, match="more rows than variables"):
        PcaMonitor(lags=10).fit(x)
    with pytest.raises(PcaError, match="n_components=6"):
        PcaMonitor(n_components=6).fit(x)
    with pytest.raises(PcaError, match="not fitted"):
        PcaMonitor().score(x)
    with pytest.raises(PcaError, match="5 columns"):
        PcaMonitor(n_components=2).fit(x).score(x[:, :5])


def test_components_by_variance() -> None:
    rng = np.random.default_rng(9)
    mon = PcaMonitor(variance=0.8).fit(latent_data(500, rng, noise=0.2))
    assert mon.n_components_ == 2 and mon.explained_variance_ratio_.sum() >= 0.8


def _batch(rng: np.random.Generator, gain: float, drift: float = 0.0) -> np.ndarray:
    time = np.linspace(0, 1, 30)
    temp = 30 + 10 * time * gain + rng.normal(0, 0.2, 30)
    conc = 5 * (1 - np.exp(-3 * time * gain)) + rng.normal(0, 0.05, 30)
    press = np.full(30, 1.0)  # identical in every golden batch: dropped and reported
    return np.column_stack([temp, conc + drift * time, press])


def test_batch_wise_pca_judges_new_batches_against_golden_ones() -> None:
    rng = np.random.default_rng(2)
    golden = np.stack([_batch(rng, rng.normal(1, 0.05)) for _ in range(30)])
    mon = BatchPcaMonitor(variance=0.9, names=["temp", "conc", "press"]).fit(golden)
    assert "constant" in mon.notes_[0]
    normal = [mon.score_batch(_batch(rng, rng.normal(1, 0.05))) for _ in range(20)]
    assert sum(s.spe_alarm or s.t2_alarm for s in normal) <= 2
    bad = mon.score_batch(_batch(rng, 1.0, drift=0.5))
    assert bad.spe_alarm and bad.spe_top[0].variable == "conc"
    assert bad.spe_top[0].time_index is not None and bad.spe_top[0].time_index > 15  # late in the batch
    assert bad.contributions_spe.shape == (30, 3) and bad.contributions_spe.sum() == pytest.approx(bad.spe)
    assert set(bad.to_dict()) >= {"t2", "spe", "limits", "spe_top"}
    emp = BatchPcaMonitor(n_components=2, limits="empirical").fit(golden)
    assert emp.score(np.stack([_batch(rng, 1.0, drift=0.5)]))[0].spe_alarm
    with pytest.raises(PcaError, match="at least 5"):
        BatchPcaMonitor().fit(golden[:3])
    with pytest.raises(PcaError, match="same time grid"):
        mon.score_batch(golden[0, :20])
