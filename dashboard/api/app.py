"""Build the FastAPI application serving ``/api`` (the dashboard is mounted by the caller)."""

from __future__ import annotations

from fastapi import FastAPI

from dashboard.api.routers import alarms, clock, faults, health, scenarios, tags
from dashboard.api.state import ApiState


def create_api(state: ApiState) -> FastAPI:
    """The API app; ``state`` is reachable from routes through ``StateDep``."""
    app = FastAPI(title="gmp-twin", version="0.1.0", docs_url="/api/docs", openapi_url="/api/openapi.json")
    app.state.gmp = state
    app.include_router(health.router, prefix="/api")
    app.include_router(tags.router, prefix="/api")
    app.include_router(alarms.router, prefix="/api")
    app.include_router(clock.router, prefix="/api")
    app.include_router(faults.router, prefix="/api")
    app.include_router(scenarios.router, prefix="/api")
    return app
