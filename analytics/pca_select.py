"""How many principal components: parallel analysis, row-wise cross-validation, or a variance share.

A PCA monitor needs ``k`` components: too few and normal variation lands in the residual
(SPE alarms on normal data); too many and noise enters the model plane (T² loses power).
A fixed share of variance (the old 90 %) ignores how much of that variance is noise: on the
Tennessee Eastman data it keeps 31 of 52 components.

Rules
-----
``parallel`` (Horn, 1965)
    Keep the components whose eigenvalue (of the correlation matrix) is larger than the
    95th percentile of the same eigenvalue for uncorrelated Gaussian data of the same shape
    (simulated, fixed seed). Fast, no model fit per candidate; on the Tennessee Eastman
    training data it keeps 11, the number Chiang, Russell & Braatz used.
``cv``
    Row-wise "element-wise k-fold" cross-validation (ekf-CV, Bro et al., 2008,
    *Anal. Bioanal. Chem.* 390): the rows are cut into contiguous blocks (autocorrelated rows
    stay together); a model fitted on the other blocks predicts each variable of a held-out
    row from that row's *other* variables; PRESS is summed and the ``k`` with the smallest
    PRESS is kept. Unlike leaving whole rows out, the held-out value never helps to predict
    itself, so PRESS has a minimum.
``variance``
    The smallest ``k`` whose components explain a given share of the variance.

Every rule keeps at least 1 and at most ``p − 1`` components, so that SPE has a residual.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> latent = rng.normal(size=(400, 3))
>>> x = latent @ rng.normal(size=(3, 8)) + 0.3 * rng.normal(size=(400, 8))
>>> z = (x - x.mean(axis=0)) / x.std(axis=0, ddof=1)
>>> parallel_analysis(z).k, ekf_cross_validation(z).k
(3, 3)
>>> print(parallel_analysis(z).note)
3 components by parallel analysis (eigenvalues above the 95th percentile of 50 simulations of uncorrelated data)
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

Rule = Literal["parallel", "cv", "variance"]
RULES: tuple[Rule, ...] = ("parallel", "cv", "variance")


class ComponentError(ValueError):
    """The data cannot give a component count; the message says why and what to do."""


@dataclass(frozen=True)
class ComponentChoice:
    """The number of components, the rule that chose it and the figures behind it.

    ``note`` is the English sentence for a report; ``curve`` is the rule's criterion per
    candidate ``k = 0, 1, ...`` (the null eigenvalue threshold for ``parallel``, PRESS
    relative to ``k = 0`` for ``cv``, the cumulative variance share for ``variance``).
    """

    k: int
    rule: Rule
    note: str
    curve: list[float] = field(default_factory=list)


def _clip(k: int, p: int) -> int:
    return max(1, min(k, p - 1))


def parallel_analysis(z: np.ndarray, *, quantile: float = 0.95, n_sim: int = 50, seed: int = 0) -> ComponentChoice:
    """Horn's parallel analysis on standardised rows ``z`` (n × p).

    Parameters
    ----------
    z : numpy.ndarray
        Standardised data (each column mean 0, standard deviation 1).
    quantile : float
        Quantile of the simulated eigenvalues a component must exceed (0.95, Glorfeld 1995).
    n_sim : int
        Number of simulated uncorrelated data sets.
    seed : int
        Seed of the simulations (the choice is reproducible).
    """
    n, p = z.shape
    if n < 3 or p < 2:
        raise ComponentError(f"parallel analysis needs at least 3 rows and 2 variables, got {n} × {p}")
    lam = np.linalg.eigvalsh(np.cov(z, rowvar=False))[::-1]
    rng = np.random.default_rng(seed)
    sims = np.empty((n_sim, p))
    for i in range(n_sim):
        r = rng.standard_normal((n, p))
        sims[i] = np.linalg.eigvalsh(np.corrcoef(r, rowvar=False))[::-1]
    threshold = np.quantile(sims, quantile, axis=0)
    above = lam > threshold
    # The first eigenvalue at or below its null threshold ends the count (Horn's rule).
    k_raw = int(np.argmin(above)) if not above.all() else p
    k = _clip(k_raw, p)
    note = (
        f"{k} components by parallel analysis (eigenvalues above the {round(100 * quantile)}th "
        f"percentile of {n_sim} simulations of uncorrelated data)"
    )
    if k_raw == 0:
        note += "; no eigenvalue is above it: the variables look uncorrelated, 1 component kept"
    return ComponentChoice(k, "parallel", note, [float(v) for v in threshold])


def ekf_press(z: np.ndarray, *, folds: int = 5, max_components: int | None = None) -> np.ndarray:
    """PRESS of row-wise (ekf) cross-validation for ``k = 0 .. max_components``.

    Each held-out value ``z_ij`` is predicted from the other values of row ``i`` through
    the loadings ``P`` fitted without its block: with ``h_j = ‖P_j‖²`` (row ``j`` of ``P``),
    the least-squares scores without variable ``j`` give
    ``ẑ_ij = ((z_i P Pᵀ)_j − h_j z_ij) / (1 − h_j)`` (Sherman–Morrison), so no per-variable
    refit is needed.

    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=(200, 2)) @ rng.normal(size=(2, 5)) + 0.2 * rng.normal(size=(200, 5))
    >>> press = ekf_press((x - x.mean(0)) / x.std(0, ddof=1))
    >>> int(np.argmin(press)), bool(press[2] < 0.2 * press[0])
    (2, True)
    """
    n, p = z.shape
    edges = np.linspace(0, n, folds + 1).astype(int)
    k_max = p - 1 if max_components is None else min(max_components, p - 1)
    k_max = max(1, min(k_max, n - (edges[1] - edges[0]) - 2))
    press = np.zeros(k_max + 1)
    for lo, hi in itertools.pairwise(edges):
        train = np.vstack([z[:lo], z[hi:]])
        mu, sd = train.mean(axis=0), train.std(axis=0, ddof=1)
        sd = np.where(sd > 0, sd, 1.0)
        zt, zh = (train - mu) / sd, (z[lo:hi] - mu) / sd
        _, _, vt = np.linalg.svd(zt, full_matrices=False)
        recon = np.zeros_like(zh)
        h = np.zeros(p)
        press[0] += float(np.sum(zh**2))
        for k in range(1, k_max + 1):
            v = vt[k - 1]
            recon += np.outer(zh @ v, v)
            h += v**2
            # A variable lying (almost) in the model plane cannot be predicted from the others.
            denom = np.maximum(1.0 - h, 1e-9)
            pred = (recon - zh * h) / denom
            press[k] += float(np.sum((zh - pred) ** 2))
    return press


def ekf_cross_validation(z: np.ndarray, *, folds: int = 5, max_components: int | None = None) -> ComponentChoice:
    """The ``k`` with the smallest ekf-CV PRESS (see :func:`ekf_press`), blocks of contiguous rows."""
    n, p = z.shape
    if n < 2 * folds or p < 2:
        raise ComponentError(
            f"cross-validation with {folds} blocks needs at least {2 * folds} rows and 2 variables, got {n} × {p}"
        )
    press = ekf_press(z, folds=folds, max_components=max_components)
    k = _clip(int(np.argmin(press[1:]) + 1), p)
    rel = press / press[0]
    note = (
        f"{k} components by {folds}-block row-wise cross-validation (smallest PRESS: "
        f"{rel[k]:.3f} of the PRESS without a model)"
    )
    return ComponentChoice(k, "cv", note, [float(v) for v in rel])


def variance_share(eigenvalues: np.ndarray, variance: float) -> ComponentChoice:
    """Smallest ``k`` whose components explain at least ``variance`` of the total (capped at p − 1).

    >>> variance_share(np.array([3.0, 0.6, 0.3, 0.1]), 0.9).k
    2
    """
    if not 0 < variance <= 1:
        raise ComponentError(f"variance must be in (0, 1], got {variance}")
    lam = np.asarray(eigenvalues, dtype=float)
    ratio = np.cumsum(lam) / np.sum(lam)
    k = _clip(int(np.searchsorted(ratio, variance - 1e-12) + 1), lam.size)
    note = f"{k} components by explained variance ({ratio[k - 1]:.1%} >= {variance:.0%})"
    return ComponentChoice(k, "variance", note, [0.0, *(float(v) for v in ratio)])
