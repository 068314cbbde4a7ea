"""SPC page: the live control chart of one detector, its limits, alarms and which rule fired.

The points come from the in-process monitoring service (``ctx.services["monitoring"]``), the
same one the API reads; the chart is rebuilt each second only when a new point arrived.
``/spc?detector=<name>`` opens a given detector.
"""

from __future__ import annotations

from typing import Any

import dash
from dash import Dash, Input, Output, State, dcc, html

from analytics.monitoring import MonitoringService
from dashboard.context import DashContext, header
from dashboard.figures_spc import alarm_rows, spc_figure
from dashboard.i18n import t

PATH = "/spc"
TICK_MS = 1000


def monitoring(ctx: DashContext) -> MonitoringService | None:
    """The monitoring service of this process, if any."""
    service = ctx.services.get("monitoring")
    return service if isinstance(service, MonitoringService) else None


def format_parameters(params: dict[str, Any]) -> str:
    """Limits and design of a detector in one line.

    >>> format_parameters({"mean": 15.0, "sigma": 0.04321, "source": "known", "L": 3.0, "rules": "we"})
    'mean = 15, sigma = 0.04321, source = known, L = 3, rules = we'
    """
    parts = []
    for key, value in params.items():
        if value is None or value == []:
            continue
        if isinstance(value, float):
            value = f"{value:.4g}"
        elif isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        parts.append(f"{key} = {value}")
    return ", ".join(parts)


def status_line(info: dict[str, Any], alarm: dict[str, Any] | None, lang: str) -> list[Any]:
    """Phase, status, parameters and the alarm state of a detector, as Dash children."""
    phase = f"{t('phase', lang)}: {t(info['phase'], lang)}"
    if info["status"] != info["phase"]:
        phase += f" ({info['status']})"  # e.g. "learning limits: 35 / 120 s"
    children: list[Any] = [html.Span(phase, className="det-phase")]
    if info["parameters"]:
        children.append(html.Span(f" · {format_parameters(info['parameters'])}", className="det-params"))
    if alarm is not None:
        rules = ", ".join(alarm["rules"])
        children.append(
            html.Div(
                f"{t('alarm', lang)}: {t(alarm['state'], lang)}" + (f" — {rules}" if rules else ""),
                className=f"det-alarm state-{alarm['state']}",
                id="spc-alarm-state",
            )
        )
    return children


def register(app: Dash, ctx: DashContext) -> None:
    """Register the SPC page and its live-update callback."""

    def layout(lang: str | None = None, detector: str | None = None, **_: Any) -> html.Div:
        lang = ctx.lang(lang)
        service = monitoring(ctx)
        infos = [i for i in service.detector_infos() if i["method"] != "pca"] if service else []
        names = [i["name"] for i in infos]
        value = detector if detector in names else (names[0] if names else None)
        if service is None:
            body: list[Any] = [html.P(t("no_monitoring", lang), className="notice")]
        elif not infos:
            body = [html.P(t("no_detectors", lang), className="notice")]
        else:
            body = [
                dcc.Dropdown(
                    id="spc-detector",
                    options=[{"label": f"{i['tag']} — {i['name']} ({i['method']})", "value": i["name"]} for i in infos],
                    value=value,
                    clearable=False,
                    className="detector-select",
                ),
                html.Div(id="spc-status", className="det-status"),
                html.Div(dcc.Graph(id="spc-graph", config={"displaylogo": False}), className="chart-card"),
                html.H2(t("alarm", lang)),
                html.Div(id="spc-alarms"),
            ]
        return html.Div(
            [
                dcc.Store(id="spc-lang", data=lang),
                dcc.Store(id="spc-seen"),
                dcc.Interval(id="spc-tick", interval=TICK_MS),
                header(lang, t("spc_title", lang), PATH),
                *body,
            ],
            className="page",
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
        service = monitoring(ctx)
        if service is None or name is None or name not in service.detectors:
            return dash.no_update, "", "", seen
        info = next(i for i in service.detector_infos() if i["name"] == name)
        alarm = service.alarm_view(name)
        points = service.history(name)
        stamp = [name, points[-1].time_ns if points else None, info["phase"], alarm["state"]]
        status = status_line(info, alarm, lang)
        if stamp == seen:
            return dash.no_update, status, dash.no_update, seen
        title = f"{info['tag']} — {info['name']} ({info['method'].upper()}, {info['sample_s']:g} s)"
        fig = spc_figure(points, info["method"], title, ctx.zone, lang)
        return fig, status, _alarm_table(alarm_rows(points, ctx.zone), lang), stamp


def _alarm_table(rows: list[dict[str, str]], lang: str) -> Any:
    if not rows:
        return html.P(t("no_alarm_points", lang), className="muted")
    head = html.Tr([html.Th(t(k, lang)) for k in ("time", "statistic", "rules", "meaning")])
    body = [
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
    return html.Table([html.Thead(head), html.Tbody(body)], className="tags spc-alarm-list")
