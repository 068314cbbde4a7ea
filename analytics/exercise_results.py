"""What a team measured in an exercise: time in limits and KPI results, and the event-field readers.

The twin writes a ``limits_result`` event per time-in-limits task and a ``kpi_result`` per KPI
goal when a scenario ends (:data:`config_schema.exercise.EVENT_FIELDS`); only the latest per
variable (per KPI) of a team counts. :mod:`analytics.exercise_scoring` adds them to the score.

Examples
--------
>>> from historian.base import Point
>>> from config_schema.exercise import LimitTask
>>> p = Point("event", {"unit": "bio", "kind": "limits_result"},
...           {"team": "a", "tag": "T", "in_s": 90.0, "out_s": 10.0, "weight": 2.0, "points": 20.0}, 1)
>>> limit_rows([p], "a", [LimitTask(unit="bio", tag="T", lo=36.5, hi=37.5)])
[{'unit': 'bio', 'tag': 'T', 'in_s': 90.0, 'out_s': 10.0, 'fraction': 0.9, 'points': 36.0}]
>>> limit_rows([p], "b", [])
[]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from config_schema.exercise import KpiGoal, LimitTask
from historian.base import Point


def event_text(p: Point, name: str) -> str:
    """A field as text; a missing one from the point's tags (``unit``: the tag when no field names it)."""
    value = p.fields.get(name)
    return p.tags.get(name, "") if value is None or value == "" else str(value)


def team_of(p: Point) -> str:
    """The team an event names (``""``: none, it concerns every team)."""
    return event_text(p, "team")


def concerns(p: Point, team: str) -> bool:
    """An event concerns ``team`` when it carries that team, or none (every team)."""
    return team_of(p) in ("", team)


def kpi_points(value: float, baseline: float, target: float, points: float) -> float:
    """Linear from ``baseline`` (0) to ``target`` (``points``), clipped to 0..points.

    Examples
    --------
    >>> kpi_points(0.75, 0.5, 1.0, 40), kpi_points(0.4, 0.5, 1.0, 40), kpi_points(90, 120, 100, 10)
    (20.0, 0.0, 10.0)
    """
    share = (value - baseline) / (target - baseline)
    return float(points) * min(1.0, max(0.0, share))


def _latest(events: Sequence[Point], kind: str, team: str, ident: tuple[str, ...]) -> list[Point]:
    """The latest event of ``kind`` for ``team`` per identity (fields ``ident``), in identity order."""
    latest: dict[tuple[str, ...], Point] = {}
    for p in events:
        if p.tags.get("kind") == kind and concerns(p, team):
            latest[tuple(event_text(p, n) for n in ident)] = p
    return [latest[k] for k in sorted(latest)]


def limit_rows(events: Sequence[Point], team: str, tasks: Sequence[LimitTask]) -> list[dict[str, Any]]:
    """Each variable's time in limits and points (``points × weight × in_s / (in_s + out_s)``).

    The event's own ``weight`` and ``points`` count; the scenario's ``tasks`` fill in missing ones.
    """
    by_variable = {(t.unit, t.tag): t for t in tasks}
    rows = []
    for p in _latest(events, "limits_result", team, ("unit", "tag")):
        unit, tag = event_text(p, "unit"), event_text(p, "tag")
        task = by_variable.get((unit, tag))
        in_s, out_s = float(p.fields.get("in_s", 0.0)), float(p.fields.get("out_s", 0.0))
        weight = float(p.fields.get("weight", task.weight if task else 1.0))
        points = float(p.fields.get("points", task.points if task else 0.0))
        fraction = in_s / (in_s + out_s) if in_s + out_s > 0 else 0.0
        rows.append({
            "unit": unit, "tag": tag, "in_s": round(in_s, 3), "out_s": round(out_s, 3),
            "fraction": round(fraction, 4), "points": round(points * weight * fraction, 3),
        })  # fmt: skip
    return rows


def kpi_rows(events: Sequence[Point], team: str, goals: Sequence[KpiGoal]) -> list[dict[str, Any]]:
    """Each KPI's measured value and its points (:func:`kpi_points`; 0 for a goal the scenario lacks)."""
    by_name = {k.name: k for k in goals}
    rows = []
    for p in _latest(events, "kpi_result", team, ("name",)):
        name, value = event_text(p, "name"), float(p.fields.get("value", 0.0))
        goal = by_name.get(name)
        points = kpi_points(value, goal.baseline, goal.target, goal.points) if goal else 0.0
        rows.append({"name": name, "value": value, "points": round(points, 3)})
    return rows
