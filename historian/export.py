"""History of many tags as CSV or JSON: what ``GET /api/history`` and ``gmp-twin export`` write.

Both call :func:`csv_chunks` / :func:`json_document` with the same arguments, so the two give
the same bytes. One CSV row per stored sample, series after series (in the order asked), each
oldest first::

    time,site,unit,tag,value,eu,status,status_name
    2026-12-03T14:00:00.200000Z,demo-campus,bioreactor-1,temperature,37.012,°C,0,Good

``time`` is UTC (ISO 8601, microseconds: OPC UA timestamps carry no more through asyncua),
``eu`` the engineering unit from the tag map, ``status`` the OPC UA status code and
``status_name`` its name; a sample without a value (bad quality) has an empty ``value``.
``max_points`` downsamples each series in the historian (bucket means, as the dashboard's
charts); without it every stored sample is written.

The columns are built with Arrow and written by its C++ CSV writer; the SQLite backend reads
each series into numpy columns in bulk. ``python -m bench export`` times 24 h of the default
plant (about 14 million rows).
"""

from __future__ import annotations

import asyncio
import io
import math
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from config_schema.tagmap import TagMap
from historian.base import Historian, RawSeries

__all__ = [
    "COLUMNS",
    "ExportSeries",
    "csv_chunks",
    "iso_times",
    "json_document",
    "newest_ns",
    "read_series",
    "select_series",
    "status_name",
]

#: The CSV header (and the JSON sample fields).
COLUMNS = ("time", "site", "unit", "tag", "value", "eu", "status", "status_name")
_S = 1_000_000_000
#: Above this many distinct seconds, times are formatted one by one instead of by lookup.
_DENSE_SECONDS = 10_000_000
#: Series read and formatted ahead of the one being written (bounded memory: a few series).
_IN_FLIGHT = 3


@dataclass(frozen=True, slots=True)
class ExportSeries:
    """One series to export: where it is and the engineering unit written beside it."""

    site: str | None
    unit: str
    tag: str
    eu: str = ""


