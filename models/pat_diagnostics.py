"""Diagnostics of a PLS prediction: prediction interval, Hotelling T² and Q against the calibration set.

A PLS model predicts well only for spectra like those it was calibrated on. For each new
spectrum (preprocessed and mean-centred as the calibration spectra were, ``x``) and a PLS1
model with ``A`` latent variables fitted on ``n`` calibration spectra:

* **Scores and Hotelling T²**: ``t = x·R`` (the rotations ``R = W(PᵀW)⁻¹``),
  ``T² = Σ_a t_a² / s_a²`` with ``s_a²`` the variance of the calibration scores. T² measures
  how far the spectrum lies *inside* the model plane from the calibration centre
  (an extrapolation in the known directions: unusual concentrations).
* **Residual Q** (SPE): ``Q = ‖x − t·Pᵀ‖²``, the part of the spectrum the model cannot
  describe (a new component, a shifted band: the spectrum is *off* the model plane).
  ``DModX`` (SIMCA) is the same quantity normalised: ``√(Q/(p − A))`` over its pooled sd.
* **Limits** (``1 − α``, 99 % by default):

  - T²: Tracy, Young & Mason (1992) for a new observation,
    ``T²_lim = A(n−1)(n+1) / (n(n−A)) · F₁₋α(A, n−A)``;
  - Q: Box (1954) as in Nomikos & MacGregor (1995), ``g·χ²₁₋α(h)`` with ``g = v/(2m)`` and
    ``h = 2m²/v``, where ``m`` and ``v`` are the mean and variance of Q over the calibration
    spectra, **each predicted by the model fitted without its batch** (leave-one-batch-out):
    fitted residuals are smaller than a new spectrum's, and a limit from them flags too often.
* **Prediction interval**: ``ŷ ± t₁₋α/2(n−A−1) · σ · √(1 + 1/n + h)``, with ``σ`` the
  RMSECV (the error of predictions on batches the model has not seen) and the leverage
  ``h = T²/(n−1)`` (the scores are centred and orthogonal, so ``tᵀ(TᵀT)⁻¹t = T²/(n−1)``);
  the ASTM E1655 form, widening away from the calibration centre. It holds inside the
  calibrated space only: outside it (T² or Q over its limit) no interval is trustworthy,
  which is why such a prediction is flagged, not just given a wider band.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> latent = rng.standard_normal((60, 2))
>>> x = latent @ rng.standard_normal((2, 8)) + 0.05 * rng.standard_normal((60, 8))
>>> y = latent[:, 0] + 0.01 * rng.standard_normal(60)
>>> space = fit_space(x, y, np.repeat(np.arange(6), 10), 2, sigma=0.02)
>>> d = space.diagnose(x[0] - space.x_mean)
>>> bool(d.t2 < space.t2_limit and d.q < space.q_limit)
True
>>> off = x[0] - space.x_mean + np.r_[1.0, -1.0, 0, 0, 0, 0, 0, 0]  # a new component
>>> bool(space.diagnose(off).q > space.q_limit)
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np


class Diagnosis(NamedTuple):
    """Diagnostics of one spectrum against one PLS model.

    Attributes
    ----------
    t2, q : float
        Hotelling T² and residual Q of the spectrum.
    half_width : float
        Half-width of the prediction interval, in the analyte's unit.
    """

    t2: float
    q: float
    half_width: float


class PatPrediction(NamedTuple):
    """One prediction with its interval and diagnostics.

    Attributes
    ----------
    value, half_width : float
        Prediction and half-width of its interval (analyte unit).
    t2, q, t2_limit, q_limit : float
        The spectrum's Hotelling T² and residual Q, and their limits.
    in_range : bool
        The value lies inside the calibrated range of the analyte.

    Examples
    --------
    >>> p = PatPrediction(-0.62, 1.1, 3.0, 40e3, 13.8, 47e3, in_range=False)
    >>> p.in_space, p.ok
    (True, False)
    """

    value: float
    half_width: float
    t2: float
    q: float
    t2_limit: float
    q_limit: float
    in_range: bool

    @property
    def in_space(self) -> bool:
        """The spectrum lies in the model's calibrated space (T² and Q under their limits)."""
        return self.t2 <= self.t2_limit and self.q <= self.q_limit

    @property
    def ok(self) -> bool:
        """The prediction may be trusted: in the calibrated space and range."""
        return self.in_range and self.in_space


