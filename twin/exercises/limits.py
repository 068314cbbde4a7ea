"""Time in limits and measured goals, on the readings the plant publishes (what the team sees).

A :class:`LimitTracker` counts, while a fault of its task is active, the seconds a CPP's
published reading spends inside and outside its NOR ``[lo, hi]``, and tells when it leaves
the range (one warning per excursion). A :class:`KpiTracker` keeps what a
:class:`config_schema.exercise.KpiGoal` measures (last value, gain since ``from_s``, min,
max, mean). Both are fed samples by :class:`twin.exercises.desk.ExerciseDesk`; a reading
with a bad status counts nowhere (the value is not a measurement).

Examples
--------
>>> from config_schema.exercise import LimitTask
>>> t = LimitTracker(LimitTask(unit="u", tag="T", lo=36.5, hi=37.5))
>>> [t.sample(v, active=True, dt_s=1.0) for v in (37.0, 38.0, 38.2, 37.1, 36.0)]
[False, True, False, False, True]
>>> t.in_s, t.out_s, t.warnings
(2.0, 3.0, 2)
>>> from config_schema.exercise import KpiGoal
>>> k = KpiTracker(KpiGoal(name="oee", label={"en": "OEE", "fr": "TRS"}, unit="u", tag="oee",
...     measure="gain", from_s=10, baseline=0, target=0.1))
>>> for s, v in [(5, 0.5), (10, 0.6), (20, 0.7)]:
...     k.sample(v, elapsed_s=s)
>>> round(k.value(), 3)
0.1
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from config_schema.exercise import KpiGoal, LimitTask


@dataclass
class LimitTracker:
    """Seconds in and out of ``[task.lo, task.hi]`` while the task's fault is active."""

    task: LimitTask
    in_s: float = 0.0
    out_s: float = 0.0
    warnings: int = 0
    outside: bool = False

    def sample(self, value: float, *, active: bool, dt_s: float) -> bool:
        """Count ``dt_s`` for ``value``; ``True`` when this sample starts an excursion (warn)."""
        if not active or not math.isfinite(value):
            self.outside = False
            return False
        if self.task.lo <= value <= self.task.hi:
            self.in_s += dt_s
            self.outside = False
            return False
        self.out_s += dt_s
        if self.outside:
            return False
        self.outside = True
        self.warnings += 1
        return True

    @property
    def fraction(self) -> float:
        """Share of the counted time in limits (1.0 when nothing was counted)."""
        total = self.in_s + self.out_s
        return self.in_s / total if total > 0 else 1.0


@dataclass
class KpiTracker:
    """What a measured goal needs of a tag's samples (no list kept: a long run stays small)."""

    goal: KpiGoal
    first: float | None = None
    last: float | None = None
    low: float = math.inf
    high: float = -math.inf
    total: float = 0.0
    count: int = 0

    def sample(self, value: float, *, elapsed_s: float) -> None:
        if not math.isfinite(value) or elapsed_s < self.goal.from_s - 1e-9:
            return
        if self.first is None:
            self.first = value
        self.last = value
        self.low = min(self.low, value)
        self.high = max(self.high, value)
        self.total += value
        self.count += 1

    def value(self) -> float | None:
        """The measure (``None`` without any sample)."""
        m = self.goal.measure
        if self.last is None:
            return None
        if m == "final":
            return self.last
        if self.count == 0 or self.first is None:
            return None
        if m == "gain":
            return self.last - self.first
        if m == "min":
            return self.low
        if m == "max":
            return self.high
        return self.total / self.count


__all__ = ["KpiTracker", "LimitTracker"]
