"""``GET /api/history``: a time range of tags as CSV or JSON, with engineering units and status.

The same bytes as ``gmp-twin export`` with the same tags and range (both write with
:mod:`historian.export`). ``tags`` are names or ``unit/name``, comma-separated; ``unit``
narrows the lookup; neither: every tag. ``start`` and ``end`` are ISO 8601 (UTC when no
offset is given); ``end`` defaults to just after the newest sample and ``start`` to 1 h
before ``end``. ``max_points`` downsamples each tag in the historian (bucket means).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import StreamingResponse

from dashboard.api.auth import ViewerDep
from dashboard.api.deps import ServicesDep
from historian.export import ExportSeries, csv_chunks, json_document, newest_ns, select_series

router = APIRouter(tags=["history"])

#: The default window when no ``start`` is given.
DEFAULT_WINDOW_S = 3600
_MAX_NS = 2**62


def _ns(moment: datetime) -> int:
    """ns since the epoch, clamped to what historians store (1970 to 2116: int64 ns)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return min(max(round(moment.timestamp() * 1e6) * 1000, 0), _MAX_NS)


def _split(values: list[str] | None) -> list[str]:
    return [part.strip() for value in values or () for part in value.split(",") if part.strip()]


@router.get("/history", response_model=None)
async def history(
    _who: ViewerDep,
    services: ServicesDep,
    tags: Annotated[list[str] | None, Query(description="tag names or unit/name, comma-separated")] = None,
    unit: Annotated[list[str] | None, Query(description="units, comma-separated (default: all)")] = None,
    start: Annotated[datetime | None, Query(description="ISO 8601, UTC unless an offset is given")] = None,
    end: Annotated[
        datetime | None, Query(description="ISO 8601, excluded; default just after the newest sample")
    ] = None,
    format: Annotated[Literal["csv", "json"], Query(description="csv or json")] = "json",
    max_points: Annotated[int | None, Query(ge=1, le=1_000_000, description="downsample each tag")] = None,
) -> StreamingResponse | dict[str, Any]:
    """A time range of tags, one row per sample (time, site, unit, tag, value, eu, status, status_name)."""
    try:
        series = select_series(services.tagmaps, _split(unit), _split(tags))
    except ValueError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    if end is not None:
        end_ns = _ns(end)
    else:
        newest = await newest_ns(services.historian, series) if series else None
        end_ns = (newest if newest is not None else time.time_ns()) + 1
    start_ns = _ns(start) if start is not None else end_ns - DEFAULT_WINDOW_S * 1_000_000_000
    if end_ns <= start_ns:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "end must be after start")
    if format == "json":
        return await json_document(services.historian, series, start_ns, end_ns, max_points)
    return StreamingResponse(
        _stream(services, series, start_ns, end_ns, max_points),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_filename(series, start_ns)}"'},
    )


async def _stream(
    services: Any, series: list[ExportSeries], start_ns: int, end_ns: int, max_points: int | None
) -> AsyncIterator[bytes]:
    async for chunk in csv_chunks(services.historian, series, start_ns, end_ns, max_points):
        yield chunk


def _filename(series: list[ExportSeries], start_ns: int) -> str:
    """``history-<unit or plant>-<start UTC>.csv``."""
    units = {s.unit for s in series}
    what = next(iter(units)) if len(units) == 1 else "plant"
    return f"history-{what}-{datetime.fromtimestamp(start_ns / 1e9, UTC):%Y%m%dT%H%M%SZ}.csv"
