"""One page per unit type (bioreactor, dryer, filling line, autoclave...): critical parameters
with their normal operating range (NOR) and proven acceptable range (PAR) bands, and all tags.

A unit type appears when a tag map of that type is loaded; the MPS PA station has its own
page. Times follow the simulation clock: at speed x N the data run ahead of the wall, so
queries end at the newest sample, not at wall-clock "now".
"""

from __future__ import annotations

import logging
import time
from typing import Any

import dash
import plotly.graph_objects as go
from dash import MATCH, Dash, Input, Output, State, dcc, html

from config_schema.tagmap import TagEntry, TagMap
from dashboard.context import DashContext
from dashboard.figures import times
from dashboard.i18n import t
from dashboard.shell import GRAPH_CONFIG, Shell
from dashboard.tag_view import head_time, tag_table

log = logging.getLogger(__name__)

WINDOW_S = 1800
MAX_POINTS = 400
OWN_PAGE = {"mps_pa"}  # unit types with a dedicated page

NOR_FILL = "rgba(44,160,44,0.15)"
PAR_FILL = "rgba(255,165,0,0.12)"


def band_status(value: float | None, tag: TagEntry) -> str:
    """``nor``, ``par`` (inside PAR but outside NOR), ``out`` (outside PAR) or ``none``.

    >>> tag = TagEntry(name="T", node="ns=2;s=T", nor=(36.5, 37.5), par=(35.0, 39.0))
    >>> [band_status(v, tag) for v in (37.0, 38.0, 40.0, None)]
    ['nor', 'par', 'out', 'none']
    """
    if value is None:
        return "none"
    if tag.nor and tag.nor[0] <= value <= tag.nor[1]:
        return "nor"
    if tag.par is None or tag.par[0] <= value <= tag.par[1]:
        return "par" if tag.nor else "nor"
    return "out"


def cpp_figure(tag: TagEntry, x: list[Any], y: list[float], lang: str) -> go.Figure:
    """A critical parameter over time with its PAR and NOR bands.

    >>> tag = TagEntry(name="T", node="ns=2;s=T", unit="°C", nor=(36.5, 37.5), par=(35.0, 39.0))
    >>> fig = cpp_figure(tag, [], [], "en")
    >>> [s.fillcolor for s in fig.layout.shapes] == [PAR_FILL, NOR_FILL]
    True
    """
    fig = go.Figure(go.Scatter(x=x, y=y, mode="lines", name=tag.name, line={"width": 2}))
    for band, fill, label in ((tag.par, PAR_FILL, "PAR"), (tag.nor, NOR_FILL, "NOR")):
        if band:
            fig.add_hrect(
                y0=band[0],
                y1=band[1],
                fillcolor=fill,
                line_width=0,
                layer="below",
                annotation_text=label,
                annotation_position="top left",
            )
    fig.update_layout(
        title={"text": f"{tag.description or tag.name} ({tag.unit})", "x": 0.02, "font": {"size": 13}},
        margin={"l": 50, "r": 20, "t": 40, "b": 30},
        height=240,
        uirevision=tag.name,
        showlegend=False,
        yaxis={"title": tag.unit},
    )
    return fig


def register(app: Dash, ctx: DashContext) -> None:
    """Register one page per unit type present in the tag maps."""
    by_type: dict[str, list[TagMap]] = {}
    for tm in ctx.tagmaps:
        if tm.unit_type and tm.unit_type not in OWN_PAGE:
            by_type.setdefault(tm.unit_type, []).append(tm)
    for order, (unit_type, tagmaps) in enumerate(sorted(by_type.items()), start=1):
        _register_type(ctx, unit_type, tagmaps, order)
    if by_type:
        _register_callbacks(app, ctx)


def cpp_card(unit: str, tag: TagEntry, fig: go.Figure, cursor_ns: int) -> html.Div:
    """A critical parameter's live value badge and chart, and the time of its newest point shown."""
    key = {"unit": unit, "tag": tag.name}
    return html.Div(
        [
            html.Div(id={"type": "cpp-value", **key}, className="loop-value"),
            dcc.Graph(id={"type": "cpp-graph", **key}, figure=fig, config=GRAPH_CONFIG),
            dcc.Store(id={"type": "cpp-cursor", **key}, data=cursor_ns),
        ],
        className="loop-card",
    )


