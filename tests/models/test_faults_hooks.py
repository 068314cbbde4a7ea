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
    """Every controller's and sequencer's measurement: a fault there moves the process."""
    tags = {t: unit_class(t)().feedback.tags for t in UNIT_TYPES}
    assert tags == {
        "mps_pa": dict.fromkeys(("B101_level", "B102_flow", "B103_pressure", "B104_temperature"), False),
        "bioreactor": dict.fromkeys(("temperature", "ph", "do"), False),
        "filling_line": {"fill_weight": True},  # the checkweigher publishes what it weighed
        "autoclave": dict.fromkeys(("load_temperature", "chamber_temperature", "chamber_pressure"), False),
        # The NIR: what it predicted; the flow transmitter feeds the heater's low-flow interlock.
        "fluid_bed_dryer": {"nir_lod": True, "inlet_air_temperature": False, "air_flow": False},
    }
    for t in UNIT_TYPES:
        specs = {s.name: s for s in unit_class(t)().tag_specs()}
        assert all(specs[tag].kind == "measurement" for tag in tags[t]), t  # a sensor fault can reach each


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
