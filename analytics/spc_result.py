"""The array-form result of a control chart: one row per observation (or subgroup).

Examples
--------
>>> from analytics.spc import run_chart
>>> res = run_chart([0.0, 0.5, float("nan"), 3.5], "shewhart", mean=0.0, sigma=1.0, rules="we")
>>> res.alarm_rows.tolist(), res.first_alarm, res.skipped.tolist()
([3], 3, [False, False, True, False])
>>> d = res.to_dict()
>>> d["alarms"], d["statistic"][2], d["skipped_rows"]
([{'row': 3, 'rules': ['WE1']}], None, [2])
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from analytics.spc_rules import RULE_DESCRIPTIONS


def _json_list(a: npt.NDArray[Any]) -> list[float | None]:
    """A float array as a JSON-safe list: NaN becomes None."""
    return [None if math.isnan(v) else v for v in a.astype(float).tolist()]


def _json_value(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, frozenset | set | tuple):
        return sorted(v) if isinstance(v, frozenset | set) else list(v)
    return v


@dataclass
class ChartResult:
    """Per-row output of a control chart (array form).

    Attributes
    ----------
    method
        ``"shewhart"``, ``"xbar_r"``, ``"xbar_s"``, ``"ewma"`` or ``"cusum"``.
    statistic, centre, lcl, ucl
        Plotted statistic and its centre line and control limits, per row (NaN where a row
        was skipped). CUSUM rows are in sigma units (limits ±h).
    alarm
        Whether the row raised an alarm.
    rules
        Per row, the ids of the rules that fired (``()`` if none); see
        :data:`~analytics.spc_rules.RULE_DESCRIPTIONS`.
    skipped
        Rows skipped because of a missing value.
    parameters
        Chart parameters (mean, sigma, L, λ, k, h, rules, where the limits came from, …).
    extra
        Companion series, e.g. ``moving_range`` / ``mr_ucl``, ``range`` / ``range_ucl``,
        ``cusum_upper`` / ``cusum_lower``.
    notes
        Anything a user must know: skipped rows, NaN dropped from a reference, alarms
        inside the reference period.

    Examples
    --------
    >>> from analytics.spc import EWMAChart
    >>> res = EWMAChart(mean=0.0, sigma=1.0, lambda_=0.5, L=3.0).run([0.0, 2.0, 3.0, 3.0])
    >>> len(res), res.alarm.tolist(), res.first_alarm
    (4, [False, False, True, False], 2)
    """

    method: str
    statistic: npt.NDArray[np.float64]
    centre: npt.NDArray[np.float64]
    lcl: npt.NDArray[np.float64]
    ucl: npt.NDArray[np.float64]
    alarm: npt.NDArray[np.bool_]
    rules: list[tuple[str, ...]]
    skipped: npt.NDArray[np.bool_]
    parameters: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, npt.NDArray[np.float64]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def alarm_rows(self) -> npt.NDArray[np.intp]:
        """Indices of the rows that raised an alarm."""
        return np.flatnonzero(self.alarm)

    @property
    def first_alarm(self) -> int | None:
        """Index of the first alarm, or None if the chart never signalled."""
        rows = self.alarm_rows
        return int(rows[0]) if rows.size else None

    def __len__(self) -> int:
        return int(self.statistic.shape[0])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN → null): per-row series, alarm rows with rules, first alarm."""
        fired = sorted({r for row in self.rules for r in row})
        return {
            "method": self.method,
            "parameters": {k: _json_value(v) for k, v in self.parameters.items()},
            "n_rows": len(self),
            "statistic": _json_list(self.statistic),
            "centre": _json_list(self.centre),
            "lcl": _json_list(self.lcl),
            "ucl": _json_list(self.ucl),
            "alarm_rows": self.alarm_rows.tolist(),
            "alarms": [{"row": int(i), "rules": list(self.rules[i])} for i in self.alarm_rows],
            "first_alarm": self.first_alarm,
            "rule_descriptions": {r: RULE_DESCRIPTIONS.get(r, r) for r in fired},
            "skipped_rows": np.flatnonzero(self.skipped).tolist(),
            "extra": {k: _json_list(v) for k, v in self.extra.items()},
            "notes": list(self.notes),
        }
