"""The array-form result of a PCA monitor: statistics, limits, alarm flags and alarms with contributions.

Users import these from :mod:`analytics.pca`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analytics.pca_core import Contribution


@dataclass(frozen=True)
class PcaAlarm:
    """An alarm row with the statistics and the top contributing variables."""

    row: int
    t2: float
    spe: float
    combined: float
    t2_alarm: bool
    spe_alarm: bool
    combined_alarm: bool
    t2_top: tuple[Contribution, ...]
    spe_top: tuple[Contribution, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "t2": self.t2,
            "spe": self.spe,
            "combined": self.combined,
            "t2_alarm": self.t2_alarm,
            "spe_alarm": self.spe_alarm,
            "combined_alarm": self.combined_alarm,
            "t2_top": [c.to_dict() for c in self.t2_top],
            "spe_top": [c.to_dict() for c in self.spe_top],
        }


@dataclass(frozen=True)
class PcaScores:
    """Array-form result of :meth:`PcaMonitor.score`.

    ``rows[i]`` is the 0-based index in the scored array of statistic ``i`` (with
    ``lags=L`` the first ``L`` rows have none). ``alarm`` follows the monitor's ``signal``;
    ``alarms`` lists every alarm row with its top contributions.
    """

    rows: np.ndarray
    t2: np.ndarray
    spe: np.ndarray
    combined: np.ndarray
    t2_limit: float
    spe_limit: float
    combined_limit: float
    t2_alarm: np.ndarray
    spe_alarm: np.ndarray
    combined_alarm: np.ndarray
    alarm: np.ndarray
    alarms: list[PcaAlarm] = field(default_factory=list)

    @property
    def first_alarm(self) -> int | None:
        """Row index of the first alarm (``None`` when there is none)."""
        hit = np.flatnonzero(self.alarm)
        return int(self.rows[hit[0]]) if hit.size else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (plain lists, no NaN)."""
        return {
            "rows": self.rows.tolist(),
            "t2": self.t2.tolist(),
            "spe": self.spe.tolist(),
            "combined": self.combined.tolist(),
            "limits": {"t2": self.t2_limit, "spe": self.spe_limit, "combined": self.combined_limit},
            "t2_alarm": self.t2_alarm.tolist(),
            "spe_alarm": self.spe_alarm.tolist(),
            "combined_alarm": self.combined_alarm.tolist(),
            "alarm": self.alarm.tolist(),
            "first_alarm": self.first_alarm,
            "alarms": [a.to_dict() for a in self.alarms],
        }