def unit_section(ctx: DashContext, tm: TagMap, lang: str) -> html.Div:
    """One unit: its critical parameters over the stored window, then its tag table (filled by the tick)."""
    critical = [tag for tag in tm.tags if tag.nor or tag.par]
    try:
        latest = ctx.gateway.latest(tm.site, tm.unit)
        head = head_time(latest)
        data = ctx.gateway.range(
            tm.site, tm.unit, [c.name for c in critical], head - WINDOW_S * 1_000_000_000, head + 1, MAX_POINTS
        ).series
    except Exception as exc:  # historian down: empty charts, the banner says why
        log.warning("unit page query failed: %s", exc)
        head, data = time.time_ns(), {}
    cards = []
    for tag in critical:
        samples = data.get(tag.name, [])
        fig = cpp_figure(tag, times([s.time_ns for s in samples], ctx.zone), [s.value for s in samples], lang)
        cards.append(cpp_card(tm.unit, tag, fig, head))
    return html.Div(
        [
            html.H2(f"{tm.unit} — {t('critical_parameters', lang)}"),
            html.Div(cards or t("no_critical", lang), className="loops"),
            html.H2(t("tags", lang)),
            html.Div(id={"type": "unit-table", "unit": tm.unit}, className="table-card"),
        ]
    )


def _register_type(ctx: DashContext, unit_type: str, tagmaps: list[TagMap], order: int) -> None:
    path = f"/units/{unit_type}"
    shell = Shell(path, unit_type, lang_id="lang", tick_id="unit-tick")

    def layout(lang: str | None = None, **_: Any) -> html.Div:
        lang = ctx.lang(lang)
        body = [html.Div(id="banner", className="banner"), *(unit_section(ctx, tm, lang) for tm in tagmaps)]
        return shell.layout(lang, body)

    dash.register_page(
        f"unit-{unit_type}", path=path, layout=layout, name=unit_type, title=f"gmp-twin {unit_type}", order=order
    )


def _register_callbacks(app: Dash, ctx: DashContext) -> None:
    tagmaps = {tm.unit: tm for tm in ctx.tagmaps}

    @app.callback(
        Output({"type": "cpp-graph", "unit": MATCH, "tag": MATCH}, "extendData"),
        Output({"type": "cpp-value", "unit": MATCH, "tag": MATCH}, "children"),
        Output({"type": "cpp-cursor", "unit": MATCH, "tag": MATCH}, "data"),
        Input("unit-tick", "n_intervals"),
        State({"type": "cpp-cursor", "unit": MATCH, "tag": MATCH}, "data"),
        State({"type": "cpp-cursor", "unit": MATCH, "tag": MATCH}, "id"),
        State("lang", "data"),
    )
    def on_cpp_tick(_n: int | None, cursor: int, ident: dict[str, str], lang: str) -> tuple[Any, ...]:
        tm = tagmaps[ident["unit"]]
        tag = tm.by_name()[ident["tag"]]
        try:
            latest = ctx.gateway.latest(tm.site, tm.unit)
            samples = ctx.gateway.range(
                tm.site, tm.unit, [tag.name], cursor + 1, head_time(latest) + 1, MAX_POINTS
            ).series.get(tag.name, [])
        except Exception:
            return dash.no_update, dash.no_update, cursor
        sample = latest.get(tag.name)
        value = None if sample is None else sample.value
        status = band_status(value, tag)
        text = f"{tag.name}: {'—' if value is None else f'{value:.3g}'} {tag.unit} · {t('band_' + status, lang)}"
        badge = html.Span(text, className=f"band band-{status}")
        if not samples:
            return dash.no_update, badge, cursor
        extend = (
            {"x": [times([s.time_ns for s in samples], ctx.zone)], "y": [[s.value for s in samples]]},
            [0],
            MAX_POINTS * 2,
        )
        return extend, badge, samples[-1].time_ns

    @app.callback(
        Output({"type": "unit-table", "unit": MATCH}, "children"),
        Input("unit-tick", "n_intervals"),
        State({"type": "unit-table", "unit": MATCH}, "id"),
        State("lang", "data"),
    )
    def on_table_tick(_n: int | None, ident: dict[str, str], lang: str) -> Any:
        tm = tagmaps[ident["unit"]]
        try:
            latest = ctx.gateway.latest(tm.site, tm.unit)
        except Exception:
            return dash.no_update
        return tag_table(tm, latest, head_time(latest), lang, id_prefix=f"{tm.unit}-")
