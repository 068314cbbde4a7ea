"""InfluxDB 1.x backend over the HTTP API (``/write`` line protocol, ``/query`` InfluxQL).

Writes are gzip'ed line protocol in bodies of at most 5,000 lines with nanosecond precision
(``/write?db=...&precision=ns``). The database is created on :meth:`open` when the server
answers, otherwise on the first write. Reads use InfluxQL: ``GROUP BY time(...)`` with
``mean()`` / ``max()`` for downsampling, ``last()`` for the latest sample of each series.

Type note: the JSON answer of ``/query`` writes a float ``3.0`` as ``3``; :meth:`events`
asks ``SHOW FIELD KEYS`` for the field types so float fields come back as ``float``.
"""

from __future__ import annotations

import gzip
import logging
import os
from collections.abc import Sequence
from typing import Any, Self, Unpack
from urllib.parse import SplitResult, unquote

import httpx

from historian.base import FieldValue, HistorianError, HistorianRejectedError, Point, Sample, SeriesKey
from historian.influx_common import Body, InfluxHistorian, InfluxOptions, number, server_address
from historian.queries import EventQuery, RangeQuery
from historian.urls import bad_url, query_params

log = logging.getLogger(__name__)


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


class InfluxDB1Historian(InfluxHistorian[httpx.AsyncClient]):
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
    **options
        ``timeout`` (seconds per HTTP request) and ``batch_lines`` (lines per ``/write``
        request), see :class:`~historian.influx_common.InfluxHistorian`.
    """

    def __init__(
        self,
        base_url: str,
        database: str,
        username: str | None = None,
        password: str | None = None,
        url: str | None = None,
        **options: Unpack[InfluxOptions],
    ) -> None:
        host = base_url.rstrip("/").split("://", 1)[1]
        super().__init__(base_url, url or f"influxdb1://{host}/{database}", **options)
        self.database = database
        self._auth = (username, password or "") if username else None
        self._db_ready = False

    @classmethod
    def from_url(cls, url: str, parts: SplitResult) -> Self:
        """``influxdb1[s]://[user[:password]@]host[:port]/database``; no query parameters.

        User and password not in the URL come from ``GMP_TWIN_INFLUXDB1_USER`` and
        ``GMP_TWIN_INFLUXDB1_PASSWORD``.
        """
        base_url, host, port = server_address(url, parts)
        query_params(url, parts, set())
        database = unquote(parts.path).strip("/")
        if not database or "/" in database:
            raise bad_url(url, "missing or invalid database name (the URL path, e.g. /gmp)")
        username = unquote(parts.username) if parts.username else os.environ.get("GMP_TWIN_INFLUXDB1_USER")
        password = unquote(parts.password) if parts.password else os.environ.get("GMP_TWIN_INFLUXDB1_PASSWORD")
        user = f"{parts.username}@" if parts.username else ""
        return cls(
            base_url,
            database,
            username=username,
            password=password,
            url=f"{parts.scheme}://{user}{host}:{port}/{database}",
        )

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
            resp = await self._connected().post("/query", params=params, data=data)
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

    def _pack(self, text: str) -> Body:
        # Level 1: most of the size reduction of level 6 at a third of the CPU time.
        return gzip.compress(text.encode(), compresslevel=1)

    async def _send(self, client: httpx.AsyncClient, bodies: list[Body]) -> None:
        if not self._db_ready:
            try:
                await self._create_database()
            except HistorianError as exc:
                # Down, or a non-admin user that may not CREATE: let the write itself tell
                # (connection error, or 404 when the database really is missing).
                log.debug("%s: CREATE DATABASE failed (%s); writing anyway", self.url, exc)
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
            resp = await self._connected().get("/ping")
        except (httpx.HTTPError, HistorianError):
            return False
        return resp.status_code == 204

    async def latest(
        self, site: str | None = None, unit: str | None = None, source: str | None = None
    ) -> dict[SeriesKey, Sample]:
        conditions = [
            f"{quote_ident(column)} = {quote_string(wanted)}"
            for column, wanted in (("site", site), ("unit", unit), ("source", source))
            if wanted is not None
        ]
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
                out[key] = Sample(int(t), number(value), int(status or 0))
        return out

    async def _query_range(self, query: RangeQuery) -> dict[str, list[Sample]]:
        tags, start, width, max_points = query.tags, query.start, query.width, query.max_points

        def where(names: Sequence[str]) -> str:
            text = (
                f'"unit" = {quote_string(query.unit)} AND {_any_of("tag", names)} '
                f"AND time >= {start} AND time < {query.stop}"
            )
            if query.site is not None:
                text += f' AND "site" = {quote_string(query.site)}'
            if query.source is not None:
                text += f' AND "source" = {quote_string(query.source)}'
            return text

        counts = {
            s["tags"]["tag"]: int(s["values"][0][1])
            for s in await self._query(f'SELECT count("value") FROM "process" WHERE {where(tags)} GROUP BY "tag"')
        }
        present = [t for t in tags if counts.get(t, 0) > 0]
        series: dict[str, list[Sample]] = {t: [] for t in present}
        raw = [t for t in present if counts[t] <= max_points]
        dense = [t for t in present if counts[t] > max_points]
        if raw:
            for s in await self._query(f'SELECT "value", "status" FROM "process" WHERE {where(raw)} GROUP BY "tag"'):
                series[s["tags"]["tag"]].extend(Sample(int(t), number(v), int(st or 0)) for t, v, st in s["values"])
        if dense:
            # Buckets aligned to start_ns (offset), so bucket k is [start + k*width, ...).
            q = (
                f'SELECT mean("value"), max("status") FROM "process" WHERE {where(dense)} '
                f'GROUP BY time({width}ns, {start % width}ns), "tag" fill(none)'
            )
            for s in await self._query(q):
                series[s["tags"]["tag"]].extend(Sample(int(t), number(v), int(st or 0)) for t, v, st in s["values"])
        for samples in series.values():
            samples.sort(key=lambda sample: sample.time_ns)
        return series

    async def _events(self, query: EventQuery) -> list[Point]:
        where = f"time >= {query.start} AND time < {query.stop}"
        if query.unit is not None:
            where += f' AND "unit" = {quote_string(query.unit)}'
        if query.kinds is not None:
            where += f" AND {_any_of('kind', query.kinds)}"
        # GROUP BY * splits rows by tag set, which is how tags and fields are told apart;
        # LIMIT applies per series, so the caller's merge still has the oldest `limit` overall.
        series = await self._query(
            f'SELECT * FROM "event" WHERE {where} GROUP BY * ORDER BY time ASC LIMIT {query.limit}'
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
        return points
