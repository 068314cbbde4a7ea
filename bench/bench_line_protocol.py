"""Line protocol: our bulk encoder against influxdb-client's ``Point.to_line_protocol()``.

The input is what the outbox hands a backend: one batch of 5,000 ``process`` points
(:class:`historian.base.Point`: tags ``site`` / ``unit`` / ``tag`` / ``source``, fields
``value`` float and ``status`` int, nanosecond timestamps) over 250 series, as the bridge
writes it many times per second. Each encoder turns the whole batch into one newline-joined
body, as the InfluxDB backends send it:

- ``ours``: :func:`historian.line_protocol.encode_batches`;
- ``influxdb_client``: one ``influxdb_client.Point`` per point (measurement, tags, fields,
  ``time(t, WritePrecision.NS)``) and ``to_line_protocol()``, which is what switching to it
  means, since our points have to become its points first;
- ``influxdb_client_encode_only``: ``to_line_protocol()`` alone on prebuilt ``Point``
  objects (a lower bound for its cost).

Figures are lines per second, best of several interleaved repeats (the machine may be
shared); ``ratio`` is ours / the other one (how many times faster ours is).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from historian.base import Point
from historian.line_protocol import encode_batches

BATCH = 5000
SERIES_UNITS = 5
SERIES_TAGS_PER_UNIT = 50  # 250 series, 20 samples each per batch
T0 = 1_700_000_000_000_000_000


def process_batch(n: int = BATCH, seed: int = 0) -> list[Point]:
    """A realistic bridge batch: 250 ``process`` series, 100 ms apart, mostly good status."""
    rng = random.Random(seed)
    series = [
        {"site": "pilot-hall", "unit": f"mps-pa-{u}", "tag": f"LIC{100 + k}.PV", "source": "plc"}
        for u in range(SERIES_UNITS)
        for k in range(SERIES_TAGS_PER_UNIT)
    ]
    return [
        Point(
            "process",
            series[i % len(series)],
            {"value": rng.gauss(50.0, 10.0), "status": 0 if rng.random() < 0.98 else 0x80000000},
            T0 + (i // len(series)) * 100_000_000,
        )
        for i in range(n)
    ]


def ours(points: Sequence[Point]) -> str:
    return "\n".join(encode_batches(points, len(points)))


def client_points(points: Sequence[Point]) -> list[Any]:
    """Our points as influxdb-client ``Point`` objects (tags, fields, ns timestamp)."""
    from influxdb_client import Point as IPoint
    from influxdb_client import WritePrecision

    out = []
    for p in points:
        ip = IPoint(p.measurement)
        for key, value in p.tags.items():
            ip.tag(key, value)
        for key, field in p.fields.items():
            ip.field(key, field)
        out.append(ip.time(p.time_ns, WritePrecision.NS))
    return out


def influxdb_client(points: Sequence[Point]) -> str:
    return "\n".join(ip.to_line_protocol() for ip in client_points(points))


def _best_rates(encoders: dict[str, Callable[[], object]], lines: int, repeats: int) -> dict[str, float]:
    """Best lines/s of each encoder; repeats interleave them so all see the same machine load."""
    best = dict.fromkeys(encoders, 0.0)
    for _ in range(repeats):
        for name, encode in encoders.items():
            t0 = time.perf_counter()
            encode()
            best[name] = max(best[name], lines / (time.perf_counter() - t0))
    return best


def run(quick: bool = False) -> dict[str, Any]:
    repeats = 5 if quick else 30
    points = process_batch()
    prebuilt = client_points(points)
    encoders: dict[str, Callable[[], object]] = {
        "ours": lambda: ours(points),
        "influxdb_client": lambda: influxdb_client(points),
        "influxdb_client_encode_only": lambda: "\n".join(p.to_line_protocol() for p in prebuilt),
    }
    rates = _best_rates(encoders, len(points), repeats)
    out: dict[str, Any] = {"batch_lines": len(points), "series": SERIES_UNITS * SERIES_TAGS_PER_UNIT}
    out["repeats_best_of"] = repeats
    out["lines_per_s"] = {name: round(rate) for name, rate in rates.items()}
    out["ms_per_batch"] = {name: round(1000 * len(points) / rate, 2) for name, rate in rates.items()}
    out["ratio_ours_vs_influxdb_client"] = round(rates["ours"] / rates["influxdb_client"], 2)
    out["ratio_ours_vs_encode_only"] = round(rates["ours"] / rates["influxdb_client_encode_only"], 2)
    # The lines differ only in field order (Point sorts fields) and whole floats (Point drops ".0").
    sample = points[:3]
    out["example"] = {"ours": ours(sample).splitlines()[0], "influxdb_client": influxdb_client(sample).splitlines()[0]}
    return out


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
