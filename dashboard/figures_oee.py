"""Figure builders of the OEE page: A × P × Q bars, the loss waterfall, the PackML state timeline.

They take the JSON-ready report of :meth:`analytics.oee.OeeReport.to_dict`.

Examples
--------
>>> from analytics.oee import Counts, OeeAccumulator
>>> acc = OeeAccumulator("filler", ideal_rate_per_min=24.0)
>>> _ = acc.update("Execute", Counts(0, 0, 0), t=0.0)
>>> _ = acc.update("Held", None, t=1800.0, cause="jam")
>>> _ = acc.update("Execute", None, t=2040.0)
>>> _ = acc.update("Complete", Counts(1000, 980, 20), t=3240.0)
>>> report = acc.report(t=3600.0).to_dict()
>>> [round(v, 1) for v in apq_figure(report, "en").data[0].y]
[83.3, 83.3, 98.0, 68.1]
>>> steps = loss_steps(report, "en")
>>> steps[0], steps[-1]
(('Planned busy time', 3600.0, 'absolute'), ('Fully productive time', 2450.0, 'total'))
>>> round(sum(v for _, v, m in steps if m != "total"), 6)
2450.0
>>> timeline_figure([{"time_ns": 0, "state": "Execute"}, {"time_ns": 6 * 10**10, "state": "Held"}],
...                 12 * 10**10, "filler", __import__("zoneinfo").ZoneInfo("UTC"), "en").data[0].x
(60000.0,)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import plotly.graph_objects as go

from dashboard.figures import no_data_note
from dashboard.i18n import colon, fmt_number, t
from models.packml import PackMLState

#: Colours of PackML states by ISO 22400 time category (ISA-101: producing is the grey normal state,
#: stops take the alarm colours by severity).
STATE_COLOURS = {
    "Execute": "#6b6b6b",
    "Suspending": "#ff7f0e",
    "Suspended": "#ff7f0e",
    "Unsuspending": "#ff7f0e",
    "Holding": "#d62728",
    "Held": "#d62728",
    "Unholding": "#d62728",
    "Aborting": "#8c0000",
    "Aborted": "#8c0000",
    "Clearing": "#8c0000",
}
OTHER_STATE_COLOUR = "#c4c4c4"


def packml_label(state: str, lang: str) -> str:
    """A PackML state name (``Execute``) in ``lang``, from the catalogue's ``state.packml.<n>``; unknown as it is.

    >>> packml_label("Execute", "fr"), packml_label("held", "en"), packml_label("", "fr")
    ('Production', 'Held', '')
    """
    try:
        number = PackMLState.parse(state).value
    except (ValueError, KeyError):
        return state
    return t(f"state.packml.{number}", lang)


def _pct(x: float | None) -> float | None:
    return None if x is None else 100.0 * x


def apq_figure(report: dict[str, Any], lang: str) -> go.Figure:
    """Availability, performance, quality and OEE as bars in %; an unknown one is shown as 'n/a'."""
    keys = ("availability", "performance", "quality", "oee")
    values = [_pct(report.get(k)) for k in keys]
    fig = go.Figure(
        go.Bar(
            x=[t(k, lang) for k in keys],
            y=[v if v is not None else 0.0 for v in values],
            text=[f"{fmt_number(v, lang, 1)}\u00a0%" if v is not None else t("not_available", lang) for v in values],
            textposition="outside",
            marker={"color": ["#9a9a9a", "#9a9a9a", "#9a9a9a", "#3c3c3c"]},
        )
    )
    fig.update_layout(
        title={"text": f"A × P × Q = {t('oee', lang)}", "x": 0.02},
        yaxis={"range": [0, 110], "title": "%"},
        height=300,
        margin={"l": 50, "r": 20, "t": 40, "b": 30},
        uirevision="apq",
    )
    return fig


def loss_steps(report: dict[str, Any], lang: str) -> list[tuple[str, float, str]]:
    """Waterfall steps ``(label, seconds, measure)`` from planned busy time to productive time.

    Losses are negative steps; the last step is the fully productive time ``PRI × good``
    (or the operating time APT when the ideal rate, hence performance, is unknown).
    """
    losses = report["losses"]
    steps: list[tuple[str, float, str]] = [(t("pbt", lang), float(report["pbt_s"]), "absolute")]
    for key in ("breakdowns_s", "small_stops_s", "starved_blocked_s", "setup_s"):
        steps.append((t(key, lang), -float(losses[key]), "relative"))
    if losses.get("reduced_speed_s") is None:
        steps.append((t("apt", lang), float(report["apt_s"]), "total"))
        return steps
    for key in ("reduced_speed_s", "process_defects_s", "startup_losses_s"):
        steps.append((t(key, lang), -float(losses[key] or 0.0), "relative"))
    rate = report["ideal_rate_per_min"]
    steps.append((t("productive", lang), 60.0 / rate * float(report["good"]), "total"))
    return steps


def waterfall_figure(report: dict[str, Any], lang: str) -> go.Figure:
    """Where the planned busy time went (the six big losses), in minutes."""
    steps = loss_steps(report, lang)
    fig = go.Figure(
        go.Waterfall(
            x=[s[0] for s in steps],
            y=[s[1] / 60.0 for s in steps],
            measure=[s[2] for s in steps],
            decreasing={"marker": {"color": "#d62728"}},
            totals={"marker": {"color": "#3c3c3c"}},
            increasing={"marker": {"color": "#9a9a9a"}},
            texttemplate="%{y:.1f}",
        )
    )
    fig.update_layout(
        title={"text": t("losses", lang), "x": 0.02},
        yaxis={"title": "min"},
        height=320,
        margin={"l": 50, "r": 20, "t": 40, "b": 80},
        uirevision="waterfall",
    )
    return fig


def timeline_figure(
    timeline: Sequence[dict[str, Any]], end_ns: int | None, machine: str, zone: Any, lang: str
) -> go.Figure:
    """PackML states over time: one coloured bar segment per state episode (x in ms on a date axis)."""
    fig = go.Figure()
    for i, item in enumerate(timeline):
        start = int(item["time_ns"])
        stop = int(timeline[i + 1]["time_ns"]) if i + 1 < len(timeline) else int(end_ns or start)
        if stop <= start:
            continue
        state = str(item["state"])
        shown = packml_label(state, lang)
        fig.add_trace(
            go.Bar(
                base=[datetime.fromtimestamp(start / 1e9, zone)],
                x=[(stop - start) / 1e6],
                y=[machine],
                orientation="h",
                name=shown,
                marker={"color": STATE_COLOURS.get(state, OTHER_STATE_COLOUR)},
                hovertext=[f"{shown}{colon(lang)} {fmt_number((stop - start) / 1e9, lang, 0)} s"],
                hoverinfo="text",
                showlegend=False,
            )
        )
    fig.update_layout(
        title={"text": t("state_timeline", lang), "x": 0.02},
        barmode="overlay",
        height=180,
        xaxis={"type": "date"},
        margin={"l": 80, "r": 20, "t": 40, "b": 30},
        uirevision="timeline",
    )
    if not fig.data:
        no_data_note(fig, lang)
    return fig
