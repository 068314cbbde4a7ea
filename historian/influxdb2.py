"""InfluxDB 2.x backend (also InfluxDB Cloud) with influxdb-client's async client.

Writes are line protocol strings in bodies of at most 5,000 lines, nanosecond precision,
gzip'ed by the client. The async client does not batch or retry (DESIGN.md): that is the
outbox's job, so every error surfaces as :class:`HistorianError` (worth retrying) or
:class:`HistorianRejectedError` (the data itself was refused).

Reads are Flux: ``aggregateWindow`` (mean of ``value``, max of ``status``) for downsampling,
``last()`` for the latest sample of each series. Strings are put into Flux as escaped
literals rather than bind parameters so InfluxDB can push the filters down to storage.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Sequence
from typing import Any, Self, Unpack
from urllib.parse import SplitResult

from historian.base import FieldValue, HistorianError, HistorianRejectedError, Point, Sample, SeriesKey
from historian.influx_common import Body, InfluxHistorian, InfluxOptions, number, server_address
from historian.queries import EventQuery, RangeQuery
from historian.urls import bad_url, query_params, redact

log = logging.getLogger(__name__)

# HTTP statuses that mean "this data will never be accepted": bad line protocol, type
# conflict, payload too large (the outbox splits the batch), outside the retention period.
_REJECTED = {400, 413, 422}

# The client parses _time into a datetime (microseconds), so queries add the exact time as
# an integer column _ns.
_NS = "  |> map(fn: (r) => ({r with _ns: int(v: r._time)}))\n"

# Flux columns that are neither tags nor fields.
_META_COLUMNS = {"result", "table", "_start", "_stop", "_time", "_ns", "_measurement", "_field", "_value"}


def flux_string(text: str) -> str:
    r"""Flux string literal.

    >>> print(flux_string('a "b" \\ ${c}'))
    "a \"b\" \\ \${c}"
    """
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("${", "\\${") + '"'


def flux_time(time_ns: int) -> str:
    """RFC 3339 time literal with nanoseconds.

    >>> flux_time(1_700_000_000_000_000_001)
    '2023-11-14T22:13:20.000000001Z'
    """
    seconds, nanos = divmod(int(time_ns), 1_000_000_000)
    base = dt.datetime.fromtimestamp(seconds, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{nanos:09d}Z"


def _equals_any(column: str, values: Sequence[str]) -> str:
    return "(" + " or ".join(f"r[{flux_string(column)}] == {flux_string(v)}" for v in values) + ")"


class InfluxDB2Historian(InfluxHistorian[Any]):
    """InfluxDB 2.x historian.

    Parameters
    ----------
    base_url : str
        ``http://host:8086`` or ``https://...``.
    org, bucket : str
        Organisation (name or id) and bucket; the bucket must exist.
    token : str
        API token with read and write access to the bucket.
    url : str, optional
        The ``influxdb2://`` URL it was opened from, for logs.
    **options
        ``timeout`` (seconds per HTTP request) and ``batch_lines`` (lines per write
        request), see :class:`~historian.influx_common.InfluxHistorian`.
    """

    def __init__(
        self,
        base_url: str,
        org: str,
        bucket: str,
        token: str,
        url: str | None = None,
        **options: Unpack[InfluxOptions],
    ) -> None:
        host = base_url.rstrip("/").split("://", 1)[1]
        super().__init__(base_url, url or f"influxdb2://{host}?org={org}&bucket={bucket}", **options)
        self.org = org
        self.bucket = bucket
        self._token = token

    @classmethod
    def from_url(cls, url: str, parts: SplitResult) -> Self:
        """``influxdb2[s]://host[:port]?org=...&bucket=...``; the token from ``GMP_TWIN_INFLUXDB_TOKEN``."""
        base_url, _, _ = server_address(url, parts)
        params = query_params(url, parts, {"org", "bucket"})
        if parts.path.strip("/"):
            raise bad_url(url, "InfluxDB 2.x URLs have no path; give ?org=...&bucket=...")
        for name in ("org", "bucket"):
            if not params.get(name):
                raise bad_url(url, f"missing query parameter {name}= (InfluxDB 2.x needs org and bucket)")
        token = os.environ.get("GMP_TWIN_INFLUXDB_TOKEN")
        if not token:
            raise ValueError(
                f"historian URL {redact(url)!r} needs an InfluxDB 2.x API token: "
                "set the environment variable GMP_TWIN_INFLUXDB_TOKEN"
            )
        return cls(base_url, org=params["org"], bucket=params["bucket"], token=token, url=redact(url))

    async def open(self) -> None:
        """Create the client (inside the running loop, as aiohttp requires); no I/O yet."""
        if self._client is None:
            from influxdb_client.client.influxdb_client_async import InfluxDBClientAsync

            self._client = InfluxDBClientAsync(
                url=self.base_url,
                token=self._token,
                org=self.org,
                timeout=int(self.timeout * 1000),
                enable_gzip=True,
            )

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    def _error(self, what: str, exc: BaseException) -> HistorianError:
        status = getattr(exc, "status", None)
        message = getattr(exc, "message", None) or str(exc) or repr(exc)
        if status in _REJECTED and what == "write":
            return HistorianRejectedError(f"{self.url}: points rejected (HTTP {status}): {message}")
        if status == 401:
            message += " (check GMP_TWIN_INFLUXDB_TOKEN)"
        elif status == 404:
            message += f" (does org {self.org!r} / bucket {self.bucket!r} exist?)"
        code = f"HTTP {status}" if status else type(exc).__name__
        return HistorianError(f"{self.url}: {what} failed ({code}): {message}")

    async def _send(self, client: Any, bodies: list[Body]) -> None:
        from influxdb_client.domain.write_precision import WritePrecision

        write_api = client.write_api()
        for body in bodies:
            try:
                await write_api.write(bucket=self.bucket, org=self.org, record=body, write_precision=WritePrecision.NS)
            except Exception as exc:  # ApiException, aiohttp.ClientError, TimeoutError, OSError
                raise self._error("write", exc) from exc

    async def _query(self, flux: str) -> Any:
        try:
            return await self._connected().query_api().query(flux, org=self.org)
        except HistorianError:
            raise
        except Exception as exc:
            raise self._error("query", exc) from exc

    async def ping(self) -> bool:
        if self._client is None:
            return False
        try:
            return bool(await self._client.ping())
        except Exception:
            return False

    def _from(self, start: str, stop: str | None = None) -> str:
        stop_arg = f", stop: {stop}" if stop is not None else ""
        return f"from(bucket: {flux_string(self.bucket)})\n  |> range(start: {start}{stop_arg})\n"

    async def latest(
        self, site: str | None = None, unit: str | None = None, source: str | None = None
    ) -> dict[SeriesKey, Sample]:
        cond = 'r._measurement == "process" and (r._field == "value" or r._field == "status")'
        for column, wanted in (("site", site), ("unit", unit), ("source", source)):
            if wanted is not None:
                cond += f" and r[{flux_string(column)}] == {flux_string(wanted)}"
        # range(start: 0): the latest sample of every series, however old; last() is pushed
        # down to storage so this does not read the history.
        flux = self._from("0") + f"  |> filter(fn: (r) => {cond})\n  |> last()\n" + _NS
        values: dict[SeriesKey, tuple[int, float]] = {}
        statuses: dict[SeriesKey, int] = {}
        for table in await self._query(flux):
            for rec in table.records:
                v = rec.values
                key = SeriesKey(v.get("site") or "", v.get("unit") or "", v.get("tag") or "", v.get("source") or "")
                if v["_field"] == "value":
                    values[key] = (int(v["_ns"]), number(v["_value"]))
                else:
                    statuses[key] = int(v["_value"] or 0)
        return {key: Sample(t, value, statuses.get(key, 0)) for key, (t, value) in values.items()}

    async def _query_range(self, query: RangeQuery) -> dict[str, list[Sample]]:
        tags, start, width, max_points = query.tags, query.start, query.width, query.max_points

        def data(names: Sequence[str], fields: str) -> str:
            cond = (
                f'r._measurement == "process" and r.unit == {flux_string(query.unit)} and {_equals_any("tag", names)}'
            )
            if query.site is not None:
                cond += f" and r.site == {flux_string(query.site)}"
            if query.source is not None:
                cond += f" and r.source == {flux_string(query.source)}"
            return (
                self._from(flux_time(start), flux_time(query.stop)) + f"  |> filter(fn: (r) => {cond} and ({fields}))\n"
            )

        counts: dict[str, int] = {}
        count_flux = data(tags, 'r._field == "value"') + '  |> group(columns: ["tag"])\n  |> count()\n'
        for table in await self._query(count_flux):
            for rec in table.records:
                counts[rec.values["tag"]] = int(rec.values["_value"])
        present = [t for t in tags if counts.get(t, 0) > 0]
        series: dict[str, list[Sample]] = {t: [] for t in present}
        raw = [t for t in present if counts[t] <= max_points]
        dense = [t for t in present if counts[t] > max_points]
        both = 'r._field == "value" or r._field == "status"'
        if raw:
            flux = data(raw, both) + (
                '  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")\n'
                '  |> group(columns: ["tag"])\n'
                '  |> sort(columns: ["_time"])\n' + _NS
            )
            for table in await self._query(flux):
                for rec in table.records:
                    v = rec.values
                    series[v["tag"]].append(Sample(int(v["_ns"]), number(v.get("value")), int(v.get("status") or 0)))
        if dense:
            # Windows aligned to start_ns via offset, stamped with their start time.
            window = f'every: {width}ns, offset: {start % width}ns, createEmpty: false, timeSrc: "_start"'
            flux = (
                f"data = {data(dense, both)}"
                f'data |> filter(fn: (r) => r._field == "value") |> group(columns: ["tag"])\n'
                f'  |> aggregateWindow({window}, fn: mean)\n{_NS}  |> yield(name: "mean")\n'
                f'data |> filter(fn: (r) => r._field == "status") |> group(columns: ["tag"])\n'
                f'  |> aggregateWindow({window}, fn: max)\n{_NS}  |> yield(name: "max")\n'
            )
            means: dict[tuple[str, int], float] = {}
            maxima: dict[tuple[str, int], int] = {}
            for table in await self._query(flux):
                for rec in table.records:
                    v = rec.values
                    key = (v["tag"], int(v["_ns"]))
                    if v.get("result") == "max":
                        maxima[key] = int(v["_value"] or 0)
                    else:
                        means[key] = number(v["_value"])
            for (tag, t), mean in sorted(means.items()):
                series[tag].append(Sample(t, mean, maxima.get((tag, t), 0)))
        return series

    async def _events(self, query: EventQuery) -> list[Point]:
        cond = 'r._measurement == "event"'
        if query.unit is not None:
            cond += f" and r.unit == {flux_string(query.unit)}"
        if query.kinds is not None:
            cond += f" and {_equals_any('kind', query.kinds)}"
        # Tables stay grouped by tag set (the group key tells tags from fields); each is
        # cut to `limit`, which still leaves the oldest `limit` overall for the caller's merge.
        flux = self._from(flux_time(query.start), flux_time(query.stop)) + (
            f"  |> filter(fn: (r) => {cond})\n"
            '  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")\n'
            f'  |> sort(columns: ["_time"])\n  |> limit(n: {query.limit})\n' + _NS
        )
        points: list[Point] = []
        for table in await self._query(flux):
            tag_names = [c.label for c in table.get_group_key() if c.label not in _META_COLUMNS]
            field_names = [c.label for c in table.columns if c.label not in _META_COLUMNS and c.label not in tag_names]
            for rec in table.records:
                v = rec.values
                tags = {name: v[name] for name in tag_names if v.get(name) not in (None, "")}
                fields: dict[str, FieldValue] = {name: v[name] for name in field_names if v.get(name) is not None}
                points.append(Point("event", tags, fields, int(v["_ns"])))
        return points
