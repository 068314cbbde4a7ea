"""Historian access for Dash callbacks.

Dash callbacks run in worker threads (Flask behind a2wsgi) while the historian client
belongs to an event loop; queries are submitted to that loop and awaited with a timeout,
so a slow historian shows a message instead of hanging the page.

Two loops may be involved:

- :attr:`HistorianGateway.loop` runs the gateway's historian. In ``gmp-twin run`` it is the
  HTTP server's loop, in a thread of its own, with a historian client of its own
  (:mod:`gmp_twin.http_front`): a page's reads then never wait for the plant's loop, which
  steps the units, serves OPC UA and runs the bridges (with twelve team plants, each hop
  onto that loop waited behind their ticks; see ``python -m bench classroom``).
- :attr:`HistorianGateway.plant_loop` is the loop of the process's services (the twin's
  controls, the main historian client): coroutines that use them run there
  (:meth:`HistorianGateway.on_plant`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping, Sequence
from typing import Any, TypeVar

from historian.base import Historian, RangeResult, Sample, SeriesKey

T = TypeVar("T")


class HistorianGateway:
    """Synchronous facade over an async historian living on ``loop``.

    Parameters
    ----------
    historian : Historian
        The client the pages read (it belongs to ``loop``).
    loop : asyncio.AbstractEventLoop
        The loop that runs ``historian``.
    timeout_s : float
        How long a page waits for one query.
    plant_loop : asyncio.AbstractEventLoop, optional
        The loop of the process's services (default: ``loop``).
    sources : Mapping[tuple[str, str], str], optional
        The source of each ``(site, unit)``'s values (:func:`config_schema.tagmap.sources_by_unit`): what
        :meth:`latest` and :meth:`range` read of that unit when not told. A twin run in shadow
        beside a kit writes the kit's tags as ``sim`` too; without this a page would show
        whichever of the two came last. A unit not in it is read from every source.
    """

    def __init__(
        self,
        historian: Historian,
        loop: asyncio.AbstractEventLoop,
        timeout_s: float = 5.0,
        plant_loop: asyncio.AbstractEventLoop | None = None,
        sources: Mapping[tuple[str, str], str] | None = None,
    ) -> None:
        self.historian = historian
        self.loop = loop
        self.timeout_s = timeout_s
        self.plant_loop = plant_loop if plant_loop is not None else loop
        self.sources = dict(sources or {})

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=self.timeout_s)

    def on_plant(self, coro: Coroutine[Any, Any, T], timeout_s: float = 30.0) -> T:
        """Run ``coro`` (which uses the process's services) on their loop and wait for it."""
        return asyncio.run_coroutine_threadsafe(coro, self.plant_loop).result(timeout=timeout_s)

    def latest(self, site: str | None, unit: str | None, source: str | None = None) -> dict[str, Sample]:
        """Latest sample per tag name of one unit (of ``source``, else of the unit's :attr:`sources`)."""
        source = source if source is not None else self.sources.get((site or "", unit or ""))
        result: dict[SeriesKey, Sample] = self._call(self.historian.latest(site=site, unit=unit, source=source))
        return {key.tag: sample for key, sample in result.items()}

    def latest_all(self) -> dict[SeriesKey, Sample]:
        """Latest sample of every series (every team of a classroom in one query)."""
        return self._call(self.historian.latest())

    def range(
        self,
        site: str,
        unit: str,
        tags: Sequence[str],
        start_ns: int,
        stop_ns: int,
        max_points: int,
        source: str | None = None,
    ) -> RangeResult:
        """Values of ``tags`` of one unit (of ``source``, else of the unit's :attr:`sources`)."""
        source = source if source is not None else self.sources.get((site, unit))
        return self._call(
            self.historian.query_range(
                unit, list(tags), start_ns, stop_ns, max_points=max_points, site=site, source=source
            )
        )
