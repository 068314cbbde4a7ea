"""Response surfaces: polynomial models in coded factors, least squares, R², Q² and the coefficients.

The model of every response is the same polynomial in the coded factors (−1…+1), so the
coefficients compare across factors (MODDE and JMP show them so):

* ``linear``: ``b0 + Σ bi·xi``
* ``interaction``: ``+ Σ bij·xi·xj`` (i < j)
* ``quadratic``: ``+ Σ bii·xi²`` (needs three levels per factor: ``ccd``, ``bbd``, ``full``, ``lhs``)

Fit by ordinary least squares (``numpy.linalg.lstsq``). For each response:

* **R²** = 1 − SS_res / SS_tot (how well the model fits the runs) and adjusted R²;
* **Q²** = 1 − PRESS / SS_tot, with PRESS = Σ (eᵢ / (1 − hᵢᵢ))² the leave-one-out prediction
  error from the hat matrix (no refit needed): how well the model *predicts* a run it was not
  fitted on. Q² well below R² (say by more than 0.2-0.3) means an over-fitted model; a Q² ≤ 0
  predicts no better than the mean.
* coefficients with their standard errors, t values and two-sided p-values (residual degrees
  of freedom n − p).

A response may be fitted on a log scale (``transform="log"``): drying times and titres are
positive and their effects multiplicative, and the fit statistics are then those of the log.

Examples
--------
A quadratic surface is recovered exactly from a face-centred composite design:

>>> from analytics.doe_design import make_design
>>> x = make_design("ccd", 2, center=3)
>>> y = 10 + 2 * x[:, 0] - x[:, 1] + 0.5 * x[:, 0] * x[:, 1] + 3 * x[:, 0] ** 2
>>> m = fit_surfaces(x, {"y": y}, model="quadratic", factor_names=["a", "b"])
>>> [round(float(c), 6) + 0.0 for c in m.fits["y"].coef]
[10.0, 2.0, -1.0, 0.5, 3.0, 0.0]
>>> m.term_names
['1', 'a', 'b', 'a·b', 'a²', 'b²']
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

__all__ = [
    "MODELS",
    "ResponseFit",
    "SurfaceModel",
    "best_model",
    "fit_surfaces",
    "model_matrix",
    "model_terms",
    "term_name",
]

ModelKind = Literal["linear", "interaction", "quadratic"]
#: Model kinds, from the smallest.
MODELS: tuple[ModelKind, ...] = ("linear", "interaction", "quadratic")
Transform = Literal["none", "log"]
Term = tuple[int, ...]


def model_terms(k: int, kind: str) -> list[Term]:
    """Terms of a ``kind`` model in ``k`` factors: ``()`` the constant, ``(i,)`` a main effect,
    ``(i, j)`` an interaction (i < j), ``(i, i)`` a square.

    >>> model_terms(2, "quadratic")
    [(), (0,), (1,), (0, 1), (0, 0), (1, 1)]
    """
    if kind not in MODELS:
        raise ValueError(f"unknown model {kind!r}; choose one of {', '.join(MODELS)}")
    terms: list[Term] = [()] + [(i,) for i in range(k)]
    if kind in ("interaction", "quadratic"):
        terms += [(i, j) for i in range(k) for j in range(i + 1, k)]
    if kind == "quadratic":
        terms += [(i, i) for i in range(k)]
    return terms


def term_name(term: Term, names: Sequence[str]) -> str:
    """``1``, ``a``, ``a·b``, ``a²``.

    >>> term_name((0, 0), ["t"]), term_name((0, 1), ["t", "f"]), term_name((), [])
    ('t²', 't·f', '1')
    """
    if not term:
        return "1"
    if len(term) == 2 and term[0] == term[1]:
        return f"{names[term[0]]}²"
    return "·".join(names[i] for i in term)


def model_matrix(coded: np.ndarray, terms: Sequence[Term]) -> np.ndarray:
    """Columns of the model for each row of ``coded`` (runs × factors)."""
    x = np.atleast_2d(np.asarray(coded, dtype=float))
    out = np.ones((x.shape[0], len(terms)))
    for j, term in enumerate(terms):
        for i in term:
            out[:, j] *= x[:, i]
    return out


@dataclass(frozen=True)
class ResponseFit:
    """The fit of one response (on its transformed scale).

    Attributes
    ----------
    coef, se, t, p : numpy.ndarray
        Coefficients (coded factors), their standard errors, t values and p-values.
    r2, r2_adj, q2 : float
        Coefficients of determination and of prediction (NaN for a constant response).
    rmse : float
        Residual standard deviation ``sqrt(SS_res / (n − p))``.
    press : float
        Sum of squared leave-one-out prediction errors.
    """

    name: str
    transform: Transform
    coef: np.ndarray
    se: np.ndarray
    t: np.ndarray
    p: np.ndarray
    r2: float
    r2_adj: float
    q2: float
    rmse: float
    press: float
    residuals: np.ndarray
    observed: np.ndarray


@dataclass(frozen=True)
class SurfaceModel:
    """One polynomial model fitted to several responses of the same runs.

    Attributes
    ----------
    terms : list of tuple
        The model's terms (:func:`model_terms`).
    coef : numpy.ndarray
        Coefficients, terms × responses (transformed scale).
    xtx_inv : numpy.ndarray
        ``(XᵀX)⁻¹`` of the design's model matrix.
    residuals : numpy.ndarray
        Runs × responses (transformed scale).
    """

    factor_names: list[str]
    responses: list[str]
    transforms: dict[str, Transform]
    kind: str
    terms: list[Term]
    coded: np.ndarray
    coef: np.ndarray
    xtx_inv: np.ndarray
    residuals: np.ndarray
    fits: dict[str, ResponseFit] = field(default_factory=dict)

    @property
    def n_runs(self) -> int:
        return int(self.coded.shape[0])

    @property
    def dof(self) -> int:
        """Residual degrees of freedom ``n − p``."""
        return self.n_runs - len(self.terms)

    @property
    def term_names(self) -> list[str]:
        return [term_name(t, self.factor_names) for t in self.terms]

    def predict(self, coded: np.ndarray, *, transformed: bool = False) -> np.ndarray:
        """Predicted responses (rows × responses) at ``coded`` points; back-transformed unless asked.

        For a log response the back-transform of the predicted mean log is the median.
        """
        y = model_matrix(coded, self.terms) @ self.coef
        return y if transformed else self.back_transform(y)

    def se_fit(self, coded: np.ndarray) -> np.ndarray:
        """Standard error of the fitted mean (rows × responses, transformed scale)."""
        x = model_matrix(coded, self.terms)
        lever = np.einsum("ij,jk,ik->i", x, self.xtx_inv, x)
        rmse = np.array([self.fits[r].rmse for r in self.responses])
        return np.sqrt(np.maximum(lever, 0.0))[:, None] * rmse[None, :]

    def back_transform(self, y: np.ndarray) -> np.ndarray:
        out = np.array(y, dtype=float, copy=True)
        for j, r in enumerate(self.responses):
            if self.transforms[r] == "log":
                with np.errstate(over="ignore"):  # a wild Monte Carlo draw: +inf, out of any spec
                    out[..., j] = np.exp(out[..., j])
        return out


def _transform(name: str, values: np.ndarray, how: Transform) -> np.ndarray:
    if how == "none":
        return values
    if how == "log":
        if np.any(values <= 0.0):
            bad = float(values[values <= 0.0][0])
            raise ValueError(
                f"response {name}: a log transform needs values > 0, got {bad:g}; use --transform {name}=none"
            )
        return np.log(values)
    raise ValueError(f"response {name}: unknown transform {how!r}; use none or log")


def fit_surfaces(
    coded: np.ndarray,
    responses: Mapping[str, np.ndarray],
    *,
    model: str = "quadratic",
    factor_names: Sequence[str],
    transforms: Mapping[str, Transform] | None = None,
) -> SurfaceModel:
    """Fit the ``model`` polynomial to every response by least squares.

    Raises
    ------
    ValueError
        When the design cannot estimate the model (too few runs, or aliased terms), naming a
        smaller model or a design that can; when a response has a non-finite value (naming
        the run).
    """
    x = np.atleast_2d(np.asarray(coded, dtype=float))
    n, k = x.shape
    if len(factor_names) != k:
        raise ValueError(f"{len(factor_names)} factor names for {k} design columns")
    terms = model_terms(k, model)
    big_x = model_matrix(x, terms)
    p = len(terms)
    if n <= p:
        raise ValueError(
            f"{n} runs cannot fit the {model} model's {p} terms with an error estimate: need at least "
            f"{p + 1} runs (add centre points or runs, or choose a smaller --model)"
        )
    rank = np.linalg.matrix_rank(big_x)
    if rank < p:
        smaller = list(MODELS[: MODELS.index(model)])
        hint = f"use --model {smaller[-1]}" if smaller else "use another design"
        raise ValueError(
            f"this design cannot estimate the {model} model (rank {rank} < {p} terms: some terms are "
            f"aliased, e.g. squares in a two-level design): {hint}, or a ccd/bbd/full/lhs design"
        )
    how = dict(transforms or {})
    names = list(responses)
    ys = []
    for r in names:
        v = np.asarray(responses[r], dtype=float)
        if v.shape != (n,):
            raise ValueError(f"response {r}: {v.shape[0] if v.ndim else 0} values for {n} runs")
        if not np.all(np.isfinite(v)):
            raise ValueError(f"response {r}: run {int(np.flatnonzero(~np.isfinite(v))[0]) + 1} has no finite value")
        ys.append(_transform(r, v, how.setdefault(r, "none")))
    y = np.column_stack(ys) if ys else np.zeros((n, 0))
    coef, *_ = np.linalg.lstsq(big_x, y, rcond=None)
    xtx_inv = np.linalg.inv(big_x.T @ big_x)
    resid = y - big_x @ coef
    lever = np.einsum("ij,jk,ik->i", big_x, xtx_inv, big_x)
    dof = n - p
    fits: dict[str, ResponseFit] = {}
    for j, r in enumerate(names):
        e = resid[:, j]
        ss_res = float(e @ e)
        ss_tot = float(np.sum((y[:, j] - y[:, j].mean()) ** 2))
        rmse = math.sqrt(ss_res / dof)
        # Leave-one-out residuals e/(1 − h); a run with h = 1 is predicted by no other run.
        with np.errstate(divide="ignore", invalid="ignore"):
            loo = np.where(lever < 1.0 - 1e-10, e / (1.0 - lever), np.inf)
        press = float(loo @ loo)
        constant = ss_tot <= 1e-24 * max(1.0, float(np.mean(y[:, j] ** 2)))
        r2 = math.nan if constant else 1.0 - ss_res / ss_tot
        r2_adj = math.nan if constant else 1.0 - (ss_res / dof) / (ss_tot / (n - 1))
        q2 = math.nan if constant else 1.0 - press / ss_tot
        se = rmse * np.sqrt(np.diag(xtx_inv))
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(se > 0.0, coef[:, j] / se, np.where(coef[:, j] == 0.0, 0.0, np.inf))
        from scipy import stats  # imported here: it slows every gmp-twin command's start

        pval = 2.0 * stats.t.sf(np.abs(t), dof)
        fits[r] = ResponseFit(r, how[r], coef[:, j].copy(), se, t, pval, r2, r2_adj, q2, rmse, press, e.copy(), y[:, j])
    return SurfaceModel(
        factor_names=list(factor_names),
        responses=names,
        transforms=how,
        kind=model,
        terms=terms,
        coded=x,
        coef=coef,
        xtx_inv=xtx_inv,
        residuals=resid,
        fits=fits,
    )


def best_model(coded: np.ndarray) -> str:
    """The largest model this design can estimate with at least one residual degree of freedom.

    >>> from analytics.doe_design import make_design
    >>> best_model(make_design("ccd", 2)), best_model(make_design("ff2", 3))
    ('quadratic', 'interaction')
    >>> best_model(make_design("frac", 5, resolution=3, center=0))
    'linear'
    """
    x = np.atleast_2d(np.asarray(coded, dtype=float))
    for kind in reversed(MODELS):
        big_x = model_matrix(x, model_terms(x.shape[1], kind))
        if x.shape[0] > big_x.shape[1] and np.linalg.matrix_rank(big_x) == big_x.shape[1]:
            return kind
    raise ValueError(f"{x.shape[0]} runs cannot fit even a linear model of {x.shape[1]} factors with an error estimate")
