"""History of many tags as CSV or JSON: what ``GET /api/history`` and ``gmp-twin export`` write.

Both call :func:`csv_buffers` (or :func:`csv_chunks`, its ``bytes``) / :func:`json_document`
with the same arguments, so the two give the same bytes. One CSV row per stored sample, series
after series (in the order asked), each oldest first::

    time,site,unit,tag,value,eu,status,status_name
    2026-12-03T14:00:00.200000Z,demo-campus,bioreactor-1,temperature,37.012,°C,0,Good

``time`` is UTC (ISO 8601, microseconds: OPC UA timestamps carry no more through asyncua),
``eu`` the engineering unit from the tag map, ``status`` the OPC UA status code and
``status_name`` its name; a sample without a value (bad quality) has an empty ``value``.
``max_points`` downsamples each series in the historian (bucket means, as the dashboard's
charts); without it every stored sample is written.

Each series' rows are joined column-wise by Arrow into one buffer of text (no Python object
per row), while the SQLite backend reads the next series in bulk in a child process
(:mod:`historian.sqlite_bulk`). ``python -m bench export`` times 24 h of the default plant
(about 14 million rows).
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from functools import cache
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from config_schema.tagmap import TagMap
from historian.base import Historian, RawSeries

__all__ = [
    "COLUMNS",
    "ExportSeries",
    "csv_buffers",
    "csv_chunks",
    "iso_times",
    "json_document",
    "newest_ns",
    "parse_time",
    "read_series",
    "select_series",
    "status_name",
]

#: The CSV header (and the JSON sample fields).
COLUMNS = ("time", "site", "unit", "tag", "value", "eu", "status", "status_name")
_S = 1_000_000_000
#: A series spanning more seconds than this labels only its distinct seconds (fewer than a
#: label per second of its span: 20 MB of them).
_DENSE_SECONDS = 1_000_000
#: Series read and formatted ahead of the one being written (bounded memory: a few series).
_IN_FLIGHT = 3
#: Rows joined into one string array at most (its text stays far below the 2 GB it can hold).
_SLICE_ROWS = 2_000_000


@dataclass(frozen=True, slots=True)
class ExportSeries:
    """One series to export: where it is and the engineering unit written beside it."""

    site: str | None
    unit: str
    tag: str
    eu: str = ""


def parse_time(text: str, zone: tzinfo | None = None) -> int:
    """ISO 8601 text -> ns since the epoch; a time without offset is read in ``zone`` (UTC by default).

    >>> from zoneinfo import ZoneInfo
    >>> parse_time("1970-01-01T00:00:01Z"), parse_time("1970-01-01T01:00:01", ZoneInfo("Europe/Paris"))
    (1000000000, 1000000000)
    """
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone or UTC)
    return round(moment.timestamp() * 1e6) * 1000


def iso_times(time_ns: np.ndarray) -> pa.Array:
    """ISO 8601 UTC text with microseconds of ns timestamps, built column-wise.

    >>> iso_times(np.array([1_500_000_000, 61_000_001_000], dtype=np.int64)).to_pylist()
    ['1970-01-01T00:00:01.500000Z', '1970-01-01T00:01:01.000001Z']
    """
    return _TimeText().of(time_ns)


class _TimeText:
    """Times as text, column-wise: a label per second joined with a label per microsecond.

    The seconds' labels ("2026-12-03T14:00:00") are made once for the span of the series
    (a day has 86,400) and kept for the next series of the same export; the microseconds'
    (".200000Z") once per process. Each timestamp is then two lookups and a join.
    """

    def __init__(self) -> None:
        # (first second, its labels): one attribute, so a formatting thread reads a
        # consistent pair while another replaces it.
        self._cache: tuple[int, pa.Array] = (0, pa.array([], pa.string()))

    def pieces(self, time_ns: np.ndarray) -> tuple[pa.Array, pa.Array]:
        """The seconds' text and the fractions' text (with the ``Z``) of non-empty ``time_ns``."""
        seconds = time_ns // _S
        first, last = int(seconds.min()), int(seconds.max())
        if last - first >= _DENSE_SECONDS:
            unique, index = np.unique(seconds, return_inverse=True)
            whole = pc.take(_second_labels(unique), pa.array(index))
        else:
            cached_first, labels = self._cache
            if first < cached_first or last - cached_first >= len(labels):
                cached_first, labels = first, _second_labels(np.arange(first, last + 1))
                self._cache = (cached_first, labels)
            whole = pc.take(labels, pa.array(seconds - cached_first))
        micros = (time_ns - seconds * _S) // 1000
        return whole, pc.take(_fractions(), pa.array(micros))

    def of(self, time_ns: np.ndarray) -> pa.Array:
        if len(time_ns) == 0:
            return pa.array([], pa.string())
        return pc.binary_join_element_wise(*self.pieces(time_ns), "")


def _second_labels(seconds: np.ndarray) -> pa.Array:
    return pa.array(np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s"))


@cache
def _fractions() -> pa.Array:
    """ ".000000Z" ... ".999999Z": the text of every microsecond of a second (8 MB, made once)."""
    digits = pc.utf8_lpad(pc.cast(pa.array(np.arange(1_000_000)), pa.string()), width=6, padding="0")
    return pc.binary_join_element_wise(".", digits, "Z", "")


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


async def _read_all(
    historian: Historian, series: Sequence[ExportSeries], start_ns: int, stop_ns: int, max_points: int | None
) -> AsyncGenerator[RawSeries, None]:
    """Each series in turn; every sample through the historian's bulk read (SQLite: a child process)."""
    if max_points is None:
        wanted = [(s.unit, s.tag, s.site) for s in series]
        async for raw in historian.raw_ranges(wanted, start_ns, stop_ns):
            yield raw
        return
    for one in series:
        yield await read_series(historian, one, start_ns, stop_ns, max_points)


