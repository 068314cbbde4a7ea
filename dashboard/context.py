"""What every dashboard page gets: the process's services, historian access, time zone, language.

Pages are modules under ``dashboard/pages`` with a ``register(app, ctx)`` function that
registers the page and its callbacks, so a new page never edits another page's file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from config_schema.tagmap import TagMap
from dashboard.data import HistorianGateway
from dashboard.i18n import LANGS
from dashboard.services import Services


@dataclass
class DashContext:
    """Shared, read-only context of the dashboard pages.

    Parameters
    ----------
    services : Services
        The process's historian, tag maps and optional services, the same object the API reads
        (e.g. ``services.monitoring`` for the alarm page, ``services.control`` for the console).
    gateway : HistorianGateway
        Synchronous historian access for callbacks.
    zone : ZoneInfo
        Time zone of the time axes.
    default_lang : str
        ``fr`` or ``en`` when the URL has no ``?lang=``.
    """

    services: Services
    gateway: HistorianGateway
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Paris"))
    default_lang: str = "fr"

    @property
    def tagmaps(self) -> list[TagMap]:
        """Units shown, with their tag metadata."""
        return self.services.tagmaps

    def lang(self, requested: str | None) -> str:
        return requested if requested in LANGS else self.default_lang
