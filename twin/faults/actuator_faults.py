"""Actuator faults: a valve that sticks (its hook holds the position) and worn or failed drives.

Valves act through the unit's :class:`models.disturbances.ActuatorHooks`, where the command
becomes physical, so the controller still sees its own output move; pump wear and heater
failure are unit disturbances of their name.
"""

from __future__ import annotations

from typing import Literal

from twin.faults.base import DisturbanceFault, FaultBase, FaultContext, UnitTargets


class ValveFault(FaultBase):
    """A fault on one actuator hook (``target.actuator``)."""

    family = "actuator"
    needs = "actuator"

    @property
    def actuator(self) -> str:
        return self.target.actuator or ""

    def check_unit(self, unit: UnitTargets) -> None:
        kind, t = self.kind_name(), self.target
        if t.actuator not in unit.actuators:
            raise ValueError(
                f"{kind}: {t.unit} has no actuator {t.actuator!r}; actuators: {', '.join(unit.actuators) or 'none'}"
            )
        mag = self.magnitude
        if mag is not None and not 0.0 <= mag <= 50.0:
            raise ValueError(f"{kind}: deadband {mag} outside 0 to 50")

    def undo(self, ctx: FaultContext) -> None:
        ctx.unit.actuators.clear(self.actuator)


class ValveStuck(ValveFault):
    kind: Literal["valve_stuck"] = "valve_stuck"
    needs_magnitude = False
    magnitude_help = "none: the actuator stays where it is while its command moves"

    def on_start(self, ctx: FaultContext) -> None:
        ctx.unit.actuators.set(self.actuator, stuck=True)


class ValveSticking(ValveFault):
    kind: Literal["valve_sticking"] = "valve_sticking"
    magnitude_help = "deadband in the command's unit (usually %): the actuator moves only past it"

    def drive(self, ctx: FaultContext) -> None:
        ctx.unit.actuators.set(self.actuator, deadband=float(self.magnitude or 0.0) * ctx.level)


class ActuatorDisturbance(DisturbanceFault):
    """An actuator that loses part of its effect (a unit disturbance of the fault's name)."""

    family = "actuator"


class PumpWear(ActuatorDisturbance):
    kind: Literal["pump_wear"] = "pump_wear"
    magnitude_help = "fraction of the pump's head lost, 0 to 0.9"


class HeaterFailure(ActuatorDisturbance):
    kind: Literal["heater_failure"] = "heater_failure"
    magnitude_help = "fraction of the heater's power lost, 0 to 1 (1 = failed)"
