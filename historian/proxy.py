"""A historian that forwards every call to another one, to observe or alter a single method.

>>> import asyncio, tempfile
>>> from historian.sqlite import SqliteHistorian
>>> class Counting(HistorianProxy):
...     written = 0
...     async def write(self, points):
...         await super().write(points)
...         self.written += len(points)
>>> async def demo(path):
...     async with Counting(SqliteHistorian(path)) as h:
...         await h.write([Point("process", {"unit": "u", "tag": "t"}, {"value": 1.0}, 5)])
...         return h.written, len(await h.latest())
>>> with tempfile.TemporaryDirectory() as tmp:
...     asyncio.run(demo(f"{tmp}/h.sqlite"))
(1, 1)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from historian.base import Historian, Point, RawSeries, Sample, SeriesKey
from historian.queries import EventQuery, RangeQuery

__all__ = ["HistorianProxy"]


class HistorianProxy(Historian):
    """Forwards to ``inner`` (opening and closing it too); its ``url`` is the inner one's.

    Parameters
    ----------
    inner : Historian
        The historian that does the work.
    """

    def __init__(self, inner: Historian) -> None:
        self.inner = inner
        self.url = inner.url

    async def open(self) -> None:
        await self.inner.open()

    async def close(self) -> None:
        await self.inner.close()

    async def write(self, points: Sequence[Point]) -> None:
        await self.inner.write(points)

    async def ping(self) -> bool:
        return await self.inner.ping()

    async def latest(
        self, site: str | None = None, unit: str | None = None, source: str | None = None
    ) -> dict[SeriesKey, Sample]:
        return await self.inner.latest(site, unit, source)

    async def raw_range(
        self,
        unit: str,
        tag: str,
        start_ns: int,
        stop_ns: int,
        site: str | None = None,
        source: str | None = None,
    ) -> RawSeries:
        return await self.inner.raw_range(unit, tag, start_ns, stop_ns, site, source)

    async def raw_ranges(
        self, series: Sequence[tuple[str, str, str | None]], start_ns: int, stop_ns: int
    ) -> AsyncIterator[RawSeries]:
        async for raw in self.inner.raw_ranges(series, start_ns, stop_ns):
            yield raw

    async def _query_range(self, query: RangeQuery) -> dict[str, list[Sample]]:
        q = query
        result = await self.inner.query_range(q.unit, q.tags, q.start, q.stop, q.max_points, q.site, q.source)
        return result.series

    async def _events(self, query: EventQuery) -> list[Point]:
        q = query
        return await self.inner.events(q.start, q.stop, q.unit, q.kinds, q.limit)
