"""The outbox's row format: one :class:`~historian.base.Point` as compact JSON.

A row is ``[measurement, tags, fields, time_ns]``. JSON keeps float / int / bool / string
apart, is readable with the ``sqlite3`` shell and encodes at ~240,000 points/s, well above
what SQLite inserts; pickle and marshal were faster but are not safe or not stable formats
for a file that outlives the process. The playback's point queue stores the same rows.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from historian.base import Point

__all__ = ["decode_point", "encode_point"]


def _jsonable(value: Any) -> Any:
    """Fallback for the encoder: other mappings and numpy scalars."""
    if isinstance(value, Mapping):
        return dict(value)
    if hasattr(value, "item"):  # numpy scalar -> Python bool / int / float
        return value.item()
    raise TypeError(f"cannot store {type(value).__name__} in the outbox: {value!r}")


_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=_jsonable).encode
_decode = json.JSONDecoder().decode


def encode_point(point: Point) -> str:
    """One row.

    >>> encode_point(Point("process", {"unit": "TK1"}, {"value": 1.0, "status": 0}, 5))
    '["process",{"unit":"TK1"},{"value":1.0,"status":0},5]'
    """
    return _encode([point.measurement, point.tags, point.fields, point.time_ns])


def decode_point(row: str) -> Point:
    """Inverse of :func:`encode_point`.

    >>> p = Point("event", {"kind": "x"}, {"n": 1, "f": 2.0, "b": True, "s": "é"}, 7)
    >>> decode_point(encode_point(p)) == p
    True
    """
    measurement, tags, fields, time_ns = _decode(row)
    return Point(measurement, tags, fields, time_ns)
