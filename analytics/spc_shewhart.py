"""Shewhart charts: individuals (I-MR), X̄-R and X̄-S, with explicit run rules.

A Shewhart chart plots each value, or each subgroup mean, against ``centre ± L·σ_statistic``
(σ for individual values, σ/√n for means of n) and judges every point on its own — plus,
if asked, run rules that look at patterns of recent points (:mod:`analytics.spc_rules`).
Beside the level chart, the spread is charted: moving ranges for individual values,
subgroup ranges or standard deviations for subgroups.

Examples
--------
>>> chart = IndividualsChart(mean=10.0, sigma=0.5, rules="we")
>>> [chart.update(x).fired_rules for x in [11.1, 9.9, 11.2]]
[(), (), ('WE2',)]
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from analytics.spc_chart import Chart, FloatArray, NanPolicy
from analytics.spc_limits import C4, D2, D3, ProcessParameters, estimate_subgroups
from analytics.spc_rules import RuleEngine, RuleSpec, resolve_rules


class _ShewhartChart(Chart):
    """Shewhart chart of a statistic with standard deviation ``sigma_stat``, plus run rules."""

    L: float
    dispersion_alarms: bool
    _engine: RuleEngine
    _stat: float
    _sigma_stat: float

    def _init_shewhart(self, rules: RuleSpec, L: float) -> None:
        if not (math.isfinite(L) and L > 0):
            raise ValueError(f"L must be a finite number > 0, got {L!r}")
        self.rules = rules if isinstance(rules, str) else resolve_rules(rules)
        self.L = float(L)
        self.rule_ids = resolve_rules(rules)
        self._engine = RuleEngine(self.rule_ids, self.L)

    @property
    def lcl(self) -> float:
        """Lower control limit ``centre − L·σ_statistic``."""
        return self.mean - self.L * self._sigma_stat

    @property
    def ucl(self) -> float:
        """Upper control limit ``centre + L·σ_statistic``."""
        return self.mean + self.L * self._sigma_stat

    def _check_point(
        self, stat: float, spread: float, spread_ucl: float, spread_lcl: float, tag: str
    ) -> tuple[str, ...]:
        self._stat = stat
        fired = self._engine.update((stat - self.mean) / self._sigma_stat)
        if self.dispersion_alarms and not math.isnan(spread) and (spread > spread_ucl or spread < spread_lcl):
            fired = (*fired, tag)
        return fired


class IndividualsChart(_ShewhartChart):
    """Individuals and moving-range (I-MR) chart, with explicit run rules.

    Plots each value ``x`` against ``mean ± L·sigma``; the moving range
    ``MR = |xₜ − xₜ₋₁|`` is reported beside it with its upper limit
    ``(d2 + L·d3)·sigma ≈ 3.686·sigma``.

    Parameters
    ----------
    mean, sigma
        In-control mean and standard deviation of one observation.
    rules
        ``"we"``, ``"nelson"``, ``"none"`` or a set of rule ids (required: there is no
        silent default). See :mod:`analytics.spc_rules`.
    L
        Limit width in sigmas (3 gives ARL0 = 370.4 without run rules).
    dispersion_alarms
        Also alarm (rule id ``"MR"``) when a moving range exceeds its limit. Off by default:
        the MR chart adds false alarms and little sensitivity for individual values.
    reset_on_alarm
        Restart the chart (run rules, moving range) at the update after an alarm.
    nan_policy
        ``"skip"`` or ``"raise"`` for missing values.

    Examples
    --------
    >>> chart = IndividualsChart(mean=0.0, sigma=1.0, rules="nelson")
    >>> for x in [0.3, 0.5, 0.2, 0.6, 0.4, 0.1, 0.7, 0.3, 0.5]:
    ...     _ = chart.update(x)
    >>> chart.drift_detected, chart.fired_rules, chart.ucl
    (True, ('N2',), 3.0)
    >>> round(IndividualsChart.from_reference([5.0, 5.2, 4.9, 5.1, 5.0], rules="none").ucl, 3)
    5.572
    """

    method = "shewhart"

    def __init__(
        self,
        mean: float,
        sigma: float,
        rules: RuleSpec,
        L: float = 3.0,
        dispersion_alarms: bool = False,
        reset_on_alarm: bool = True,
        nan_policy: NanPolicy = "skip",
    ) -> None:
        self._init_shewhart(rules, L)
        self.dispersion_alarms = dispersion_alarms
        self._sigma_stat = float(sigma)
        self._init_common(mean, sigma, reset_on_alarm, nan_policy)
        self.mr_ucl = (D2[2] + self.L * D3[2]) * self.sigma

    def _clear_state(self) -> None:
        self._engine.reset()
        self._stat = math.nan
        self._last = math.nan
        self._mr = math.nan

    def _step(self, x: float) -> tuple[str, ...]:
        self._mr = abs(x - self._last)  # NaN for the first point after a (re)start
        self._last = x
        return self._check_point(x, self._mr, self.mr_ucl, -1.0, "MR")

    def _extras(self) -> dict[str, float]:
        return {"moving_range": self._mr, "mr_ucl": self.mr_ucl}


class _XbarChart(_ShewhartChart):
    """X̄ chart of subgroup means plus a chart of subgroup range or standard deviation."""

    dispersion: Literal["range", "s"] = "range"
    subgroup_size: int

    def __init__(
        self,
        mean: float,
        sigma: float,
        subgroup_size: int,
        rules: RuleSpec,
        L: float = 3.0,
        dispersion_alarms: bool = True,
        reset_on_alarm: bool = True,
        nan_policy: NanPolicy = "skip",
    ) -> None:
        self._init_shewhart(rules, L)
        self.dispersion_alarms = dispersion_alarms
        self._init_xbar(mean, sigma, subgroup_size, reset_on_alarm, nan_policy)

    def _init_xbar(self, mean: float, sigma: float, subgroup_size: int, reset_on_alarm: bool, nan_policy: str) -> None:
        n = int(subgroup_size)
        if n != subgroup_size or n < 2 or (self.dispersion == "range" and n > 25):
            raise ValueError(f"subgroup_size must be an integer >= 2 (<= 25 for a range chart), got {subgroup_size!r}")
        self.subgroup_size = n
        self._sigma_stat = float(sigma) / math.sqrt(n)
        self._init_common(mean, sigma, reset_on_alarm, nan_policy)
        s = self.sigma
        if self.dispersion == "range":
            centre, spread = D2[n] * s, D3[n] * s
        else:
            centre, spread = C4(n) * s, math.sqrt(1.0 - C4(n) ** 2) * s
        self.dispersion_centre = centre
        self.dispersion_lcl = max(0.0, centre - self.L * spread)
        self.dispersion_ucl = centre + self.L * spread

    def _clear_state(self) -> None:
        self._engine.reset()
        self._stat = math.nan
        self._spread = math.nan

    def _coerce(self, x: Any) -> Any:
        arr = np.asarray(x, dtype=np.float64)
        if arr.shape != (self.subgroup_size,):
            raise ValueError(f"a subgroup must have {self.subgroup_size} values, got shape {arr.shape}")
        if np.isinf(arr).any():
            raise ValueError(f"infinite value in subgroup {arr.tolist()}")
        return arr

    def _is_missing(self, x: Any) -> bool:
        return bool(np.isnan(x).any())

    def _step(self, x: FloatArray) -> tuple[str, ...]:
        if self.dispersion == "range":
            self._spread = float(x.max() - x.min())
        else:
            self._spread = float(x.std(ddof=1))
        tag = "R" if self.dispersion == "range" else "S"
        return self._check_point(float(x.mean()), self._spread, self.dispersion_ucl, self.dispersion_lcl, tag)

    def _extras(self) -> dict[str, float]:
        key = "range" if self.dispersion == "range" else "stdev"
        return {key: self._spread, f"{key}_lcl": self.dispersion_lcl, f"{key}_ucl": self.dispersion_ucl}

    def _rows(self, values: npt.ArrayLike) -> Any:
        arr = np.asarray(values, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[1] != self.subgroup_size:
            raise ValueError(f"expected a 2-D array (subgroups × {self.subgroup_size}), got shape {arr.shape}")
        return list(arr)

    @classmethod
    def _estimate(cls, reference: npt.ArrayLike, kwargs: dict[str, Any]) -> ProcessParameters:
        p = estimate_subgroups(reference, cls.dispersion)
        kwargs.setdefault("subgroup_size", np.shape(reference)[1])
        return p


class XbarRChart(_XbarChart):
    """X̄-R chart: subgroup means against ``mean ± L·σ/√n``, ranges against ``(d2 ± L·d3)·σ``.

    Parameters are as for :class:`IndividualsChart`, plus ``subgroup_size`` (2…25). Run rules
    apply to the means; ``dispersion_alarms`` (default on) alarms with id ``"R"`` when a range
    leaves its limits — a change in spread, not in level.

    Examples
    --------
    >>> chart = XbarRChart(mean=10.0, sigma=1.0, subgroup_size=4, rules="none")
    >>> chart.update([10.1, 9.8, 10.4, 10.0]).drift_detected
    False
    >>> round(chart.ucl, 3), round(chart.dispersion_ucl, 3)
    (11.5, 4.698)
    >>> chart.update([8.0, 13.0, 10.0, 9.0]).fired_rules
    ('R',)
    """

    method = "xbar_r"
    dispersion = "range"


class XbarSChart(_XbarChart):
    """X̄-S chart: like :class:`XbarRChart` with subgroup standard deviations (limits from c4).

    Examples
    --------
    >>> chart = XbarSChart(mean=0.0, sigma=1.0, subgroup_size=5, rules="we")
    >>> round(chart.dispersion_ucl, 3), chart.dispersion_lcl
    (1.964, 0.0)
    >>> chart.update([2.0, 1.5, 1.9, 1.2, 1.6]).fired_rules
    ('WE1',)
    """

    method = "xbar_s"
    dispersion = "s"
