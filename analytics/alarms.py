"""ISA-18.2-lite alarm management: state machine, shelving, alarm-rate KPIs. Pure logic.

States (ISA-18.2 alarm state transition diagram, simplified)::

    NORMAL ──raise──▶ UNACK_ACTIVE ──ack──▶ ACK_ACTIVE ──clear──▶ NORMAL
                          │                                         ▲
                        clear                                       │
                          ▼                                         │
                      UNACK_RTN (returned to normal, unacknowledged) ──ack──┘
                          └──raise──▶ UNACK_ACTIVE

    any state ──shelve(duration)──▶ SHELVED ──unshelve / expiry──▶ UNACK_ACTIVE if the
                                                                   condition is active,
                                                                   else NORMAL

``raise_`` / ``clear`` report the process condition (idempotent: raising an active alarm
does nothing); ``acknowledge`` / ``shelve`` / ``unshelve`` are operator actions with a user.
While shelved, the condition is still tracked and its changes still recorded (with
``shelved=True``) but not annunciated, and they do not count in the alarm-rate KPIs.

Every transition returns :class:`AlarmEvent` records, which the runtime writes to the
historian as ``event`` points (:meth:`AlarmEvent.to_point`).

Alarm-rate KPIs (ISA-18.2 / EEMUA 191): about 1 annunciated alarm per 10 minutes per
operator is acceptable, 2 manageable, more than 10 in 10 minutes is a flood; the
priority split should be near 80 / 15 / 5 % (low / medium / high).

Examples
--------
>>> m = AlarmManager(site="lab")
>>> _ = m.define("TT101.HI", unit="reactor", tag="TT101", priority="high", message="Jacket temperature high")
>>> [str(e.kind) for e in m.raise_("TT101.HI", time_ns=1_000)]
['raised']
>>> m.state("TT101.HI")
<AlarmState.UNACK_ACTIVE: 'unack_active'>
>>> [str(e.kind) for e in m.clear("TT101.HI", time_ns=2_000)]
['cleared']
>>> m.state("TT101.HI")   # returned to normal, still to be acknowledged
<AlarmState.UNACK_RTN: 'unack_rtn'>
>>> ev = m.acknowledge("TT101.HI", time_ns=3_000, user="alice")[0]
>>> str(ev.kind), ev.user, str(ev.state), m.state("TT101.HI")
('acknowledged', 'alice', 'normal', <AlarmState.NORMAL: 'normal'>)
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from historian.base import Point

NS_PER_S = 1_000_000_000
TEN_MINUTES_NS = 600 * NS_PER_S


class Priority(StrEnum):
    """Alarm priority."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class AlarmState(StrEnum):
    """ISA-18.2 alarm states (``UNACK_RTN`` = returned to normal, unacknowledged)."""

    NORMAL = "normal"
    UNACK_ACTIVE = "unack_active"
    ACK_ACTIVE = "ack_active"
    UNACK_RTN = "unack_rtn"
    SHELVED = "shelved"


class TransitionKind(StrEnum):
    """What happened (the ``kind`` of the historian event is ``alarm_<kind>``)."""

    RAISED = "raised"
    CLEARED = "cleared"
    ACKNOWLEDGED = "acknowledged"
    SHELVED = "shelved"
    UNSHELVED = "unshelved"
    SHELVE_EXPIRED = "shelve_expired"


class AlarmError(ValueError):
    """An operator action that cannot apply (unknown alarm, bad shelve duration)."""


