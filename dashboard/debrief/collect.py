"""What a debrief shows, read from the historian's events and the audit trail, then scored.

A *run* is a run id of the twin (or a classroom's class run id, which groups its team plants'
runs). Its debrief covers the **latest exercise of the run**: from its last ``scenario_started``
event on. Events belong to the run by their ``run_id`` or ``class_run`` field; alarm events,
which carry no run id, by time. A fault, alarm or event without ``team`` (or ``team == ""``)
concerns every team.

The team's actions are the audit trail's ``tag.write`` (setpoints and modes are tags) and
``mode.*`` records of its members, on the plant's clock (:mod:`dashboard.debrief.actions`).

The pure part (:func:`runs_of`, :func:`build`) is tested without a historian; :func:`collect`
does the reading.

Examples
--------
>>> from historian.base import Point
>>> ev = lambda kind, t, **f: Point("event", {"unit": "u", "kind": kind}, {"run_id": "r1", **f}, t)
>>> runs = runs_of([ev("scenario_started", 10, scenario="s", title_en="Drift", title_fr="Dérive"),
...                 ev("exercise_ended", 90, scenario="s")])
>>> [(r.run_id, r.title["fr"], r.start_ns, r.ended_ns) for r in runs]
[('r1', 'Dérive', 10, 90)]
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from audit import AuditTrail
from config_schema.tagmap import TagMap
from dashboard.debrief.actions import Action, clock_epoch, members, team_actions
from historian.base import Historian, Point

log = logging.getLogger(__name__)

_S = 1_000_000_000
#: Far enough ahead for a run at speed x N (its plant clock runs ahead of the wall).
AHEAD_NS = 365 * 24 * 3600 * _S
RUN_KINDS = ("scenario_started", "exercise_ended")
FAULT_KINDS = ("fault_injected", "fault_started", "fault_ended", "fault_cleared")
ALARM_KINDS = ("alarm_raised", "alarm_cleared", "alarm_acknowledged")
EXERCISE_KINDS = (
    "scenario_started", "scenario_ended", "scenario_stopped", "deviation_reported", "hint_pushed", "hint_opened",
    "limits_warning", "limits_result", "kpi_result", "exercise_ended",
)  # fmt: skip
LANES = ("fault", "alarm", "report", "action")
EVENT_LIMIT = 50_000
TREND_POINTS = 600
#: Tags charted per team at most.
MAX_TRENDS = 6


def run_key(fields: Mapping[str, Any]) -> str:
    """The run an event belongs to: its class run (classroom), else its run id.

    >>> run_key({"run_id": "c1-team-2", "class_run": "c1"}), run_key({"run_id": "r"}), run_key({})
    ('c1', 'r', '')
    """
    return str(fields.get("class_run") or fields.get("run_id") or "")


def team_of(fields: Mapping[str, Any]) -> str:
    return str(fields.get("team") or "")


@dataclass(frozen=True)
class RunInfo:
    """One exercise of a run: from the latest ``scenario_started`` of ``run_id`` (of each team plant) on."""

    run_id: str
    scenario: str
    title: dict[str, str]
    start_ns: int
    #: When the instructor ended it (the last ``exercise_ended``); ``None``: not ended.
    ended_ns: int | None
    #: Team -> when its exercise ended (``""``: a shared plant's end, for every team).
    ended_teams: dict[str, int] = field(default_factory=dict)

    @property
    def ended(self) -> bool:
        return self.ended_ns is not None

    def ended_for(self, team: str) -> bool:
        """Whether ``team``'s exercise has ended (students see nothing before)."""
        return "" in self.ended_teams or team in self.ended_teams


def _title(fields: Mapping[str, Any]) -> dict[str, str]:
    name = str(fields.get("scenario", ""))
    return {"en": str(fields.get("title_en") or name), "fr": str(fields.get("title_fr") or name)}


