"""Reference batches for ``gmp-twin golden build``: per-unit settings, normal variability, simulation.

Each simulated reference batch is the plant file's unit with some parameters drawn per seed
within the ranges of :data:`PROFILES` (``variability``): normal raw-material and inoculum
variability, a lot of feed a little richer, an inoculum a little denser. Each draw is a
normal deviate truncated at ±3σ, from ``numpy.random.default_rng([seed, 15])``, so batch
``seed`` is the same on every machine. The unit's own seed (its analyser's noise) is the
batch seed too. Models are not edited: the parameters are overrides, as in a plant file.

A batch is run by the unit's vectorised ``simulate()`` when it has one (the bioreactor),
else stepped and read (the dryer, until its end-point); noise-free values are recorded every
``record_s`` and cut into the windows the live detector sees
(:func:`analytics.golden_build.window_means`). :func:`simulate_many` runs batches on all
cores (``ProcessPoolExecutor``, spawned workers).

Examples
--------
>>> p = PROFILES["bioreactor"]
>>> p.maturity, p.clock, p.window_s
('batch_time', ('batch_time', 3600.0), 300.0)
>>> draw = draw_params(p, {"initial_biomass_g_l": 0.5, "mu_max_1_h": 0.09, "initial_glucose_g_l": 15.0,
...     "glucose_feed_g_l": 600.0, "yxs_g_g": 0.45, "qp_max_g_g_h": 0.008, "initial_volume_l": 58.0,
...     "buffer_phosphate_mmol_l": 50.0}, seed=1)
>>> sorted(draw) == sorted(v.field for v in p.variability), 0.35 < draw["initial_biomass_g_l"] < 0.65
(True, True)
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Any

import numpy as np

from analytics.golden_build import window_means
from models.registry import make_params, params_class, unit_class
from twin.plant import UnitConfig, build_unit
from twin.sensors import SensorLayer

__all__ = ["PROFILES", "BatchSpec", "Profile", "Variation", "draw_params", "run_batch", "simulate_many"]

#: Stream key of the variability draws (the issue that introduced them), beside the batch seed.
_STREAM = 15


@dataclass(frozen=True)
class Variation:
    """One parameter's normal batch-to-batch variability: ``cv`` (relative) or ``sd`` (absolute)."""

    field: str
    spread: float
    relative: bool
    why: str

    def describe(self) -> str:
        return f"{self.field}: {'CV' if self.relative else 'sd'} {self.spread:g} ({self.why})"


def _cv(name: str, cv: float, why: str) -> Variation:
    return Variation(name, cv, True, why)


def _sd(name: str, sd: float, why: str) -> Variation:
    return Variation(name, sd, False, why)


@dataclass(frozen=True)
class Profile:
    """How a unit type's batches are modelled: maturity, variables, windows, variability."""

    maturity: str
    maturity_unit: str
    clock: tuple[str, float]
    active: tuple[str, tuple[float, ...]] | None
    variables: tuple[str, ...]
    window_s: float
    #: Default batch length (None: until the batch leaves its active phase) and the longest one.
    duration_s: float | None
    max_duration_s: float
    #: How early or late a good batch may be, maturity units (:func:`analytics.golden_build.build_model`).
    tolerance: float = 0.0
    variability: tuple[Variation, ...] = field(default=())
    #: Variables the unit page shows first (the user picks others).
    shown: tuple[str, ...] = ()


