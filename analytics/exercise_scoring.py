"""Score an exercise per team and per student from its events only (deterministic).

The ground truth is the run's ``fault_started`` / ``fault_ended`` / ``fault_cleared`` events
(a fault's ``team`` field names its team plant; none or ``""``: every team); the answer key
and the points come from the ``scoring`` JSON of the team's ``scenario_started`` event
(:class:`config_schema.exercise.ScoringSpec`). What a team did are the
``deviation_reported``, ``hint_opened``, ``limits_warning``, ``limits_result`` and
``kpi_result`` events carrying its ``team`` (see :data:`config_schema.exercise.EVENT_FIELDS`).

Rules:

- Only the latest report of a ``supersedes`` chain counts. A report is matched to the
  best-matching fault of its team on the same unit that had started when it was filed
  (preferring a named tag of the answer, then a right cause, then a declared start within
  tolerance, then a fault no earlier report took); a report matching no fault is a false
  report (penalty ``false_report``).
- A matched report earns the answer's points for the unit, a tag (any of the answer's
  tags), the cause (a cause of the answer's ``causes``, or, when it lists none, a candidate
  cause whose ``fault_kind`` is the fault's kind), the declared start (within
  ``start_tolerance_s``), detection (full ``detection.points`` up to ``full_s`` after the
  fault's start, linearly down to 0 at ``zero_s``, measured to the report's time) and the
  classification bonus. Each fault is credited once per team: its best report.
- Without a ``scoring`` block, every fault is to be found with the default points; with
  one, faults outside its answers earn nothing but a report naming them is not false.
- Penalties: every opened hint's cost (once per hint and team), ``out_of_bounds_penalty``
  per ``limits_warning``. Time in limits: ``points × weight × in_s / (in_s + out_s)`` of
  the latest ``limits_result`` per variable; KPIs: linear from baseline (0) to target
  (``points``), clipped.
- Teams are ranked by score (equal scores share a rank), then by name.

Examples
--------
>>> import json
>>> from historian.base import Point
>>> S = 1_000_000_000
>>> spec = {"answers": [{"fault": "drift", "unit": "bio", "tags": ["pH"], "causes": ["probe"]}]}
>>> ev = [
...     Point("event", {"unit": "bio", "kind": "scenario_started"},
...           {"scenario": "ph", "scoring": json.dumps(spec), "run_id": "r"}, 0),
...     Point("event", {"unit": "bio", "kind": "fault_started"},
...           {"fault_id": "drift", "fault_kind": "sensor_drift", "run_id": "r"}, 100 * S),
...     Point("event", {"unit": "bio", "kind": "deviation_reported"},
...           {"report_id": "R1", "team": "blue", "user": "ana", "unit": "bio", "tags": "pH",
...            "start_ns": 130 * S, "cause": "probe", "run_id": "r"}, 400 * S),
...     Point("event", {"unit": "bio", "kind": "deviation_reported"},
...           {"report_id": "R2", "team": "red", "user": "bob", "unit": "bio", "tags": "DO",
...            "cause": "probe", "run_id": "r"}, 5000 * S),
...     Point("event", {"unit": "bio", "kind": "hint_opened"},
...           {"hint_id": "h1", "team": "red", "user": "bob", "cost": 5.0, "run_id": "r"}, 4000 * S),
... ]
>>> out = score_exercise(ev)
>>> [(t["team"], t["score"], t["rank"], t["found"]) for t in out["teams"]]
[('blue', 110.0, 1, ['drift']), ('red', 45.0, 2, ['drift'])]
>>> out["teams"][1]["reports"][0]["points"]
{'unit': 20.0, 'tag': 0.0, 'cause': 30.0, 'start': 0.0, 'detection': 0.0, 'classification': 0.0}
>>> out["teams"][1]["students"]
[{'user': 'bob', 'reports': 1, 'correct': 1, 'false': 0, 'points': 45.0, 'hints_cost': 5.0}]
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from analytics.exercise_results import concerns, event_text, kpi_points, kpi_rows, limit_rows, team_of
from analytics.exercise_table import TEAM_TEXT, format_teams
from config_schema.exercise import Answer, CandidateCause, ScoringSpec
from historian.base import Point

logger = logging.getLogger(__name__)

NS = 1_000_000_000
_END_KINDS = ("fault_ended", "fault_cleared")
#: Alarms carry no run id: those up to this long after a run's last event still belong to it.
ALARM_LAG_NS = 600 * NS
__all__ = ["TEAM_TEXT", "detection_points", "format_teams", "kpi_points", "run_events", "score_exercise"]
_PARTS = ("unit", "tag", "cause", "start", "detection", "classification")


def run_events(events: Sequence[Point], run_id: str | None) -> list[Point]:
    """The events of one run, oldest first.

    An event belongs to run ``run_id`` when its ``run_id`` or ``class_run`` field equals it (a
    classroom's run covers every team plant); an ``alarm_*`` event without a run id belongs to
    it when it falls in the run's time window (plus :data:`ALARM_LAG_NS`). ``None``: every event.

    Examples
    --------
    >>> a = Point("event", {"kind": "fault_started"}, {"run_id": "c-team-1", "class_run": "c"}, 5)
    >>> b = Point("event", {"kind": "alarm_raised"}, {}, 7)
    >>> c = Point("event", {"kind": "fault_started"}, {"run_id": "other"}, 6)
    >>> [p.time_ns for p in run_events([b, c, a], "c")], len(run_events([b, c, a], None))
    ([5, 7], 3)
    """
    # Ties in time sorted by content: the same events in any order score the same.
    ordered = sorted(
        events, key=lambda p: (p.time_ns, p.tags.get("kind", ""), json.dumps(dict(p.fields), sort_keys=True))
    )
    if run_id is None:
        return ordered
    mine = [p for p in ordered if run_id in (p.fields.get("run_id"), p.fields.get("class_run"))]
    if not mine:
        return []
    first, last = mine[0].time_ns, mine[-1].time_ns + ALARM_LAG_NS
    return [
        p
        for p in ordered
        if run_id in (p.fields.get("run_id"), p.fields.get("class_run"))
        or (p.tags.get("kind", "").startswith("alarm_") and not p.fields.get("run_id") and first <= p.time_ns <= last)
    ]


@dataclass(frozen=True)
class _Fault:
    fault_id: str
    team: str
    unit: str
    kind: str
    tag: str
    start_ns: int
    end_ns: int | None

    def view(self) -> dict[str, Any]:
        return {
            "fault_id": self.fault_id, "team": self.team, "unit": self.unit, "kind": self.kind,
            "start_ns": self.start_ns, "end_ns": self.end_ns,
        }  # fmt: skip


@dataclass(frozen=True)
class _Exercise:
    """A team's scenario: its answer key and candidate causes."""

    scenario: str
    spec: ScoringSpec
    causes: tuple[CandidateCause, ...]
    start_ns: int


def _exercise(p: Point) -> _Exercise:
    raw = event_text(p, "scoring")
    try:
        spec = ScoringSpec.model_validate_json(raw) if raw else ScoringSpec()
    except ValueError as exc:
        logger.warning("scenario %s: unreadable scoring block (%s); default points", event_text(p, "scenario"), exc)
        spec = ScoringSpec()
    causes: tuple[CandidateCause, ...] = ()
    if raw_causes := event_text(p, "candidate_causes"):
        try:
            causes = tuple(CandidateCause.model_validate(c) for c in json.loads(raw_causes))
        except ValueError as exc:
            logger.warning("scenario %s: unreadable candidate causes (%s)", event_text(p, "scenario"), exc)
    return _Exercise(event_text(p, "scenario"), spec, causes, p.time_ns)


def _faults(events: Sequence[Point]) -> list[_Fault]:
    started: dict[tuple[str, str], Point] = {}
    ended: dict[tuple[str, str], int] = {}
    for p in events:
        kind, key = p.tags.get("kind", ""), (team_of(p), event_text(p, "fault_id"))
        if kind == "fault_started":
            started.setdefault(key, p)
        elif kind in _END_KINDS and key in started and key not in ended:
            ended[key] = p.time_ns
    faults = [
        _Fault(
            fid,
            team,
            p.tags.get("unit", ""),
            event_text(p, "fault_kind"),
            event_text(p, "tag"),
            p.time_ns,
            ended.get((team, fid)),
        )
        for (team, fid), p in started.items()
    ]
    return sorted(faults, key=lambda f: (f.start_ns, f.team, f.fault_id))


def _answer_key(ex: _Exercise, faults: Sequence[_Fault]) -> dict[str, Answer | None]:
    """Per fault id: its answer; ``None``: a fault outside the answer key (earns nothing, not false)."""
    answers = {a.fault: a for a in ex.spec.answers}
    if answers:
        return {f.fault_id: answers.get(f.fault_id) for f in faults}
    return {f.fault_id: Answer(fault=f.fault_id, unit=f.unit, tags=[f.tag] if f.tag else []) for f in faults}


def _right_causes(answer: Answer, fault: _Fault, ex: _Exercise) -> set[str]:
    if answer.causes:
        return set(answer.causes)
    return {c.id for c in ex.causes if c.fault_kind and c.fault_kind == fault.kind}


def detection_points(delay_s: float, points: float, full_s: float, zero_s: float) -> float:
    """Points for reporting ``delay_s`` after the fault's start: full until ``full_s``, 0 from ``zero_s``.

    Examples
    --------
    >>> [detection_points(d, 40, 600, 3600) for d in (0, 600, 2100, 3600, 9000)]
    [40.0, 40.0, 20.0, 0.0, 0.0]
    """
    if delay_s <= full_s:
        return float(points)
    if delay_s >= zero_s:
        return 0.0
    return float(points) * (zero_s - delay_s) / (zero_s - full_s)


def _grade(
    report: Point, fault: _Fault, answer: Answer | None, ex: _Exercise
) -> tuple[tuple[Any, ...], dict[str, float]]:
    """How well ``report`` matches ``fault`` (a sort key) and the points it earns for it."""
    tags = {t for t in event_text(report, "tags").split(",") if t}
    accepted_tags = set(answer.tags if answer and answer.tags else ([fault.tag] if fault.tag else []))
    tag_ok = bool(tags & accepted_tags) if accepted_tags else True
    cause = event_text(report, "cause")
    cause_ok = bool(cause) and answer is not None and cause in _right_causes(answer, fault, ex)
    start = report.fields.get("start_ns")
    tolerance = answer.start_tolerance_s if answer else 0.0
    gap_s = abs(int(start) - fault.start_ns) / NS if isinstance(start, int | float) and start else None
    start_ok = gap_s is not None and gap_s <= tolerance
    points = dict.fromkeys(_PARTS, 0.0)
    if answer is not None:
        p, det = answer.points, ex.spec.detection
        delay_s = (report.time_ns - fault.start_ns) / NS
        points["unit"] = p.unit
        points["tag"] = p.tag if tag_ok else 0.0
        points["cause"] = p.cause if cause_ok else 0.0
        points["start"] = p.start if start_ok else 0.0
        points["detection"] = round(detection_points(delay_s, det.points, det.full_s, det.zero_s), 3)
        right_class = answer.classification and event_text(report, "classification") == answer.classification
        points["classification"] = ex.spec.classification_bonus if right_class else 0.0
    key = (tag_ok, cause_ok, start_ok, sum(points.values()), -(gap_s or 0.0))
    return key, points


def _report_row(p: Point) -> dict[str, Any]:
    return {
        "report_id": event_text(p, "report_id"), "user": event_text(p, "user"), "time_ns": p.time_ns,
        "unit": event_text(p, "unit"), "tags": [t for t in event_text(p, "tags").split(",") if t],
        "start_ns": p.fields.get("start_ns") or None, "cause": event_text(p, "cause"),
        "cause_text": event_text(p, "cause_text"),
        "classification": event_text(p, "classification"), "supersedes": event_text(p, "supersedes") or None,
        "matched_fault": None, "false": False, "superseded": False, "duplicate": False, "credited": False,
        "delay_s": None, "points": dict.fromkeys(_PARTS, 0.0), "total": 0.0, "penalty": 0.0,
    }  # fmt: skip


def _score_reports(
    reports: Sequence[Point], faults: Sequence[_Fault], key: Mapping[str, Answer | None], ex: _Exercise
) -> list[dict[str, Any]]:
    superseded = {event_text(p, "supersedes") for p in reports if event_text(p, "supersedes")}
    rows = [_report_row(p) for p in reports]
    claimed: dict[str, int] = {}  # fault id -> index of its best report
    for i, (p, row) in enumerate(zip(reports, rows, strict=True)):
        if row["report_id"] in superseded:
            row["superseded"] = True
            continue
        candidates = [f for f in faults if f.unit == row["unit"] and f.start_ns <= p.time_ns]
        if not candidates:
            row["false"], row["penalty"] = True, ex.spec.false_report
            continue
        graded = [(_grade(p, f, key.get(f.fault_id), ex), f) for f in candidates]
        ((_, points), fault) = max(graded, key=lambda g: (g[0][0][:3], g[1].fault_id not in claimed, g[0][0][3:]))
        row["matched_fault"], row["points"] = fault.fault_id, points
        row["delay_s"] = round((p.time_ns - fault.start_ns) / NS, 3)
        row["total"] = round(sum(points.values()), 3)
        best = claimed.get(fault.fault_id)
        if best is None or row["total"] > rows[best]["total"]:
            claimed[fault.fault_id] = i
    for i in claimed.values():
        rows[i]["credited"] = key.get(rows[i]["matched_fault"]) is not None
    for row in rows:
        if row["matched_fault"] and not row["credited"]:
            row["duplicate"] = key.get(row["matched_fault"]) is not None
    return rows


def _students(reports: Sequence[dict[str, Any]], hints: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    users = sorted({r["user"] for r in reports} | {h["user"] for h in hints})
    rows = []
    for user in users:
        own = [r for r in reports if r["user"] == user]
        cost = sum(h["cost"] for h in hints if h["user"] == user)
        earned = sum(r["total"] for r in own if r["credited"]) - sum(r["penalty"] for r in own)
        rows.append({
            "user": user, "reports": len(own), "correct": sum(1 for r in own if r["credited"]),
            "false": sum(1 for r in own if r["false"]), "points": round(earned - cost, 3), "hints_cost": round(cost, 3),
        })  # fmt: skip
    return rows


def _score_team(events: Sequence[Point], team: str, ex: _Exercise, all_faults: Sequence[_Fault]) -> dict[str, Any]:
    faults = [f for f in all_faults if f.team in ("", team)]
    key = _answer_key(ex, faults)
    reports = [p for p in events if p.tags.get("kind") == "deviation_reported" and team_of(p) == team]
    rows = _score_reports(reports, faults, key, ex)
    opened: dict[str, dict[str, Any]] = {}
    for p in events:
        if p.tags.get("kind") == "hint_opened" and concerns(p, team):
            opened.setdefault(
                event_text(p, "hint_id"),
                {
                    "hint_id": event_text(p, "hint_id"),
                    "user": event_text(p, "user"),
                    "cost": float(p.fields.get("cost", 0.0)),
                },
            )
    hints = list(opened.values())
    warnings = sum(1 for p in events if p.tags.get("kind") == "limits_warning" and concerns(p, team))
    limits, kpis = limit_rows(events, team, ex.spec.time_in_limits), kpi_rows(events, team, ex.spec.kpis)
    found = sorted({r["matched_fault"] for r in rows if r["credited"]})
    cause_ok = {r["matched_fault"] for r in rows if r["credited"] and r["points"]["cause"] > 0}
    to_find = [f for f in faults if key.get(f.fault_id) is not None]
    missed = [{"fault_id": f.fault_id, "kind": f.kind, "unit": f.unit} for f in to_find if f.fault_id not in found]
    missed_causes = sorted(
        {c for f in to_find if f.fault_id not in cause_ok for c in _cause_names(key[f.fault_id], f, ex)}
    )
    penalties = {
        "false_reports": round(sum(r["penalty"] for r in rows), 3),
        "hints": round(sum(h["cost"] for h in hints), 3),
        "warnings": round(warnings * ex.spec.out_of_bounds_penalty, 3),
    }
    earned = sum(r["total"] for r in rows if r["credited"]) + sum(x["points"] for x in (*limits, *kpis))
    return {
        "team": team, "scenario": ex.scenario, "max_points": _max_points(ex, key),
        "score": round(earned - sum(penalties.values()), 2), "rank": 0,
        "found": found, "missed": missed, "missed_causes": missed_causes, "reports": rows, "hints": hints,
        "limits": limits, "warnings": warnings, "kpis": kpis, "penalties": penalties,
        "students": _students(rows, hints),
    }  # fmt: skip


def _cause_names(answer: Answer | None, fault: _Fault, ex: _Exercise) -> list[str]:
    """What a team should have named as the cause: the answer's causes, else the fault's kind."""
    if answer is None:
        return []
    return sorted(_right_causes(answer, fault, ex)) or [fault.kind]


def _max_points(ex: _Exercise, key: Mapping[str, Answer | None]) -> float:
    if ex.spec.answers:
        return ex.spec.max_points()
    return ScoringSpec(**{**ex.spec.model_dump(), "answers": [a for a in key.values() if a]}).max_points()


def _rank(teams: list[dict[str, Any]]) -> list[dict[str, Any]]:
    teams.sort(key=lambda t: (-t["score"], t["team"]))
    for t in teams:
        t["rank"] = 1 + sum(1 for o in teams if o["score"] > t["score"])
    return teams


def score_exercise(events: Sequence[Point], run_id: str | None = None) -> dict[str, Any]:
    """Score every team of a run (see the module docstring); plain JSON-able data, same input, same output.

    Parameters
    ----------
    events : Sequence[Point]
        ``event`` points (a playback file, or the historian's events).
    run_id : str or None
        Keep the events of this run (or classroom run, see :func:`run_events`); ``None``: all.

    Returns
    -------
    dict
        ``{run_id, scenario, start_ns, ended, max_points, faults, teams}``; each team ``{team, scenario,
        score, rank, max_points, found, missed, missed_causes, reports, hints, limits, warnings, kpis,
        penalties, students}``, best first.
    """
    events = run_events(events, run_id)
    exercises: dict[str, _Exercise] = {}
    for p in events:
        if p.tags.get("kind") == "scenario_started":
            exercises[team_of(p)] = _exercise(p)  # a restarted scenario replaces the earlier one
    faults = _faults(events)
    teams = sorted({team_of(p) for p in events} - {""})
    default = exercises.get("") or _Exercise("", ScoringSpec(), (), events[0].time_ns if events else 0)
    scored = _rank([_score_team(events, t, exercises.get(t, default), faults) for t in teams])
    names = sorted({e.scenario for e in exercises.values() if e.scenario})
    runs = sorted({event_text(p, "class_run") for p in events} - {""}) or sorted(
        {event_text(p, "run_id") for p in events} - {""}
    )
    return {
        "run_id": run_id if run_id is not None else ",".join(runs),
        "scenario": exercises[""].scenario if "" in exercises else ",".join(names),
        "start_ns": min((e.start_ns for e in exercises.values()), default=default.start_ns),
        "ended": any(p.tags.get("kind") == "exercise_ended" for p in events),
        "max_points": max((t["max_points"] for t in scored), default=_max_points(default, {})),
        "faults": [f.view() for f in faults],
        "teams": scored,
    }