def runs_of(events: Iterable[Point]) -> list[RunInfo]:
    """The exercises in ``scenario_started`` / ``exercise_ended`` events, newest first (one per run).

    A classroom run starts at the earliest of its team plants' latest starts.
    """
    starts: dict[str, dict[str, Point]] = {}
    ends: dict[str, list[Point]] = {}
    for p in sorted(events, key=lambda e: e.time_ns):
        key = run_key(p.fields)
        if not key:
            continue
        if p.tags.get("kind") == "scenario_started":
            starts.setdefault(key, {})[team_of(p.fields)] = p  # the latest start of a plant wins
        elif p.tags.get("kind") == "exercise_ended":
            ends.setdefault(key, []).append(p)
    runs = []
    for key, by_team in starts.items():
        first = min(by_team.values(), key=lambda p: p.time_ns)
        ended = {team_of(p.fields): p.time_ns for p in ends.get(key, []) if p.time_ns >= first.time_ns}
        f = first.fields
        last = max(ended.values(), default=None)
        runs.append(RunInfo(key, str(f.get("scenario", "")), _title(f), first.time_ns, last, ended))
    return sorted(runs, key=lambda r: r.start_ns, reverse=True)


async def list_runs(historian: Historian, now_ns: int | None = None) -> list[RunInfo]:
    """Every exercise in the historian, newest first."""
    stop = (now_ns or time.time_ns()) + AHEAD_NS
    return runs_of(await historian.events(0, stop, kinds=RUN_KINDS, limit=EVENT_LIMIT))


@dataclass(frozen=True)
class Mark:
    """One item on a team's time axis (``end_ns``: faults only)."""

    team: str
    lane: str
    start_ns: int
    end_ns: int | None
    label: str
    detail: str = ""
    ref: str = ""


@dataclass
class Trend:
    """One faulted tag's samples over the exercise."""

    unit: str
    tag: str
    samples: list[tuple[int, float]]


@dataclass
class Debrief:
    """Everything the debrief page and its exports show (:func:`build`)."""

    run: RunInfo
    end_ns: int
    teams: list[str]
    score: dict[str, Any]
    marks: list[Mark]
    reports: list[dict[str, Any]]
    actions: list[Action]
    faults: list[dict[str, Any]]
    trends: dict[str, list[Trend]] = field(default_factory=dict)

    def team_rows(self) -> list[dict[str, Any]]:
        """The score's teams (ranked), only those shown."""
        return [row for row in self.score.get("teams", []) if row.get("team") in self.teams]


def owner(p: Point, site_teams: Mapping[str, str]) -> str:
    """The team an event concerns: its ``team`` field, else the team whose plant has its site
    (a classroom's alarms carry the team plant's site), else ``""`` (every team).

    >>> owner(Point("event", {"site": "lab-team-2", "kind": "alarm_raised"}, {}, 0), {"lab-team-2": "team-2"})
    'team-2'
    """
    return team_of(p.fields) or site_teams.get(p.tags.get("site", ""), "")


def fault_rows(events: Sequence[Point]) -> list[dict[str, Any]]:
    """One row per fault (``fault_started`` .. ``fault_ended``/``cleared``), oldest first.

    >>> ev = lambda kind, t, **f: Point("event", {"unit": "u", "kind": kind}, {"fault_id": "F1", **f}, t)
    >>> fault_rows([ev("fault_started", 5, fault_kind="leak", target="u", team="team-1", hidden=True),
    ...             ev("fault_cleared", 9)])[0] | {"spec": None}
    {'fault_id': 'F1', 'kind': 'leak', 'unit': 'u', 'tag': '', 'target': 'u', 'team': 'team-1', 'hidden': True, \
'start_ns': 5, 'end_ns': 9, 'magnitude': None, 'spec': None}
    """
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for p in sorted(events, key=lambda e: e.time_ns):
        kind = p.tags.get("kind", "")
        if kind not in FAULT_KINDS:
            continue
        f = p.fields
        key = (str(f.get("run_id", "")), str(f.get("fault_id", "")))
        row = rows.setdefault(
            key,
            {
                "fault_id": key[1], "kind": str(f.get("fault_kind", "")), "unit": p.tags.get("unit", ""),
                "tag": str(f.get("tag", "")), "target": str(f.get("target", "")), "team": team_of(f),
                "hidden": False, "start_ns": None, "end_ns": None, "magnitude": f.get("magnitude"), "spec": None,
            },
        )  # fmt: skip
        row["hidden"] = row["hidden"] or bool(f.get("hidden"))
        if kind == "fault_started" and row["start_ns"] is None:
            row["start_ns"] = p.time_ns
        elif kind in ("fault_ended", "fault_cleared") and row["end_ns"] is None:
            row["end_ns"] = p.time_ns
    return [r for r in rows.values() if r["start_ns"] is not None]


