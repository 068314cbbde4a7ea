"""Station page: P&ID overview, all tags and the four control loops of the MPS PA station.

Live traces use ``dcc.Interval`` + ``extendData``: each tick sends only the samples newer
than what the browser already has, downsampled by the historian query. A loop chart that had
nothing to draw ("No data yet") is rebuilt whole when its first values arrive. A time-range
picker (:mod:`dashboard.time_range`, on the page's clock as :mod:`dashboard.unit_window`) sets
the loop charts' window: the default, the last 15 minutes, stays live as above; a longer live
range is redrawn whole once per downsampling bucket; a custom range stays still. Values are shown
through :func:`dashboard.tag_format.format_value` (state names, decimal comma, quality), and the
"newest point" line below the charts is on the same clock as their axes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import dash
import plotly.graph_objects as go
from dash import ALL, Dash, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from config_schema.tagmap import TagEntry, TagMap
from dashboard.context import DashContext
from dashboard.data import HistorianGateway
from dashboard.figures import hold_to, loop_figure, times
from dashboard.i18n import colon, fmt_datetime, t
from dashboard.pid import pid_figure
from dashboard.shell import Shell, chart_config
from dashboard.tag_format import format_value
from dashboard.tag_view import head_time, tag_grid, tag_rows
from dashboard.time_range import PRESETS, export_href, is_live, picker_value, range_inputs, range_picker
from dashboard.unit_window import window
from historian.base import Sample

log = logging.getLogger(__name__)

PATH = "/"
LOOPS = ("level", "flow", "pressure", "temperature")
SHELL = Shell(PATH, "title", lang_id="lang", tick_id="tick", stores=("loops-empty",))
TAG_GRID = "tags-station"
#: Id prefix of the loop charts' range picker; its default range is extended live point by point.
PICKER = "station"
LIVE_PRESET = "15m"
WINDOW_S = PRESETS[LIVE_PRESET] or 900
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


def loop_card(loop: str, fig: go.Figure, lang: str = "en") -> html.Div:
    """A loop's live value line above its chart."""
    return html.Div(
        [
            html.Div(id={"type": "loop-value", "loop": loop}, className="loop-value"),
            dcc.Graph(id={"type": "loop-graph", "loop": loop}, figure=fig, config=chart_config(lang)),
        ],
        className="loop-card",
    )


def redraw_every(preset: str | None) -> int | None:
    """Ticks between whole redraws of the loop charts for a live range (``None``: extended live or still).

    One redraw per downsampling bucket: the charts gain a point when the historian's bucket does.

    >>> redraw_every("15m"), redraw_every("1h"), redraw_every("24h"), redraw_every("custom")
    (None, 6, 144, None)
    """
    if preset == LIVE_PRESET or not is_live(picker_value(preset)):
        return None
    length = PRESETS.get(preset or "") or 24 * 3600  # "run": at most the 24 h of its fallback
    return max(1, round(length / MAX_POINTS))


def station_body(cards: list[html.Div], lang: str) -> list[Any]:
    """Banner, P&ID and tag table side by side, the loop charts, the newest point's time."""
    pid = dcc.Graph(id="pid", config=chart_config(lang, displayModeBar=False), figure=pid_figure({}, {}, lang))
    return [
        html.Div(id="banner", className="banner"),
        html.Div(
            [
                html.Div([html.H2(t("overview", lang)), pid], className="pid-card"),
                html.Div(
                    [html.H2(t("tags", lang)), html.Div(tag_grid(TAG_GRID, lang, height=440), id="tag-table")],
                    className="table-card",
                ),
            ],
            className="row",
        ),
        html.H2(t("loops", lang)),
        range_picker(PICKER, lang, LIVE_PRESET),
        html.Div(cards, className="loops"),
        html.Div(id="updated", className="updated"),
    ]


