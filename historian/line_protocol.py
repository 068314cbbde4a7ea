r"""Bulk encoder from :class:`~historian.base.Point` to InfluxDB line protocol.

Line protocol has three escaping contexts (InfluxDB 1.x and 2.x agree on them):

- measurement: ``,`` and space are escaped with a backslash;
- tag keys, tag values and field keys: ``,``, ``=`` and space are escaped;
- string field values are double-quoted, with ``"`` and ``\`` escaped.

Integers get an ``i`` suffix, booleans are ``true`` / ``false``, floats use Python's
shortest round-trip ``repr``. Things line protocol cannot carry are handled so that one odd
point never blocks a whole batch: empty tag values are left out (InfluxDB rejects them),
non-finite floats (NaN, inf) are left out, a point left without any field is skipped, and
line breaks in names become spaces (line protocol has no escape for them). Backslashes are
written as they are (InfluxDB 1.x does not unescape ``\\`` in names), which leaves two
cases InfluxDB 1.x cannot parse: a tag value ending in a backslash, and a backslash right
before a space, comma or ``=`` in a name when a string field of the same point contains a
line break. InfluxDB answers 400 for such a line; the outbox then drops and reports that
one point. Plant tag names never look like that.

Encoding is done in bulk with per-string caches, because the same few hundred series and
field names repeat in every batch (DESIGN.md: "build line protocol in bulk, not one Point
object at a time"). influxdb-client's ``Point.to_line_protocol()`` was measured against it
(``python -m bench line_protocol``): on a 5,000-point ``process`` batch it was 4 to 6
times slower (e.g. 31 ms against 7 ms per batch), which is why this encoder stays.

>>> from historian.base import Point
>>> p = Point("process", {"site": "s1", "unit": "TK 1", "tag": "LT=1"},
...           {"value": 1.5, "status": 0}, 1_700_000_000_000_000_000)
>>> print(encode_point(p))
process,site=s1,tag=LT\=1,unit=TK\ 1 value=1.5,status=0i 1700000000000000000
>>> e = Point("event", {"unit": "u", "kind": "alarm"},
...           {"message": 'say "hi"\\', "ack": True}, 1)
>>> print(encode_point(e))
event,kind=alarm,unit=u message="say \"hi\"\\",ack=true 1
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from numbers import Integral, Real

from historian.base import FieldValue, Point

__all__ = [
    "encode_batches",
    "encode_lines",
    "encode_point",
    "escape_key",
    "escape_measurement",
    "format_field_value",
]

_MEASUREMENT = str.maketrans({",": "\\,", " ": "\\ ", "\n": "\\ ", "\r": "\\ "})
_KEY = str.maketrans({",": "\\,", "=": "\\=", " ": "\\ ", "\n": "\\ ", "\r": "\\ "})


@lru_cache(maxsize=4096)
def escape_measurement(name: str) -> str:
    r"""Escape a measurement name.

    >>> escape_measurement("my process,1")
    'my\\ process\\,1'
    """
    return name.translate(_MEASUREMENT)


@lru_cache(maxsize=65536)
def escape_key(text: str) -> str:
    r"""Escape a tag key, tag value or field key.

    >>> escape_key("a=b c,d")
    'a\\=b\\ c\\,d'
    """
    return text.translate(_KEY)


def _escape_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_field_value(value: FieldValue) -> str | None:
    """Format one field value, or ``None`` when line protocol cannot represent it.

    >>> [format_field_value(v) for v in (1.0, 2, True, "x", float("nan"))]
    ['1.0', '2i', 'true', '"x"', None]
    """
    kind = type(value)
    if kind is float:
        return repr(value) if math.isfinite(value) else None  # type: ignore[arg-type]
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return f"{value}i"
    if kind is str:
        return _escape_string(value)  # type: ignore[arg-type]
    # Slow path for numpy scalars (np.bool_ is neither bool nor Integral) and other numbers.
    if hasattr(value, "item") and not isinstance(value, (Integral, Real)):
        return format_field_value(value.item())
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Integral):
        return f"{int(value)}i"
    if isinstance(value, Real):
        number = float(value)
        return repr(number) if math.isfinite(number) else None
    return _escape_string(str(value))


def _series(point: Point, cache: dict[tuple[object, ...], str]) -> str:
    """Measurement plus sorted, escaped tag set (InfluxDB prefers sorted tags)."""
    tags = point.tags
    key = (point.measurement, *tags.items())
    series = cache.get(key)
    if series is None:
        parts = [escape_measurement(point.measurement)]
        for name in sorted(tags):
            value = tags[name]
            if value != "":
                parts.append(f"{escape_key(name)}={escape_key(str(value))}")
        series = ",".join(parts)
        if len(cache) < 100_000:
            cache[key] = series
    return series


def _fields(point: Point) -> str:
    parts = []
    for name, value in point.fields.items():
        text = format_field_value(value)
        if text is not None:
            parts.append(f"{escape_key(name)}={text}")
    return ",".join(parts)


def encode_point(point: Point) -> str | None:
    """One line (without newline), or ``None`` when the point has no representable field."""
    fields = _fields(point)
    if not fields:
        return None
    return f"{_series(point, {})} {fields} {int(point.time_ns)}"


def encode_lines(points: Iterable[Point]) -> list[str]:
    """Encode many points; points without a representable field are skipped.

    >>> from historian.base import Point
    >>> encode_lines([Point("m", {}, {"v": float("nan")}, 1), Point("m", {"a": ""}, {"v": 2}, 3)])
    ['m v=2i 3']
    """
    cache: dict[tuple[object, ...], str] = {}
    lines: list[str] = []
    append = lines.append
    for point in points:
        fields = _fields(point)
        if fields:
            append(f"{_series(point, cache)} {fields} {int(point.time_ns)}")
    return lines


def encode_batches(points: Sequence[Point], batch_size: int = 5000) -> Iterator[str]:
    """Newline-joined line-protocol bodies of at most ``batch_size`` lines each.

    >>> from historian.base import Point
    >>> pts = [Point("m", {}, {"v": float(i)}, i) for i in range(5)]
    >>> [body.count("\\n") + 1 for body in encode_batches(pts, batch_size=2)]
    [2, 2, 1]
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    lines = encode_lines(points)
    for start in range(0, len(lines), batch_size):
        yield "\n".join(lines[start : start + batch_size])
