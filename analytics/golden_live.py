"""Scoring a running batch against its golden model, one window at a time.

:class:`GoldenScorer` takes each window mean of the running batch (its maturity and the
values of the model's variables) and says:

* which variables are outside the envelope (``|z| > sigma_limit``, 3σ by default), where
  ``z = (x − mean(m)) / σ(m, n)`` and ``n`` is the number of readings in the window;
* the batch-level scores so far: T² of the scores estimated from the known part of the
  batch (projection to the model plane) and the SPE of the current maturity point, against
  their per-maturity limits (:mod:`analytics.golden_mpca`).

**Alarm rule**: a rule fires when its condition holds in ``consecutive`` windows in a row
(3 by default): ``ENV`` some variable outside ±3σ, ``T2`` the T² over its limit, ``SPE`` the
SPE over its limit. One window outside is noise; three in a row (15 min with the bioreactor's
5-minute windows) is a batch leaving its envelope.

The update is a few small array operations (a J-vector and an A×A solve): well under a
millisecond. Windows are mapped to the nearest maturity grid point ("cell"); several windows
in one cell are averaged for the batch-level scores.

Examples
--------
>>> import numpy as np
>>> from analytics.golden import GoldenModel
>>> s = GoldenScorer(GoldenModel.example())
>>> [s.update(1.0 * i, np.array([5.0, 8.0])).alarm for i in range(3)]
[False, False, False]
>>> [s.update(3.0 + i, np.array([5.0, 12.5])).rules for i in range(3)]
[(), (), ('ENV', 'SPE')]
>>> r = s.update(6.0, np.array([5.0, 12.5]))
>>> r.alarm, r.outside, round(r.z[1], 1), r.spe > r.spe_limit
(True, ['b'], 4.5, True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from analytics.golden import GoldenModel

__all__ = ["GOLDEN_RULES", "GoldenScore", "GoldenScorer", "score_batch"]

#: Rule ids of the golden batch, described for the dashboard.
GOLDEN_RULES = {
    "ENV": "a variable outside its golden-batch envelope (±3σ at this maturity) in consecutive windows",
    "T2": "batch-level Hotelling T² over its limit at this maturity in consecutive windows",
    "SPE": "batch-level SPE over its limit at this maturity in consecutive windows",
}


@dataclass(frozen=True)
class GoldenScore:
    """One scored window of the running batch."""

    maturity: float
    cell: int
    z: list[float]
    outside: list[str]
    t2: float
    t2_limit: float
    spe: float
    spe_limit: float
    rules: tuple[str, ...] = ()

    @property
    def alarm(self) -> bool:
        return bool(self.rules)

    def worst(self, variables: Sequence[str], top: int = 3) -> list[dict[str, float | str]]:
        """The ``top`` variables furthest from the golden mean, in σ (signed)."""
        order = sorted(range(len(self.z)), key=lambda i: -abs(self.z[i]))[:top]
        return [{"tag": variables[i], "z": round(self.z[i], 3)} for i in order]


@dataclass
class GoldenScorer:
    """Live state of one running batch (see the module docstring); :meth:`reset` for a new batch."""

    model: GoldenModel
    consecutive: int = 3
    rules: tuple[str, ...] = ("ENV", "T2", "SPE")
    #: Each scored window, for charts: (maturity, T², T² limit, SPE, SPE limit, variables outside).
    trace: list[tuple[float, float, float, float, float, int]] = field(default_factory=list)
    #: The latest scored window.
    last: GoldenScore | None = None

    def __post_init__(self) -> None:
        unknown = set(self.rules) - set(GOLDEN_RULES)
        if unknown:
            raise ValueError(f"unknown golden rule(s) {sorted(unknown)}; allowed: {', '.join(GOLDEN_RULES)}")
        if self.consecutive < 1:
            raise ValueError(f"consecutive must be >= 1, got {self.consecutive}")
        self.reset()

    def reset(self) -> None:
        """Forget the running batch (a new one starts)."""
        m = self.model
        k, j = m.mean.shape
        a = m.n_components
        self._sum = np.zeros((k, j))
        self._count = np.zeros(k)
        self._gram = np.zeros((a, a))
        self._rhs = np.zeros(a)
        self._runs = dict.fromkeys(GOLDEN_RULES, 0)
        self.trace = []
        self.last = None

    def update(self, maturity: float, values: np.ndarray, n: np.ndarray | float | None = None) -> GoldenScore:
        """Score one window (``values`` of :attr:`GoldenModel.variables`, ``n`` readings per window).

        The maturity must lie on the model's grid (:meth:`GoldenModel.covers`).
        """
        m = self.model
        cell = m.index(maturity)
        if not 0 <= cell < len(m.grid):
            raise ValueError(f"maturity {maturity:g} {m.maturity_unit} is off the golden batch's grid")
        z = m.zscores(maturity, values, n)
        z = np.where(np.isfinite(z), z, 0.0)
        outside = np.abs(z) > m.sigma_limit
        # Batch level: the cell's mean z; the normal equations gain the cell's rows once.
        old = self._sum[cell] / self._count[cell] if self._count[cell] else None
        self._sum[cell] += z
        self._count[cell] += 1
        zc = self._sum[cell] / self._count[cell]
        a = m.n_components
        t2 = spe = 0.0
        if a:
            p = m.loadings[cell]  # J×A
            if old is None:
                self._gram += p.T @ p
                self._rhs += p.T @ zc
            else:
                self._rhs += p.T @ (zc - old)
            ridge = (1e-9 * float(np.trace(self._gram)) + 1e-12) * np.eye(a)
            t = np.linalg.solve(self._gram + ridge, self._rhs)
            t2 = float(np.sum(t**2 / m.eigenvalues))
            spe = float(np.sum((zc - p @ t) ** 2))
        else:
            spe = float(np.sum(zc**2))
        t2_lim, spe_lim = float(m.t2_limit[cell]), float(m.spe_limit[cell])
        signals = {"ENV": bool(outside.any()), "T2": bool(a) and t2 > t2_lim, "SPE": spe > spe_lim}
        fired = []
        for rule in GOLDEN_RULES:
            self._runs[rule] = self._runs[rule] + 1 if signals[rule] else 0
            if rule in self.rules and self._runs[rule] >= self.consecutive:
                fired.append(rule)
        names = [v for v, o in zip(m.variables, outside, strict=True) if o]
        self.trace.append((float(maturity), t2, t2_lim, spe, spe_lim, len(names)))
        self.last = GoldenScore(float(maturity), cell, z.tolist(), names, t2, t2_lim, spe, spe_lim, tuple(fired))
        return self.last


def score_batch(
    model: GoldenModel,
    maturity: np.ndarray,
    values: np.ndarray,
    n: np.ndarray | None = None,
    active: np.ndarray | None = None,
    consecutive: int = 3,
    rules: tuple[str, ...] = ("ENV", "T2", "SPE"),
) -> list[GoldenScore]:
    """Score a whole batch of window means (``values`` rows × :attr:`GoldenModel.variables`).

    Windows off the grid or outside the active phase (``active`` False) are skipped.

    >>> m = GoldenModel.example()
    >>> scores = score_batch(m, np.arange(0.0, 11.0), np.tile([5.0, 8.0], (11, 1)))
    >>> len(scores), any(s.alarm for s in scores)
    (11, False)
    """
    scorer = GoldenScorer(model, consecutive=consecutive, rules=rules)
    out = []
    vals = np.asarray(values, dtype=float)
    for i, mat in enumerate(np.asarray(maturity, dtype=float)):
        if not math.isfinite(mat) or not model.covers(mat) or (active is not None and not active[i]):
            continue
        out.append(scorer.update(float(mat), vals[i], None if n is None else n[i]))
    return out
