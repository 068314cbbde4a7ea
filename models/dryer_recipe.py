"""Fluid-bed dryer recipe (setpoint steps over the drying time) and moisture conversions.

Loss on drying (LOD, % of the wet mass, as the pharmacopoeia measures it) and dry-basis
moisture ``X`` (kg water per kg dry solids) convert as ``LOD = 100·X/(1 + X)``.

Examples
--------
>>> round(lod_from_x(0.25), 6), round(x_from_lod(20.0), 6)
(20.0, 0.25)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from models.params import ALLOWED, Params, check_range

#: Allowed setpoints (lowest, highest, unit), in a recipe, the dryer's parameters and its tags.
INLET_TEMPERATURE_C = (30.0, 90.0, "°C")
AIR_FLOW_M3_H = (100.0, 600.0, "m³/h")
TARGET_LOD_PCT = (0.5, 10.0, "%")


def lod_from_x(x: float) -> float:
    """Loss on drying (% wet basis) from dry-basis moisture."""
    return 100.0 * x / (1.0 + x)


def x_from_lod(lod_pct: float) -> float:
    """Dry-basis moisture from loss on drying (%)."""
    return lod_pct / (100.0 - lod_pct)


@dataclass(frozen=True)
class DryerStep:
    """One recipe step: setpoints held for ``duration_min``."""

    inlet_temperature_c: float
    air_flow_m3_h: float
    duration_min: float | None

    def check(self, index: int) -> None:
        where = f"recipe step {index}"
        if self.duration_min is None or not (isinstance(self.duration_min, int | float) and self.duration_min > 0):
            raise ValueError(f"{where}: duration_min = {self.duration_min!r}; every step needs a duration > 0 min")
        check_range(f"{where}: inlet_temperature_c", self.inlet_temperature_c, *INLET_TEMPERATURE_C, message=ALLOWED)
        check_range(f"{where}: air_flow_m3_h", self.air_flow_m3_h, *AIR_FLOW_M3_H, message=ALLOWED)


@dataclass(frozen=True)
class DryerRecipe(Params):
    """Setpoint steps over the drying time; after the last step its setpoints stay until the end-point.

    Examples
    --------
    >>> DryerRecipe.from_dict({"steps": [{"inlet_temperature_c": 50, "air_flow_m3_h": 250, "duration_min": 5},
    ...                                  {"inlet_temperature_c": 65, "air_flow_m3_h": 300}]})
    Traceback (most recent call last):
    ...
    ValueError: recipe step 2: duration_min = None; every step needs a duration > 0 min
    """

    steps: tuple[DryerStep, ...]
    target_lod_pct: float | None = None

    def __post_init__(self) -> None:
        if not self.steps:
            raise ValueError("recipe: needs at least one step")
        for i, s in enumerate(self.steps, start=1):
            s.check(i)
        if self.target_lod_pct is not None:
            check_range("recipe: target_lod_pct", self.target_lod_pct, *TARGET_LOD_PCT, message=ALLOWED)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DryerRecipe:
        """A recipe from plain data; a step's missing setpoint is NaN, so the error names it."""
        steps = tuple(
            DryerStep(s.get("inlet_temperature_c", math.nan), s.get("air_flow_m3_h", math.nan), s.get("duration_min"))
            for s in data.get("steps", ())
        )
        return cls(steps, data.get("target_lod_pct"))


__all__ = [
    "AIR_FLOW_M3_H",
    "INLET_TEMPERATURE_C",
    "TARGET_LOD_PCT",
    "DryerRecipe",
    "DryerStep",
    "lod_from_x",
    "x_from_lod",
]
