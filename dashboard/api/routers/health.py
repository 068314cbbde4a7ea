"""``GET /api/health``: is every component up, and its counters."""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from dashboard.api.auth import PublicDep
from dashboard.api.deps import ServicesDep
from historian.urls import redact, redact_all

router = APIRouter(tags=["health"])


def finite(value: Any) -> Any:
    """``value`` with every NaN or infinite float, however deep, replaced by ``None`` (JSON has neither).

    >>> finite({"speed": float("inf"), "x": [1.0, float("nan")], "ok": True})
    {'speed': None, 'x': [1.0, None], 'ok': True}
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite(item) for item in value]
    return value


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
    # A counter may be NaN or infinite (a rate at speed "max"): null, never a 500.
    return JSONResponse(finite(body), status_code=200 if ok else 503)
