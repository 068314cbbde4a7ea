"""The embedded default historian: one SQLite file in WAL mode.

Tables
------
``process``
    One row per ``process`` point, primary key ``(unit, tag, time_ns, site, source)``
    (``WITHOUT ROWID``, so the key is the clustered index). The key is the point's identity,
    so ``INSERT OR REPLACE`` makes a retried write idempotent; its column order serves the
    dashboard's range query (one unit, a few tags, a time range) straight from the index.
``process_latest``
    The newest sample of every series, maintained on write, so :meth:`latest` reads a few
    hundred rows instead of scanning the history.
``points``
    Every other measurement (``event``, ``oee``, ``drift``...): tags and fields as JSON,
    unique on measurement + time + tags.

WAL mode lets another process (the dashboard in docker-compose) read while this one writes.
All SQLite calls run on two dedicated threads, one for writes and one for reads, each with
its own connection, so the event loop never blocks on disk and reads do not queue behind
large writes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Self, TypeVar
from urllib.parse import SplitResult, unquote

import numpy as np

from historian.base import (
    FieldValue,
    Historian,
    HistorianError,
    HistorianRejectedError,
    Point,
    RawSeries,
    Sample,
    SeriesKey,
)
from historian.queries import EventQuery, RangeQuery
from historian.sqlite_bulk import read_many
from historian.urls import bad_url

log = logging.getLogger(__name__)

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS process (
    unit TEXT NOT NULL,
    tag TEXT NOT NULL,
    time_ns INTEGER NOT NULL,
    site TEXT NOT NULL,
    source TEXT NOT NULL,
    value REAL,
    status INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (unit, tag, time_ns, site, source)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS process_latest (
    site TEXT NOT NULL,
    unit TEXT NOT NULL,
    tag TEXT NOT NULL,
    source TEXT NOT NULL,
    time_ns INTEGER NOT NULL,
    value REAL,
    status INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (site, unit, tag, source)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS points (
    measurement TEXT NOT NULL,
    time_ns INTEGER NOT NULL,
    tags TEXT NOT NULL,
    fields TEXT NOT NULL,
    PRIMARY KEY (measurement, time_ns, tags)
) WITHOUT ROWID;
"""

_INSERT_PROCESS = (
    "INSERT OR REPLACE INTO process (unit, tag, time_ns, site, source, value, status) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_UPSERT_LATEST = (
    "INSERT INTO process_latest (site, unit, tag, source, time_ns, value, status) "
    "VALUES (?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (site, unit, tag, source) DO UPDATE SET "
    "time_ns = excluded.time_ns, value = excluded.value, status = excluded.status "
    "WHERE excluded.time_ns >= process_latest.time_ns"
)
_INSERT_POINT = "INSERT OR REPLACE INTO points (measurement, time_ns, tags, fields) VALUES (?, ?, ?, ?)"

_ProcessRow = tuple[str, str, int, str, str, float | None, int]


_BUSY_TIMEOUT_S = 10.0


def _connect(path: Path) -> sqlite3.Connection:
    # isolation_level=None: we issue BEGIN/COMMIT ourselves; timeout = busy timeout when
    # another process holds the write lock.
    conn = sqlite3.connect(path, timeout=_BUSY_TIMEOUT_S, isolation_level=None)
    # Switching a new file to WAL answers "database is locked" at once, without the busy
    # handler, while another connection (two bridges starting together) does the same: retry.
    deadline = time.monotonic() + _BUSY_TIMEOUT_S
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                conn.close()
                raise
            time.sleep(0.02)
    # NORMAL is durable against application crashes in WAL mode; only an OS crash or power
    # loss can lose the last commits, and the bridge's outbox is the durable copy anyway.
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


