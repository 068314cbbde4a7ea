"""The debrief's reads for the API and the pages: sources from a process's Services, access applied.

Both the API router (:mod:`dashboard.api.routers.debrief`) and the Dash pages call
:func:`debrief_for` / :func:`history_for` with the caller's :class:`access.Principal`, so the
rule of :mod:`dashboard.debrief.access` is applied on the server in one place. They read the
process's *root* Services (in a classroom, every team plant shares its historian and trail).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from access import Principal
from analytics.exercise_history import student_history
from dashboard.debrief.access import DebriefRefused, check_team, runs_seen, sees_every_team
from dashboard.debrief.collect import (
    Debrief,
    RunInfo,
    Sources,
    collect,
    list_runs,
    only_team,
    read_trends,
    run_events,
)
from dashboard.services import Services

log = logging.getLogger(__name__)


def sources_of(services: Services) -> Sources:
    """Where a debrief reads, from the process's root Services."""
    room = services.classroom
    epochs: dict[str, int] = {}
    plants = list(room.teams.values()) if room is not None else [services]
    for plant in plants:
        runtime, control = plant.clock_runtime(), plant.plant_control()
        if runtime is not None and control is not None:
            key = room.class_run if room is not None else control.run_id
            epochs.setdefault(key, runtime.clock.epoch_ns)
    gate = services.gate

    def users() -> list[Any]:
        return gate.authenticator.store.users() if gate is not None else []

    def tagmaps(team: str) -> Sequence[Any]:
        if room is not None and team in room.teams:
            return room.teams[team].tagmaps
        return services.tagmaps

    return Sources(
        historian=services.historian,
        audit=services.audit,
        users=users,
        live_epochs=epochs,
        tagmaps=tagmaps,
        teams=room.names() if room is not None else (),
    )


async def runs_for(services: Services, principal: Principal) -> list[RunInfo]:
    """The exercises the caller may debrief, newest first."""
    return runs_seen(principal, await list_runs(services.historian))


async def find_run(services: Services, run_id: str) -> RunInfo | None:
    return next((r for r in await list_runs(services.historian) if r.run_id == run_id), None)


async def debrief_for(
    services: Services, principal: Principal, run_id: str, team: str | None = None, *, trends: bool = True
) -> Debrief:
    """The debrief of ``run_id`` as the caller may see it; ``team`` selects the trends (and, for a
    student, must be their own). ``KeyError`` for an unknown run, :class:`DebriefRefused` when refused."""
    run = await find_run(services, run_id)
    if run is None:
        raise KeyError(run_id)
    shown = check_team(principal, run, team)
    sources = sources_of(services)
    debrief = await collect(sources, run)
    if not sees_every_team(principal):
        assert shown is not None
        debrief = only_team(debrief, shown)
    chart = shown or (debrief.teams[0] if debrief.teams else None)  # an instructor's default: the first team
    if trends and chart in debrief.teams:
        assert chart is not None
        debrief.trends[chart] = await read_trends(services.historian, debrief, chart, sources.tagmaps(chart))
    return debrief


async def history_for(services: Services, principal: Principal, user: str | None) -> list[dict[str, Any]]:
    """``user``'s exercises (default: the caller's); a student may ask for themself only, and sees
    ended exercises only."""
    name = user or principal.name
    if name != principal.name and not sees_every_team(principal):
        raise DebriefRefused("hs_only_self")
    runs = await list_runs(services.historian)
    if not sees_every_team(principal):
        runs = [r for r in runs if r.ended]
    sources = sources_of(services)
    scored = []
    for run in reversed(runs):  # oldest first
        events = await run_events(services.historian, run)
        scored.append(sources.scorer(events, run.run_id))
    return student_history(scored, name)
