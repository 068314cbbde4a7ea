"""The page shell: the frame every dashboard page is built in, and the pieces pages share.

A page declares its :class:`Shell` once (path, title, the ids of its language store, refresh
tick and other stores) and its layout is ``SHELL.layout(lang, body)``: the stores, the tick, the
header (title, navigation, who is logged in, FR/EN switch), then the body. Element ids stay the
page's own (the browser tests and callbacks use them).

The navigation lists only the pages the caller may open (each page's ``gmp_level``, set by
:func:`dashboard.app.create_dash`); the page itself is still checked server-side.

Examples
--------
>>> shell = Shell("/x", "alarms_title", lang_id="x-lang", tick_id="x-tick", stores=("x-seen",))
>>> frame = shell.layout("en", [notice("no_alarms", "en")], **{"x-version": 0})
>>> [getattr(c, "id", None) for c in frame.children]
['x-lang', 'x-seen', 'x-version', 'x-tick', None, None]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import quote

import dash
from dash import dcc, html

from access import Principal
from dashboard.auth.dash_guard import current_principal
from dashboard.auth.gate import allowed
from dashboard.exercise_panel import exercise_bar
from dashboard.figures import empty_figure
from dashboard.i18n import LANGS, graph_config, t
from dashboard.time_basis import time_basis_banner

#: Plotly's mode bar without its logo, on every chart (prefer :func:`chart_config`: it adds the locale).
GRAPH_CONFIG: dcc.Graph.Config = {"displaylogo": False}


def chart_config(lang: str, **extra: Any) -> dcc.Graph.Config:
    """``dcc.Graph`` config in ``lang``: Plotly's locale (French dates, decimal comma), no logo.

    >>> chart_config("fr", displayModeBar=False)
    {'displaylogo': False, 'locale': 'fr', 'displayModeBar': False}
    """
    return cast(dcc.Graph.Config, graph_config(lang, **extra))


def who(principal: Principal, lang: str, path: str) -> html.Div:
    """ "Logged in: Sam Martin (student)" and a logout button, or a login link.

    >>> who(Principal("sam", "student", "Sam Martin"), "en", "/alarms").children[0].children
    ['Logged in:', ' ', 'Sam Martin', ' (student)']
    >>> who(Principal("anonymous", "anonymous"), "en", "/spc").children[-1].href
    '/login?lang=en&next=/spc%3Flang%3Den'
    """
    login = html.A(
        t("login_link", lang), href=f"/login?lang={lang}&next={quote(f'{path}?lang={lang}')}", id="login-link"
    )
    if principal.role == "anonymous":
        return html.Div([html.Span(t("not_logged_in", lang), id="whoami", className="muted"), login], className="who")
    role = t(f"role_{principal.role}", lang)
    line = html.Span(
        [t("logged_in_as", lang), " ", principal.display_name or principal.name, f" ({role})"], id="whoami"
    )
    if principal.via == "local-console":  # no session to end: a person logs in to act under their name
        return html.Div([line, login], className="who")
    logout = html.Form(
        html.Button(t("logout", lang), type="submit", id="logout-button", className="link-btn"),
        method="post",
        action="/logout",
        id="logout-form",
    )
    return html.Div([line, logout], className="who")


def header(lang: str, title: str, path: str) -> html.Div:
    """Page title, navigation between the pages the caller may open, who is logged in, FR/EN switch."""
    principal = current_principal()
    links = [
        dcc.Link(
            t(page["name"], lang),
            href=f"{page['path']}?lang={lang}",
            className="nav active" if page["path"] == path else "nav",
        )
        for page in dash.page_registry.values()
        # Whoever sees a header passed the viewer level already (anonymous viewing or a login).
        if not page.get("hidden") and allowed(page.get("gmp_level", "viewer"), principal, anonymous_view=True)
    ]
    langs = [dcc.Link(code.upper(), href=f"{path}?lang={code}", className="lang") for code in LANGS]
    side = html.Div(
        [time_basis_banner(lang), who(principal, lang, path), html.Div(langs, className="langs")],
        className="header-side",
    )
    bar = exercise_bar(lang, principal)  # the running exercise, for students (None for others)
    return html.Div([html.H1(title), html.Nav(links, className="navbar"), side, bar], className="header")


@dataclass(frozen=True)
class Shell:
    """The frame of one page: its path, title, language store, refresh tick and other stores.

    Callbacks read the language from the ``lang_id`` store and refresh on ``tick_id``'s
    ``n_intervals``; ``stores`` are the page's other stores, empty at first.
    """

    path: str
    title_key: str
    lang_id: str
    tick_id: str
    tick_ms: int = 1000
    stores: tuple[str, ...] = ()

    def layout(self, lang: str, body: Sequence[Any], **initial: Any) -> html.Div:
        """Language store, stores (``initial``: store id -> first data), tick, header, then ``body``."""
        stores = [dcc.Store(id=self.lang_id, data=lang), *(dcc.Store(id=id_) for id_ in self.stores)]
        stores += [dcc.Store(id=id_, data=data) for id_, data in initial.items()]
        return html.Div(
            [*stores, dcc.Interval(id=self.tick_id, interval=self.tick_ms), self.header(lang), *body],
            className="page",
        )

    def header(self, lang: str) -> html.Div:
        return header(lang, t(self.title_key, lang), self.path)


def notice(key: str, lang: str, **kwargs: Any) -> html.P:
    """A page-wide message in place of the body (no service, nothing to show yet)."""
    return html.P(t(key, lang), className="notice", **kwargs)


def with_unused(shown: Sequence[Any], unused: Sequence[Any]) -> list[Any]:
    """``shown``, then ``unused`` hidden: a notice in place of a body whose components the page's
    callbacks still name (Dash logs "a nonexistent object was used" for a missing one).

    >>> [getattr(c, "hidden", None) for c in with_unused([notice("no_monitoring", "en")], [html.Div(id="x")])]
    [None, True]
    """
    return [*shown, html.Div(list(unused), hidden=True, className="unused")]


def chart_card(id_: str | dict[str, str], lang: str = "en", **graph: Any) -> html.Div:
    """One chart in a card; "No data yet" until its callback draws it (not Plotly's empty -1..6 axes)."""
    graph.setdefault("figure", empty_figure(lang))
    return html.Div(dcc.Graph(id=id_, config=chart_config(lang), **graph), className="chart-card")
