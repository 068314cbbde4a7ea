"""Critical-parameter charts of the unit pages, with NOR/PAR bands only in the phase where they hold.

A tag's bands may hold only in one phase of its unit (``bands_when``: dryer drying, autoclave
hold, bioreactor fed-batch). The chart then shades the bands over those phase spans only, and
the value badge says "outside the phase where NOR/PAR apply" instead of judging the value.

Examples
--------
>>> phase_spans([0, 1, 2, 3, 4], [0, 1, 1, 2, 1], (1,))
[(1, 3), (4, 4)]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from config_schema.tagmap import TagEntry
from dashboard.figures import BASE_LAYOUT, NOR_FILL, PAR_FILL, PV_COLOUR, add_bands, empty_figure, finite
from models.unit import bands_hold

_EDGE = {"color": "#8c8c8c", "width": 1, "dash": "dot"}


def phase_spans(x: Sequence[Any], phase: Sequence[float | None], phases: Sequence[int]) -> list[tuple[Any, Any]]:
    """``(start, end)`` of each run of samples whose phase is one of ``phases``.

    A span ends where the next phase begins (the first sample outside it), or at the last sample.

    >>> phase_spans([0, 1, 2], [None, 3, 3], (3,)), phase_spans([], [], (1,))
    ([(1, 2)], [])
    """
    spans: list[tuple[Any, Any]] = []
    start = None
    for xi, p in zip(x, phase, strict=True):
        inside = p is not None and p == p and round(p) in phases
        if inside and start is None:
            start = xi
        elif not inside and start is not None:
            spans.append((start, xi))
            start = None
    if start is not None:
        spans.append((start, x[-1]))
    return spans


def band_status(value: float | None, tag: TagEntry, values: Mapping[str, float | None] | None = None) -> str:
    """``nor``, ``par`` (inside PAR, outside NOR), ``out`` (outside PAR), ``off`` (not in the
    phase where the bands hold) or ``none`` (no value).

    >>> tag = TagEntry(name="T", node="ns=2;s=T", nor=(36.5, 37.5), par=(35.0, 39.0), bands_when=("phase", (1,)))
    >>> [band_status(v, tag, {"phase": 1}) for v in (37.0, 38.0, 40.0, None)]
    ['nor', 'par', 'out', 'none']
    >>> band_status(50.0, tag, {"phase": 0})
    'off'
    """
    if value is None or finite(value) is None:
        return "none"
    if not bands_hold(tag.bands_when, values or {}):
        return "off"
    if tag.nor and tag.nor[0] <= value <= tag.nor[1]:
        return "nor"
    if tag.par is None or tag.par[0] <= value <= tag.par[1]:
        return "par" if tag.nor else "nor"
    return "out"


def add_phase_bands(
    fig: go.Figure, nor: tuple[float, float] | None, par: tuple[float, float] | None, spans: Sequence[tuple[Any, Any]]
) -> go.Figure:
    """Shade PAR and NOR only over ``spans`` of the x axis; labels as :func:`dashboard.figures.add_bands`.

    >>> fig = add_phase_bands(go.Figure(), (1.0, 2.0), (0.0, 3.0), [(0, 5), (9, 12)])
    >>> [(s.x0, s.x1, s.fillcolor == PAR_FILL) for s in fig.layout.shapes]
    [(0, 5, True), (9, 12, True), (0, 5, False), (9, 12, False)]
    >>> len(add_phase_bands(go.Figure(), (1.0, 2.0), (0.0, 3.0), []).layout.shapes)
    0
    """
    for band, fill, label, x in ((par, PAR_FILL, "PAR", 1.01), (nor, NOR_FILL, "NOR", 0.005)):
        if not band or not spans:
            continue
        for x0, x1 in spans:
            fig.add_shape(
                type="rect", x0=x0, x1=x1, y0=band[0], y1=band[1], xref="x", yref="y",
                fillcolor=fill, line=_EDGE, layer="below",
            )  # fmt: skip
        fig.add_annotation(
            x=x, xref="paper", y=band[1], yref="y", text=label, showarrow=False, xanchor="left",
            yanchor="top" if label == "NOR" else "middle", font={"size": 10, "color": "#555"},
        )  # fmt: skip
    return fig


def cpp_figure(
    tag: TagEntry,
    x: Sequence[Any],
    y: Sequence[float | None],
    lang: str,
    title: str | None = None,
    spans: Sequence[tuple[Any, Any]] | None = None,
) -> go.Figure:
    """A critical parameter over time with its PAR and NOR bands (over ``spans`` only, when the
    tag's bands hold in one phase); "No data yet" without points.

    >>> tag = TagEntry(name="T", node="ns=2;s=T", unit="°C", nor=(36.5, 37.5), par=(35.0, 39.0))
    >>> fig = cpp_figure(tag, [0, 1], [37.0, 37.1], "en")
    >>> [s.fillcolor for s in fig.layout.shapes] == [PAR_FILL, NOR_FILL]
    True
    >>> cpp_figure(tag, [], [], "fr").layout.annotations[0].text
    'Pas encore de données'
    """
    heading = f"{title or tag.description or tag.name} ({tag.unit})" if tag.unit else (title or tag.name)
    if not len(x):
        return empty_figure(lang, heading, height=240)
    fig = go.Figure(
        go.Scatter(
            x=list(x), y=[finite(v) for v in y], mode="lines", name=tag.name, line={"width": 2, "color": PV_COLOUR}
        )
    )
    if tag.bands_when is None:
        add_bands(fig, tag.nor, tag.par)
    else:
        add_phase_bands(fig, tag.nor, tag.par, spans or [])
    fig.update_layout(
        **BASE_LAYOUT,
        title={"text": heading, "x": 0.02, "font": {"size": 13}},
        margin={"l": 50, "r": 45, "t": 40, "b": 30},
        height=240,
        uirevision=tag.name,
        showlegend=False,
        yaxis={"title": tag.unit},
    )
    return fig
