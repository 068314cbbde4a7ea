"""The honest defaults of the PCA monitor: components by rule, limits, the alarm's rate, columns screened."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.pca import PcaError, PcaMonitor
from analytics.pca_columns import column_reason, screen_columns
from analytics.pca_limits import HeldOut, compute_limits
from analytics.pca_select import ekf_cross_validation, parallel_analysis, variance_share


def latent(n: int, rng: np.random.Generator, k: int = 3, p: int = 10, phi: float = 0.0) -> np.ndarray:
    """``p`` variables driven by ``k`` latent factors (AR(1) with coefficient ``phi``) plus noise."""
    mixing = np.random.default_rng(100).normal(size=(k, p))
    f = np.zeros((n + 200, k))
    for t in range(1, n + 200):
        f[t] = phi * f[t - 1] + np.sqrt(1 - phi**2) * rng.normal(size=k)
    return (f @ mixing)[200:] + 0.3 * rng.normal(size=(n, p))


def standardise(x: np.ndarray) -> np.ndarray:
    return (x - x.mean(axis=0)) / x.std(axis=0, ddof=1)


@pytest.mark.parametrize("k", [1, 3, 5])
def test_both_rules_find_the_number_of_latent_factors(k: int) -> None:
    z = standardise(latent(800, np.random.default_rng(k), k=k, p=20))
    assert parallel_analysis(z).k == k
    assert ekf_cross_validation(z).k == k
    # A fixed share of variance does not know where the noise starts.
    assert variance_share(np.linalg.eigvalsh(np.cov(z.T))[::-1], 0.99).k > k


def test_rules_on_uncorrelated_data_keep_one_component_and_say_so() -> None:
    z = standardise(np.random.default_rng(0).normal(size=(500, 6)))
    choice = parallel_analysis(z)
    assert choice.k == 1 and "uncorrelated" in choice.note
    assert choice == parallel_analysis(z)  # seeded: the same choice every time


def test_the_monitor_says_which_rule_chose_the_components() -> None:
    x = latent(600, np.random.default_rng(1))
    mon = PcaMonitor().fit(x)
    assert (mon.n_components_, mon.component_rule_) == (3, "parallel")
    assert mon.component_choice_ is not None and mon.component_choice_.note in mon.notes_
    assert PcaMonitor(component_rule="cv").fit(x).component_rule_ == "cv"
    assert PcaMonitor(variance=0.9).fit(x).component_rule_ == "variance"
    given = PcaMonitor(n_components=2).fit(x)
    assert (given.component_rule_, given.component_choice_) == ("given", None)
    with pytest.raises(PcaError, match="component_rule must be one of"):
        PcaMonitor(component_rule="scree")  # type: ignore[arg-type]
    with pytest.raises(PcaError, match="needs variance"):
        PcaMonitor(component_rule="variance")


def test_alpha_is_the_alarm_rate_on_independent_data() -> None:
    rng = np.random.default_rng(2)
    mon = PcaMonitor().fit(latent(2000, rng))
    assert (mon.alarm_alpha_, mon.limit_alpha_) == (0.01, 0.005)
    res = mon.score(latent(40000, rng))
    # T² or SPE, each at 0.5 %: the alarm rings on at most about 1 % of normal rows.
    assert 0.006 <= res.alarm.mean() <= 0.012
    assert mon.held_out_rate_ is not None and mon.held_out_rate_["alarm"] <= 0.015
    per_limit = PcaMonitor(split_alpha=False).fit(latent(2000, rng))
    assert (per_limit.alarm_alpha_, per_limit.limit_alpha_) == (0.02, 0.01)
    single = PcaMonitor(signal="spe").fit(latent(2000, rng))
    assert single.alarm_alpha_ == single.limit_alpha_ == 0.01


def test_cv_limits_are_never_below_the_analytic_or_the_held_out_ones() -> None:
    x = latent(600, np.random.default_rng(3), phi=0.9)
    cv, an, emp = (PcaMonitor(limits=m, n_components=3).fit(x) for m in ("cv", "analytic", "empirical"))
    for s in ("t2_limit_", "spe_limit_"):
        assert getattr(cv, s) == pytest.approx(max(getattr(an, s), getattr(emp, s)))
    assert set(cv.limit_sources_.values()) <= {"analytic", "held-out"}
    assert an.limit_sources_ == {"t2": "analytic", "spe": "analytic", "combined": "analytic"}
    assert any("never below the analytic limits" in n for n in cv.notes_)
    with pytest.raises(PcaError, match="need held-out"):
        compute_limits("cv", k=1, n=10, residual_eigenvalues=np.ones(2), alpha=0.01, held=None)
    held = HeldOut(np.ones(5), np.ones(5), "cross-validation", 5, 5)
    with pytest.raises(PcaError, match="limits must be one of"):
        compute_limits("median", k=1, n=10, residual_eigenvalues=np.ones(2), alpha=0.01, held=held)  # type: ignore[arg-type]


def test_defaults_hold_better_than_analytic_limits_on_autocorrelated_data() -> None:
    # Slow latent factors and a reference of 1000 rows: the F limit assumes 1000 independent
    # rows and alarms far too often on a long new run; the defaults stay near their rate and
    # the slow scores are reported.
    rng = np.random.default_rng(4)
    ref, new = latent(1000, rng, phi=0.98), latent(30000, rng, phi=0.98)
    default = PcaMonitor().fit(ref)
    analytic = PcaMonitor(limits="analytic", n_components=default.n_components_).fit(ref)
    fa_default, fa_analytic = default.score(new).alarm.mean(), analytic.score(new).alarm.mean()
    assert fa_default < fa_analytic, (fa_default, fa_analytic)
    assert min(default.effective_rows_) < 30
    assert any("change slowly" in n for n in default.notes_)
    assert not any("change slowly" in n for n in PcaMonitor().fit(latent(1000, rng)).notes_)


def test_constant_columns_are_dropped_and_reported_by_default() -> None:
    x = latent(300, np.random.default_rng(5))
    x[:, 4] = 2.5
    mon = PcaMonitor(names=[f"v{j}" for j in range(10)]).fit(x)
    assert "v4" not in mon.names_ and "dropped constant column(s) v4" in mon.notes_
    with pytest.raises(PcaError, match="constant reference column"):
        PcaMonitor(drop_constant=False).fit(x)


def test_the_column_screen_names_time_counter_and_step_columns() -> None:
    rng = np.random.default_rng(6)
    n = 200
    t = np.arange(n) * 10.0
    produced = np.concatenate([np.arange(100), np.arange(100)]).astype(float)  # reset at a new lot
    values = np.column_stack(
        [
            t,  # time_s
            t / 3600 + 0.01 * rng.normal(size=n),  # batch_time (named like time, not evenly spaced)
            rng.normal(size=n),  # a process variable
            np.cumsum(rng.uniform(0, 1, n)),  # feed_total
            produced,
            np.repeat([1.0, 2.0, 3.0, 4.0], n // 4),  # recipe_step
            np.full(n, 37.0),  # a setpoint
            np.linspace(0, 1, n) ** 2 + 0.0,  # a smooth monotonic state (kept, reported as a trend)
        ]
    )
    names = ["time_s", "batch_time", "temperature", "feed_total", "filler_produced", "recipe_step", "sp", "biomass"]
    s = screen_columns(values, names)
    assert s.kept == ["temperature", "biomass"] and s.trending == ["biomass"]
    assert s.dropped == {
        "time_s": "time",
        "batch_time": "time",
        "feed_total": "counter",
        "filler_produced": "counter",
        "recipe_step": "step",
        "sp": "constant",
    }
    notes = s.notes()
    assert "dropped time column(s) time_s, batch_time" in notes
    assert any(n.startswith("column(s) biomass only rise or only fall") for n in notes)
    kept = screen_columns(values, names, keep=["feed_total", "sp"])
    assert "feed_total" in kept.kept and "sp" not in kept.kept and kept.kept_on_request == ["feed_total"]
    assert column_reason(rng.normal(size=50).round(), "level") is None  # an integer-valued variable stays
    with pytest.raises(ValueError, match="names"):
        screen_columns(values, names[:3])
