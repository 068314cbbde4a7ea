"""``/api/audit``: the audit trail for instructors and admins, filtered, as JSON or CSV.

Read only: nothing in the API edits or deletes a record. ``gmp-twin audit verify`` checks
the hash chain.
"""

from __future__ import annotations

import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import PlainTextResponse
from pydantic import AfterValidator

from audit import AuditTrail
from audit.export import export
from audit.record import normalize_ts
from dashboard.api.auth import InstructorDep
from dashboard.api.deps import ServicesDep

router = APIRouter(tags=["audit"])


def _iso_time(value: str | None) -> str | None:
    """A ``since``/``until`` that is not ISO 8601 is a 422 naming the parameter, not a 500."""
    if value:
        normalize_ts(value)
    return value


IsoTime = Annotated[str | None, AfterValidator(_iso_time)]


def _trail(services: Any) -> AuditTrail:
    if services.audit is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "this process keeps no audit trail")
    trail: AuditTrail = services.audit
    return trail


@router.get("/audit", response_model=None)
async def audit_records(
    _who: InstructorDep,
    services: ServicesDep,
    user: Annotated[str | None, Query(max_length=64)] = None,
    unit: Annotated[str | None, Query(max_length=40)] = None,
    obj: Annotated[
        str | None, Query(alias="object", max_length=120, description="prefix, e.g. mps-pa.level_sp")
    ] = None,
    action: Annotated[str | None, Query(max_length=40, description="prefix, e.g. tag or fault.inject")] = None,
    since: Annotated[IsoTime, Query(max_length=40, description="UTC, ISO 8601")] = None,
    until: Annotated[IsoTime, Query(max_length=40, description="UTC, ISO 8601")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> list[dict[str, Any]] | PlainTextResponse:
    """Records newest first: who, what (old → new), when (UTC and simulated), why, result, signature."""
    trail = _trail(services)
    if format == "csv":
        out = io.StringIO()
        export(trail.path, "csv", out, user=user, unit=unit, obj=obj, action=action, since=since, until=until,
               limit=limit, newest_first=True)  # fmt: skip
        return PlainTextResponse(out.getvalue(), media_type="text/csv")
    records = trail.query(user=user, unit=unit, obj=obj, action=action, since=since, until=until, limit=limit)
    return [{**r.as_dict(), "manifestation": r.signature_manifestation()} for r in records]
