"""Plant assembly: build the units named in ``config/plant.yaml``.

The unit types a plant file may name are registered in :mod:`models.registry`.

Examples
--------
>>> cfg = PlantConfig.model_validate({"site": "lab", "units": [{"name": "mps-pa", "type": "mps_pa"}]})
>>> [u.name for u in cfg.units]
['mps-pa']
>>> PlantConfig.model_validate({"site": "lab", "units": [{"name": "x", "type": "rocket"}]})
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for PlantConfig
...
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationInfo, field_validator

from config_schema.files import ConfigError, load_yaml_model
from config_schema.tagmap import TagMap, tagmap_for_unit
from models.registry import UNIT_TYPES, make_params, params_class, unit_class
from models.unit import Unit
from twin.access_policy import DEFAULT_SIGNED, AccessPolicy, SignedAction

__all__ = [
    "UNIT_TYPES",
    "PlantConfig",
    "UnitConfig",
    "build_plant",
    "build_unit",
    "load_plant",
    "make_params",
    "plant_policy",
    "plant_tagmaps",
    "unit_class",
    "unit_steps",
]


class UnitConfig(BaseModel):
    """One unit of the plant: a name (OPC UA object, historian ``unit`` tag) and a type."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9\-]*$", max_length=40)
    type: str
    #: Overrides of the unit's parameter dataclass fields (units in the field names; nested
    #: for recipes and tunings). Validated against the unit's own physical ranges at load.
    params: dict[str, Any] = Field(default_factory=dict)
    #: Initial writes (setpoints, modes) applied before the first step.
    initial: dict[str, float] = Field(default_factory=dict)
    #: Model step of this unit in seconds (a multiple of the runtime's 0.1 s); default 0.1.
    dt_s: float | None = Field(None, gt=0, le=60)
    #: Tags a student (operator) may write; absent: the unit's setpoints. Instructors write any writable tag.
    operator_writable: list[str] | None = None
    #: GMP-critical tags: a write needs a reason, kept in the audit trail.
    gmp_critical: list[str] = Field(default_factory=list)

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in UNIT_TYPES:
            raise ValueError(f"unknown unit type {value!r}; allowed: {', '.join(sorted(UNIT_TYPES))}")
        return value

    @field_validator("params")
    @classmethod
    def _params_in_range(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        unit_type = info.data.get("type")
        if unit_type in UNIT_TYPES:
            make_params(unit_class(unit_type), value)  # raises ValueError naming the field and range
        return value


class PlantConfig(BaseModel):
    """The whole plant file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    site: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_\-]+$")
    units: list[UnitConfig] = Field(min_length=1)
    #: Actions that need an electronic signature (password again + meaning), see twin.access_policy.
    signatures: list[SignedAction] = Field(default_factory=lambda: list(DEFAULT_SIGNED))
    _source: str | None = PrivateAttr(default=None)

    @field_validator("units")
    @classmethod
    def _unique_names(cls, units: list[UnitConfig]) -> list[UnitConfig]:
        names = [u.name for u in units]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate unit name(s) {', '.join(dupes)}; every unit needs its own name")
        return units


def build_unit(cfg: UnitConfig, seed: int | None = None) -> Unit:
    """Instantiate one unit, applying parameter overrides and initial writes.

    Units with random behaviour (jams, fill weights, analyser error) take ``seed`` unless
    the plant file sets their own, so one run seed makes the whole plant reproducible.
    """
    cls = unit_class(cfg.type)
    data = dict(cfg.params)
    params_cls = params_class(cls)
    if seed is not None and "seed" not in data and "seed" in {f.name for f in dataclasses.fields(params_cls)}:
        data["seed"] = seed
    unit: Unit = cls(make_params(cls, data))
    for tag, value in cfg.initial.items():
        try:
            unit.write(tag, value)
        except (KeyError, ValueError) as exc:
            raise ValueError(f"unit {cfg.name!r}: initial {tag}: {exc}") from None
    return unit


def load_plant(path: str | Path) -> PlantConfig:
    cfg = load_yaml_model(path, PlantConfig)
    cfg._source = str(path)
    return cfg


def build_plant(cfg: PlantConfig, seed: int = 0) -> dict[str, Unit]:
    """Instantiate every unit; an error names the plant file and the unit."""
    units = {}
    for i, unit_cfg in enumerate(cfg.units):
        try:
            units[unit_cfg.name] = build_unit(unit_cfg, seed=seed * 1000 + i)
        except ValueError as exc:
            raise ConfigError(f"{cfg._source or 'plant'}: units[{i}]: {exc}") from None
    return units


def unit_steps(cfg: PlantConfig) -> dict[str, float]:
    """Units with their own model step (``dt_s`` in the plant file)."""
    return {u.name: u.dt_s for u in cfg.units if u.dt_s is not None}


def plant_tagmaps(cfg: PlantConfig, units: dict[str, Unit], endpoint: str) -> list[TagMap]:
    """The tag maps of every simulated unit as the twin's OPC UA server exposes them."""
    from twin.opcua_server import NAMESPACE_URI

    return [
        tagmap_for_unit(
            name,
            unit.tag_specs(),
            unit_type=unit.unit_type,
            endpoint=endpoint,
            site=cfg.site,
            namespace_uri=NAMESPACE_URI,
        )
        for name, unit in units.items()
    ]


def plant_policy(cfg: PlantConfig, units: dict[str, Unit]) -> AccessPolicy:
    """The plant file's write and signature rules, checked against the built units' tags."""
    try:
        return AccessPolicy.build(
            {name: unit.tag_specs() for name, unit in units.items()},
            {u.name: u.operator_writable for u in cfg.units},
            {u.name: u.gmp_critical for u in cfg.units},
            cfg.signatures,
        )
    except ValueError as exc:
        raise ConfigError(f"{cfg._source or 'plant'}: {exc}") from None
