"""The monitoring service: live detectors, alarms and OEE on what the historian receives.

It runs beside the dashboard (in ``gmp-twin run`` and in the ``dashboard`` role), so it works
the same for the simulated twin and for real kits, and in docker-compose where the bridge is
another process. Every second it reads the new ``process`` samples of the watched tags from
the historian (raw, from a cursor per tag), feeds them in time order to the detectors
(:mod:`analytics.detectors`) and the OEE trackers (:mod:`analytics.monitoring_oee`), and
writes what they find through its own durable outbox, so nothing is lost while the
historian is down:

- ``drift`` points (tags ``site``, ``unit``, ``tag``, ``detector``; fields ``statistic``,
  ``ucl``, ``lcl``, ``centre``, ``alarm``, ``value``), at most one per second per detector;
- alarm ``event`` points (ISA-18.2-lite, :class:`~analytics.alarms.AlarmManager`) with
  the ``detector`` and the ``rules`` that fired; acknowledgements with ``user`` and ``comment``;
- ``oee`` points per machine every ``oee_interval_s``.

One alarm per detector, its id is the detector name. It is raised by the first window that
signals and returns to normal after ``clear_after_s`` seconds (of data time) without a signal.

The API and the dashboard read the service's state (:meth:`MonitoringService.alarms`,
:meth:`~MonitoringService.history`...) and acknowledge through
:meth:`MonitoringService.acknowledge`; these methods are thread-safe (Dash callbacks run in
worker threads).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from analytics.detectors import DetectorPoint, DetectorsFile, LiveDetector, build_detector
from analytics.monitoring_alarms import AlarmNotFoundError, AlarmStateError, DetectorAlarms, iso
from analytics.monitoring_oee import OeeTracker, find_machines
from config_schema.tagmap import TagMap, sources_by_unit
from historian.base import Historian, Point

log = logging.getLogger(__name__)

NS_PER_S = 1_000_000_000
#: Samples later than the slowest tag by more than this are processed anyway (a dead tag
#: must not stall the others).
GRACE_NS = 2 * NS_PER_S
#: Raw samples per query: far above one poll's worth, so the historian never downsamples.
MAX_POINTS = 1_000_000
_BAD_STATUS = 0x80000000


__all__ = ["AlarmNotFoundError", "AlarmStateError", "MonitoringService", "PointQueue"]


class PointQueue(Protocol):
    """What the service needs of its durable outbox (:class:`historian.outbox.Outbox`).

    A protocol, because ``twin`` must not import ``plc_bridge`` (dependencies point one way).
    """

    path: Path

    def put(self, points: Sequence[Point]) -> None: ...

    async def run_writer(self, historian: Historian, stop_event: asyncio.Event) -> None: ...

    async def flush(self, historian: Historian, timeout: float = 10.0) -> int: ...  # noqa: ASYNC109

    def stats(self) -> dict[str, Any]: ...


class MonitoringService:
    """Live detectors, alarms and OEE over the historian (see the module docstring).

    Parameters
    ----------
    historian : Historian
        Read for new samples; written through ``outbox``.
    tagmaps : list[TagMap]
        Units and tags (OEE machines are found in them).
    config : DetectorsFile or None
        The detectors file; ``None`` = no detectors (OEE still runs).
    outbox : PointQueue
        Durable queue of the points this service writes (an ``Outbox``).
    site : str, optional
        ``site`` tag of the points (default: the first tag map's).
    poll_s : float
        Seconds between two historian reads.
    history_size : int
        Points per detector kept for the dashboard.
    start_ns : int, optional
        Read samples newer than this (default: now, the service's start).
    """

    def __init__(
        self,
        historian: Historian,
        tagmaps: list[TagMap],
        config: DetectorsFile | None,
        outbox: PointQueue,
        site: str | None = None,
        poll_s: float = 1.0,
        history_size: int = 600,
        start_ns: int | None = None,
    ) -> None:
        self.historian = historian
        self.tagmaps = tagmaps
        self.config = config or DetectorsFile()
        self.outbox = outbox
        self.site = site if site is not None else (tagmaps[0].site if tagmaps else "")
        self.poll_s = poll_s
        self._lock = threading.RLock()
        self._history_size = history_size
        self.detectors: dict[str, LiveDetector[Any]] = {
            d.name: build_detector(d, history_size) for d in self.config.detectors
        }
        self.alarms_ = DetectorAlarms(self.site, self.config.detectors)
        oee_cfg = {(m.unit, m.machine): m for m in self.config.oee}
        self.oee: dict[tuple[str, str], OeeTracker] = {}
        self._oee_tags: dict[tuple[str, str], list[str]] = {}
        for m in find_machines(tagmaps):
            c = oee_cfg.get((m.unit, m.machine))
            self.oee[(m.unit, m.machine)] = OeeTracker(
                self.site,
                m.unit,
                m.machine,
                ideal_rate_per_min=c.ideal_rate_per_min if c and c.ideal_rate_per_min else m.ideal_rate_per_min,
                small_stop_s=c.small_stop_s if c else 300.0,
                stop_reasons=m.stop_reasons,
            )
            self._oee_tags[(m.unit, m.machine)] = m.tags
        # The source each unit's tag map writes: a twin in shadow beside a kit writes the same
        # unit's tags as `sim` while the kit's are `plc`; read only the monitored one.
        self._sources = sources_by_unit(tagmaps)
        start = time.time_ns() if start_ns is None else start_ns
        self._cursor: dict[tuple[str, str], int] = {}
        self._pending: dict[str, list[tuple[int, str, float]]] = {}
        self._route(start)
        self._drift_last_ns: dict[str, int] = {}
        self._drift_alarm: dict[str, bool] = {}
        self._oee_last_ns: dict[tuple[str, str], int] = {}
        self.last_data_ns = start
        self.polls = 0
        self.samples = 0
        self.points_written = 0
        self.last_error: str | None = None

    def _route(self, start_ns: int) -> None:
        """Which (unit, tag) feeds which detectors and trackers; a new (unit, tag) is read from ``start_ns``."""
        self._routes: dict[tuple[str, str], list[LiveDetector[Any] | OeeTracker]] = {}
        for det in self.detectors.values():
            for tag in det.config.watched:
                self._routes.setdefault((det.config.unit, tag), []).append(det)
        for (unit, machine), tracker in self.oee.items():
            for tag in self._oee_tags[(unit, machine)]:
                self._routes.setdefault((unit, tag), []).append(tracker)
        self._units: dict[str, list[str]] = {}
        for unit, tag in self._routes:
            self._units.setdefault(unit, []).append(tag)
        for key in self._routes:
            self._cursor.setdefault(key, start_ns)
        for unit in self._units:
            self._pending.setdefault(unit, [])

    def refresh_detectors(self) -> list[str]:
        """Build again the detectors whose inputs changed on disk; return their names.

        A golden model built (or rebuilt) with ``gmp-twin golden build`` while the twin runs is
        picked up at the next poll, without a restart: the detector starts from the model, and
        the tags it newly reads are read from the newest data the service has seen.
        """
        changed = [name for name, det in self.detectors.items() if det.stale()]
        if changed:
            with self._lock:
                for name in changed:
                    self.detectors[name] = build_detector(self.detectors[name].config, self._history_size)
                    log.info("monitoring: detector %s built again (%s)", name, self.detectors[name].status)
                self._route(self.last_data_ns)
        return changed

    # -- running -----------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event, phase_s: float = 0.0) -> None:
        """Poll every ``poll_s`` until ``stop``; the outbox is written meanwhile and flushed at the end.

        ``phase_s`` delays the first poll (services sharing one loop then poll in turn).
        """
        log.info("monitoring: %d detector(s), %d OEE machine(s)", len(self.detectors), len(self.oee))
        writer_stop = asyncio.Event()
        try:
            async with asyncio.TaskGroup() as tg:
                writer = tg.create_task(self.outbox.run_writer(self.historian, writer_stop))
                if phase_s > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), phase_s)
                while not stop.is_set():
                    await self.poll_once()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), self.poll_s)
                writer_stop.set()
                await writer
        finally:
            pending = await self.outbox.flush(self.historian, timeout=5.0)
            if pending:
                log.warning("monitoring: %d points stay in %s for the next start", pending, self.outbox.path)

    async def poll_once(self) -> int:
        """Read new samples, run the detectors, queue the points; return the samples processed.

        A historian error is logged and kept in :attr:`last_error`; the cursors do not move,
        so the same samples are read again at the next poll.
        """
        self.refresh_detectors()
        if not self._units:
            return 0
        fetched: dict[str, dict[str, list[tuple[int, float, bool]]]] = {}
        try:
            for unit, tags in self._units.items():
                cursors = [self._cursor[(unit, t)] for t in tags]
                stop_ns = max(time.time_ns(), *cursors) + 86_400 * NS_PER_S  # accelerated sim runs ahead
                result = await self.historian.query_range(
                    unit,
                    tags,
                    min(cursors) + 1,
                    stop_ns,
                    max_points=MAX_POINTS,
                    site=self.site,
                    source=self._sources.get((self.site, unit)),
                )
                fetched[unit] = {
                    tag: [(s.time_ns, s.value, bool(s.status & _BAD_STATUS)) for s in samples]
                    for tag, samples in result.series.items()
                }
        except Exception as exc:
            if self.last_error is None:
                log.warning("monitoring: cannot read the historian (%s: %s); retrying", type(exc).__name__, exc)
            self.last_error = f"{type(exc).__name__}: {exc}"
            return 0
        if self.last_error is not None:
            log.info("monitoring: historian readable again")
        self.last_error = None
        with self._lock:
            self.polls += 1
            n = sum(self._process(unit, series) for unit, series in fetched.items())
            self._write_oee()
        return n

    def watched(self) -> dict[str, list[str]]:
        """Unit -> the tags some detector or OEE tracker reads."""
        return {unit: list(tags) for unit, tags in self._units.items()}

    def feed(self, unit: str, series: dict[str, list[tuple[int, float, bool]]]) -> int:
        """Process samples ``(time_ns, value, bad)`` handed over directly (offline scenario runs).

        The same path as :meth:`poll_once` after its historian read, so an offline run
        raises exactly the alarms the live service would.
        """
        with self._lock:
            return self._process(unit, series) if unit in self._units else 0

    def _process(self, unit: str, series: dict[str, list[tuple[int, float, bool]]]) -> int:
        pending = self._pending[unit]
        for tag, samples in series.items():
            key = (unit, tag)
            if key not in self._cursor:
                continue
            cursor = self._cursor[key]
            if samples and samples[-1][0] > cursor:
                self._cursor[key] = samples[-1][0]
            # A Bad status (sensor failure, lost communication) carries no valid value.
            pending.extend((t, tag, v) for t, v, bad in samples if t > cursor and not bad)
        if not pending:
            return 0
        # Process up to the slowest tag (its next samples may still be on their way), but
        # never more than GRACE_NS behind the fastest one.
        cursors = [self._cursor[(unit, t)] for t in self._units[unit]]
        watermark = max(min(cursors), max(cursors) - GRACE_NS)
        pending.sort()
        ready = [s for s in pending if s[0] <= watermark]
        self._pending[unit] = [s for s in pending if s[0] > watermark]
        points: list[Point] = []
        for time_ns, tag, value in ready:
            if not math.isfinite(value):
                continue
            self.last_data_ns = max(self.last_data_ns, time_ns)
            for target in self._routes[(unit, tag)]:
                if isinstance(target, OeeTracker):
                    target.feed(tag, time_ns, value)
                    continue
                for point in target.feed(tag, time_ns, value):
                    points.extend(self._on_point(target, point))
        self.samples += len(ready)
        self._put(points)
        return len(ready)

    def _put(self, points: Sequence[Point]) -> None:
        if points:
            self.outbox.put(points)
            self.points_written += len(points)

    # -- detectors -> drift points and alarms -------------------------------------------------
    def _on_point(self, det: LiveDetector[Any], point: DetectorPoint) -> list[Point]:
        cfg = det.config
        out: list[Point] = []
        if not point.monitoring:
            return out
        name = cfg.name
        self._drift_alarm[name] = self._drift_alarm.get(name, False) or point.alarm
        last = self._drift_last_ns.get(name)
        if last is None or point.time_ns - last >= NS_PER_S:  # at most one drift point per second
            fields: dict[str, float | int | str] = {
                "statistic": point.statistic,
                "ucl": point.ucl,
                "lcl": point.lcl,
                "centre": point.centre,
                "alarm": int(self._drift_alarm[name]),
            }
            if math.isfinite(point.value):
                fields["value"] = point.value
            if point.spe is not None and point.spe_limit is not None:
                fields.update(spe=point.spe, spe_limit=point.spe_limit)
            tags = {"site": self.site, "unit": cfg.unit, "tag": cfg.label, "detector": name}
            out.append(Point("drift", tags, fields, point.time_ns))
            self._drift_last_ns[name] = point.time_ns
            self._drift_alarm[name] = False
        out.extend(self.alarms_.on_point(cfg, point))
        return out

    # -- OEE ---------------------------------------------------------------------------------
    def _write_oee(self) -> None:
        interval = round(self.config.oee_interval_s * NS_PER_S)
        points = []
        for key, tracker in self.oee.items():
            if tracker.last_ns is None:
                continue
            last = self._oee_last_ns.get(key)
            if last is None or tracker.last_ns - last >= interval:
                point = tracker.point(tracker.last_ns)
                if point is not None:
                    points.append(point)
                    self._oee_last_ns[key] = tracker.last_ns
        self._put(points)

    # -- operator actions --------------------------------------------------------------------
    def acknowledge(self, alarm_id: str, user: str, comment: str = "") -> dict[str, Any]:
        """Acknowledge an alarm; writes the ``alarm_acknowledged`` event; returns the alarm.

        Raises
        ------
        AlarmNotFoundError
            No such alarm.
        AlarmStateError
            The alarm is not waiting for an acknowledgement.
        """
        with self._lock:
            # Data time may run ahead of the wall clock (accelerated simulation): keep order.
            now = max(time.time_ns(), self.last_data_ns + 1)
            self._put(self.alarms_.acknowledge(alarm_id, user, comment, now))
            return self.alarms_.view(alarm_id)

    def shelve(self, alarm_id: str, user: str, duration_s: float, comment: str = "") -> dict[str, Any]:
        """Shelve an alarm for ``duration_s`` seconds; returns the alarm (``AlarmError``: bad duration)."""
        with self._lock:
            now = max(time.time_ns(), self.last_data_ns + 1)
            self._put(self.alarms_.shelve(alarm_id, user, duration_s, comment, now))
            return self.alarms_.view(alarm_id)

    def unshelve(self, alarm_id: str, user: str, comment: str = "") -> dict[str, Any]:
        """Unshelve an alarm; an active one is annunciated again."""
        with self._lock:
            now = max(time.time_ns(), self.last_data_ns + 1)
            self._put(self.alarms_.unshelve(alarm_id, user, comment, now))
            return self.alarms_.view(alarm_id)

    # -- views (thread-safe snapshots, JSON-ready) -----------------------------------------------
    def alarm_view(self, alarm_id: str) -> dict[str, Any]:
        """One alarm: state, priority, rules, detector, times (``KeyError`` if unknown)."""
        with self._lock:
            return self.alarms_.view(alarm_id)

    def alarms(self, recent: int = 50) -> dict[str, Any]:
        """Annunciated alarms (high priority first) and the latest transitions (newest first)."""
        with self._lock:
            # Newest first by time: a long window may close after a shorter one that started later.
            events = sorted(self.alarms_.recent, key=lambda e: e["time_ns"], reverse=True)
            return {"active": self.alarms_.annunciated(), "recent": events[:recent]}

    def detector_infos(self) -> list[dict[str, Any]]:
        """Every detector with its configuration, phase, status and parameters."""
        with self._lock:
            return [
                {
                    "name": name,
                    "unit": d.config.unit,
                    "tag": d.config.label,
                    "tags": d.config.watched,
                    "method": d.config.method,
                    "sample_s": d.config.sample_s,
                    "phase": d.phase,
                    "status": d.status,
                    "parameters": dict(d.parameters),
                    "priority": d.config.priority,
                    "alarm_state": self.alarms_.manager.state(name).value,
                }
                for name, d in self.detectors.items()
            ]

    def history(self, name: str) -> list[DetectorPoint]:
        """The recent points of one detector, oldest first (``KeyError`` if unknown)."""
        with self._lock:
            return list(self.detectors[name].history)

    def alarm_points(self, name: str) -> list[DetectorPoint]:
        """The latest alarm points of one detector (up to 100, longer than the history), oldest first."""
        with self._lock:
            return list(self.detectors[name].alarm_points)

    def drift_latest(self) -> list[dict[str, Any]]:
        """The latest point of every detector, with its phase and status."""
        with self._lock:
            out = []
            for info in self.detector_infos():
                hist = self.detectors[info["name"]].history
                last = hist[-1] if hist else None
                info["latest"] = None if last is None else {**last.to_dict(), "time": iso(last.time_ns)}
                out.append(info)
            return out

    def oee_views(self) -> list[dict[str, Any]]:
        """Every OEE machine's report and state timeline (empty when no unit reports PackML)."""
        with self._lock:
            return [tracker.view() for tracker in self.oee.values()]

    def health(self) -> dict[str, Any]:
        """For ``/api/health``."""
        with self._lock:
            return {
                "ok": self.last_error is None,
                "detectors": len(self.detectors),
                "oee_machines": len(self.oee),
                "active_alarms": len(self.alarms_.manager.annunciated()),
                "polls": self.polls,
                "samples": self.samples,
                "points_written": self.points_written,
                "last_error": self.last_error,
                "outbox": self.outbox.stats(),
            }
