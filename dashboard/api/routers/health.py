"""``GET /api/health``: is every component up, and its counters."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from dashboard.api.auth import PublicDep
from dashboard.api.deps import ServicesDep

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(_who: PublicDep, services: ServicesDep) -> JSONResponse:
    """200 with ``status: ok`` when the historian answers, else 503 with ``status: degraded``."""
    historian_up = await services.historian.ping()
    components: dict[str, Any] = {"historian": {"url": _redact(services.historian.url), "up": historian_up}}
    for name, provider in services.health.items():
        components[name] = provider()
    ok = historian_up and all(c.get("ok", True) for c in components.values() if isinstance(c, dict))
    body = {"status": "ok" if ok else "degraded", "site": services.site, "components": components}
    return JSONResponse(body, status_code=200 if ok else 503)


def _redact(url: str) -> str:
    # Never echo credentials that may sit in a URL.
    if "@" in url:
        scheme, _, rest = url.partition("://")
        return f"{scheme}://***@{rest.rpartition('@')[2]}"
    return url
