"""The time-range picker of the trend pages (last 15 min, 1 h, 8 h, 24 h, this run, custom).

A page puts ``range_picker("x", lang)`` above its charts and lists ``range_inputs("x")`` among
its callback inputs; the callback turns the three values into a :data:`RangeValue` with
:func:`picker_value` and into a ``(start_ns, end_ns)`` window with :func:`resolve_range`.
"Now" is the page's own (the newest sample when the simulation runs ahead of the wall), so the
presets follow the simulated clock at speed x N. The historian downsamples the window
(``max_points``), so a 24 h view stays light. :func:`export_href` links the same window to
``GET /api/history?format=csv``.

Examples
--------
>>> H = 3_600_000_000_000
>>> resolve_range("1h", now_ns=10 * H, run_start_ns=None) == (9 * H, 10 * H)
True
>>> resolve_range("run", now_ns=10 * H, run_start_ns=7 * H) == (7 * H, 10 * H)
True
>>> value = picker_value("custom", "1970-01-01T02:00", "1970-01-01T03:00")
>>> resolve_range(value, now_ns=10 * H, run_start_ns=None) == (2 * H, 3 * H)
True
>>> is_live("15m"), is_live(value)
(True, False)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TypedDict
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from dash import Input, dcc, html

from dashboard.i18n import t
from historian.export import parse_time  # here too: the picker's custom bounds

#: Preset -> window length in seconds (``None``: from the run start, or the custom bounds).
PRESETS: dict[str, int | None] = {
    "15m": 900,
    "1h": 3600,
    "8h": 8 * 3600,
    "24h": 24 * 3600,
    "run": None,
    "custom": None,
}
DEFAULT = "1h"
#: "This run" when the run start is unknown: the last 24 h.
_RUN_FALLBACK_S = 24 * 3600
_S = 1_000_000_000


class RangeValue(TypedDict, total=False):
    """What the picker holds: a preset, and for ``custom`` its two bounds (ISO 8601 text)."""

    preset: str
    start: str | None
    end: str | None


def range_picker(id_prefix: str, lang: str, value: str = DEFAULT, export: bool = True) -> html.Div:
    """The picker: preset buttons, the custom bounds, and a CSV export link.

    Element ids: ``<prefix>-range`` (preset), ``<prefix>-start`` / ``<prefix>-end`` (custom
    bounds, ISO 8601 text such as ``2026-12-03 14:00`` read in the page's time zone), ``<prefix>-export`` (the
    link a callback fills with :func:`export_href`).

    >>> picker = range_picker("trend", "fr")
    >>> [getattr(c, "id", None) for c in picker.children]
    ['trend-range', 'trend-custom', 'trend-export']
    >>> picker.children[0].options[0]["label"]
    '15 dernières min'
    """
    options = [{"label": t(f"range_{key}", lang), "value": key} for key in PRESETS]
    children: list[Any] = [
        dcc.RadioItems(
            id=f"{id_prefix}-range",
            options=options,
            value=value if value in PRESETS else DEFAULT,
            inline=True,
            className="range-presets",
            inputClassName="range-radio",
        ),
        html.Span(
            [
                part
                for end, label in (("start", "range_from"), ("end", "range_to"))
                for part in (
                    html.Label(t(label, lang), htmlFor=f"{id_prefix}-{end}"),
                    dcc.Input(
                        id=f"{id_prefix}-{end}",
                        type="text",
                        placeholder=t("range_format", lang),
                        debounce=True,
                        className="range-input",
                    ),
                )
            ],
            id=f"{id_prefix}-custom",
            className="range-custom",
        ),
    ]
    if export:
        children.append(html.A(t("export_csv", lang), id=f"{id_prefix}-export", href="", className="range-export"))
    return html.Div(children, className="range-picker", title=t("range", lang))


def range_inputs(id_prefix: str) -> list[Input]:
    """The callback inputs of a picker: preset, custom start, custom end (in that order)."""
    return [
        Input(f"{id_prefix}-range", "value"),
        Input(f"{id_prefix}-start", "value"),
        Input(f"{id_prefix}-end", "value"),
    ]


def picker_value(preset: str | None, start: str | None = None, end: str | None = None) -> RangeValue:
    """The picker's three callback values as one :data:`RangeValue`."""
    return {"preset": preset if preset in PRESETS else DEFAULT, "start": start or None, "end": end or None}


def _preset(value: str | RangeValue | None) -> str:
    preset = value if isinstance(value, str) else (value or {}).get("preset") or DEFAULT
    return preset if preset in PRESETS else DEFAULT


def is_live(value: str | RangeValue | None) -> bool:
    """True when the window ends at "now" and follows live data (every preset but ``custom``)."""
    return _preset(value) != "custom"


def resolve_range(
    value: str | RangeValue | None, now_ns: int, run_start_ns: int | None, zone: ZoneInfo | None = None
) -> tuple[int, int]:
    """``(start_ns, end_ns)`` of a picker value, both bounds included (query ``[start, end + 1)``).

    Presets end at ``now_ns``. ``run`` starts at
    ``run_start_ns`` (the last 24 h when unknown). ``custom`` reads its bounds in ``zone``;
    missing or reversed bounds fall back to the last hour.

    >>> resolve_range({"preset": "custom", "start": "bad"}, now_ns=7_200 * _S, run_start_ns=None)
    (3600000000000, 7200000000000)
    """
    preset = _preset(value)
    if preset == "custom" and isinstance(value, dict):
        try:
            start = parse_time(value.get("start") or "", zone)
            end = parse_time(value.get("end") or "", zone)
        except ValueError:
            start = end = 0
        if end > start:
            return start, end
        preset = DEFAULT
    if preset == "run":
        start = run_start_ns if run_start_ns is not None else now_ns - _RUN_FALLBACK_S * _S
        return min(start, now_ns - _S), now_ns
    length = PRESETS[preset] or PRESETS[DEFAULT] or 3600
    return now_ns - length * _S, now_ns


def iso(time_ns: int) -> str:
    """ns since the epoch -> ISO 8601 UTC text with ``Z`` (what the history API reads and writes).

    >>> iso(1_500_000_000)
    '1970-01-01T00:00:01.500000Z'
    """
    seconds, ns = divmod(int(time_ns), _S)  # exact: no float rounding of the microseconds
    moment = datetime.fromtimestamp(seconds, UTC).replace(microsecond=ns // 1000)
    return moment.isoformat().replace("+00:00", "Z")


def export_href(unit: str, tags: Sequence[str], start_ns: int, end_ns: int, site: str | None = None) -> str:
    """The ``GET /api/history`` CSV link of a window (the same data ``gmp-twin export`` writes).

    ``end_ns`` is included, as in :func:`resolve_range` (the API's ``end`` is excluded: the
    link ends 1 µs later, the resolution of the timestamps).

    >>> export_href("TK1", ["a", "b"], 0, _S)
    '/api/history?unit=TK1&tags=a%2Cb&start=1970-01-01T00%3A00%3A00Z&end=1970-01-01T00%3A00%3A01.000001Z&format=csv'
    """
    end = iso(end_ns + 1000)
    query: dict[str, str] = {"unit": unit, "tags": ",".join(tags), "start": iso(start_ns), "end": end}
    if site:
        query["site"] = site
    query["format"] = "csv"
    return "/api/history?" + urlencode(query)
