"""``GET /api/tags``: every tag with its latest value, unit, timestamp and status."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from asyncua import ua
from fastapi import APIRouter

from dashboard.api.auth import ViewerDep
from dashboard.api.deps import ServicesDep

router = APIRouter(tags=["tags"])


def status_text(code: int) -> str:
    """OPC UA status name, e.g. ``Good`` or ``UncertainEngineeringUnitsExceeded``."""
    try:
        return str(ua.StatusCode(code).name)
    except Exception:  # an unknown code is still shown, as hex
        return f"0x{code:08X}"


@router.get("/tags")
async def list_tags(_who: ViewerDep, services: ServicesDep) -> list[dict[str, Any]]:
    """One entry per tag of every tag map, with its latest historian value (or null)."""
    now_ns = time.time_ns()
    out: list[dict[str, Any]] = []
    for tagmap in services.tagmaps:
        latest = await services.historian.latest(site=tagmap.site, unit=tagmap.unit)
        by_tag = {key.tag: sample for key, sample in latest.items() if key.source == tagmap.source}
        for tag in tagmap.tags:
            sample = by_tag.get(tag.name)
            out.append(
                {
                    "site": tagmap.site,
                    "equipment": tagmap.unit,
                    "name": tag.name,
                    "description": tag.description,
                    "kind": tag.kind,
                    "loop": tag.loop,
                    "unit": tag.unit,
                    "lo": tag.lo,
                    "hi": tag.hi,
                    "source": tagmap.source,
                    "value": None if sample is None else sample.value,
                    "status": None if sample is None else sample.status,
                    "status_text": None if sample is None else status_text(sample.status),
                    "timestamp": None
                    if sample is None
                    else datetime.fromtimestamp(sample.time_ns / 1e9, UTC).isoformat(timespec="milliseconds"),
                    "age_s": None if sample is None else round((now_ns - sample.time_ns) / 1e9, 3),
                }
            )
    return out
