"""What the instructor's classroom view reads and does for every team plant at once.

One function per question, over a :class:`dashboard.classroom.Classroom` (each team's
:class:`dashboard.services.Services`): :func:`classroom_state` (each team's scenario, key
values, active alarms, OEE and number of deviation reports, JSON-ready), :func:`start_all`
(one scenario for every team, or one per team) and :func:`end_all` (the exercise ended on every
team plant with one electronic signature). The ``/api/classroom`` routes and the classroom page
(:mod:`dashboard.pages.classroom`) both call them; each change goes through the team's own
:class:`twin.faults.service.TwinControl`, so it is audited on that team's run.

The latest values come from one historian query for the whole class (every team plant writes
to the same historian, each under its site ``<site>-team-k``): :func:`latest_by_unit` groups
them by site and unit.

Examples
--------
>>> from config_schema.tagmap import TagEntry, TagMap
>>> tm = TagMap(endpoint="opc.tcp://h:1", site="s", unit="u", tags=[
...     TagEntry(name="state", node="ns=2;s=a", kind="state", states={0: "x", 1: "y"}),
...     TagEntry(name="level", node="ns=2;s=b"),
...     TagEntry(name="ph", node="ns=2;s=c", nor=(6.8, 7.2)),
...     TagEntry(name="level_sp", node="ns=2;s=d", kind="setpoint")])
>>> [tag.name for tag in key_tags(tm)]
['ph', 'level', 'state']
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from analytics.oee import OeeReport, SixBigLosses, line_oee
from audit import Actor, Signature
from config_schema.tagmap import TagEntry, TagMap
from dashboard.classroom import Classroom
from dashboard.services import Services
from historian.base import Sample, SeriesKey

log = logging.getLogger(__name__)

#: Values shown per unit on a team's card: its critical parameters first, a glance not a faceplate.
KEY_TAGS = 3

#: Latest samples by ``(site, unit)``, then tag name.
Latest = Mapping[tuple[str, str], Mapping[str, Sample]]


def key_tags(tagmap: TagMap, n: int = KEY_TAGS) -> list[TagEntry]:
    """The tags a team card shows for a unit: CPPs (with a NOR), then measurements, then named states."""
    cpps = [tag for tag in tagmap.tags if tag.nor is not None]
    measured = [tag for tag in tagmap.tags if tag.nor is None and tag.kind == "measurement"]
    states = [tag for tag in tagmap.tags if tag.states and tag.kind == "state"]
    return (cpps + measured + states)[:n]


def latest_by_unit(samples: Mapping[SeriesKey, Sample]) -> dict[tuple[str, str], dict[str, Sample]]:
    """Group a historian ``latest()`` answer by ``(site, unit)`` (the newest sample when sources differ).

    >>> sim, plc = SeriesKey("s", "u", "a"), SeriesKey("s", "u", "a", "plc")
    >>> out = latest_by_unit({sim: Sample(2, 1.0), plc: Sample(1, 0.0)})
    >>> out[("s", "u")]["a"].value
    1.0
    """
    out: dict[tuple[str, str], dict[str, Sample]] = {}
    for key, sample in samples.items():
        unit = out.setdefault((key.site, key.unit), {})
        old = unit.get(key.tag)
        if old is None or sample.time_ns > old.time_ns:
            unit[key.tag] = sample
    return out


def unit_values(tagmap: TagMap, latest: Mapping[str, Sample]) -> dict[str, Any]:
    """A unit's key values as plain data: ``{unit, values: [{tag, value, status, time_ns}]}``."""
    values = []
    for tag in key_tags(tagmap):
        sample = latest.get(tag.name)
        values.append(
            {
                "tag": tag.name,
                "value": None if sample is None else sample.value,
                "status": None if sample is None else sample.status,
                "time_ns": None if sample is None else sample.time_ns,
            }
        )
    return {"unit": tagmap.unit, "values": values}


def control_view(team: str, services: Services) -> dict[str, Any]:
    """What a team's control says: run id, scenario (instructor's view), clock, number of reports."""
    control = services.plant_control()
    if control is None:
        return {"run_id": None, "scenario": None, "clock": None, "reports": 0}
    return {
        "run_id": control.run_id,
        "scenario": control.scenario_state("instructor"),
        "clock": control.clock(),
        "reports": len(control.reports(team)),
    }


def control_views(room: Classroom) -> dict[str, dict[str, Any]]:
    """Every team's :func:`control_view` in one hop onto the loop the team plants step on.

    From a Dash worker thread each control call is marshalled onto that loop and waits its
    turn; asking every team's four questions in one job costs one wait instead of 4 × N.
    """
    control = room.first().control

    def views() -> dict[str, dict[str, Any]]:
        return {team: control_view(team, services) for team, services in room.teams.items()}

    return control.call(views) if control is not None else views()


