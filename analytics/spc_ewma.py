"""EWMA control chart: an exponentially weighted moving average remembers small shifts.

Examples
--------
>>> chart = EWMAChart(mean=0.0, sigma=1.0, lambda_=0.2, L=2.962)
>>> [chart.update(1.5).drift_detected for _ in range(6)]  # restarts after the alarm
[False, False, False, False, True, False]
"""

from __future__ import annotations

import math
from typing import Any

from analytics.spc_chart import SHEWHART_ARL0, Chart, NanPolicy
from analytics.spc_design import ewma_L_for_arl


def ewma_step(z: Any, x: Any, lambda_: float) -> Any:
    """One EWMA step, ``λ·x + (1 − λ)·z``, for floats or numpy arrays alike.

    Examples
    --------
    >>> ewma_step(0.0, 1.0, 0.2)
    0.2
    """
    return lambda_ * x + (1.0 - lambda_) * z


class EWMAChart(Chart):
    """Exponentially weighted moving average chart.

    ``zₜ = λ·xₜ + (1 − λ)·zₜ₋₁`` with ``z₀ = mean``; alarm (rule id ``"limit"``) when ``z``
    leaves ``mean ± L·σ·sqrt(λ/(2−λ)·(1 − (1−λ)^{2t}))``. The factor in brackets is the exact
    variance of ``zₜ``; it tends to 1, which gives the *asymptotic* limits used by default
    and by the published ARL tables. ``exact_limits=True`` uses the narrower early limits and
    so catches a shift present at start-up sooner.

    Parameters
    ----------
    mean, sigma
        In-control mean and standard deviation of one observation.
    lambda_
        Weight of the newest value, 0 < λ ≤ 1 (0.05–0.25 usual; smaller = longer memory).
    L
        Limit width; ``None`` chooses it so that the in-control ARL is ``arl0``
        (Brook–Evans, :func:`~analytics.spc_design.ewma_L_for_arl`).
    arl0
        Design target when ``L`` is None (default 370.4: a 3σ Shewhart chart's false-alarm
        rate).
    exact_limits, reset_on_alarm, nan_policy
        See above and :class:`IndividualsChart`.

    Examples
    --------
    >>> chart = EWMAChart(mean=0.0, sigma=1.0, lambda_=0.1, L=2.814)
    >>> for x in [1.0] * 6:
    ...     _ = chart.update(x)
    >>> round(chart.statistic, 3), round(chart.ucl, 3), chart.drift_detected
    (0.469, 0.646, False)
    >>> round(EWMAChart(0.0, 1.0, lambda_=0.2).L, 3)  # designed for ARL0 = 370.4
    2.859
    """

    method = "ewma"

    def __init__(
        self,
        mean: float,
        sigma: float,
        lambda_: float = 0.2,
        L: float | None = None,
        arl0: float = SHEWHART_ARL0,
        exact_limits: bool = False,
        reset_on_alarm: bool = True,
        nan_policy: NanPolicy = "skip",
    ) -> None:
        if not (0 < lambda_ <= 1):
            raise ValueError(f"lambda_ must be in (0, 1], got {lambda_!r}")
        self.lambda_ = float(lambda_)
        self.arl0 = arl0
        self.L = ewma_L_for_arl(self.lambda_, arl0) if L is None else float(L)
        if not (math.isfinite(self.L) and self.L > 0):
            raise ValueError(f"L must be a finite number > 0, got {L!r}")
        self.exact_limits = exact_limits
        self._asym = math.sqrt(self.lambda_ / (2.0 - self.lambda_))
        self._init_common(mean, sigma, reset_on_alarm, nan_policy)

    def _clear_state(self) -> None:
        self._stat = self.mean
        self._t = 0
        self._half_width = self._width(0)

    def _width(self, t: int) -> float:
        factor = self._asym
        if self.exact_limits:
            factor *= math.sqrt(1.0 - (1.0 - self.lambda_) ** (2 * t))
        return self.L * self.sigma * factor

    def _step(self, x: float) -> tuple[str, ...]:
        self._t += 1
        self._stat = ewma_step(self._stat, x, self.lambda_)
        self._half_width = self._width(self._t)
        return ("limit",) if abs(self._stat - self.mean) > self._half_width else ()

    @property
    def lcl(self) -> float:
        """Lower limit for the current statistic."""
        return self.mean - self._half_width

    @property
    def ucl(self) -> float:
        """Upper limit for the current statistic."""
        return self.mean + self._half_width
