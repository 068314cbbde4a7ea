"""The tag table every unit page shows, and the 'now' of live views.

Examples
--------
>>> fmt(None), fmt(12.345, "cm"), fmt(0.5)
('—', '12.35 cm', '0.50')
"""

from __future__ import annotations

import time

from dash import html

from config_schema.tagmap import TagMap
from dashboard.api.routers.tags import status_text
from dashboard.shell import table
from historian.base import Sample


def head_time(latest: dict[str, Sample]) -> int:
    """'Now' for live views: the wall clock, or the newest sample when the simulation runs
    ahead of the wall (speed x N), so accelerated data are not left out of the queries."""
    return max([time.time_ns(), *(s.time_ns for s in latest.values())])


def fmt(value: float | None, unit: str = "") -> str:
    """A value with two decimals and its unit, ``—`` without a value."""
    if value is None:
        return "—"
    return f"{value:.2f} {unit}".strip()


def tag_table(tagmap: TagMap, latest: dict[str, Sample], now_ns: int, lang: str, id_prefix: str = "") -> html.Table:
    """All tags of a unit with value, unit, status and age (ids ``val-<prefix><tag>`` for tests)."""
    rows = []
    for tag in tagmap.tags:
        sample = latest.get(tag.name)
        rows.append(
            html.Tr(
                [
                    html.Td(tag.name, title=tag.description),
                    html.Td(fmt(sample.value) if sample else "—", className="num", id=f"val-{id_prefix}{tag.name}"),
                    html.Td(tag.unit),
                    html.Td(status_text(sample.status) if sample else "—"),
                    html.Td(f"{(now_ns - sample.time_ns) / 1e9:.1f}" if sample else "—", className="num"),
                ]
            )
        )
    return table(("tag", "value", "unit", "status", "age"), rows, lang, "tags")
