"""The page shell: the frame every dashboard page is built in, and the pieces pages share.

A page declares its :class:`Shell` once (path, title, the ids of its language store, refresh
tick and other stores) and its layout is ``SHELL.layout(lang, body)``: the stores, the tick, the
header (title, navigation, FR/EN switch), then the body. Element ids stay the page's own (the
browser tests and callbacks use them).

Examples
--------
>>> shell = Shell("/x", "alarms_title", lang_id="x-lang", tick_id="x-tick", stores=("x-seen",))
>>> frame = shell.layout("en", [notice("no_alarms", "en")], **{"x-version": 0})
>>> [getattr(c, "id", None) for c in frame.children]
['x-lang', 'x-seen', 'x-version', 'x-tick', None, None]
>>> table(["tag", ""], [html.Tr([html.Td("L"), html.Td("")])], "en", "tags").children[0].children.children[0].children
'Tag'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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


def chart_card(id_: str | dict[str, str], **graph: Any) -> html.Div:
    """One chart in a card."""
    return html.Div(dcc.Graph(id=id_, config=GRAPH_CONFIG, **graph), className="chart-card")


def table(keys: Sequence[str], rows: Sequence[Any], lang: str, class_name: str, **kwargs: Any) -> html.Table:
    """A table with one translated heading per key (``""``: an empty heading, e.g. a button column)."""
    head = html.Tr([html.Th(t(k, lang) if k else "") for k in keys])
    return html.Table([html.Thead(head), html.Tbody(list(rows))], className=class_name, **kwargs)


def row_button(text: str, id_: dict[str, str], **data: str) -> html.Button:
    """A button of a table row; ``data`` as ``data-*`` attributes (browser tests find rows by them)."""
    attributes: dict[str, Any] = {f"data-{key}": value for key, value in data.items()}
    return html.Button(text, id=id_, className="ack-btn", **attributes)
