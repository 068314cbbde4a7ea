"""The batches of a design of experiments, simulated in parallel on all cores.

One run builds the unit from the plant file's settings (``params`` and ``initial``), applies
the run's factor values (parameters before the unit is built, setpoint tags written before
the first step), draws the run's batch variability (:mod:`gmp_twin.doe_units`), steps the
unit through its vectorised ``simulate()`` fast path (bioreactor) or step by step until the
batch ends (the dryer's end-point), and computes the responses from the trajectory. A run
depends only on its :class:`RunSpec` (its seed included), so the results are the same with
any number of worker processes.

Examples
--------
>>> spec = RunSpec(0, "fluid_bed_dryer", {}, {}, (("inlet_temperature", 70.0), ("air_flow", 350.0)),
...                ("drying_time", "final_lod"), seed=1, variability="none")
>>> r = run_one(spec)
>>> round(r["drying_time"], 2), r["ended"]
(23.33, 1.0)
"""

from __future__ import annotations

import dataclasses
import math
import multiprocessing
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gmp_twin.doe_units import resolve_factor, resolve_response, unit_doe
from models.registry import make_params, params_class, unit_class

__all__ = ["RunSpec", "run_all", "run_one"]


@dataclass(frozen=True)
class RunSpec:
    """Everything one run needs (plain data: it crosses to a worker process).

    Parameters
    ----------
    run : int
        Run number (0-based), for the results' order.
    unit_type : str
        A unit type of :data:`gmp_twin.doe_units.UNIT_DOE`.
    params, initial : dict
        The plant file's ``params`` and ``initial`` of the unit.
    settings : tuple of (factor, value)
        The run's factor values, real units.
    responses : tuple of str
        Responses to compute.
    seed : int
        Seed of the batch variability and of the unit's own noise (the analyser's error).
    variability : str
        ``normal`` (raw material and analyser error per run) or ``none`` (nominal process).
    dt_s, duration_s : float, optional
        Model step and longest batch (default: the unit type's).
    """

    run: int
    unit_type: str
    params: Mapping[str, Any]
    initial: Mapping[str, float]
    settings: tuple[tuple[str, float], ...]
    responses: tuple[str, ...]
    seed: int = 0
    variability: str = "normal"
    dt_s: float | None = None
    duration_s: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


def _scaled_recipe(cls: Any, data: Mapping[str, Any], scale: float) -> list[dict[str, Any]]:
    recipe = make_params(cls, dict(data)).recipe
    return [{**step, "feed_rate_l_h": step["feed_rate_l_h"] * scale} for step in recipe.to_list()]


def build_run_unit(spec: RunSpec) -> tuple[Any, dict[str, float]]:
    """The unit of one run, ready for its first step, and the values drawn for its batch.

    Raises
    ------
    ValueError
        A factor value the unit refuses (its message names the parameter or tag and range).
    """
    doe = unit_doe(spec.unit_type)
    cls = unit_class(spec.unit_type)
    data: dict[str, Any] = {**spec.params, **doe.fixed}
    if spec.variability == "none":
        data.update(doe.nominal)
    elif spec.variability != "normal":
        raise ValueError(f"--variability {spec.variability!r}: use normal or none")
    writes: list[tuple[str, float]] = list(spec.initial.items())
    for name, value in spec.settings:
        f = resolve_factor(spec.unit_type, name)
        if f.kind == "param":
            data[f.target] = value
        elif f.kind == "feed_scale":
            if value < 0.0:
                raise ValueError(f"feed_scale = {value}: must be >= 0")
            data["recipe"] = _scaled_recipe(cls, data, value)
        else:
            writes.append((f.target, value))
    drawn: dict[str, float] = {}
    rng = np.random.default_rng([spec.seed, 15])
    if spec.variability == "normal" and doe.variability:
        nominal = make_params(cls, data)
        for v in doe.variability:
            mean = float(getattr(nominal, v.param))
            value = min(max(mean * (1.0 + v.rel_sd * rng.standard_normal()), v.lo), v.hi)
            data[v.param] = value
            drawn[v.param] = value
    if "seed" in {f.name for f in dataclasses.fields(params_class(cls))}:
        data["seed"] = spec.seed
    try:
        unit = cls(make_params(cls, data))
    except ValueError as exc:
        raise ValueError(f"run {spec.run + 1}: {exc}") from None
    for tag, value in writes:
        try:
            unit.write(tag, float(value))
        except (KeyError, ValueError) as exc:
            raise ValueError(f"run {spec.run + 1}: {tag}: {exc}") from None
    return unit, drawn


