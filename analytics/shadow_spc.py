"""Residual SPC of a twin in shadow: one control chart and one alarm per tag, fed as data arrive.

Per tag, the residuals (:func:`analytics.shadow.residuals`) go into windows of ``window_s``
aligned on the epoch; each closed window gives one chart point, its mean residual. Three phases,
by the window's start time relative to the shadow's start:

1. **settle** (``settle_s``): the twin catches up with the plant (it starts from its own initial
   state); these windows are not used.
2. **reference** (``reference_s``, extended until it holds ``min_windows`` windows): the plant is
   assumed healthy; the mean and sigma of these window means (:func:`analytics.shadow.reference_of`)
   become the chart's centre and sigma, written as a ``shadow_reference`` event.
3. **chart**: each window mean goes through an :mod:`analytics.spc` chart (EWMA by default,
   designed for an in-control ARL of ``arl0`` windows), without restart after an alarm, so a
   persistent change keeps signalling.

**Hold** (state-based suppression, ISA-18.2): after an operator's input change (a setpoint, a
mode), the plant and the twin go through the same transient but not at exactly the same instant
(the plant's value is stamped when it is published, up to one publishing period late), so for
``hold_s`` after it the windows are neither charted nor used as reference (:meth:`ShadowMonitor.hold`).

Alarm rule: the tag's alarm (ISA-18.2, :class:`analytics.alarms.AlarmManager`, id
``shadow:<unit>/<tag>``) is raised by the first signalling window and cleared after
``clear_after_s`` without a signal. Its transitions are ``alarm_raised`` / ``alarm_cleared``
events with ``method = "shadow"``.

Examples
--------
>>> cfg = ShadowSpcConfig(window_s=1, settle_s=0, reference_s=20, min_windows=10, method="shewhart",
...                       clear_after_s=3)
>>> mon = ShadowMonitor("lab", "mps-pa", {"T": 0.01}, start_ns=0, config=cfg)
>>> noise = [0.1, -0.1] * 10
>>> events = mon.add("T", [i * NS_PER_S for i in range(20)], noise)   # the reference
>>> events += mon.add("T", [i * NS_PER_S for i in range(20, 26)], [0.0, 0.9, 0.8, 0.0, 0.0, 0.0])
>>> events += mon.flush(26 * NS_PER_S)
>>> [(p.tags["kind"], p.time_ns // NS_PER_S) for p in events]
[('shadow_reference', 20), ('alarm_raised', 21), ('alarm_cleared', 25)]
>>> ref = mon.charts["T"].reference
>>> round(ref.mean, 6), round(ref.sigma, 4), ref.n  # sigma: the upper 95 % bound of 0.1026
(0.0, 0.1406, 20)
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from analytics.alarms import AlarmEvent, AlarmManager
from analytics.shadow import NS_PER_S, ResidualReference, Windows, reference_of
from analytics.spc import Chart, make_chart
from analytics.spc_rules import RuleSpec
from historian.base import Point

__all__ = ["ChartPoint", "ShadowMonitor", "ShadowSpcConfig", "TagChart", "alarm_id"]

Method = Literal["ewma", "shewhart", "cusum"]

#: In-control ARL (windows) a tag's chart is designed for when L / h are not given: 20,000
#: windows of 10 s is 2.3 days per tag, so a unit of 8 charted tags sees a false alarm about
#: every 7 h. A single chart's classic 370 would give one every 8 min on 8 tags.
DEFAULT_ARL0 = 20_000.0
Phase = Literal["settle", "reference", "chart", "hold"]


def alarm_id(unit: str, tag: str) -> str:
    """The alarm id of a tag's shadow residual.

    >>> alarm_id("mps-pa", "B101_level")
    'shadow:mps-pa/B101_level'
    """
    return f"shadow:{unit}/{tag}"


@dataclass(frozen=True)
class ShadowSpcConfig:
    """How the residuals are charted (every field has a default that suits the MPS PA station).

    Parameters
    ----------
    window_s
        Width of one chart point's window (s): residuals are averaged in it.
    settle_s
        Seconds after the shadow's start whose residuals are not used (the twin catching up).
    reference_s
        Seconds after the settling that give the in-control mean and sigma.
    min_windows
        The reference needs at least this many windows; it is extended until it has them.
    method
        ``"ewma"`` (default), ``"shewhart"`` (individuals) or ``"cusum"``.
    lambda_, L, k, h, arl0, rules
        The chart's parameters (:func:`analytics.spc.make_chart`); ``L`` / ``h`` default to a
        design for an in-control ARL of ``arl0`` windows (:data:`DEFAULT_ARL0`; Shewhart: 3 σ
        unless ``L`` is given). ``rules`` for Shewhart.
    clear_after_s
        The alarm clears after this long without a signal.
    hold_s
        Windows overlapping this long after an input change are not charted (see above).
    priority
        Alarm priority: ``low``, ``medium`` or ``high``.

    Examples
    --------
    >>> ShadowSpcConfig(window_s=0)
    Traceback (most recent call last):
    ...
    ValueError: shadow window_s must be > 0 (seconds per chart point), got 0
    """

    window_s: float = 10.0
    settle_s: float = 300.0
    reference_s: float = 1800.0
    min_windows: int = 10
    method: Method = "ewma"
    lambda_: float = 0.2
    L: float | None = None
    k: float = 0.5
    h: float | None = None
    arl0: float = DEFAULT_ARL0
    rules: RuleSpec = "none"
    clear_after_s: float = 120.0
    hold_s: float = 60.0
    priority: str = "medium"

    def __post_init__(self) -> None:
        for name, low, what in (
            ("window_s", 0.0, "seconds per chart point"),
            ("reference_s", 0.0, "seconds of in-control residuals"),
        ):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > low):
                raise ValueError(f"shadow {name} must be > {low:g} ({what}), got {value!r}")
        for name in ("settle_s", "clear_after_s", "hold_s"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"shadow {name} must be a number of seconds >= 0, got {value!r}")
        if self.min_windows < 2:
            raise ValueError(f"shadow min_windows must be at least 2 (sigma needs two windows), got {self.min_windows}")
        if self.method not in ("ewma", "shewhart", "cusum"):
            raise ValueError(f"shadow method must be ewma, shewhart or cusum, got {self.method!r}")
        if self.priority not in ("low", "medium", "high"):
            raise ValueError(f"shadow priority must be low, medium or high, got {self.priority!r}")
        # The chart's own checks (lambda, L, h, rules) run now rather than after the reference.
        make_chart(self.method, mean=0.0, sigma=1.0, **self.chart_arguments())

    def chart_arguments(self) -> dict[str, Any]:
        """Keyword arguments of :func:`analytics.spc.make_chart` (besides mean and sigma)."""
        return {
            "rules": self.rules,
            "L": self.L,
            "lambda_": self.lambda_,
            "k": self.k,
            "h": self.h,
            "arl0": self.arl0,
            "reset_on_alarm": False,
        }

    def describe(self) -> dict[str, Any]:
        """The settings as JSON-able data (reports, the reference event)."""
        return {
            "window_s": self.window_s,
            "settle_s": self.settle_s,
            "reference_s": self.reference_s,
            "method": self.method,
            "lambda": self.lambda_,
            "L": self.L,
            "k": self.k,
            "h": self.h,
            "arl0": self.arl0,
            "clear_after_s": self.clear_after_s,
            "hold_s": self.hold_s,
        }


@dataclass(frozen=True)
class ChartPoint:
    """One closed window of one tag: its mean residual and, once charted, the chart's verdict."""

    tag: str
    time_ns: int
    residual: float
    count: int
    phase: Phase
    statistic: float = math.nan
    centre: float = math.nan
    lcl: float = math.nan
    ucl: float = math.nan
    alarm: bool = False
    rules: tuple[str, ...] = ()
    #: The first charted window: its tag's reference was set just before it.
    first: bool = False