@dataclass(frozen=True, slots=True)
class AlarmEvent:
    """One alarm transition, as written to the historian.

    ``state`` is the alarm state after the transition; ``active`` the process condition;
    ``shelved`` whether the alarm was shelved (not annunciated) at that moment.
    """

    time_ns: int
    alarm_id: str
    unit: str
    tag: str
    kind: TransitionKind
    priority: Priority
    message: str
    user: str | None
    state: AlarmState
    active: bool
    shelved: bool

    def to_point(self, site: str) -> Point:
        """The historian ``event`` point: tags ``site``, ``unit``, ``kind``.

        >>> e = AlarmEvent(5, "A1", "tank", "L1", TransitionKind.RAISED, Priority.LOW,
        ...                "Level low", None, AlarmState.UNACK_ACTIVE, True, False)
        >>> p = e.to_point("lab")
        >>> p.measurement, dict(p.tags), p.fields["alarm_id"], p.fields["user"]
        ('event', {'site': 'lab', 'unit': 'tank', 'kind': 'alarm_raised'}, 'A1', '')
        """
        return Point(
            measurement="event",
            tags={"site": site, "unit": self.unit, "kind": f"alarm_{self.kind.value}"},
            fields={
                "alarm_id": self.alarm_id,
                "tag": self.tag,
                "priority": self.priority.value,
                "message": self.message,
                "user": self.user or "",
                "state": self.state.value,
                "active": self.active,
                "shelved": self.shelved,
            },
            time_ns=self.time_ns,
        )


@dataclass
class Alarm:
    """One configured alarm and its current state (mutated only by :class:`AlarmManager`)."""

    alarm_id: str
    unit: str
    tag: str
    priority: Priority
    message: str
    state: AlarmState = AlarmState.NORMAL
    active: bool = False
    shelved_until_ns: int | None = None
    shelved_by: str | None = None
    last_change_ns: int | None = None


@dataclass(frozen=True)
class AlarmKpis:
    """Alarm-rate KPIs over ``[start_ns, end_ns)`` (annunciated raises only)."""

    start_ns: int
    end_ns: int
    alarms: int
    per_10_min: float
    max_in_10_min: int
    flood_periods: list[tuple[int, int, int]]
    priority_split: dict[str, float]
    benchmark: str
    notes: list[str] = field(default_factory=list)

    @property
    def flood(self) -> bool:
        """Whether any 10-minute window held more alarms than the flood threshold."""
        return bool(self.flood_periods)


def alarm_kpis(
    events: Iterable[AlarmEvent],
    start_ns: int,
    end_ns: int,
    *,
    flood_threshold: int = 10,
    window_ns: int = TEN_MINUTES_NS,
) -> AlarmKpis:
    """Alarm rate, floods and priority split from transition records.

    Only annunciated raises count (``kind == raised`` and not shelved). A flood period
    groups raises lying in a window of ``window_ns`` that holds more than
    ``flood_threshold`` raises; it is reported as ``(first_ns, last_ns, raises)``.

    >>> ev = [AlarmEvent(i * 30 * NS_PER_S, "A", "u", "t", TransitionKind.RAISED,
    ...                  Priority.LOW, "", None, AlarmState.UNACK_ACTIVE, True, False)
    ...       for i in range(12)]
    >>> k = alarm_kpis(ev, 0, 3600 * NS_PER_S)
    >>> k.alarms, k.per_10_min, k.flood, k.flood_periods[0][2]
    (12, 2.0, True, 12)
    """
    if end_ns <= start_ns:
        raise ValueError(f"end_ns ({end_ns}) must be after start_ns ({start_ns})")
    raises = sorted(
        (e for e in events if e.kind is TransitionKind.RAISED and not e.shelved and start_ns <= e.time_ns < end_ns),
        key=lambda e: e.time_ns,
    )
    times = [e.time_ns for e in raises]
    n = len(times)
    # For each raise, the raises in [t_i, t_i + window): mark them all when over threshold.
    in_flood = [False] * n
    max_in = 0
    for i, t in enumerate(times):
        j = bisect.bisect_left(times, t + window_ns)
        max_in = max(max_in, j - i)
        if j - i > flood_threshold:
            for q in range(i, j):
                in_flood[q] = True
    floods: list[tuple[int, int, int]] = []
    for i in range(n):
        if not in_flood[i]:
            continue
        if floods and (i > 0 and in_flood[i - 1]) and times[i] - floods[-1][1] < window_ns:
            first, _, count = floods[-1]
            floods[-1] = (first, times[i], count + 1)
        else:
            floods.append((times[i], times[i], 1))
    split = {p.value: 0.0 for p in Priority}
    for e in raises:
        split[e.priority.value] += 1
    if n:
        split = {k: v / n for k, v in split.items()}
    rate = n / ((end_ns - start_ns) / window_ns)
    if floods:
        bench = "flood"
    elif rate <= 1:
        bench = "acceptable"
    elif rate <= 2:
        bench = "manageable"
    else:
        bench = "overloaded"
    notes = []
    if n >= 20 and split["high"] > 0.10:
        notes.append(f"{split['high']:.0%} high-priority alarms (target about 5 %)")
    return AlarmKpis(start_ns, end_ns, n, rate, max_in, floods, split, bench, notes)


