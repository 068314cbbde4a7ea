"""The normalised arguments of the two historian queries, as every backend receives them.

:meth:`historian.base.Historian.query_range` and :meth:`~historian.base.Historian.events`
check and normalise their arguments once, into these, and hand them to the backend's
``_query_range`` / ``_events``; a query that cannot match anything never reaches it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["EventQuery", "RangeQuery"]


@dataclass(frozen=True, slots=True)
class RangeQuery:
    """The normalised arguments of :meth:`Historian.query_range`, handed to every backend.

    ``tags`` are unique, in the order asked; ``width`` is the bucket size in ns: equal
    buckets from ``start``, rounded up so that there are at most ``max_points`` of them.
    ``site`` and ``source`` (``sim``, ``plc``...) filter on those tags when given; without
    ``source``, the series of every source of a tag are read as one (their samples merge).

    >>> RangeQuery.of("TK1", ["a", "b", "a"], 0, 1000, 3)
    RangeQuery(unit='TK1', tags=['a', 'b'], start=0, stop=1000, max_points=3, width=334, site=None, source=None)
    >>> RangeQuery.of("TK1", ["a"], 0, 10, 5, source="plc").source
    'plc'
    >>> RangeQuery.of("TK1", [], 0, 1000, 3) is None, RangeQuery.of("TK1", ["a"], 5, 5, 3) is None
    (True, True)
    """

    unit: str
    tags: list[str]
    start: int
    stop: int
    max_points: int
    width: int
    site: str | None = None
    source: str | None = None

    @classmethod
    def of(
        cls,
        unit: str,
        tags: Sequence[str],
        start_ns: int,
        stop_ns: int,
        max_points: int,
        site: str | None = None,
        source: str | None = None,
    ) -> RangeQuery | None:
        """None when the query cannot return anything (no tags, empty range, no points)."""
        unique = list(dict.fromkeys(tags))
        if not unique or stop_ns <= start_ns or max_points < 1:
            return None
        start, stop = int(start_ns), int(stop_ns)
        return cls(unit, unique, start, stop, max_points, max(1, -(-(stop - start) // max_points)), site, source)


@dataclass(frozen=True, slots=True)
class EventQuery:
    """The normalised arguments of :meth:`Historian.events`, handed to every backend.

    >>> EventQuery.of(0, 10, None, ("alarm",), 100)
    EventQuery(start=0, stop=10, unit=None, kinds=['alarm'], limit=100)
    >>> EventQuery.of(0, 10, None, [], 100) is None  # no kind can match
    True
    """

    start: int
    stop: int
    unit: str | None
    kinds: list[str] | None
    limit: int

    @classmethod
    def of(
        cls, start_ns: int, stop_ns: int, unit: str | None, kinds: Sequence[str] | None, limit: int
    ) -> EventQuery | None:
        """None when the query cannot return anything (an empty list of kinds)."""
        if kinds is not None and not kinds:
            return None
        return cls(int(start_ns), int(stop_ns), unit, None if kinds is None else list(kinds), int(limit))
