"""Line-protocol encoding: escaping rules, value types, what is left out, and a real server's view."""

from __future__ import annotations

import random
import uuid

import numpy as np
import pytest

from historian import Point, open_historian
from historian.line_protocol import encode_batches, encode_lines, encode_point, format_field_value


def test_escaping_contexts() -> None:
    p = Point("my meas,x", {"tag key=": "v a,l=ue"}, {"f ,=": "s"}, 3)
    assert encode_point(p) == 'my\\ meas\\,x,tag\\ key\\==v\\ a\\,l\\=ue f\\ \\,\\=="s" 3'


def test_string_fields_escape_quote_and_backslash_only() -> None:
    assert format_field_value('a "b" \\ c, d=e') == '"a \\"b\\" \\\\ c, d=e"'
    assert format_field_value("line\nbreak") == '"line\nbreak"'


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, "1.0"),
        (-0.1, "-0.1"),
        (1e-300, "1e-300"),
        (123456789012345678.0, "1.2345678901234568e+17"),
        (0, "0i"),
        (-(2**63), "-9223372036854775808i"),
        (True, "true"),
        (False, "false"),
        ("", '""'),
        (np.float64(2.5), "2.5"),
        (np.int32(7), "7i"),
        (np.bool_(True), "true"),
        (float("nan"), None),
        (float("inf"), None),
        (np.float32("nan"), None),
    ],
)
def test_field_values(value: object, text: str | None) -> None:
    assert format_field_value(value) == text  # type: ignore[arg-type]


def test_tags_sorted_empty_tags_dropped_newlines_become_spaces() -> None:
    p = Point("m", {"z": "1", "a": "2", "empty": "", "nl": "x\ny"}, {"v": 1}, 9)
    assert encode_point(p) == "m,a=2,nl=x\\ y,z=1 v=1i 9"


def test_points_without_representable_fields_are_skipped() -> None:
    points = [
        Point("m", {}, {"v": float("nan")}, 1),
        Point("m", {}, {"v": float("nan"), "status": 2}, 2),
        Point("m", {}, {}, 3),
    ]
    assert encode_lines(points) == ["m status=2i 2"]
    assert encode_point(points[0]) is None


def test_series_cache_does_not_mix_tag_sets() -> None:
    points = [Point("m", {"a": str(i % 3)}, {"v": i}, i) for i in range(6)]
    assert encode_lines(points) == [f"m,a={i % 3} v={i}i {i}" for i in range(6)]


def test_batches() -> None:
    points = [Point("m", {}, {"v": i}, i) for i in range(12_001)]
    bodies = list(encode_batches(points))
    assert [b.count("\n") + 1 for b in bodies] == [5000, 5000, 2001]
    assert bodies[1].splitlines()[0] == "m v=5000i 5000"
    with pytest.raises(ValueError, match="batch_size"):
        list(encode_batches(points, batch_size=0))


async def test_random_names_roundtrip_through_real_influxd(influxdb1: str) -> None:
    """What the encoder escapes, InfluxDB 1.x unescapes to the same strings."""
    rng = random.Random(1)
    # Names without backslashes (the module docstring lists the two cases 1.x cannot parse);
    # string fields with everything, including backslashes and line breaks.
    name_chars = " ,=\"'=abcé\t"
    text_chars = name_chars + "\\\n"

    def text(n: int, chars: str = name_chars) -> str:
        return "".join(rng.choice(chars) for _ in range(n)) + "x"

    points = [
        Point(
            "event",
            {"unit": text(8), "kind": text(6), text(5): text(7)},
            {"message": text(20, text_chars) + "\\" + "\n", "n": i},
            1_700_000_000_000_000_000 + i,
        )
        for i in range(200)
    ]
    async with open_historian(f"influxdb1://{influxdb1.split('://')[1]}/lp_{uuid.uuid4().hex[:8]}") as h:
        await h.write(points)
        back = await h.events(0, 2**62, limit=1000)
    assert sorted(back, key=lambda p: p.time_ns) == points