@dataclass
class TagChart:
    """The windows, reference and chart of one tag (see the module docstring for the phases)."""

    tag: str
    start_ns: int
    config: ShadowSpcConfig
    sigma_floor: float
    reference: ResidualReference | None = None
    chart: Chart | None = None
    _window: int | None = None
    _sum: float = 0.0
    _count: int = 0
    _ref_times: list[int] = field(default_factory=list)
    _ref_means: list[float] = field(default_factory=list)
    _holds: list[tuple[int, int]] = field(default_factory=list)

    def hold(self, start_ns: int, stop_ns: int) -> None:
        """Do not chart the windows that overlap ``[start_ns, stop_ns)``."""
        if self._holds and start_ns <= self._holds[-1][1]:
            first, last = self._holds[-1]
            self._holds[-1] = (min(first, start_ns), max(last, stop_ns))
        else:
            self._holds.append((start_ns, stop_ns))

    def _held(self, t: int) -> bool:
        end = t + self.width_ns
        while self._holds and self._holds[0][1] <= t:  # over: windows close in time order
            self._holds.pop(0)
        return any(start < end and t < stop for start, stop in self._holds)

    @property
    def width_ns(self) -> int:
        return max(1, round(self.config.window_s * NS_PER_S))

    def add(self, time_ns: int, residual: float) -> list[ChartPoint]:
        """Add one residual (a NaN is ignored); return the windows it closed."""
        out: list[ChartPoint] = []
        if not math.isfinite(residual):
            return out
        window = time_ns - time_ns % self.width_ns
        if self._window is not None and window != self._window:
            if window < self._window:  # late data for a closed window: too late to chart
                return out
            out.extend(self._close())
        if self._window is None:
            self._window = window
        self._sum += residual
        self._count += 1
        return out

    def flush(self, until_ns: int) -> list[ChartPoint]:
        """Close the open window if it ended by ``until_ns`` (no more data can fall in it)."""
        if self._window is not None and self._window + self.width_ns <= until_ns:
            return self._close()
        return []

    def _close(self) -> list[ChartPoint]:
        assert self._window is not None
        t, mean, n = self._window, self._sum / self._count, self._count
        self._window, self._sum, self._count = None, 0.0, 0
        cfg = self.config
        settle_end = self.start_ns + round(cfg.settle_s * NS_PER_S)
        if t < settle_end:
            return [ChartPoint(self.tag, t, mean, n, "settle")]
        if self._held(t):
            return [ChartPoint(self.tag, t, mean, n, "hold")]
        if self.chart is None:
            ref_end = settle_end + round(cfg.reference_s * NS_PER_S)
            if t < ref_end or len(self._ref_means) < cfg.min_windows:
                self._ref_times.append(t)
                self._ref_means.append(mean)
                return [ChartPoint(self.tag, t, mean, n, "reference")]
            self._start_chart(settle_end, t)
        assert self.chart is not None
        chart = self.chart.update(mean)
        first = chart.n_updates + chart.n_skipped == 1
        return [
            ChartPoint(
                self.tag, t, mean, n, "chart", chart.statistic, chart.centre, chart.lcl, chart.ucl,
                chart.drift_detected, chart.fired_rules, first,
            )
        ]  # fmt: skip

    def _start_chart(self, start_ns: int, stop_ns: int) -> None:
        windows = Windows(
            np.asarray(self._ref_times, np.int64),
            np.asarray(self._ref_means, np.float64),
            np.ones(len(self._ref_times), np.int64),
        )
        ref = reference_of(self.tag, windows, start_ns, stop_ns, self.sigma_floor, self.config.min_windows)
        self.reference = ref
        self.chart = make_chart(self.config.method, mean=ref.mean, sigma=ref.sigma, **self.config.chart_arguments())
        self._ref_times, self._ref_means = [], []


