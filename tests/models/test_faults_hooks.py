"""Every unit type declares the fault hooks of models.unit.FaultHooks; a unit without them offers none."""

from __future__ import annotations

from typing import Any

import pytest

from models.registry import UNIT_TYPES, unit_class
from models.unit import FaultHookDefaults, FaultHooks, NoFaultHooks, Unit, fault_hooks


@pytest.mark.parametrize("unit_type", sorted(UNIT_TYPES))
def test_every_unit_type_declares_its_fault_hooks(unit_type: str) -> None:
    unit = unit_class(unit_type)()
    assert isinstance(unit, Unit) and isinstance(unit, FaultHooks)
    assert fault_hooks(unit) is unit
    assert unit.disturbances.specs, "every unit has at least one disturbance"
    # Hook state is the unit's own, never shared between two units of a type.
    other = unit_class(unit_type)()
    assert unit.disturbances is not other.disturbances
    assert unit.actuators is not other.actuators and unit.feedback is not other.feedback


def test_only_the_filling_line_has_machines_to_jam() -> None:
    machines = {t: unit_class(t)().machines for t in UNIT_TYPES}
    assert machines.pop("filling_line") == ("filler", "capper", "labeller", "checkweigher", "cartoner")
    assert set(machines.values()) == {()}


def test_which_sensors_feed_a_units_own_logic() -> None:
    tags = {t: unit_class(t)().feedback.tags for t in UNIT_TYPES}
    assert tags == {
        "mps_pa": {},
        "bioreactor": {},
        "filling_line": {},
        "autoclave": {"load_temperature": False},
        "fluid_bed_dryer": {"nir_lod": True},  # the unit publishes what its analyser predicted
    }


def test_defaults_refuse_a_jam_and_a_unit_without_hooks_gets_empty_ones() -> None:
    class Plain(FaultHookDefaults):
        pass

    with pytest.raises(KeyError, match="machines: none"):
        Plain().jam("filler", 10.0)
    with pytest.raises(KeyError, match="machines: none"):
        Plain().clear_jam("filler")
    bare: Any = object()
    hooks = fault_hooks(bare)
    assert isinstance(hooks, NoFaultHooks) and isinstance(hooks, FaultHooks)
    assert (hooks.disturbances.specs, hooks.actuators.names, hooks.feedback.tags, hooks.machines) == ({}, {}, {}, ())
