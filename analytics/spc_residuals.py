"""Residual charts for autocorrelated or drifting series: AR(1) and EWMA-forecast residuals.

The remedy :mod:`analytics.spc_autocorrelation` proposes (Montgomery, *Introduction to
Statistical Quality Control*, §10.4 "SPC with autocorrelated process data"): model the
dependence, then chart the one-step-ahead forecast errors, which are close to independent
when the model fits, with the usual charts.

``ar1`` (Alwan & Roberts, 1988)
    ``x_t − μ = φ (x_{t−1} − μ) + e_t``; ``μ`` and ``φ`` (the lag-1 autocorrelation,
    Yule–Walker) from the reference rows; the residual is ``e_t``. For a stationary
    process that wanders around a fixed level.
``ewma`` (the EWMA with a moving centre line, Montgomery & Mastrangelo, 1991)
    The forecast ``ẑ_t = λ x_{t−1} + (1 − λ) ẑ_{t−1}`` follows the level; the residual is
    ``x_t − ẑ_t``. ``λ`` minimises the squared forecast errors over the reference rows
    (grid 0.05 … 1). For a level that drifts (a random walk with noise, a slow trend).

The first row has no residual (NaN, skipped by the charts); a NaN value gives a NaN residual
and leaves the EWMA forecast unchanged.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> x = np.zeros(600)
>>> for t in range(1, 600):
...     x[t] = 0.95 * x[t - 1] + rng.normal()
>>> res = residuals(x, "ar1", reference_rows=300)
>>> round(res.parameters["phi"], 2), bool(np.isnan(res.values[0])), abs(round(res.lag1, 1))
(0.93, True, 0.0)
>>> walk = np.cumsum(0.3 * rng.normal(size=600)) + rng.normal(size=600)  # a drifting level + noise
>>> res = residuals(walk, "ewma", reference_rows=300)
>>> res.parameters["lambda"], abs(round(res.lag1, 1))
(0.2, 0.0)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from analytics.spc_autocorrelation import lag1_autocorrelation

Model = Literal["ar1", "ewma"]
MODELS: tuple[Model, ...] = ("ar1", "ewma")
_LAMBDAS = np.round(np.arange(0.05, 1.0001, 0.05), 2)


@dataclass(frozen=True)
class Residuals:
    """One-step-ahead forecast errors of a series, the model and its fitted parameters.

    ``lag1`` is the lag-1 autocorrelation left in the reference rows' residuals (close to 0
    when the model fits).
    """

    model: Model
    values: npt.NDArray[np.float64]
    parameters: dict[str, float] = field(default_factory=dict)
    lag1: float = float("nan")

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "parameters": dict(self.parameters), "lag1": self.lag1}


def ar1_residuals(x: npt.NDArray[np.float64], mean: float, phi: float) -> npt.NDArray[np.float64]:
    """``e_t = (x_t − mean) − phi (x_{t−1} − mean)``; ``e_0`` is NaN.

    >>> ar1_residuals(np.array([1.0, 2.0, 2.0]), 1.0, 0.5).tolist()
    [nan, 1.0, 0.5]
    """
    c = x - mean
    out = np.full(x.shape, np.nan)
    out[1:] = c[1:] - phi * c[:-1]
    return out


def ewma_residuals(x: npt.NDArray[np.float64], lambda_: float) -> npt.NDArray[np.float64]:
    """``x_t − ẑ_t`` with ``ẑ_t = λ x_{t−1} + (1 − λ) ẑ_{t−1}`` started at the first value; ``e_0`` is NaN.

    >>> ewma_residuals(np.array([0.0, 1.0, 1.0, 1.0]), 0.5).tolist()
    [nan, 1.0, 0.5, 0.25]
    """
    out = np.full(x.shape, np.nan)
    finite = np.flatnonzero(np.isfinite(x))
    if finite.size == 0:
        return out
    start = int(finite[0])
    z = float(x[start])
    for t in range(start + 1, x.size):
        v = x[t]
        if not np.isfinite(v):
            continue  # the forecast stays: a missing value neither moves nor resets it
        out[t] = v - z
        z = lambda_ * v + (1 - lambda_) * z
    return out


def _fit_lambda(ref: npt.NDArray[np.float64]) -> float:
    sse = [float(np.nansum(ewma_residuals(ref, lam) ** 2)) for lam in _LAMBDAS]
    return float(_LAMBDAS[int(np.argmin(sse))])


def residuals(x: npt.ArrayLike, model: Model, *, reference_rows: int) -> Residuals:
    """Residuals of ``model`` fitted on the first ``reference_rows`` values of ``x``.

    Raises
    ------
    ValueError
        Unknown model, or fewer than 10 usable reference values.
    """
    if model not in MODELS:
        raise ValueError(f"residual model must be one of {', '.join(MODELS)}; got {model!r}")
    arr = np.asarray(x, dtype=np.float64)
    ref = arr[:reference_rows]
    if int(np.isfinite(ref).sum()) < 10:
        raise ValueError(f"the residual model needs at least 10 reference values, got {int(np.isfinite(ref).sum())}")
    if model == "ar1":
        mean = float(np.nanmean(ref))
        phi = lag1_autocorrelation(ref)
        phi = 0.0 if not np.isfinite(phi) else phi
        values = ar1_residuals(arr, mean, phi)
        params = {"mean": mean, "phi": phi}
    else:
        lam = _fit_lambda(ref)
        values = ewma_residuals(arr, lam)
        params = {"lambda": lam}
    return Residuals(model, values, params, lag1_autocorrelation(values[:reference_rows]))
