"""What every dashboard page gets: the process's services, historian access, time zone, language.

Pages are modules under ``dashboard/pages`` with a ``register(app, ctx)`` function that
registers the page and its callbacks, so a new page never edits another page's file.

In a classroom (``gmp-twin run --teams N``) :attr:`DashContext.services` is the Services of the
team the request's caller sees (:mod:`dashboard.classroom`), resolved on every Dash request;
outside a request (while pages register) it is the first team's, whose units every team shares.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import flask

from config_schema.tagmap import TagMap
from dashboard.auth.dash_guard import current_principal
from dashboard.classroom import TEAM_COOKIE, Classroom, requested_team
from dashboard.data import HistorianGateway
from dashboard.i18n import LANGS
from dashboard.services import Services


@dataclass
class DashContext:
    """Shared, read-only context of the dashboard pages.

    Parameters
    ----------
    root : Services
        The process's historian, tag maps and optional services, the same object the API reads;
        pages read :attr:`services` (e.g. ``ctx.services.monitoring`` for the alarm page,
        ``ctx.services.control`` for the console), which is the caller's team's in a classroom.
    gateway : HistorianGateway
        Synchronous historian access for callbacks.
    zone : ZoneInfo
        Time zone of the time axes.
    default_lang : str
        ``fr`` or ``en`` when the URL has no ``?lang=``.
    """

    root: Services
    gateway: HistorianGateway
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Paris"))
    default_lang: str = "fr"

    @property
    def classroom(self) -> Classroom | None:
        """The team plants of this process (``None``: one plant)."""
        return self.root.classroom

    @property
    def services(self) -> Services:
        """The Services the caller of the Dash request sees (the process's own without a classroom)."""
        room = self.root.classroom
        if room is None:
            return self.root
        if not flask.has_request_context():
            return room.first()
        request = flask.request
        team = requested_team(request.args, request.headers.get("Referer"), request.cookies.get(TEAM_COOKIE))
        return room.services_for(current_principal(), team)

    @property
    def tagmaps(self) -> list[TagMap]:
        """Units shown, with their tag metadata."""
        return self.services.tagmaps

    def lang(self, requested: str | None) -> str:
        return requested if requested in LANGS else self.default_lang
