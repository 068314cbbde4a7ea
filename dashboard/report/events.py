"""The alarms and faults of a batch, from the historian's ``event`` points, as a reader may see them.

Alarms (``alarm_<transition>`` events of the live monitoring) are shown to everyone. Faults
(``fault_<action>`` events of the twin's fault manager) are the exercise's answer: an instructor
sees them all; anyone else sees a fault only when it was never hidden, or once it is revealed
(:func:`revealed`): its scenario ended or was stopped, a fault injected on its own was cleared or
ended, or the instructor un-hid it (the live twin lists it in the student view).

Examples
--------
>>> from historian.base import Point
>>> def ev(kind, t, **f):
...     return Point("event", {"unit": "dryer-1", "kind": kind}, {"run_id": "r", **f}, t)
>>> events = [
...     ev("fault_started", 10, fault_id="F1", fault_kind="heater_failure", target="dryer-1", hidden=True,
...        scenario="esc", magnitude=0.5),
...     ev("fault_started", 20, fault_id="F2", fault_kind="sensor_bias", target="dryer-1/nir_lod", hidden=False,
...        scenario=""),
... ]
>>> [f.fault_id for f in batch_faults(events, 0, 100, instructor=False)]
['F2']
>>> [f.fault_id for f in batch_faults(events, 0, 100, instructor=True)]
['F1', 'F2']
>>> ended = [*events, ev("scenario_ended", 50, scenario="esc")]
>>> [(f.fault_id, f.hidden) for f in batch_faults(ended, 0, 100, instructor=False)]
[('F1', True), ('F2', False)]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from historian.base import Point

#: Event kinds read for a report.
ALARM_KINDS = ("alarm_raised", "alarm_cleared", "alarm_acknowledged", "alarm_shelved", "alarm_unshelved")
FAULT_KINDS = ("fault_injected", "fault_started", "fault_ended", "fault_cleared")
SCENARIO_END_KINDS = ("scenario_ended", "scenario_stopped")


@dataclass(frozen=True)
class AlarmRow:
    """One alarm transition in a batch; ``entry`` is what :func:`dashboard.plant_texts.alarm_message` reads."""

    time_ns: int
    alarm_id: str
    tag: str
    transition: str
    priority: str
    entry: dict[str, Any]


@dataclass(frozen=True)
class FaultRow:
    """One fault that acted on the unit during a batch (``end_ns`` ``None``: still active)."""

    fault_id: str
    kind: str
    target: str
    magnitude: float | None
    start_ns: int
    end_ns: int | None
    scenario: str
    hidden: bool


def batch_alarms(events: Iterable[Point], start_ns: int, end_ns: int) -> list[AlarmRow]:
    """Alarm transitions between ``start_ns`` and ``end_ns``, oldest first.

    >>> p = Point("event", {"unit": "u", "kind": "alarm_raised"},
    ...           {"alarm_id": "T", "tag": "temperature", "priority": "high", "method": "ewma", "rules": "WE1"}, 5)
    >>> row = batch_alarms([p], 0, 10)[0]
    >>> row.transition, row.entry["message_key"], row.entry["message_params"]["method"]
    ('raised', 'alarm.raised', 'EWMA')
    """
    rows = []
    for p in sorted(events, key=lambda e: e.time_ns):
        kind = p.tags.get("kind", "")
        if kind not in ALARM_KINDS or not start_ns <= p.time_ns <= end_ns:
            continue
        f = p.fields
        transition = kind.removeprefix("alarm_")
        alarm_id = str(f.get("alarm_id", ""))
        params = {
            "detector": str(f.get("detector", alarm_id)),
            "method": str(f.get("method", "")).upper(),
            "label": str(f.get("tag", "")),
            "description": "",
            "rules": str(f.get("rules", "")),
        }
        entry = {"message": str(f.get("message", "")), "message_key": f"alarm.{transition}", "message_params": params}
        rows.append(AlarmRow(p.time_ns, alarm_id, str(f.get("tag", "")), transition, str(f.get("priority", "")), entry))
    return rows


def revealed(fault_events: Sequence[Point], scenario_ends: Sequence[Point], unhidden: bool) -> bool:
    """Whether a hidden fault may be shown to a student now (see the module docstring).

    >>> started = Point("event", {"kind": "fault_started"}, {"scenario": "esc", "run_id": "r"}, 10)
    >>> revealed([started], [], False), revealed([started], [], True)
    (False, True)
    >>> stopped = Point("event", {"kind": "scenario_stopped"}, {"scenario": "esc", "run_id": "r"}, 20)
    >>> revealed([started], [stopped], False)
    True
    """
    if unhidden:
        return True
    first = fault_events[0]
    scenario, run_id = str(first.fields.get("scenario", "")), first.fields.get("run_id")
    if scenario:
        return any(
            e.fields.get("scenario") == scenario and e.fields.get("run_id") == run_id and e.time_ns >= first.time_ns
            for e in scenario_ends
        )
    return any(e.tags.get("kind") in ("fault_ended", "fault_cleared") for e in fault_events)


def batch_faults(
    events: Iterable[Point],
    start_ns: int,
    end_ns: int,
    *,
    instructor: bool,
    unhidden: frozenset[tuple[str, str]] = frozenset(),
) -> list[FaultRow]:
    """Faults active at some time between ``start_ns`` and ``end_ns`` that the reader may see.

    ``events`` are fault events (any time before ``end_ns``) and scenario end events;
    ``unhidden`` the ``(run_id, fault_id)`` the live twin shows students.
    """
    by_fault: dict[tuple[str, str], list[Point]] = {}
    ends: list[Point] = []
    for p in sorted(events, key=lambda e: e.time_ns):
        kind = p.tags.get("kind", "")
        if kind in SCENARIO_END_KINDS:
            ends.append(p)
        elif kind in FAULT_KINDS:
            by_fault.setdefault((str(p.fields.get("run_id", "")), str(p.fields.get("fault_id", ""))), []).append(p)
    rows = []
    for key, evs in by_fault.items():
        began = next((e.time_ns for e in evs if e.tags["kind"] == "fault_started"), None)
        stop = next((e.time_ns for e in evs if e.tags["kind"] in ("fault_ended", "fault_cleared")), None)
        if began is None or began > end_ns or (stop is not None and stop < start_ns):
            continue  # never acted on the plant during this batch
        hidden = any(bool(e.fields.get("hidden")) for e in evs)
        if hidden and not instructor and not revealed(evs, ends, key in unhidden):
            continue
        f = evs[0].fields
        magnitude = f.get("magnitude")
        rows.append(
            FaultRow(
                fault_id=key[1],
                kind=str(f.get("fault_kind", "")),
                target=str(f.get("target", "")),
                magnitude=float(magnitude) if isinstance(magnitude, int | float) else None,
                start_ns=began,
                end_ns=stop,
                scenario=str(f.get("scenario", "")),
                hidden=hidden,
            )
        )
    return sorted(rows, key=lambda r: r.start_ns)
