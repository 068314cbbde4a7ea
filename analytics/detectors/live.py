"""The live side of a detector: window means of raw samples, phases, history, points.

A :class:`LiveDetector` takes raw samples of its tag(s) in time order (:meth:`LiveDetector.feed`),
averages them over windows of ``sample_s`` seconds and hands each window mean to its
method's statistic (a subclass: :class:`~analytics.detectors.chart.ChartDetector`,
:class:`~analytics.detectors.pca.PcaDetector`). It goes through up to three phases:

``warmup``
    the first ``warmup_s`` seconds are ignored (e.g. a heater warming up after start);
``reference``
    the next ``reference_s`` seconds are collected and the limits learned from them (Phase I);
``monitoring``
    every window gives a :class:`DetectorPoint` with the statistic, its limits and the alarm.

The last points are kept in a ring buffer (:attr:`LiveDetector.history`) for the dashboard.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from analytics.detectors.base import DetectorBase

__all__ = ["NS_PER_S", "DetectorPoint", "LiveDetector", "WindowMean"]

log = logging.getLogger(__name__)

NS_PER_S = 1_000_000_000

C = TypeVar("C", bound=DetectorBase)


def _finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


@dataclass(frozen=True, slots=True)
class DetectorPoint:
    """One window as seen by a detector.

    ``value`` is the window mean of the tag (NaN for PCA); ``statistic`` the charted
    statistic (NaN while warming up or learning); for PCA ``statistic`` is T² and ``spe``
    the SPE, and an alarm carries the per-variable ``contributions``.
    """

    time_ns: int
    value: float
    statistic: float
    centre: float
    lcl: float
    ucl: float
    alarm: bool = False
    rules: tuple[str, ...] = ()
    phase: str = "monitoring"
    spe: float | None = None
    spe_limit: float | None = None
    contributions: dict[str, Any] | None = None

    @property
    def monitoring(self) -> bool:
        return self.phase == "monitoring" and math.isfinite(self.statistic)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (NaN becomes ``None``)."""
        return {
            "time_ns": self.time_ns,
            "value": _finite(self.value),
            "statistic": _finite(self.statistic),
            "centre": _finite(self.centre),
            "lcl": _finite(self.lcl),
            "ucl": _finite(self.ucl),
            "alarm": self.alarm,
            "rules": list(self.rules),
            "phase": self.phase,
            "spe": _finite(self.spe),
            "spe_limit": _finite(self.spe_limit),
            "contributions": self.contributions,
        }


class WindowMean:
    """Means of samples per tag over consecutive windows of ``sample_ns`` (aligned on the epoch).

    A window is closed (and returned) when a sample of a later window arrives; a sample older
    than the open window is late and dropped (counted in :attr:`late`).

    >>> w = WindowMean(["a", "b"], 1_000_000_000)
    >>> w.add("a", 100, 1.0), w.add("b", 200, 3.0), w.add("a", 300, 2.0)
    ([], [], [])
    >>> w.add("a", 1_000_000_100, 5.0)
    [(0, {'a': 1.5, 'b': 3.0})]
    >>> w.add("b", 900, 1.0), w.late
    ([], 1)
    """

    def __init__(self, tags: list[str], sample_ns: int) -> None:
        self.tags = tags
        self.sample_ns = sample_ns
        self._window: int | None = None
        self._sum: dict[str, float] = {}
        self._n: dict[str, int] = {}
        self.late = 0

    def add(self, tag: str, time_ns: int, value: float) -> list[tuple[int, dict[str, float]]]:
        """Add a sample; return the windows it closed as ``(start_ns, {tag: mean})``."""
        w = time_ns // self.sample_ns
        out: list[tuple[int, dict[str, float]]] = []
        if self._window is None:
            self._window = w
        elif w < self._window:
            self.late += 1
            return out
        elif w > self._window:
            if self._n:
                out.append((self._window * self.sample_ns, {t: self._sum[t] / self._n[t] for t in self._n}))
            self._window, self._sum, self._n = w, {}, {}
        self._sum[tag] = self._sum.get(tag, 0.0) + value
        self._n[tag] = self._n.get(tag, 0) + 1
        return out


