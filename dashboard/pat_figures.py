"""Figures of the PAT page: a prediction with its interval, lab samples and untrusted points; T²/Q.

Pure functions from historian samples to Plotly figures (no Dash, no I/O). ISA-101 colours: the
prediction in dark blue with its interval as a light band, lab results as black diamonds, and
colour only for what is abnormal: the predictions the twin published *Uncertain* (orange: out of
the calibrated space; amber: outside the calibrated range) and the limits of T² and Q (red).

Examples
--------
>>> from historian.base import Sample
>>> pred = [Sample(i * 60 * 10**9, 5.0 + i, 0) for i in range(3)]
>>> half = [Sample(i * 60 * 10**9, 0.8, 0) for i in range(3)]
>>> fig = prediction_figure("Glucose", "g/l", pred, half, [], None, "en")
>>> [tr.name for tr in fig.data]
['95 % interval', '95 % interval', 'Prediction']
>>> lab_points([Sample(1, 2.0), Sample(2, 2.0), Sample(3, 2.5), Sample(4, 3.0), Sample(5, 3.0)])
[Sample(time_ns=1, value=2.0, status=0), Sample(time_ns=4, value=3.0, status=0)]
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
from asyncua import ua

from dashboard.figures import BASE_LAYOUT, PV_COLOUR, empty_figure, finite
from dashboard.i18n import t
from dashboard.tag_format import quality
from historian.base import Sample

UTC = ZoneInfo("UTC")
BAND_FILL = "rgba(29,78,137,0.15)"
LAB_COLOUR = "#111111"
#: Uncertain predictions: out of the calibrated space (T²/Q), outside the calibrated range.
SPACE_COLOUR = "#d9480f"
RANGE_COLOUR = "#e8a317"
LIMIT_COLOUR = "#c62828"
#: The statuses the twin gives an untrusted soft sensor (:mod:`twin.sensors`).
UNCERTAIN_CALIBRATION: int = ua.StatusCodes.UncertainSensorCalibration
UNCERTAIN_RANGE: tuple[int, int] = (ua.StatusCodes.UncertainUnderRange, ua.StatusCodes.UncertainOverRange)
#: A trace colour per model on the T²/Q charts (greys and blue: the limits carry the colour).
MODEL_COLOURS = ("#1d4e89", "#7a7a7a", "#3c3c3c")


def _x(samples: Sequence[Sample], zone: Any) -> list[datetime]:
    return [datetime.fromtimestamp(s.time_ns / 1e9, zone) for s in samples]


def lab_points(samples: Sequence[Sample]) -> list[Sample]:
    """The lab results in a held lab tag's series: the first sample of each plateau.

    A lab tag holds its result until the next sample; a downsampled series may average two
    results in the bucket where one replaces the other, so a value seen once between two
    plateaus is that average, not a result (the newest value is kept: it may be a plateau
    that just began).
    """
    out: list[Sample] = []
    run_start = 0
    for i in range(1, len(samples) + 1):
        if i == len(samples) or samples[i].value != samples[run_start].value:
            if i - run_start >= 2 or i == len(samples):
                out.append(samples[run_start])
            run_start = i
    return [s for s in out if math.isfinite(s.value)]


def _marker_trace(samples: Sequence[Sample], zone: Any, name: str, colour: str, symbol: str) -> go.Scatter:
    return go.Scatter(
        x=_x(samples, zone),
        y=[s.value for s in samples],
        mode="markers",
        name=name,
        marker={"color": colour, "size": 7, "symbol": symbol},
    )


def prediction_figure(
    title: str,
    unit: str,
    prediction: Sequence[Sample],
    half_width: Sequence[Sample],
    lab: Sequence[Sample],
    calibrated: tuple[float, float] | None,
    lang: str,
    zone: Any = UTC,
) -> go.Figure:
    """A soft sensor over time: the prediction, its interval, the lab results, untrusted points.

    ``half_width`` is matched to ``prediction`` by time (the same publications); a missing
    half-width leaves a gap in the band, never a band of zero width.
    """
    heading = f"{title} ({unit})" if unit else title
    if not prediction:
        return empty_figure(lang, heading, height=300)
    x = _x(prediction, zone)
    half = {s.time_ns: s.value for s in half_width}
    hw = [half.get(s.time_ns) for s in prediction]
    upper = [None if h is None else finite(s.value + h) for s, h in zip(prediction, hw, strict=True)]
    lower = [None if h is None else finite(s.value - h) for s, h in zip(prediction, hw, strict=True)]
    interval = t("pat_interval", lang)
    fig = go.Figure(
        [
            go.Scatter(x=x, y=upper, mode="lines", line={"width": 0}, name=interval, showlegend=False,
                       hoverinfo="skip"),
            go.Scatter(x=x, y=lower, mode="lines", line={"width": 0}, fill="tonexty", fillcolor=BAND_FILL,
                       name=interval),
            go.Scatter(x=x, y=[finite(s.value) for s in prediction], mode="lines", name=t("pat_prediction", lang),
                       line={"width": 2, "color": PV_COLOUR}),
        ]
    )  # fmt: skip
    space = [s for s in prediction if s.status == UNCERTAIN_CALIBRATION]
    out_of_range = [s for s in prediction if s.status in UNCERTAIN_RANGE]
    if space:
        fig.add_trace(_marker_trace(space, zone, t("pat_uncertain_space", lang), SPACE_COLOUR, "x"))
    if out_of_range:
        fig.add_trace(_marker_trace(out_of_range, zone, t("pat_uncertain_range", lang), RANGE_COLOUR, "circle-open"))
    named = (UNCERTAIN_CALIBRATION, *UNCERTAIN_RANGE)
    other = [s for s in prediction if quality(s.status) != "good" and s.status not in named]
    if other:
        fig.add_trace(_marker_trace(other, zone, t("pat_uncertain_other", lang), SPACE_COLOUR, "square-open"))
    points = lab_points(lab)
    if points:
        fig.add_trace(_marker_trace(points, zone, t("pat_lab", lang), LAB_COLOUR, "diamond"))
    if calibrated is not None:
        for edge in calibrated:
            fig.add_hline(y=edge, line={"color": "#8c8c8c", "width": 1, "dash": "dot"})
        fig.add_annotation(
            x=1.0, xref="paper", y=calibrated[1], yref="y", text=t("pat_calibrated_range", lang), showarrow=False,
            xanchor="right", yanchor="bottom", font={"size": 10, "color": "#555"},
        )  # fmt: skip
    fig.update_layout(
        **BASE_LAYOUT,
        title={"text": heading, "x": 0.02, "font": {"size": 13}},
        margin={"l": 50, "r": 20, "t": 40, "b": 30},
        height=300,
        uirevision=title,
        legend={"orientation": "h", "y": -0.18},
        yaxis={"title": unit},
    )
    return fig


def diagnostics_figure(
    title: str,
    series: Mapping[str, Sequence[Sample]],
    limits: Mapping[str, float | None],
    lang: str,
    zone: Any = UTC,
) -> go.Figure:
    """Hotelling T² or Q of each model over time with its limit (log scale: a spectrum far outside
    reads tens of times its limit, a normal one about half of it).

    >>> from historian.base import Sample
    >>> fig = diagnostics_figure("T2", {"glucose": [Sample(0, 3.0), Sample(60, 4.0)]}, {"glucose": 13.8}, "en")
    >>> [tr.name for tr in fig.data], fig.layout.yaxis.type
    (['glucose', 'glucose: limit (99 %)'], 'log')
    """
    if not any(series.values()):
        return empty_figure(lang, title, height=260)
    fig = go.Figure()
    for k, (name, samples) in enumerate(series.items()):
        colour = MODEL_COLOURS[k % len(MODEL_COLOURS)]
        values = [v if (v := finite(s.value)) is not None and v > 0 else None for s in samples]
        fig.add_trace(go.Scatter(x=_x(samples, zone), y=values, mode="lines", name=name, line={"color": colour}))
        limit = limits.get(name)
        if limit is not None and math.isfinite(limit) and samples:
            x0, x1 = _x([samples[0], samples[-1]], zone)
            fig.add_trace(
                go.Scatter(
                    x=[x0, x1], y=[limit, limit], mode="lines", name=f"{name}: {t('pat_limit', lang)}",
                    line={"color": LIMIT_COLOUR, "dash": "dash" if k == 0 else "dot", "width": 1.5},
                )
            )  # fmt: skip
    fig.update_layout(
        **BASE_LAYOUT,
        title={"text": title, "x": 0.02, "font": {"size": 13}},
        margin={"l": 60, "r": 20, "t": 40, "b": 30},
        height=260,
        uirevision=title,
        legend={"orientation": "h", "y": -0.2},
        yaxis={"type": "log"},
    )
    return fig


__all__ = ["diagnostics_figure", "lab_points", "prediction_figure"]
