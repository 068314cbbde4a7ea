"""Build the FastAPI application serving ``/api`` (the dashboard is mounted by the caller)."""

from __future__ import annotations

from fastapi import FastAPI

from dashboard.api.routers import alarms, clock, faults, health, scenarios, tags
from dashboard.services import Services

ROUTERS = (health, tags, alarms, clock, faults, scenarios)


def create_api(services: Services) -> FastAPI:
    """The API app; ``services`` is reachable from routes through ``ServicesDep``."""
    app = FastAPI(title="gmp-twin", version="0.1.0", docs_url="/api/docs", openapi_url="/api/openapi.json")
    app.state.services = services
    for module in ROUTERS:
        app.include_router(module.router, prefix="/api")
    return app