class _SqliteThread:
    """One thread owning one connection; blocking calls are awaited from the event loop."""

    def __init__(self, path: Path, name: str) -> None:
        self._path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._conn: sqlite3.Connection | None = None

    def _run(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        if self._conn is None:
            self._conn = _connect(self._path)
        return fn(self._conn, *args)

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, self._run, fn, args)
        except sqlite3.Error as exc:
            raise HistorianError(f"SQLite {self._path}: {exc}") from exc

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._close)
        self._executor.shutdown(wait=True)


def _as_float(value: FieldValue | None) -> float | None:
    if value is None or isinstance(value, str):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _tags_json(tags: dict[str, str]) -> str:
    # Canonical form (sorted keys, no empty values, as InfluxDB) so the same tag set always
    # gives the same key string.
    return json.dumps({k: tags[k] for k in sorted(tags) if tags[k] != ""}, separators=(",", ":"), ensure_ascii=False)


def _rows(points: Sequence[Point]) -> tuple[list[_ProcessRow], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    process: list[_ProcessRow] = []
    latest: dict[tuple[str, str, str, str], _ProcessRow] = {}
    other: list[tuple[Any, ...]] = []
    for p in points:
        if p.measurement == "process":
            tags, fields = p.tags, p.fields
            site = tags.get("site", "")
            unit = tags.get("unit", "")
            tag = tags.get("tag", "")
            source = tags.get("source", "")
            t = int(p.time_ns)
            row = (unit, tag, t, site, source, _as_float(fields.get("value")), int(fields.get("status", 0)))
            process.append(row)
            key = (site, unit, tag, source)
            best = latest.get(key)
            if best is None or t >= best[2]:
                latest[key] = row
        else:
            fields_json = json.dumps(dict(p.fields), separators=(",", ":"), ensure_ascii=False)
            other.append((p.measurement, int(p.time_ns), _tags_json(dict(p.tags)), fields_json))
    latest_rows = [(r[3], r[0], r[1], r[4], r[2], r[5], r[6]) for r in latest.values()]
    return process, latest_rows, other


def _write(conn: sqlite3.Connection, points: Sequence[Point]) -> None:
    try:
        process, latest, other = _rows(points)
    except (TypeError, ValueError, OverflowError) as exc:
        raise HistorianRejectedError(f"cannot store points: {exc!r}") from exc
    conn.execute("BEGIN IMMEDIATE")
    try:
        if process:
            conn.executemany(_INSERT_PROCESS, process)
            conn.executemany(_UPSERT_LATEST, latest)
        if other:
            conn.executemany(_INSERT_POINT, other)
        conn.execute("COMMIT")
    except BaseException as exc:
        conn.execute("ROLLBACK")
        if isinstance(exc, OverflowError):  # an integer beyond SQLite's 64 bits
            raise HistorianRejectedError(f"cannot store points: {exc!r}") from exc
        raise


def _sample(time_ns: int, value: float | None, status: int | None) -> Sample:
    return Sample(time_ns, math.nan if value is None else float(value), int(status or 0))


def _raw(
    conn: sqlite3.Connection, unit: str, tag: str, start: int, stop: int, site: str | None, source: str | None = None
) -> RawSeries:
    # A NULL value (bad quality) becomes +inf in SQL (9e999 overflows) and NaN below, so the
    # rows convert to a typed numpy array in one C loop; stored values are always finite
    # (non-finite ones are written as NULL). No second SQLite library (e.g. ADBC's) may
    # open the file in this process: two copies drop each other's POSIX locks (SIGBUS).
    sql = (
        "SELECT time_ns, coalesce(value, 9e999), status FROM process "
        "WHERE unit = ? AND tag = ? AND time_ns >= ? AND time_ns < ?"
    )
    args: list[Any] = [unit, tag, start, stop]
    if site is not None:
        sql += " AND site = ?"
        args.append(site)
    if source is not None:
        sql += " AND source = ?"
        args.append(source)
    rows = np.array(conn.execute(sql + " ORDER BY time_ns", args).fetchall(), dtype=_RAW_ROW)
    values = rows["value"]
    values[np.isinf(values)] = np.nan
    return RawSeries(rows["time_ns"], values, rows["status"])


_RAW_ROW = np.dtype([("time_ns", np.int64), ("value", np.float64), ("status", np.int64)])


class SqliteHistorian(Historian):
    """Historian in one SQLite file (``sqlite:///relative/path`` or ``sqlite:////abs/path``).

    Parameters
    ----------
    path : str or Path
        Database file; its parent directory is created on :meth:`open`.
    url : str, optional
        The URL it was opened from, for logs and /api/health.
    """

    #: Exports of at least this many series × hours read in bulk (:meth:`raw_ranges`).
    bulk_series_hours: float = 24.0

    def __init__(self, path: str | Path, url: str | None = None) -> None:
        self.path = Path(path)
        self.url = url or f"sqlite:///{self.path}"
        self._writer: _SqliteThread | None = None
        self._reader: _SqliteThread | None = None

    @classmethod
    def from_url(cls, url: str, parts: SplitResult) -> Self:
        """``sqlite:///relative/path`` or ``sqlite:////absolute/path``; no host, no query."""
        if parts.netloc:
            raise bad_url(url, f"host {parts.netloc!r} given; a SQLite URL has three slashes before a relative path")
        if parts.query:
            raise bad_url(url, "SQLite URLs take no query parameters")
        # sqlite:///rel -> "/rel" -> "rel"; sqlite:////abs -> "//abs" -> "/abs".
        path = unquote(parts.path)[1:]
        if not path or path.endswith("/"):
            raise bad_url(url, "missing database file path after 'sqlite:///'")
        if path == ":memory:":
            raise bad_url(url, "in-memory SQLite is not supported (it cannot be shared by threads); use a file")
        return cls(path, url=url)

    async def open(self) -> None:
        """Create the directory, the file and the tables (idempotent)."""
        if self._writer is not None:
            return
        await asyncio.to_thread(self.path.parent.mkdir, parents=True, exist_ok=True)
        self._writer = _SqliteThread(self.path, "historian-sqlite-w")
        self._reader = _SqliteThread(self.path, "historian-sqlite-r")
        await self._writer.call(lambda conn: conn.executescript(_SCHEMA))
        log.info("SQLite historian at %s", self.path)

    async def close(self) -> None:
        for worker in (self._writer, self._reader):
            if worker is not None:
                await worker.close()
        self._writer = self._reader = None

    def _threads(self) -> tuple[_SqliteThread, _SqliteThread]:
        if self._writer is None or self._reader is None:
            raise HistorianError(f"{self.url}: historian is not open (use `async with`)")
        return self._writer, self._reader

    async def write(self, points: Sequence[Point]) -> None:
        if not points:
            return
        writer, _ = self._threads()
        await writer.call(_write, points)

    async def ping(self) -> bool:
        if self._reader is None:
            return False
        try:
            await self._reader.call(lambda conn: conn.execute("SELECT 1").fetchone())
        except HistorianError:
            return False
        return True

    async def latest(
        self, site: str | None = None, unit: str | None = None, source: str | None = None
    ) -> dict[SeriesKey, Sample]:
        _, reader = self._threads()
        sql = "SELECT site, unit, tag, source, time_ns, value, status FROM process_latest"
        where, args = [], []
        for column, wanted in (("site", site), ("unit", unit), ("source", source)):
            if wanted is not None:
                where.append(f"{column} = ?")
                args.append(wanted)
        if where:
            sql += " WHERE " + " AND ".join(where)

        def run(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
            return conn.execute(sql, args).fetchall()

        rows = await reader.call(run)
        return {SeriesKey(r[0], r[1], r[2], r[3]): _sample(r[4], r[5], r[6]) for r in rows}

    async def _query_range(self, query: RangeQuery) -> dict[str, list[Sample]]:
        _, reader = self._threads()
        unit, site, source, max_points = query.unit, query.site, query.source, query.max_points
        tags, start, stop, width = query.tags, query.start, query.stop, query.width

        def clause(names: Sequence[str]) -> tuple[str, list[Any]]:
            where = f"unit = ? AND tag IN ({','.join('?' * len(names))}) AND time_ns >= ? AND time_ns < ?"
            args: list[Any] = [unit, *names, start, stop]
            if site is not None:
                where += " AND site = ?"
                args.append(site)
            if source is not None:
                where += " AND source = ?"
                args.append(source)
            return where, args

        def run(conn: sqlite3.Connection) -> dict[str, list[Sample]]:
            where, args = clause(tags)
            counts = dict(conn.execute(f"SELECT tag, COUNT(*) FROM process WHERE {where} GROUP BY tag", args))
            out: dict[str, list[Sample]] = {t: [] for t in tags if t in counts}
            raw = [t for t in out if counts[t] <= max_points]
            dense = [t for t in out if counts[t] > max_points]
            if raw:
                where, args = clause(raw)
                sql = f"SELECT tag, time_ns, value, status FROM process WHERE {where} ORDER BY tag, time_ns"
                for tag, t, value, status in conn.execute(sql, args):
                    out[tag].append(_sample(t, value, status))
            if dense:
                where, args = clause(dense)
                sql = (
                    "SELECT tag, (time_ns - ?) / ? AS bucket, AVG(value), MAX(status) "
                    f"FROM process WHERE {where} GROUP BY tag, bucket ORDER BY tag, bucket"
                )
                for tag, bucket, value, status in conn.execute(sql, [start, width, *args]):
                    out[tag].append(_sample(start + bucket * width, value, status))
            return out

        return await reader.call(run)

    async def raw_range(
        self,
        unit: str,
        tag: str,
        start_ns: int,
        stop_ns: int,
        site: str | None = None,
        source: str | None = None,
    ) -> RawSeries:
        """Every sample of one tag as columns, converted in bulk (no Sample object per row)."""
        _, reader = self._threads()
        if stop_ns <= start_ns:
            return RawSeries.of([])
        return await reader.call(_raw, unit, tag, int(start_ns), int(stop_ns), site, source)

    async def raw_ranges(
        self, series: Sequence[tuple[str, str, str | None]], start_ns: int, stop_ns: int
    ) -> AsyncIterator[RawSeries]:
        """Many series at once: in a child process (:mod:`historian.sqlite_bulk`) when they are long.

        Below :attr:`bulk_series_hours` (series × hours of the range), the child's start
        (about 0.2 s) costs more than it saves, and each series is read here.
        """
        self._threads()
        hours = len(series) * max(stop_ns - start_ns, 0) / 3.6e12
        if hours < self.bulk_series_hours:
            async for raw in super().raw_ranges(series, start_ns, stop_ns):
                yield raw
            return
        async for raw in read_many(self.path, series, start_ns, stop_ns):
            yield raw

    async def _events(self, query: EventQuery) -> list[Point]:
        _, reader = self._threads()
        sql = "SELECT time_ns, tags, fields FROM points WHERE measurement = 'event' AND time_ns >= ? AND time_ns < ?"
        args: list[Any] = [query.start, query.stop]
        if query.unit is not None:
            sql += " AND json_extract(tags, '$.unit') = ?"
            args.append(query.unit)
        if query.kinds is not None:
            sql += f" AND json_extract(tags, '$.kind') IN ({','.join('?' * len(query.kinds))})"
            args.extend(query.kinds)
        sql += " ORDER BY time_ns LIMIT ?"
        args.append(query.limit)

        def run(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
            return conn.execute(sql, args).fetchall()

        rows = await reader.call(run)
        return [Point("event", json.loads(tags), json.loads(fields), t) for t, tags, fields in rows]
