"""The plant's alarms as OPC UA Alarms & Conditions (OPC 10000-9), acknowledged like on the dashboard.

The alarms themselves live in the monitoring service (``analytics``, which ``twin`` must not
import): it writes every transition as a historian ``event`` point of kind ``alarm_<what>``.
:class:`AlarmEventTee` sits in front of its outbox and hands those points to
:meth:`PlantAlarms.notify` (thread-safe: the dashboard acknowledges from worker threads).

On the server each alarm is a condition object ``Objects/Alarms/<alarm id>`` (node id
``ns=<urn:gmp-twin:plant>;s=Alarms.<alarm id>``, type ``AlarmConditionType``), and every
transition an ``AlarmConditionType`` event emitted by the ``Server`` object (where UaExpert,
Ignition and node-opcua subscribe) with ``ConditionId``, ``ConditionName`` (the alarm id),
``SourceName`` (``unit.tag``), ``SourceNode`` (the tag's variable), ``Severity`` (low 300,
medium 500, high 800), ``Message``, ``ActiveState``, ``AckedState``, ``Retain`` (active or
unacknowledged), ``SuppressedOrShelved``, ``ClientUserId`` and ``Comment``. ``ConditionRefresh``
replays the retained conditions.

The standard ``Acknowledge(EventId, Comment)`` method (``AcknowledgeableConditionType``, called
on a condition) goes the dashboard's way: as the session's user (a student or above; anonymous
and one-time-password sessions are refused, audited ``access.denied``), inside
:func:`audit.audited` (action ``alarm.ack``, object ``alarm:<id>``, the comment as reason),
through the callback given by the composition (``MonitoringService.acknowledge``). Status codes:
``BadEventIdUnknown`` (not an event of that condition), ``BadConditionBranchAlreadyAcked``
(nothing to acknowledge), ``BadNodeIdUnknown`` (not one of the alarms), ``BadUserAccessDenied``,
``BadResourceUnavailable`` (the audit trail cannot record it).

What asyncua 2.1 does not do, so neither do we: condition *state variables* in the address
space are not kept up to date (clients read the state from the events, as A&C clients do);
``Confirm``, ``AddComment``, ``Enable``/``Disable`` and the shelving methods are not offered
(shelve on the dashboard); there are no condition branches.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from asyncua import Server, ua

from audit import AuditTrail, AuditUnavailable, audited
from historian.base import Point
from twin.opcua_users import caller, deny, refusal

log = logging.getLogger(__name__)

ACKNOWLEDGE = ua.NodeId(ua.ObjectIds.AcknowledgeableConditionType_Acknowledge)
SEVERITY = {"low": 300, "medium": 500, "high": 800}
FOLDER = "Alarms"

#: Acknowledges ``alarm_id`` as ``user`` with ``comment``; raises KeyError (unknown alarm),
#: ValueError (nothing to acknowledge), PermissionError. ``MonitoringService.acknowledge`` is one.
Acknowledge = Callable[[str, str, str], object]


@dataclass(frozen=True, slots=True)
class AlarmTransition:
    """One alarm transition, as the monitoring service writes it to the historian."""

    time_ns: int
    alarm_id: str
    unit: str
    tag: str
    kind: str  # raised, cleared, acknowledged, shelved, unshelved, shelve_expired
    priority: str
    message: str
    state: str  # normal, unack_active, ack_active, unack_rtn, shelved
    active: bool
    shelved: bool
    user: str = ""
    comment: str = ""

    @classmethod
    def from_point(cls, point: Point) -> AlarmTransition | None:
        """The transition an ``event`` point of kind ``alarm_*`` records; None for any other point.

        >>> p = Point("event", {"site": "lab", "unit": "u", "kind": "alarm_raised"},
        ...           {"alarm_id": "lvl", "tag": "L", "priority": "high", "message": "drift",
        ...            "user": "", "state": "unack_active", "active": True, "shelved": False}, 5)
        >>> AlarmTransition.from_point(p).kind
        'raised'
        """
        kind = point.tags.get("kind", "")
        if point.measurement != "event" or not kind.startswith("alarm_") or "alarm_id" not in point.fields:
            return None
        f = point.fields
        return cls(
            time_ns=point.time_ns,
            alarm_id=str(f["alarm_id"]),
            unit=point.tags.get("unit", ""),
            tag=str(f.get("tag", "")),
            kind=kind.removeprefix("alarm_"),
            priority=str(f.get("priority", "medium")),
            message=str(f.get("message", "")),
            state=str(f.get("state", "")),
            active=bool(f.get("active", False)),
            shelved=bool(f.get("shelved", False)),
            user=str(f.get("user", "")),
            comment=str(f.get("comment", "")),
        )

    @property
    def acked(self) -> bool:
        return self.state not in ("unack_active", "unack_rtn")


class PlantAlarms:
    """Alarm transitions in, A&C events out, Acknowledge back to ``acknowledge``.

    Parameters
    ----------
    acknowledge : Acknowledge, optional
        Where an OPC UA Acknowledge goes; None: ``BadNotSupported``.
    audit : AuditTrail, optional
        Where acknowledgements (and refusals) are recorded.
    """

    def __init__(self, acknowledge: Acknowledge | None = None, audit: AuditTrail | None = None) -> None:
        self.acknowledge = acknowledge
        self.audit = audit
        self._server: Server | None = None
        self._ns = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sources: Callable[[str, str], ua.NodeId | None] = lambda unit, tag: None
        self._folder: Any = None
        self._conditions: dict[str, tuple[ua.NodeId, Any]] = {}  # alarm id -> (condition id, generator)
        self._by_node: dict[ua.NodeId, str] = {}
        self._event_ids: dict[str, deque[bytes]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._lock = asyncio.Lock()
        #: Events emitted (for health and tests).
        self.emitted = 0

    async def attach(
        self,
        server: Server,
        ns: int,
        ruleset: Any = None,
        sources: Callable[[str, str], ua.NodeId | None] | None = None,
    ) -> None:
        """Bind to a running-or-starting asyncua server: folder, Acknowledge, ConditionRefresh.

        ``ruleset`` (:class:`twin.opcua_users.TwinRuleset`) learns that Acknowledge needs a
        student; ``sources`` maps (unit, tag) to the variable an alarm is about.
        """
        self._server, self._ns, self._loop = server, ns, asyncio.get_running_loop()
        if sources is not None:
            self._sources = sources
        self._folder = await server.nodes.objects.add_folder(ua.NodeId(FOLDER, ns), ua.QualifiedName(FOLDER, ns))
        iserver = server.iserver
        iserver.isession.add_method_callback(ACKNOWLEDGE, self._acknowledge)
        if ruleset is not None:
            ruleset.methods[ACKNOWLEDGE] = ("Acknowledge", "student")
        if not iserver.bind_condition_methods:  # ConditionRefresh replays the retained conditions
            iserver.bind_condition_methods = True
            await iserver.setup_condition_methods()

    def notify(self, transition: AlarmTransition) -> None:
        """Emit ``transition`` as an event; callable from any thread, dropped before :meth:`attach`."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._spawn(transition)
        else:
            loop.call_soon_threadsafe(self._spawn, transition)

    def _spawn(self, transition: AlarmTransition) -> None:
        task = asyncio.ensure_future(self.emit(transition))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def emit(self, t: AlarmTransition) -> None:
        """Emit one transition as an ``AlarmConditionType`` event (in order, one at a time)."""
        async with self._lock:
            try:
                await self._emit(t)
            except Exception:  # an event lost must not stop the plant; say so
                log.exception("could not emit the OPC UA event of alarm %s (%s)", t.alarm_id, t.kind)

    async def _emit(self, t: AlarmTransition) -> None:
        condition_id, gen = await self._condition(t)
        ev = gen.event
        when = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=t.time_ns // 1000)
        ev.NodeId = condition_id
        ev.ConditionName = t.alarm_id
        ev.SourceName = f"{t.unit}.{t.tag}" if t.tag else t.unit
        ev.SourceNode = self._sources(t.unit, t.tag) or ua.NodeId(FOLDER, self._ns)
        ev.Severity = SEVERITY.get(t.priority, 500)
        ev.LastSeverity = ev.Severity
        ev.Retain = t.active or not t.acked
        ev.EnabledState = ua.LocalizedText("Enabled")
        setattr(ev, "EnabledState/Id", True)
        ev.ActiveState = ua.LocalizedText("Active" if t.active else "Inactive")
        setattr(ev, "ActiveState/Id", t.active)
        ev.AckedState = ua.LocalizedText("Acknowledged" if t.acked else "Unacknowledged")
        setattr(ev, "AckedState/Id", t.acked)
        ev.SuppressedOrShelved = t.shelved
        ev.Quality = ua.StatusCode(ua.StatusCodes.Good)
        ev.ClientUserId = t.user
        ev.Comment = ua.LocalizedText(t.comment)
        ev.ConditionClassId = ua.NodeId(ua.ObjectIds.ProcessConditionClassType)
        ev.ConditionClassName = ua.LocalizedText("ProcessConditionClassType")
        await gen.trigger(time_attr=when, message=t.message)
        self._event_ids[t.alarm_id].append(ev.EventId.Value if isinstance(ev.EventId, ua.Variant) else ev.EventId)
        self.emitted += 1

    async def _condition(self, t: AlarmTransition) -> tuple[ua.NodeId, Any]:
        """The condition object and event generator of an alarm, created at its first transition."""
        known = self._conditions.get(t.alarm_id)
        if known is not None:
            return known
        assert self._server is not None
        node_id = ua.NodeId(f"{FOLDER}.{t.alarm_id}", self._ns)
        await self._folder.add_object(
            node_id, ua.QualifiedName(t.alarm_id, self._ns), objecttype=ua.ObjectIds.AlarmConditionType
        )
        gen = await self._server.get_event_generator(ua.ObjectIds.AlarmConditionType, ua.ObjectIds.Server)
        self._conditions[t.alarm_id] = (node_id, gen)
        self._by_node[node_id] = t.alarm_id
        self._event_ids[t.alarm_id] = deque(maxlen=64)
        return node_id, gen

    async def _acknowledge(self, parent: ua.NodeId, *args: ua.Variant) -> ua.StatusCode:
        """``AcknowledgeableConditionType.Acknowledge(EventId, Comment)`` on one of our conditions."""
        who = caller()
        if who is None:
            return ua.StatusCode(ua.StatusCodes.BadUserAccessDenied)
        why = refusal(who.principal, "student")
        if why is not None:  # the ruleset refused it already; defence in depth
            deny(self.audit, who, "Acknowledge", why)
            return ua.StatusCode(ua.StatusCodes.BadUserAccessDenied)
        alarm_id = self._by_node.get(parent)
        if alarm_id is None:
            return ua.StatusCode(ua.StatusCodes.BadNodeIdUnknown)
        values = [a.Value if isinstance(a, ua.Variant) else a for a in args]
        event_id = values[0] if values else None
        comment = values[1].Text if len(values) > 1 and isinstance(values[1], ua.LocalizedText) else ""
        if event_id not in self._event_ids[alarm_id]:
            return ua.StatusCode(ua.StatusCodes.BadEventIdUnknown)
        if self.acknowledge is None:
            return ua.StatusCode(ua.StatusCodes.BadNotSupported)
        name = who.principal.name
        try:
            with audited(self.audit, who.actor(), "alarm.ack", f"alarm:{alarm_id}", reason=comment or ""):
                self.acknowledge(alarm_id, name, comment or "")
        except AuditUnavailable:
            log.exception("OPC UA Acknowledge of %s by %s refused: the audit trail cannot record it", alarm_id, name)
            return ua.StatusCode(ua.StatusCodes.BadResourceUnavailable)
        except PermissionError as exc:
            log.warning("OPC UA Acknowledge of %s by %s refused: %s", alarm_id, name, exc)
            return ua.StatusCode(ua.StatusCodes.BadUserAccessDenied)
        except KeyError as exc:
            log.warning("OPC UA Acknowledge of %s by %s refused: %s", alarm_id, name, exc)
            return ua.StatusCode(ua.StatusCodes.BadNodeIdUnknown)
        except ValueError as exc:  # nothing to acknowledge
            log.info("OPC UA Acknowledge of %s by %s: %s", alarm_id, name, exc)
            return ua.StatusCode(ua.StatusCodes.BadConditionBranchAlreadyAcked)
        log.info("OPC UA Acknowledge of %s by %s (%s)", alarm_id, name, comment or "no comment")
        return ua.StatusCode()


class AlarmEventTee:
    """A point queue (the monitoring service's outbox) that also hands alarm transitions on.

    Everything but :meth:`put` is the wrapped queue's (``path``, ``run_writer``, ``flush``, ``stats``).
    """

    def __init__(self, inner: Any, sink: Callable[[AlarmTransition], None]) -> None:
        self.inner = inner
        self.sink = sink

    def put(self, points: Sequence[Point]) -> None:
        self.inner.put(points)  # durable first: an event is only announced once it is kept
        for point in points:
            transition = AlarmTransition.from_point(point)
            if transition is not None:
                self.sink(transition)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


__all__ = ["ACKNOWLEDGE", "Acknowledge", "AlarmEventTee", "AlarmTransition", "PlantAlarms"]