PROFILES: dict[str, Profile] = {
    "bioreactor": Profile(
        maturity="batch_time", maturity_unit="h", clock=("batch_time", 3600.0), active=None,
        variables=("temperature", "ph", "do", "agitation", "aeration_flow", "pressure", "weight", "feed_flow",
                   "base_flow", "jacket_temperature", "offgas_o2", "offgas_co2", "glucose_pat", "titre_pat"),
        window_s=300.0, duration_s=230 * 3600.0, max_duration_s=1000 * 3600.0, tolerance=4.0,
        variability=(
            _cv("initial_biomass_g_l", 0.10, "inoculum density"),
            _cv("mu_max_1_h", 0.03, "inoculum vigour (age, passage number)"),
            _cv("initial_glucose_g_l", 0.03, "batch medium make-up"),
            _cv("glucose_feed_g_l", 0.015, "glucose feed lot"),
            _cv("yxs_g_g", 0.02, "complex nitrogen source lot (biomass yield)"),
            _cv("qp_max_g_g_h", 0.04, "strain productivity"),
            _cv("initial_volume_l", 0.01, "medium volume charged"),
            _cv("buffer_phosphate_mmol_l", 0.05, "medium phosphate"),
        ),
        shown=("do", "agitation", "offgas_co2", "glucose_pat"),
    ),
    "fluid_bed_dryer": Profile(
        maturity="drying_time", maturity_unit="min", clock=("drying_time", 60.0), active=("phase", (1.0,)),
        variables=("inlet_air_temperature", "air_flow", "product_temperature", "exhaust_air_temperature",
                   "exhaust_humidity", "nir_lod"),
        window_s=20.0, duration_s=None, max_duration_s=6 * 3600.0, tolerance=1.0,
        variability=(
            _sd("initial_lod_pct", 0.5, "water added in granulation, % LOD"),
            _cv("dry_solids_kg", 0.02, "batch size charged"),
            _sd("critical_lod_pct", 0.3, "granule structure (critical moisture), % LOD"),
            _sd("inlet_humidity_g_kg", 0.5, "process air after the air-handling unit, g/kg"),
            _sd("room_temperature_c", 1.0, "room temperature, °C"),
            _sd("initial_product_temperature_c", 1.0, "wet granules' temperature, °C"),
        ),
        shown=("nir_lod", "product_temperature", "exhaust_air_temperature", "exhaust_humidity"),
    ),
}  # fmt: skip


def draw_params(profile: Profile, base: Mapping[str, float], seed: int) -> dict[str, float]:
    """This batch's values of the varied parameters (``base`` holds the nominal ones)."""
    rng = np.random.default_rng([seed, _STREAM])
    out = {}
    for v in profile.variability:
        z = float(np.clip(rng.standard_normal(), -3.0, 3.0))
        nominal = float(base[v.field])
        out[v.field] = nominal * (1.0 + v.spread * z) if v.relative else nominal + v.spread * z
    return out


@dataclass(frozen=True)
class BatchSpec:
    """One batch to simulate (plain data: it crosses to a worker process)."""

    unit: dict[str, Any]  # the plant file's UnitConfig, dumped
    seed: int
    dt_s: float
    duration_s: float | None
    record_s: float
    window_s: float
    tags: tuple[str, ...]
    vary: bool = True
    params: dict[str, float] = field(default_factory=dict)
    disturbances: dict[str, float] = field(default_factory=dict)
    #: Return noisy readings at every record (what a live bridge stores) instead of window means.
    readings: bool = False


def _build(spec: BatchSpec) -> tuple[Any, Profile]:
    cfg = UnitConfig.model_validate(spec.unit)
    profile = PROFILES[cfg.type]
    data = dict(cfg.params)
    if spec.vary and profile.variability:
        nominal = dataclasses.asdict(make_params(unit_class(cfg.type), data))
        data.update(draw_params(profile, nominal, spec.seed))
    data.update(spec.params)
    if "seed" in {f.name for f in dataclasses.fields(params_class(unit_class(cfg.type)))}:
        data["seed"] = spec.seed
    unit: Any = build_unit(cfg.model_copy(update={"params": data}))
    for name, value in spec.disturbances.items():
        unit.disturbances.set(name, value)  # every unit type with a profile declares its hooks
    return unit, profile


