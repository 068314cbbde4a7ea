"""Line faults: a machine jams (PackML Held), or a line disturbance slows, stops or rejects.

A jam calls the line's own :meth:`models.unit.FaultHooks.jam`: the machine is Held for the
fault's duration and comes back by itself, as after an operator clears it. The other kinds
are unit disturbances of the fault's name, per machine (``speed_loss.capper``) or for the
whole line (``starved``, ``blocked``).
"""

from __future__ import annotations

import logging
from typing import Literal

from pydantic import model_validator

from twin.faults.base import DisturbanceFault, FaultBase, FaultContext, UnitTargets

log = logging.getLogger(__name__)


class Jam(FaultBase):
    kind: Literal["jam"] = "jam"
    family = "line"
    needs = "machine"
    needs_magnitude = False
    magnitude_help = "none: the machine is Held (jam) for duration_s, then cleared by the operator"

    @model_validator(mode="after")
    def _has_duration(self) -> Jam:
        if self.duration_s is None:
            raise ValueError("jam: 'duration_s' is required (how long the machine stays jammed)")
        return self

    @property
    def machine(self) -> str:
        return self.target.machine or ""

    def check_unit(self, unit: UnitTargets) -> None:
        t = self.target
        if t.machine not in unit.machines:
            raise ValueError(
                f"jam: {t.unit} has no machine {t.machine!r}; machines: {', '.join(unit.machines) or 'none'}"
            )

    def on_start(self, ctx: FaultContext) -> None:
        try:
            ctx.unit.jam(self.machine, float(self.duration_s or 0.0))
        except ValueError as exc:  # the machine cannot be Held in its state (stopped, idle)
            log.warning("fault %s: %s", ctx.id, exc)

    def undo(self, ctx: FaultContext) -> None:
        ctx.unit.clear_jam(self.machine)

    def on_end(self, ctx: FaultContext) -> None:
        """Nothing: the jam's dwell, set at its start, ends it."""


class LineDisturbance(DisturbanceFault):
    """A line disturbance: per machine (``needs`` = ``machine``) or for the whole line."""

    family = "line"

    def place(self) -> str | None:
        return self.target.machine

    def check_unit(self, unit: UnitTargets) -> None:
        t = self.target
        if self.needs == "machine" and t.machine not in unit.machines:
            raise ValueError(
                f"{self.kind_name()}: {t.unit} has no machine {t.machine!r}; machines: {', '.join(unit.machines)}"
            )
        super().check_unit(unit)


class MicrostopRate(LineDisturbance):
    kind: Literal["microstop_rate"] = "microstop_rate"
    needs = "machine"
    magnitude_help = "factor on the machine's micro-stop rate, 1 to 50"


class SpeedLoss(LineDisturbance):
    kind: Literal["speed_loss"] = "speed_loss"
    needs = "machine"
    magnitude_help = "fraction of the machine's speed lost, 0 to 0.9"


class RejectSurge(LineDisturbance):
    kind: Literal["reject_surge"] = "reject_surge"
    needs = "machine"
    magnitude_help = "extra fraction of units the machine rejects, 0 to 1"


class Starved(LineDisturbance):
    kind: Literal["starved"] = "starved"
    magnitude_help = "fraction of the infeed supply lost, 0 to 1 (1 = no containers arrive)"


class Blocked(LineDisturbance):
    kind: Literal["blocked"] = "blocked"
    magnitude_help = "fraction of the outfeed capacity lost, 0 to 1 (1 = nothing leaves the line)"
