"""What every fault kind is made of: its target, its timing fields, and the hooks it may drive.

A fault kind is one frozen pydantic model (data: the scenario file, the API body) whose
methods say what it does to a running plant (behaviour). The fault manager calls them on
every fault alike, through a :class:`FaultContext` that gives one active fault a view of
its unit, its ramp and its memory:

* :meth:`FaultBase.check` refuses a target the plant does not have or an unphysical magnitude;
* :meth:`FaultBase.on_start`, :meth:`FaultBase.drive` (every model step) and
  :meth:`FaultBase.undo` (cleared or over) set the unit's :class:`models.unit.FaultHooks`;
* :meth:`FaultBase.apply_readings` and :meth:`FaultBase.frozen_tags` change what is
  published (value, status, timestamp), not the process.

A family base class (:class:`DisturbanceFault` here; sensor, valve, line and
communication faults in their modules) holds what its kinds share.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar, Literal, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from models.unit import FaultHooks
from twin.sensors import Reading

Family = Literal["sensor", "actuator", "process", "line", "comm"]


class Target(BaseModel):
    """What a fault acts on: a unit, plus the one name its kind needs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    unit: str = Field(min_length=1, description="unit name from the plant file")
    tag: str | None = Field(None, description="sensor and communication faults: the tag")
    actuator: str | None = Field(None, description="valve_stuck, valve_sticking: the actuator")
    parameter: str | None = Field(
        None, description="process and wear faults with several places, e.g. fouling 'jacket' or 'kla'"
    )
    machine: str | None = Field(None, description="line faults: the machine (filler, capper...)")

    def label(self) -> str:
        name = self.tag or self.actuator or self.parameter or self.machine
        return f"{self.unit}/{name}" if name else self.unit


# -- what the plant offers as targets ---------------------------------------------------------
@dataclass(frozen=True)
class UnitTargets:
    """Fault targets of one unit (built from the unit by ``twin.faults.manager.plant_targets``)."""

    unit_type: str
    #: Measurement tag -> (lo, hi) engineering range: sensor faults.
    measurements: dict[str, tuple[float, float]] = field(default_factory=dict)
    #: Every tag: communication faults.
    tags: tuple[str, ...] = ()
    #: Actuator name -> description.
    actuators: dict[str, str] = field(default_factory=dict)
    #: Disturbance key -> (lo, hi, unit).
    disturbances: dict[str, tuple[float, float, str]] = field(default_factory=dict)
    #: Machine names (filling lines).
    machines: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlantTargets:
    units: dict[str, UnitTargets]


# -- what a fault kind sees of the running plant ----------------------------------------------
class FaultContext(Protocol):
    """One active fault on the running plant at one instant, as its kind sees it."""

    #: The fault's memory: the frozen value of a stuck or dropped-out sensor.
    held: float | bool | None

    @property
    def id(self) -> str:
        """The fault's id (log messages, its own random stream)."""
        ...

    @property
    def level(self) -> float:
        """Fraction of the magnitude reached now (the ramp)."""
        ...

    @property
    def elapsed_s(self) -> float:
        """Simulated seconds since the fault's scheduled start."""
        ...

    @property
    def dt_s(self) -> float:
        """The runtime's model step (one reading per step)."""
        ...

    @property
    def step(self) -> int:
        """The simulation step of the readings being published (a counter for :meth:`draws`)."""
        ...

    @property
    def unit(self) -> FaultHooks:
        """The target unit's fault hooks."""
        ...

    def measure(self, tag: str) -> float | bool:
        """The tag's reading now, as the sensor layer gives it (noise, no faults)."""
        ...

    def tag_range(self, tag: str) -> tuple[float, float]:
        """The tag's engineering range (lo, hi)."""
        ...

    def draws(self, counters: np.ndarray) -> np.ndarray:
        """Standard normal values of the fault's own stream, one per counter."""
        ...

    def drop_sessions(self, outage_s: float) -> None:
        """Close every OPC UA session and keep the server down for ``outage_s``."""
        ...