def _record(unit: Any, profile: Profile, spec: BatchSpec) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Noise-free values of ``spec.tags`` every ``record_s`` (rows at the end of each record)."""
    every = max(1, round(spec.record_s / spec.dt_s))
    fast = getattr(unit, "simulate", None)
    if callable(fast) and spec.duration_s is not None:
        data = fast(spec.duration_s, dt_s=spec.dt_s, record_every=every)
        return np.asarray(data["time_s"]), {t: np.asarray(data[t]) for t in spec.tags}
    limit = spec.duration_s if spec.duration_s is not None else profile.max_duration_s
    n_steps = round(limit / spec.dt_s)
    rows: list[list[float]] = []
    times: list[float] = []
    was_active = False
    for k in range(1, n_steps + 1):
        unit.step(spec.dt_s)
        if k % every:
            continue
        values = unit.read()
        times.append(k * spec.dt_s)
        rows.append([values[t] for t in spec.tags])
        if spec.duration_s is None and profile.active is not None:
            tag, phases = profile.active
            active = round(values[tag]) in {round(p) for p in phases}
            if was_active and not active:
                break  # the batch is over (the dryer reached its end-point)
            was_active = was_active or active
    arr = np.asarray(rows, dtype=float).reshape(len(rows), len(spec.tags))
    return np.asarray(times), {t: arr[:, i] for i, t in enumerate(spec.tags)}


def run_batch(spec: BatchSpec) -> dict[str, np.ndarray]:
    """Simulate one batch: its window means (``_t``, ``_n`` and each tag), or its noisy readings.

    The windows start at an offset drawn from the seed: a live batch starts anywhere within
    the detector's epoch-aligned windows. With ``readings``, the values are what the twin
    publishes (the runtime's counter-based sensor noise, :class:`twin.sensors.SensorLayer`)
    at every record, with ``time_s``.
    """
    unit, profile = _build(spec)
    time_s, columns = _record(unit, profile, spec)
    if spec.readings:
        specs = {s.name: s for s in unit.tag_specs()}
        layer = SensorLayer([specs[t] for t in spec.tags], seed=spec.seed)
        steps = np.round(time_s / spec.dt_s).astype(np.uint64)
        noise = layer.noise(steps)
        col = {s.name: i for i, s in enumerate(layer.noisy_tags)}
        out = {"time_s": time_s}
        for tag, v in columns.items():
            s = specs[tag]
            noisy = v + s.noise_sd * noise[:, col[tag]] if tag in col else v
            out[tag] = np.clip(noisy, s.lo, s.hi) if s.kind == "measurement" else noisy
        return out
    offset = float(np.random.default_rng([spec.seed, _STREAM, 1]).uniform(0.0, spec.window_s))
    return window_means(time_s, columns, spec.window_s, offset)


def simulate_many(
    specs: Sequence[BatchSpec], workers: int | None = None, progress: Callable[[int, int], None] | None = None
) -> list[dict[str, np.ndarray]]:
    """:func:`run_batch` of every spec, in order, on ``workers`` processes (default: every core)."""
    n = workers or os.cpu_count() or 1
    if n <= 1 or len(specs) <= 1:
        out = []
        for i, s in enumerate(specs, start=1):
            out.append(run_batch(s))
            if progress:
                progress(i, len(specs))
        return out
    with ProcessPoolExecutor(max_workers=min(n, len(specs)), mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(run_batch, s) for s in specs]
        out = []
        for i, f in enumerate(futures, start=1):
            out.append(f.result())
            if progress:
                progress(i, len(specs))
        return out


def noise_of(unit: Mapping[str, Any], tags: Sequence[str]) -> list[float]:
    """Sensor noise (sd of one reading) of ``tags`` of the plant file's unit (0 for a soft sensor)."""
    cfg = UnitConfig.model_validate(unit)
    specs = {s.name: s for s in build_unit(cfg).tag_specs()}
    return [float(specs[t].noise_sd) if specs[t].kind == "measurement" else 0.0 for t in tags]
