"""Design space (ICH Q8): where every CQA meets its specification with probability ≥ p.

The probability at a factor setting ``x`` is estimated by Monte Carlo over two sources:

* **model uncertainty**: the fitted coefficients ``B`` and the residual covariance ``Σ`` of
  the responses are drawn from their posterior, ``vec(B) | Σ ~ N(vec(B̂), Σ ⊗ (XᵀX)⁻¹)`` and
  ``Σ ~ Inv-Wishart(ν + m − 1, EᵀE)`` (``ν = n − p`` residual degrees of freedom, ``m``
  responses; see :func:`_covariance_draws`), so a model fitted on few runs, or a poor fit,
  gives a wider spread;
* **process uncertainty**: a new batch is ``y = f(x + δ)·B + ε``, with ``ε ~ N(0, Σ)`` the
  batch-to-batch variation the runs showed (raw material, analyser error, lack of fit) and
  ``δ ~ N(0, diag(jitter²))`` how far the plant's factors wander from their setpoints.

``ε`` keeps the correlation between responses (a wetter batch dries longer *and* ends wetter),
so P(all CQAs in spec) is the joint probability, not a product. Draw ``d`` uses one ``(B, Σ)``
for the whole grid: the probability surface is smooth and its contour is the design space.

The **edge of failure** is where the predicted responses themselves (``f(x)·B̂``, no noise)
cross a specification: the nominal process fails beyond it.

Examples
--------
>>> parse_spec("final_lod<=2")
Spec(response='final_lod', lower=None, upper=2.0)
>>> str(parse_spec("titre>=20")), str(parse_spec("final_lod=1:2.5")), str(parse_spec("1 <= final_lod <= 2.5"))
('titre ≥ 20', '1 ≤ final_lod ≤ 2.5', '1 ≤ final_lod ≤ 2.5')
>>> parse_spec("lod<2%")
Traceback (most recent call last):
...
ValueError: --spec 'lod<2%': use name<=value, name>=value or name=low:high (e.g. final_lod<=2)
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from analytics.doe_fit import SurfaceModel, model_matrix

__all__ = ["SpaceResult", "Spec", "edge_distance", "monte_carlo_space", "parse_spec", "spec_label", "spec_pass"]

_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_ONE_SIDED = re.compile(rf"^\s*([A-Za-z_][\w:.]*)\s*(<=|>=|<|>)\s*({_NUM})\s*$")
_RANGE = re.compile(rf"^\s*([A-Za-z_][\w:.]*)\s*=\s*({_NUM})\s*:\s*({_NUM})\s*$")
_BETWEEN = re.compile(rf"^\s*({_NUM})\s*<=?\s*([A-Za-z_][\w:.]*)\s*<=?\s*({_NUM})\s*$")


@dataclass(frozen=True)
class Spec:
    """A specification of one response: ``lower ≤ y ≤ upper`` (either bound may be absent)."""

    response: str
    lower: float | None = None
    upper: float | None = None

    def __post_init__(self) -> None:
        if self.lower is None and self.upper is None:
            raise ValueError(f"spec of {self.response}: needs a lower or an upper limit")
        if self.lower is not None and self.upper is not None and not self.lower < self.upper:
            raise ValueError(f"spec of {self.response}: low {self.lower} must be below high {self.upper}")

    def __str__(self) -> str:
        return spec_label(self.response, self.lower, self.upper)

    def passes(self, y: np.ndarray) -> np.ndarray:
        """Boolean array: ``y`` within the limits (NaN fails)."""
        ok = np.isfinite(y)
        if self.lower is not None:
            ok &= y >= self.lower
        if self.upper is not None:
            ok &= y <= self.upper
        return ok


def spec_label(
    response: str, lower: float | None, upper: float | None, number: Callable[[float], str] = "{:g}".format
) -> str:
    """``response ≤ upper``, ``response ≥ lower`` or ``lower ≤ response ≤ upper``, numbers by ``number``.

    >>> spec_label("final_lod", None, 2.5), spec_label("lod", 1.0, 2.5, lambda v: f"{v:.1f}".replace(".", ","))
    ('final_lod ≤ 2.5', '1,0 ≤ lod ≤ 2,5')
    """
    if lower is not None and upper is not None:
        return f"{number(lower)} ≤ {response} ≤ {number(upper)}"
    if upper is not None:
        return f"{response} ≤ {number(upper)}"
    return f"{response} ≥ {number(lower if lower is not None else math.nan)}"


def parse_spec(text: str) -> Spec:
    """``name<=v``, ``name>=v`` (``<``/``>`` read the same), ``name=low:high`` or ``low<=name<=high``."""
    m = _ONE_SIDED.match(text)
    if m:
        name, op, value = m.group(1), m.group(2), float(m.group(3))
        return Spec(name, upper=value) if op.startswith("<") else Spec(name, lower=value)
    m = _RANGE.match(text)
    if m:
        return Spec(m.group(1), float(m.group(2)), float(m.group(3)))
    m = _BETWEEN.match(text)
    if m:
        return Spec(m.group(2), float(m.group(1)), float(m.group(3)))
    raise ValueError(f"--spec {text!r}: use name<=value, name>=value or name=low:high (e.g. final_lod<=2)")


def spec_pass(specs: Sequence[Spec], responses: Sequence[str], y: np.ndarray) -> np.ndarray:
    """Rows of ``y`` (… × responses, real scale) that meet every spec."""
    ok = np.ones(y.shape[:-1], dtype=bool)
    for s in specs:
        ok &= s.passes(y[..., responses.index(s.response)])
    return ok


@dataclass(frozen=True)
class SpaceResult:
    """Monte Carlo design space on a set of points.

    Attributes
    ----------
    p_all : numpy.ndarray
        P(every spec met), per point.
    p_spec : numpy.ndarray
        P(spec met), points × specs.
    mean : numpy.ndarray
        Predicted responses (points × responses, real scale; the median for a log response).
    nominal_pass : numpy.ndarray
        Every spec met by the predicted responses: inside the edge of failure.
    """

    p_all: np.ndarray
    p_spec: np.ndarray
    mean: np.ndarray
    nominal_pass: np.ndarray
    draws: int


def _covariance_draws(model: SurfaceModel, draws: int, rng: np.random.Generator) -> np.ndarray:
    """``draws`` residual covariance matrices (draws × m × m) from an Inverse-Wishart posterior.

    ``Σ ~ Inv-Wishart(ν + m − 1, EᵀE)`` with ``ν = n − p``: each response's variance then has
    exactly the one-response posterior ``σ² = ν·s²/χ²_ν`` (the one behind the usual t prediction
    interval), and the responses keep the correlation of their residuals. (The multivariate
    Jeffreys prior, ``Inv-Wishart(ν, EᵀE)``, would take m − 1 degrees of freedom from every
    variance: with 11 runs of a 6-term model and 3 responses, a variance 5 times s² on average.)
    """
    m, nu = len(model.responses), model.dof
    e = model.residuals
    scale = e.T @ e
    # A response the model fits exactly (or a constant one) has no variance: keep the matrix
    # positive definite with a negligible floor relative to the other responses' scale.
    floor = 1e-12 * max(float(np.max(np.diag(scale))), 1e-300)
    scale = scale + floor * np.eye(m)
    from scipy.stats import invwishart  # imported here: it slows every gmp-twin command's start

    out = invwishart.rvs(df=nu + m - 1, scale=scale, size=draws, random_state=rng)
    return np.asarray(out, dtype=float).reshape(draws, m, m)


def monte_carlo_space(
    model: SurfaceModel,
    specs: Sequence[Spec],
    points: np.ndarray,
    *,
    draws: int = 1000,
    jitter: Sequence[float] | None = None,
    seed: int = 0,
) -> SpaceResult:
    """P(each CQA in spec) at ``points`` (coded units, rows × factors) by Monte Carlo.

    Parameters
    ----------
    model : SurfaceModel
        The fitted responses (:func:`analytics.doe_fit.fit_surfaces`); needs ``n − p ≥ 1``.
    specs : sequence of Spec
        Each names a response of ``model``.
    points : numpy.ndarray
        Factor settings, coded.
    draws : int
        Monte Carlo draws (the probability's standard error is at most ``0.5/√draws``).
    jitter : sequence of float, optional
        Standard deviation of each factor around its setpoint, coded units (0: exact).
    seed : int
        Seed of the draws (the same seed gives the same result).

    Examples
    --------
    A straight line ``y = 1 + x`` fitted on 21 noisy runs: at ``x = 0`` the mean is 1, so
    P(y ≤ 1) is close to one half, and far below the limit it is close to one.

    >>> from analytics.doe_fit import fit_surfaces
    >>> rng = np.random.default_rng(3)
    >>> x = np.linspace(-1, 1, 21)[:, None]
    >>> m = fit_surfaces(x, {"y": 1 + x[:, 0] + 0.1 * rng.standard_normal(21)}, model="linear", factor_names=["x"])
    >>> r = monte_carlo_space(m, [Spec("y", upper=1.0)], np.array([[0.0], [-0.5]]), draws=4000, seed=1)
    >>> [round(float(v), 1) for v in r.p_all], r.nominal_pass.tolist()
    ([0.5, 1.0], [True, True])
    """
    for s in specs:
        if s.response not in model.responses:
            raise ValueError(f"spec {s}: {s.response} is not a fitted response ({', '.join(model.responses)})")
    if model.dof < 1:
        raise ValueError("no residual degree of freedom: add centre points or runs to estimate the error")
    if draws < 1:
        raise ValueError(f"draws must be >= 1, got {draws}")
    rng = np.random.default_rng(seed)
    pts = np.atleast_2d(np.asarray(points, dtype=float))
    g, k = pts.shape
    m, p = len(model.responses), len(model.terms)
    sd = np.zeros(k) if jitter is None else np.asarray(jitter, dtype=float)
    mean = model.predict(pts)
    nominal = spec_pass(specs, model.responses, mean)
    sigmas = _covariance_draws(model, draws, rng)
    chol_x = np.linalg.cholesky(model.xtx_inv + 1e-14 * np.eye(p))
    base = model_matrix(pts, model.terms)
    hits_all = np.zeros(g)
    hits = np.zeros((g, len(specs)))
    for d in range(draws):
        chol_s = np.linalg.cholesky(sigmas[d])
        coef = model.coef + chol_x @ rng.standard_normal((p, m)) @ chol_s.T
        # One batch per draw, the same at every point (common random numbers): each draw is a
        # smooth surface, so the probability surface and its contour are smooth too, while the
        # probability at each point keeps the same distribution.
        x_mat = base if not sd.any() else model_matrix(pts + rng.standard_normal(k) * sd, model.terms)
        y = x_mat @ coef + rng.standard_normal(m) @ chol_s.T
        y = model.back_transform(y)
        ok_all = np.ones(g, dtype=bool)
        for j, s in enumerate(specs):
            ok = s.passes(y[:, model.responses.index(s.response)])
            hits[:, j] += ok
            ok_all &= ok
        hits_all += ok_all
    return SpaceResult(hits_all / draws, hits / draws, mean, nominal, draws)


def edge_distance(predicted: np.ndarray, truth: np.ndarray) -> tuple[int, float]:
    """How far (in grid steps) a predicted pass/fail map errs from the true edge.

    For each cell classified differently from ``truth``, the Chebyshev distance (grid steps,
    diagonals count one) to the nearest true cell of the other class; returns the number of
    such cells and the largest distance (0 when the maps agree, ``inf`` when ``truth`` is all
    one class and the prediction differs somewhere). A largest distance ≤ 1 means the
    predicted edge of failure lies within one grid step of the true one.

    >>> truth = np.array([[1, 1, 0, 0]] * 3, dtype=bool)
    >>> edge_distance(np.array([[1, 1, 1, 0]] * 3, dtype=bool), truth)
    (3, 1.0)
    >>> edge_distance(np.array([[1, 0, 0, 0]] * 3, dtype=bool), truth)
    (3, 1.0)
    >>> edge_distance(np.array([[1, 1, 1, 1]] * 3, dtype=bool), truth)
    (6, 2.0)
    """
    pred, true = np.asarray(predicted, dtype=bool), np.asarray(truth, dtype=bool)
    if pred.shape != true.shape:
        raise ValueError(f"maps of different shapes {pred.shape} and {true.shape}")
    wrong = pred != true
    if not wrong.any():
        return 0, 0.0
    # Distance of every cell to the nearest cell of each class (chessboard metric).
    from scipy import ndimage

    to_pass = ndimage.distance_transform_cdt(~true, metric="chessboard") if true.any() else None
    to_fail = ndimage.distance_transform_cdt(true, metric="chessboard") if (~true).any() else None
    worst = 0.0
    for idx in zip(*np.nonzero(wrong), strict=True):
        other = to_fail if true[idx] else to_pass
        worst = max(worst, math.inf if other is None else float(other[idx]))
    return int(wrong.sum()), worst
