"""What ``gmp-twin doe`` can vary and measure on each unit type: factors, responses, variability.

A **factor** is one of

* a named factor of the unit type (:data:`UNIT_DOE`), e.g. the dryer's ``inlet_temperature``
  (the ``inlet_temperature_sp`` tag) or the bioreactor's ``feed_scale`` (the feed recipe's
  rates multiplied by this factor);
* any setpoint tag of the unit (written before the first step, as an operator would);
* any numeric parameter of the unit's parameter dataclass (``initial_lod_pct``, ``ntu``…).

A **response** is a named response of the unit type (``drying_time``, ``titre``…) or
``final:TAG``, ``max:TAG``, ``min:TAG``, ``mean:TAG`` of any tag over the batch.

**Batch variability** (``--variability normal``, the default): each run draws its raw material
and inoculum from the distributions of :attr:`UnitDoe.variability` (normal, 1 sd, with its own
seed) and keeps the analyser's error, so the runs scatter as batches do and the fitted
residual is the batch-to-batch variation. ``--variability none`` runs the nominal process
(and a noise-free analyser): the edge of failure that a brute-force grid checks. A parameter
that is both a factor and drawn (the dryer's ``initial_lod``) varies around the run's setting.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np

from models.registry import UNIT_TYPES, make_params, params_class, unit_class

__all__ = [
    "UNIT_DOE",
    "FactorDef",
    "ResponseDef",
    "UnitDoe",
    "resolve_factor",
    "resolve_response",
    "tag_units",
    "unit_doe",
]

Trajectory = Mapping[str, np.ndarray]


@dataclass(frozen=True)
class FactorDef:
    """How a factor acts on the unit.

    ``kind``: ``tag`` (a setpoint written before the first step), ``param`` (a parameter
    field) or ``feed_scale`` (the bioreactor's feed recipe scaled). ``jitter`` is the factor's
    standard deviation around its setpoint on the plant (real units), used by the Monte Carlo.
    """

    name: str
    kind: str
    target: str
    unit: str
    jitter: float = 0.0
    description: str = ""


@dataclass(frozen=True)
class ResponseDef:
    """A response computed from a batch's trajectory (``fn``), with its unit and default scale."""

    name: str
    unit: str
    description: str
    fn: Callable[[Trajectory], float]
    log: bool = False


@dataclass(frozen=True)
class Variation:
    """A parameter drawn per run: ``N(nominal·(1 + rel) , (nominal·rel_sd)²)`` clipped to ``[lo, hi]``."""

    param: str
    rel_sd: float
    lo: float
    hi: float
    description: str


@dataclass(frozen=True)
class UnitDoe:
    """The DoE definition of a unit type."""

    unit_type: str
    factors: dict[str, FactorDef]
    responses: dict[str, ResponseDef]
    default_factors: str
    default_responses: tuple[str, ...]
    default_specs: tuple[str, ...]
    #: Model step (s) and longest batch (s) of a run.
    dt_s: float
    duration_s: float
    #: Per-run draws of ``--variability normal``.
    variability: tuple[Variation, ...]
    #: Parameters set in every run (e.g. one batch, no auto-repeat).
    fixed: dict[str, Any] = field(default_factory=dict)
    #: Parameters set by ``--variability none`` (a noise-free analyser).
    nominal: dict[str, Any] = field(default_factory=dict)
    #: Tag and values that end the batch early (the dryer's end-point), else run ``duration_s``.
    end_when: tuple[str, tuple[float, ...]] | None = None
    #: Time between the trajectory's rows (s) when the unit's ``simulate`` runs the batch; 0 =
    #: every step. A 230 h bioreactor batch at 1 s keeps a row a minute, not 828,000.
    record_s: float = 0.0


def _final(tag: str) -> Callable[[Trajectory], float]:
    return lambda tr: float(tr[tag][-1])


def _max(tag: str) -> Callable[[Trajectory], float]:
    return lambda tr: float(np.max(tr[tag]))


def _min(tag: str) -> Callable[[Trajectory], float]:
    return lambda tr: float(np.min(tr[tag]))


def _mean(tag: str) -> Callable[[Trajectory], float]:
    return lambda tr: float(np.mean(tr[tag]))


STATS: dict[str, Callable[[str], Callable[[Trajectory], float]]] = {
    "final": _final,
    "max": _max,
    "min": _min,
    "mean": _mean,
}


def _energy_kwh(tr: Trajectory) -> float:
    t = tr["time_s"]
    dt = np.diff(np.concatenate([[0.0], t]))
    return float(np.sum(tr["heater_power"] * dt) / 3600.0)


def _product_g(tr: Trajectory) -> float:
    return float(tr["titre"][-1] * tr["volume"][-1])


DRYER = UnitDoe(
    unit_type="fluid_bed_dryer",
    factors={
        "inlet_temperature": FactorDef(
            "inlet_temperature", "tag", "inlet_temperature_sp", "°C", 0.5, "inlet air temperature setpoint"
        ),
        "air_flow": FactorDef("air_flow", "tag", "air_flow_sp", "m³/h", 5.0, "process air flow setpoint"),
        "target_lod": FactorDef("target_lod", "tag", "target_lod_sp", "%", 0.0, "end-point: target LOD (NIR)"),
        "initial_lod": FactorDef("initial_lod", "param", "initial_lod_pct", "%", 0.0, "LOD of the wet granules"),
        "batch_size": FactorDef("batch_size", "param", "dry_solids_kg", "kg", 0.0, "dry solids loaded"),
    },
    responses={
        "drying_time": ResponseDef("drying_time", "min", "time to the NIR end-point", _final("drying_time"), log=True),
        "final_lod": ResponseDef("final_lod", "%", "true LOD of the product at the end-point", _final("product_lod")),
        "max_product_temperature": ResponseDef(
            "max_product_temperature", "°C", "highest bed temperature of the batch", _max("product_temperature")
        ),
        "heater_energy": ResponseDef("heater_energy", "kWh", "heater energy of the batch", _energy_kwh),
        "water_evaporated": ResponseDef(
            "water_evaporated", "kg", "water evaporated in the batch", _final("water_evaporated")
        ),
    },
    default_factors="inlet_temperature=50:80,air_flow=200:450",
    default_responses=("drying_time", "max_product_temperature", "final_lod"),
    default_specs=("drying_time<=30", "max_product_temperature<=40", "final_lod<=2.5"),
    dt_s=10.0,
    duration_s=3 * 3600.0,
    variability=(
        Variation("initial_lod_pct", 0.05, 12.0, 40.0, "granulation water of the wet granules (LOD 20 ± 1 %)"),
        Variation("inlet_humidity_g_kg", 0.15, 1.0, 15.0, "humidity of the process air (5 ± 0.75 g/kg)"),
    ),
    fixed={"autostart": True, "repeat_interval_min": 0.0},
    nominal={"nir_sd_pct": 0.0},
    end_when=("phase", (2.0,)),
)

BIOREACTOR = UnitDoe(
    unit_type="bioreactor",
    factors={
        "temperature": FactorDef("temperature", "tag", "temperature_sp", "°C", 0.1, "broth temperature setpoint"),
        "ph": FactorDef("ph", "tag", "ph_sp", "pH", 0.02, "pH setpoint"),
        "do": FactorDef("do", "tag", "do_sp", "%", 1.0, "dissolved oxygen setpoint"),
        "feed_scale": FactorDef(
            "feed_scale", "feed_scale", "recipe", "× recipe", 0.01, "feed recipe's rates multiplied by this factor"
        ),
    },
    responses={
        "titre": ResponseDef("titre", "g/l", "penicillin titre at the end of the batch", _final("titre"), log=True),
        "product": ResponseDef("product", "g", "penicillin in the vessel at the end (titre × volume)", _product_g),
        "final_volume": ResponseDef("final_volume", "l", "broth volume at the end", _final("volume")),
        "biomass": ResponseDef("biomass", "g/l", "biomass at the end", _final("biomass")),
        "min_do": ResponseDef("min_do", "%", "lowest dissolved oxygen of the batch", _min("do")),
    },
    default_factors="feed_scale=0.7:1.3,temperature=20:30,ph=5.5:7.5",
    default_responses=("titre", "final_volume"),
    default_specs=("titre>=20", "final_volume<=80"),
    # The runtime's 1 s step: at 60 s the DO loop, acting once a minute, swings (lowest DO 6 %
    # against 28.6 % at 1 s and 10 s), and the titre moves by 0.6 %.
    dt_s=1.0,
    record_s=60.0,
    duration_s=230 * 3600.0,
    variability=(
        Variation("initial_biomass_g_l", 0.10, 0.1, 2.0, "inoculum (0.5 ± 0.05 g/l biomass)"),
        Variation("initial_glucose_g_l", 0.05, 1.0, 40.0, "batch medium glucose (15 ± 0.75 g/l)"),
        Variation("glucose_feed_g_l", 0.02, 300.0, 900.0, "feed glucose concentration (600 ± 12 g/l)"),
        Variation("qp_max_g_g_h", 0.03, 0.001, 0.05, "strain productivity (qp max ± 3 %)"),
    ),
)


def _cycle_min(tr: Trajectory) -> float:
    return float(tr["time_s"][-1] / 60.0)


AUTOCLAVE = UnitDoe(
    unit_type="autoclave",
    factors={
        "hold_temperature": FactorDef(
            "hold_temperature", "param", "hold_temperature_c", "°C", 0.3, "sterilisation hold temperature"
        ),
        "hold_time": FactorDef("hold_time", "param", "hold_time_min", "min", 0.0, "sterilisation hold time"),
        "load_mass": FactorDef("load_mass", "param", "load_mass_kg", "kg", 0.0, "mass of the load"),
        "heat_penetration": FactorDef(
            "heat_penetration", "param", "load_time_constant_s", "s", 0.0, "time constant of the wrapped load"
        ),
    },
    responses={
        "f0": ResponseDef("f0", "min", "F0 of the load over the cycle (z = 10 K, 121.1 °C)", _final("f0"), log=True),
        "cycle_time": ResponseDef("cycle_time", "min", "time from the start to the end of the cycle", _cycle_min),
        "max_load_temperature": ResponseDef(
            "max_load_temperature", "°C", "highest load temperature of the cycle", _max("load_temperature")
        ),
    },
    default_factors="hold_temperature=118:124,hold_time=10:20",
    default_responses=("f0", "max_load_temperature", "cycle_time"),
    default_specs=("f0>=15", "max_load_temperature<=124"),
    dt_s=5.0,
    duration_s=3 * 3600.0,
    variability=(
        Variation("load_mass_kg", 0.05, 1.0, 200.0, "load mass (20 ± 1 kg: loading pattern)"),
        Variation("load_time_constant_s", 0.10, 30.0, 3000.0, "heat penetration of the load (240 ± 24 s: wrapping)"),
        Variation("load_initial_temperature_c", 0.10, 5.0, 40.0, "load temperature at the start (20 ± 2 °C)"),
    ),
    fixed={"autostart": True, "repeat_interval_min": 0.0},
    end_when=("phase", (6.0, 7.0)),
)

#: Unit types ``gmp-twin doe`` knows (by the unit class's ``unit_type``).
UNIT_DOE: dict[str, UnitDoe] = {d.unit_type: d for d in (DRYER, BIOREACTOR, AUTOCLAVE)}


def unit_doe(unit_type: str) -> UnitDoe:
    """The DoE definition of ``unit_type`` (a clear error for the others)."""
    try:
        return UNIT_DOE[unit_type]
    except KeyError:
        raise ValueError(
            f"gmp-twin doe does not know unit type {unit_type!r} yet; it runs {', '.join(sorted(UNIT_DOE))}"
        ) from None


@cache
def _setpoint_tags(unit_type: str) -> dict[str, Any]:
    cls = unit_class(unit_type)
    unit = cls(make_params(cls, {}))
    return {s.name: s for s in unit.tag_specs() if s.kind == "setpoint" and not s.name.endswith("_cmd")}


@cache
def tag_units(unit_type: str) -> dict[str, str]:
    """Every tag of ``unit_type`` with its unit (from a unit built with default parameters)."""
    cls = unit_class(unit_type)
    return {s.name: s.unit for s in cls(make_params(cls, {})).tag_specs()}


@cache
def _numeric_params(unit_type: str) -> list[str]:
    fields = dataclasses.fields(params_class(unit_class(unit_type)))
    return [f.name for f in fields if f.type in ("float", "int", float, int) and f.name != "seed"]


def resolve_factor(unit_type: str, name: str) -> FactorDef:
    """The factor ``name`` of ``unit_type``: a named factor, a setpoint tag or a numeric parameter.

    >>> resolve_factor("fluid_bed_dryer", "inlet_temperature").target
    'inlet_temperature_sp'
    >>> resolve_factor("fluid_bed_dryer", "ntu").kind
    'param'
    >>> resolve_factor("fluid_bed_dryer", "colour")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: --factors: fluid_bed_dryer has no factor 'colour'; named factors: inlet_temperature, air_flow, ...
    """
    spec = unit_doe(unit_type)
    if name in spec.factors:
        return spec.factors[name]
    tags = _setpoint_tags(unit_type)
    if name in tags:
        return FactorDef(name, "tag", name, tags[name].unit, 0.0, tags[name].description)
    if name in _numeric_params(unit_type):
        return FactorDef(name, "param", name, "", 0.0, f"parameter {name}")
    module = UNIT_TYPES[unit_type].partition(":")[0].replace(".", "/") + ".py"
    raise ValueError(
        f"--factors: {unit_type} has no factor {name!r}; named factors: {', '.join(spec.factors)}; "
        f"or a setpoint tag ({', '.join(sorted(tags))}) or a numeric parameter (see {module})"
    )


def resolve_response(unit_type: str, name: str, tags: Mapping[str, str]) -> ResponseDef:
    """The response ``name``: a named response of the unit type or ``STAT:TAG`` (``tags``: name → unit).

    >>> resolve_response("fluid_bed_dryer", "max:exhaust_air_temperature", {"exhaust_air_temperature": "°C"}).unit
    '°C'
    >>> resolve_response("fluid_bed_dryer", "yield", {})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: --responses: fluid_bed_dryer has no response 'yield'; named: drying_time, final_lod, ...
    """
    spec = unit_doe(unit_type)
    if name in spec.responses:
        return spec.responses[name]
    stat, _, tag = name.partition(":")
    if stat in STATS and tag:
        if tag not in tags:
            raise ValueError(f"--responses {name}: {unit_type} has no tag {tag!r}")
        return ResponseDef(name, tags[tag], f"{stat} of {tag} over the batch", STATS[stat](tag))
    raise ValueError(
        f"--responses: {unit_type} has no response {name!r}; named: {', '.join(spec.responses)}; "
        f"or {', '.join(f'{s}:TAG' for s in STATS)} of a tag"
    )
