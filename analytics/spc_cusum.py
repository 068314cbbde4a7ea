"""Tabular CUSUM control chart: cumulative sums of deviations beyond a slack k.

Examples
--------
>>> chart = CUSUMChart(mean=0.0, sigma=1.0, k=0.5, h=5.0)
>>> [chart.update(2.0).fired_rules for _ in range(4)]
[(), (), (), ('C+',)]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from analytics.spc_chart import SHEWHART_ARL0, Chart, NanPolicy
from analytics.spc_design import cusum_h_for_arl


def cusum_step(c_plus: Any, c_minus: Any, z: Any, k: float) -> tuple[Any, Any]:
    """One tabular-CUSUM step on standardised ``z`` (floats or arrays alike).

    ``C⁺ = max(0, C⁺ + z − k)`` accumulates evidence of an upward shift and
    ``C⁻ = max(0, C⁻ − z − k)`` of a downward one.

    Examples
    --------
    >>> cusum_step(np.zeros(2), np.zeros(2), np.array([1.5, -2.0]), 0.5)
    (array([1., 0.]), array([0. , 1.5]))
    """
    return np.maximum(c_plus + z - k, 0.0), np.maximum(c_minus - z - k, 0.0)


class CUSUMChart(Chart):
    """Tabular (two-sided) CUSUM, in sigma units.

    With ``z = (x − mean)/sigma``: ``C⁺ = max(0, C⁺ + z − k)`` and
    ``C⁻ = max(0, C⁻ − z − k)``; alarm ``"C+"`` when ``C⁺ > h`` (mean went up), ``"C-"``
    when ``C⁻ > h``. The plotted ``statistic`` is ``C⁺`` or ``−C⁻``, whichever is larger in
    size, against ``lcl = −h`` and ``ucl = +h``; ``upper``/``lower`` give both sums.

    Parameters
    ----------
    mean, sigma
        In-control mean and standard deviation of one observation.
    k
        Reference value (slack) in sigmas; ``k = δ/2`` is best for detecting a shift δ.
    h
        Decision interval in sigmas; ``None`` chooses it for the in-control ARL ``arl0``
        (Brook–Evans, :func:`~analytics.spc_design.cusum_h_for_arl`); k = 0.5 gives 4.77.
    arl0
        Design target when ``h`` is None.
    headstart
        Fast initial response (FIR): start both sums (also after a reset) at this value
        in sigmas, typically ``h/2``; 0 is the classic zero start.
    reset_on_alarm, nan_policy
        See :class:`IndividualsChart`.

    Examples
    --------
    >>> chart = CUSUMChart(mean=0.0, sigma=1.0, k=0.5, h=4.0)
    >>> for x in [1.0, 1.5, 1.2, 0.8, 1.1, 1.3]:
    ...     _ = chart.update(x)
    >>> round(chart.upper, 2), chart.drift_detected, chart.fired_rules
    (3.9, False, ())
    >>> chart.update(1.0).fired_rules
    ('C+',)
    """

    method = "cusum"

    def __init__(
        self,
        mean: float,
        sigma: float,
        k: float = 0.5,
        h: float | None = None,
        arl0: float = SHEWHART_ARL0,
        headstart: float = 0.0,
        reset_on_alarm: bool = True,
        nan_policy: NanPolicy = "skip",
    ) -> None:
        if not (math.isfinite(k) and k >= 0):
            raise ValueError(f"k must be a finite number >= 0, got {k!r}")
        self.k = float(k)
        self.arl0 = arl0
        self.headstart = float(headstart)
        self.h = cusum_h_for_arl(self.k, arl0, headstart=self.headstart) if h is None else float(h)
        if not (math.isfinite(self.h) and self.h > 0):
            raise ValueError(f"h must be a finite number > 0, got {h!r}")
        if not (0 <= self.headstart < self.h):
            raise ValueError(f"headstart must be in [0, h) = [0, {self.h:g}), got {headstart!r}")
        self._init_common(mean, sigma, reset_on_alarm, nan_policy)

    def _clear_state(self) -> None:
        self.upper = self.lower = self.headstart
        self._stat = self.upper

    def _step(self, x: float) -> tuple[str, ...]:
        up, lo = cusum_step(self.upper, self.lower, (x - self.mean) / self.sigma, self.k)
        self.upper, self.lower = float(up), float(lo)
        self._stat = self.upper if self.upper >= self.lower else -self.lower
        fired = ("C+",) if self.upper > self.h else ()
        return (*fired, "C-") if self.lower > self.h else fired

    @property
    def centre(self) -> float:
        """Centre line of the plotted CUSUM (0, in sigma units)."""
        return 0.0

    @property
    def lcl(self) -> float:
        """``−h``: the plotted statistic is ``−C⁻`` on the low side."""
        return -self.h

    @property
    def ucl(self) -> float:
        """``+h``."""
        return self.h

    def _extras(self) -> dict[str, float]:
        return {"cusum_upper": self.upper, "cusum_lower": self.lower}
