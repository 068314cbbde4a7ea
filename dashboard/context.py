"""What every dashboard page gets: tag maps, historian access, time zone, language, services.

Pages are modules under ``dashboard/pages`` with a ``register(app, ctx)`` function that
registers the page and its callbacks, so a new page never edits another page's file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import dash
from dash import dcc, html

from config_schema.tagmap import TagMap
from dashboard.data import HistorianGateway
from dashboard.i18n import LANGS, t


@dataclass
class DashContext:
    """Shared, read-only context of the dashboard pages.

    Parameters
    ----------
    tagmaps : list[TagMap]
        Units shown, with their tag metadata.
    gateway : HistorianGateway
        Synchronous historian access for callbacks.
    zone : ZoneInfo
        Time zone of the time axes.
    default_lang : str
        ``fr`` or ``en`` when the URL has no ``?lang=``.
    services : dict[str, Any]
        Optional in-process services (e.g. the monitoring service for alarm acknowledgement).
    instructor : bool
        Instructor mode (``gmp-twin run --instructor``): the instructor console exists and hidden
        faults may be shown. Off, the process serves student views only.
    """

    tagmaps: list[TagMap]
    gateway: HistorianGateway
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Paris"))
    default_lang: str = "fr"
    services: dict[str, Any] = field(default_factory=dict)
    instructor: bool = False

    def lang(self, requested: str | None) -> str:
        return requested if requested in LANGS else self.default_lang


def header(lang: str, title: str, path: str) -> html.Div:
    """Page title, navigation between registered pages, and the FR/EN switch."""
    links = [
        dcc.Link(
            t(page["name"], lang),
            href=f"{page['path']}?lang={lang}",
            className="nav active" if page["path"] == path else "nav",
        )
        for page in dash.page_registry.values()
        if not page.get("hidden")
    ]
    langs = [dcc.Link(code.upper(), href=f"{path}?lang={code}", className="lang") for code in LANGS]
    return html.Div(
        [html.H1(title), html.Nav(links, className="navbar"), html.Div(langs, className="langs")],
        className="header",
    )
