"""Figure builders: pure functions from data to Plotly figures, testable without a browser.

Examples
--------
>>> fig = loop_figure("level", "cm", ([], []), ([], []), ([], []), "en")
>>> [trace.name for trace in fig.data]
['Measured', 'Setpoint', 'Controller output (%)']
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import plotly.graph_objects as go

from dashboard.i18n import t

Series = tuple[Sequence[Any], Sequence[float]]

PV_COLOUR = "#1f77b4"
SP_COLOUR = "#d62728"
OUT_COLOUR = "#7f7f7f"


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


def loop_figure(loop: str, unit: str, pv: Series, sp: Series, out: Series, lang: str) -> go.Figure:
    """Process value, setpoint and controller output of one control loop.

    Trace order (PV, SP, OUT) is fixed because live updates extend them by index.
    """
    fig = go.Figure()
    fig.add_trace(line(*pv, t("measured", lang), line={"color": PV_COLOUR, "width": 2}))
    fig.add_trace(line(*sp, t("setpoint", lang), line={"color": SP_COLOUR, "dash": "dash", "shape": "hv"}))
    fig.add_trace(line(*out, t("output", lang), yaxis="y2", line={"color": OUT_COLOUR, "width": 1}, opacity=0.6))
    fig.update_layout(
        title={"text": f"{t(loop, lang)} ({unit})", "x": 0.02},
        margin={"l": 50, "r": 50, "t": 40, "b": 30},
        height=260,
        uirevision=loop,  # keep zoom while data streams in
        legend={"orientation": "h", "y": -0.25},
        yaxis={"title": unit},
        yaxis2={
            "title": "%",
            "overlaying": "y",
            "side": "right",
            "range": [0, 105],
            "showgrid": False,
            "tickmode": "array",
            "tickvals": [0, 25, 50, 75, 100],
        },
        xaxis={"title": None},
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