def iso_times(time_ns: np.ndarray) -> pa.Array:
    """ISO 8601 UTC text with microseconds of ns timestamps, built column-wise.

    Each distinct second is formatted once (a day has 86,400) and joined with the fraction,
    so millions of timestamps take a fraction of a second.

    >>> iso_times(np.array([1_500_000_000, 61_000_001_000], dtype=np.int64)).to_pylist()
    ['1970-01-01T00:00:01.500000Z', '1970-01-01T00:01:01.000001Z']
    """
    if len(time_ns) == 0:
        return pa.array([], pa.string())
    seconds = time_ns // _S
    first, last = int(seconds.min()), int(seconds.max())
    if last - first < _DENSE_SECONDS:
        index = seconds - first
        labels = _second_labels(np.arange(first, last + 1))
    else:
        unique, index = np.unique(seconds, return_inverse=True)
        labels = _second_labels(unique)
    micros = pa.array((time_ns - seconds * _S) // 1000)
    fraction = pc.utf8_lpad(pc.cast(micros, pa.string()), width=6, padding="0")
    return pc.binary_join_element_wise(pc.take(labels, pa.array(index)), fraction, "Z", "")


def _second_labels(seconds: np.ndarray) -> pa.Array:
    text = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s")
    return pc.binary_join_element_wise(pa.array(text), ".", "")


@cache
def status_name(code: int) -> str:
    """OPC UA status name of a code (``Good``, ``BadOutOfService``...), hex when unknown.

    >>> status_name(0), status_name(0x808D0000), status_name(0x12345678)
    ('Good', 'BadOutOfService', '0x12345678')
    """
    from asyncua.ua.status_codes import code_to_name_doc  # names only; loaded when an export runs

    known = code_to_name_doc.get(code)
    return known[0] if known else f"0x{code:08X}"


async def read_series(
    historian: Historian, series: ExportSeries, start_ns: int, stop_ns: int, max_points: int | None
) -> RawSeries:
    """One series' samples in ``[start_ns, stop_ns)``: all of them, or downsampled to ``max_points``."""
    if max_points is None:
        return await historian.raw_range(series.unit, series.tag, start_ns, stop_ns, series.site)
    result = await historian.query_range(series.unit, [series.tag], start_ns, stop_ns, max_points, series.site)
    return RawSeries.of(result.series.get(series.tag, []))


def _table(series: ExportSeries, raw: RawSeries) -> pa.Table:
    n = len(raw)
    codes = np.unique(raw.status)
    names = pa.array([status_name(int(c)) for c in codes])
    value = pa.array(raw.value, mask=np.isnan(raw.value))
    # Constant columns as one-entry dictionaries: no per-row strings to build.
    zeros = pa.array(np.zeros(n, dtype=np.int32))

    def constant(text: str) -> pa.DictionaryArray:
        return pa.DictionaryArray.from_arrays(zeros, pa.array([text]))

    return pa.table(
        {
            "time": iso_times(raw.time_ns),
            "site": constant(series.site or ""),
            "unit": constant(series.unit),
            "tag": constant(series.tag),
            "value": value,
            "eu": constant(series.eu),
            "status": pa.array(raw.status),
            "status_name": pa.DictionaryArray.from_arrays(pa.array(np.searchsorted(codes, raw.status)), names),
        }
    )


def _csv(series: ExportSeries, raw: RawSeries) -> bytes:
    table = _table(series, raw)
    # Arrow's "needed" quotes every string; names without a delimiter, quote or line break
    # (all of the plant's) and the times never need it: fewer bytes to write.
    plain = not any(set(text) & set(',"\r\n') for text in (series.site or "", series.unit, series.tag, series.eu))
    sink = io.BytesIO()
    options = pcsv.WriteOptions(include_header=False, quoting_style="none" if plain else "needed")
    pcsv.write_csv(table, sink, write_options=options)
    return sink.getvalue()


async def csv_chunks(
    historian: Historian,
    series: Sequence[ExportSeries],
    start_ns: int,
    stop_ns: int,
    max_points: int | None = None,
    on_rows: Callable[[int], None] | None = None,
) -> AsyncIterator[bytes]:
    """The CSV (UTF-8) in chunks: the header, then one chunk per series that has samples.

    ``on_rows`` is told the row count of each chunk (progress, totals).
    """
    yield (",".join(COLUMNS) + "\n").encode()

    async def chunk(one: ExportSeries) -> tuple[int, bytes]:
        raw = await read_series(historian, one, start_ns, stop_ns, max_points)
        return len(raw), (await asyncio.to_thread(_csv, one, raw) if len(raw) else b"")

    # A few series in flight: one is read (SQLite thread) while others are formatted (worker
    # threads; Arrow and SQLite release the GIL) and the oldest is written by the caller.
    pending: deque[asyncio.Future[tuple[int, bytes]]] = deque()
    todo = iter(series)
    try:
        while True:
            while len(pending) < _IN_FLIGHT and (one := next(todo, None)) is not None:
                pending.append(asyncio.ensure_future(chunk(one)))
            if not pending:
                break
            rows, text = await pending.popleft()
            if rows:
                if on_rows is not None:
                    on_rows(rows)
                yield text
    finally:
        for future in pending:
            future.cancel()


def _number(value: float) -> float | None:
    return value if math.isfinite(value) else None


async def json_document(
    historian: Historian, series: Sequence[ExportSeries], start_ns: int, stop_ns: int, max_points: int | None = None
) -> dict[str, Any]:
    """The same data as :func:`csv_chunks`, one entry per series with its samples as columns.

    ``{"start": ..., "end": ..., "series": [{"site", "unit", "tag", "eu", "time": [...],
    "value": [...], "status": [...], "status_name": [...]}]}``; a missing value is ``null``.
    """
    out: list[dict[str, Any]] = []
    for one in series:
        raw = await read_series(historian, one, start_ns, stop_ns, max_points)
        out.append(
            {
                "site": one.site or "",
                "unit": one.unit,
                "tag": one.tag,
                "eu": one.eu,
                "time": iso_times(raw.time_ns).to_pylist(),
                "value": [_number(v) for v in raw.value.tolist()],
                "status": raw.status.tolist(),
                "status_name": [status_name(int(c)) for c in raw.status.tolist()],
            }
        )
    return {"start": _iso(start_ns), "end": _iso(stop_ns), "series": out}


def _iso(time_ns: int) -> str:
    return str(iso_times(np.array([time_ns], dtype=np.int64))[0])


def select_series(tagmaps: Sequence[TagMap], units: Sequence[str] = (), tags: Sequence[str] = ()) -> list[ExportSeries]:
    """The series named by ``units`` and ``tags`` (``tag`` or ``unit/tag``), in tag-map order.

    No units and no tags: every tag of every tag map. A bare tag name is looked up in the
    units given (every unit when none is). Unknown names raise ``ValueError`` naming them.

    >>> from config_schema.tagmap import TagEntry, TagMap
    >>> tm = TagMap(endpoint="opc.tcp://h:4840", site="s", unit="TK1",
    ...             tags=[TagEntry(name="L", node="ns=2;s=L", unit="cm"), TagEntry(name="F", node="ns=2;s=F")])
    >>> [(s.unit, s.tag, s.eu) for s in select_series([tm], tags=["TK1/L"])]
    [('TK1', 'L', 'cm')]
    >>> select_series([tm], tags=["X"])
    Traceback (most recent call last):
    ...
    ValueError: unknown tag(s): X (tags of TK1: L, F)
    """
    by_unit = {tm.unit: tm for tm in tagmaps}
    unknown_units = [u for u in units if u not in by_unit]
    if unknown_units:
        raise ValueError(f"unknown unit(s): {', '.join(unknown_units)} (units: {', '.join(by_unit)})")
    scope = [by_unit[u] for u in units] if units else list(tagmaps)
    wanted: set[tuple[str, str]] = set()
    missing: list[str] = []
    for name in tags:
        unit, _, tag = name.rpartition("/")
        hits = [(tm.unit, tag) for tm in scope if (not unit or tm.unit == unit) and tag in tm.by_name()]
        if not hits:
            missing.append(name)
        wanted.update(hits)
    if missing:
        known = "; ".join(f"tags of {tm.unit}: {', '.join(t.name for t in tm.tags)}" for tm in scope)
        raise ValueError(f"unknown tag(s): {', '.join(missing)} ({known})")
    return [
        ExportSeries(tm.site, tm.unit, tag.name, tag.unit)
        for tm in scope
        for tag in tm.tags
        if not tags or (tm.unit, tag.name) in wanted
    ]


async def newest_ns(historian: Historian, series: Sequence[ExportSeries]) -> int | None:
    """Time of the newest sample of any of ``series`` (the "now" of a run ahead of the wall)."""
    newest: int | None = None
    for site, unit in dict.fromkeys((s.site, s.unit) for s in series):
        for key, sample in (await historian.latest(site=site, unit=unit)).items():
            if any(s.tag == key.tag and s.unit == key.unit for s in series):
                newest = max(newest or sample.time_ns, sample.time_ns)
    return newest
