"""A classroom: one plant per team in one process, and which team's plant a request sees.

``gmp-twin run --teams N`` (:mod:`gmp_twin.classroom`) builds one :class:`Services` per team
(own tag maps with site ``<site>-team-k``, own control, runtime and monitoring; the historian,
the gate and the audit trail shared) and puts them in a :class:`Classroom` on the process's
top-level ``Services.classroom``. The API (:func:`dashboard.api.deps.get_services`) and the Dash
pages (:attr:`dashboard.context.DashContext.services`) then resolve, on every request, the
Services of the caller's team:

- a student (or any non-instructor) sees their own team's plant; a student in no team of the
  classroom sees an empty plant (no tag maps, no control). A team they ask for (``?team=``, the
  ``gmp_team`` cookie) is **ignored**, not refused: the same URL works for everyone and tells a
  student nothing about the other teams;
- an instructor or admin sees the team they ask for (``?team=`` on the request, then the
  ``team`` argument of the page the Dash callback comes from, then the ``gmp_team`` cookie
  remembered from the last ``?team=``), else the first team.

Examples
--------
>>> from access import Principal
>>> from dashboard.services import Services
>>> one = Services(historian=None, tagmaps=[])  # type: ignore[arg-type]
>>> two = Services(historian=None, tagmaps=[])  # type: ignore[arg-type]
>>> room = Classroom({"team-1": one, "team-2": two}, class_run="c1")
>>> room.names()
['team-1', 'team-2']
>>> room.services_for(Principal("ana", "student", team="team-2"), "team-1") is two
True
>>> room.services_for(Principal("prof", "instructor"), "team-2") is two
True
>>> room.services_for(Principal("prof", "instructor"), None) is one
True
>>> empty = room.services_for(Principal("bob", "student"), None)
>>> empty.tagmaps, empty.plant_control() is None
([], True)
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from urllib.parse import parse_qs, urlsplit

import flask

from dashboard.auth.dash_guard import current_principal
from dashboard.services import Classroom, sees_every_team

__all__ = ["TEAM_ARG", "TEAM_COOKIE", "Classroom", "remember_team", "requested_team", "sees_every_team"]

log = logging.getLogger(__name__)

#: The query argument naming the team an instructor looks at.
TEAM_ARG = "team"
#: The cookie remembering an instructor's last ``?team=`` (Dash callbacks carry no query string).
TEAM_COOKIE = "gmp_team"


def requested_team(args: Mapping[str, str] | None, referer: str | None, cookie: str | None) -> str | None:
    """The team a request asks for: its ``?team=``, else its page's (``Referer``) ``?team=``, else the cookie.

    >>> requested_team({}, "http://h/units?team=team-2&lang=fr", "team-1")
    'team-2'
    >>> requested_team({"team": "team-3"}, None, None), requested_team({}, "http://h/units", "team-1")
    ('team-3', 'team-1')
    """
    if args and args.get(TEAM_ARG):
        return args[TEAM_ARG]
    if referer:
        found = parse_qs(urlsplit(referer).query).get(TEAM_ARG)
        if found and found[0]:
            return found[0]
    return cookie or None


def remember_team(server: flask.Flask, room: Classroom) -> None:
    """Set the ``gmp_team`` cookie when an instructor's request (or its page) names a team.

    Dash callbacks carry no query string: the cookie keeps the team an instructor chose with
    ``?team=`` while they move on to pages whose links do not carry it.
    """

    @server.after_request
    def _remember(response: flask.Response) -> flask.Response:
        request = flask.request
        team = requested_team(request.args, request.headers.get("Referer"), None)
        if team in room.teams and team != request.cookies.get(TEAM_COOKIE) and sees_every_team(current_principal()):
            response.set_cookie(TEAM_COOKIE, team, httponly=True, samesite="Lax", path="/")
        return response
