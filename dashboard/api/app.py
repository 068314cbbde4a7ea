"""Build the FastAPI application serving ``/api`` (the dashboard is mounted by the caller).

Two errors map the same way on every route: an audit trail that cannot be written refuses the
change (503, naming the store), and a role or policy refusal from the service layer is a 403.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from audit import AuditUnavailable
from dashboard.api.routers import alarms, audit, clock, faults, health, history, scenarios, session, tags, writes
from dashboard.auth import pages
from dashboard.services import Services

ROUTERS = (health, session, tags, writes, alarms, clock, faults, scenarios, audit, history)


async def _audit_down(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": f"change refused: {exc}"}, status_code=status.HTTP_503_SERVICE_UNAVAILABLE)


async def _forbidden(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=status.HTTP_403_FORBIDDEN)


def create_api(services: Services) -> FastAPI:
    """The API app; ``services`` is reachable from routes through ``ServicesDep``."""
    # ReDoc and the OAuth2 redirect page are unused; they would only sit outside /api.
    app = FastAPI(
        title="gmp-twin",
        version="0.1.0",
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.services = services
    app.add_exception_handler(AuditUnavailable, _audit_down)
    app.add_exception_handler(PermissionError, _forbidden)
    for module in ROUTERS:
        app.include_router(module.router, prefix="/api")
    app.include_router(pages.router)  # /login, /logout, /account/password
    return app
