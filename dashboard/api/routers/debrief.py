"""``/api/debrief``: an exercise's debrief (scores, per-team timeline, trends) as JSON, CSV and printable HTML;
``/api/exercise/history``: a student's exercises.

- ``GET /api/debrief/runs``: the exercises the caller may debrief, newest first.
- ``GET /api/debrief/{run_id}``: scores + timeline data (``?team=``: whose trends).
- ``GET /api/debrief/{run_id}.csv``: one row per item (team scores, reports, hints, faults, alarms, actions).
- ``GET /api/debrief/{run_id}.html?lang=fr|en&tz=``: the printable debrief (PDF: the browser's print).
- ``GET /api/exercise/history?user=``: a student's exercises (a student: themself only).

Students may call them, but see only their own team, and only after the instructor ended the
exercise (:mod:`dashboard.debrief.access`: 403 otherwise, naming why); instructors see every
team of every run. Reads the process's root Services: in a classroom every team shares them.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, PlainTextResponse

from dashboard.api.auth import StudentDep
from dashboard.debrief.collect import Debrief, RunInfo
from dashboard.debrief.export import render_html, to_csv
from dashboard.debrief.service import debrief_for, history_for, runs_for
from dashboard.i18n import t
from dashboard.services import Services

router = APIRouter(tags=["debrief"])

RunId = Annotated[str, PathParam(max_length=120, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]
Team = Annotated[str | None, Query(max_length=40, description="the team whose trends to read (a student: their own)")]
DEFAULT_ZONE = "Europe/Paris"
_NO_STORE = {"Cache-Control": "no-store"}


def root_services(request: Request) -> Services:
    """The process's own Services (a classroom's shared historian and trail), not one team's plant."""
    services: Services = request.app.state.services
    return services


RootDep = Annotated[Services, Depends(root_services)]


def run_json(run: RunInfo) -> dict[str, Any]:
    return {
        "run_id": run.run_id, "scenario": run.scenario, "title": run.title, "start_ns": run.start_ns,
        "ended": run.ended, "ended_ns": run.ended_ns,
    }  # fmt: skip


def debrief_json(debrief: Debrief) -> dict[str, Any]:
    """The debrief as plain JSON: its run, teams, leaderboard, timeline items, reports, actions, trends."""
    return {
        "run": run_json(debrief.run),
        "end_ns": debrief.end_ns,
        "teams": debrief.teams,
        "max_points": debrief.score.get("max_points", 0.0),
        "leaderboard": debrief.team_rows(),
        "timeline": [dataclasses.asdict(m) for m in debrief.marks],
        "faults": [{k: v for k, v in f.items() if k != "spec"} for f in debrief.faults],
        "reports": debrief.reports,
        "actions": [dataclasses.asdict(a) for a in debrief.actions],
        "trends": {
            team: [{"unit": tr.unit, "tag": tr.tag, "samples": tr.samples} for tr in trends]
            for team, trends in debrief.trends.items()
        },
    }


async def _debrief(services: Services, who: Any, run_id: str, team: str | None, trends: bool = True) -> Debrief:
    try:
        return await debrief_for(services, who, run_id, team, trends=trends)
    except KeyError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, t("db_unknown_run", "en", run=run_id)) from None


@router.get("/debrief/runs")
async def runs(who: StudentDep, services: RootDep) -> list[dict[str, Any]]:
    """The exercises the caller may debrief (a student: ended ones, when in a team), newest first."""
    return [run_json(r) for r in await runs_for(services, who)]


@router.get("/debrief/{run_id}.csv", response_class=PlainTextResponse, responses={404: {}, 403: {}})
async def debrief_csv(who: StudentDep, services: RootDep, run_id: RunId) -> PlainTextResponse:
    """The debrief as CSV (UTC times, decimal points)."""
    debrief = await _debrief(services, who, run_id, None, trends=False)
    headers = {**_NO_STORE, "Content-Disposition": f'attachment; filename="debrief-{run_id}.csv"'}
    return PlainTextResponse(to_csv(debrief), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/debrief/{run_id}.html", response_class=HTMLResponse, responses={404: {}, 403: {}})
async def debrief_html(
    who: StudentDep,
    services: RootDep,
    run_id: RunId,
    lang: Annotated[str, Query(pattern="^(fr|en)$")] = "fr",
    tz: Annotated[str, Query(max_length=64)] = DEFAULT_ZONE,
) -> HTMLResponse:
    """The printable debrief in French or English."""
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(DEFAULT_ZONE)
    debrief = await _debrief(services, who, run_id, None, trends=False)
    reader = who.display_name or who.name
    return HTMLResponse(render_html(debrief, lang, zone, reader, f"/api/debrief/{run_id}"), headers=_NO_STORE)


@router.get("/debrief/{run_id}", responses={404: {}, 403: {}})
async def debrief(who: StudentDep, services: RootDep, run_id: RunId, team: Team = None) -> dict[str, Any]:
    """Scores and timeline data of one exercise (``team``: whose trends; default the first shown)."""
    return debrief_json(await _debrief(services, who, run_id, team))


@router.get("/exercise/history", responses={403: {}})
async def history(
    who: StudentDep, services: RootDep, user: Annotated[str | None, Query(max_length=64)] = None
) -> list[dict[str, Any]]:
    """A student's exercises, oldest first (default: the caller's own; instructors may name anyone)."""
    return await history_for(services, who, user)