def report_rows(events: Sequence[Point]) -> list[dict[str, Any]]:
    """The ``deviation_reported`` events as dicts (their fields, ``time_ns``), oldest first."""
    return [
        {**p.fields, "unit": p.fields.get("unit") or p.tags.get("unit", ""), "time_ns": p.time_ns}
        for p in sorted(events, key=lambda e: e.time_ns)
        if p.tags.get("kind") == "deviation_reported"
    ]


def _change(a: Action) -> str:
    if a.old is None:
        return f"{a.object} = {a.new}"
    return f"{a.object} {a.old} → {a.new}"


def marks_of(
    teams: Sequence[str],
    events: Sequence[Point],
    faults: Sequence[dict[str, Any]],
    actions: Sequence[Action],
    site_teams: Mapping[str, str] = {},
) -> list[Mark]:
    """The items of every team's time axis: faults, alarms, reports, actions (and hints opened)."""
    out: list[Mark] = []
    for team in teams:
        for f in faults:
            if f["team"] in ("", team):
                label = f"{f['fault_id']} · {f['kind']}"
                out.append(Mark(team, "fault", f["start_ns"], f["end_ns"], label, f["target"], f["fault_id"]))
        for p in events:
            kind, fields = p.tags.get("kind", ""), p.fields
            if owner(p, site_teams) not in ("", team):
                continue
            if kind == "alarm_raised":
                alarm = str(fields.get("alarm_id", ""))
                detail = f"{p.tags.get('unit', '')}.{fields.get('tag', '')}"
                out.append(Mark(team, "alarm", p.time_ns, None, alarm, detail, alarm))
            elif kind == "deviation_reported" and team_of(fields) == team:
                rid = str(fields.get("report_id", ""))
                cause = fields.get("cause") or fields.get("cause_text", "")
                detail = f"{fields.get('unit', '')}: {fields.get('tags', '')} — {cause}"
                out.append(Mark(team, "report", p.time_ns, None, rid, detail, rid))
            elif kind == "hint_opened" and team_of(fields) == team:
                hint = str(fields.get("hint_id", ""))
                out.append(Mark(team, "action", p.time_ns, None, f"? {hint}", str(fields.get("user", "")), hint))
        for a in actions:
            if a.team == team:
                out.append(Mark(team, "action", a.time_ns, None, a.object.split(".")[-1], f"{a.user}: {_change(a)}"))
    return sorted(out, key=lambda m: (m.team, LANES.index(m.lane), m.start_ns))


def in_run(p: Point, key: str) -> bool:
    """Whether an event belongs to run ``key`` (alarms without a run id: by time, see :func:`collect`)."""
    return run_key(p.fields) in (key, "") if p.tags.get("kind", "").startswith("alarm_") else run_key(p.fields) == key


def build(
    run: RunInfo,
    events: Sequence[Point],
    actions: Sequence[Action],
    score: dict[str, Any],
    extra_teams: Sequence[str] = (),
    now_ns: int | None = None,
    site_teams: Mapping[str, str] = {},
) -> Debrief:
    """The debrief of ``run`` from its events (already of the run and its window), actions and score."""
    teams = {str(t["team"]) for t in score.get("teams", []) if t.get("team")}
    teams |= {team_of(p.fields) for p in events if team_of(p.fields)}
    teams |= set(extra_teams)
    ordered = sorted(teams)
    faults = fault_rows(events)
    last = max((p.time_ns for p in events), default=run.start_ns)
    end = run.ended_ns if run.ended_ns is not None else max(last, now_ns or last)
    return Debrief(
        run=run,
        end_ns=end,
        teams=ordered,
        score=score,
        marks=marks_of(ordered, events, faults, actions, site_teams),
        reports=report_rows(events),
        actions=list(actions),
        faults=faults,
    )


def only_team(debrief: Debrief, team: str) -> Debrief:
    """What a member of ``team`` sees: their team's axis, reports, actions, score row and trends."""
    return replace(
        debrief,
        teams=[t for t in debrief.teams if t == team],
        marks=[m for m in debrief.marks if m.team == team],
        reports=[r for r in debrief.reports if team_of(r) == team],
        actions=[a for a in debrief.actions if a.team == team],
        faults=[f for f in debrief.faults if f["team"] in ("", team)],
        trends={k: v for k, v in debrief.trends.items() if k == team},
    )