def _field(text: str) -> str:
    """A CSV field: quoted (RFC 4180) only when it holds a comma, a quote or a line break.

    >>> print(_field("cm"), _field('a "b", c'))
    cm "a ""b"", c"
    """
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv(series: ExportSeries, raw: RawSeries, times: _TimeText) -> list[pa.Buffer]:
    """The rows of one series as buffers of CSV text (UTF-8), built column-wise by Arrow.

    Each line is joined from five columns: the time's second and fraction (lookups), the
    series' constant ``,site,unit,tag,``, the value (Arrow's shortest round-trip text, empty
    when missing) and ``,eu,status,status_name`` (a lookup per status code). The joined
    strings' data buffer is then the text itself, written without a copy. Long series go in
    slices (a string array holds at most 2 GB).
    """
    middle = "," + ",".join(_field(text) for text in (series.site or "", series.unit, series.tag)) + ","
    codes, index = np.unique(raw.status, return_inverse=True)
    eu = _field(series.eu)
    ends = pa.array([f",{eu},{int(code)},{status_name(int(code))}\n" for code in codes])
    out = []
    for at in range(0, len(raw), _SLICE_ROWS):
        part = slice(at, at + _SLICE_ROWS)
        whole, fraction = times.pieces(raw.time_ns[part])
        values = raw.value[part]
        missing = np.isnan(values)
        value = pc.cast(pa.array(values, mask=missing if missing.any() else None), pa.string())
        end = pc.take(ends, pa.array(index[part].astype(np.int32)))
        lines = pc.binary_join_element_wise(whole, fraction, middle, value, end, "", null_handling="replace")
        offsets = np.frombuffer(lines.buffers()[1], np.int32, len(lines) + 1, lines.offset * 4)
        out.append(lines.buffers()[2][int(offsets[0]) : int(offsets[-1])])
    return out


async def csv_buffers(
    historian: Historian,
    series: Sequence[ExportSeries],
    start_ns: int,
    stop_ns: int,
    max_points: int | None = None,
    on_rows: Callable[[int], None] | None = None,
) -> AsyncIterator[memoryview]:
    """The CSV (UTF-8) in chunks without copies: the header, then one chunk per series with samples.

    ``on_rows`` is told the row count of each chunk (progress, totals). Each chunk is a view
    of Arrow memory, valid until the next one is asked for.
    """
    yield memoryview((",".join(COLUMNS) + "\n").encode())
    times = _TimeText()
    # A few series formatted at once (worker threads: Arrow releases the GIL) while the next
    # are read (SQLite: by a child process, on the other core) and the oldest is written.
    pending: deque[tuple[int, asyncio.Future[list[pa.Buffer]]]] = deque()
    try:
        async with aclosing(_zip(series, historian, start_ns, stop_ns, max_points)) as pairs:
            async for one, raw in pairs:
                if len(raw):
                    pending.append((len(raw), asyncio.ensure_future(asyncio.to_thread(_csv, one, raw, times))))
                while pending and (len(pending) >= _IN_FLIGHT or pending[0][1].done()):
                    rows, text = pending.popleft()
                    for chunk in await _done(rows, text, on_rows):
                        yield chunk
        while pending:
            rows, text = pending.popleft()
            for chunk in await _done(rows, text, on_rows):
                yield chunk
    finally:
        for _, future in pending:
            future.cancel()


async def _zip(
    series: Sequence[ExportSeries], historian: Historian, start_ns: int, stop_ns: int, max_points: int | None
) -> AsyncGenerator[tuple[ExportSeries, RawSeries], None]:
    """Each series with its samples; closing it stops the reading (and a bulk reader's child)."""
    async with aclosing(_read_all(historian, series, start_ns, stop_ns, max_points)) as raws:
        for one in series:
            yield one, await anext(raws)


async def _done(
    rows: int, text: asyncio.Future[list[pa.Buffer]], on_rows: Callable[[int], None] | None
) -> list[memoryview]:
    buffers = await text
    if on_rows is not None:
        on_rows(rows)
    return [memoryview(b) for b in buffers]


async def csv_chunks(
    historian: Historian,
    series: Sequence[ExportSeries],
    start_ns: int,
    stop_ns: int,
    max_points: int | None = None,
    on_rows: Callable[[int], None] | None = None,
) -> AsyncIterator[bytes]:
    """:func:`csv_buffers` as ``bytes`` (a response body)."""
    async for chunk in csv_buffers(historian, series, start_ns, stop_ns, max_points, on_rows):
        yield bytes(chunk)


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
    async with aclosing(_zip(series, historian, start_ns, stop_ns, max_points)) as pairs:
        async for one, raw in pairs:
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
