"""Shadow page (/shadow): a unit's twin in shadow against its real plant, and the residuals' chart.

A twin runs in shadow with ``gmp-twin shadow run`` (:mod:`gmp_twin.shadow_run`): the plant's values
are stored as ``source = plc``, the twin's as ``source = sim``, in the same unit and tags. The page
lists the units that have both, and for the chosen tag shows the two series on one chart, then the
residual (plant − twin, window means) with the reference's centre and ±3σ, the chart the live run
uses (EWMA by default) with its limits, the windows out of limits and the alarms the run raised.
A table gives every tag's last residual, its deviation in σ and its alarms. All of it is read with
:func:`analytics.shadow_report.load_shadow`, the same code as ``gmp-twin shadow report``.

``/shadow?unit=<site>|<unit>&tag=<tag>`` opens a given unit and tag.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping
from typing import Any

import dash
import numpy as np
import plotly.graph_objects as go
from dash import Dash, Input, Output, State, dcc, html

from analytics.shadow_report import ShadowReport, TagResidual, load_shadow
from dashboard.context import DashContext
from dashboard.figures import BASE_LAYOUT, empty_figure, finite, line, times
from dashboard.grid import col, data_grid, number_format
from dashboard.i18n import fmt_number, t
from dashboard.shell import Shell, chart_card, notice, with_unused
from dashboard.time_range import picker_value, range_inputs, range_picker, resolve_range
from historian.base import Sample, SeriesKey

PATH = "/shadow"
SHELL = Shell(PATH, "shadow_title", lang_id="sh-lang", tick_id="sh-tick", tick_ms=5000)
#: Points per series read for one view (a long range is read as bucket means).
MAX_POINTS = 4000
PLANT_COLOUR, TWIN_COLOUR, ALARM_COLOUR, LIMIT_COLOUR = "#333333", "#1f77b4", "#c62828", "#9a9a9a"


def shadow_units(latest: Mapping[SeriesKey, Sample]) -> dict[str, list[str]]:
    """``"site|unit"`` -> its tags that have both a plant (``plc``) and a twin (``sim``) series.

    >>> k = lambda tag, src: SeriesKey("lab", "mps-pa", tag, src)
    >>> shadow_units({k("L", "plc"): Sample(0, 1.0), k("L", "sim"): Sample(0, 1.0), k("F", "plc"): Sample(0, 2.0)})
    {'lab|mps-pa': ['L']}
    """
    sources: dict[tuple[str, str, str], set[str]] = {}
    for key in latest:
        sources.setdefault((key.site, key.unit, key.tag), set()).add(key.source)
    out: dict[str, list[str]] = {}
    for (site, unit, tag), found in sorted(sources.items()):
        if {"plc", "sim"} <= found:
            out.setdefault(f"{site}|{unit}", []).append(tag)
    return out


def reference_text(item: TagResidual | None, lang: str) -> str:
    """Where the residual's centre and σ come from, in ``lang``.

    >>> from analytics.shadow import ResidualReference
    >>> import numpy as np
    >>> from analytics.shadow import Windows
    >>> from historian.base import RawSeries
    >>> raw, none = RawSeries.of([]), Windows(np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64))
    >>> item = TagResidual("L", raw, raw, np.zeros(0), np.zeros(0), none)
    >>> item.reference, item.reference_from = ResidualReference("L", 0.01, 0.02, 180, 0.1, 0, 1), "run"
    >>> reference_text(item, "fr")
    'Référence du jumeau en ombre : moyenne 0,01, σ 0,02 sur 180 fenêtres.'
    """
    if item is None or item.reference is None:
        return t("shadow_ref_none", lang) + (f" {item.note}" if item is not None and item.note else "")
    ref = item.reference
    params = {"mean": fmt_number(ref.mean, lang, significant=3), "sigma": fmt_number(ref.sigma, lang, significant=3)}
    text = t("shadow_ref_run" if item.reference_from == "run" else "shadow_ref_range", lang, n=ref.n, **params)
    if math.isfinite(ref.lag1) and abs(ref.lag1) > 0.5:
        text += " " + t("shadow_lag1", lang, lag1=fmt_number(ref.lag1, lang, 2))
    if item.note.startswith("read as"):
        text += " " + t("shadow_coarse", lang)
    return text


def trend_figure(item: TagResidual, zone: Any, lang: str) -> go.Figure:
    """The plant's and the twin's series of one tag on one chart."""
    fig = go.Figure()
    fig.add_trace(line(times(item.plant.time_ns.tolist(), zone), _gaps(item.plant.value), t("shadow_plant", lang),
                       line={"color": PLANT_COLOUR, "width": 1}))  # fmt: skip
    fig.add_trace(line(times(item.twin.time_ns.tolist(), zone), _gaps(item.twin.value), t("shadow_twin", lang),
                       line={"color": TWIN_COLOUR, "width": 2, "dash": "dash"}))  # fmt: skip
    return _layout(fig, t("shadow_trend", lang, tag=item.tag))


def residual_figure(item: TagResidual, window_s: float, method: str, zone: Any, lang: str) -> go.Figure:
    """Residual window means, centre ±3σ, the run's chart and limits, windows out and alarms raised.

    >>> import numpy as np
    >>> from analytics.shadow import ResidualReference, Windows
    >>> from historian.base import RawSeries
    >>> from zoneinfo import ZoneInfo
    >>> w = Windows(np.array([0, 10**10], np.int64), np.array([0.0, 1.0]), np.array([5, 5], np.int64))
    >>> item = TagResidual("L", RawSeries.of([]), RawSeries.of([]), np.zeros(0), np.zeros(0), w,
    ...                    statistic=np.array([np.nan, 0.2]), lcl=np.array([np.nan, -0.1]),
    ...                    ucl=np.array([np.nan, 0.1]), alarm=np.array([False, True]))
    >>> item.reference = ResidualReference("L", 0.0, 0.1, 30, 0.0, 0, 10**10)
    >>> [tr.name for tr in residual_figure(item, 10, "ewma", ZoneInfo("UTC"), "en").data]
    ['residual', 'centre (reference)', '±3σ', '±3σ', 'EWMA chart', 'chart limits', 'chart limits', 'out of limits']
    """
    w = item.windows
    x = times(w.time_ns.tolist(), zone)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=x, y=_gaps(w.mean), name=t("shadow_residual", lang), mode="lines+markers",
                             line={"color": PLANT_COLOUR, "width": 1}, marker={"size": 4}))  # fmt: skip
    ref = item.reference
    if ref is not None and len(x):
        centre = [ref.mean] * len(x)
        fig.add_trace(line(x, centre, t("shadow_centre", lang), line={"color": LIMIT_COLOUR, "width": 1}))
        for sign in (1, -1):
            band = [ref.mean + sign * 3 * ref.sigma] * len(x)
            fig.add_trace(line(x, band, t("shadow_limits", lang), line={"color": LIMIT_COLOUR, "dash": "dot"},
                               showlegend=sign == 1))  # fmt: skip
    if np.isfinite(item.statistic).any():
        fig.add_trace(line(x, _gaps(item.statistic), t("shadow_chart", lang, method=method.upper()),
                           line={"color": TWIN_COLOUR, "width": 2}))  # fmt: skip
        for k, limit in enumerate((item.ucl, item.lcl)):
            fig.add_trace(line(x, _gaps(limit), t("shadow_chart_limits", lang),
                               line={"color": TWIN_COLOUR, "dash": "dash", "width": 1}, showlegend=k == 0))  # fmt: skip
    out = np.flatnonzero(item.alarm)
    if len(out):
        fig.add_trace(go.Scatter(x=[x[i] for i in out], y=[finite(float(w.mean[i])) for i in out],
                                 name=t("shadow_out", lang), mode="markers",
                                 marker={"color": ALARM_COLOUR, "size": 8, "symbol": "x"}))  # fmt: skip
    for event in item.alarms:
        if event.tags.get("kind") == "alarm_raised":
            when = times([event.time_ns], zone)[0]
            fig.add_vline(x=when, line={"color": ALARM_COLOUR, "width": 1})
            fig.add_annotation(x=when, y=1, yref="paper", text=t("shadow_raised", lang), showarrow=False,
                               font={"color": ALARM_COLOUR, "size": 11}, xanchor="left")  # fmt: skip
    return _layout(fig, t("shadow_residual_title", lang, tag=item.tag, window=fmt_number(window_s, lang)))


def tag_rows(report: ShadowReport, lang: str) -> list[dict[str, Any]]:
    """One grid row per tag: last residual window, its deviation in σ, reference, windows out, alarms."""
    rows = []
    for row in report.rows():
        source = {"run": "sh_from_run", "range": "sh_from_range"}.get(row["reference_from"], "sh_from_none")
        rows.append(
            {
                "id": row["tag"], "tag": row["tag"], "last": row["last_window"], "z": row["last_z"],
                "sigma": row["reference_sigma"], "from": t(source, lang), "out": row["windows_out"],
                "alarms": row["alarms_raised"],
            }
        )  # fmt: skip
    return rows


def tag_grid(lang: str) -> Any:
    """The residuals-per-tag table (rows from :func:`tag_rows`)."""
    numbers = number_format(lang, significant=4)
    columns = [
        col("sh_col_tag", lang, field="tag", minWidth=160),
        col("sh_col_last", lang, field="last", numeric=True, valueFormatter=numbers),
        col("sh_col_z", lang, field="z", numeric=True, valueFormatter=number_format(lang, decimals=1)),
        col("sh_col_sigma", lang, field="sigma", numeric=True, valueFormatter=numbers),
        col("sh_col_from", lang, field="from"),
        col("sh_col_out", lang, field="out", numeric=True),
        col("sh_col_alarms", lang, field="alarms", numeric=True),
    ]
    rules = {"row-alarm": "params.data.alarms > 0"}
    return data_grid("sh-grid", columns, lang, height=300, no_rows="sh_no_tags", file_name="shadow-residuals.csv",
                     row_class_rules=rules)  # fmt: skip


def _gaps(values: Any) -> list[float | None]:
    return [finite(float(v)) for v in values]


def _layout(fig: go.Figure, title: str) -> go.Figure:
    fig.update_layout(**BASE_LAYOUT, title={"text": title, "x": 0.02, "font": {"size": 13}}, height=320,
                      margin={"l": 60, "r": 20, "t": 40, "b": 30}, legend={"orientation": "h", "y": -0.15})  # fmt: skip
    return fig


def body(units: dict[str, list[str]], unit: str | None, tag: str | None, lang: str) -> list[Any]:
    """Intro, unit and tag pickers, range picker, the two charts, the reference line and the table."""
    unit = unit if unit in units else next(iter(units), None)
    tags = units.get(unit or "", [])
    return [
        html.P(t("shadow_intro", lang), className="muted"),
        html.Div(
            [
                html.Label(t("shadow_unit", lang), htmlFor="sh-unit"),
                dcc.Dropdown(
                    id="sh-unit",
                    options=[{"label": u.split("|", 1)[1], "value": u} for u in units],
                    value=unit,
                    clearable=False,
                    className="detector-select",
                ),
                html.Label(t("shadow_tag", lang), htmlFor="sh-tag"),
                dcc.Dropdown(
                    id="sh-tag",
                    options=tags,
                    value=tag if tag in tags else (tags[0] if tags else None),
                    clearable=False,
                    className="detector-select",
                ),
            ],
            className="ack-bar",
        ),
        range_picker("sh", lang, export=False),
        chart_card("sh-trend", lang),
        chart_card("sh-residual", lang),
        html.P(id="sh-reference", className="det-status"),
        html.H2(t("shadow_tags", lang)),
        tag_grid(lang),
    ]


def register(app: Dash, ctx: DashContext) -> None:
    """Register the shadow page and its callbacks."""

    def read(coro: Any) -> Any:
        # The pages' historian client lives on the gateway's loop (dashboard.data).
        return asyncio.run_coroutine_threadsafe(coro, ctx.gateway.loop).result(timeout=4 * ctx.gateway.timeout_s)

    def layout(lang: str | None = None, unit: str | None = None, tag: str | None = None, **_: Any) -> html.Div:
        lang = ctx.lang(lang)
        units = shadow_units(ctx.gateway.latest_all())
        if not units:
            return SHELL.layout(lang, with_unused([notice("shadow_none", lang)], body({}, None, None, lang)))
        return SHELL.layout(lang, body(units, unit, tag, lang))

    dash.register_page("shadow", path=PATH, layout=layout, name="shadow", title="gmp-twin shadow", order=17)

    @app.callback(
        Output("sh-tag", "options"),
        Output("sh-tag", "value"),
        Input("sh-unit", "value"),
        State("sh-tag", "value"),
    )
    def pick_unit(unit: str | None, tag: str | None) -> tuple[list[str], str | None]:
        tags = shadow_units(ctx.gateway.latest_all()).get(unit or "", [])
        return tags, tag if tag in tags else (tags[0] if tags else None)

    @app.callback(
        Output("sh-trend", "figure"),
        Output("sh-residual", "figure"),
        Output("sh-reference", "children"),
        Output("sh-grid", "rowData"),
        Input("sh-tick", "n_intervals"),
        Input("sh-tag", "value"),
        *range_inputs("sh"),
        State("sh-unit", "value"),
        State("sh-lang", "data"),
    )
    def update(_n: Any, tag: str | None, preset: Any, start: Any, end: Any, unit: str | None, lang: str) -> Any:
        if not unit or "|" not in unit:
            return empty_figure(lang), empty_figure(lang), "", []
        site, name = unit.split("|", 1)
        tags = shadow_units(ctx.gateway.latest_all()).get(unit, [])
        latest = ctx.gateway.latest(site, name)
        now = max((s.time_ns for s in latest.values()), default=0)
        lo, hi = resolve_range(picker_value(preset, start, end), now, None, ctx.zone)
        report = read(load_shadow(ctx.gateway.historian, site, name, tags, lo, hi + 1, max_points=MAX_POINTS))
        item = report.tags.get(tag or "")
        if item is None:
            return empty_figure(lang), empty_figure(lang), reference_text(None, lang), tag_rows(report, lang)
        cfg = item.config or report.config
        trend = trend_figure(item, ctx.zone, lang)
        residual = residual_figure(item, cfg.window_s, cfg.method, ctx.zone, lang)
        return trend, residual, reference_text(item, lang), tag_rows(report, lang)
