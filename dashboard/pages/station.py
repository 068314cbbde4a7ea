"""Station page: P&ID overview, all tags and the four control loops of the MPS PA station.

Live traces use ``dcc.Interval`` + ``extendData``: each tick sends only the samples newer
than what the browser already has, downsampled by the historian query.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

import dash
from dash import ALL, Dash, Input, Output, State, dcc, html

from config_schema.tagmap import TagEntry, TagMap
from dashboard.context import DashContext, header
from dashboard.figures import hold_to, loop_figure, times
from dashboard.i18n import t
from dashboard.pid import pid_figure
from historian.base import Sample

log = logging.getLogger(__name__)

PATH = "/"
LOOPS = ("level", "flow", "pressure", "temperature")
TICK_MS = 1000
WINDOW_S = 600
MAX_POINTS = 600


def _loop_tags(tagmap: TagMap, loop: str) -> dict[str, TagEntry]:
    """The measured value, setpoint and output tags of a loop, by role."""
    roles: dict[str, TagEntry] = {}
    for tag in tagmap.tags:
        if tag.loop != loop:
            continue
        role = {"measurement": "pv", "setpoint": "sp", "output": "out", "mode": "mode"}.get(tag.kind)
        if role and role not in roles:
            roles[role] = tag
    return roles


def head_time(latest: dict[str, Sample]) -> int:
    """'Now' for live views: the wall clock, or the newest sample when the simulation runs
    ahead of the wall (speed x N), so accelerated data are not left out of the queries."""
    return max([time.time_ns(), *(s.time_ns for s in latest.values())])


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    return f"{value:.2f} {unit}".strip()


def station_tagmap(ctx: DashContext) -> TagMap | None:
    """The first tag map with the MPS PA control loops (a simulated or a real kit)."""
    for tagmap in ctx.tagmaps:
        if any(tag.loop in LOOPS for tag in tagmap.tags):
            return tagmap
    return None


def register(app: Dash, ctx: DashContext) -> None:
    """Register the station page and its live-update callback."""
    station = station_tagmap(ctx)
    if station is None:
        return
    zone, gateway = ctx.zone, ctx.gateway

    def series(tm: TagMap, tags: list[str], start_ns: int, stop_ns: int) -> dict[str, list[Sample]]:
        return gateway.range(tm.site, tm.unit, tags, start_ns, stop_ns, MAX_POINTS).series

    def station_layout(lang: str | None = None, **_: Any) -> html.Div:
        lang = ctx.lang(lang)
        try:
            now_ns = head_time(gateway.latest(station.site, station.unit))
        except Exception:
            now_ns = time.time_ns()
        graphs = []
        for loop in LOOPS:
            roles = _loop_tags(station, loop)
            if "pv" not in roles:
                continue
            names = [roles[r].name for r in ("pv", "sp", "out") if r in roles]
            try:
                data = series(station, names, now_ns - WINDOW_S * 1_000_000_000, now_ns + 1)
            except Exception as exc:  # historian down: render empty, the banner says why
                log.warning("initial range query failed: %s", exc)
                data = {}

            def xy(role: str, roles: dict[str, TagEntry] = roles, data: dict[str, list[Sample]] = data) -> Any:
                samples = data.get(roles[role].name, []) if role in roles else []
                return times([s.time_ns for s in samples], zone), [s.value for s in samples]

            now = times([now_ns], zone)[0]
            fig = loop_figure(loop, roles["pv"].unit, xy("pv"), hold_to(xy("sp"), now), hold_to(xy("out"), now), lang)
            graphs.append(
                html.Div(
                    [
                        html.Div(id={"type": "loop-value", "loop": loop}, className="loop-value"),
                        dcc.Graph(id={"type": "loop-graph", "loop": loop}, figure=fig, config={"displaylogo": False}),
                    ],
                    className="loop-card",
                )
            )
        return html.Div(
            [
                dcc.Store(id="lang", data=lang),
                dcc.Store(id="cursor", data=now_ns),
                dcc.Interval(id="tick", interval=TICK_MS),
                header(lang, t("title", lang), PATH),
                html.Div(id="banner", className="banner"),
                html.Div(
                    [
                        html.Div(
                            [
                                html.H2(t("overview", lang)),
                                dcc.Graph(id="pid", config={"displayModeBar": False}, figure=pid_figure({}, {}, lang)),
                            ],
                            className="pid-card",
                        ),
                        html.Div([html.H2(t("tags", lang)), html.Div(id="tag-table")], className="table-card"),
                    ],
                    className="row",
                ),
                html.H2(t("loops", lang)),
                html.Div(graphs, className="loops"),
                html.Div(id="updated", className="updated"),
            ],
            className="page",
        )

    dash.register_page("station", path=PATH, layout=station_layout, name="station", title="gmp-twin", order=0)

    loop_ids = [loop for loop in LOOPS if "pv" in _loop_tags(station, loop)]
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
        now_ns = time.time_ns()
        try:
            latest = gateway.latest(station.site, station.unit)
        except Exception as exc:
            log.warning("latest query failed: %s", exc)
            banner = f"{t('historian_down', lang)}: {exc or type(exc).__name__}"
            return (dash.no_update,) * 4 + (cursor_ns, banner, dash.no_update)
        now_ns = head_time(latest)
        values = {name: s.value for name, s in latest.items()}
        table = tag_table(station, latest, now_ns, lang)
        loop_values, extends = [], []
        newest = cursor_ns
        for loop in loop_ids:
            roles = _loop_tags(station, loop)
            pv, sp = roles["pv"], roles.get("sp")
            mode = roles.get("mode")
            mode_txt = ""
            if mode is not None and mode.name in values:
                mode_txt = f" · {t('auto', lang) if values[mode.name] >= 0.5 else t('manual', lang)}"
            loop_values.append(
                f"{t(loop, lang)}: {_fmt(values.get(pv.name), pv.unit)}"
                + (f" → {t('setpoint', lang)} {_fmt(values.get(sp.name), sp.unit)}" if sp else "")
                + mode_txt
            )
            names = [roles[r].name if r in roles else "" for r in ("pv", "sp", "out")]
            data = series(station, [n for n in names if n], cursor_ns + 1, now_ns + 1)
            xs, ys = [], []
            for i, name in enumerate(names):
                samples = data.get(name, []) if name else []
                x, y = times([s.time_ns for s in samples], zone), [s.value for s in samples]
                if i > 0 and name in values:
                    # Step signals: hold the latest value to now (they only change on writes).
                    x, y = x + times([now_ns], zone), [*y, values[name]]
                xs.append(x)
                ys.append(y)
                if samples:
                    newest = max(newest, samples[-1].time_ns)
            extends.append(({"x": xs, "y": ys}, [0, 1, 2], MAX_POINTS * 2))
        stamp = f"{t('updated', lang)}: {datetime.now(zone):%H:%M:%S}"  # same zone as the axes
        fig = pid_figure(values, units, lang, **pid_scale)
        return fig, table, loop_values, extends, newest, "", stamp


def tag_table(tagmap: TagMap, latest: dict[str, Sample], now_ns: int, lang: str, id_prefix: str = "") -> html.Table:
    """All tags of a unit with value, unit, status and age (ids ``val-<prefix><tag>`` for tests)."""
    from dashboard.api.routers.tags import status_text

    header = html.Tr([html.Th(t(k, lang)) for k in ("tag", "value", "unit", "status", "age")])
    rows = []
    for tag in tagmap.tags:
        sample = latest.get(tag.name)
        rows.append(
            html.Tr(
                [
                    html.Td(tag.name, title=tag.description),
                    html.Td(_fmt(sample.value) if sample else "—", className="num", id=f"val-{id_prefix}{tag.name}"),
                    html.Td(tag.unit),
                    html.Td(status_text(sample.status) if sample else "—"),
                    html.Td(f"{(now_ns - sample.time_ns) / 1e9:.1f}" if sample else "—", className="num"),
                ]
            )
        )
    return html.Table([html.Thead(header), html.Tbody(rows)], className="tags")
