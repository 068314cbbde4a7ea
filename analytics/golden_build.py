"""Build a golden batch model from reference batches: windows, maturity alignment, envelope, MPCA.

The steps (see :mod:`analytics.golden` for what the model holds):

1. :func:`window_means`: each reference batch's rows (time, tags) become means over windows of
   ``window_s`` seconds, the values the live detector sees. Each batch's windows start at its
   own offset, as a live batch starts anywhere within the epoch-aligned windows.
2. :func:`align`: the windows of the active phase are put on a common maturity grid (each in
   its nearest grid point by the maturity tag's window mean, e.g. batch time or cumulative
   feed, as the live scorer does; interpolated where no window fell). The grid runs from the
   latest first maturity to the earliest last one of the batches, so every batch covers all
   of it; its step is the median maturity advance of one window.
3. :func:`build_model`: per-maturity mean and between-batch σ (the envelope), the alignment
   and noise terms, and the batch-wise PCA with its limits (:func:`analytics.golden_mpca.fit_mpca`).

Examples
--------
>>> import numpy as np
>>> t = np.arange(0.0, 3600.0, 10.0)
>>> w = window_means(t, {"m": t / 3600.0, "x": np.ones_like(t)}, 600.0)
>>> len(w["m"]), float(w["x"][0]), w["_n"][:2].tolist()
(6, 1.0, [60.0, 60.0])
>>> rng = np.random.default_rng(0)
>>> batches = []
>>> for i in range(8):
...     tt = np.arange(0.0, 7200.0, 10.0)
...     g = 1.0 + 0.05 * rng.normal()
...     cols = {"m": tt / 3600, "x": g * tt / 3600, "y": 2 + 0.1 * rng.normal() + 0 * tt}
...     batches.append(window_means(tt, cols, 300.0))
>>> model = build_model(batches, unit="u", unit_type="t", variables=["x", "y"], units=["", ""], maturity="m",
...                     maturity_unit="h", clock=("m", 3600.0), window_s=300.0, noise_sd=[0.0, 0.0])
>>> len(model.grid), model.variables, model.n_batches
(24, ['x', 'y'], 8)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from analytics.golden import GoldenModel
from analytics.golden_mpca import fit_mpca

__all__ = ["align", "build_model", "leave_one_out_envelope", "shift_pooled_sd", "window_means"]

#: Relative floor of σ: a variable that never moves keeps a finite z-score.
FLOOR_FRACTION = 1e-3


def window_means(
    time_s: np.ndarray, columns: Mapping[str, np.ndarray], window_s: float, offset_s: float = 0.0
) -> dict[str, np.ndarray]:
    """Means of every column over consecutive windows ``[offset + i·w, offset + (i+1)·w)``.

    Returns the columns' window means, ``_t`` (the windows' mean time) and ``_n`` (rows per
    window). Windows without rows are left out.
    """
    t = np.asarray(time_s, dtype=float)
    if t.ndim != 1 or not len(t):
        raise ValueError("a batch needs at least one row of time_s")
    if window_s <= 0:
        raise ValueError(f"window_s must be > 0, got {window_s}")
    idx = np.floor((t + offset_s) / window_s).astype(np.int64)
    idx -= idx[0]
    if np.any(np.diff(idx) < 0):
        raise ValueError("time_s must not go backwards within a batch")
    counts = np.bincount(idx).astype(float)
    keep = counts > 0
    out: dict[str, np.ndarray] = {"_n": counts[keep], "_t": np.bincount(idx, t)[keep] / counts[keep]}
    for name, col in columns.items():
        v = np.asarray(col, dtype=float)
        if v.shape != t.shape:
            raise ValueError(f"column {name!r} has {v.shape} values for {t.shape} rows of time_s")
        out[name] = np.bincount(idx, v)[keep] / counts[keep]
    return out


def _active_rows(batch: Mapping[str, np.ndarray], active: tuple[str, Sequence[float]] | None) -> np.ndarray:
    n = len(next(iter(batch.values())))
    if active is None:
        return np.ones(n, dtype=bool)
    tag, phases = active
    if tag not in batch:
        raise ValueError(f"a reference batch has no {tag!r} (the model's active phase tag)")
    return np.isin(np.round(np.asarray(batch[tag], dtype=float)), np.round(np.asarray(phases, dtype=float)))


def align(
    batches: Sequence[Mapping[str, np.ndarray]],
    variables: Sequence[str],
    maturity: str,
    active: tuple[str, Sequence[float]] | None = None,
    grid_step: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Put windowed batches on a common maturity grid; returns ``(grid (K), values (N×K×J))``.

    ``grid_step`` defaults to the median maturity advance per window.
    """
    tracks = []
    steps = []
    for b, batch in enumerate(batches, start=1):
        missing = [name for name in (maturity, *variables) if name not in batch]
        if missing:
            raise ValueError(f"reference batch {b} has no {', '.join(map(repr, missing))}")
        rows = _active_rows(batch, active)
        m = np.asarray(batch[maturity], dtype=float)[rows]
        vals = np.column_stack([np.asarray(batch[v], dtype=float)[rows] for v in variables])
        ok = np.isfinite(m) & np.isfinite(vals).all(axis=1)
        m, vals = m[ok], vals[ok]
        # Maturity must increase: keep the windows where it does (a hold in cumulative feed).
        inc = np.concatenate([[True], m[1:] > np.maximum.accumulate(m)[:-1]]) if len(m) else np.zeros(0, bool)
        m, vals = m[inc], vals[inc]
        if len(m) < 3:
            raise ValueError(
                f"reference batch {b}: {len(m)} windows with an increasing {maturity!r} in the active phase; "
                "a batch needs at least 3 (is it long enough, and is the maturity tag right?)"
            )
        tracks.append((m, vals))
        steps.append(np.median(np.diff(m)))
    lo = max(m[0] for m, _ in tracks)
    hi = min(m[-1] for m, _ in tracks)
    step = float(grid_step) if grid_step else float(np.median(steps))
    if not hi > lo or step <= 0:
        raise ValueError(
            f"the reference batches share no maturity range ({maturity} from {lo:g} to {hi:g}): "
            "are they batches of the same process?"
        )
    grid = lo + step * np.arange(int(np.floor((hi - lo) / step + 1e-9)) + 1)
    return grid, np.stack([_on_grid(grid, m, v) for m, v in tracks])


