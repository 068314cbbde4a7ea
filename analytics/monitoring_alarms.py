"""Alarms of the live detectors: one ISA-18.2-lite alarm per detector, and its historian events.

The alarm is raised by the first detector point that signals, remembers which rules fired
during the episode, and returns to normal after ``clear_after_s`` seconds (data time) without
a signal. Every transition becomes an ``event`` point: the fields of
:meth:`~analytics.alarms.AlarmEvent.to_point` plus ``detector``, ``method``, ``rules``,
``comment``, ``severity`` and the ``statistic`` that raised it.

Examples
--------
>>> from analytics.detectors import DetectorPoint, parse_detector
>>> cfg = parse_detector({"name": "lvl", "unit": "u", "tag": "L", "method": "ewma", "mean": 0.0, "sigma": 1.0,
...                       "clear_after_s": 5})
>>> alarms = DetectorAlarms("lab", [cfg])
>>> raised = alarms.on_point(cfg, DetectorPoint(10**9, 3.0, 2.0, 0.0, -1.0, 1.0, True, ("limit",)))
>>> [(p.tags["kind"], p.fields["rules"]) for p in raised]
[('alarm_raised', 'limit')]
>>> alarms.on_point(cfg, DetectorPoint(3 * 10**9, 0.0, 0.1, 0.0, -1.0, 1.0))  # quiet for 2 s only
[]
>>> [p.tags["kind"] for p in alarms.on_point(cfg, DetectorPoint(6 * 10**9, 0.0, 0.1, 0.0, -1.0, 1.0))]
['alarm_cleared']
>>> [p.fields["user"] for p in alarms.acknowledge("lvl", "alice", "checked", 7 * 10**9)]
['alice']
>>> alarms.view("lvl")["state"]
'normal'
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from analytics.alarms import AlarmEvent, AlarmManager, AlarmState
from analytics.detectors import DetectorBase, DetectorPoint, rule_text
from analytics.detectors.base import LocalText
from historian.base import Point

NS_PER_S = 1_000_000_000
SEVERITY = {"low": 1, "medium": 2, "high": 3}


class AlarmNotFoundError(KeyError):
    """No alarm with that id (the message lists the known ones)."""

    def __str__(self) -> str:
        return str(self.args[0])


class AlarmStateError(ValueError):
    """The alarm is in a state where the action does not apply (e.g. nothing to acknowledge)."""


def iso(time_ns: int | None) -> str | None:
    """UTC ISO-8601 time with milliseconds, ``None`` stays ``None``.

    >>> iso(1_700_000_000_123_000_000)
    '2023-11-14T22:13:20.123+00:00'
    """
    if time_ns is None:
        return None
    return datetime.fromtimestamp(time_ns / NS_PER_S, UTC).isoformat(timespec="milliseconds")


class _Episode:
    """What the alarm manager does not keep: rules, episode times, acknowledgement comment."""

    def __init__(self) -> None:
        self.rules: list[str] = []
        self.last_signal_ns: int | None = None
        self.raised_ns: int | None = None
        self.cleared_ns: int | None = None
        self.acked_ns: int | None = None
        self.acked_by: str | None = None
        self.comment: str = ""
        self.statistic: float | None = None


class DetectorAlarms:
    """The alarms of a set of detectors (not thread-safe: the service holds the lock).

    Parameters
    ----------
    site : str
        ``site`` tag of the event points.
    configs : sequence of DetectorBase
        One alarm per detector; its id is the detector name.
    recent_size : int
        Transitions kept for :meth:`recent`.
    """

    def __init__(self, site: str, configs: Sequence[DetectorBase], recent_size: int = 200) -> None:
        self.site = site
        self.configs = {c.name: c for c in configs}
        self.manager = AlarmManager(site=site)
        self._episodes: dict[str, _Episode] = {}
        # An event's identity in the historian is its site, unit, kind and time: two detectors of
        # one unit alarming in the same window (a fault on a controlled variable shows in several
        # loops at once) would overwrite each other, so each detector's are stamped its index in ns later.
        self._shift = {c.name: i for i, c in enumerate(configs)}
        for c in configs:
            message = c.description_in("en") or f"{c.method.upper()} drift on {c.label}"
            self.manager.define(c.name, unit=c.unit, tag=c.label, priority=c.priority, message=message)
            self._episodes[c.name] = _Episode()
        self.recent: deque[dict[str, Any]] = deque(maxlen=recent_size)

    def on_point(self, cfg: DetectorBase, point: DetectorPoint) -> list[Point]:
        """Raise or clear the detector's alarm for a new point; return the event points."""
        name = cfg.name
        ep = self._episodes[name]
        alarm = self.manager.alarms[name]
        events: list[AlarmEvent] = []
        if point.alarm:
            ep.last_signal_ns = point.time_ns
            ep.statistic = point.statistic
            if not alarm.active:
                ep.rules = list(point.rules)
                ep.raised_ns, ep.cleared_ns = point.time_ns, None
                ep.acked_ns = ep.acked_by = None
                ep.comment = ""
                rules = ", ".join(f"{r} ({rule_text(r)})" for r in point.rules)
                events = self.manager.raise_(name, point.time_ns, f"{alarm.message}: {rules}")
            else:
                ep.rules.extend(r for r in point.rules if r not in ep.rules)
        elif alarm.active and ep.last_signal_ns is not None:
            if point.time_ns - ep.last_signal_ns >= cfg.clear_after_s * NS_PER_S:
                ep.cleared_ns = point.time_ns
                events = self.manager.clear(name, point.time_ns, f"{alarm.message}: back to normal")
        return self._points(events)

    def acknowledge(self, alarm_id: str, user: str, comment: str, time_ns: int) -> list[Point]:
        """Operator acknowledgement; return its event point.

        Raises
        ------
        AlarmNotFoundError, AlarmStateError
        """
        if alarm_id not in self.manager.alarms:
            known = ", ".join(sorted(self.manager.alarms)) or "none (no detector configured)"
            raise AlarmNotFoundError(f"unknown alarm {alarm_id!r}; alarms: {known}")
        state = self.manager.state(alarm_id)
        if state not in (AlarmState.UNACK_ACTIVE, AlarmState.UNACK_RTN):
            raise AlarmStateError(f"alarm {alarm_id!r} is {state.value}: nothing to acknowledge")
        events = self.manager.acknowledge(alarm_id, time_ns, user)
        ep = self._episodes[alarm_id]
        ep.acked_ns, ep.acked_by, ep.comment = time_ns, user, comment
        return self._points(events, comment)

    def shelve(self, alarm_id: str, user: str, duration_s: float, comment: str, time_ns: int) -> list[Point]:
        """Shelve an alarm for ``duration_s`` (ISA-18.2); ``AlarmError`` for a bad duration."""
        self._known(alarm_id)
        return self._points(self.manager.shelve(alarm_id, time_ns, user, duration_s), comment)

    def unshelve(self, alarm_id: str, user: str, comment: str, time_ns: int) -> list[Point]:
        """Unshelve an alarm (nothing happens when it is not shelved)."""
        self._known(alarm_id)
        return self._points(self.manager.unshelve(alarm_id, time_ns, user), comment)

    def _known(self, alarm_id: str) -> None:
        if alarm_id not in self.manager.alarms:
            known = ", ".join(sorted(self.manager.alarms)) or "none (no detector configured)"
            raise AlarmNotFoundError(f"unknown alarm {alarm_id!r}; alarms: {known}")

    def _points(self, events: list[AlarmEvent], comment: str = "") -> list[Point]:
        out = []
        for ev in events:
            p = ev.to_point(self.site)
            ep = self._episodes[ev.alarm_id]
            extra: dict[str, float | int | str] = {
                "detector": ev.alarm_id,
                "method": self.configs[ev.alarm_id].method,
                "rules": ",".join(ep.rules),
                "comment": comment,
                "severity": SEVERITY[ev.priority.value],
                # The alarm is stamped at its window's start: scoring needs the window's length.
                "sample_s": float(self.configs[ev.alarm_id].sample_s),
            }
            if ep.statistic is not None and math.isfinite(ep.statistic):
                extra["statistic"] = ep.statistic
            out.append(Point(p.measurement, p.tags, {**p.fields, **extra}, p.time_ns + self._shift[ev.alarm_id]))
            self.recent.appendleft(
                {
                    "time": iso(ev.time_ns),
                    "time_ns": ev.time_ns,
                    "alarm_id": ev.alarm_id,
                    "detector": ev.alarm_id,
                    "unit": ev.unit,
                    "tag": ev.tag,
                    "kind": ev.kind.value,
                    "priority": ev.priority.value,
                    "state": ev.state.value,
                    "active": ev.active,
                    "message": ev.message,
                    "message_key": f"alarm.{ev.kind.value}",
                    "message_params": self._message_params(ev.alarm_id),
                    "user": ev.user,
                    "rules": list(ep.rules),
                    "comment": comment,
                }
            )
        return out

    def _message_params(self, alarm_id: str) -> dict[str, str]:
        """What a translated message is made of: the detector, its method and tag, the rules that fired.

        ``description`` is the configured (English or untranslated) text, empty when the message is
        the default "<METHOD> drift on <tag>"; ``description_fr`` and ``description_en`` are there
        when the detectors file gives the text in both languages.
        """
        cfg = self.configs[alarm_id]
        params = {
            "detector": alarm_id,
            "method": cfg.method.upper(),
            "label": cfg.label,
            "description": cfg.description_in("en"),
            "rules": ",".join(self._episodes[alarm_id].rules),
        }
        if isinstance(cfg.description, LocalText):
            params.update(description_fr=cfg.description.fr, description_en=cfg.description.en)
        return params

    def view(self, alarm_id: str) -> dict[str, Any]:
        """One alarm: state, priority, rules (with their meaning), detector, times."""
        a = self.manager.alarms[alarm_id]
        ep = self._episodes[alarm_id]
        return {
            "alarm_id": a.alarm_id,
            "detector": alarm_id,
            "unit": a.unit,
            "tag": a.tag,
            "method": self.configs[alarm_id].method,
            "priority": a.priority.value,
            "state": a.state.value,
            "active": a.active,
            "message": a.message,
            # The dashboard shows the message in the reader's language from these (dashboard.plant_texts).
            "message_key": "alarm.definition",
            "message_params": self._message_params(alarm_id),
            "rules": list(ep.rules),
            "rule_texts": [rule_text(r) for r in ep.rules],
            "raised_at": iso(ep.raised_ns),
            "raised_ns": ep.raised_ns,
            "cleared_at": iso(ep.cleared_ns),
            "cleared_ns": ep.cleared_ns,
            "acknowledged_at": iso(ep.acked_ns),
            "acknowledged_by": ep.acked_by,
            "comment": ep.comment,
            "last_change_at": iso(a.last_change_ns),
        }

    def annunciated(self) -> list[dict[str, Any]]:
        """Alarms an operator must see (active or unacknowledged), high priority first."""
        return [self.view(a.alarm_id) for a in self.manager.annunciated()]