class FaultBase(BaseModel):
    """Fields every fault has; subclasses fix ``kind``, say what ``magnitude`` means and what they do.

    Every hook method does nothing here; a kind overrides the ones of the point it hooks.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    family: ClassVar[Family]
    #: Which ``Target`` field the kind needs (``None``: the unit alone).
    needs: ClassVar[str | None] = None
    #: Meaning and unit of the magnitude, for error messages and the console.
    magnitude_help: ClassVar[str] = ""
    #: Whether ``magnitude`` is required.
    needs_magnitude: ClassVar[bool] = True
    #: When the fault changes readings: 0 the value (sensor), 1 the status over it (comm); None never.
    reading_stage: ClassVar[int | None] = None

    id: str | None = Field(None, pattern=r"^[A-Za-z0-9_.\-]{1,60}$", description="set on injection if absent")
    target: Target
    magnitude: float | None = None
    start_s: float = Field(0.0, ge=0, description="delay after injection / scenario start, simulated seconds")
    ramp_s: float = Field(0.0, ge=0, description="linear ramp to full magnitude, simulated seconds")
    duration_s: float | None = Field(None, gt=0, description="active time after start; null = until cleared")
    note: str = Field("", max_length=500, description="instructor's note (hidden from students when hidden)")

    @model_validator(mode="after")
    def _shape(self, info: ValidationInfo) -> FaultBase:
        if self.needs_magnitude and self.magnitude is None:
            raise ValueError(f"{self.kind_name()}: 'magnitude' is required ({self.magnitude_help})")
        needed = self.needs
        if needed is not None and getattr(self.target, needed) is None:
            raise ValueError(f"{self.kind_name()}: target needs '{needed}'")
        plant = (info.context or {}).get("plant") if info is not None else None
        if isinstance(plant, PlantTargets):
            self.check(plant)
        return self

    @classmethod
    def kind_name(cls) -> str:
        return str(cls.model_fields["kind"].default)

    def describe(self) -> str:
        mag = "" if self.magnitude is None else f" {self.magnitude:g}"
        return f"{self.kind_name()}{mag} on {self.target.label()}"

    # -- against the plant ---------------------------------------------------------------------
    def check(self, plant: PlantTargets) -> None:
        """Raise ``ValueError`` if the target does not exist or the magnitude is not physical."""
        t = self.target
        if t.unit not in plant.units:
            raise ValueError(f"unknown unit {t.unit!r}; units: {', '.join(plant.units)}")
        self.check_unit(plant.units[t.unit])

    def check_unit(self, unit: UnitTargets) -> None:
        """The kind's own check of its target on its unit (the unit exists)."""

    # -- on the running plant --------------------------------------------------------------------
    def on_start(self, ctx: FaultContext) -> None:
        """Once, when the fault goes active (before the first :meth:`drive`)."""

    def drive(self, ctx: FaultContext) -> None:
        """Before every model step while active: set the hooks for ``ctx.level``."""

    def undo(self, ctx: FaultContext) -> None:
        """Restore nominal behaviour (the fault is cleared, or its duration is over)."""

    def on_end(self, ctx: FaultContext) -> None:
        """Its duration is over: by default the same as being cleared."""
        self.undo(ctx)

    def apply_readings(self, readings: dict[str, Reading], ctx: FaultContext) -> None:
        """Change one unit's readings in place (only kinds with a ``reading_stage``)."""

    def frozen_tags(self, tags: Iterable[str]) -> list[str]:
        """Tags whose SourceTimestamp stays at the fault's start while it is active."""
        return []

    def moves_process(self, unit: FaultHooks) -> bool:
        """Whether the fault changes what ``unit`` does, not only what is read (its events say so)."""
        return self.family not in ("sensor", "comm")


class DisturbanceFault(FaultBase):
    """A fault that sets the unit disturbance of its name (``kind``, or ``kind.<parameter>``)."""

    def place(self) -> str | None:
        """Which of the unit's places, when it has several (``jacket`` of ``fouling.jacket``)."""
        return self.target.parameter

    def disturbance_key(self) -> str:
        """``fouling`` + parameter ``jacket`` -> ``fouling.jacket``; line faults use the machine."""
        place = self.place()
        return f"{self.kind_name()}.{place}" if place else self.kind_name()

    def check_unit(self, unit: UnitTargets) -> None:
        kind, key = self.kind_name(), self.disturbance_key()
        if key not in unit.disturbances:
            options = [k for k in unit.disturbances if k == kind or k.startswith(kind + ".")]
            kinds = sorted({k.split(".")[0] for k in unit.disturbances})
            hint = (
                f"valid for {kind}: {', '.join(options)} (set target.parameter to the part after the dot)"
                if options
                else f"{unit.unit_type} units support: {', '.join(kinds)}"
            )
            raise ValueError(f"{kind}: {self.target.unit} ({unit.unit_type}) has no {key!r}; {hint}")
        lo, hi, eu = unit.disturbances[key]
        mag = self.magnitude
        if mag is not None and not lo <= mag <= hi:
            raise ValueError(
                f"{kind} on {self.target.label()}: magnitude {mag} outside its physical range {lo:g} to {hi:g} {eu}"
            )

    def drive(self, ctx: FaultContext) -> None:
        dist, key = ctx.unit.disturbances, self.disturbance_key()
        nominal = dist.specs[key].nominal
        dist.set(key, nominal + (float(self.magnitude or 0.0) - nominal) * ctx.level)

    def undo(self, ctx: FaultContext) -> None:
        ctx.unit.disturbances.reset(self.disturbance_key())
