"""A team's actions from the audit trail: its members' tag writes and mode changes, on the plant's clock.

A member is a user whose users-file ``team`` is that team. Audit records carry the wall time
and the simulated time; the plant clock of the events is ``epoch + simulated time``: the epoch
is the live runtime's when the run is the live one, else it is anchored on the exercise's
``scenario.start`` record (:func:`clock_epoch`); without either, the wall time is used (right
at x1 only).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from audit import AuditRecord, AuditTrail
from historian.base import Point

#: The audit actions shown as a team's actions (prefixes).
ACTION_PREFIXES = ("tag.write", "mode.")
_S = 1_000_000_000


@dataclass(frozen=True)
class Action:
    """One change a team member made (an audit record on the plant's clock)."""

    team: str
    user: str
    time_ns: int
    action: str
    object: str
    old: Any
    new: Any
    result: str


def members(users: Iterable[Any]) -> dict[str, str]:
    """User name -> team, for the users of the users file that are in a team."""
    return {u.name: u.team for u in users if getattr(u, "team", "")}


def _wall_ns(record: AuditRecord) -> int:
    return int(datetime.fromisoformat(record.ts.replace("Z", "+00:00")).timestamp() * _S)


def clock_epoch(started: Point, records: Sequence[AuditRecord]) -> int | None:
    """The plant clock's epoch of a past run: its ``scenario.start`` record (the one nearest in
    wall time to the ``scenario_started`` event) gives ``event time - simulated time``.

    >>> from types import SimpleNamespace as NS
    >>> rec = NS(ts="1970-01-01T00:01:40Z", sim_time_s=30.0, object="scenario:s", result="ok")
    >>> started = Point("event", {"kind": "scenario_started"}, {"scenario": "s"}, 400 * _S)
    >>> clock_epoch(started, [rec]) // _S
    370
    """
    name = f"scenario:{started.fields.get('scenario', '')}"
    fit = [r for r in records if r.object == name and r.result == "ok" and r.sim_time_s is not None]
    if not fit:
        return None
    best = min(fit, key=lambda r: abs(_wall_ns(r) - started.time_ns))
    return started.time_ns - round(float(best.sim_time_s or 0.0) * _S)


def team_actions(
    trail: AuditTrail, team_by_user: Mapping[str, str], epoch_ns: int | None, start_ns: int, end_ns: int
) -> list[Action]:
    """The members' tag writes and mode changes between ``start_ns`` and ``end_ns`` (plant clock)."""
    out = []
    for user, team in sorted(team_by_user.items()):
        for r in trail.query(user=user, limit=10_000, newest_first=False):
            if not r.action.startswith(ACTION_PREFIXES):
                continue
            when = epoch_ns + round(r.sim_time_s * _S) if epoch_ns is not None and r.sim_time_s is not None else None
            when = _wall_ns(r) if when is None else when
            if start_ns <= when <= end_ns:
                out.append(Action(team, user, when, r.action, r.object, r.old, r.new, r.result))
    return sorted(out, key=lambda a: a.time_ns)
