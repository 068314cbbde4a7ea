"""Batch-wise (multiway) PCA of aligned batches, scored while a batch runs.

Nomikos & MacGregor (1995): the N reference batches, each K maturity points × J variables of
scaled deviations from the mean trajectory, are unfolded batch-wise into an N × K·J matrix
``Z`` and decomposed by PCA (``Z ≈ T·Pᵀ``). A whole batch is one row: its scores ``t`` and
its Hotelling ``T² = Σ tₐ²/λₐ`` say how unusual its trajectory is *as a whole*.

While a batch runs only its first k maturity points are known. Its scores are estimated from
them by **projection to the model plane** (PMP; Nelson, Taylor & MacGregor 1996; García-Muñoz
et al. 2004): ``t = (P_kᵀP_k)⁻¹ P_kᵀ z_k`` over the known rows of ``P``. The SPE is the
current maturity point's residual ``‖z_k − P_k,now·t‖²`` (the *instantaneous* SPE).

**Components** by cross-validation: leave one batch out, then for each variable in turn
predict its whole trajectory from the other variables' (the "ekf" CV of Bro et al. 2008,
with a variable's K columns deleted together); the count with the smallest PRESS is kept
(at most ``a_max``).

**Limits** per maturity point, from the same leave-one-batch-out fits: each reference batch
is scored online by a model that never saw it, so its T² and SPE are what a *new* good batch
gives. At each maturity point the values of all batches over a few neighbouring points are
pooled and a scaled χ² ``g·χ²_h`` is matched to their mean and variance (Box 1954), whose
``1 − alpha`` quantile is the limit. The statistics of a batch are autocorrelated (a batch a
little unusual stays so for hours), so the limits are then raised by one factor until at most
``batch_alpha`` (5 %) of the reference batches would raise an alarm (:func:`calibrate_factor`).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> n, k, j = 20, 15, 3
>>> shape = np.sin(np.linspace(0, 3, k))[:, None] * np.array([1.0, -1.0, 0.5])
>>> Z = np.stack([rng.normal() * shape + 0.2 * rng.normal(size=(k, j)) for _ in range(n)])
>>> fit = fit_mpca(Z, alpha=0.01)
>>> fit.n_components, fit.loadings.shape
(1, (15, 3, 1))
>>> t2, spe = online_scores(fit.loadings, fit.eigenvalues, 3.0 * shape)
>>> bool(t2[-1] > fit.t2_limit[-1]), bool(spe[-1] < fit.spe_limit[-1])
(True, True)
>>> _, spe = online_scores(fit.loadings, fit.eigenvalues, -shape[:, ::-1] * 3)
>>> bool((spe > fit.spe_limit).mean() > 0.5)
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage, stats

__all__ = ["MpcaFit", "calibrate_factor", "fit_mpca", "online_scores", "scaled_chi2_limit"]

#: Ridge added to PᵀP, relative to its trace (a partial batch with very few known rows).
_RIDGE = 1e-9


@dataclass(frozen=True)
class MpcaFit:
    """A fitted batch-wise PCA with its per-maturity limits.

    ``loadings`` K×J×A; ``eigenvalues`` (A) the score variances; ``t2_limit``/``spe_limit``
    (K) the online limits; ``press`` the CV PRESS for 0…a_max components (relative to
    A = 0); ``loo_t2``/``loo_spe`` (N×K) the reference batches' online statistics from the
    leave-one-out fits; ``t2_batch_limit``/``spe_batch_limit`` the limits of a complete
    batch (F distribution for T², scaled χ² of the LOO batch SPE for SPE).
    """

    loadings: np.ndarray
    eigenvalues: np.ndarray
    t2_limit: np.ndarray
    spe_limit: np.ndarray
    press: np.ndarray
    loo_t2: np.ndarray
    loo_spe: np.ndarray
    t2_batch_limit: float
    spe_batch_limit: float
    t2_factor: float = 1.0
    spe_factor: float = 1.0

    @property
    def n_components(self) -> int:
        return int(self.loadings.shape[2])


def _svd(z: np.ndarray, a: int, gram: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Loadings (KJ×a) and score variances (a) of the rows of ``z`` (not centred again).

    Through the N×N Gram matrix ``z·zᵀ`` (given, or computed): with N batches ≪ K·J columns
    its eigen-decomposition is far quicker than an SVD of ``z``, and a leave-one-out fit is
    the same Gram matrix without one row and column.
    """
    g = z @ z.T if gram is None else gram
    w, u = np.linalg.eigh(g)
    order = np.argsort(w)[::-1][: min(a, len(w))]
    s2 = w[order]
    order = order[s2 > 1e-12 * max(float(w.max()), 1e-300)]
    s2 = w[order]
    p = (z.T @ u[:, order]) / np.sqrt(s2)
    return p, np.maximum(s2 / max(z.shape[0] - 1, 1), 1e-12)


