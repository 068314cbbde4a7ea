"""``GET /api/health``: is every component up, and its counters."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from dashboard.api.auth import PublicDep
from dashboard.api.deps import ServicesDep
from historian.urls import redact, redact_all

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(_who: PublicDep, services: ServicesDep) -> JSONResponse:
    """200 with ``status: ok`` when the historian answers, else 503 with ``status: degraded``."""
    historian_up = await services.historian.ping()
    components: dict[str, Any] = {"historian": {"url": redact(services.historian.url), "up": historian_up}}
    for name, provider in services.health.items():
        components[name] = provider()
    ok = historian_up and all(c.get("ok", True) for c in components.values() if isinstance(c, dict))
    # Every component's text goes through the same redaction: a URL inside an error message too.
    body = {"status": "ok" if ok else "degraded", "site": services.site, "components": redact_all(components)}
    return JSONResponse(body, status_code=200 if ok else 503)
