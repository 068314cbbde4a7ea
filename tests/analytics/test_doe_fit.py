"""Response surfaces: exact recovery, R², Q² from PRESS against explicit leave-one-out refits, errors."""

from __future__ import annotations

import re

import numpy as np
import pytest
from scipy import stats

from analytics.doe_design import make_design
from analytics.doe_fit import best_model, fit_surfaces, model_matrix, model_terms


def test_quadratic_coefficients_recovered_from_a_composite_design() -> None:
    x = make_design("ccd", 3, center=2)
    terms = model_terms(3, "quadratic")
    true = np.arange(1.0, len(terms) + 1.0)
    y = model_matrix(x, terms) @ true
    m = fit_surfaces(x, {"y": y}, model="quadratic", factor_names=["a", "b", "c"])
    assert np.allclose(m.fits["y"].coef, true)
    assert m.fits["y"].r2 == pytest.approx(1.0)
    assert m.term_names == ["1", "a", "b", "c", "a·b", "a·c", "b·c", "a²", "b²", "c²"]


def test_q2_from_press_equals_leave_one_out_refits() -> None:
    rng = np.random.default_rng(7)
    x = make_design("ccd", 2, center=3)
    y = 5 + x[:, 0] - 2 * x[:, 1] + x[:, 0] ** 2 + 0.3 * rng.standard_normal(len(x))
    m = fit_surfaces(x, {"y": y}, model="quadratic", factor_names=["a", "b"])
    big = model_matrix(x, m.terms)
    press = 0.0
    for i in range(len(x)):
        keep = np.arange(len(x)) != i
        coef, *_ = np.linalg.lstsq(big[keep], y[keep], rcond=None)
        press += float((y[i] - big[i] @ coef) ** 2)
    fit = m.fits["y"]
    assert fit.press == pytest.approx(press, rel=1e-9)
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    assert fit.q2 == pytest.approx(1 - press / ss_tot)
    assert fit.q2 < fit.r2


def test_standard_errors_and_p_values_match_scipy_linregress() -> None:
    rng = np.random.default_rng(1)
    x = np.linspace(-1, 1, 12)[:, None]
    y = 2.0 + 0.4 * x[:, 0] + 0.5 * rng.standard_normal(12)
    fit = fit_surfaces(x, {"y": y}, model="linear", factor_names=["x"]).fits["y"]
    ref = stats.linregress(x[:, 0], y)
    assert fit.coef[1] == pytest.approx(ref.slope)
    assert fit.se[1] == pytest.approx(ref.stderr)
    assert fit.p[1] == pytest.approx(ref.pvalue)
    assert fit.r2 == pytest.approx(ref.rvalue**2)


def test_log_transform_fits_a_power_law_exactly() -> None:
    x = make_design("full", 2, levels=3)
    y = 30.0 * np.exp(-0.3 * x[:, 0] - 0.2 * x[:, 1])
    m = fit_surfaces(x, {"t": y}, model="linear", factor_names=["a", "b"], transforms={"t": "log"})
    assert m.fits["t"].r2 == pytest.approx(1.0)
    assert m.predict(np.array([[0.0, 0.0]]))[0, 0] == pytest.approx(30.0)
    message = "response t: a log transform needs values > 0, got -50.5384; use --transform t=none"
    with pytest.raises(ValueError, match=re.escape(message)):
        fit_surfaces(x, {"t": y - 100}, model="linear", factor_names=["a", "b"], transforms={"t": "log"})


def test_a_constant_response_has_no_r2() -> None:
    x = make_design("ccd", 2)
    m = fit_surfaces(x, {"c": np.full(len(x), 3.0)}, model="quadratic", factor_names=["a", "b"])
    assert np.isnan(m.fits["c"].r2) and np.isnan(m.fits["c"].q2)


def test_a_design_that_cannot_estimate_the_model_says_which_model_it_can() -> None:
    x = make_design("ff2", 2, center=3)
    with pytest.raises(ValueError, match=r"cannot estimate the quadratic model .* use --model interaction"):
        fit_surfaces(x, {"y": x[:, 0]}, model="quadratic", factor_names=["a", "b"])
    assert best_model(x) == "interaction"
    with pytest.raises(ValueError, match="4 runs cannot fit the interaction model's 4 terms"):
        fit_surfaces(make_design("ff2", 2, center=0), {"y": np.ones(4)}, model="interaction", factor_names=["a", "b"])


def test_non_finite_response_names_the_run() -> None:
    x = make_design("ccd", 2)
    y = np.ones(len(x))
    y[4] = np.nan
    with pytest.raises(ValueError, match="response y: run 5 has no finite value"):
        fit_surfaces(x, {"y": y}, model="linear", factor_names=["a", "b"])
