"""The debrief's charts (pure): one time axis per team, and the trends of a team's faulted tags.

Each team gets its own row (a subplot sharing the time axis) with four lanes: the faults
(revealed; a bar from start to end), the alarms, the team's reports and the team's actions.
Shapes differ per lane (ISA-101: never colour alone) and every item has its label and a hover
text. Trace names are ``<team>:<lane>`` and ``customdata`` holds each item's id (a report's
``R1``), which the browser test reads.

Examples
--------
>>> from zoneinfo import ZoneInfo
>>> from dashboard.debrief.collect import Debrief, Mark, RunInfo
>>> run = RunInfo("r", "s", {"en": "Drift", "fr": "Dérive"}, 0, 100 * 10**9)
>>> marks = [Mark("team-1", "fault", 0, None, "F1 · leak", "u", "F1"),
...          Mark("team-1", "report", 50, None, "R1", "", "R1")]
>>> d = Debrief(run, 100 * 10**9, ["team-1", "team-2"], {}, marks, [], [], [])
>>> fig = timeline_figure(d, "fr", ZoneInfo("UTC"))
>>> [(tr.name, list(tr.customdata)) for tr in fig.data if tr.customdata is not None]
[('team-1:fault', ['F1', 'F1', '']), ('team-1:report', ['R1'])]
>>> fig.layout.yaxis.categoryarray
('Défauts', 'Alarmes', 'Déclarations', 'Actions')
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.debrief.collect import LANES, Debrief, Mark, Trend
from dashboard.figures import BASE_LAYOUT, PV_COLOUR, empty_figure, times
from dashboard.i18n import t

#: Marker per lane (shape first; colour only to help).
STYLE: dict[str, dict[str, Any]] = {
    "alarm": {"symbol": "triangle-up", "size": 12, "color": "#d40000"},
    "report": {"symbol": "diamond", "size": 13, "color": "#1d4e89"},
    "action": {"symbol": "circle-open", "size": 9, "color": "#3c3c3c"},
}
ROW_PX = 150


def _lane_names(lang: str) -> list[str]:
    return [t(f"db_lane.{lane}", lang) for lane in LANES]


def _fault_trace(marks: Sequence[Mark], end_ns: int, y: str, zone: ZoneInfo) -> go.Scatter:
    """The faults as bars: one segment per fault (``None`` between them), labelled at their start."""
    xs: list[Any] = []
    ids: list[str] = []
    labels: list[str] = []
    for m in marks:
        xs += [*times([m.start_ns, m.end_ns if m.end_ns is not None else end_ns], zone), None]
        ids += [m.ref, m.ref, ""]
        labels += [m.label, "", ""]
    return go.Scatter(
        x=xs, y=[y if x is not None else None for x in xs], mode="lines+markers+text", text=labels,
        textposition="top right", line={"width": 9, "color": "rgba(212,0,0,0.45)"},
        marker={"symbol": "line-ns-open", "size": 12, "color": "#d40000"},
        customdata=ids, hovertext=[f"{m.label} ({m.detail})" for m in marks for _ in range(3)], hoverinfo="text+x",
    )  # fmt: skip


def timeline_figure(debrief: Debrief, lang: str, zone: ZoneInfo) -> go.Figure:
    """One row per team, four lanes each, one shared time axis from the exercise's start to its end."""
    teams = debrief.teams
    if not teams:
        return empty_figure(lang, t("db_timeline", lang), key="db_no_runs")
    lanes = _lane_names(lang)
    fig = make_subplots(rows=len(teams), cols=1, shared_xaxes=True, subplot_titles=teams, vertical_spacing=0.06)
    for row, team in enumerate(teams, start=1):
        own = [m for m in debrief.marks if m.team == team]
        for lane, name in zip(LANES, lanes, strict=True):
            marks = [m for m in own if m.lane == lane]
            if not marks:
                continue
            if lane == "fault":
                trace = _fault_trace(marks, debrief.end_ns, name, zone)
            else:
                trace = go.Scatter(
                    x=times([m.start_ns for m in marks], zone), y=[name] * len(marks),
                    mode="markers+text" if lane == "report" else "markers",
                    text=[m.label for m in marks], textposition="top center",
                    marker=STYLE[lane], customdata=[m.ref for m in marks],
                    hovertext=[f"{m.label} — {m.detail}" if m.detail else m.label for m in marks],
                    hoverinfo="text+x",
                )  # fmt: skip
            trace.name = f"{team}:{lane}"
            fig.add_trace(trace, row=row, col=1)
        fig.update_yaxes(categoryorder="array", categoryarray=lanes, range=[-0.6, 3.6], row=row, col=1)
        for lane_name in lanes:  # every lane visible even when empty
            fig.add_trace(go.Scatter(x=[None], y=[lane_name], showlegend=False, hoverinfo="skip"), row=row, col=1)
    span = times([debrief.run.start_ns, debrief.end_ns], zone)
    fig.update_xaxes(range=span)
    fig.update_layout(
        **BASE_LAYOUT, height=80 + ROW_PX * len(teams), showlegend=False,
        margin={"l": 100, "r": 20, "t": 40, "b": 30}, separators=", " if lang == "fr" else ".,",
    )  # fmt: skip
    return fig


def trends_figure(trends: Sequence[Trend], team: str, lang: str, zone: ZoneInfo, span: tuple[int, int]) -> go.Figure:
    """The faulted tags of ``team`` (one row each) over the exercise."""
    title = f"{t('db_trends', lang)} — {team}"
    if not trends:
        return empty_figure(lang, title, key="db_no_trends")
    fig = make_subplots(
        rows=len(trends), cols=1, shared_xaxes=True, subplot_titles=[f"{tr.unit}.{tr.tag}" for tr in trends]
    )
    for row, tr in enumerate(trends, start=1):
        fig.add_trace(
            go.Scatter(
                x=times([s[0] for s in tr.samples], zone), y=[s[1] for s in tr.samples],
                mode="lines", name=f"{tr.unit}.{tr.tag}", line={"color": PV_COLOUR, "width": 1.5},
            ),
            row=row, col=1,
        )  # fmt: skip
    fig.update_xaxes(range=times(list(span), zone))
    fig.update_layout(
        **BASE_LAYOUT, height=60 + 180 * len(trends), showlegend=False, title={"text": title, "x": 0.02},
        margin={"l": 60, "r": 20, "t": 60, "b": 30}, separators=", " if lang == "fr" else ".,",
    )  # fmt: skip
    return fig
