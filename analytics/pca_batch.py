"""Batch-wise (unfolded, multiway) PCA over golden batches, after Nomikos & MacGregor (1994).

Each golden batch ``(time × variable)`` is unfolded into one row, the average trajectory is
removed, and a finished batch is judged against the golden ones. Users import it from
:mod:`analytics.pca`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Self

import numpy as np
from scipy import stats

from analytics.pca_core import Contribution, PcaError, PcaModel, check_finite, eigen, top_contributions
from analytics.pca_limits import t2_limit_f
from analytics.pca_select import variance_share


@dataclass(frozen=True)
class BatchScore:
    """Judgement of one finished batch against the golden batches.

    ``contributions_t2`` / ``contributions_spe`` have shape ``(time, variable)`` (zero for
    columns dropped as constant); ``t2_top`` / ``spe_top`` sum them over time per variable
    and give the time of the largest term.
    """

    t2: float
    spe: float
    t2_limit: float
    spe_limit: float
    t2_alarm: bool
    spe_alarm: bool
    t2_top: tuple[Contribution, ...]
    spe_top: tuple[Contribution, ...]
    contributions_t2: np.ndarray
    contributions_spe: np.ndarray

    def to_dict(self) -> dict[str, Any]:
        return {
            "t2": self.t2,
            "spe": self.spe,
            "limits": {"t2": self.t2_limit, "spe": self.spe_limit},
            "t2_alarm": self.t2_alarm,
            "spe_alarm": self.spe_alarm,
            "t2_top": [c.to_dict() for c in self.t2_top],
            "spe_top": [c.to_dict() for c in self.spe_top],
        }


class BatchPcaMonitor:
    """Batch-wise unfolded PCA (multiway PCA) over golden batches.

    Each batch ``(T × V)`` is unfolded into one row of ``T·V`` values; centring each column
    removes the average trajectory, scaling gives every (time, variable) unit variance.
    Columns that are constant across the golden batches (e.g. an identical initial
    charge) are dropped and listed in :attr:`notes_`.

    Limits use leave-one-out statistics of the golden batches (a batch the model was fitted
    on looks better than a new one): ``analytic`` = F limit for T² and a ``g χ²_h`` fit to the
    leave-one-out SPE (Nomikos & MacGregor, 1995); ``empirical`` = quantiles of the
    leave-one-out T² and SPE (needs many batches: with 20 batches the 99 % quantile is
    about the largest one).

    Parameters
    ----------
    n_components, variance, alpha, limits, top_k
        As in :class:`PcaMonitor`.
    names : sequence of str, optional
        Variable names (default ``x1 .. xV``).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> time = np.linspace(0, 1, 20)
    >>> def batch(gain, drift=0.0):
    ...     temp = 30 + 10 * time * gain + rng.normal(0, 0.2, 20)
    ...     conc = 5 * (1 - np.exp(-3 * time * gain)) + rng.normal(0, 0.05, 20)
    ...     return np.column_stack([temp, conc + drift * time])
    >>> golden = np.stack([batch(rng.normal(1, 0.05)) for _ in range(25)])
    >>> mon = BatchPcaMonitor(n_components=2, names=["temp", "conc"]).fit(golden)
    >>> mon.score_batch(batch(1.0)).spe_alarm
    False
    >>> bad = mon.score_batch(batch(1.0, drift=0.6))
    >>> bad.spe_alarm, bad.spe_top[0].variable
    (True, 'conc')
    """

    def __init__(
        self,
        n_components: int | None = None,
        variance: float = 0.9,
        alpha: float = 0.01,
        limits: Literal["analytic", "empirical"] = "analytic",
        names: Sequence[str] | None = None,
        top_k: int = 3,
    ) -> None:
        self.n_components = n_components
        self.variance = variance
        self.alpha = alpha
        self.limits = limits
        self.names = names
        self.top_k = top_k
        self.notes_: list[str] = []
        self._model: PcaModel | None = None

    def fit(self, golden: Any) -> Self:
        """Fit on golden batches, array of shape ``(batches, time, variables)``."""
        g = np.asarray(golden, dtype=float)
        if g.ndim != 3:
            raise PcaError(f"golden batches: expected shape (batches, time, variables), got {g.shape}")
        b, t_len, v = g.shape
        if b < 5:
            raise PcaError(f"{b} golden batches: batch-wise PCA needs at least 5 (better 20+)")
        check_finite(g.reshape(b, -1), "golden batches (row = batch)")
        self.names_ = list(self.names) if self.names is not None else [f"x{j + 1}" for j in range(v)]
        if len(self.names_) != v:
            raise PcaError(f"{len(self.names_)} names given for {v} variables")
        self._shape = (t_len, v)
        x = g.reshape(b, t_len * v)  # time-major: column = t * V + v
        std = x.std(axis=0, ddof=1)
        self._keep = np.flatnonzero(std > 1e-12 * np.maximum(1.0, np.abs(x).max(axis=0)))
        self.notes_ = []
        if self._keep.size < t_len * v:
            self.notes_.append(
                f"dropped {t_len * v - self._keep.size} (time, variable) column(s) constant across the golden batches"
            )
        x = x[:, self._keep]
        p = x.shape[1]
        max_k = b - 2  # centred data have rank b - 1; keep one residual direction
        mean, scale = x.mean(axis=0), x.std(axis=0, ddof=1)
        z = (x - mean) / scale
        lam, vecs = eigen(z)
        if self.n_components is None:
            k = min(variance_share(lam[: b - 1], self.variance).k, max_k)
        else:
            k = int(self.n_components)
            if not 1 <= k <= min(max_k, p - 1):
                raise PcaError(f"n_components={k}: must be between 1 and {min(max_k, p - 1)} with {b} golden batches")
        self._model = PcaModel(mean, scale, vecs[:, :k], lam)
        self.n_components_ = k
        # Leave-one-out statistics: each golden batch judged by a model without it.
        t2_loo, spe_loo = np.empty(b), np.empty(b)
        for i in range(b):
            train = np.delete(z, i, axis=0)
            lam_i, vec_i = eigen(train)
            zi = z[i] - train.mean(axis=0)
            ti = zi @ vec_i[:, :k]
            t2_loo[i] = np.sum(ti**2 / lam_i[:k])
            spe_loo[i] = np.sum((zi - ti @ vec_i[:, :k].T) ** 2)
        a = self.alpha
        if self.limits == "analytic":
            self.t2_limit_ = t2_limit_f(k, b, a)
            m_, s2 = spe_loo.mean(), spe_loo.var(ddof=1)
            self.spe_limit_ = float(s2 / (2 * m_) * stats.chi2.ppf(1 - a, 2 * m_**2 / s2))
        else:
            self.t2_limit_ = float(np.quantile(t2_loo, 1 - a))
            self.spe_limit_ = float(np.quantile(spe_loo, 1 - a))
        return self

    def score_batch(self, batch: Any) -> BatchScore:
        """Judge one finished batch, array of shape ``(time, variables)``."""
        model = self._model
        if model is None:
            raise PcaError("the monitor is not fitted: call fit(golden) first")
        arr = np.asarray(batch, dtype=float)
        if arr.shape != self._shape:
            raise PcaError(
                f"batch has shape {arr.shape}, the golden batches {self._shape} "
                "(align batches on the same time grid first)"
            )
        check_finite(arr, "batch")
        z, t, t2, spe = model.scores(arr.reshape(1, -1)[:, self._keep])
        c_t2 = z * ((t / model.eigenvalues[: model.k]) @ model.loadings.T)
        c_spe = (z - t @ model.loadings.T) ** 2
        full_t2, full_spe = np.zeros(arr.size), np.zeros(arr.size)
        full_t2[self._keep], full_spe[self._keep] = c_t2[0], c_spe[0]
        m_t2, m_spe = full_t2.reshape(self._shape), full_spe.reshape(self._shape)
        t2v, spev = float(t2[0]), float(spe[0])
        return BatchScore(
            t2v,
            spev,
            self.t2_limit_,
            self.spe_limit_,
            t2v > self.t2_limit_,
            spev > self.spe_limit_,
            top_contributions(m_t2.sum(axis=0), self.names_, t2v, self.top_k, np.argmax(np.abs(m_t2), axis=0)),
            top_contributions(m_spe.sum(axis=0), self.names_, spev, self.top_k, np.argmax(m_spe, axis=0)),
            m_t2,
            m_spe,
        )

    def score(self, batches: Any) -> list[BatchScore]:
        """Judge several finished batches, array of shape ``(batches, time, variables)``."""
        return [self.score_batch(b) for b in np.asarray(batches, dtype=float)]
