"""Historian access for Dash callbacks.

Dash callbacks run in worker threads (Flask behind a2wsgi) while the historian client
belongs to the server's event loop; queries are submitted to that loop and awaited with
a timeout, so a slow historian shows a message instead of hanging the page.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

from historian.base import Historian, RangeResult, Sample, SeriesKey

T = TypeVar("T")


class HistorianGateway:
    """Synchronous facade over an async historian living on ``loop``."""

    def __init__(self, historian: Historian, loop: asyncio.AbstractEventLoop, timeout_s: float = 5.0) -> None:
        self.historian = historian
        self.loop = loop
        self.timeout_s = timeout_s

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=self.timeout_s)

    def latest(self, site: str, unit: str) -> dict[str, Sample]:
        """Latest sample per tag name of one unit."""
        result: dict[SeriesKey, Sample] = self._call(self.historian.latest(site=site, unit=unit))
        return {key.tag: sample for key, sample in result.items()}

    def range(
        self, site: str, unit: str, tags: Sequence[str], start_ns: int, stop_ns: int, max_points: int
    ) -> RangeResult:
        return self._call(
            self.historian.query_range(unit, list(tags), start_ns, stop_ns, max_points=max_points, site=site)
        )