def team_state(
    team: str, services: Services, latest: Latest, control: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """One team plant at a glance (JSON-ready), as an instructor sees it.

    ``scenario`` is the instructor's view of the team's scenario (``None``: none started);
    ``alarms`` the number of annunciated alarms and ``oee`` each unit's OEE (``None`` without a
    monitoring service); ``reports`` the team's deviation reports. ``control``: the team's
    :func:`control_view` when already asked (:func:`control_views`).
    """
    state: dict[str, Any] = {
        "team": team,
        "site": services.site,
        **(control if control is not None else control_view(team, services)),
        "alarms": None,
        "oee": None,
        "units": [unit_values(tm, latest.get((tm.site, tm.unit), {})) for tm in services.tagmaps],
    }
    monitoring = services.monitoring
    if monitoring is not None:
        state["alarms"] = len(monitoring.alarms(recent=0)["active"])
        state["oee"] = unit_oee(monitoring.oee_views())
    return state


def _report(data: Mapping[str, Any]) -> OeeReport:
    return OeeReport(**{**data, "losses": SixBigLosses(**data["losses"])})


def unit_oee(views: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each unit's OEE from the monitoring's machine views (in line order): a line's OEE
    (:func:`analytics.oee.line_oee`: end-of-line output at the bottleneck's rate) or its one
    machine's; ``machines`` keeps each machine's own."""
    reports: dict[str, list[OeeReport]] = {}
    for view in views:
        if view["report"] is not None:
            reports.setdefault(view["unit"], []).append(_report(view["report"]))
    return [
        {
            "unit": unit,
            "oee": line_oee(machines).oee if len(machines) > 1 else machines[0].oee,
            "machines": {r.machine: r.oee for r in machines},
        }
        for unit, machines in reports.items()
    ]


def classroom_state(room: Classroom, latest: Latest) -> dict[str, Any]:
    """Every team plant at a glance: ``{class_run, teams: [team_state, ...]}`` in the classroom's order."""
    controls = control_views(room)
    return {
        "class_run": room.class_run,
        "teams": [team_state(team, services, latest, controls[team]) for team, services in room.teams.items()],
    }


def scenario_names(room: Classroom, lang: str = "en") -> list[dict[str, Any]]:
    """The scenario library (every team plant has the same units, so the first team's answers for all)."""
    control = room.first().plant_control()
    return control.scenarios(lang) if control is not None else []


def assignments_for(
    room: Classroom, scenario: str | None, assignments: Mapping[str, str | None] | None
) -> dict[str, str]:
    """Which team starts which scenario: ``scenario`` for every team, or ``assignments`` (team -> name).

    Teams an assignment leaves out (or maps to nothing) start nothing.

    Raises
    ------
    ValueError
        Neither or both given, an unknown team (the message lists the teams).
    """
    if (scenario is None) == (assignments is None):
        raise ValueError("give either one scenario for every team or assignments (team -> scenario), not both")
    if scenario is not None:
        return dict.fromkeys(room.names(), scenario)
    picked = {team: name for team, name in (assignments or {}).items() if name}
    unknown = sorted(set(picked) - set(room.teams))
    if unknown:
        raise ValueError(f"unknown team(s) {', '.join(unknown)}; the teams are {', '.join(room.names())}")
    if not picked:
        raise ValueError("no scenario assigned to any team")
    return {team: picked[team] for team in room.names() if team in picked}


def start_all(
    room: Classroom,
    plan: Mapping[str, str],
    *,
    hidden: bool | None,
    actor: Actor,
    signature: Signature | None = None,
) -> dict[str, Any]:
    """Start ``plan`` (team -> scenario, from :func:`assignments_for`) on each team plant.

    Every name is checked against the library before any team starts, so a typo starts nothing.
    Returns ``{started: {team: scenario state}, errors: {team: message}}``: one team's refusal
    (its plant cannot run it, its audit trail is down) does not stop the others.

    Raises
    ------
    KeyError
        A scenario not in the library (nothing started).
    """
    known = {s["name"] for s in scenario_names(room)}
    missing = sorted(set(plan.values()) - known)
    if missing:
        raise KeyError(
            f"unknown scenario(s) {', '.join(missing)}; the library has {', '.join(sorted(known)) or 'none'}"
        )
    started: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for team, name in plan.items():
        control = room.teams[team].plant_control()
        if control is None:
            errors[team] = "no simulation runs for this team"
            continue
        try:
            started[team] = control.start_scenario(name, hidden=hidden, actor=actor, signature=signature)
        except (ValueError, KeyError, PermissionError) as exc:
            log.warning("classroom: %s could not start %s: %s", team, name, exc)
            errors[team] = str(exc.args[0]) if isinstance(exc, KeyError) else str(exc)
    return {"started": started, "errors": errors}


def end_all(room: Classroom, *, actor: Actor, signature: Signature | None) -> dict[str, Any]:
    """End the exercise on every team plant (faults revealed), under one signature.

    Returns ``{ended: {team: result}, errors: {team: message}}``; a team without a running
    exercise is listed in ``errors``. Without a signature every team refuses (``PermissionError``
    from the first, nothing ended).
    """
    if signature is None:
        raise PermissionError("ending the exercise needs an electronic signature (your password and a meaning)")
    ended: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for team, services in room.teams.items():
        control = services.plant_control()
        if control is None:
            errors[team] = "no simulation runs for this team"
            continue
        try:
            ended[team] = control.end_exercise(actor=actor, signature=signature)
        except (ValueError, PermissionError) as exc:  # ExerciseClosed: nothing running on that plant
            errors[team] = str(exc)
    return {"ended": ended, "errors": errors}