class AlarmManager:
    """All alarms of a site, their states and their transition records.

    Every method that changes something returns the :class:`AlarmEvent` records it
    produced (empty when nothing changed) and keeps them in :attr:`events` (the runtime
    drains them with :meth:`drain`). Times are nanoseconds since the Unix epoch (UTC);
    each call first applies the shelve expiries due by its time.

    Parameters
    ----------
    site : str
        Site name for historian points.
    max_shelve_s : float
        Longest allowed shelve duration (default 8 h: shelving needs an expiry).
    """

    def __init__(self, site: str = "", max_shelve_s: float = 8 * 3600.0) -> None:
        self.site = site
        self.max_shelve_s = max_shelve_s
        self.alarms: dict[str, Alarm] = {}
        self.events: list[AlarmEvent] = []

    def define(
        self, alarm_id: str, *, unit: str, tag: str, priority: Priority | str = Priority.MEDIUM, message: str = ""
    ) -> Alarm:
        """Configure an alarm (redefining an existing id is an error)."""
        if alarm_id in self.alarms:
            raise AlarmError(f"alarm {alarm_id!r} is already defined")
        try:
            prio = Priority(priority)
        except ValueError:
            raise AlarmError(f"alarm {alarm_id!r}: priority must be low, medium or high, got {priority!r}") from None
        alarm = Alarm(alarm_id, unit, tag, prio, message or alarm_id)
        self.alarms[alarm_id] = alarm
        return alarm

    def _get(self, alarm_id: str) -> Alarm:
        try:
            return self.alarms[alarm_id]
        except KeyError:
            known = ", ".join(sorted(self.alarms)) or "none"
            raise AlarmError(f"unknown alarm {alarm_id!r}; defined: {known}") from None

    def state(self, alarm_id: str) -> AlarmState:
        """Current state of one alarm."""
        return self._get(alarm_id).state

    def _emit(
        self, a: Alarm, kind: TransitionKind, time_ns: int, user: str | None, message: str | None = None
    ) -> AlarmEvent:
        a.last_change_ns = time_ns
        ev = AlarmEvent(
            time_ns,
            a.alarm_id,
            a.unit,
            a.tag,
            kind,
            a.priority,
            message or a.message,
            user,
            a.state,
            a.active,
            a.state is AlarmState.SHELVED,
        )
        self.events.append(ev)
        return ev

    def tick(self, time_ns: int) -> list[AlarmEvent]:
        """Apply shelve expiries due by ``time_ns``."""
        out = []
        for a in self.alarms.values():
            if a.state is AlarmState.SHELVED and a.shelved_until_ns is not None and a.shelved_until_ns <= time_ns:
                a.state = AlarmState.UNACK_ACTIVE if a.active else AlarmState.NORMAL
                a.shelved_until_ns = a.shelved_by = None
                out.append(self._emit(a, TransitionKind.SHELVE_EXPIRED, time_ns, None))
        return out

    def raise_(self, alarm_id: str, time_ns: int, message: str | None = None) -> list[AlarmEvent]:
        """The alarm condition became active (no-op when it already is)."""
        out = self.tick(time_ns)
        a = self._get(alarm_id)
        if a.active:
            return out
        a.active = True
        if a.state is not AlarmState.SHELVED:
            a.state = AlarmState.UNACK_ACTIVE
        return [*out, self._emit(a, TransitionKind.RAISED, time_ns, None, message)]

    def clear(self, alarm_id: str, time_ns: int, message: str | None = None) -> list[AlarmEvent]:
        """The alarm condition returned to normal (no-op when it is not active)."""
        out = self.tick(time_ns)
        a = self._get(alarm_id)
        if not a.active:
            return out
        a.active = False
        if a.state is AlarmState.UNACK_ACTIVE:
            a.state = AlarmState.UNACK_RTN
        elif a.state is AlarmState.ACK_ACTIVE:
            a.state = AlarmState.NORMAL
        return [*out, self._emit(a, TransitionKind.CLEARED, time_ns, None, message)]

    def acknowledge(self, alarm_id: str, time_ns: int, user: str) -> list[AlarmEvent]:
        """Operator acknowledges (no-op when nothing is unacknowledged)."""
        out = self.tick(time_ns)
        a = self._get(alarm_id)
        if a.state is AlarmState.UNACK_ACTIVE:
            a.state = AlarmState.ACK_ACTIVE
        elif a.state is AlarmState.UNACK_RTN:
            a.state = AlarmState.NORMAL
        else:
            return out
        return [*out, self._emit(a, TransitionKind.ACKNOWLEDGED, time_ns, user)]

    def shelve(self, alarm_id: str, time_ns: int, user: str, duration_s: float) -> list[AlarmEvent]:
        """Operator shelves the alarm for ``duration_s`` (0 < duration ≤ ``max_shelve_s``)."""
        if not 0 < duration_s <= self.max_shelve_s:
            raise AlarmError(
                f"shelve {alarm_id!r}: duration must be in (0, {self.max_shelve_s:g}] s, got {duration_s:g}"
            )
        out = self.tick(time_ns)
        a = self._get(alarm_id)
        a.state = AlarmState.SHELVED
        a.shelved_until_ns = time_ns + int(duration_s * NS_PER_S)
        a.shelved_by = user
        return [
            *out,
            self._emit(a, TransitionKind.SHELVED, time_ns, user, f"{a.message} (shelved for {duration_s:g} s)"),
        ]

    def unshelve(self, alarm_id: str, time_ns: int, user: str) -> list[AlarmEvent]:
        """Operator unshelves (no-op when not shelved); an active alarm is annunciated again."""
        out = self.tick(time_ns)
        a = self._get(alarm_id)
        if a.state is not AlarmState.SHELVED:
            return out
        a.state = AlarmState.UNACK_ACTIVE if a.active else AlarmState.NORMAL
        a.shelved_until_ns = a.shelved_by = None
        return [*out, self._emit(a, TransitionKind.UNSHELVED, time_ns, user)]

    def annunciated(self) -> list[Alarm]:
        """Alarms an operator must see: active or unacknowledged, not shelved; high first."""
        order = {Priority.HIGH: 0, Priority.MEDIUM: 1, Priority.LOW: 2}
        shown = [
            a
            for a in self.alarms.values()
            if a.state in (AlarmState.UNACK_ACTIVE, AlarmState.ACK_ACTIVE, AlarmState.UNACK_RTN)
        ]
        return sorted(shown, key=lambda a: (order[a.priority], -(a.last_change_ns or 0)))

    def drain(self) -> list[AlarmEvent]:
        """Return and forget the recorded events (for the historian writer)."""
        out, self.events = self.events, []
        return out

    def kpis(self, start_ns: int, end_ns: int, events: Sequence[AlarmEvent] | None = None, **kwargs: int) -> AlarmKpis:
        """:func:`alarm_kpis` over ``events`` (default: the events still held)."""
        return alarm_kpis(self.events if events is None else events, start_ns, end_ns, **kwargs)
