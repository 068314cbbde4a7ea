"""``gmp-twin export``: a time range of the historian as CSV or JSON, with units and status.

The same bytes as ``GET /api/history`` for the same tags and range (both write with
:mod:`historian.export`). Without ``--start``, the range is the ``--last`` duration (24 h by
default) up to the newest sample, so an accelerated run is exported whole.

Examples
--------
::

    gmp-twin export --last 24h --out day.csv
    gmp-twin export --unit bioreactor-1 --tags temperature,ph --start 2026-12-03T08:00Z --end 2026-12-03T20:00Z
    gmp-twin export --tags mps-pa/B101_level --last 1h --format json --max-points 500 --out -
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any, BinaryIO

log = logging.getLogger(__name__)


def _split(values: list[str] | None) -> list[str]:
    return [part.strip() for value in values or () for part in value.split(",") if part.strip()]


def _tagmaps(settings: Any) -> list[Any]:
    """The tag maps given, or else the simulated plant's own: the tags the API exports.

    :func:`gmp_twin.roles.load_tagmaps` without what only a bridge needs (security), and
    without importing every role (a second of start-up).
    """
    from config_schema.tagmap import load_tagmap
    from twin.plant import build_plant, load_plant, plant_tagmaps

    if settings.tagmap:
        return [load_tagmap(p) for p in settings.tagmap]
    plant = load_plant(settings.plant)
    endpoint = settings.opcua_endpoint or settings.opcua_url
    return plant_tagmaps(plant, build_plant(plant, seed=settings.seed), endpoint)


async def export(args: argparse.Namespace, settings: Any, sink: BinaryIO) -> tuple[int, int, int]:
    """Write the export to ``sink``; returns (rows, start_ns, end_ns)."""
    from gmp_twin.simulate import parse_duration
    from historian import open_historian
    from historian.export import csv_buffers, json_document, newest_ns, parse_time, select_series

    series = select_series(_tagmaps(settings), _split(args.unit), _split(args.tags))
    if not series:
        raise ValueError("nothing to export: no tags selected")
    rows = 0

    def count(n: int) -> None:
        nonlocal rows
        rows += n

    async with open_historian(settings.historian) as historian:
        if args.end:
            end_ns = parse_time(args.end)
        else:
            newest = await newest_ns(historian, series)
            end_ns = (newest if newest is not None else time.time_ns()) + 1
        start_ns = parse_time(args.start) if args.start else end_ns - round(parse_duration(args.last) * 1e9)
        if end_ns <= start_ns:
            raise ValueError(f"--end {args.end} is not after --start {args.start}")
        if args.format == "json":
            document = await json_document(historian, series, start_ns, end_ns, args.max_points)
            rows = sum(len(s["time"]) for s in document["series"])
            sink.write(json.dumps(document, ensure_ascii=False).encode())
        else:
            async for chunk in csv_buffers(historian, series, start_ns, end_ns, args.max_points, on_rows=count):
                await asyncio.to_thread(sink.write, chunk)  # the next series are prepared meanwhile
    return rows, start_ns, end_ns


def _cmd_export(args: argparse.Namespace) -> int:
    from gmp_twin.setting_flags import settings_from

    settings = settings_from(args)
    t0 = time.perf_counter()
    if args.out == "-":
        rows, start_ns, end_ns = asyncio.run(export(args, settings, sys.stdout.buffer))
        sys.stdout.buffer.flush()
    else:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("wb") as sink:
            rows, start_ns, end_ns = asyncio.run(export(args, settings, sink))
    span_h = (end_ns - start_ns) / 3.6e12
    where = "stdout" if args.out == "-" else args.out
    print(f"{where}: {rows:,} rows, {span_h:.2f} h, in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``export`` command."""
    from gmp_twin.setting_flags import add_setting_flags

    p = sub.add_parser("export", help="export a time range of the historian as CSV or JSON (units, status)")
    add_setting_flags(p, {"plant", "tagmap", "historian", "seed"})
    p.add_argument("--unit", action="append", help="unit(s) to export, comma-separated or repeated (default: all)")
    p.add_argument("--tags", action="append", help="tags, as name or unit/name, comma-separated (default: all)")
    p.add_argument("--start", help="start, ISO 8601 (UTC unless an offset is given), e.g. 2026-12-03T08:00Z")
    p.add_argument("--end", help="end (excluded), ISO 8601; default: just after the newest sample")
    p.add_argument("--last", default="24h", help="without --start: this long up to --end (default 24h)")
    p.add_argument("--format", choices=("csv", "json"), default="csv", help="csv (default) or json")
    p.add_argument("--max-points", type=int, default=None, help="downsample each tag to this many points (means)")
    p.add_argument("--out", default="-", help="output file, or - for stdout (default)")
    p.set_defaults(handler=_cmd_export)
