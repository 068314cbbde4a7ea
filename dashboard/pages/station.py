"""Station page: P&ID overview, all tags and the four control loops of the MPS PA station.

Live traces use ``dcc.Interval`` + ``extendData``: each tick sends only the samples newer
than what the browser already has, downsampled by the historian query.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import dash
import plotly.graph_objects as go
from dash import ALL, Dash, Input, Output, State, dcc, html

from config_schema.tagmap import TagEntry, TagMap
from dashboard.context import DashContext
from dashboard.data import HistorianGateway
from dashboard.figures import hold_to, loop_figure, times
from dashboard.i18n import t
from dashboard.pid import pid_figure
from dashboard.shell import GRAPH_CONFIG, Shell
from dashboard.tag_view import fmt, head_time, tag_table
from historian.base import Sample

log = logging.getLogger(__name__)

PATH = "/"
LOOPS = ("level", "flow", "pressure", "temperature")
SHELL = Shell(PATH, "title", lang_id="lang", tick_id="tick")
WINDOW_S = 600
MAX_POINTS = 600
#: Trace order of a loop chart (measured value, setpoint, controller output), extended by index.
ROLES = ("pv", "sp", "out")

Roles = dict[str, TagEntry]


def _loop_tags(tagmap: TagMap, loop: str) -> Roles:
    """The measured value, setpoint and output tags of a loop, by role."""
    roles: Roles = {}
    for tag in tagmap.tags:
        if tag.loop != loop:
            continue
        role = {"measurement": "pv", "setpoint": "sp", "output": "out", "mode": "mode"}.get(tag.kind)
        if role and role not in roles:
            roles[role] = tag
    return roles


def station_loops(tagmap: TagMap) -> dict[str, Roles]:
    """The loops shown (those with a measured value), in :data:`LOOPS` order, with their tags by role."""
    loops = {loop: _loop_tags(tagmap, loop) for loop in LOOPS}
    return {loop: roles for loop, roles in loops.items() if "pv" in roles}


def station_tagmap(ctx: DashContext) -> TagMap | None:
    """The first tag map with the MPS PA control loops (a simulated or a real kit)."""
    for tagmap in ctx.tagmaps:
        if any(tag.loop in LOOPS for tag in tagmap.tags):
            return tagmap
    return None


# -- pure view builders ---------------------------------------------------------------------
def loop_history_figure(
    loop: str, roles: Roles, data: dict[str, list[Sample]], now_ns: int, zone: ZoneInfo, lang: str
) -> go.Figure:
    """A loop's chart over the window already stored; setpoint and output held to now."""

    def xy(role: str) -> Any:
        samples = data.get(roles[role].name, []) if role in roles else []
        return times([s.time_ns for s in samples], zone), [s.value for s in samples]

    now = times([now_ns], zone)[0]
    return loop_figure(loop, roles["pv"].unit, xy("pv"), hold_to(xy("sp"), now), hold_to(xy("out"), now), lang)


def loop_card(loop: str, fig: go.Figure) -> html.Div:
    """A loop's live value line above its chart."""
    return html.Div(
        [
            html.Div(id={"type": "loop-value", "loop": loop}, className="loop-value"),
            dcc.Graph(id={"type": "loop-graph", "loop": loop}, figure=fig, config=GRAPH_CONFIG),
        ],
        className="loop-card",
    )


def station_body(cards: list[html.Div], lang: str) -> list[Any]:
    """Banner, P&ID and tag table side by side, the loop charts, the 'updated' stamp."""
    pid = dcc.Graph(id="pid", config={"displayModeBar": False}, figure=pid_figure({}, {}, lang))
    return [
        html.Div(id="banner", className="banner"),
        html.Div(
            [
                html.Div([html.H2(t("overview", lang)), pid], className="pid-card"),
                html.Div([html.H2(t("tags", lang)), html.Div(id="tag-table")], className="table-card"),
            ],
            className="row",
        ),
        html.H2(t("loops", lang)),
        html.Div(cards, className="loops"),
        html.Div(id="updated", className="updated"),
    ]


def loop_text(loop: str, roles: Roles, values: dict[str, float], lang: str) -> str:
    """A loop's live value line: measured value, setpoint and auto/manual mode.

    >>> pv = TagEntry(name="L", node="ns=2;s=L", unit="cm")
    >>> loop_text("level", {"pv": pv}, {"L": 12.0}, "en")
    'Level: 12.00 cm'
    """
    pv, sp, mode = roles["pv"], roles.get("sp"), roles.get("mode")
    text = f"{t(loop, lang)}: {fmt(values.get(pv.name), pv.unit)}"
    if sp is not None:
        text += f" → {t('setpoint', lang)} {fmt(values.get(sp.name), sp.unit)}"
    if mode is not None and mode.name in values:
        text += f" · {t('auto', lang) if values[mode.name] >= 0.5 else t('manual', lang)}"
    return text


