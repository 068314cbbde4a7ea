"""InfluxDB 1.x backend over the HTTP API (``/write`` line protocol, ``/query`` InfluxQL).

Writes are gzip'ed line protocol in bodies of at most 5,000 lines with nanosecond precision
(``/write?db=...&precision=ns``). The database is created on :meth:`open` when the server
answers, otherwise on the first write. Reads use InfluxQL: ``GROUP BY time(...)`` with
``mean()`` / ``max()`` for downsampling, ``last()`` for the latest sample of each series.

Type note: the JSON answer of ``/query`` writes a float ``3.0`` as ``3``; :meth:`events`
asks ``SHOW FIELD KEYS`` for the field types so float fields come back as ``float``.
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import math
from collections.abc import Sequence
from typing import Any

import httpx

from historian.base import (
    FieldValue,
    Historian,
    HistorianError,
    HistorianRejectedError,
    Point,
    RangeResult,
    RangeWindow,
    Sample,
    SeriesKey,
)
from historian.line_protocol import encode_batches

log = logging.getLogger(__name__)

#: Lines per ``/write`` request (InfluxData's recommended batch size).
BATCH_LINES = 5000

# Small writes are encoded on the event loop; bigger ones in a thread (gzip + encoding of
# 5,000 lines takes ~15 ms, too long to block the loop).
_INLINE_POINTS = 500


def quote_ident(name: str) -> str:
    """InfluxQL identifier in double quotes.

    >>> quote_ident('my "unit"')
    '"my \\\\"unit\\\\""'
    """
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def quote_string(text: str) -> str:
    """InfluxQL string literal in single quotes.

    >>> quote_string("it's")
    "'it\\\\'s'"
    """
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _any_of(tag: str, values: Sequence[str]) -> str:
    return "(" + " OR ".join(f"{quote_ident(tag)} = {quote_string(v)}" for v in values) + ")"


def _gzip_bodies(points: Sequence[Point], batch_lines: int) -> list[bytes]:
    # Level 1: most of the size reduction of level 6 at a third of the CPU time.
    return [gzip.compress(body.encode(), compresslevel=1) for body in encode_batches(points, batch_lines)]


def _number(value: Any) -> float:
    return math.nan if value is None else float(value)


class InfluxDB1Historian(Historian):
    """InfluxDB 1.x historian.

    Parameters
    ----------
    base_url : str
        ``http://host:8086`` or ``https://...``.
    database : str
        Database name; created when missing.
    username, password : str, optional
        For servers with ``auth-enabled`` (HTTP basic auth).
    url : str, optional
        The ``influxdb1://`` URL it was opened from (password removed), for logs.
    timeout : float
        Seconds per HTTP request.
    batch_lines : int
        Lines per ``/write`` request.
    """

    def __init__(
        self,
        base_url: str,
        database: str,
        username: str | None = None,
        password: str | None = None,
        url: str | None = None,
        timeout: float = 10.0,
        batch_lines: int = BATCH_LINES,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.database = database
        self.url = url or f"influxdb1://{self.base_url.split('://', 1)[1]}/{database}"
        self.timeout = timeout
        self.batch_lines = batch_lines
        self._auth = (username, password or "") if username else None
        self._client: httpx.AsyncClient | None = None
        self._db_ready = False

    async def open(self) -> None:
        """Make the HTTP client and try to create the database (no error if the server is down)."""
        if self._client is None:
            self._client = httpx.AsyncClient(base_url=self.base_url, timeout=self.timeout, auth=self._auth)
        try:
            await self._create_database()
        except HistorianError as exc:
            log.warning("%s: cannot create database yet (%s); will retry on first write", self.url, exc)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            raise HistorianError(f"{self.url}: historian is not open (use `async with`)")
        return self._client

    async def _create_database(self) -> None:
        await self._query(f"CREATE DATABASE {quote_ident(self.database)}", with_db=False)
        self._db_ready = True

    async def _query(self, q: str, with_db: bool = True) -> list[dict[str, Any]]:
        """Run one InfluxQL statement; return its ``series`` list (empty when none)."""
        data = {"q": q}
        params = {"epoch": "ns"}
        if with_db:
            params["db"] = self.database
        try:
            resp = await self._http().post("/query", params=params, data=data)
        except httpx.HTTPError as exc:
            raise HistorianError(f"{self.url}: query failed: {exc!r}") from exc
        try:
            body = resp.json()
        except ValueError:
            body = {}
        error = body.get("error") or next((r.get("error") for r in body.get("results", []) if r.get("error")), None)
        if resp.status_code >= 400 or error:
            if error and error.startswith("database not found"):
                self._db_ready = False
                return []
            raise HistorianError(f"{self.url}: query failed (HTTP {resp.status_code}): {error or resp.text[:300]}")
        results = body.get("results") or [{}]
        series: list[dict[str, Any]] = results[0].get("series", [])
        return series

    async def write(self, points: Sequence[Point]) -> None:
        if not points:
            return
        client = self._http()
        if not self._db_ready:
            try:
                await self._create_database()
            except HistorianError as exc:
                # Down, or a non-admin user that may not CREATE: let the write itself tell
                # (connection error, or 404 when the database really is missing).
                log.debug("%s: CREATE DATABASE failed (%s); writing anyway", self.url, exc)
        try:
            if len(points) <= _INLINE_POINTS:
                bodies = _gzip_bodies(points, self.batch_lines)
            else:
                bodies = await asyncio.to_thread(_gzip_bodies, points, self.batch_lines)
        except (TypeError, ValueError, OverflowError) as exc:
            raise HistorianRejectedError(f"{self.url}: cannot encode points: {exc!r}") from exc
        params = {"db": self.database, "precision": "ns"}
        headers = {"Content-Encoding": "gzip", "Content-Type": "text/plain; charset=utf-8"}
        for body in bodies:
            try:
                resp = await client.post("/write", params=params, content=body, headers=headers)
            except httpx.HTTPError as exc:
                raise HistorianError(f"{self.url}: write failed: {exc!r}") from exc
            if resp.status_code == 204:
                continue
            text = resp.text[:500]
            if resp.status_code == 404:
                self._db_ready = False  # dropped behind our back: create again on retry
                raise HistorianError(f"{self.url}: write failed (HTTP 404): {text}")
            if resp.status_code == 400:
                # Unparsable line or field type conflict: the server kept the valid points
                # of the body ("partial write"), retrying the others cannot succeed.
                raise HistorianRejectedError(f"{self.url}: points rejected (HTTP 400): {text}")
            raise HistorianError(f"{self.url}: write failed (HTTP {resp.status_code}): {text}")

    async def ping(self) -> bool:
        try:
            resp = await self._http().get("/ping")
        except (httpx.HTTPError, HistorianError):
            return False
        return resp.status_code == 204

    async def latest(self, site: str | None = None, unit: str | None = None) -> dict[SeriesKey, Sample]:
        conditions = []
        if site is not None:
            conditions.append(f'"site" = {quote_string(site)}')
        if unit is not None:
            conditions.append(f'"unit" = {quote_string(unit)}')
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        # last() with a second, plain field returns that row's status and its real time.
        series = await self._query(
            f'SELECT last("value"), "status" FROM "process"{where} GROUP BY "site", "unit", "tag", "source"'
        )
        out: dict[SeriesKey, Sample] = {}
        for s in series:
            tags = s.get("tags", {})
            for t, value, status in s["values"]:
                key = SeriesKey(tags.get("site", ""), tags.get("unit", ""), tags.get("tag", ""), tags.get("source", ""))
                out[key] = Sample(int(t), _number(value), int(status or 0))
        return out

    async def query_range(
        self,
        unit: str,
        tags: Sequence[str],
        start_ns: int,
        stop_ns: int,
        max_points: int = 1000,
        site: str | None = None,
    ) -> RangeResult:
        result = RangeResult()
        span = RangeWindow.of(tags, start_ns, stop_ns, max_points)
        if span is None:
            return result
        tags, start, stop, width = span.tags, span.start, span.stop, span.width

        def where(names: Sequence[str]) -> str:
            text = f'"unit" = {quote_string(unit)} AND {_any_of("tag", names)} AND time >= {start} AND time < {stop}'
            if site is not None:
                text += f' AND "site" = {quote_string(site)}'
            return text

        counts = {
            s["tags"]["tag"]: int(s["values"][0][1])
            for s in await self._query(f'SELECT count("value") FROM "process" WHERE {where(tags)} GROUP BY "tag"')
        }
        present = [t for t in tags if counts.get(t, 0) > 0]
        result.series = {t: [] for t in present}
        raw = [t for t in present if counts[t] <= max_points]
        dense = [t for t in present if counts[t] > max_points]
        if raw:
            for s in await self._query(f'SELECT "value", "status" FROM "process" WHERE {where(raw)} GROUP BY "tag"'):
                result.series[s["tags"]["tag"]].extend(
                    Sample(int(t), _number(v), int(st or 0)) for t, v, st in s["values"]
                )
        if dense:
            # Buckets aligned to start_ns (offset), so bucket k is [start + k*width, ...).
            q = (
                f'SELECT mean("value"), max("status") FROM "process" WHERE {where(dense)} '
                f'GROUP BY time({width}ns, {start % width}ns), "tag" fill(none)'
            )
            for s in await self._query(q):
                result.series[s["tags"]["tag"]].extend(
                    Sample(int(t), _number(v), int(st or 0)) for t, v, st in s["values"]
                )
        for samples in result.series.values():
            samples.sort(key=lambda sample: sample.time_ns)
        return result

    async def events(
        self,
        start_ns: int,
        stop_ns: int,
        unit: str | None = None,
        kinds: Sequence[str] | None = None,
        limit: int = 1000,
    ) -> list[Point]:
        if kinds is not None and not kinds:
            return []
        where = f"time >= {int(start_ns)} AND time < {int(stop_ns)}"
        if unit is not None:
            where += f' AND "unit" = {quote_string(unit)}'
        if kinds is not None:
            where += f" AND {_any_of('kind', kinds)}"
        # GROUP BY * splits rows by tag set, which is how tags and fields are told apart;
        # LIMIT applies per series, so the merge below still has the oldest `limit` overall.
        series = await self._query(
            f'SELECT * FROM "event" WHERE {where} GROUP BY * ORDER BY time ASC LIMIT {int(limit)}'
        )
        if not series:
            return []
        float_fields = {
            name
            for s in await self._query('SHOW FIELD KEYS FROM "event"')
            for name, kind in s["values"]
            if kind == "float"
        }
        points = []
        for s in series:
            tags = {k: v for k, v in s.get("tags", {}).items() if v != ""}
            names = s["columns"][1:]
            for row in s["values"]:
                fields: dict[str, FieldValue] = {}
                for name, value in zip(names, row[1:], strict=True):
                    if value is not None:
                        fields[name] = float(value) if name in float_fields else value
                points.append(Point("event", tags, fields, int(row[0])))
        points.sort(key=lambda p: p.time_ns)
        return points[: int(limit)]
