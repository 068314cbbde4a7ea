"""OEE page: A × P × Q, the loss waterfall and the PackML state timeline of every machine that
reports PackML states and production counters; when none does, the page says so.
"""

from __future__ import annotations

from typing import Any

import dash
from dash import ALL, Dash, Input, Output, State, dcc, html

from dashboard.context import DashContext
from dashboard.figures import empty_figure
from dashboard.figures_oee import apq_figure, packml_label, timeline_figure, waterfall_figure
from dashboard.i18n import colon, fmt_number, t
from dashboard.shell import Shell, chart_config, notice

PATH = "/oee"
SHELL = Shell(PATH, "oee_title", lang_id="oee-lang", tick_id="oee-tick", tick_ms=2000)


def _key(view: dict[str, Any]) -> str:
    return f"{view['unit']}/{view['machine']}"


def machine_card(view: dict[str, Any], lang: str) -> html.Div:
    """One machine's summary line, A×P×Q bars, loss waterfall and state timeline (filled by the tick)."""
    key = _key(view)
    return html.Div(
        [
            html.H2(f"{t('machine', lang)} {view['machine']} ({view['unit']})"),
            html.Div(id={"type": "oee-summary", "machine": key}, className="det-status"),
            html.Div(
                [
                    dcc.Graph(
                        id={"type": "oee-apq", "machine": key},
                        config=chart_config(lang),
                        figure=empty_figure(lang, height=300),
                    ),
                    dcc.Graph(
                        id={"type": "oee-waterfall", "machine": key},
                        config=chart_config(lang),
                        figure=empty_figure(lang, height=320),
                    ),
                ],
                className="oee-row",
            ),
            dcc.Graph(
                id={"type": "oee-timeline", "machine": key},
                config=chart_config(lang),
                figure=empty_figure(lang, height=180),
            ),
        ],
        className="chart-card",
    )


def register(app: Dash, ctx: DashContext) -> None:
    """Register the OEE page and its live-update callback."""

    def layout(lang: str | None = None, **_: Any) -> html.Div:
        lang = ctx.lang(lang)
        service = ctx.services.monitoring
        views = service.oee_views() if service else []
        if service is None:
            body: list[Any] = [notice("no_monitoring", lang, id="oee-none")]
        elif not views:
            body = [notice("oee_none", lang, id="oee-none")]
        else:
            body = [machine_card(v, lang) for v in views]
        return SHELL.layout(lang, body)

    dash.register_page("oee", path=PATH, layout=layout, name="oee_page", title="gmp-twin OEE", order=12)

    @app.callback(
        Output({"type": "oee-summary", "machine": ALL}, "children"),
        Output({"type": "oee-apq", "machine": ALL}, "figure"),
        Output({"type": "oee-waterfall", "machine": ALL}, "figure"),
        Output({"type": "oee-timeline", "machine": ALL}, "figure"),
        Input("oee-tick", "n_intervals"),
        State({"type": "oee-apq", "machine": ALL}, "id"),
        State("oee-lang", "data"),
    )
    def update(_n: int | None, ids: list[dict[str, str]], lang: str) -> tuple[list[Any], ...]:
        service = ctx.services.monitoring
        views = {_key(v): v for v in (service.oee_views() if service else [])}
        out: tuple[list[Any], ...] = ([], [], [], [])
        for id_ in ids:
            view = views.get(id_["machine"])
            report = view["report"] if view else None
            if view is None or report is None:
                for part in out:
                    part.append(dash.no_update)
                continue
            counts = ", ".join(
                f"{t('oee_' + key, lang)} {fmt_number(report[key], lang, 0)}"
                for key in ("produced", "good", "rejected")
            )
            summary = f"{t('state', lang)}{colon(lang)} {packml_label(view['state'] or '', lang)} · {counts}"
            out[0].append(summary)
            out[1].append(apq_figure(report, lang))
            out[2].append(waterfall_figure(report, lang))
            out[3].append(timeline_figure(view["timeline"], view["end_ns"], view["machine"], ctx.zone, lang))
        return out
