"""The parts of a PCA model that the monitors share: the fitted model, its eigen-decomposition, contributions.

:mod:`analytics.pca` (continuous monitoring) and :mod:`analytics.pca_batch` (batch-wise PCA)
build on these; users import them from :mod:`analytics.pca`.

Examples
--------
>>> lag_matrix(np.arange(6.0).reshape(3, 2), 1)
array([[2., 3., 0., 1.],
       [4., 5., 2., 3.]])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


class PcaError(ValueError):
    """The data cannot give a valid PCA model; the message says why and what to do."""


@dataclass(frozen=True)
class Contribution:
    """One variable's contribution to a statistic.

    ``share`` is ``value`` divided by the statistic (the shares of all variables add up to
    1); ``time_index`` is set by batch-wise PCA (the time of the largest contribution).
    """

    variable: str
    value: float
    share: float
    time_index: int | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"variable": self.variable, "value": self.value, "share": self.share}
        if self.time_index is not None:
            d["time_index"] = self.time_index
        return d


def lag_matrix(x: np.ndarray, lags: int) -> np.ndarray:
    """Rows ``[x_t, x_{t−1}, …, x_{t−L}]`` for ``t = L … n−1`` (dynamic PCA)."""
    if lags == 0:
        return x
    n = x.shape[0]
    return np.hstack([x[lags - j : n - j] for j in range(lags + 1)])


def check_finite(x: np.ndarray, what: str) -> None:
    """Raise :class:`PcaError` naming the first missing or infinite value."""
    bad = ~np.isfinite(x)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise PcaError(
            f"{what}: {int(bad.sum())} missing/non-finite value(s), first at row {i}, "
            f"column {j}; fill or drop them first"
        )


def as_2d(x: Any, what: str) -> np.ndarray:
    """``x`` as a float array of rows × variables, or :class:`PcaError`."""
    arr = np.asarray(x, dtype=float)
    if arr.ndim != 2:
        raise PcaError(f"{what}: expected a 2-D array (rows × variables), got shape {arr.shape}")
    return arr


def top_contributions(
    values: np.ndarray, names: Sequence[str], total: float, k: int, times: np.ndarray | None = None
) -> tuple[Contribution, ...]:
    """The ``k`` largest of ``values`` as contributions to a statistic equal to ``total``."""
    order = np.argsort(-values)[:k]
    denom = total if total != 0 else 1.0
    return tuple(
        Contribution(names[j], float(values[j]), float(values[j] / denom), None if times is None else int(times[j]))
        for j in order
    )


@dataclass
class PcaModel:
    """Centre, scale, loadings (p × k) and all eigenvalues (descending) of a fitted PCA."""

    mean: np.ndarray
    scale: np.ndarray
    loadings: np.ndarray  # (p, k)
    eigenvalues: np.ndarray  # all, descending

    @property
    def k(self) -> int:
        return int(self.loadings.shape[1])

    def scores(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Standardised rows, scores, T², SPE."""
        z = (x - self.mean) / self.scale
        t = z @ self.loadings
        e = z - t @ self.loadings.T
        return z, t, np.sum(t**2 / self.eigenvalues[: self.k], axis=1), np.sum(e**2, axis=1)


def eigen(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues of the covariance of ``z`` (descending, all ``p``) and the loadings.

    scikit-learn's PCA (full SVD of the centred rows). Its sign convention for the loadings
    may differ from another SVD's; T², SPE and the contributions do not depend on the signs.
    """
    # Imported here: scikit-learn takes about a second to import; only fitting needs it.
    from sklearn.decomposition import PCA

    pca = PCA(svd_solver="full").fit(z)
    lam = pca.explained_variance_
    p = z.shape[1]
    if lam.size < p:  # rank-deficient: pad the missing (zero) eigenvalues
        lam = np.concatenate([lam, np.zeros(p - lam.size)])
    return lam, pca.components_.T
