"""Which class simulates which unit type: one registration line per unit type.

A unit type is a class implementing :class:`models.unit.Unit` whose first constructor
argument is typed with its frozen parameter dataclass (a :class:`models.params.Params`).
Adding a unit type is its model module plus one line in :data:`UNIT_TYPES`; plant files
(``type:``), the CLI and the runtime find it here. Classes are imported on first use.

Examples
--------
>>> sorted(UNIT_TYPES)
['autoclave', 'bioreactor', 'filling_line', 'fluid_bed_dryer', 'mps_pa']
>>> unit_class("autoclave").__name__
'Autoclave'
>>> make_params(unit_class("autoclave"), {"hold_time_min": 30.0}).hold_time_min
30.0
>>> make_params(unit_class("autoclave"), {"hold_time": 30.0})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: unknown parameter(s) hold_time; allowed: ...
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import typing
from typing import Any

__all__ = ["UNIT_TYPES", "make_params", "params_class", "unit_class"]

#: Unit type -> ``"module:Class"`` (the class takes its parameter dataclass as first argument).
UNIT_TYPES: dict[str, str] = {
    "mps_pa": "models.mps_pa:MpsPaStation",
    "bioreactor": "models.bioreactor:Bioreactor",
    "filling_line": "models.filling_line:FillingLine",
    "autoclave": "models.autoclave:Autoclave",
    "fluid_bed_dryer": "models.dryer:FluidBedDryer",
}


def unit_class(unit_type: str) -> Any:
    """The class registered for ``unit_type`` (``KeyError`` if there is none)."""
    module, _, name = UNIT_TYPES[unit_type].partition(":")
    return getattr(importlib.import_module(module), name)


def params_class(cls: Any) -> Any:
    """The parameter dataclass a unit class takes as its first constructor argument."""
    hints = typing.get_type_hints(cls.__init__)
    for name in inspect.signature(cls.__init__).parameters:
        if name != "self":
            arg = hints.get(name)
            for candidate in (arg, *typing.get_args(arg)):
                if dataclasses.is_dataclass(candidate):
                    return candidate
            break
    raise TypeError(f"{cls.__name__}: first constructor argument must be typed with a parameter dataclass")


def make_params(cls: Any, data: dict[str, Any]) -> Any:
    """The unit class's parameter dataclass built from plain (YAML) data.

    Raises
    ------
    ValueError
        An unknown field (the message lists the allowed ones) or a value the dataclass
        refuses (the message names the field and its range).
    """
    params_cls = params_class(cls)
    valid = {f.name for f in dataclasses.fields(params_cls)}
    unknown = sorted(set(data) - valid)
    if unknown:
        raise ValueError(f"unknown parameter(s) {', '.join(unknown)}; allowed: {', '.join(sorted(valid))}")
    if hasattr(params_cls, "from_dict"):
        return params_cls.from_dict(data)
    return params_cls(**data)