# -- reading ----------------------------------------------------------------------------------------


Scorer = Callable[[Sequence[Point], str], dict[str, Any]]


def default_scorer(events: Sequence[Point], run_id: str) -> dict[str, Any]:
    from analytics.exercise_scoring import score_exercise

    return score_exercise(list(events), run_id)


async def run_events(historian: Historian, run: RunInfo, now_ns: int | None = None) -> list[Point]:
    """The events of ``run`` from its latest start on (alarms of that window too)."""
    stop = max(now_ns or time.time_ns(), run.ended_ns or 0) + AHEAD_NS
    kinds = (*EXERCISE_KINDS, *FAULT_KINDS, *ALARM_KINDS)
    found = await historian.events(run.start_ns, stop, kinds=kinds, limit=EVENT_LIMIT)
    end = run.ended_ns if run.ended_ns is not None else stop
    return [p for p in found if in_run(p, run.run_id) and (p.time_ns <= end or run_key(p.fields) == run.run_id)]


def faulted_tags(debrief: Debrief, team: str) -> list[tuple[str, str]]:
    """``(unit, tag)`` to chart for ``team``: its faults' tags, else the tags its reports named there."""
    wanted: dict[tuple[str, str], None] = {}
    units = []
    for f in debrief.faults:
        if f["team"] not in ("", team):
            continue
        if f["tag"]:
            wanted[(f["unit"], f["tag"])] = None
        else:
            units.append(f["unit"])
    for r in debrief.reports:
        if team_of(r) == team and r.get("unit") in units:
            for tag in str(r.get("tags", "")).split(","):
                if tag.strip():
                    wanted[(str(r["unit"]), tag.strip())] = None
    return list(wanted)[:MAX_TRENDS]


async def read_trends(historian: Historian, debrief: Debrief, team: str, tagmaps: Sequence[TagMap]) -> list[Trend]:
    """The samples of ``team``'s faulted tags over the exercise (site from the team's tag maps)."""
    sites = {tm.unit: tm.site for tm in tagmaps}
    out = []
    for unit, tag in faulted_tags(debrief, team):
        result = await historian.query_range(
            unit, [tag], debrief.run.start_ns, debrief.end_ns + 1, TREND_POINTS, sites.get(unit)
        )
        samples = [(s.time_ns, s.value) for s in result.series.get(tag, [])]
        out.append(Trend(unit, tag, samples))
    return out


@dataclass
class Sources:
    """Where a debrief reads: the historian, the audit trail and users, the live run's clock, tag maps per team."""

    historian: Historian
    audit: AuditTrail | None = None
    users: Callable[[], Iterable[Any]] = list
    #: The live runs' plant-clock epochs: run key -> epoch (ns).
    live_epochs: Mapping[str, int] = field(default_factory=dict)
    tagmaps: Callable[[str], Sequence[TagMap]] = lambda _team: ()
    teams: Sequence[str] = ()
    scorer: Scorer = default_scorer


async def collect(
    sources: Sources, run: RunInfo, *, trends_for: Sequence[str] = (), now_ns: int | None = None
) -> Debrief:
    """Read, score and assemble one run's debrief; ``trends_for``: the teams whose trends to read."""
    events = await run_events(sources.historian, run, now_ns)
    score = sources.scorer(events, run.run_id)
    actions: list[Action] = []
    team_by_user = members(sources.users())
    end = run.ended_ns if run.ended_ns is not None else max((p.time_ns for p in events), default=run.start_ns)
    if sources.audit is not None and team_by_user:
        epoch = sources.live_epochs.get(run.run_id)
        if epoch is None:
            started = next((p for p in events if p.tags.get("kind") == "scenario_started"), None)
            starts = sources.audit.query(action="scenario.start", limit=1000)
            epoch = clock_epoch(started, starts) if started is not None else None
        actions = team_actions(sources.audit, team_by_user, epoch, run.start_ns, end)
    site_teams = {tm.site: team for team in sources.teams for tm in sources.tagmaps(team)}
    debrief = build(run, events, actions, score, sources.teams, now_ns, site_teams)
    for team in trends_for:
        if team in debrief.teams:
            debrief.trends[team] = await read_trends(sources.historian, debrief, team, sources.tagmaps(team))
    return debrief
