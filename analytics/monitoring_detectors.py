"""Live detectors: one configured chart (or PCA model) fed with window means of live samples.

A :class:`LiveDetector` takes raw samples of its tag(s) in time order (:meth:`LiveDetector.feed`),
averages them over windows of ``sample_s`` seconds and passes each window mean to the chart of
:mod:`analytics.spc` or to a :class:`~analytics.pca.PcaMonitor`. It goes through up
to three phases:

``warmup``
    the first ``warmup_s`` seconds are ignored (e.g. a heater warming up after start);
``reference``
    the next ``reference_s`` seconds are collected and the limits learned from them (Phase I);
``monitoring``
    every window gives a :class:`DetectorPoint` with the statistic, its limits and the alarm.

The last points are kept in a ring buffer (:attr:`LiveDetector.history`) for the dashboard.

Examples
--------
>>> from analytics.detectors import DetectorConfig
>>> cfg = DetectorConfig(name="lvl", unit="u", tag="L", method="shewhart", mean=15.0, sigma=0.1,
...                      rules="we", sample_s=1.0)
>>> det = build_detector(cfg)
>>> points = []
>>> for i in range(12):
...     points += det.feed("L", i * 1_000_000_000, 15.0 if i < 8 else 15.5)
>>> [(p.time_ns // 1_000_000_000, p.rules) for p in points if p.alarm]
[(8, ('WE1',)), (9, ('WE1',)), (10, ('WE1',))]
"""

from __future__ import annotations

import logging
import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analytics.detectors import DetectorConfig
from analytics.pca import PcaError, PcaMonitor
from analytics.spc import Chart, make_chart
from analytics.spc_limits import estimate_individuals, from_specification
from analytics.spc_rules import RULE_DESCRIPTIONS

log = logging.getLogger(__name__)

NS_PER_S = 1_000_000_000

#: Extra rule ids of the PCA detector, described for the dashboard.
PCA_RULES = {
    "T2": "Hotelling T² above its limit (unusual combination inside the model)",
    "SPE": "SPE (Q) above its limit (the correlation between the tags broke)",
    "combined": "combined index above its limit",
}


def rule_text(rule: str) -> str:
    """Plain-language meaning of a rule id.

    >>> rule_text("WE2"), rule_text("SPE")[:3]
    ('2 of 3 consecutive points beyond 2σ, same side', 'SPE')
    """
    return RULE_DESCRIPTIONS.get(rule) or PCA_RULES.get(rule, rule)


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
class LiveDetector:
    """Base of the live detectors: windowing, phases, history. See the module docstring."""

    config: DetectorConfig
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

    # -- subclass hooks ----------------------------------------------------------------------
    def _needs_reference(self) -> bool:
        return self.config.reference_s is not None

    def _start_monitoring(self, reference: list[Any]) -> None:
        raise NotImplementedError

    def _monitor(self, time_ns: int, values: dict[str, float]) -> DetectorPoint | None:
        raise NotImplementedError

    def _learning_point(self, time_ns: int, values: dict[str, float]) -> DetectorPoint:
        value = values.get(self.config.watched[0], math.nan) if self.config.tag else math.nan
        nan = math.nan
        return DetectorPoint(time_ns, value, nan, nan, nan, nan, phase=self.phase)

    def _reference_row(self, values: dict[str, float]) -> Any:
        return values[self.config.watched[0]]

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
            except (ValueError, PcaError) as exc:
                # A reference that cannot give limits (constant, too short): learn again.
                self.status = f"reference rejected ({exc}); learning again"
                log.warning("detector %s: %s", cfg.name, self.status)
                self._reference, self._ref_start_ns = [], None
                return self._learning_point(time_ns, values)
            self._reference = []
            self.phase = "monitoring"
        return self._monitor(time_ns, values)


