"""``/api/reports``: printable batch reports (HTML, FR/EN) per dryer or bioreactor batch and autoclave cycle.

- ``GET /api/reports``: every unit with batches and its batches, newest first.
- ``GET /api/reports/{unit}``: one unit's batches; with ``?batch=<id>`` that batch's report.
- ``GET /api/reports/assets/{name}``: plotly.js and its French locale, served from this server
  (the ``plotly`` package's own file, the one Dash serves): the reports work without internet.

Viewers may read reports. Faults hidden from students during an exercise are shown to an
instructor and, to anyone else, only once revealed (:mod:`dashboard.report.events`). Query
``lang`` (``fr``/``en``) and ``tz`` (the time zone of the times shown, default Europe/Paris).
The PDF is the browser's "print to PDF" (the page has a print stylesheet).
"""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, HTTPException, Query, status
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse

from access import Principal
from dashboard.api.auth import ViewerDep
from dashboard.api.deps import ServicesDep
from dashboard.i18n import t
from dashboard.report.collect import collect, find_batch, list_batches, rule_of
from dashboard.report.render import Page, render_list, render_report
from dashboard.services import Services
from dashboard.time_basis import time_basis

log = logging.getLogger(__name__)
router = APIRouter(tags=["reports"])

Lang = Annotated[str, Query(pattern="^(fr|en)$", description="fr or en")]
Zone = Annotated[str, Query(max_length=64, description="IANA time zone of the times shown")]
DEFAULT_ZONE = "Europe/Paris"
#: The files ``assets/{name}`` serves (nothing else: never a path from the request).
ASSETS: dict[str, Path] = {
    "plotly.min.js": Path(str(resources.files("plotly") / "package_data" / "plotly.min.js")),
    "plotly-locale-fr.js": Path(__file__).resolve().parents[2] / "assets" / "plotly-locale-fr.js",
}
_NO_STORE = {"Cache-Control": "no-store"}


def _page(lang: str, tz: str, who: Principal, services: Services) -> Page:
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(DEFAULT_ZONE)
    reader = t("rp_anonymous", lang) if who.role == "anonymous" else who.display_name or who.name
    basis = time_basis(services)  # the data's clock (simulated at speed x N), not always the wall
    return Page(lang, zone, reader, now_ns=basis.now_ns, simulated=basis.simulated)


@router.get("/reports/assets/{name}", response_class=FileResponse)
async def asset(_who: ViewerDep, name: Annotated[str, PathParam(max_length=40)]) -> FileResponse:
    """plotly.js (and its French locale) for the report charts, from this server."""
    path = ASSETS.get(name)
    if path is None or not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no report asset {name!r}; assets: {', '.join(ASSETS)}")
    return FileResponse(path, media_type="text/javascript", headers={"Cache-Control": "max-age=86400"})


@router.get("/reports", response_class=HTMLResponse)
async def reports(who: ViewerDep, services: ServicesDep, lang: Lang = "fr", tz: Zone = DEFAULT_ZONE) -> HTMLResponse:
    """Every unit with batches (dryers, bioreactors, autoclaves) and its batches, newest first."""
    page = _page(lang, tz, who, services)
    units = [(tm, await list_batches(services.historian, tm)) for tm in services.tagmaps if rule_of(tm)]
    return HTMLResponse(render_list(units, page), headers=_NO_STORE)


@router.get("/reports/{unit}", response_class=HTMLResponse, responses={404: {"description": "unknown unit or batch"}})
async def unit_report(
    who: ViewerDep,
    services: ServicesDep,
    unit: Annotated[str, PathParam(max_length=80)],
    batch: Annotated[str | None, Query(max_length=20, description="batch id (YYYYMMDD-HHMMSS, UTC start)")] = None,
    lang: Lang = "fr",
    tz: Zone = DEFAULT_ZONE,
) -> HTMLResponse:
    """A unit's batches, or with ``batch`` the printable report of that batch."""
    page = _page(lang, tz, who, services)
    tm = next((x for x in services.tagmaps if x.unit == unit), None)
    if tm is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, t("rp_unknown_unit", lang, unit=unit))
    if batch is None:
        title = t("rp_batches_of", lang, unit=unit)
        return HTMLResponse(
            render_list([(tm, await list_batches(services.historian, tm))], page, title), headers=_NO_STORE
        )
    found = await find_batch(services.historian, tm, batch) if rule_of(tm) else None
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, t("rp_unknown_batch", lang, batch=batch))
    report = await collect(
        services.historian, tm, found, instructor=who.may("instructor"), control=services.plant_control()
    )
    return HTMLResponse(render_report(report, page), headers=_NO_STORE)
