"""What the InfluxDB 1.x and 2.x backends share: the client slot and the batched write path.

Both write line protocol (:mod:`historian.line_protocol`) in bodies of at most
``batch_lines`` lines (5,000, InfluxData's recommended batch size), with nanosecond
precision, in order, and stop at the first body that fails, so the outbox retries the whole
batch (a point's identity makes the repeat harmless). A point that cannot be encoded
raises :class:`~historian.base.HistorianRejectedError` so the outbox isolates and drops it.
"""

from __future__ import annotations

import abc
import asyncio
import math
from collections.abc import Sequence
from typing import Any, Generic, TypedDict, TypeVar
from urllib.parse import SplitResult

from historian.base import Historian, HistorianError, HistorianRejectedError, Point
from historian.line_protocol import encode_batches
from historian.urls import host_port

__all__ = ["BATCH_LINES", "Body", "InfluxHistorian", "InfluxOptions", "number", "server_address"]

#: Lines per write request (InfluxData's recommended batch size).
BATCH_LINES = 5000

# Small writes are encoded on the event loop; bigger ones in a thread (gzip + encoding of
# 5,000 lines takes ~15 ms, too long to block the loop).
_INLINE_POINTS = 500

#: A request body: line protocol, or line protocol already compressed.
Body = str | bytes

ClientT = TypeVar("ClientT")


class InfluxOptions(TypedDict, total=False):
    """Keyword options of every InfluxDB backend (see :class:`InfluxHistorian`)."""

    timeout: float
    batch_lines: int


def number(value: Any) -> float:
    """A float from a query answer, NaN for a missing value."""
    return math.nan if value is None else float(value)


def server_address(url: str, parts: SplitResult) -> tuple[str, str, int]:
    """``(base_url, host, port)`` of an ``influxdbN://`` (http) or ``influxdbNs://`` (https) URL."""
    host, port = host_port(url, parts)
    return f"{'https' if parts.scheme.endswith('s') else 'http'}://{host}:{port}", host, port


class InfluxHistorian(Historian, Generic[ClientT]):
    """Base of the InfluxDB backends.

    Parameters
    ----------
    base_url : str
        ``http://host:8086`` or ``https://...``.
    url : str
        The historian URL, for logs (no password).
    timeout : float
        Seconds per HTTP request.
    batch_lines : int
        Lines per write request (5,000 by default).

    Subclasses make their client in :meth:`open` (into ``_client``) and send the bodies in
    :meth:`_send`; they may compress them in :meth:`_pack` (run off the event loop for big
    writes).
    """

    def __init__(self, base_url: str, url: str, timeout: float = 10.0, batch_lines: int = BATCH_LINES) -> None:
        self.base_url = base_url.rstrip("/")
        self.url = url
        self.timeout = timeout
        self.batch_lines = batch_lines
        self._client: ClientT | None = None

    def _connected(self) -> ClientT:
        if self._client is None:
            raise HistorianError(f"{self.url}: historian is not open (use `async with`)")
        return self._client

    async def write(self, points: Sequence[Point]) -> None:
        if not points:
            return
        client = self._connected()
        try:
            if len(points) <= _INLINE_POINTS:
                bodies = self._bodies(points)
            else:
                bodies = await asyncio.to_thread(self._bodies, points)
        except (TypeError, ValueError, OverflowError) as exc:
            raise HistorianRejectedError(f"{self.url}: cannot encode points: {exc!r}") from exc
        await self._send(client, bodies)

    def _bodies(self, points: Sequence[Point]) -> list[Body]:
        return [self._pack(text) for text in encode_batches(points, self.batch_lines)]

    def _pack(self, text: str) -> Body:
        """The request body for one batch of lines (as it is, unless overridden)."""
        return text

    @abc.abstractmethod
    async def _send(self, client: ClientT, bodies: list[Body]) -> None:
        """Send the bodies in order; raise :class:`HistorianError` at the first failure."""