@dataclass
class LiveDetector(Generic[C]):
    """Base of the live detectors: windowing, phases, history. See the module docstring.

    A method's subclass provides :meth:`_start_monitoring` (learn or set its limits from the
    reference rows; raise ``ValueError`` if they cannot give limits) and :meth:`_monitor`
    (one window's point); :meth:`_reference_row` and :meth:`_value` when it reads more than
    one tag.
    """

    config: C
    history_size: int = 600
    history: deque[DetectorPoint] = field(init=False)
    phase: str = field(init=False)
    status: str = field(init=False, default="waiting for data")
    #: Learned or given parameters, for the dashboard and the API.
    parameters: dict[str, Any] = field(init=False, default_factory=dict)
    #: The latest alarm points, kept longer than the history (PCA contributions to select).
    alarm_points: deque[DetectorPoint] = field(init=False)

    def __post_init__(self) -> None:
        self.history = deque(maxlen=self.history_size)
        self.alarm_points = deque(maxlen=100)
        self.window = WindowMean(self.config.watched, round(self.config.sample_s * NS_PER_S))
        self._first_ns: int | None = None
        self._ref_start_ns: int | None = None
        self._reference: list[Any] = []
        self.incomplete_rows = 0
        self.phase = "warmup" if self.config.warmup_s > 0 else "reference" if self._needs_reference() else "monitoring"
        if self.phase == "monitoring":
            self._start_monitoring([])

    def stale(self) -> bool:
        """Whether something it was built from changed since (the monitoring service then builds it
        again): a file it reads, such as a golden model built while the twin runs. ``False`` here."""
        return False

    # -- subclass hooks ----------------------------------------------------------------------
    def _needs_reference(self) -> bool:
        return self.config.reference_s is not None

    def _start_monitoring(self, reference: list[Any]) -> None:
        raise NotImplementedError

    def _monitor(self, time_ns: int, values: dict[str, float]) -> DetectorPoint | None:
        raise NotImplementedError

    def _value(self, values: dict[str, float]) -> float:
        """The ``value`` of a point: the watched tag's window mean (NaN with several tags)."""
        return math.nan

    def _reference_row(self, values: dict[str, float]) -> Any:
        return [values[t] for t in self.config.watched]

    def _learning_point(self, time_ns: int, values: dict[str, float]) -> DetectorPoint:
        nan = math.nan
        return DetectorPoint(time_ns, self._value(values), nan, nan, nan, nan, phase=self.phase)

    # -- feeding -----------------------------------------------------------------------------
    def feed(self, tag: str, time_ns: int, value: float) -> list[DetectorPoint]:
        """Add one raw sample (time order); return the points of the windows it closed."""
        out = []
        for start_ns, values in self.window.add(tag, time_ns, value):
            point = self._row(start_ns, values)
            if point is not None:
                self.history.append(point)
                if point.alarm:
                    self.alarm_points.append(point)
                out.append(point)
        return out

    def _row(self, time_ns: int, values: dict[str, float]) -> DetectorPoint | None:
        if any(t not in values for t in self.config.watched):
            self.incomplete_rows += 1  # a tag had no sample in this window
            return None
        cfg = self.config
        if self._first_ns is None:
            self._first_ns = time_ns
        if self.phase == "warmup":
            left = self._first_ns + cfg.warmup_s * NS_PER_S - time_ns
            if left > 0:
                self.status = f"warming up: {left / NS_PER_S:.0f} s left"
                return self._learning_point(time_ns, values)
            self.phase = "reference" if self._needs_reference() else "monitoring"
            if self.phase == "monitoring":
                self._start_monitoring([])
        if self.phase == "reference":
            assert cfg.reference_s is not None
            if self._ref_start_ns is None:
                self._ref_start_ns = time_ns
            if time_ns - self._ref_start_ns < cfg.reference_s * NS_PER_S:
                self._reference.append(self._reference_row(values))
                done = (time_ns - self._ref_start_ns) / NS_PER_S
                self.status = f"learning limits: {done:.0f} / {cfg.reference_s:g} s"
                return self._learning_point(time_ns, values)
            try:
                self._start_monitoring(self._reference)
            except ValueError as exc:  # PcaError is a ValueError too
                # A reference that cannot give limits (constant, too short): learn again.
                self.status = f"reference rejected ({exc}); learning again"
                log.warning("detector %s: %s", cfg.name, self.status)
                self._reference, self._ref_start_ns = [], None
                return self._learning_point(time_ns, values)
            self._reference = []
            self.phase = "monitoring"
        return self._monitor(time_ns, values)
