"""FastAPI dependencies as ``Annotated`` aliases: the process's services, each or a 503.

A router names what it needs (``MonitoringDep``, ``ControlDep``, ``RuntimeDep``); a process
that does not run that service answers 503 with the reason, the same for every route.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from analytics.monitoring import MonitoringService
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
    """The services given to :func:`dashboard.api.app.create_api`."""
    services: Services = request.app.state.services
    return services


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
