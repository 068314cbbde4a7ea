"""Build the FastAPI application serving ``/api`` (the dashboard is mounted by the caller).

Three errors map the same way on every route: an audit trail that cannot be written refuses the
change (503, naming the store), a twin of another process that cannot be reached is a 503
(:class:`dashboard.remote_control.TwinUnreachable`), and a role or policy refusal from the
service layer is a 403. Swagger UI (``/api/docs``) and ReDoc (``/api/redoc``) are served with
local assets (:mod:`dashboard.api.docs`).
"""

from __future__ import annotations

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from audit import AuditUnavailable
from dashboard.api.docs import add_local_docs
from dashboard.api.routers import (
    alarms,
    audit,
    classroom,
    clock,
    debrief,
    exercise,
    faults,
    health,
    history,
    reports,
    scenarios,
    session,
    tags,
    writes,
)
from dashboard.auth import pages
from dashboard.remote_control import TwinUnreachable
from dashboard.services import Services

ROUTERS = (
    health,
    session,
    tags,
    writes,
    alarms,
    clock,
    faults,
    scenarios,
    audit,
    history,
    reports,
    debrief,
    classroom,
    exercise,
)


async def _audit_down(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": f"change refused: {exc}"}, status_code=status.HTTP_503_SERVICE_UNAVAILABLE)


async def _twin_unreachable(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=status.HTTP_503_SERVICE_UNAVAILABLE)


async def _forbidden(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=status.HTTP_403_FORBIDDEN)


def create_api(services: Services) -> FastAPI:
    """The API app; ``services`` is reachable from routes through ``ServicesDep``."""
    # The documentation pages are added with local assets; the OAuth2 redirect page is unused.
    app = FastAPI(
        title="gmp-twin",
        version="0.1.0",
        docs_url=None,
        openapi_url="/api/openapi.json",
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    add_local_docs(app)
    app.state.services = services
    app.add_exception_handler(AuditUnavailable, _audit_down)
    app.add_exception_handler(TwinUnreachable, _twin_unreachable)
    app.add_exception_handler(PermissionError, _forbidden)
    for module in ROUTERS:
        app.include_router(module.router, prefix="/api")
    app.include_router(pages.router)  # /login, /logout, /account/password
    return app
