"""The page shell: the frame every dashboard page is built in, and the pieces pages share.

A page's layout is ``page(...)`` around its own body: the language store, the page's other
stores, the refresh tick, the header (title, navigation, FR/EN switch), then the body. Element
ids stay the page's own (the browser tests and callbacks use them).

Examples
--------
>>> frame = page("/x", "Title", "en", [notice("no_alarms", "en")], lang_id="x-lang", tick_id="x-tick",
...              tick_ms=1000, stores={"x-seen": None})
>>> [getattr(c, "id", None) for c in frame.children]
['x-lang', 'x-seen', 'x-tick', None, None]
>>> table(["tag", ""], [html.Tr([html.Td("L"), html.Td("")])], "en", "tags").children[0].children.children[0].children
'Tag'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dash
from dash import dcc, html

from dashboard.i18n import LANGS, t

#: Plotly's mode bar without its logo, on every chart.
GRAPH_CONFIG: dcc.Graph.Config = {"displaylogo": False}


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


def page(
    path: str,
    title: str,
    lang: str,
    body: Sequence[Any],
    *,
    lang_id: str,
    tick_id: str,
    tick_ms: int,
    stores: Mapping[str, Any] | None = None,
) -> html.Div:
    """The frame of a page: ``lang_id`` store, ``stores`` (id -> initial data, ``None``: none), tick, header, body.

    Callbacks read the language from the ``lang_id`` store and refresh on ``tick_id``'s
    ``n_intervals``.
    """
    kept = [dcc.Store(id=lang_id, data=lang)]
    kept += [
        dcc.Store(id=id_) if data is None else dcc.Store(id=id_, data=data) for id_, data in (stores or {}).items()
    ]
    return html.Div(
        [*kept, dcc.Interval(id=tick_id, interval=tick_ms), header(lang, title, path), *body],
        className="page",
    )


def notice(key: str, lang: str, **kwargs: Any) -> html.P:
    """A page-wide message in place of the body (no service, nothing to show yet)."""
    return html.P(t(key, lang), className="notice", **kwargs)


def chart_card(id_: str | dict[str, str], **graph: Any) -> html.Div:
    """One chart in a card."""
    return html.Div(dcc.Graph(id=id_, config=GRAPH_CONFIG, **graph), className="chart-card")


def table(keys: Sequence[str], rows: Sequence[Any], lang: str, class_name: str, **kwargs: Any) -> html.Table:
    """A table with one translated heading per key (``""``: an empty heading, e.g. a button column)."""
    head = html.Tr([html.Th(t(k, lang) if k else "") for k in keys])
    return html.Table([html.Thead(head), html.Tbody(list(rows))], className=class_name, **kwargs)