def loop_extend(
    names: list[str], data: dict[str, list[Sample]], values: dict[str, float], now_ns: int, zone: ZoneInfo
) -> tuple[dict[str, list[Any]], int | None]:
    """The new points of a loop's traces (``extendData`` x/y by trace) and the newest sample time.

    ``names`` are the PV, SP and OUT tags (``""`` for a role the loop lacks). Step signals (SP,
    OUT) only change on writes: their latest value is held to now.
    """
    xs, ys, newest = [], [], None
    for i, name in enumerate(names):
        samples = data.get(name, []) if name else []
        x, y = times([s.time_ns for s in samples], zone), [s.value for s in samples]
        if i > 0 and name in values:
            x, y = x + times([now_ns], zone), [*y, values[name]]
        xs.append(x)
        ys.append(y)
        if samples:
            newest = max(newest or 0, samples[-1].time_ns)
    return {"x": xs, "y": ys}, newest


# -- the page ---------------------------------------------------------------------------------
def register(app: Dash, ctx: DashContext) -> None:
    """Register the station page and its live-update callback."""
    station = station_tagmap(ctx)
    if station is None:
        return
    zone, gateway = ctx.zone, ctx.gateway
    loops = station_loops(station)

    def layout(lang: str | None = None, **_: Any) -> html.Div:
        lang = ctx.lang(lang)
        try:
            now_ns = head_time(gateway.latest(station.site, station.unit))
        except Exception:
            now_ns = time.time_ns()
        cards = [
            loop_card(
                loop, loop_history_figure(loop, roles, _history(gateway, station, roles, now_ns), now_ns, zone, lang)
            )
            for loop, roles in loops.items()
        ]
        return SHELL.layout(lang, station_body(cards, lang), cursor=now_ns)

    dash.register_page("station", path=PATH, layout=layout, name="station", title="gmp-twin", order=0)

    units = {tag.name: tag.unit for tag in station.tags}
    his = {tag.name: tag.hi for tag in station.tags if tag.hi is not None}
    pid_scale = {"level_max": his.get("B101_level", 30.0), "lower_volume_max": his.get("tank101_volume", 10.0)}

    @app.callback(
        Output("pid", "figure"),
        Output("tag-table", "children"),
        Output({"type": "loop-value", "loop": ALL}, "children"),
        Output({"type": "loop-graph", "loop": ALL}, "extendData"),
        Output("cursor", "data"),
        Output("banner", "children"),
        Output("updated", "children"),
        Input("tick", "n_intervals"),
        State("cursor", "data"),
        State("lang", "data"),
    )
    def on_tick(_n: int | None, cursor_ns: int, lang: str) -> tuple[Any, ...]:
        try:
            latest = gateway.latest(station.site, station.unit)
        except Exception as exc:
            log.warning("latest query failed: %s", exc)
            banner = f"{t('historian_down', lang)}: {exc or type(exc).__name__}"
            return (dash.no_update,) * 4 + (cursor_ns, banner, dash.no_update)
        now_ns = head_time(latest)
        values = {name: s.value for name, s in latest.items()}
        texts, extends, newest = [], [], cursor_ns
        for loop, roles in loops.items():
            texts.append(loop_text(loop, roles, values, lang))
            names = [roles[r].name if r in roles else "" for r in ROLES]
            data = gateway.range(
                station.site, station.unit, [n for n in names if n], cursor_ns + 1, now_ns + 1, MAX_POINTS
            )
            extend, last = loop_extend(names, data.series, values, now_ns, zone)
            extends.append((extend, [0, 1, 2], MAX_POINTS * 2))
            newest = max(newest, last or newest)
        stamp = f"{t('updated', lang)}: {datetime.now(zone):%H:%M:%S}"  # same zone as the axes
        fig = pid_figure(values, units, lang, **pid_scale)
        return fig, tag_table(station, latest, now_ns, lang), texts, extends, newest, "", stamp


def _history(gateway: HistorianGateway, station: TagMap, roles: Roles, now_ns: int) -> dict[str, list[Sample]]:
    """The stored window of a loop's tags; empty when the historian is down (the banner says why)."""
    names = [roles[r].name for r in ROLES if r in roles]
    try:
        return gateway.range(
            station.site, station.unit, names, now_ns - WINDOW_S * 1_000_000_000, now_ns + 1, MAX_POINTS
        ).series
    except Exception as exc:
        log.warning("initial range query failed: %s", exc)
        return {}
