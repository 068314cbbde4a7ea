"""Sterilisation arithmetic and the autoclave recipe: lethal rate, F0, recipe validation.

F0 is the equivalent time at 121.1 °C of a heat treatment, for a z-value of 10 K:
``F0 = Σ 10^((T − 121.1)/10)·Δt`` in minutes. :class:`models.autoclave.Autoclave` applies it
to the **load** temperature (the probe in the coldest item), not to the chamber.

Examples
--------
>>> round(lethal_rate(124.1), 3)  # 3 K above the reference: twice as lethal
1.995
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from models.params import OUT_OF_RANGE, Params, check_range

F0_REFERENCE_C = 121.1
F0_Z_K = 10.0


class F0Integrator:
    """F0 in minutes: ``Σ 10^((T − 121.1)/10)·Δt`` by the trapezoidal rule on the lethal rate.

    Examples
    --------
    >>> f0 = F0Integrator(121.1)
    >>> for _ in range(900):
    ...     _ = f0.add(121.1, 1.0)
    >>> f0.value
    15.0
    >>> F0Integrator(111.1).add(111.1, 60.0)  # 10 K below: a tenth of a minute per minute
    0.1
    """

    def __init__(self, t_c: float, value: float = 0.0) -> None:
        # Kept in equivalent seconds and divided once on reading, so whole-second sums stay exact.
        self.seconds = 60.0 * float(value)
        self._rate = lethal_rate(t_c)

    @property
    def value(self) -> float:
        """F0, minutes."""
        return self.seconds / 60.0

    def add(self, t_c: float, dt_s: float) -> float:
        """Advance by ``dt_s`` seconds ending at temperature ``t_c``; return F0 (min)."""
        rate = lethal_rate(t_c)
        self.seconds += 0.5 * (self._rate + rate) * dt_s
        self._rate = rate
        return self.seconds / 60.0

    def reset(self, t_c: float) -> None:
        self.seconds = 0.0
        self._rate = lethal_rate(t_c)


def lethal_rate(t_c: float) -> float:
    """Lethal rate ``L = 10^((T − 121.1)/10)`` (minutes at 121.1 °C per minute at ``t_c``)."""
    return 10.0 ** ((t_c - F0_REFERENCE_C) / F0_Z_K)


@dataclass(frozen=True)
class AutoclaveRecipe(Params):
    """A sterilisation recipe; every field is validated (name, value and allowed range).

    Examples
    --------
    >>> AutoclaveRecipe(hold_time_min=0.0)
    Traceback (most recent call last):
    ...
    ValueError: hold_time_min = 0.0: the hold step needs a duration, allowed 1-120 min
    >>> AutoclaveRecipe.from_dict({"hold_temperature_c": 121.1, "vacuum_pulses": 3})
    Traceback (most recent call last):
    ...
    ValueError: recipe: missing hold_time_min (the hold step needs a duration, allowed 1-120 min)
    """

    hold_temperature_c: float = 121.1
    hold_time_min: float = 20.0
    vacuum_pulses: int = 3
    drying_time_min: float = 10.0

    def __post_init__(self) -> None:
        for name, lo, hi, unit in RECIPE_LIMITS:
            v = getattr(self, name)
            if v is None or not isinstance(v, int | float) or not math.isfinite(v):
                raise ValueError(f"{name} = {v!r} must be a number, allowed {lo:g}-{hi:g} {unit}")
            if name == "hold_time_min" and v <= 0:
                raise ValueError(f"{name} = {v!r}: the hold step needs a duration, allowed {lo:g}-{hi:g} {unit}")
            check_range(name, v, lo, hi, unit, message=OUT_OF_RANGE)
        if not float(self.vacuum_pulses).is_integer():
            raise ValueError(f"vacuum_pulses = {self.vacuum_pulses!r} must be a whole number, allowed 0-10")
        object.__setattr__(self, "vacuum_pulses", int(self.vacuum_pulses))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AutoclaveRecipe:
        """A recipe from a mapping; the hold time must be given (a step without duration is an error)."""
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(
                f"recipe: unknown field(s) {', '.join(unknown)}; allowed: {', '.join(f.name for f in fields(cls))}"
            )
        if data.get("hold_time_min") is None:
            raise ValueError("recipe: missing hold_time_min (the hold step needs a duration, allowed 1-120 min)")
        return cls(**data)


#: Recipe fields: name, lowest, highest, unit.
RECIPE_LIMITS: tuple[tuple[str, float, float, str], ...] = (
    ("hold_temperature_c", 110.0, 135.0, "°C"),
    ("hold_time_min", 1.0, 120.0, "min"),
    ("vacuum_pulses", 0, 10, "pulses"),
    ("drying_time_min", 0.0, 120.0, "min"),
)


__all__ = ["F0_REFERENCE_C", "F0_Z_K", "RECIPE_LIMITS", "AutoclaveRecipe", "F0Integrator", "lethal_rate"]