def online_scores(loadings: np.ndarray, eigenvalues: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """T² and instantaneous SPE of one batch at every maturity point it has (PMP).

    ``z`` is the batch's K'×J scaled deviations (K' ≤ K, its first K' maturity points;
    a NaN row is a point without data, skipped).
    """
    k_n, _j = z.shape
    p = loadings[:k_n]  # K'×J×A
    a = p.shape[2]
    if a == 0:
        spe = np.nansum(z**2, axis=1)
        return np.zeros(k_n), spe
    known = np.isfinite(z).all(axis=1)
    zz = np.where(known[:, None], z, 0.0)
    pk = np.where(known[:, None, None], p, 0.0)
    m = np.cumsum(np.einsum("kja,kjb->kab", pk, pk), axis=0)  # K'×A×A
    b = np.cumsum(np.einsum("kja,kj->ka", pk, zz), axis=0)  # K'×A
    ridge = _RIDGE * np.trace(m, axis1=1, axis2=2)[:, None, None] * np.eye(a) + 1e-12 * np.eye(a)
    t = np.linalg.solve(m + ridge, b[..., None])[..., 0]  # K'×A
    t2 = np.sum(t**2 / eigenvalues, axis=1)
    resid = zz - np.einsum("kja,ka->kj", p, t)
    spe = np.where(known, np.sum(resid**2, axis=1), np.nan)
    return t2, spe


def scaled_chi2_limit(values: np.ndarray, alpha: float) -> float:
    """``g·χ²_h`` quantile ``1 − alpha`` matched to the mean and variance of ``values`` (Box 1954).

    >>> rng = np.random.default_rng(1)
    >>> round(float(scaled_chi2_limit(rng.chisquare(3, 20000), 0.01) / stats.chi2.ppf(0.99, 3)), 2)
    1.0
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    mean, var = float(v.mean()) if v.size else 0.0, float(v.var(ddof=1)) if v.size > 1 else 0.0
    if mean <= 0.0 or var <= 0.0:
        return float(v.max()) if v.size else 0.0
    g, h = var / (2.0 * mean), 2.0 * mean**2 / var
    return float(g * stats.chi2.ppf(1.0 - alpha, h))


def _press(z3: np.ndarray, a_max: int) -> np.ndarray:
    """Leave-one-batch-out, delete-one-variable PRESS for 0…a_max components."""
    n, k, j = z3.shape
    press = np.zeros(a_max + 1)
    flat = z3.reshape(n, k * j)
    gram_all = flat @ flat.T
    for i in range(n):
        keep = np.arange(n) != i
        p_all, _ = _svd(flat[keep], a_max, gram_all[np.ix_(keep, keep)])
        p_all = p_all.reshape(k, j, -1)
        zi = z3[i]
        press[0] += float(np.sum(zi**2))
        # Normal equations of the other variables' rows: all rows' minus the deleted variable's.
        gram = np.einsum("kja,kjb->ab", p_all, p_all)
        rhs = np.einsum("kja,kj->a", p_all, zi)
        for var in range(j):
            pv = p_all[:, var, :]
            g_v = gram - pv.T @ pv
            c_v = rhs - pv.T @ zi[:, var]
            for a in range(1, p_all.shape[2] + 1):
                t = np.linalg.lstsq(g_v[:a, :a], c_v[:a], rcond=None)[0]
                press[a] += float(np.sum((zi[:, var] - pv[:, :a] @ t) ** 2))
    press[press == 0.0] = np.inf  # counts the data could not fit
    return press


def _pooled_limits(values: np.ndarray, alpha: float, pool: int) -> np.ndarray:
    """Per-maturity ``g·χ²_h`` limits of ``values`` (N×K), pooling ±``pool`` maturity points."""
    v = np.where(np.isfinite(values), values, 0.0)
    ok = np.isfinite(values).astype(float)
    k = v.shape[1]
    c0, c1, c2 = (np.concatenate([[0.0], np.cumsum(x.sum(axis=0))]) for x in (ok, v, v * v))
    lo = np.clip(np.arange(k) - pool, 0, k)
    hi = np.clip(np.arange(k) + pool + 1, 0, k)
    n, s1, s2 = c0[hi] - c0[lo], c1[hi] - c1[lo], c2[hi] - c2[lo]
    mean = s1 / np.maximum(n, 1.0)
    var = np.maximum(s2 - n * mean**2, 0.0) / np.maximum(n - 1.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        g, h = var / (2.0 * mean), 2.0 * mean**2 / var
        limit = g * stats.chi2.ppf(1.0 - alpha, h)
    # A constant statistic (no spread): its own value is the limit.
    return np.where((mean > 0) & (var > 0), limit, mean)


def calibrate_factor(values: np.ndarray, limit: np.ndarray, consecutive: int, batch_alpha: float) -> float:
    """Factor (≥ 1) on ``limit`` so that at most ``batch_alpha``·N of the batches (rows of
    ``values``, N×K) have ``consecutive`` points in a row over it.

    >>> v = np.array([[1.0, 3.0, 3.0, 1.0], [1.0, 1.0, 1.0, 1.0], [2.0, 2.0, 0.5, 0.5]])
    >>> calibrate_factor(v, np.ones(4), 2, 0.0), calibrate_factor(v, np.ones(4), 2, 0.34)
    (3.0, 2.0)
    """
    ratio = np.where(np.isfinite(values), values, 0.0) / np.maximum(limit, 1e-300)
    n, k = ratio.shape
    c = min(consecutive, k)
    # Per batch, the highest level its ratio stays above for `c` points in a row.
    runs = np.lib.stride_tricks.sliding_window_view(ratio, c, axis=1).min(axis=2).max(axis=1)
    allowed = int(np.floor(batch_alpha * n + 1e-9))
    worst = np.sort(runs)[::-1]
    return float(max(1.0, worst[allowed])) if allowed < n else 1.0


def fit_mpca(
    z3: np.ndarray,
    alpha: float = 0.01,
    a_max: int = 6,
    n_components: int | None = None,
    consecutive: int = 3,
    batch_alpha: float = 0.05,
    shift: int = 0,
    z_loo: np.ndarray | None = None,
) -> MpcaFit:
    """Fit the batch-wise PCA of ``z3`` (N batches × K points × J variables, scaled deviations).

    ``n_components`` fixes the count; by default the cross-validation chooses it (≤ ``a_max``
    and ≤ N − 2). Needs at least 3 batches. ``shift`` (grid points) is how early or late a good
    batch may be: each limit is the highest within ±``shift``. The limits are then raised (never
    lowered) until at most ``batch_alpha`` of the reference batches would alarm (``consecutive``
    points over a limit). ``z_loo`` (N×K×J) are the batches scaled by envelopes that left each
    out (:func:`analytics.golden_build.leave_one_out_envelope`), used for the limits; default ``z3``.
    """
    z3 = np.asarray(z3, dtype=float)
    n, k, j = z3.shape
    if n < 3:
        raise ValueError(f"a batch-level model needs at least 3 reference batches, got {n}")
    if not np.isfinite(z3).all():
        raise ValueError("the aligned reference batches have missing values (NaN) on the maturity grid")
    a_cap = max(0, min(a_max, n - 2, k * j))
    if n_components is not None:
        if not 0 <= n_components <= a_cap:
            raise ValueError(f"n_components = {n_components}: between 0 and {a_cap} with {n} batches")
        press = np.full(a_cap + 1, np.nan)
        a = n_components
    else:
        press = _press(z3, a_cap)
        a = int(np.argmin(press))
        press = press / press[0]
    flat = z3.reshape(n, k * j)
    gram = flat @ flat.T
    p, lam = _svd(flat, a, gram)
    a = p.shape[1]
    loadings = p.reshape(k, j, -1)
    loo_t2 = np.empty((n, k))
    loo_spe = np.empty((n, k))
    for i in range(n):
        keep = np.arange(n) != i
        p_i, lam_i = _svd(flat[keep], a, gram[np.ix_(keep, keep)])
        zi = z3[i] if z_loo is None else z_loo[i]
        loo_t2[i], loo_spe[i] = online_scores(p_i.reshape(k, j, -1), lam_i, zi)
    pool = max(1, min(5, k // 100))
    t2_limit = _pooled_limits(loo_t2, alpha, pool) if a else np.zeros(k)
    spe_limit = _pooled_limits(loo_spe, alpha, pool)
    if shift:  # a good batch may be `shift` points early or late: the highest limit nearby holds
        t2_limit = ndimage.maximum_filter1d(t2_limit, 2 * shift + 1, mode="nearest")
        spe_limit = ndimage.maximum_filter1d(spe_limit, 2 * shift + 1, mode="nearest")
    # Per batch: at most ``batch_alpha`` of the reference batches (scored by models that left
    # them out) may raise an alarm (``consecutive`` points in a row over the limit); the
    # statistics are autocorrelated, so per-point limits alone would alarm on many good batches.
    t2_factor = calibrate_factor(loo_t2, t2_limit, consecutive, batch_alpha) if a else 1.0
    spe_factor = calibrate_factor(loo_spe, spe_limit, consecutive, batch_alpha)
    t2_limit, spe_limit = t2_limit * t2_factor, spe_limit * spe_factor
    # A complete batch: T² ~ A(N²−1)/(N(N−A))·F(A, N−A) (Nomikos & MacGregor 1995).
    t2_batch = float(a * (n * n - 1) / (n * (n - a)) * stats.f.ppf(1 - alpha, a, n - a)) if 0 < a < n else 0.0
    spe_batch = scaled_chi2_limit(np.nansum(loo_spe, axis=1), alpha)
    return MpcaFit(
        loadings, lam, t2_limit, spe_limit, press, loo_t2, loo_spe, t2_batch, spe_batch, t2_factor, spe_factor
    )
