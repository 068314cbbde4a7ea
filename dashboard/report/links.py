"""The link from a unit page to its batch reports (only for unit types with batches)."""

from __future__ import annotations

from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from dash import html

from config_schema.tagmap import TagMap
from dashboard.i18n import t
from dashboard.report.batches import RULES


def report_links(tm: TagMap, lang: str, zone: ZoneInfo) -> list[html.P]:
    """``[link]`` to ``/api/reports/<unit>`` for a dryer, bioreactor or autoclave; ``[]`` otherwise.

    >>> from config_schema.tagmap import TagEntry
    >>> tm = TagMap(site="lab", unit="dryer-1", unit_type="fluid_bed_dryer", endpoint="opc.tcp://h:4840",
    ...             tags=[TagEntry(name="phase", node="ns=2;s=p")])
    >>> report_links(tm, "fr", ZoneInfo("UTC"))[0].children.href
    '/api/reports/dryer-1?lang=fr&tz=UTC'
    >>> report_links(tm.model_copy(update={"unit_type": "mps_pa"}), "fr", ZoneInfo("UTC"))
    []
    """
    if tm.unit_type not in RULES:
        return []
    href = f"/api/reports/{tm.unit}?{urlencode({'lang': lang, 'tz': zone.key})}"
    link = html.A(t("rp_link", lang), href=href, id=f"report-link-{tm.unit}", className="report-link")
    return [html.P(link, className="report-links")]
