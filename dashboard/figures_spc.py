"""Figure builders of the SPC page: a control chart from a live detector's points.

Pure functions from :class:`~analytics.detectors.DetectorPoint` lists to Plotly figures,
testable without a browser.

Examples
--------
>>> from zoneinfo import ZoneInfo
>>> from analytics.detectors import DetectorPoint
>>> pts = [DetectorPoint(i * 10**9, 15.0, 15.0 + 0.1 * i, 15.0, 14.7, 15.3, i == 4, ("WE1",) if i == 4 else ())
...        for i in range(5)]
>>> fig = spc_figure(pts, "ewma", "B101_level (cm)", ZoneInfo("UTC"), "en")
>>> [trace.name for trace in fig.data]
['Window mean', 'Statistic', 'Centre line', 'UCL', 'LCL', 'Alarm']
>>> fig.data[-1].hovertext[0].splitlines()[1]
'WE1: 1 point beyond the control limits (3σ)'
>>> alarm_rows(pts, ZoneInfo("UTC"))[0]["rules"]
'WE1'
>>> spc_figure([], "ewma", "B101_level (cm)", ZoneInfo("UTC"), "fr").layout.annotations[0].text
'Pas encore de données'
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import plotly.graph_objects as go

from analytics.detectors import DetectorPoint, rule_text
from dashboard.figures import BASE_LAYOUT, empty_figure, finite, line
from dashboard.i18n import colon, fmt_number, t
from dashboard.plant_texts import rule_label

# ISA-101: the statistic dark blue-grey, centre and limits grey; red only for the alarm markers.
STAT_COLOUR = "#1d4e89"
VALUE_COLOUR = "#a8a8a8"
CENTRE_COLOUR = "#6b6b6b"
LIMIT_COLOUR = "#3c3c3c"
ALARM_COLOUR = "#d40000"


def _times(points: Sequence[DetectorPoint], zone: Any) -> list[datetime]:
    return [datetime.fromtimestamp(p.time_ns / 1e9, zone) for p in points]


def alarm_hover(point: DetectorPoint, lang: str) -> str:
    """Hover text of an alarm marker: the statistic, then one line per rule that fired.

    >>> alarm_hover(DetectorPoint(0, 1.0, 2.5, 0.0, -1.0, 1.0, True, ("WE1",)), "fr").splitlines()
    ['Statistique 2,5', 'WE1\xa0: 1 point au-delà des limites de contrôle (3σ)']
    """
    lines = [f"{t('statistic', lang)} {fmt_number(point.statistic, lang, significant=4)}"]
    lines += [f"{rule}{colon(lang)} {rule_label(rule, lang)}" for rule in point.rules]
    return "\n".join(lines)


def spc_figure(points: Sequence[DetectorPoint], method: str, title: str, zone: Any, lang: str) -> go.Figure:
    """Control chart: statistic, centre line, limits and alarm markers (hover = the rules).

    The window means the detector saw are drawn too (grey) except for CUSUM, whose
    statistic is in sigma units; during warm-up and the reference period only they exist.
    """
    if not points:
        return empty_figure(lang, title, height=380)
    x = _times(points, zone)
    fig = go.Figure()
    if method != "cusum":
        values = [finite(p.value) for p in points]
        fig.add_trace(line(x, values, t("window_mean", lang), line={"color": VALUE_COLOUR, "width": 1}))
    stats = [finite(p.statistic) for p in points]
    style = {"line": {"color": STAT_COLOUR, "width": 2}, "marker": {"size": 4}}
    fig.add_trace(line(x, stats, t("statistic", lang), mode="lines+markers", **style))
    for key, colour, dash in (
        ("centre", CENTRE_COLOUR, "dot"),
        ("ucl", LIMIT_COLOUR, "dash"),
        ("lcl", LIMIT_COLOUR, "dash"),
    ):
        limit = [finite(getattr(p, key)) for p in points]
        fig.add_trace(line(x, limit, t(key, lang), line={"color": colour, "dash": dash, "width": 1.5, "shape": "hv"}))
    alarms = [p for p in points if p.alarm]
    fig.add_trace(
        go.Scatter(
            x=_times(alarms, zone),
            y=[finite(p.statistic) for p in alarms],
            name=t("alarm", lang),
            mode="markers",
            marker={"color": ALARM_COLOUR, "size": 11, "symbol": "x"},
            hovertext=[alarm_hover(p, lang) for p in alarms],
            hoverinfo="text+x",
        )
    )
    if alarms:
        last = alarms[-1]
        fig.add_annotation(
            x=x[len(points) - 1 - points[::-1].index(last)],
            y=finite(last.statistic),
            text=" / ".join(last.rules),
            showarrow=True,
            arrowhead=2,
            ax=-30,
            ay=-30,
            font={"color": ALARM_COLOUR},
            bgcolor="white",
        )
    fig.update_layout(
        **BASE_LAYOUT,
        title={"text": title, "x": 0.02},
        margin={"l": 50, "r": 20, "t": 40, "b": 30},
        height=380,
        uirevision=title,  # keep zoom while the chart updates
        legend={"orientation": "h", "y": -0.15},
        xaxis={"title": None},
        yaxis={"title": "σ" if method == "cusum" else None},
    )
    return fig


def alarm_rows(points: Sequence[DetectorPoint], zone: Any, limit: int = 50) -> list[dict[str, str]]:
    """The alarm points, newest first: time, statistic, rules and what they mean."""
    rows = []
    for p in reversed(points):
        if not p.alarm:
            continue
        rows.append(
            {
                "time": datetime.fromtimestamp(p.time_ns / 1e9, zone).strftime("%H:%M:%S"),
                "statistic": f"{p.statistic:.4g}",
                "rules": ", ".join(p.rules),
                "meaning": "; ".join(rule_text(r) for r in p.rules),
            }
        )
        if len(rows) >= limit:
            break
    return rows
