"""SPC page: the live control chart of one detector, its limits, alarms and which rule fired.

The points come from the in-process monitoring service (``ctx.services.monitoring``), the
same one the API reads; the chart is rebuilt each second only when a new point arrived.
``/spc?detector=<name>`` opens a given detector.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import dash
from dash import Dash, Input, Output, State, dcc, html

from analytics.detectors import DetectorPoint
from dashboard.context import DashContext
from dashboard.detector_view import detector_infos, detector_notice, detector_state
from dashboard.figures_spc import spc_figure
from dashboard.grid import col, data_grid, number_format
from dashboard.i18n import t
from dashboard.plant_texts import rule_label
from dashboard.shell import Shell, chart_card, with_unused

PATH = "/spc"
SHELL = Shell(PATH, "spc_title", lang_id="spc-lang", tick_id="spc-tick", stores=("spc-seen",))


def spc_body(infos: list[dict[str, Any]], detector: str | None, lang: str) -> list[Any]:
    """Detector picker (``detector`` if known, else the first), status line, chart and alarm list."""
    names = [i["name"] for i in infos]
    value = detector if detector in names else (names[0] if names else None)
    return [
        dcc.Dropdown(
            id="spc-detector",
            options=[{"label": f"{i['tag']} — {i['name']} ({i['method']})", "value": i["name"]} for i in infos],
            value=value,
            clearable=False,
            className="detector-select",
        ),
        html.Div(id="spc-status", className="det-status"),
        chart_card("spc-graph", lang),
        html.H2(t("alarm", lang)),
        html.Div(alarm_grid(lang), id="spc-alarms"),
    ]


def alarm_groups(points: list[DetectorPoint], zone: Any, lang: str = "en") -> list[dict[str, Any]]:
    """The chart's alarm points grouped by the rules that fired: count, first and last time, newest first.

    A detector that stays beyond its limit alarms at every sample; one row per rule set with its
    count (ISA-18.2) replaces the dozens of identical rows. The statistic stays a number (the
    grid formats it for the reader and sorts it as a number); the rules' meaning is in ``lang``.

    >>> from zoneinfo import ZoneInfo
    >>> pts = [DetectorPoint(i * 10**9, 1.0, 5.0, 0.0, -1.0, 1.0, i > 0, ("WE1",) if i > 0 else ()) for i in range(4)]
    >>> [(r["rules"], r["count"], r["first"], r["last"], r["statistic"]) for r in alarm_groups(pts, ZoneInfo("UTC"))]
    [('WE1', 3, '00:00:01', '00:00:03', 5.0)]
    >>> alarm_groups(pts, ZoneInfo("UTC"), "fr")[0]["meaning"]
    '1 point au-delà des limites de contrôle (3σ)'
    """
    groups: dict[tuple[str, ...], dict[str, Any]] = {}
    for p in points:
        if not p.alarm:
            continue
        when = datetime.fromtimestamp(p.time_ns / 1e9, zone).strftime("%H:%M:%S")
        row = groups.setdefault(
            p.rules,
            {"id": "+".join(p.rules) or "-", "rules": ", ".join(p.rules), "count": 0, "first": when,
             "meaning": "; ".join(rule_label(r, lang) for r in p.rules)},
        )  # fmt: skip
        statistic = p.statistic if math.isfinite(p.statistic) else None
        row.update(count=row["count"] + 1, last=when, last_ns=p.time_ns, statistic=statistic)
    return sorted(groups.values(), key=lambda r: r["last_ns"], reverse=True)


def alarm_grid(lang: str) -> Any:
    """The grouped alarm points of the chart (rows from :func:`alarm_groups`).

    >>> [c["headerName"] for c in alarm_grid("en").children[1].columnDefs][:2]
    ['Rules', 'Count']
    """
    columns = [
        col("rules", lang, cellClass="rule"),
        col("count", lang, numeric=True, width=110),
        col("first_seen", lang, field="first", width=110),
        col("last_seen", lang, field="last", width=110),
        col("statistic", lang, numeric=True, width=120, valueFormatter=number_format(lang, significant=4)),
        col("meaning", lang, minWidth=260),
    ]
    return data_grid("spc-alarm-grid", columns, lang, height=260, no_rows="no_alarm_points", file_name="spc-alarms.csv")


def register(app: Dash, ctx: DashContext) -> None:
    """Register the SPC page and its live-update callback."""

    def layout(lang: str | None = None, detector: str | None = None, **_: Any) -> html.Div:
        lang = ctx.lang(lang)
        infos = detector_infos(ctx.services.monitoring, pca=False)
        shown = detector_notice(ctx.services.monitoring, infos, lang)
        body = with_unused(shown, spc_body([], None, lang)) if shown else spc_body(infos, detector, lang)
        return SHELL.layout(lang, body)

    dash.register_page("spc", path=PATH, layout=layout, name="spc", title="gmp-twin SPC", order=10)

    @app.callback(
        Output("spc-graph", "figure"),
        Output("spc-status", "children"),
        Output("spc-alarm-grid", "rowData"),
        Output("spc-seen", "data"),
        Input("spc-tick", "n_intervals"),
        Input("spc-detector", "value"),
        State("spc-seen", "data"),
        State("spc-lang", "data"),
    )
    def update(_n: int | None, name: str | None, seen: Any, lang: str) -> tuple[Any, ...]:
        now = detector_state(ctx.services.monitoring, name, lang)
        if now is None:
            return dash.no_update, "", [], seen
        info, points = now.info, now.points
        stamp = [name, points[-1].time_ns if points else None, info["phase"], now.alarm["state"]]
        if stamp == seen:
            return dash.no_update, now.status, dash.no_update, seen
        title = f"{info['tag']} — {info['name']} ({info['method'].upper()}, {info['sample_s']:g} s)"
        fig = spc_figure(points, info["method"], title, ctx.zone, lang)
        return fig, now.status, alarm_groups(points, ctx.zone, lang), stamp
