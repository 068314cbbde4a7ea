"""SPC page: the live control chart of one detector, its limits, alarms and which rule fired.

The points come from the in-process monitoring service (``ctx.services.monitoring``), the
same one the API reads; the chart is rebuilt each second only when a new point arrived.
``/spc?detector=<name>`` opens a given detector.
"""

from __future__ import annotations

from typing import Any

import dash
from dash import Dash, Input, Output, State, dcc, html

from dashboard.context import DashContext
from dashboard.detector_view import detector_infos, detector_notice, detector_state
from dashboard.figures_spc import alarm_rows, spc_figure
from dashboard.i18n import t
from dashboard.shell import Shell, chart_card, table

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
        chart_card("spc-graph"),
        html.H2(t("alarm", lang)),
        html.Div(id="spc-alarms"),
    ]


def alarm_table(rows: list[dict[str, str]], lang: str) -> Any:
    """The alarm points of the chart (from :func:`~dashboard.figures_spc.alarm_rows`), newest first.

    >>> alarm_table([], "en").children
    'No alarm in the shown window.'
    """
    if not rows:
        return html.P(t("no_alarm_points", lang), className="muted")
    cells = [
        html.Tr(
            [
                html.Td(r["time"]),
                html.Td(r["statistic"], className="num"),
                html.Td(r["rules"], className="rule"),
                html.Td(r["meaning"]),
            ]
        )
        for r in rows
    ]
    return table(("time", "statistic", "rules", "meaning"), cells, lang, "tags spc-alarm-list")


def register(app: Dash, ctx: DashContext) -> None:
    """Register the SPC page and its live-update callback."""

    def layout(lang: str | None = None, detector: str | None = None, **_: Any) -> html.Div:
        lang = ctx.lang(lang)
        infos = detector_infos(ctx.services.monitoring, pca=False)
        return SHELL.layout(
            lang, detector_notice(ctx.services.monitoring, infos, lang) or spc_body(infos, detector, lang)
        )

    dash.register_page("spc", path=PATH, layout=layout, name="spc", title="gmp-twin SPC", order=10)

    @app.callback(
        Output("spc-graph", "figure"),
        Output("spc-status", "children"),
        Output("spc-alarms", "children"),
        Output("spc-seen", "data"),
        Input("spc-tick", "n_intervals"),
        Input("spc-detector", "value"),
        State("spc-seen", "data"),
        State("spc-lang", "data"),
    )
    def update(_n: int | None, name: str | None, seen: Any, lang: str) -> tuple[Any, ...]:
        now = detector_state(ctx.services.monitoring, name, lang)
        if now is None:
            return dash.no_update, "", "", seen
        info, points = now.info, now.points
        stamp = [name, points[-1].time_ns if points else None, info["phase"], now.alarm["state"]]
        if stamp == seen:
            return dash.no_update, now.status, dash.no_update, seen
        title = f"{info['tag']} — {info['name']} ({info['method'].upper()}, {info['sample_s']:g} s)"
        fig = spc_figure(points, info["method"], title, ctx.zone, lang)
        return fig, now.status, alarm_table(alarm_rows(points, ctx.zone), lang), stamp
