"""Figure builders of the PCA page: T² and SPE charts with their limits, contribution bars.

Examples
--------
>>> from zoneinfo import ZoneInfo
>>> from analytics.detectors import DetectorPoint
>>> contrib = {"t2": [{"variable": "L", "value": 9.0, "share": 0.9}, {"variable": "F", "value": 1.0, "share": 0.1}],
...            "spe": [{"variable": "F", "value": 0.5, "share": 0.5}, {"variable": "L", "value": 0.5, "share": 0.5}]}
>>> pts = [DetectorPoint(i * 10**9, float("nan"), 2.0 + 10 * (i == 3), 0.0, 0.0, 9.2, i == 3,
...                      ("T2",) if i == 3 else (), spe=0.5, spe_limit=4.0,
...                      contributions=contrib if i == 3 else None) for i in range(4)]
>>> fig = pca_figure(pts, ZoneInfo("UTC"), "en")
>>> [trace.name for trace in fig.data]
['T²', 'T² limit', 'SPE', 'SPE limit', 'Alarm', 'Alarm']
>>> list(fig.data[4].customdata), list(fig.data[5].customdata)  # T² crossed its limit, SPE did not
([3000000000], [])
>>> [bar.name for bar in contribution_figure(contrib, "en").data]
['T²', 'SPE']
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from analytics.detectors import DetectorPoint
from dashboard.figures import BASE_LAYOUT, empty_figure, finite, line, no_data_note
from dashboard.i18n import t

# ISA-101: statistics in dark greys/blues, limits dark grey dashed; red only for alarm markers.
T2_COLOUR = "#1d4e89"
SPE_COLOUR = "#555555"
LIMIT_COLOUR = "#3c3c3c"
ALARM_COLOUR = "#d40000"


def pca_figure(points: Sequence[DetectorPoint], zone: Any, lang: str) -> go.Figure:
    """T² (top) and SPE (bottom) with their limits; alarm markers carry ``time_ns`` as customdata.

    An alarm is marked on the statistic that crossed its limit; clicking a marker selects the
    alarm (the page reads ``customdata``).
    """
    if all(finite(p.statistic) is None and finite(p.spe) is None for p in points):
        return empty_figure(lang, height=460)  # none yet, or only warm-up points (no statistic)
    x = [datetime.fromtimestamp(p.time_ns / 1e9, zone) for p in points]
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, subplot_titles=("Hotelling T²", "SPE (Q)")
    )
    limit_style = {"color": LIMIT_COLOUR, "dash": "dash", "shape": "hv"}
    for row, name, stat, limit, colour in (
        (1, "T²", "statistic", "ucl", T2_COLOUR),
        (2, "SPE", "spe", "spe_limit", SPE_COLOUR),
    ):
        values = [finite(getattr(p, stat)) for p in points]
        limits = [finite(getattr(p, limit)) for p in points]
        fig.add_trace(line(x, values, name, line={"color": colour}), row=row, col=1)
        fig.add_trace(line(x, limits, f"{name} {t('limit', lang)}", line=limit_style), row=row, col=1)
    # A marker on the chart whose limit was crossed (the combined index counts for T²).
    marked = {1: ("T2", "combined"), 2: ("SPE",)}
    for row, attr in ((1, "statistic"), (2, "spe")):
        alarms = [
            (xi, p) for xi, p in zip(x, points, strict=True) if p.alarm and any(r in p.rules for r in marked[row])
        ]
        fig.add_trace(
            go.Scatter(
                x=[xi for xi, _ in alarms],
                y=[finite(getattr(p, attr)) for _, p in alarms],
                name=t("alarm", lang),
                mode="markers",
                marker={"color": ALARM_COLOUR, "size": 10, "symbol": "x"},
                customdata=[p.time_ns for _, p in alarms],
                hovertext=[", ".join(p.rules) for _, p in alarms],
                showlegend=row == 1,
            ),
            row=row,
            col=1,
        )
    fig.update_layout(
        **BASE_LAYOUT,
        margin={"l": 50, "r": 20, "t": 40, "b": 30},
        height=460,
        uirevision="pca",
        legend={"orientation": "h", "y": -0.12},
        clickmode="event",
    )
    return fig


def contribution_figure(contributions: dict[str, list[dict[str, Any]]] | None, lang: str, title: str = "") -> go.Figure:
    """Per-variable contributions to T² and SPE of one alarm, as horizontal bars (shares in %).

    A T² contribution may be negative: that variable pulls the point back toward normal.
    """
    fig = go.Figure()
    if contributions:
        for key, name, colour in (("t2", "T²", T2_COLOUR), ("spe", "SPE", SPE_COLOUR)):
            items = sorted(contributions.get(key, []), key=lambda c: c["variable"])
            fig.add_trace(
                go.Bar(
                    y=[c["variable"] for c in items],
                    x=[100.0 * c["share"] for c in items],
                    name=name,
                    orientation="h",
                    marker={"color": colour},
                    hovertext=[f"{c['value']:.3g}" for c in items],
                )
            )
    fig.update_layout(
        title={"text": title or t("contributions", lang), "x": 0.02},
        barmode="group",
        height=300,
        margin={"l": 120, "r": 20, "t": 40, "b": 40},
        xaxis={"title": "%"},
    )
    if not contributions:
        no_data_note(fig, lang, "select_alarm")
    return fig
