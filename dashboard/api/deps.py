"""FastAPI dependencies as ``Annotated`` aliases: the process's services, each or a 503.

A router names what it needs (``MonitoringDep``, ``ControlDep``, ``RuntimeDep``); a process
that does not run that service answers 503 with the reason, the same for every route. In a
classroom every dependency reads the caller's team's plant (:func:`get_services`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from analytics.monitoring import MonitoringService
from dashboard.api.auth import request_principal
from dashboard.classroom import TEAM_ARG, TEAM_COOKIE, requested_team, sees_every_team
from dashboard.services import PlantControl, Services
from twin.runtime import TwinRuntime

NO_MONITORING = "the monitoring service does not run in this process"
NO_CONTROL = (
    "no simulation runs in this process and no twin is connected (a real kit, or the dashboard role "
    "without GMP_TWIN_OPCUA_ENDPOINT): faults and scenarios are driven in the process started with "
    "`gmp-twin run`, or through the twin the dashboard role connects to"
)
NO_RUNTIME = (
    "no simulation runs in this process (dashboard-only role or a real kit); "
    "use the API of the process started with `gmp-twin run`"
)


def get_services(request: Request) -> Services:
    """The services given to :func:`dashboard.api.app.create_api`, or in a classroom the caller's team's.

    In a classroom (:mod:`dashboard.classroom`) a student gets their own team's plant whatever
    ``?team=`` says (an empty plant when in no team); an instructor gets ``?team=`` (404 for a team
    the classroom does not have), else the ``gmp_team`` cookie's, else the first team's.
    """
    services: Services = request.app.state.services
    room = services.classroom
    if room is None:
        return services
    principal = request_principal(request)
    asked = request.query_params.get(TEAM_ARG)
    if asked and asked not in room.teams and sees_every_team(principal):
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"no team {asked!r} in this classroom; teams: {', '.join(room.names())}"
        )
    team = requested_team(request.query_params, request.headers.get("referer"), request.cookies.get(TEAM_COOKIE))
    return room.services_for(principal, team)


ServicesDep = Annotated[Services, Depends(get_services)]


def _unavailable(reason: str) -> HTTPException:
    return HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, reason)


def get_monitoring(services: ServicesDep) -> MonitoringService:
    """The monitoring service, or 503 when this process does not run one."""
    if services.monitoring is None:
        raise _unavailable(NO_MONITORING)
    return services.monitoring


def get_control(services: ServicesDep) -> PlantControl:
    """The fault and scenario service (in this process, or the twin's over OPC UA), or 503 when there is none."""
    control = services.plant_control()
    if control is None:
        raise _unavailable(NO_CONTROL)
    return control


def get_runtime(services: ServicesDep) -> TwinRuntime:
    """The simulation runtime (its clock and snapshots), or 503 when none runs here."""
    runtime = services.clock_runtime()
    if runtime is None:
        raise _unavailable(NO_RUNTIME)
    return runtime


MonitoringDep = Annotated[MonitoringService, Depends(get_monitoring)]
ControlDep = Annotated[PlantControl, Depends(get_control)]
RuntimeDep = Annotated[TwinRuntime, Depends(get_runtime)]