@dataclass(frozen=True)
class PlsSpace:
    """The calibrated space of one PLS1 model: what its diagnostics compare a spectrum with.

    Attributes
    ----------
    n_samples, n_components : int
        Calibration spectra ``n`` and latent variables ``A``.
    x_mean : numpy.ndarray
        Mean of the preprocessed calibration spectra (subtract it before :meth:`diagnose`).
    rotations, loadings : numpy.ndarray
        ``R`` and ``P``, shape ``(p, A)``.
    score_sd : numpy.ndarray
        Standard deviation of each calibration score, shape ``(A,)``.
    t2_limit, q_limit : float
        Limits at ``limit_confidence``.
    sigma : float
        Error sd of the prediction interval (RMSECV), analyte unit.
    t_quantile : float
        Student quantile of the interval, ``t₁₋α/2(n − A − 1)``.
    interval_confidence, limit_confidence : float
        Coverage of the prediction interval and confidence of the T²/Q limits.
    """

    n_samples: int
    n_components: int
    x_mean: np.ndarray
    rotations: np.ndarray
    loadings: np.ndarray
    score_sd: np.ndarray
    t2_limit: float
    q_limit: float
    sigma: float
    t_quantile: float
    interval_confidence: float
    limit_confidence: float

    def diagnose(self, x_centred: np.ndarray) -> Diagnosis:
        """T², Q and interval half-width of one centred, preprocessed spectrum."""
        t = x_centred @ self.rotations
        t2 = float(np.sum((t / self.score_sd) ** 2))
        resid = x_centred - self.loadings @ t
        q = float(resid @ resid)
        lev = 1.0 + 1.0 / self.n_samples + t2 / (self.n_samples - 1)
        return Diagnosis(t2, q, self.t_quantile * self.sigma * float(np.sqrt(lev)))

    def diagnose_many(self, x_centred: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`diagnose` of many spectra (one row each): arrays ``t2``, ``q``, ``half_width``."""
        t = x_centred @ self.rotations
        t2 = np.sum((t / self.score_sd) ** 2, axis=1)
        resid = x_centred - t @ self.loadings.T
        q = np.einsum("ij,ij->i", resid, resid)
        half = self.t_quantile * self.sigma * np.sqrt(1.0 + 1.0 / self.n_samples + t2 / (self.n_samples - 1))
        return t2, q, half


class SpaceStack:
    """The spaces of several models fitted on the same spectra, diagnosed in one matrix product.

    The same T², Q and half-widths as :meth:`PlsSpace.diagnose` of each space (to rounding),
    for the price of one: ``Q = ‖x‖² − 2·tᵀ(Pᵀx) + tᵀ(PᵀP)t`` needs only ``x·[R/s | P]``
    (an analyser diagnoses every scan).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((40, 6)); batch = np.repeat(np.arange(4), 10)
    >>> spaces = [fit_space(x, x[:, k] + 0.1 * rng.standard_normal(40), batch, 2, sigma=0.1) for k in (0, 1)]
    >>> new = rng.standard_normal(6)
    >>> got = SpaceStack(spaces).diagnose(new)
    >>> want = [s.diagnose(new - s.x_mean) for s in spaces]
    >>> bool(np.allclose(got, want))
    True
    """

    def __init__(self, spaces: list[PlsSpace]) -> None:
        first = spaces[0]
        if any(not np.array_equal(s.x_mean, first.x_mean) for s in spaces):
            raise ValueError("SpaceStack: the models must share their calibration spectra (the same mean)")
        self.spaces = tuple(spaces)
        self.x_mean = first.x_mean
        sizes = [s.n_components for s in spaces]
        # One product gives every model's normalised scores, then every model's Pᵀx.
        self._weights = np.ascontiguousarray(
            np.hstack([s.rotations / s.score_sd for s in spaces] + [s.loadings for s in spaces])
        )
        self._n = sum(sizes)
        self._starts = np.cumsum([0, *sizes[:-1]])
        self._sd = np.concatenate([s.score_sd for s in spaces])
        gram = np.zeros((self._n, self._n))  # block diagonal: each model's PᵀP
        for s, a0 in zip(spaces, self._starts, strict=True):
            gram[a0 : a0 + s.n_components, a0 : a0 + s.n_components] = s.loadings.T @ s.loadings
        self._gram = gram
        self._m = np.array([s.n_samples for s in spaces], dtype=float)
        self._scale = np.array([s.t_quantile * s.sigma for s in spaces])

    def diagnose(self, x: np.ndarray) -> list[Diagnosis]:
        """Diagnoses of one preprocessed (not centred) spectrum ``x``, one per space."""
        xc = x - self.x_mean
        w = xc @ self._weights
        z, u = w[: self._n], w[self._n :]
        t = z * self._sd
        t2 = np.add.reduceat(z * z, self._starts)
        q = float(xc @ xc) - np.add.reduceat(t * (2.0 * u - self._gram @ t), self._starts)
        half = self._scale * np.sqrt(1.0 + 1.0 / self._m + t2 / (self._m - 1.0))
        return [Diagnosis(*row) for row in zip(t2.tolist(), np.maximum(q, 0.0).tolist(), half.tolist(), strict=True)]


def t2_limit(n_components: int, n_samples: int, confidence: float) -> float:
    """Hotelling T² limit for a new observation (Tracy, Young & Mason 1992).

    >>> round(t2_limit(4, 240, 0.99), 2)
    13.83
    """
    from scipy import stats

    a, n = n_components, n_samples
    return float(a * (n - 1) * (n + 1) / (n * (n - a)) * stats.f.ppf(confidence, a, n - a))


def q_limit(q_values: np.ndarray, confidence: float) -> float:
    """Box's ``g·χ²(h)`` limit fitted by moments to reference Q values (Nomikos & MacGregor 1995).

    >>> q = np.random.default_rng(1).chisquare(10, 5000)
    >>> round(q_limit(q, 0.99) / 23.2, 1)  # chi2(10) 99 % quantile: 23.2
    1.0
    """
    from scipy import stats

    m, v = float(np.mean(q_values)), float(np.var(q_values, ddof=1))
    if not (m > 0.0 and v > 0.0):
        raise ValueError("q_limit: reference Q values must vary and be positive")
    return float(v / (2.0 * m) * stats.chi2.ppf(confidence, 2.0 * m * m / v))


def _parts(pls: Any, x: np.ndarray, n_components: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mean, rotations, loadings and score sd of the first ``n_components`` of a fitted model.

    NIPALS is sequential, so the first ``a`` components of a model with more are those of the
    ``a``-component model (see :func:`models.pat.pls1_nipals`).
    """
    a = n_components
    mean = x.mean(axis=0)
    rot = np.ascontiguousarray(pls.x_rotations_[:, :a])
    load = np.ascontiguousarray(pls.x_loadings_[:, :a])
    sd = ((x - mean) @ rot).std(axis=0, ddof=1)
    return mean, rot, load, sd


def fit_space(
    x: np.ndarray,
    y: np.ndarray,
    batch: np.ndarray,
    n_components: int,
    sigma: float,
    interval_confidence: float = 0.95,
    limit_confidence: float = 0.99,
    final: Any = None,
    folds: list[tuple[np.ndarray, Any]] | None = None,
) -> PlsSpace:
    """The calibrated space of a PLS1 model on preprocessed spectra ``x`` (one row each).

    Parameters
    ----------
    x, y : numpy.ndarray
        Preprocessed calibration spectra ``(n, p)`` and the reference values ``(n,)``.
    batch : numpy.ndarray
        Batch of each spectrum: the Q limit comes from leave-one-batch-out residuals.
    n_components : int
        Latent variables ``A`` of the model.
    sigma : float
        Error sd of the prediction interval (the model's RMSECV).
    interval_confidence, limit_confidence : float
        Coverage of the interval (0.95) and confidence of the T²/Q limits (0.99).
    final, folds : optional
        Fitted scikit-learn ``PLSRegression`` models to reuse (with at least ``A``
        components): the model on all of ``x``, and ``(test mask, model)`` per held-out
        batch. Fitted here when not given.
    """
    from scipy import stats
    from sklearn.cross_decomposition import PLSRegression

    a = int(n_components)
    n = x.shape[0]
    if not 1 <= a < n - 1:
        raise ValueError(f"fit_space: n_components must be in 1..{n - 2}, got {a}")

    def fit(rows: np.ndarray) -> Any:
        return PLSRegression(n_components=a, scale=False).fit(x[rows], y[rows])

    if final is None:
        final = fit(np.ones(n, dtype=bool))
    if folds is None:
        folds = [(batch == b, fit(batch != b)) for b in np.unique(batch)]
    mean, rot, load, sd = _parts(final, x, a)
    q_cv = np.empty(n)
    for test, pls in folds:
        train = ~test
        m_f, r_f, p_f, _ = _parts(pls, x[train], a)
        xc = x[test] - m_f
        resid = xc - (xc @ r_f) @ p_f.T
        q_cv[test] = np.einsum("ij,ij->i", resid, resid)
    for arr in (mean, rot, load, sd):
        arr.setflags(write=False)
    return PlsSpace(
        n_samples=n,
        n_components=a,
        x_mean=mean,
        rotations=rot,
        loadings=load,
        score_sd=sd,
        t2_limit=t2_limit(a, n, limit_confidence),
        q_limit=q_limit(q_cv, limit_confidence),
        sigma=float(sigma),
        t_quantile=float(stats.t.ppf(0.5 + interval_confidence / 2.0, n - a - 1)),
        interval_confidence=float(interval_confidence),
        limit_confidence=float(limit_confidence),
    )


__all__ = ["Diagnosis", "PatPrediction", "PlsSpace", "SpaceStack", "fit_space", "q_limit", "t2_limit"]