def _stepped(unit: Any, dt: float, n_max: int, end: tuple[str, tuple[float, ...]] | None) -> dict[str, np.ndarray]:
    names = [s.name for s in unit.tag_specs()]
    rows: list[list[float]] = []
    stop_tag, stop_values = end if end else ("", ())
    for _ in range(n_max):
        unit.step(dt)
        r = unit.read()
        rows.append([r[n] for n in names])
        if end and r[stop_tag] in stop_values:
            break
    mat = np.asarray(rows, dtype=float).reshape(len(rows), len(names))
    out = {n: mat[:, j] for j, n in enumerate(names)}
    out["time_s"] = dt * np.arange(1, len(rows) + 1)
    return out


def run_one(spec: RunSpec) -> dict[str, float]:
    """Simulate one run; its responses, ``end_s`` (simulated time), ``ended`` (1 when the batch
    reached its end condition, e.g. the dryer's end-point; always 1 for a fixed-length batch) and
    the variability drawn (``var:<param>``)."""
    doe = unit_doe(spec.unit_type)
    unit, drawn = build_run_unit(spec)
    dt = float(spec.dt_s or doe.dt_s)
    duration = float(spec.duration_s or doe.duration_s)
    n_max = max(1, round(duration / dt))
    fast = getattr(unit, "simulate", None)
    if doe.end_when is None and callable(fast):
        every = max(1, round(doe.record_s / dt))
        while n_max % every:  # the last row is the batch's end, where the responses are read
            every -= 1
        traj = fast(n_max * dt, dt_s=dt, record_every=every)
    else:
        traj = _stepped(unit, dt, n_max, doe.end_when)
    ended = 1.0
    if doe.end_when is not None:
        ended = float(traj[doe.end_when[0]][-1] in doe.end_when[1])
    units = {s.name: s.unit for s in unit.tag_specs()}
    out: dict[str, float] = {}
    for name in spec.responses:
        value = resolve_response(spec.unit_type, name, units).fn(traj)
        out[name] = value if math.isfinite(value) else math.nan
    out["end_s"] = float(traj["time_s"][-1])
    out["ended"] = ended
    out.update({f"var:{k}": v for k, v in drawn.items()})
    return out


def default_jobs() -> int:
    """Worker processes: every core this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run_all(
    specs: Sequence[RunSpec], jobs: int | None = None, progress: Callable[[int, int], None] | None = None
) -> list[dict[str, float]]:
    """Every run's results, in the order of ``specs``, on ``jobs`` processes (default all cores).

    Workers are forked from a single-threaded process (the command line: ~50 ms to start) and
    *spawned* (a fresh interpreter, ~1 s) from a process that runs threads (a test server, the
    dashboard), where a fork could copy a lock held by another thread.
    """
    n_jobs = min(default_jobs() if jobs is None else int(jobs), len(specs)) or 1
    done = 0
    results: list[dict[str, float]] = []
    if n_jobs <= 1:
        for s in specs:
            results.append(run_one(s))
            done += 1
            if progress:
                progress(done, len(specs))
        return results
    chunk = max(1, len(specs) // (8 * n_jobs))
    ctx = multiprocessing.get_context("fork" if threading.active_count() == 1 else "spawn")
    with ProcessPoolExecutor(max_workers=n_jobs, mp_context=ctx) as pool:
        for r in pool.map(run_one, specs, chunksize=chunk):
            results.append(r)
            done += 1
            if progress:
                progress(done, len(specs))
    return results
