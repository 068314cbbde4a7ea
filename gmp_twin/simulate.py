"""``gmp-twin simulate``: batch generation without the OPC UA layer, for learner projects.

The unit is stepped exactly as the runtime steps it, and sensor noise is the runtime's
counter-based noise, so a file generated here has the same values as a live run with the
same plant, seed and step. Units with a vectorised ``simulate(duration_s, dt_s,
record_every)`` fast path (long batch processes) use it; the others are stepped here.

The command streams: rows go to disk chunk by chunk (:mod:`gmp_twin.simulate_stream`,
:mod:`gmp_twin.simulate_writer`), with units and descriptions in a side-car
``<file>.meta.json`` (:mod:`gmp_twin.simulate_meta`) and faults of the catalogue
(:mod:`gmp_twin.simulate_faults`); :mod:`gmp_twin.simulate_run` puts them together.
:func:`true_values` and :func:`add_sensors` are the in-memory API other commands call.

Examples
--------
>>> parse_duration("230h"), parse_duration("15min"), parse_duration("90s"), parse_duration("1.5d")
(828000.0, 900.0, 90.0, 129600.0)
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from models.unit import TagSpec, Unit

# The sensor layer loads asyncua (its status codes): only when a batch is made, not for every
# `gmp-twin` command that builds this parser.
if TYPE_CHECKING:
    from twin.sensors import SensorLayer

_UNITS_S = {"s": 1.0, "sec": 1.0, "min": 60.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str) -> float:
    """``"230h"``, ``"15min"``, ``"90s"``, ``"2d"`` or plain seconds -> seconds."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([a-z]*)\s*", text)
    if not match or match.group(2) not in {"", *_UNITS_S}:
        raise ValueError(f"bad duration {text!r}: use a number with s, min, h or d, e.g. 230h or 15min")
    return float(match.group(1)) * _UNITS_S.get(match.group(2), 1.0)


def _speed(text: str) -> float:
    if text in ("max", "inf"):
        return math.inf
    try:
        value = float(text.removeprefix("x"))
    except ValueError:
        raise ValueError(f"bad speed {text!r}: use max or a factor such as 60 or x60") from None
    if value <= 0:
        raise ValueError(f"bad speed {text!r}: must be > 0")
    return value


def true_values(
    unit: Unit, specs: list[TagSpec], n_steps: int, dt_s: float, record_every: int, speed: float, progress: Any
) -> dict[str, np.ndarray]:
    """Step ``unit`` and record noise-free values every ``record_every`` steps (rows at steps k·record_every)."""
    fast = getattr(unit, "simulate", None)
    if callable(fast) and math.isinf(speed):
        data: dict[str, np.ndarray] = fast(n_steps * dt_s, dt_s=dt_s, record_every=record_every)
        progress.update(n_steps)
        return data
    names = [s.name for s in specs]
    n_rows = n_steps // record_every
    out = np.empty((n_rows, len(names)))
    chunk = max(record_every, (n_steps // 200) // record_every * record_every)
    wall0 = time.monotonic()
    for row in range(n_rows):
        for _ in range(record_every):
            unit.step(dt_s)
        values = unit.read()
        out[row] = [values[n] for n in names]
        done = (row + 1) * record_every
        if done % chunk == 0:
            progress.update(chunk)
            if not math.isinf(speed):
                ahead = done * dt_s / speed - (time.monotonic() - wall0)
                if ahead > 0:
                    time.sleep(ahead)
    return {n: out[:, i] for i, n in enumerate(names)}


def add_sensors(
    values: dict[str, np.ndarray], specs: list[TagSpec], sensors: SensorLayer, steps: np.ndarray
) -> dict[str, np.ndarray]:
    """Apply the runtime's noise, clipping and status to recorded true values.

    A ``<tag>__status`` column appears only for a tag whose status was not Good somewhere;
    the streaming command writes one for every measurement (:func:`gmp_twin.simulate_stream.measured_chunk`).
    """
    from gmp_twin.simulate_stream import bulk_readings

    out, codes = bulk_readings(values, specs, sensors, steps)
    for spec in specs:
        if codes[spec.name].any():
            out[f"{spec.name}__status"] = codes[spec.name]
    return out


def _cmd_simulate(args: argparse.Namespace) -> int:
    from gmp_twin.simulate_run import run_simulate

    duration_s = parse_duration(args.duration) if args.duration is not None else None
    try:
        return run_simulate(args, duration_s, parse_duration(args.resolution), _speed(args.speed))
    except KeyboardInterrupt:
        print(f"gmp-twin simulate: interrupted; {args.out} not written", file=sys.stderr)
        return 130


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``simulate`` command."""
    p = sub.add_parser(
        "simulate",
        help="generate a batch file for one unit, without OPC UA",
        description=(
            "Step one unit of the plant as the twin's runtime does and write its readings to a .csv or "
            ".parquet file, chunk by chunk, with a side-car <file>.meta.json giving each column's unit, "
            "description and range, the run's settings and its faults."
        ),
    )
    p.add_argument("--plant", default="config/plant.yaml", help="plant file (default config/plant.yaml)")
    p.add_argument("--unit", required=True, help="unit name in the plant file")
    p.add_argument("--duration", help="simulated time, e.g. 230h, 90min, 3600s (required)")
    p.add_argument("--speed", default="max", help="max (as fast as possible) or a factor, e.g. 60")
    p.add_argument("--seed", type=int, default=0, help="sensor-noise seed (default 0)")
    p.add_argument("--dt", type=float, default=1.0, help="model step in seconds (default 1)")
    p.add_argument("--resolution", default="1s", help="output row spacing (default 1s)")
    p.add_argument("--out", help="output file, .csv or .parquet (required)")
    p.add_argument(
        "--fault",
        action="append",
        metavar="SPEC",
        help=(
            "inject a fault of the catalogue, as in a scenario file: a YAML mapping such as "
            "'{kind: sensor_drift, target: {tag: ph}, magnitude: 0.05, start_s: 36000}' (target.unit defaults "
            "to --unit; times in simulated seconds from the start), or @FILE (one fault, a list, or a "
            "scenario's faults); repeatable. --fault help lists the kinds and targets of the unit"
        ),
    )
    p.add_argument(
        "--measured-only",
        action="store_true",
        help="leave out the model states no instrument measures (biomass, mu, true glucose...); "
        "the side-car lists what was left out",
    )
    p.add_argument(
        "--processes",
        type=int,
        choices=(1, 2),
        default=2,
        help="2 (default): step the model in a child process while this one adds sensor noise and writes; "
        "1: all in one process",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=_cmd_simulate)
