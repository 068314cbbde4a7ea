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
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from config_schema.exercise import TEAM_PATTERN
from config_schema.files import ConfigError, load_yaml_model
from config_schema.tagmap import TagMap, tagmap_for_unit
from models.registry import UNIT_TYPES, make_params, params_class, unit_class
from models.unit import Unit
from twin.access_policy import DEFAULT_SIGNED, AccessPolicy, SignedAction

__all__ = [
    "MAX_TEAMS",
    "UNIT_TYPES",
    "PlantConfig",
    "TeamsConfig",
    "UnitConfig",
    "build_plant",
    "build_unit",
    "load_plant",
    "make_params",
    "plant_policy",
    "plant_tagmaps",
    "team_names",
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


#: The most team plants one process runs (``gmp-twin run --teams N``).
MAX_TEAMS = 24


class TeamsConfig(BaseModel):
    """The plant file's ``teams:`` block: a classroom of identical team plants in one process.

    >>> TeamsConfig(count=2).names_or_default()
    ['team-1', 'team-2']
    >>> TeamsConfig(count=2, names=["red", "blue"], seed="per-team").names_or_default()
    ['red', 'blue']
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Number of team plants (``gmp-twin run --teams N`` overrides it; 0: one shared plant).
    count: int = Field(ge=0, le=MAX_TEAMS)
    #: Team names (the users file's ``team:``); default ``team-1`` .. ``team-N``.
    names: list[str] | None = None
    #: ``same``: every team plant gets the run's seed (same noise, same jams); ``per-team``: seed + k.
    seed: Literal["same", "per-team"] = "same"

    @model_validator(mode="after")
    def _names_match(self) -> TeamsConfig:
        if self.names is None:
            return self
        bad = [n for n in self.names if not re.fullmatch(TEAM_PATTERN, n)]
        if bad:
            raise ValueError(f"team name(s) {', '.join(map(repr, bad))}: lower-case letters, digits and '-' only")
        dupes = sorted({n for n in self.names if self.names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate team name(s) {', '.join(dupes)}")
        if len(self.names) < self.count:
            raise ValueError(f"{len(self.names)} team name(s) for count {self.count}: name every team or none")
        return self

    def names_or_default(self, count: int | None = None) -> list[str]:
        """The first ``count`` (default ``self.count``) team names; ``team-1..team-N`` when more than named."""
        n = self.count if count is None else count
        if self.names is not None and n <= len(self.names):
            return list(self.names[:n])
        return [f"team-{k}" for k in range(1, n + 1)]


class PlantConfig(BaseModel):
    """The whole plant file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    site: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_\-]+$")
    units: list[UnitConfig] = Field(min_length=1)
    #: Actions that need an electronic signature (password again + meaning), see twin.access_policy.
    signatures: list[SignedAction] = Field(default_factory=lambda: list(DEFAULT_SIGNED))
    #: A classroom: one plant per team in one process (:class:`TeamsConfig`); absent: one plant.
    teams: TeamsConfig | None = None
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


def team_names(cfg: PlantConfig, count: int | None = None) -> list[str]:
    """The team plants to run: ``count`` (``--teams``) overrides the plant file's; ``[]``: one plant.

    >>> plain = PlantConfig.model_validate({"site": "s", "units": [{"name": "m", "type": "mps_pa"}]})
    >>> team_names(plain), team_names(plain, 3)
    ([], ['team-1', 'team-2', 'team-3'])
    >>> room = plain.model_copy(update={"teams": TeamsConfig(count=2, names=["red", "blue", "green"])})
    >>> team_names(room), team_names(room, 3), team_names(room, 0)
    (['red', 'blue'], ['red', 'blue', 'green'], [])
    """
    if count is not None and not 0 <= count <= MAX_TEAMS:
        raise ValueError(f"--teams {count}: between 0 and {MAX_TEAMS}")
    teams = cfg.teams or TeamsConfig(count=0)
    return teams.names_or_default(count)


def plant_tagmaps(
    cfg: PlantConfig,
    units: dict[str, Unit],
    endpoint: str,
    *,
    site: str | None = None,
    namespace_uri: str | None = None,
) -> list[TagMap]:
    """The tag maps of every simulated unit as the twin's OPC UA server exposes them.

    ``site`` and ``namespace_uri`` override the plant file's site and the server's default
    namespace (a classroom's team plant: ``<site>-team-3``, ``urn:gmp-twin:team-3``).
    """
    from twin.opcua_server import NAMESPACE_URI

    return [
        tagmap_for_unit(
            name,
            unit.tag_specs(),
            unit_type=unit.unit_type,
            endpoint=endpoint,
            site=site or cfg.site,
            namespace_uri=namespace_uri or NAMESPACE_URI,
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
