"""One ``gmp-twin simulate`` run: check the arguments, build the unit, stream its rows to the file.

Every check runs before the first step, so a wrong argument costs nothing: the durations,
the file name, the unit, the faults (each against the unit, the error naming the ``--fault``
and the field) and ``--measured-only``. Then :mod:`gmp_twin.simulate_stream` steps the unit
(in a child process by default) and this process adds the sensor layer and writes each chunk
(:mod:`gmp_twin.simulate_writer`), and finally the side-car ``<file>.meta.json``
(:mod:`gmp_twin.simulate_meta`). The file is written under a temporary name and renamed at
the end, so a run that fails leaves no half file behind.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from config_schema.files import ConfigError
from gmp_twin.simulate_faults import FaultedRun, help_text, parse_fault_specs, validate_faults
from gmp_twin.simulate_meta import FORMAT, STATUS_SUFFIX, columns_meta, meta_path, status_name, unmeasured, write_meta
from gmp_twin.simulate_stream import Plan, measured_chunk, produce, status_tags, true_chunks
from gmp_twin.simulate_writer import open_writer


def run_simulate(args: argparse.Namespace, duration_s: float | None, resolution_s: float, speed: float) -> int:
    """The ``simulate`` command (arguments as :func:`gmp_twin.simulate.register` declares them).

    ``duration_s``, ``resolution_s`` and ``speed`` are ``--duration``, ``--resolution`` and
    ``--speed`` already parsed (``None``: no ``--duration``).
    """
    from tqdm import tqdm

    from twin.plant import build_unit, load_plant
    from twin.sensors import SensorLayer

    wants_help = args.fault == ["help"]
    for flag, value in (("--duration", duration_s), ("--out", args.out)):
        if value is None and not wants_help:
            raise ValueError(f"{flag} is required (e.g. --duration 230h --out batch.parquet)")
    if wants_help or duration_s is None:
        duration_s, args.out = duration_s or resolution_s, args.out or "help.csv"
    if not getattr(args, "verbose", False):
        # The side-car and the summary line say which faults ran; the manager's log would repeat it.
        logging.getLogger("twin.faults.manager").setLevel(logging.WARNING)
    out = Path(args.out)
    if out.suffix not in (".csv", ".parquet"):
        raise ValueError(f"--out {out}: use a .csv or .parquet file name")
    dt_s = float(args.dt)
    if not (dt_s > 0 and math.isfinite(dt_s)):
        raise ValueError(f"--dt {args.dt}: give the model step in seconds, > 0")
    record_every = max(1, round(resolution_s / dt_s))
    if abs(record_every * dt_s - resolution_s) > 1e-9:
        raise ValueError(f"--resolution {args.resolution} must be a multiple of --dt {dt_s} s")
    n_steps = round(duration_s / dt_s) // record_every * record_every
    plan = Plan.paced(n_steps, dt_s, record_every, speed)
    if plan.n_rows == 0:
        raise ValueError(f"--duration {args.duration} is shorter than --resolution {args.resolution}: no rows")

    plant = load_plant(args.plant)
    names = [u.name for u in plant.units]
    if args.unit not in names:
        raise ConfigError(f"{args.plant}: no unit named {args.unit!r}; units: {', '.join(names)}")
    index = names.index(args.unit)
    try:
        # Only this unit, with the seed build_plant gives it, so values match a run of the whole plant.
        unit = build_unit(plant.units[index], seed=args.seed * 1000 + index)
    except ValueError as exc:
        raise ConfigError(f"{args.plant}: units[{index}]: {exc}") from None
    specs = unit.tag_specs()
    if wants_help:
        print(help_text(args.unit, unit))
        return 0
    faults = validate_faults(parse_fault_specs(args.fault or [], args.unit), args.unit, unit)
    dropped = unmeasured(unit.unit_type, specs) if args.measured_only else []
    # The same seed derivation as TwinRuntime, so values match a live run of this plant.
    sensor_seed = args.seed * 1000 + index
    sensors = SensorLayer(specs, seed=sensor_seed)
    faulted = FaultedRun(args.unit, unit, specs, dt_s, sensor_seed, faults) if faults else None
    with_status = status_tags(specs, faulted.touched if faulted else None)
    kept = [s for s in specs if s.name not in dropped]
    columns = ["time_s", *(s.name for s in kept), *(t + STATUS_SUFFIX for t in with_status if t not in dropped)]
    fields = columns_meta(columns, {s.name: s for s in specs})
    meta: dict[str, Any] = {
        "format": FORMAT,
        "file": out.name,
        "unit": args.unit,
        "unit_type": unit.unit_type,
        "plant": str(args.plant),
        "seed": args.seed,
        "dt_s": dt_s,
        "resolution_s": record_every * dt_s,
        "duration_s": n_steps * dt_s,
        "rows": plan.n_rows,
        "measured_only": bool(args.measured_only),
        "dropped_columns": dropped,
        # The specs asked for; when the run is over, each with when it really started and ended.
        "faults": [f.model_dump(mode="json", exclude_none=True) for f in faults],
    }

    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(out.name + ".part")
    wall0 = time.perf_counter()
    tqdm.monitor_interval = 0  # no monitor thread: the stepping process is forked from this one
    codes: set[int] = {0}
    summary: Any = None
    writer = open_writer(part, fields, meta, suffix=out.suffix)
    try:
        with tqdm(
            total=n_steps, unit="step", unit_scale=True, file=sys.stderr, disable=args.quiet,
            desc=f"{args.unit} {args.duration}",
        ) as progress:  # fmt: skip
            items = produce(
                lambda: true_chunks(unit, specs, plan, faulted),
                lambda: faulted.timeline() if faulted else [],
                args.processes,
            )
            with contextlib.closing(items):  # an error here ends the stepping process too
                for kind, payload in items:
                    if kind == "done":
                        summary = payload
                        break
                    chunk = measured_chunk(payload, specs, sensors, dt_s, with_status)
                    for t in with_status:
                        status = chunk[t + STATUS_SUFFIX]
                        if status.any():
                            codes.update(int(c) for c in np.unique(status))
                    writer.write({c: chunk[c] for c in columns})
                    progress.update(len(payload.steps) * record_every)
    except BaseException:
        writer.close()
        part.unlink(missing_ok=True)
        raise
    writer.close()
    part.replace(out)
    meta["faults"] = summary if summary is not None else meta["faults"]
    meta["columns"] = fields
    meta["status_codes"] = {str(c): status_name(c) for c in sorted(codes)}
    side = write_meta(out, meta)
    wall = time.perf_counter() - wall0
    print(
        f"{out}: {plan.n_rows} rows x {len(columns)} columns, {duration_s / 3600:.1f} h simulated "
        f"in {wall:.1f} s ({n_steps * dt_s / wall:,.0f}x real time); units and descriptions in {side.name}"
        + (f"; faults: {'; '.join(f.describe() for f in faults)}" if faults else "")
        + (f"; left out {len(dropped)} unmeasured states: {', '.join(dropped)}" if dropped else ""),
        file=sys.stderr,
    )
    return 0


__all__ = ["meta_path", "run_simulate"]