class ShadowMonitor:
    """The residual charts and alarms of one unit's tags; returns the event points to write.

    Parameters
    ----------
    site, unit : str
        Where the events belong.
    tags : mapping of str to float
        The tags to chart and each one's sigma floor (e.g. 0.1 % of its range), in its unit.
    start_ns : int
        When the shadow started (the settling counts from it).
    config : ShadowSpcConfig
    run_id : str
        Written in every event (which shadow run raised it).
    recent : int
        Chart points kept per tag for :attr:`recent` (a live view).
    """

    def __init__(
        self,
        site: str,
        unit: str,
        tags: Mapping[str, float],
        start_ns: int,
        config: ShadowSpcConfig | None = None,
        run_id: str = "",
        recent: int = 2000,
    ) -> None:
        self.site = site
        self.unit = unit
        self.config = config or ShadowSpcConfig()
        self.run_id = run_id
        self.charts = {tag: TagChart(tag, start_ns, self.config, floor) for tag, floor in tags.items()}
        self.alarms = AlarmManager(site=site)
        self._last_signal: dict[str, int] = {}
        self._index = {tag: i for i, tag in enumerate(tags)}
        for tag in tags:
            self.alarms.define(
                alarm_id(unit, tag),
                unit=unit,
                tag=tag,
                priority=self.config.priority,
                message=f"Shadow residual of {tag} (plant - twin) out of its control limits",
            )
        self.recent: dict[str, deque[ChartPoint]] = {tag: deque(maxlen=recent) for tag in tags}

    def add(
        self, tag: str, times: Sequence[int] | npt.NDArray[Any], residuals: Sequence[float] | npt.NDArray[Any]
    ) -> list[Point]:
        """Residuals of one tag, oldest first; return the events of the windows they closed."""
        chart = self.charts[tag]
        points: list[ChartPoint] = []
        for t, r in zip(np.asarray(times, np.int64).tolist(), np.asarray(residuals, np.float64).tolist(), strict=True):
            points.extend(chart.add(int(t), float(r)))
        return self._on_points(points)

    def hold(self, time_ns: int) -> None:
        """An input changed at ``time_ns``: hold every tag's chart for ``hold_s`` from then."""
        stop = time_ns + round(self.config.hold_s * NS_PER_S)
        for chart in self.charts.values():
            chart.hold(time_ns, stop)

    def flush(self, until_ns: int) -> list[Point]:
        """Close every window that ended by ``until_ns``; return their events."""
        points = [p for chart in self.charts.values() for p in chart.flush(until_ns)]
        return self._on_points(points)

    def _on_points(self, points: list[ChartPoint]) -> list[Point]:
        out: list[Point] = []
        for p in points:
            self.recent[p.tag].append(p)
            # An event's identity is its site, unit, kind and time: the same event of two tags in
            # one window would overwrite each other, so each tag's are stamped its index in ns later.
            shift = self._index[p.tag]
            out.extend(Point(e.measurement, e.tags, e.fields, e.time_ns + shift) for e in self._on_point(p))
        return out

    def _on_point(self, p: ChartPoint) -> list[Point]:
        if p.phase != "chart":
            return []
        out: list[Point] = []
        chart = self.charts[p.tag]
        if p.first:
            out.append(self._reference_event(chart, p.time_ns))
        ident = alarm_id(self.unit, p.tag)
        events: list[AlarmEvent] = []
        if p.alarm:
            self._last_signal[p.tag] = p.time_ns
            rules = ",".join(p.rules)
            events = self.alarms.raise_(ident, p.time_ns, f"Shadow residual of {p.tag} out of control ({rules})")
        elif self.alarms.alarms[ident].active:
            if p.time_ns - self._last_signal[p.tag] >= self.config.clear_after_s * NS_PER_S:
                events = self.alarms.clear(ident, p.time_ns, f"Shadow residual of {p.tag} back to normal")
        self.alarms.drain()  # the events are returned as points below; the manager need not keep them
        for ev in events:
            base = ev.to_point(self.site)
            fields: dict[str, Any] = {
                **base.fields,
                "detector": ident,
                "method": "shadow",
                "chart": self.config.method,
                "rules": ",".join(p.rules),
                "residual": p.residual,
                "run_id": self.run_id,
            }
            if math.isfinite(p.statistic):
                fields["statistic"] = p.statistic
            out.append(Point("event", base.tags, fields, base.time_ns))
        return out

    def _reference_event(self, chart: TagChart, time_ns: int) -> Point:
        assert chart.reference is not None and chart.chart is not None
        fields: dict[str, Any] = {
            **chart.reference.to_fields(),
            "alarm_id": alarm_id(self.unit, chart.tag),
            "run_id": self.run_id,
            "chart_lcl": chart.chart.lcl,
            "chart_ucl": chart.chart.ucl,
        }
        fields.update({k: v for k, v in self.config.describe().items() if v is not None})
        return Point("event", {"site": self.site, "unit": self.unit, "kind": "shadow_reference"}, fields, time_ns)

    def state(self) -> dict[str, dict[str, Any]]:
        """Per tag: phase, reference, latest chart point and alarm state (JSON-able)."""
        out: dict[str, dict[str, Any]] = {}
        for tag, chart in self.charts.items():
            last = self.recent[tag][-1] if self.recent[tag] else None
            alarm = self.alarms.alarms[alarm_id(self.unit, tag)]
            out[tag] = {
                "phase": last.phase if last else "settle",
                "reference": None if chart.reference is None else chart.reference.to_fields(),
                "residual": None if last is None else last.residual,
                "alarm": alarm.active,
                "state": alarm.state.value,
            }
        return out
