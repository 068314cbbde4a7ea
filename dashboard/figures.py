"""Figure builders: pure functions from data to Plotly figures, testable without a browser.

Colours follow ISA-101: the process is drawn in greys and dark blue, colour is kept for what is
abnormal (limits, alarms), and a chart with nothing to draw says so instead of showing empty axes.

Examples
--------
>>> fig = loop_figure("level", "cm", ([], []), ([], []), ([], []), "en")
>>> [trace.name for trace in fig.data]
['Measured', 'Setpoint', 'Controller output (%)']
>>> [a.text for a in fig.layout.annotations]
['No data yet']
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import plotly.graph_objects as go

from dashboard.i18n import t

Series = tuple[Sequence[Any], Sequence[float]]

# ISA-101: normal values in dark grey-blue, setpoints and outputs in greys; red only for abnormal.
PV_COLOUR = "#1d4e89"
SP_COLOUR = "#3c3c3c"
OUT_COLOUR = "#9a9a9a"
#: Bands of critical parameters: light greys (normal is not a colour), PAR a shade darker than NOR.
NOR_FILL = "rgba(120,120,120,0.10)"
PAR_FILL = "rgba(120,120,120,0.18)"
#: Layout every chart shares: white plot on the grey page, light grid (ISA-101 low-contrast frame).
BASE_LAYOUT: dict[str, Any] = {"paper_bgcolor": "white", "plot_bgcolor": "#fafafa", "font": {"color": "#333"}}


def line(x: Sequence[Any], y: Sequence[float | None], name: str, **style: Any) -> go.Scatter:
    """A named line trace; ``style`` goes to :class:`plotly.graph_objects.Scatter` (``line``, ``yaxis``...).

    >>> line([0, 1], [2.0, 3.0], "PV", line={"width": 2}).mode
    'lines'
    """
    return go.Scatter(x=list(x), y=list(y), name=name, **{"mode": "lines", **style})


def finite(x: float | None) -> float | None:
    """``x``, or ``None`` (a gap in the line) for a missing, NaN or infinite value.

    >>> finite(1.5), finite(float("nan")), finite(None)
    (1.5, None, None)
    """
    return None if x is None or not math.isfinite(x) else x


def no_data_note(fig: go.Figure, lang: str, key: str = "no_data") -> go.Figure:
    """Write "No data yet" in the middle of ``fig`` and hide its empty axes.

    >>> fig = no_data_note(go.Figure(), "fr")
    >>> fig.layout.annotations[0].text, fig.layout.xaxis.visible
    ('Pas encore de données', False)
    """
    fig.add_annotation(
        text=t(key, lang),
        showarrow=False,
        xref="paper",
        yref="paper",
        x=0.5,
        y=0.5,
        font={"size": 15, "color": "#777"},
        name="no-data",
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def empty_figure(lang: str, title: str = "", height: int = 260, key: str = "no_data") -> go.Figure:
    """A chart with nothing to show: its title and "No data yet" (not Plotly's default -1..6 axes).

    >>> fig = empty_figure("en", "Level (cm)")
    >>> fig.layout.title.text, fig.layout.annotations[0].text, fig.layout.yaxis.visible
    ('Level (cm)', 'No data yet', False)
    """
    fig = go.Figure()
    fig.update_layout(
        **BASE_LAYOUT,
        title={"text": title, "x": 0.02, "font": {"size": 13}},
        height=height,
        margin={"l": 50, "r": 20, "t": 40, "b": 30},
    )
    return no_data_note(fig, lang, key)


def has_points(fig: go.Figure) -> bool:
    """Whether any trace of ``fig`` has an x value.

    >>> has_points(go.Figure(go.Scatter(x=[], y=[]))), has_points(go.Figure(go.Scatter(x=[1], y=[2])))
    (False, True)
    """
    return any(getattr(trace, "x", None) is not None and len(trace.x) > 0 for trace in fig.data)


def add_bands(fig: go.Figure, nor: tuple[float, float] | None, par: tuple[float, float] | None) -> go.Figure:
    """Draw the PAR and NOR bands of a critical parameter, with labels that never overlap.

    PAR is labelled on the right margin (outside the plot), NOR inside the plot on the left,
    each at its band's upper edge: two edges close together still give two readable labels.
    The figure needs a right margin of about 40 px for the PAR label.

    >>> fig = add_bands(go.Figure(), (36.5, 37.5), (35.0, 39.0))
    >>> [s.fillcolor for s in fig.layout.shapes] == [PAR_FILL, NOR_FILL]
    True
    >>> [(a.text, a.x > 1) for a in fig.layout.annotations]
    [('PAR', True), ('NOR', False)]
    """
    for band, fill, label, x in ((par, PAR_FILL, "PAR", 1.01), (nor, NOR_FILL, "NOR", 0.005)):
        if not band:
            continue
        edge = {"color": "#8c8c8c", "width": 1, "dash": "dot"}
        fig.add_hrect(y0=band[0], y1=band[1], fillcolor=fill, line=edge, layer="below")
        fig.add_annotation(
            x=x,
            xref="paper",
            y=band[1],
            yref="y",
            text=label,
            showarrow=False,
            xanchor="left",
            yanchor="top" if label == "NOR" else "middle",
            font={"size": 10, "color": "#555"},
        )
    return fig


def loop_figure(loop: str, unit: str, pv: Series, sp: Series, out: Series, lang: str) -> go.Figure:
    """Process value, setpoint and controller output of one control loop.

    Trace order (PV, SP, OUT) is fixed because live updates extend them by index.
    """
    fig = go.Figure()
    fig.add_trace(line(*pv, t("measured", lang), line={"color": PV_COLOUR, "width": 2}))
    fig.add_trace(line(*sp, t("setpoint", lang), line={"color": SP_COLOUR, "dash": "dash", "shape": "hv"}))
    fig.add_trace(line(*out, t("output", lang), yaxis="y2", line={"color": OUT_COLOUR, "width": 1}, opacity=0.6))
    fig.update_layout(
        **BASE_LAYOUT,
        title={"text": f"{t(loop, lang)} ({unit})", "x": 0.02},
        margin={"l": 50, "r": 50, "t": 40, "b": 30},
        height=260,
        uirevision=loop,  # keep zoom while data streams in
        legend={"orientation": "h", "y": -0.25},
        xaxis={"title": None, "gridcolor": "#e6e6e6"},
        yaxis={"title": unit, "gridcolor": "#e6e6e6"},
        yaxis2={
            "title": "%",
            "overlaying": "y",
            "side": "right",
            "range": [0, 105],
            "showgrid": False,
            "tickmode": "array",
            "tickvals": [0, 25, 50, 75, 100],
        },
    )
    if not has_points(fig):
        # Live updates extend the traces: keep the axes, only say why they are empty.
        fig.add_annotation(
            text=t("no_data", lang), showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5, name="no-data"
        )
    return fig


def hold_to(series: Series, until: Any) -> Series:
    """Extend a step signal (setpoint, controller output) with its last value up to ``until``.

    OPC UA only sends changes, so a constant setpoint has one sample; holding it to the
    current time draws the step line a student expects. Display only, never stored.

    >>> hold_to(([1, 2], [5.0, 6.0]), 9)
    ([1, 2, 9], [5.0, 6.0, 6.0])
    >>> hold_to(([], []), 9)
    ([], [])
    """
    xs, ys = list(series[0]), list(series[1])
    if ys:
        xs.append(until)
        ys.append(ys[-1])
    return xs, ys


def times(times_ns: Sequence[int], tz: Any) -> list[datetime]:
    """Historian nanosecond timestamps as timezone-aware datetimes for display."""
    return [datetime.fromtimestamp(ns / 1e9, tz) for ns in times_ns]