def loop_text(
    loop: str, roles: Roles, values: dict[str, float], lang: str, statuses: dict[str, int] | None = None
) -> str:
    """A loop's live value line: measured value, setpoint and mode (by name), as ``format_value`` shows them.

    A bad or uncertain measured value carries its status name.

    >>> pv = TagEntry(name="L", node="ns=2;s=L", unit="cm", lo=0, hi=30)
    >>> mode = TagEntry(name="M", node="ns=2;s=M", kind="mode")
    >>> loop_text("level", {"pv": pv, "mode": mode}, {"L": 12.0, "M": 1.0}, "fr")
    'Niveau : 12,00 cm · auto'
    >>> loop_text("level", {"pv": pv}, {"L": float("nan")}, "en", {"L": 0x80310000})
    'Level: — (BadNoCommunication)'
    """
    statuses = statuses or {}

    def shown(tag: TagEntry) -> str:
        return format_value(tag, values.get(tag.name), statuses.get(tag.name), lang).label

    pv, sp, mode = roles["pv"], roles.get("sp"), roles.get("mode")
    if mode is not None and mode.kind != "mode":  # the loop's mode role: shown by name whatever the map says
        mode = mode.model_copy(update={"kind": "mode"})
    colon = " : " if lang == "fr" else ": "
    text = f"{t(loop, lang)}{colon}{shown(pv)}"
    if sp is not None:
        text += f" → {t('setpoint', lang)} {shown(sp)}"
    if mode is not None and mode.name in values:
        text += f" · {shown(mode)}"
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


