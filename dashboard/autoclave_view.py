"""The autoclave's own view on its unit page: cycle phases, chamber and load temperatures with
the hold's temperature band, chamber pressure, and F0 per cycle with pass/fail.

A scenario asks students to justify each load by its F0: the F0 history lists every cycle of
the shown window (:mod:`dashboard.autoclave_cycles`) with its F0, the load's lowest temperature
during the hold and the model's verdict.

Examples
--------
>>> fig = f0_figure([], 15.0, "fr")
>>> fig.layout.annotations[0].text
'Pas encore de données'
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

import dash
import plotly.graph_objects as go
from dash import Dash, Input, Output, State, dcc, html

from config_schema.tagmap import TagMap
from dashboard.autoclave_cycles import Cycle, find_cycles
from dashboard.context import DashContext
from dashboard.figures import BASE_LAYOUT, OUT_COLOUR, PV_COLOUR, SP_COLOUR, empty_figure, times
from dashboard.grid import col, data_grid
from dashboard.i18n import colon, fmt_datetime, fmt_number, t
from dashboard.plant_texts import label_or
from dashboard.shell import chart_config
from dashboard.tag_format import format_value
from dashboard.time_range import range_inputs
from dashboard.unit_figures import add_phase_bands, phase_spans
from dashboard.unit_window import PICKER, TICK, skip_still_tick, window
from models.autoclave import Phase

log = logging.getLogger(__name__)

#: Enough points that each phase (minutes long) survives the historian's downsampling of a day.
MAX_POINTS = 3000
TAGS = ("chamber_temperature", "load_temperature", "chamber_pressure", "phase", "f0", "cycle_ok")
#: F0 a load needs (the model's ``f0_required_min`` default), minutes.
F0_REQUIRED_MIN = 15.0
FAIL_COLOUR = "#c62828"


def section(tm: TagMap, lang: str) -> html.Div:
    """The autoclave's view (filled by the page's tick)."""
    u = tm.unit
    return html.Div(
        [
            html.H3(t("ac_cycle", lang)),
            html.Div(id=f"ac-status-{u}", className="ac-status"),
            html.Div(
                [
                    html.Div(dcc.Graph(id=f"ac-temps-{u}", config=chart_config(lang)), className="loop-card"),
                    html.Div(dcc.Graph(id=f"ac-press-{u}", config=chart_config(lang)), className="loop-card"),
                    html.Div(dcc.Graph(id=f"ac-f0-{u}", config=chart_config(lang)), className="loop-card"),
                ],
                className="loops",
            ),
            html.H3(t("ac_f0_history", lang)),
            data_grid(f"ac-cycles-{u}", cycle_columns(lang), lang, height=260, no_rows="ac_no_cycles"),
        ],
        className="autoclave-view",
    )


def cycle_columns(lang: str) -> list[dict[str, Any]]:
    return [
        col("ac_number", lang, field="number", numeric=True, width=70),
        col("ac_start", lang, field="start", minWidth=150),
        col("ac_end", lang, field="end", minWidth=150),
        col("ac_f0", lang, field="f0", numeric=True, width=100),
        col("ac_hold_min", lang, field="hold_min", numeric=True, minWidth=150),
        col("ac_outcome", lang, field="outcome", cellClass={"function": "'ac-outcome-' + params.data.outcome_key"}),
    ]


def cycle_rows(cycles: Sequence[Cycle], zone: Any, lang: str) -> list[dict[str, Any]]:
    """Grid rows of the cycles, newest first.

    >>> from zoneinfo import ZoneInfo
    >>> row = cycle_rows([Cycle(1, 0, 60_000_000_000, 18.46, 121.15, "pass")], ZoneInfo("UTC"), "fr")[0]
    >>> row["f0"], row["hold_min"], row["outcome"], row["end"]
    ('18,5', '121,2', 'conforme', '1 janv. 1970, 00:01:00')
    """
    from datetime import datetime

    def when(ns: int | None) -> str:
        return "—" if ns is None else fmt_datetime(datetime.fromtimestamp(ns / 1e9, zone), lang)

    return [
        {
            "id": f"{c.start_ns}",
            "number": c.number,
            "start": when(c.start_ns),
            "end": when(c.end_ns),
            "f0": fmt_number(c.f0, lang, 1),
            "hold_min": fmt_number(c.hold_min_load, lang, 1),
            "outcome": t(f"ac_outcome.{c.outcome}", lang),
            "outcome_key": c.outcome,
        }
        for c in reversed(cycles)
    ]


def f0_figure(cycles: Sequence[Cycle], required: float, lang: str, zone: Any = None) -> go.Figure:
    """F0 of each cycle as a bar (failed and aborted in red), with the required F0 as a line.

    >>> fig = f0_figure([Cycle(1, 0, 1, 18.0, 121.2, "pass"), Cycle(2, 2, 3, 9.0, 120.0, "fail")], 15.0, "en")
    >>> list(fig.data[0].y), list(fig.data[0].marker.color) == [OUT_COLOUR, FAIL_COLOUR]
    ([18.0, 9.0], True)
    """
    title = t("ac_f0_title", lang, required=required)
    if not cycles:
        return empty_figure(lang, title, height=240)
    labels = [f"#{c.number}" for c in cycles]
    colours = [OUT_COLOUR if c.outcome in ("pass", "running") else FAIL_COLOUR for c in cycles]
    text = [t(f"ac_outcome.{c.outcome}", lang) for c in cycles]
    fig = go.Figure(go.Bar(x=labels, y=[c.f0 for c in cycles], marker={"color": colours}, text=text, name="F0"))
    fig.add_hline(y=required, line={"color": SP_COLOUR, "dash": "dash", "width": 1})
    fig.update_layout(
        **BASE_LAYOUT,
        title={"text": title, "x": 0.02, "font": {"size": 13}},
        margin={"l": 50, "r": 20, "t": 40, "b": 30},
        height=240,
        showlegend=False,
        yaxis={"title": "F0 (min)", "rangemode": "tozero"},
    )
    return fig


def temperature_figure(series: dict[str, Any], tm: TagMap, zone: Any, lang: str) -> go.Figure:
    """Chamber and load temperatures, with the hold's NOR/PAR over the hold only."""
    title = f"{t('ac_temperatures', lang)} (°C)"
    chamber, load = series.get("chamber_temperature", []), series.get("load_temperature", [])
    if not chamber and not load:
        return empty_figure(lang, title, height=270)
    fig = go.Figure()
    for samples, name, colour in ((chamber, "ac_chamber", OUT_COLOUR), (load, "ac_load", PV_COLOUR)):
        fig.add_trace(
            go.Scatter(
                x=times([s.time_ns for s in samples], zone), y=[s.value for s in samples],
                mode="lines", name=t(name, lang), line={"width": 2, "color": colour},
            )
        )  # fmt: skip
    load_tag = tm.by_name().get("load_temperature")
    phase = series.get("phase", [])
    if load_tag is not None and load_tag.bands_when is not None:
        spans = phase_spans(times([s.time_ns for s in phase], zone), [s.value for s in phase], load_tag.bands_when[1])
        add_phase_bands(fig, load_tag.nor, load_tag.par, spans)
    fig.update_layout(
        **BASE_LAYOUT,
        title={"text": title, "x": 0.02, "font": {"size": 13}},
        margin={"l": 50, "r": 45, "t": 40, "b": 70},
        height=270,
        uirevision="temps",
        legend={"orientation": "h", "y": -0.32, "yanchor": "top"},  # below the time axis's date line
    )
    return fig