def _on_grid(grid: np.ndarray, m: np.ndarray, v: np.ndarray) -> np.ndarray:
    """A batch's windows on the grid as the live scorer puts them: each window in its nearest
    grid point (means where two fall in one), interpolated only where none fell.

    Interpolating every point instead would average two windows' noise (a PAT prediction's,
    say) and make the reference quieter than a live batch.
    """
    k, j = len(grid), v.shape[1]
    step = grid[1] - grid[0] if k > 1 else 1.0
    idx = np.rint((m - grid[0]) / step).astype(np.int64)
    on = (idx >= 0) & (idx < k)
    counts = np.bincount(idx[on], minlength=k).astype(float)
    out = np.empty((k, j))
    filled = counts > 0
    for c in range(j):
        sums = np.bincount(idx[on], v[on, c], minlength=k)
        col = np.divide(sums, counts, out=np.zeros(k), where=filled)
        out[:, c] = col if filled.all() else np.interp(grid, m, v[:, c]) * ~filled + col * filled
    return out


def _shift_sums(x: np.ndarray, mean: np.ndarray, shift: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per batch, over the shifts |s| ≤ ``shift`` on the grid: Σ(x[k+s] − mean[k])², Σ(x[k+s] − mean[k])
    (both N×K×J) and the number of shifts (K×1)."""
    _, k, _ = x.shape
    sq = np.zeros_like(x)
    lin = np.zeros_like(x)
    count = np.zeros((k, 1))
    for s in range(-shift, shift + 1):
        lo, hi = max(0, -s), min(k, k - s)  # grid points k with k + s on the grid
        d = x[:, lo + s : hi + s] - mean[lo:hi]
        sq[:, lo:hi] += d * d
        lin[:, lo:hi] += d
        count[lo:hi] += 1
    return sq, lin, count


def shift_pooled_sd(x: np.ndarray, mean: np.ndarray, shift: int) -> np.ndarray:
    """Spread (K×J) of the batches ``x`` (N×K×J) around ``mean`` pooled over ±``shift`` grid points.

    ``sd[k] = sqrt(N/(N−1) · mean over batches i and |s| ≤ shift of (x[i, k+s] − mean[k])²)``
    (shifts past either end of the grid are left out); ``shift = 0`` is the plain sample
    standard deviation.

    >>> x = np.array([[[0.0], [0.0], [1.0]], [[0.0], [1.0], [0.0]], [[1.0], [0.0], [0.0]]])
    >>> shift_pooled_sd(x, x.mean(axis=0), 0).ravel().round(3).tolist()
    [0.577, 0.577, 0.577]
    >>> shift_pooled_sd(x, x.mean(axis=0), 1).ravel().round(3).tolist()
    [0.577, 0.577, 0.577]
    """
    n = x.shape[0]
    sq, _, count = _shift_sums(x, mean, shift)
    return np.sqrt(sq.sum(axis=0) / (n * count) * n / max(n - 1, 1))


def leave_one_out_envelope(x: np.ndarray, shift: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and shift-pooled spread (N×K×J each) of the batches without batch i, for every i.

    A reference batch judged against an envelope it helped to make looks more normal than a
    new batch would; the batch-level limits are learned from each batch against the others.

    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(6, 4, 2))
    >>> m, sd = leave_one_out_envelope(x, 1)
    >>> rest = np.delete(x, 2, axis=0)
    >>> same_sd = np.allclose(sd[2], shift_pooled_sd(rest, rest.mean(axis=0), 1))
    >>> bool(np.allclose(m[2], rest.mean(axis=0))), bool(same_sd)
    (True, True)
    """
    n = x.shape[0]
    mean = x.mean(axis=0)
    sq, lin, count = _shift_sums(x, mean, shift)
    sq_all, lin_all = sq.sum(axis=0), lin.sum(axis=0)
    m_loo = (n * mean - x) / (n - 1)
    d = m_loo - mean  # N×K×J: the change of the mean without batch i
    total = (sq_all - sq) - 2.0 * d * (lin_all - lin) + (n - 1) * count * d * d
    var = np.maximum(total, 0.0) / ((n - 1) * count) * (n - 1) / max(n - 2, 1)
    return m_loo, np.sqrt(var)


def build_model(
    batches: Sequence[Mapping[str, np.ndarray]],
    *,
    unit: str,
    unit_type: str,
    variables: Sequence[str],
    units: Sequence[str],
    maturity: str,
    maturity_unit: str,
    clock: tuple[str, float],
    window_s: float,
    noise_sd: Sequence[float],
    active: tuple[str, Sequence[float]] | None = None,
    reading_s: float = 1.0,
    alpha: float = 0.01,
    n_components: int | None = None,
    a_max: int = 6,
    grid_step: float | None = None,
    tolerance: float = 0.0,
    consecutive: int = 3,
    batch_alpha: float = 0.05,
    seed: int = 0,
    info: Mapping[str, Any] | None = None,
) -> GoldenModel:
    """The golden model of windowed reference batches (:func:`window_means` output, one per batch).

    ``noise_sd`` is the sensor noise of one reading of each variable (0 when the batches
    already carry their noise, e.g. recorded ones); ``reading_s`` the time between two
    readings, which sets the readings per window of the drawn envelope and of the model's
    scaling (``n_ref = window_s / reading_s``; live, the readings are counted).
    ``tolerance`` (maturity units) is how early or late a good batch may be: the between-batch
    spread at maturity m is taken over the reference values from m − tolerance to
    m + tolerance (:func:`shift_pooled_sd`), so an event whose time varies from batch to batch
    (the end of the batch phase, when the glucose runs out) widens the envelope where it happens.
    """
    if len(batches) < 3:
        raise ValueError(f"a golden batch needs at least 3 reference batches, got {len(batches)}")
    if len(units) != len(variables) or len(noise_sd) != len(variables):
        raise ValueError("variables, units and noise_sd must have the same length")
    grid, x = align(batches, variables, maturity, active, grid_step)
    n, k, j = x.shape
    mean = x.mean(axis=0)
    shift = round(tolerance / (grid[1] - grid[0])) if len(grid) > 1 and tolerance > 0 else 0
    sd_batch = shift_pooled_sd(x, mean, shift)
    # Half the largest change of the mean to a neighbouring grid point: where a window falls
    # on a fast change (and the interpolation between grid points) moves its mean that much.
    d = np.abs(np.diff(mean, axis=0))
    edge = np.zeros((1, j))
    sd_align = 0.5 * np.maximum(np.vstack([edge, d]), np.vstack([d, edge]))
    noise = np.asarray(noise_sd, dtype=float)
    # The envelope is never narrower than ±3 sd of one reading: a loop that holds its setpoint
    # better than its sensor's noise tells nothing about the batch (a 0.02 K dip of the broth
    # temperature when the glucose runs out is not a deviation).
    floor = np.maximum(FLOOR_FRACTION * x.reshape(-1, j).std(axis=0) + 1e-9, noise)
    n_ref = max(window_s / reading_s, 1.0)
    model = GoldenModel(
        unit=unit, unit_type=unit_type, variables=list(variables), units=list(units), maturity=maturity,
        maturity_unit=maturity_unit, clock=(clock[0], float(clock[1])),
        active=None if active is None else (active[0], [float(p) for p in active[1]]), window_s=float(window_s),
        grid=grid, mean=mean, sd_batch=sd_batch, sd_align=sd_align, noise_sd=noise, floor=floor,
        loadings=np.zeros((k, j, 0)), eigenvalues=np.zeros(0), t2_limit=np.zeros(k), spe_limit=np.zeros(k),
        n_ref=n_ref, alpha=alpha,
    )  # fmt: skip
    # The model is fitted on what a live detector sees: noisy window means, scaled by σ.
    rng = np.random.default_rng(seed)
    noisy = x + noise / np.sqrt(n_ref) * rng.standard_normal(x.shape)
    z = (noisy - mean) / model.sigma()
    # Each batch against the envelope of the others, for the limits (what a new batch gives).
    m_loo, sd_loo = leave_one_out_envelope(x, shift)
    sigma_loo = np.sqrt(sd_loo**2 + sd_align**2 + noise**2 / n_ref + floor**2)
    z_loo = (noisy - m_loo) / sigma_loo
    fit = fit_mpca(z, alpha=alpha, a_max=a_max, n_components=n_components, consecutive=consecutive,
                   batch_alpha=batch_alpha, shift=shift, z_loo=z_loo)  # fmt: skip
    model.loadings, model.eigenvalues = fit.loadings, fit.eigenvalues
    model.t2_limit, model.spe_limit = fit.t2_limit, fit.spe_limit
    rule = "fixed" if n_components is not None else "cross-validation (leave one batch out, delete one variable)"
    over = np.mean(np.any(np.abs(z_loo) > model.sigma_limit, axis=2), axis=1)
    model.info = {
        **(dict(info) if info else {}),
        "n_batches": n,
        "tolerance": tolerance,
        "components_rule": rule,
        "press": [round(float(p), 4) for p in fit.press],
        "t2_limit_factor": round(fit.t2_factor, 4),
        "spe_limit_factor": round(fit.spe_factor, 4),
        "batch_alpha": batch_alpha,
        "consecutive": consecutive,
        "t2_batch_limit": fit.t2_batch_limit,
        "spe_batch_limit": fit.spe_batch_limit,
        # What the reference batches themselves give (T² and SPE from fits that left them out).
        "reference_t2_over_limit": float(np.mean(fit.loo_t2 > fit.t2_limit)) if fit.n_components else 0.0,
        "reference_spe_over_limit": float(np.mean(fit.loo_spe > fit.spe_limit)),
        "reference_envelope_out_fraction": round(float(over.mean()), 5),
    }
    return model
