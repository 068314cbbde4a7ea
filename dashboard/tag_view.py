"""The tag table every unit page shows, and the 'now' of live views.

Values go through :func:`dashboard.tag_format.format_value`: state names instead of numbers,
the language's decimal separator, and a bad or uncertain quality shown as its status name with
the ``q-bad``/``q-uncertain`` classes (the stylesheet hatches and greys them), never ``nan``.
The table is a :func:`dashboard.grid.data_grid`: a page puts :func:`tag_grid` in its layout
and refreshes its ``rowData`` with :func:`tag_rows`, so sorting and filters survive the tick.

Examples
--------
>>> from config_schema.tagmap import TagMap
>>> tm = TagMap.model_validate({"endpoint": "opc.tcp://x:4840", "site": "lab", "unit": "u",
...     "tags": [{"name": "L", "node": "ns=2;s=L", "unit": "cm", "lo": 0, "hi": 30}]})
>>> row = tag_rows(tm, {"L": Sample(0, float("nan"), 0x80310000)}, 2_000_000_000, "fr")[0]
>>> row["text"], row["status"], row["quality"], row["value"], row["age"]
('—', 'BadNoCommunication', 'bad', None, 2.0)
>>> tag_rows(tm, {"L": Sample(0, 12.346, 0)}, 0, "fr")[0]["text"]
'12,35'
"""

from __future__ import annotations

import math
import time
from typing import Any

from dash import html

from config_schema.tagmap import TagEntry, TagMap
from dashboard.grid import col, data_grid
from dashboard.i18n import t
from dashboard.tag_format import format_value, quality, status_name
from historian.base import Sample

#: Row classes of the tag grid by quality (the stylesheet hatches bad and uncertain rows).
QUALITY_ROWS = {f"row-q-{q}": f"params.data.quality === '{q}'" for q in ("bad", "uncertain")}


def head_time(latest: dict[str, Sample]) -> int:
    """'Now' for live views: the wall clock, or the newest sample when the simulation runs
    ahead of the wall (speed x N), so accelerated data are not left out of the queries."""
    return max([time.time_ns(), *(s.time_ns for s in latest.values())])


def fmt(value: float | None, unit: str = "") -> str:
    """A value with two decimals and its unit, ``—`` without a value (or a NaN).

    >>> fmt(None), fmt(12.345, "cm"), fmt(0.5), fmt(float("nan"))
    ('—', '12.35 cm', '0.50', '—')
    """
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:.2f} {unit}".strip()


def describe(tagmap: TagMap, tag: TagEntry, lang: str) -> str:
    """The tag's description in ``lang`` (catalogue key ``tag.<unit_type>.<tag>``), else the map's."""
    key = f"tag.{tagmap.unit_type}.{tag.name}"
    text = t(key, lang)
    return tag.description if text == key else text


def tag_rows(
    tagmap: TagMap, latest: dict[str, Sample], now_ns: int, lang: str, id_prefix: str = ""
) -> list[dict[str, Any]]:
    """One grid row per tag: the shown text and its classes, the number (for sorting), status, age.

    The value is shown without its unit (the unit has its own column); ``value_id`` is the id of
    the value's element (``val-<prefix><tag>``), which browser tests read.
    """
    rows = []
    for tag in tagmap.tags:
        sample = latest.get(tag.name)
        value = None if sample is None else sample.value
        status = None if sample is None else sample.status
        shown = format_value(tag.model_copy(update={"unit": ""}), value, status, lang)
        good_number = value is not None and math.isfinite(value) and shown.status_name is None
        rows.append(
            {
                "id": tag.name,
                "tag": tag.name,
                "description": describe(tagmap, tag, lang),
                "value": value if good_number else None,
                "text": shown.text,
                "css": shown.css_class,
                "note": shown.note or "",
                "value_id": f"val-{id_prefix}{tag.name}",
                "unit": tag.unit,
                "status": "—" if status is None else shown.status_name or status_name(status),
                "quality": "none" if sample is None else quality(status),
                "age": None if sample is None else round((now_ns - sample.time_ns) / 1e9, 1),
            }
        )
    return rows


def tag_columns(lang: str) -> list[dict[str, Any]]:
    """Tag, description, value (its text, with the quality class), unit, status and age."""
    return [
        col("tag", lang, minWidth=140),
        col("description", lang, minWidth=180),
        col("value", lang, numeric=True, cellRenderer="TagValue", minWidth=110),
        col("unit", lang, width=80),
        col("status", lang, cellClass={"function": "'status-cell q-' + params.data.quality"}, minWidth=140),
        col("age", lang, numeric=True, width=90),
    ]


def tag_grid(id_: str, lang: str, rows: list[dict[str, Any]] | None = None, height: int = 420) -> html.Div:
    """The tag table of a unit (rows filled by the page's tick with :func:`tag_rows`)."""
    return data_grid(
        id_, tag_columns(lang), lang, rows=rows or [], height=height, no_rows="no_data", row_class_rules=QUALITY_ROWS
    )


def tag_table(tm: TagMap, latest: dict[str, Sample], now_ns: int, lang: str, id_prefix: str = "") -> html.Div:
    """A whole tag grid with its rows (for pages that re-render the table; prefer :func:`tag_grid`)."""
    return tag_grid(f"tags-{id_prefix or tm.unit}".rstrip("-"), lang, tag_rows(tm, latest, now_ns, lang, id_prefix))
