"""The outbox's newest rows kept in memory, so the writer need not read back what was just put.

The outbox stores every point on disk first (that is what makes it durable), then the writer
sends the oldest rows to the historian. In steady state those rows were put a fraction of a
second earlier by this very process: decoding them back from SQLite cost about a fifth of the
bridge's CPU at 20,000 values/s (py-spy). :class:`RecentRows` keeps the points of the newest
row ids, a contiguous suffix of the outbox, so the writer takes them from memory; rows from an
earlier process, or pushed out of memory by ``max_points``, are still read from disk.

A point is kept only when its decoded copy would be equal to it (plain ``dict`` tags and fields
of ``float``/``int``/``bool``/``str``); any other point is kept as its decoded copy, so the
historian sees the same values either way.

Examples
--------
>>> from historian.base import Point
>>> p = [Point("process", {"tag": str(i)}, {"value": float(i)}, i) for i in range(5)]
>>> mem = RecentRows(max_points=100)
>>> mem.add(11, p[:3])  # rows 11, 12, 13
>>> mem.add(14, p[3:])  # rows 14, 15
>>> mem.take(11, limit=4)[:2]  # whole puts, cut to the limit
(11, 14)
>>> mem.take(10, limit=4) is None  # row 10 is only on disk: read it from there first
True
>>> mem.forget_through(12)
>>> first, last, points = mem.take(13, limit=10)
>>> (first, last, [q.time_ns for q in points])
(13, 15, [2, 3, 4])
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence

from historian.base import Point

__all__ = ["RecentRows"]

_PLAIN = frozenset({float, int, bool, str})


def _plain(point: Point) -> bool:
    """Whether the point survives the JSON row unchanged (no numpy scalar, no other mapping)."""
    fields = point.fields
    return type(fields) is dict and type(point.tags) is dict and all(type(v) in _PLAIN for v in fields.values())


class RecentRows:
    """Points of the newest outbox rows, by row id (a contiguous suffix of the table).

    Parameters
    ----------
    max_points : int
        Memory bound; the oldest puts are forgotten beyond it (they stay on disk).

    Notes
    -----
    Not locked by itself: the outbox calls it under the lock that guards its SQLite
    connection, so ids in memory and on disk change together.
    """

    def __init__(self, max_points: int = 200_000) -> None:
        self.max_points = max_points
        self._runs: deque[tuple[int, list[Point]]] = deque()  # (first id, points), ids ascending
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def add(self, first_id: int, points: Sequence[Point], decoded: Callable[[int], Point] | None = None) -> None:
        """Rows ``first_id ..`` were just inserted, in this order.

        ``decoded(i)`` gives the stored copy of ``points[i]``, used for a point that is not plain.
        """
        if self._runs:
            run_first, run = self._runs[-1]
            if run_first + len(run) != first_id:  # not contiguous (cannot happen with one writer)
                self.clear()
        kept = [p if _plain(p) or decoded is None else decoded(i) for i, p in enumerate(points)]
        self._runs.append((first_id, kept))
        self._size += len(kept)
        while self._size > self.max_points and len(self._runs) > 1:
            self._size -= len(self._runs.popleft()[1])

    def first_id(self) -> int | None:
        """The oldest row id held in memory."""
        return self._runs[0][0] if self._runs else None

    def take(self, first_id: int, limit: int) -> tuple[int, int, list[Point]] | None:
        """The oldest rows, if memory holds the table's oldest row ``first_id``; at most ``limit``.

        Nothing is removed: :meth:`forget_through` does that once the historian acknowledged.
        """
        if not self._runs or self._runs[0][0] != first_id:
            return None
        points: list[Point] = []
        for _, run in self._runs:
            room = limit - len(points)
            if room <= 0:
                break
            points.extend(run[:room])
        return first_id, first_id + len(points) - 1, points

    def forget_through(self, last_id: int) -> None:
        """Rows up to ``last_id`` left the table (written, or dropped by the cap)."""
        while self._runs:
            first, run = self._runs[0]
            if first + len(run) - 1 <= last_id:
                self._runs.popleft()
                self._size -= len(run)
            else:
                if first <= last_id:
                    cut = last_id - first + 1
                    self._runs[0] = (last_id + 1, run[cut:])
                    self._size -= cut
                return

    def clear(self) -> None:
        self._runs.clear()
        self._size = 0
