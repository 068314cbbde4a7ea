"""The historian contract shared by the SQLite, InfluxDB 1.x and InfluxDB 2.x backends.

Schema (documented in the README):

- ``process`` measurement: tags ``site``, ``unit``, ``tag``, ``source`` (``sim`` | ``plc``);
  fields ``value`` (float) and ``status`` (OPC UA status code as integer); the timestamp is
  the OPC UA SourceTimestamp, so a retried write of the same point is idempotent.
- ``event`` measurement: tags ``site``, ``unit``, ``kind``; fields as needed (``message``
  string, ``severity`` int, ...).
- KPI measurements (``oee``, ``drift``) written by analytics.

A point's identity is measurement + tag set + timestamp (as in InfluxDB): writing it
twice replaces it, it never duplicates.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Self

import numpy as np

from historian.queries import EventQuery, RangeQuery

FieldValue = float | int | bool | str
#: More points than any range holds: ``max_points`` of a query that must not be downsampled.
_RAW = 2**62


class HistorianError(RuntimeError):
    """The historian refused or could not take a write or a query (retry later)."""


class HistorianRejectedError(HistorianError):
    """The historian rejected the data itself (malformed, type conflict, out of retention).

    Retrying the same points cannot succeed, so a writer should isolate and drop (and
    count) the offending points instead of retrying forever and blocking everything behind
    them. Connection problems, timeouts, authentication and server errors are plain
    :class:`HistorianError` and are worth retrying.
    """


@dataclass(frozen=True, slots=True)
class Point:
    """One row of the historian.

    Parameters
    ----------
    measurement : str
        ``"process"``, ``"event"``, ``"oee"``, ``"drift"``...
    tags : Mapping[str, str]
        Indexed string tags (``site``, ``unit``, ``tag``, ``source`` for ``process``).
    fields : Mapping[str, FieldValue]
        Values; ``process`` has ``value`` (float) and ``status`` (int).
    time_ns : int
        Timestamp, nanoseconds since the Unix epoch, UTC.
    """

    measurement: str
    tags: Mapping[str, str]
    fields: Mapping[str, FieldValue]
    time_ns: int


@dataclass(frozen=True, slots=True)
class Sample:
    """One value of one series as returned by queries (time in ns, UTC)."""

    time_ns: int
    value: float
    status: int = 0


@dataclass(frozen=True, slots=True)
class SeriesKey:
    """Identifies one ``process`` series."""

    site: str
    unit: str
    tag: str
    source: str = "sim"


@dataclass(frozen=True, slots=True)
class RawSeries:
    """Every stored sample of one series in a range, as columns (oldest first).

    ``value`` is NaN where the point had no value (bad quality); ``status`` is the OPC UA code.
    """

    time_ns: np.ndarray
    value: np.ndarray
    status: np.ndarray

    def __len__(self) -> int:
        return len(self.time_ns)

    @classmethod
    def of(cls, samples: Sequence[Sample]) -> RawSeries:
        """Columns of a list of samples."""
        return cls(
            np.fromiter((s.time_ns for s in samples), np.int64, len(samples)),
            np.fromiter((s.value for s in samples), np.float64, len(samples)),
            np.fromiter((s.status for s in samples), np.int64, len(samples)),
        )


@dataclass(slots=True)
class RangeResult:
    """Downsampled range query result: one list of samples per tag name."""

    series: dict[str, list[Sample]] = field(default_factory=dict)


class Historian(abc.ABC):
    """Async interface of a historian backend.

    Backends are opened with ``async with`` (or :meth:`open` / :meth:`close`). They
    implement :meth:`write`, :meth:`ping`, :meth:`latest` and the two query hooks
    :meth:`_query_range` and :meth:`_events`, which get the arguments already checked and
    normalised (:class:`RangeQuery`, :class:`EventQuery`).
    """

    url: str

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def open(self) -> None:  # noqa: B027 - optional hook
        """Connect / create schema. Must not raise when the server is down (writes will)."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    @abc.abstractmethod
    async def write(self, points: Sequence[Point]) -> None:
        """Write points atomically enough that a retry is safe; raise :class:`HistorianError`."""

    @abc.abstractmethod
    async def ping(self) -> bool:
        """True when the backend answers."""

    @abc.abstractmethod
    async def latest(
        self, site: str | None = None, unit: str | None = None, source: str | None = None
    ) -> dict[SeriesKey, Sample]:
        """Latest ``process`` sample of every series (optionally filtered by site, unit, source)."""

    async def query_range(
        self,
        unit: str,
        tags: Sequence[str],
        start_ns: int,
        stop_ns: int,
        max_points: int = 1000,
        site: str | None = None,
        source: str | None = None,
    ) -> RangeResult:
        """``process`` values of ``tags`` in ``[start_ns, stop_ns)``.

        When a series has more than ``max_points`` raw samples in the range, it is
        downsampled server-side into ``max_points`` equal time buckets (mean value,
        max status, bucket start time), so the dashboard never receives more.

        ``source`` (``"sim"``, ``"plc"``...) reads that source's series only. Without it,
        the series of every source of a tag are read as one: where a twin runs in shadow
        beside a real kit (both sources in one unit), give it, or their samples merge.
        """
        query = RangeQuery.of(unit, tags, start_ns, stop_ns, max_points, site, source)
        if query is None:
            return RangeResult()
        return RangeResult(await self._query_range(query))

    async def raw_range(
        self,
        unit: str,
        tag: str,
        start_ns: int,
        stop_ns: int,
        site: str | None = None,
        source: str | None = None,
    ) -> RawSeries:
        """Every ``process`` sample of one tag in ``[start_ns, stop_ns)``, not downsampled (exports).

        ``site`` and ``source`` filter as in :meth:`query_range`. Backends may answer faster
        than this default (one full-resolution range query).
        """
        query = RangeQuery.of(unit, [tag], start_ns, stop_ns, _RAW, site, source)
        samples = [] if query is None else (await self._query_range(query)).get(tag, [])
        return RawSeries.of(samples)

    async def raw_ranges(
        self, series: Sequence[tuple[str, str, str | None]], start_ns: int, stop_ns: int
    ) -> AsyncIterator[RawSeries]:
        """:meth:`raw_range` of each ``(unit, tag, site)`` in turn, in order (exports of many tags).

        Backends may read them faster together (SQLite: in bulk, in a child process).
        """
        for unit, tag, site in series:
            yield await self.raw_range(unit, tag, start_ns, stop_ns, site)

    async def events(
        self,
        start_ns: int,
        stop_ns: int,
        unit: str | None = None,
        kinds: Sequence[str] | None = None,
        limit: int = 1000,
    ) -> list[Point]:
        """``event`` points in the range, oldest first, at most ``limit`` of them."""
        query = EventQuery.of(start_ns, stop_ns, unit, kinds, limit)
        if query is None:
            return []
        points = await self._events(query)
        points.sort(key=lambda p: p.time_ns)
        return points[: query.limit]

    @abc.abstractmethod
    async def _query_range(self, query: RangeQuery) -> dict[str, list[Sample]]:
        """Samples per tag (only tags that have some), each list oldest first."""

    @abc.abstractmethod
    async def _events(self, query: EventQuery) -> list[Point]:
        """At least the oldest ``query.limit`` matching events, in any order."""
