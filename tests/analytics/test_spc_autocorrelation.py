"""A series' fitness for a control chart (autocorrelation, trend, held values) and the residual-chart remedy."""

from __future__ import annotations

import re

import numpy as np
import pytest

from analytics.spc import run_chart
from analytics.spc_autocorrelation import diagnose, lag1_autocorrelation
from analytics.spc_residuals import residuals


def ar1(n: int, phi: float, rng: np.random.Generator, mean: float = 50.0) -> np.ndarray:
    x = np.zeros(n)
    for t in range(1, n):
        x[t] = phi * x[t - 1] + rng.normal()
    return mean + x


def test_independent_data_raise_no_warning() -> None:
    d = diagnose(np.random.default_rng(0).normal(10, 2, 3000))
    assert d.ok and d.remedies == () and d.messages("x") == []
    assert d.to_dict()["autocorrelated"] is False


def test_autocorrelation_is_flagged_with_the_residual_remedy() -> None:
    d = diagnose(ar1(3000, 0.9, np.random.default_rng(1)))
    assert d.autocorrelated and not d.trending and d.lag1 == pytest.approx(0.9, abs=0.03)
    assert d.remedies == ("ar1", "ewma")
    assert re.search(r"^level: lag-1 autocorrelation 0\.\d+ \(> 0\.5\) over 3000 rows", d.messages("level")[0])


def test_a_wandering_series_is_not_called_a_trend_but_a_ramp_is() -> None:
    rng = np.random.default_rng(2)
    # An AR(1) series with phi 0.95 wanders; the Mann-Kendall variance corrected for its
    # autocorrelation does not mistake that for a trend.
    wanders = [diagnose(ar1(2000, 0.95, np.random.default_rng(s))).trending for s in range(10)]
    assert sum(wanders) <= 1
    ramp = diagnose(np.linspace(0, 3, 2000) + rng.normal(size=2000))
    assert ramp.trending and ramp.trend_change == pytest.approx(3, abs=0.3)
    assert ramp.remedies[0] == "ewma" and "batch" in ramp.remedies
    # Significant but tiny next to the noise: not flagged.
    assert not diagnose(np.linspace(0, 0.2, 20000) + rng.normal(size=20000)).trending


def test_held_values_and_short_or_constant_series() -> None:
    held = np.repeat(np.random.default_rng(3).normal(size=100), 20)  # an analyser updating every 20 rows
    d = diagnose(held)
    assert d.held and d.held_share == pytest.approx(0.95, abs=0.01)
    assert "holds its value" in d.messages("glucose_pat")[-1]
    assert diagnose(np.ones(50)).ok and diagnose([1.0, 2.0]).ok
    assert np.isnan(lag1_autocorrelation([1.0, 2.0]))
    with_nan = ar1(500, 0.8, np.random.default_rng(4))
    with_nan[[10, 200]] = np.nan
    assert diagnose(with_nan).autocorrelated


def test_residual_charts_bring_the_alarms_back_to_the_nominal_rate() -> None:
    rng = np.random.default_rng(5)
    x = ar1(6000, 0.9, rng)
    raw = run_chart(x, "ewma", reference_rows=1500)
    res = residuals(x, "ar1", reference_rows=1500)
    assert res.parameters["phi"] == pytest.approx(0.9, abs=0.03) and abs(res.lag1) < 0.1
    fixed = run_chart(res.values, "ewma", reference_rows=1500)
    # EWMA designed for ARL0 370: about 16 alarms expected on 6000 independent rows.
    assert raw.alarm_rows.size > 20 * max(1, fixed.alarm_rows.size)
    assert fixed.alarm_rows.size <= 40
    assert res.to_dict()["model"] == "ar1"


def test_ewma_residuals_follow_a_drifting_level() -> None:
    rng = np.random.default_rng(6)
    level = np.cumsum(0.2 * rng.normal(size=4000))
    x = 100 + level + rng.normal(size=4000)
    res = residuals(x, "ewma", reference_rows=1000)
    assert 0.05 <= res.parameters["lambda"] <= 0.5
    chart = run_chart(res.values, "shewhart", reference_rows=1000)
    assert chart.alarm_rows.size <= 30  # Shewhart 3σ: about 11 expected on 4000 independent rows
    assert run_chart(x, "shewhart", reference_rows=1000).alarm_rows.size > 500


def test_residuals_skip_missing_values_and_refuse_bad_input() -> None:
    x = ar1(300, 0.7, np.random.default_rng(7))
    x[50] = np.nan
    for model in ("ar1", "ewma"):
        r = residuals(x, model, reference_rows=100)
        assert np.isnan(r.values[0]) and np.isnan(r.values[50]) and np.isfinite(r.values[52])
    with pytest.raises(ValueError, match="must be one of"):
        residuals(x, "arima", reference_rows=100)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least 10 reference values"):
        residuals(x, "ar1", reference_rows=5)
