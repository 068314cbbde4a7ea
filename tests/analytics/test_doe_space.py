"""Monte Carlo design space against closed forms: the Student-t predictive, factor jitter, the joint
probability of correlated responses, the edge distance and the spec syntax."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from analytics.doe_design import make_design
from analytics.doe_fit import fit_surfaces, model_matrix
from analytics.doe_space import Spec, edge_distance, monte_carlo_space, parse_spec


def _noisy_line(seed: int = 2, n: int = 15, sd: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.linspace(-1.0, 1.0, n)[:, None]
    return x, 1.0 + 0.8 * x[:, 0] + sd * rng.standard_normal(n)


def test_probability_matches_the_student_t_predictive_of_a_new_batch() -> None:
    """With no factor jitter the Monte Carlo's P(y_new ≤ L) is the textbook prediction interval's:
    a Student t with n − p degrees of freedom, centred on the fit, scale s·√(1 + h)."""
    x, y = _noisy_line()
    m = fit_surfaces(x, {"y": y}, model="linear", factor_names=["x"])
    pts = np.array([[-0.6], [0.0], [0.4], [0.9]])
    limit = 1.3
    got = monte_carlo_space(m, [Spec("y", upper=limit)], pts, draws=40_000, seed=3).p_all
    fit = m.fits["y"]
    xm = model_matrix(pts, m.terms)
    lever = np.einsum("ij,jk,ik->i", xm, m.xtx_inv, xm)
    want = stats.t.cdf((limit - xm @ fit.coef) / (fit.rmse * np.sqrt(1.0 + lever)), m.dof)
    assert np.allclose(got, want, atol=0.01), (got, want)


def test_factor_jitter_widens_the_spread_as_the_slope_says() -> None:
    """A nearly exact line y = 1 + 0.8·x: with the factor wandering by sd σx (coded), y wanders by 0.8·σx."""
    x, y = _noisy_line(sd=1e-4)
    m = fit_surfaces(x, {"y": y}, model="linear", factor_names=["x"])
    r = monte_carlo_space(m, [Spec("y", upper=1.1)], np.array([[0.0]]), draws=40_000, jitter=[0.2], seed=5)
    assert r.p_all[0] == pytest.approx(stats.norm.cdf(0.1 / (0.8 * 0.2)), abs=0.01)


def test_correlated_responses_give_the_joint_probability_not_the_product() -> None:
    """Two responses with the same noise (a wetter batch fails both): P(both) = P(one), not P(one)²."""
    x, y = _noisy_line(n=30)
    m = fit_surfaces(x, {"a": y, "b": 2.0 * y}, model="linear", factor_names=["x"])
    specs = [Spec("a", upper=1.05), Spec("b", upper=2.1)]
    r = monte_carlo_space(m, specs, np.array([[0.0]]), draws=20_000, seed=1)
    assert r.p_spec[0, 0] == pytest.approx(r.p_spec[0, 1], abs=0.02)
    assert r.p_all[0] == pytest.approx(r.p_spec[0, 0], abs=0.02)
    assert r.p_all[0] > r.p_spec[0, 0] * r.p_spec[0, 1] + 0.1


def test_same_seed_same_result_and_the_nominal_map_is_the_mean_prediction() -> None:
    x = make_design("ccd", 2, center=3)
    rng = np.random.default_rng(0)
    y = 10 + 3 * x[:, 0] - 2 * x[:, 1] + 0.1 * rng.standard_normal(len(x))
    m = fit_surfaces(x, {"y": y}, model="quadratic", factor_names=["a", "b"])
    pts = np.array([[a, b] for a in np.linspace(-1, 1, 5) for b in np.linspace(-1, 1, 5)])
    s = [Spec("y", lower=9.0, upper=12.0)]
    one = monte_carlo_space(m, s, pts, draws=500, seed=9)
    two = monte_carlo_space(m, s, pts, draws=500, seed=9)
    assert np.array_equal(one.p_all, two.p_all)
    pred = m.predict(pts)[:, 0]
    assert np.array_equal(one.nominal_pass, (pred >= 9.0) & (pred <= 12.0))


def test_no_residual_degree_of_freedom_is_refused() -> None:
    x = make_design("ff2", 2, center=1)
    m = fit_surfaces(x, {"y": x[:, 0] + x[:, 1] + 0.01 * np.arange(5)}, model="interaction", factor_names=["a", "b"])
    assert m.dof == 1
    monte_carlo_space(m, [Spec("y", upper=0.0)], np.zeros((1, 2)), draws=10)
    with pytest.raises(ValueError, match="spec y2 ≤ 1: y2 is not a fitted response"):
        monte_carlo_space(m, [Spec("y2", upper=1.0)], np.zeros((1, 2)), draws=10)


def test_edge_distance_in_grid_steps() -> None:
    truth = np.zeros((6, 6), dtype=bool)
    truth[:, :3] = True  # pass left of column 3
    assert edge_distance(truth, truth) == (0, 0.0)
    shifted = np.zeros_like(truth)
    shifted[:, :4] = True  # the edge one column to the right
    assert edge_distance(shifted, truth) == (6, 1.0)
    far = np.zeros_like(truth)
    far[:, :5] = True
    assert edge_distance(far, truth) == (12, 2.0)
    assert edge_distance(np.zeros_like(truth), np.zeros_like(truth)) == (0, 0.0)
    assert edge_distance(np.ones_like(truth), np.zeros_like(truth))[1] == float("inf")


@pytest.mark.parametrize(
    ("text", "lower", "upper"),
    [("final_lod<=2", None, 2.0), ("final_lod < 2", None, 2.0), ("titre>=20.5", 20.5, None),
     ("lod=1:2.5", 1.0, 2.5), ("1<=lod<=2.5", 1.0, 2.5), ("max:product_temperature<=45", None, 45.0),
     ("x<=-1e-3", None, -0.001)],
)  # fmt: skip
def test_spec_syntax(text: str, lower: float | None, upper: float | None) -> None:
    s = parse_spec(text)
    assert (s.lower, s.upper) == (lower, upper)


@pytest.mark.parametrize("text", ["final_lod", "final_lod<=", "final_lod==2", "lod=2.5:1", "<=2"])
def test_bad_specs_say_how_to_write_one(text: str) -> None:
    with pytest.raises(ValueError, match=r"--spec|low 2.5 must be below high 1"):
        parse_spec(text)
