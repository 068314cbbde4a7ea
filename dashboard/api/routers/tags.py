"""``GET /api/tags``: every tag with its latest value, unit, timestamp, status and age.

Ages are measured against the clock the values are stamped with (:mod:`dashboard.time_basis`):
the wall clock when the plant runs live, the simulation's "now" when it runs accelerated,
paused or ahead of the wall. A value JSON cannot carry (NaN, infinity) is ``null``.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from asyncua import ua
from fastapi import APIRouter

from dashboard.api.auth import ViewerDep
from dashboard.api.deps import ServicesDep
from dashboard.time_basis import time_basis
from historian.base import Sample

router = APIRouter(tags=["tags"])


def status_text(code: int) -> str:
    """OPC UA status name, e.g. ``Good`` or ``UncertainEngineeringUnitsExceeded``."""
    try:
        return str(ua.StatusCode(code).name)
    except Exception:  # an unknown code is still shown, as hex
        return f"0x{code:08X}"


def json_number(value: float | None) -> float | None:
    """``value``, or ``None`` where JSON has no number (NaN, ±infinity).

    >>> json_number(1.5), json_number(float("nan")), json_number(float("inf"))
    (1.5, None, None)
    """
    return None if value is None or not math.isfinite(value) else value


@router.get("/tags")
async def list_tags(_who: ViewerDep, services: ServicesDep) -> list[dict[str, Any]]:
    """One entry per tag of every tag map, with its latest historian value (or null)."""
    latest: list[dict[str, Sample]] = []
    for tagmap in services.tagmaps:
        found = await services.historian.latest(site=tagmap.site, unit=tagmap.unit)
        latest.append({key.tag: sample for key, sample in found.items() if key.source == tagmap.source})
    newest = max((s.time_ns for by_tag in latest for s in by_tag.values()), default=None)
    basis = time_basis(services, newest_ns=newest)
    out: list[dict[str, Any]] = []
    for tagmap, by_tag in zip(services.tagmaps, latest, strict=True):
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
                    "value": None if sample is None else json_number(sample.value),
                    "status": None if sample is None else sample.status,
                    "status_text": None if sample is None else status_text(sample.status),
                    "timestamp": None
                    if sample is None
                    else datetime.fromtimestamp(sample.time_ns / 1e9, UTC).isoformat(timespec="milliseconds"),
                    "age_s": None if sample is None else round(basis.age_s(sample.time_ns), 3),
                    "time_basis": "simulated" if basis.simulated else "wall",
                }
            )
    return out
