"""PCA page: T² and SPE of a multivariate detector with their limits, and the per-variable
contributions of the selected alarm (click a red cross on the chart or pick it from the list).

Without a selection the contributions of the latest alarm are shown.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import dash
from dash import Dash, Input, Output, State, dcc, html

from analytics.detectors import DetectorPoint
from dashboard.context import DashContext
from dashboard.detector_view import detector_infos, detector_notice, detector_state
from dashboard.figures_pca import contribution_figure, pca_figure
from dashboard.i18n import t
from dashboard.shell import Shell, chart_card, with_unused

PATH = "/pca"
SHELL = Shell(PATH, "pca_title", lang_id="pca-lang", tick_id="pca-tick", stores=("pca-seen",))


def alarm_options(points: list[DetectorPoint], zone: Any) -> list[dict[str, Any]]:
    """Dropdown options for the alarm points, newest first (value = ``time_ns``).

    >>> from zoneinfo import ZoneInfo
    >>> p = DetectorPoint(0, float("nan"), 12.0, 0.0, 0.0, 9.0, True, ("T2",), spe=0.5)
    >>> alarm_options([p], ZoneInfo("UTC"))
    [{'label': '00:00:00 — T2 (T² 12, SPE 0.5)', 'value': 0}]
    """
    out = []
    for p in reversed(points):
        spe = f", SPE {p.spe:.3g}" if p.spe is not None else ""
        when = datetime.fromtimestamp(p.time_ns / 1e9, zone).strftime("%H:%M:%S")
        label = f"{when} — {', '.join(p.rules)} (T² {p.statistic:.3g}{spe})"
        out.append({"label": label, "value": p.time_ns})
    return out


def pca_body(infos: list[dict[str, Any]], lang: str) -> list[Any]:
    """Detector picker, status line, T²/SPE chart, alarm picker and the contribution chart."""
    return [
        dcc.Dropdown(
            id="pca-detector",
            options=[{"label": f"{i['name']} ({i['tag']})", "value": i["name"]} for i in infos],
            value=infos[0]["name"] if infos else None,
            clearable=False,
            className="detector-select",
        ),
        html.Div(id="pca-status", className="det-status"),
        chart_card("pca-graph", lang),
        html.H2(t("pca_alarm", lang)),
        dcc.Dropdown(id="pca-alarm", options=[], value=None, placeholder=t("select_alarm", lang)),
        chart_card("pca-contrib", lang),
    ]


def register(app: Dash, ctx: DashContext) -> None:
    """Register the PCA page and its callbacks."""

    def layout(lang: str | None = None, **_: Any) -> html.Div:
        lang = ctx.lang(lang)
        infos = detector_infos(ctx.services.monitoring, pca=True)
        shown = detector_notice(ctx.services.monitoring, infos, lang)
        return SHELL.layout(lang, with_unused(shown, pca_body([], lang)) if shown else pca_body(infos, lang))

    dash.register_page("pca", path=PATH, layout=layout, name="pca", title="gmp-twin PCA", order=11)

    @app.callback(
        Output("pca-graph", "figure"),
        Output("pca-status", "children"),
        Output("pca-alarm", "options"),
        Output("pca-seen", "data"),
        Input("pca-tick", "n_intervals"),
        Input("pca-detector", "value"),
        State("pca-seen", "data"),
        State("pca-lang", "data"),
    )
    def update(_n: int | None, name: str | None, seen: Any, lang: str) -> tuple[Any, ...]:
        service = ctx.services.monitoring
        now = detector_state(service, name, lang)
        if service is None or name is None or now is None:
            return dash.no_update, "", [], seen
        stamp = [name, now.points[-1].time_ns if now.points else None, now.info["phase"]]
        if stamp == seen:
            return dash.no_update, now.status, dash.no_update, seen
        options = alarm_options(service.alarm_points(name), ctx.zone)
        return pca_figure(now.points, ctx.zone, lang), now.status, options, stamp

    @app.callback(Output("pca-alarm", "value"), Input("pca-graph", "clickData"), prevent_initial_call=True)
    def select_from_chart(click: dict[str, Any] | None) -> Any:
        for point in (click or {}).get("points", []):
            if point.get("customdata") is not None:
                return point["customdata"]
        return dash.no_update

    @app.callback(
        Output("pca-contrib", "figure"),
        Input("pca-alarm", "value"),
        Input("pca-alarm", "options"),
        State("pca-detector", "value"),
        State("pca-lang", "data"),
    )
    def contributions(selected: int | None, _options: Any, name: str | None, lang: str) -> Any:
        service = ctx.services.monitoring
        if service is None or name is None or name not in service.detectors:
            return contribution_figure(None, lang)
        points = service.alarm_points(name)
        chosen = next((p for p in points if p.time_ns == selected), None)
        if chosen is None and selected is None and points:
            chosen = points[-1]  # no selection: the latest alarm
        if chosen is None:
            return contribution_figure(None, lang)
        when = datetime.fromtimestamp(chosen.time_ns / 1e9, ctx.zone).strftime("%H:%M:%S")
        title = f"{t('contributions', lang)} — {when} ({', '.join(chosen.rules)})"
        return contribution_figure(chosen.contributions, lang, title)
