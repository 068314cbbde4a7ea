"""FastAPI dependencies as ``Annotated`` aliases: the process's services, each or a 503.

A router names what it needs (``MonitoringDep``, ``ControlDep``, ``RuntimeDep``); a process
that does not run that service answers 503 with the reason, the same for every route.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from analytics.monitoring import MonitoringService
from dashboard.services import Services
from twin.faults.service import TwinControl
from twin.runtime import TwinRuntime

NO_MONITORING = "the monitoring service does not run in this process"
NO_CONTROL = (
    "no simulation runs in this process (dashboard-only role or a real kit): faults and scenarios "
    "are driven through the API of the process started with `gmp-twin run`"
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


def get_control(services: ServicesDep) -> TwinControl:
    """The fault and scenario service of this process, or 503 when none runs here."""
    if services.control is None:
        raise _unavailable(NO_CONTROL)
    return services.control


def get_runtime(services: ServicesDep) -> TwinRuntime:
    """The simulation runtime (its clock and snapshots), or 503 when none runs here."""
    runtime = services.clock_runtime()
    if runtime is None:
        raise _unavailable(NO_RUNTIME)
    return runtime


MonitoringDep = Annotated[MonitoringService, Depends(get_monitoring)]
ControlDep = Annotated[TwinControl, Depends(get_control)]
RuntimeDep = Annotated[TwinRuntime, Depends(get_runtime)]