def _newest_stamp(latest: Mapping[str, Any], lang: str, zone: Any) -> str:
    """ "Newest point: <time>" on the charts' clock (simulated time at speed ×N), or ""."""
    newest = max((s.time_ns for s in latest.values()), default=None)
    if newest is None:
        return ""
    when = datetime.fromtimestamp(newest / 1e9, zone)
    return f"{t('newest_point', lang)}{colon(lang)} {fmt_datetime(when, lang, tz=zone)}"


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
        figures = {
            loop: loop_history_figure(loop, roles, _history(gateway, station, roles, now_ns), now_ns, zone, lang)
            for loop, roles in loops.items()
        }
        cards = [loop_card(loop, fig, lang) for loop, fig in figures.items()]
        empty = [loop for loop, fig in figures.items() if not fig.data[0].x]
        return SHELL.layout(lang, station_body(cards, lang), cursor=now_ns, **{"loops-empty": empty})

    dash.register_page("station", path=PATH, layout=layout, name="station", title="gmp-twin", order=0)

    units = {tag.name: tag.unit for tag in station.tags}
    his = {tag.name: tag.hi for tag in station.tags if tag.hi is not None}
    pid_scale = {"level_max": his.get("B101_level", 30.0), "lower_volume_max": his.get("tank101_volume", 10.0)}

    @app.callback(
        Output("pid", "figure"),
        Output(TAG_GRID, "rowData"),
        Output({"type": "loop-value", "loop": ALL}, "children"),
        Output({"type": "loop-graph", "loop": ALL}, "extendData"),
        Output({"type": "loop-graph", "loop": ALL}, "figure"),
        Output("cursor", "data"),
        Output("loops-empty", "data"),
        Output("banner", "children"),
        Output("updated", "children"),
        Output(f"{PICKER}-export", "href"),
        Input("tick", "n_intervals"),
        *range_inputs(PICKER),
        State("cursor", "data"),
        State("loops-empty", "data"),
        State("lang", "data"),
    )
    def on_tick(
        tick: int | None,
        preset: str | None,
        start: str | None,
        end: str | None,
        cursor_ns: int,
        empty: list[str] | None,
        lang: str,
    ) -> tuple[Any, ...]:
        picked = {p["prop_id"] for p in dash.callback_context.triggered} - {"tick.n_intervals"}
        every = redraw_every(preset)
        if picked or (every is not None and (tick or 0) % every == 0):
            return _redraw(preset, start, end, lang)
        if preset not in (None, LIVE_PRESET):
            return _values_only(lang)  # a still (custom) range, or a long one between redraws
        n = len(loops)
        try:
            latest = gateway.latest(station.site, station.unit)
        except Exception as exc:
            log.warning("latest query failed: %s", exc)
            banner = f"{t('historian_down', lang)}{colon(lang)} {exc or type(exc).__name__}"
            skip = [dash.no_update] * n
            return dash.no_update, dash.no_update, skip, skip, skip, cursor_ns, empty, banner, dash.no_update
        now_ns = head_time(latest)
        values = {name: s.value for name, s in latest.items()}
        statuses = {name: s.status for name, s in latest.items()}
        texts: list[str] = []
        extends: list[Any] = []
        figures: list[Any] = []
        still_empty: list[str] = []
        newest = cursor_ns
        for loop, roles in loops.items():
            texts.append(loop_text(loop, roles, values, lang, statuses))
            names = [roles[r].name if r in roles else "" for r in ROLES]
            data = gateway.range(
                station.site, station.unit, [n for n in names if n], cursor_ns + 1, now_ns + 1, MAX_POINTS
            )
            extend, last = loop_extend(names, data.series, values, now_ns, zone)
            newest = max(newest, last or newest)
            if loop in (empty or []):
                # The chart says "No data yet": draw it whole once there is something to draw.
                history = _history(gateway, station, roles, now_ns)
                if history.get(roles["pv"].name):
                    figures.append(loop_history_figure(loop, roles, history, now_ns, zone, lang))
                else:
                    figures.append(dash.no_update)
                    still_empty.append(loop)
                extends.append(dash.no_update)
                continue
            figures.append(dash.no_update)
            extends.append((extend, [0, 1, 2], MAX_POINTS * 2))
        # The same clock as the charts' axes (simulated time at speed x N), never the wall clock beside them.
        stamp = _newest_stamp(latest, lang, zone)
        fig = pid_figure(values, units, lang, **pid_scale)
        rows = tag_rows(station, latest, now_ns, lang)
        return fig, rows, texts, extends, figures, newest, still_empty, "", stamp, dash.no_update

    def _values(lang: str) -> tuple[Any, ...]:
        """The live values (P&ID, tag table, loop lines, newest point) and the latest samples."""
        latest = gateway.latest(station.site, station.unit)
        values = {name: s.value for name, s in latest.items()}
        statuses = {name: s.status for name, s in latest.items()}
        texts = [loop_text(loop, roles, values, lang, statuses) for loop, roles in loops.items()]
        stamp = _newest_stamp(latest, lang, zone)
        fig = pid_figure(values, units, lang, **pid_scale)
        return fig, tag_rows(station, latest, head_time(latest), lang), texts, stamp, latest

    def _values_only(lang: str) -> tuple[Any, ...]:
        try:
            fig, rows, texts, stamp, _ = _values(lang)
        except Exception as exc:
            log.warning("latest query failed: %s", exc)
            raise PreventUpdate from None
        skip = [dash.no_update] * len(loops)
        return fig, rows, texts, skip, skip, dash.no_update, dash.no_update, "", stamp, dash.no_update

    def _redraw(preset: str | None, start: str | None, end: str | None, lang: str) -> tuple[Any, ...]:
        """Every loop chart drawn whole over the picked range; live extension resumes from its end."""
        try:
            fig, rows, texts, stamp, latest = _values(lang)
            lo, hi = window(ctx, latest, preset, start, end)
            names = [roles[r].name for roles in loops.values() for r in ROLES if r in roles]
            data = gateway.range(station.site, station.unit, names, lo, hi + 1, MAX_POINTS).series
        except Exception as exc:
            log.warning("range query failed: %s", exc)
            raise PreventUpdate from None
        figures = [loop_history_figure(loop, roles, data, hi, zone, lang) for loop, roles in loops.items()]
        still_empty = [loop for loop, f in zip(loops, figures, strict=True) if not f.data[0].x]
        skip = [dash.no_update] * len(loops)
        href = export_href(station.unit, names, lo, hi, station.site)
        return fig, rows, texts, skip, figures, hi, still_empty, "", stamp, href


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
