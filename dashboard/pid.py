"""A P&ID-like overview of the MPS PA station as a Plotly figure (shapes + annotations).

Tank fills follow the measured levels, the pump and heater are filled dark when running and
hollow when stopped, and the valves likewise (ISA-101: equipment states in greys, colour kept
for alarms), so a student reads the state of the station at a glance. Labels sit beside the
symbols on a white background so that none overlaps a fill or another label.

Examples
--------
>>> fig = pid_figure({"B101_level": 15.0}, {"B101_level": "cm"}, "en")
>>> any("15.0 cm" in a.text for a in fig.layout.annotations)
True
"""

from __future__ import annotations

import math
from typing import Any

import plotly.graph_objects as go

from dashboard.i18n import fmt_number, t

WATER = "rgba(90,120,160,0.40)"
STEEL = "#555"
ON = "#3c3c3c"  # running / open: filled dark
OFF = "#ffffff"  # stopped / closed: hollow
HOT = "#3c3c3c"
LABEL_BG = "rgba(255,255,255,0.9)"

#: Instrument tags shown on the drawing, with their position and ISA-style label.
INSTRUMENTS: list[tuple[str, str, float, float]] = [
    ("B101_level", "LIC B101", 4.4, 8.2),
    ("B102_flow", "FIC B102", 7.4, 3.9),
    ("B103_pressure", "PIC B103", 7.4, 5.6),
    ("B104_temperature", "TIC B104", 4.3, 2.5),
]


def _num(values: dict[str, Any], name: str) -> float | None:
    value = values.get(name)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def _first(values: dict[str, Any], *names: str) -> float | None:
    for name in names:
        found = _num(values, name)
        if found is not None:
            return found
    return None


def pid_figure(
    values: dict[str, Any], units: dict[str, str], lang: str, level_max: float = 30.0, lower_volume_max: float = 10.0
) -> go.Figure:
    """Draw the station with the latest ``values`` (tag -> value) and their ``units``."""
    shapes: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []

    def rect(x0: float, y0: float, x1: float, y1: float, **kw: Any) -> None:
        shapes.append({"type": "rect", "x0": x0, "y0": y0, "x1": x1, "y1": y1, **kw})

    def line(points: list[tuple[float, float]], colour: str = STEEL, width: float = 3) -> None:
        path = "M " + " L ".join(f"{x},{y}" for x, y in points)
        shapes.append({"type": "path", "path": path, "line": {"color": colour, "width": width}})

    def note(x: float, y: float, text: str, **kw: Any) -> None:
        notes.append({"x": x, "y": y, "text": text, "showarrow": False, "font": {"size": 12}, **kw})

    # Upper tank B102 with its level.
    level = _num(values, "B101_level")
    rect(1, 6, 4, 9.5, line={"color": STEEL, "width": 2})
    if level is not None:
        frac = min(max(level / level_max, 0.0), 1.0)
        rect(1.05, 6.05, 3.95, 6.05 + 3.4 * frac, fillcolor=WATER, line={"width": 0})
    note(2.5, 9.8, t("upper_tank", lang))

    # Lower reservoir B101, fill from its volume when the model exposes it.
    lower = _first(values, "tank101_volume")
    rect(1, 0.3, 4, 3.3, line={"color": STEEL, "width": 2})
    if lower is not None:
        frac = min(max(lower / lower_volume_max, 0.0), 1.0)
        rect(1.05, 0.35, 3.95, 0.35 + 2.9 * frac, fillcolor=WATER, line={"width": 0})
    note(2.5, -0.15, t("lower_tank", lang))

    # Heater E104 in the lower tank.
    heater_w = _num(values, "E104_power")
    heater_on = (_num(values, "E104_on") or 0.0) > 0.5
    rect(1.4, 0.6, 3.6, 0.9, fillcolor=HOT if heater_on else OFF, line={"color": STEEL, "width": 1})
    # Above the element, inside the tank, on its own white box: readable over the water fill.
    heater = t("heater", lang) + (f" {heater_w:.0f} W" if heater_w is not None else "")
    note(2.5, 1.3, heater, bgcolor=LABEL_BG, font={"size": 11})

    # Pump P101 and the riser to the upper tank through the flow meter, pressure vessel and V106.
    speed = _num(values, "P101_speed")
    line([(4, 0.8), (6.2, 0.8)])
    line([(6.8, 0.8), (7, 0.8), (7, 9.2), (4, 9.2)])
    shapes.append(
        {
            "type": "circle",
            "x0": 6.1,
            "y0": 0.3,
            "x1": 6.9,
            "y1": 1.3,
            "fillcolor": ON if speed and speed > 1 else OFF,
            "line": {"color": STEEL},
        }
    )
    note(6.5, 1.65, t("pump", lang) + (f" {speed:.0f} %" if speed is not None else ""), bgcolor=LABEL_BG)
    v106 = _num(values, "V106_opening")
    shapes.append(
        {
            "type": "path",
            "path": "M 6.8,7.3 L 7.2,7.7 L 7.2,7.3 L 6.8,7.7 Z",
            "fillcolor": ON if v106 and v106 > 1 else OFF,
            "line": {"color": STEEL},
        }
    )
    note(7.9, 7.5, "V106" + (f" {v106:.0f} %" if v106 is not None else ""))

    # Return line with the ball valve V102.
    v102 = _num(values, "V102_position")
    line([(2.5, 6), (2.5, 3.3)])
    shapes.append(
        {
            "type": "path",
            "path": "M 2.3,4.5 L 2.7,4.9 L 2.7,4.5 L 2.3,4.9 Z",
            "fillcolor": ON if v102 and v102 > 50 else OFF,
            "line": {"color": STEEL},
        }
    )
    note(3.2, 4.7, "V102")

    for name, label, x, y in INSTRUMENTS:
        value = _num(values, name)
        shown = "—" if value is None else f"{fmt_number(value, lang, 1)} {units.get(name, '')}".strip()
        note(
            x,
            y,
            f"<b>{label}</b><br>{shown}",
            align="left",
            xanchor="left",
            bgcolor=LABEL_BG,
            bordercolor=STEEL,
            borderwidth=1,
        )

    fig = go.Figure()
    fig.update_layout(
        shapes=shapes,
        annotations=notes,
        xaxis={"range": [0, 10], "visible": False, "fixedrange": True},
        yaxis={"range": [-0.5, 10.2], "visible": False, "fixedrange": True, "scaleanchor": "x"},
        margin={"l": 5, "r": 5, "t": 5, "b": 5},
        height=420,
        plot_bgcolor="white",
        showlegend=False,
    )
    return fig