def pressure_figure(series: dict[str, Any], tm: TagMap, zone: Any, lang: str) -> go.Figure:
    """Chamber pressure, and the cycle phase as a step line with the phases' names on its axis."""
    title = f"{t('ac_pressure', lang)} (bar abs) · {t('ac_phases', lang)}"
    pressure, phase = series.get("chamber_pressure", []), series.get("phase", [])
    if not pressure and not phase:
        return empty_figure(lang, title, height=270)
    phase_tag = tm.by_name().get("phase")
    states = (phase_tag.states if phase_tag else None) or {}
    fig = go.Figure(
        [
            go.Scatter(
                x=times([s.time_ns for s in pressure], zone), y=[s.value for s in pressure], mode="lines",
                name=t("ac_pressure", lang), line={"width": 2, "color": PV_COLOUR},
            ),
            go.Scatter(
                x=times([s.time_ns for s in phase], zone), y=[round(s.value) for s in phase], mode="lines",
                name=t("ac_phases", lang), line={"shape": "hv", "width": 1, "color": OUT_COLOUR}, yaxis="y2",
            ),
        ]
    )  # fmt: skip
    fig.update_layout(
        **BASE_LAYOUT,
        title={"text": title, "x": 0.02, "font": {"size": 13}},
        margin={"l": 50, "r": 150, "t": 40, "b": 30},
        height=270,  # as the temperatures beside it
        uirevision="pressure",
        showlegend=False,
        yaxis={"title": "bar abs", "rangemode": "tozero"},
        yaxis2={
            "overlaying": "y",
            "side": "right",
            "tickvals": list(states),
            "ticktext": [t(key, lang) for key in states.values()],
            "range": [-0.5, max(states, default=7) + 0.5],
            "showgrid": False,
        },
    )
    return fig


