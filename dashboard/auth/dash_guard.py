"""Role checks for the Dash pages and every Dash callback, on the server.

Hiding a button is not enough: a student could post to ``/_dash-update-component`` by hand.
So, in Flask's ``before_request``:

- a page load without the ``viewer`` level is sent to ``/login`` (or ``/account/password``
  while a one-time password is unchanged);
- a callback request is checked against the level of the page that registered the callback
  (``LEVEL`` of the page module; ``viewer`` by default), refused with 401/403 and audited.

Actions finer than their page (acknowledging an alarm on a page anyone may view) check
:func:`current_principal` in the callback itself. Page layouts check the level too
(:func:`guard_layout`), since Dash renders them through its own routing callback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import flask
from dash import Dash, html

from access import Principal
from audit import Actor
from dashboard.auth.gate import Gate, allowed
from dashboard.auth.sessions import COOKIE
from dashboard.i18n import t

log = logging.getLogger(__name__)

_PRINCIPAL = "gmp_twin_principal"
#: Dash's own endpoints that any viewer needs (the page shell, its scripts, the callback graph).
_DASH_INTERNALS = ("/_dash-layout", "/_dash-dependencies", "/_dash-update-component", "/_reload-hash")
_STATIC = ("/assets/", "/_dash-component-suites/", "/_favicon.ico", "/favicon.ico")


def current_principal() -> Principal:
    """The caller of the Dash request being served (anonymous outside a request)."""
    if flask.has_request_context():
        principal = flask.g.get(_PRINCIPAL)
        if isinstance(principal, Principal):
            return principal
    return Principal("anonymous", "anonymous", via="http")


def current_actor() -> Actor:
    """The audit actor of the Dash request being served (the local console keeps its own channel)."""
    principal = current_principal()
    return principal.actor("local-console" if principal.via == "local-console" else "dash")


def _resolve(gate: Gate | None) -> Principal:
    request = flask.request
    host = request.remote_addr or ""
    if gate is None:
        return Principal("anonymous", "anonymous", via="http", client=host)
    port = request.environ.get("REMOTE_PORT")
    principal = gate.principal(
        cookie=request.cookies.get(COOKIE),
        authorization=request.headers.get("Authorization"),
        host=host,
        port=int(port) if port else None,
    )
    return principal


class DashGuard:
    """The ``before_request`` hook of one Dash app.

    Parameters
    ----------
    gate : Gate or None
        ``None``: no users in this process; everyone is an anonymous viewer and nothing needs more.
    """

    def __init__(self, gate: Gate | None) -> None:
        self.gate = gate
        #: Callback output key (as Dash posts it) -> level needed.
        self.callback_levels: dict[str, str] = {}
        #: Page path -> level needed.
        self.page_levels: dict[str, str] = {}

    def allows(self, level: str, principal: Principal) -> bool:
        return self.gate.allows(level, principal) if self.gate else allowed(level, principal, anonymous_view=True)

    def install(self, app: Dash) -> None:
        app.server.before_request(self._before_request)

    def _before_request(self) -> Any:
        request = flask.request
        path = request.path
        if path.startswith(_STATIC):
            return None
        principal = _resolve(self.gate)
        flask.g.setdefault(_PRINCIPAL, principal)
        if not self.allows("viewer", principal):
            if path.startswith(_DASH_INTERNALS):
                return self._refuse(principal, f"{request.method} {path}", "viewer")
            if principal.must_change_password:
                return flask.redirect(f"/account/password?next={quote(path)}", 303)
            return flask.redirect(f"/login?next={quote(request.full_path.rstrip('?'))}", 303)
        if path == "/_dash-update-component" and request.method == "POST":
            body = request.get_json(silent=True) or {}
            output = str(body.get("output", ""))
            level = self.callback_levels.get(output, "viewer")
            if not self.allows(level, principal):
                return self._refuse(principal, f"dash callback {output}", level)
        return None

    def _refuse(self, principal: Principal, what: str, level: str) -> flask.Response:
        if self.gate is not None:
            self.gate.deny(principal, what, level, via="dash")
        code = 401 if principal.role == "anonymous" else 403
        message = f"{what} needs the {level} role; {principal.name} is {principal.role}"
        return flask.Response(message, status=code, mimetype="text/plain")


def guard_layout(guard: DashGuard, level: str, layout: Callable[..., Any]) -> Callable[..., Any]:
    """A page layout that renders only for ``level``, and says why otherwise (FR/EN)."""

    def guarded(*args: Any, **kwargs: Any) -> Any:
        principal = current_principal()
        if guard.allows(level, principal):
            return layout(*args, **kwargs)
        requested = kwargs.get("lang")
        lang: str = requested if requested in ("fr", "en") else "fr"
        text = t("forbidden_page", lang).format(
            level=t(f"role_{level}", lang), user=principal.name, role=t(f"role_{principal.role}", lang)
        )
        return html.Div(
            [html.P(text, className="notice", id="forbidden"), html.A(t("login_link", lang), href="/login")],
            className="page",
        )

    return guarded