class SpcDetector(LiveDetector):
    """Shewhart individuals, EWMA or CUSUM chart on one tag's window means."""

    chart: Chart | None = None

    def _start_monitoring(self, reference: list[Any]) -> None:
        cfg = self.config
        mean, sigma, source = cfg.mean, cfg.sigma, "known"
        if cfg.lsl is not None and cfg.usl is not None:
            p = from_specification(cfg.lsl, cfg.usl, cfg.cp)
            mean, sigma, source = p.mean, p.sigma, "specification"
        elif cfg.reference_s is not None:
            est = estimate_individuals(np.asarray(reference, dtype=float))
            mean = est.mean if mean is None else mean
            sigma = est.sigma if sigma is None else sigma
            source = f"reference ({len(reference)} windows)"
        assert mean is not None and sigma is not None
        self.chart = make_chart(
            "shewhart" if cfg.method == "shewhart" else cfg.method,
            mean=mean,
            sigma=sigma,
            rules=cfg.rules if cfg.rules is not None else "none",
            L=cfg.L,
            lambda_=cfg.lambda_,
            k=cfg.k,
            h=cfg.h,
            headstart=cfg.headstart,
            arl0=cfg.arl0,
            reset_on_alarm=cfg.reset_on_alarm,
        )
        self.parameters = {"mean": mean, "sigma": sigma, "source": source, **self._design()}
        self.status = "monitoring"

    def _design(self) -> dict[str, Any]:
        chart = self.chart
        out: dict[str, Any] = {}
        for key in ("L", "lambda_", "k", "h"):
            if hasattr(chart, key):
                out[key.rstrip("_")] = getattr(chart, key)
        if self.config.method == "shewhart":
            rules = self.config.rules
            out["rules"] = rules if isinstance(rules, str) else sorted(rules or [])
        return out

    def _monitor(self, time_ns: int, values: dict[str, float]) -> DetectorPoint:
        chart = self.chart
        assert chart is not None
        x = values[self.config.watched[0]]
        chart.update(x)
        return DetectorPoint(
            time_ns, x, chart.statistic, chart.centre, chart.lcl, chart.ucl, chart.drift_detected, chart.fired_rules
        )


class PcaDetector(LiveDetector):
    """PCA (T² and SPE) over several tags of one unit; the model is fitted on the reference."""

    monitor: PcaMonitor | None = None

    def _reference_row(self, values: dict[str, float]) -> Any:
        return [values[t] for t in self.config.watched]

    def _start_monitoring(self, reference: list[Any]) -> None:
        cfg = self.config
        names = cfg.watched
        self.monitor = PcaMonitor(
            n_components=cfg.n_components,
            variance=cfg.variance,
            alpha=cfg.alpha,
            limits=cfg.limits,
            lags=cfg.lags,
            names=names,
            drop_constant=True,
            top_k=len(names),
            signal=cfg.signal,
        ).fit(np.asarray(reference, dtype=float))
        m = self.monitor
        self.parameters = {
            "components": m.n_components_,
            "explained_variance": [round(float(v), 4) for v in m.explained_variance_ratio_],
            "t2_limit": m.t2_limit_,
            "spe_limit": m.spe_limit_,
            "alpha": cfg.alpha,
            "limits": cfg.limits,
            "rows": len(reference),
            "notes": list(m.notes_),
        }
        self.status = "monitoring"

    def _monitor(self, time_ns: int, values: dict[str, float]) -> DetectorPoint | None:
        m = self.monitor
        assert m is not None
        m.update([values[t] for t in self.config.watched])
        if m.t2 is None or m.spe is None:
            return None  # dynamic PCA: not enough rows yet
        alarm = m.drift_detected
        rules: tuple[str, ...] = ()
        contributions = None
        if alarm and m.last_alarm is not None:
            a = m.last_alarm
            fired = {"T2": a.t2_alarm, "SPE": a.spe_alarm, "combined": a.combined_alarm}
            wanted = {"either": ("T2", "SPE"), "t2": ("T2",), "spe": ("SPE",), "combined": ("combined",)}
            rules = tuple(r for r in wanted[self.config.signal] if fired[r])
            contributions = {
                "t2": [c.to_dict() for c in a.t2_top],
                "spe": [c.to_dict() for c in a.spe_top],
            }
        return DetectorPoint(
            time_ns,
            math.nan,
            m.t2,
            0.0,
            0.0,
            m.t2_limit_,
            alarm,
            rules,
            spe=m.spe,
            spe_limit=m.spe_limit_,
            contributions=contributions,
        )


def build_detector(config: DetectorConfig, history_size: int = 600) -> LiveDetector:
    """The live detector for one configured entry."""
    cls = PcaDetector if config.method == "pca" else SpcDetector
    return cls(config, history_size)