def status_line(tm: TagMap, latest: dict[str, Any], lang: str) -> list[Any]:
    """Phase, hold time left, F0 and the cycle's verdict, as formatted values.

    ``cycle_ok`` is 0 from a cycle's start until its end: during a cycle the verdict reads
    "running", not "fail".
    """
    parts = []
    phase = latest.get("phase")
    in_cycle = phase is not None and math.isfinite(phase.value) and Phase.IDLE < round(phase.value) < Phase.COMPLETE
    for name in ("phase", "hold_remaining", "f0", "cycle_ok", "cycles_completed"):
        tag = tm.by_name().get(name)
        if tag is None:
            continue
        sample = latest.get(name)
        shown = format_value(
            tag, None if sample is None else sample.value, None if sample is None else sample.status, lang
        )
        if name == "cycle_ok" and in_cycle and shown.css_class == "q-good":
            shown = shown._replace(text=t("ac_outcome.running", lang))
        parts.append(
            html.Span(
                [
                    html.Span(f"{label_or(f'ac_status.{name}', lang, name)}{colon(lang)} ", className="fp-key"),
                    html.Span(shown.label, className=shown.css_class),
                ],
                className="ac-item",
                id=f"ac-{tm.unit}-{name}",
            )
        )
    return parts


def register(app: Dash, ctx: DashContext, tagmaps: list[TagMap]) -> None:
    """The tick callback of each autoclave's view."""
    for tm in tagmaps:
        _register_one(app, ctx, tm)


def _register_one(app: Dash, ctx: DashContext, tm: TagMap) -> None:
    u = tm.unit
    wanted = [name for name in TAGS if name in tm.by_name()]

    @app.callback(
        Output(f"ac-status-{u}", "children"),
        Output(f"ac-temps-{u}", "figure"),
        Output(f"ac-press-{u}", "figure"),
        Output(f"ac-f0-{u}", "figure"),
        Output(f"ac-cycles-{u}", "rowData"),
        Input(TICK, "n_intervals"),
        *range_inputs(PICKER),
        State("lang", "data"),
    )
    def on_tick(_n: int | None, preset: Any, start: Any, end: Any, lang: str) -> tuple[Any, ...]:
        skip_still_tick(preset)
        try:
            latest = ctx.gateway.latest(tm.site, tm.unit)
            lo, hi = window(ctx, latest, preset, start, end)
            series = ctx.gateway.range(tm.site, tm.unit, wanted, lo, hi + 1, MAX_POINTS).series
        except Exception as exc:
            log.warning("autoclave view query failed: %s", exc)
            return (dash.no_update,) * 5

        def pairs(name: str) -> list[tuple[int, float]]:
            return [(s.time_ns, s.value) for s in series.get(name, [])]

        cycles = find_cycles(pairs("phase"), pairs("f0"), pairs("cycle_ok"), pairs("load_temperature"))
        return (
            status_line(tm, latest, lang),
            temperature_figure(series, tm, ctx.zone, lang),
            pressure_figure(series, tm, ctx.zone, lang),
            f0_figure(cycles, F0_REQUIRED_MIN, lang),
            cycle_rows(cycles, ctx.zone, lang),
        )
