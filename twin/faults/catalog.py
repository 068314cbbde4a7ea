"""The fault catalog, as data: one frozen pydantic model per fault kind, one union of them all.

The same types validate scenario files, API bodies and OPC UA ``InjectFault`` arguments.
Every fault names a target (a unit plus a tag, an actuator, a disturbance or a machine), a
magnitude, when it starts (``start_s`` simulated seconds after it is injected or after its
scenario starts), a linear ``ramp_s`` up to full magnitude, and a ``duration_s`` (``None``:
until cleared). Each kind hooks one point of the loop:

========== ====================================================== ====================
family     kinds                                                  hook
========== ====================================================== ====================
sensor     sensor_bias, sensor_drift, sensor_noise, sensor_stuck,  sensor layer (reading)
           sensor_spikes, sensor_dropout, sensor_gain
actuator   valve_stuck, valve_sticking                            unit actuator hooks
actuator   pump_wear, heater_failure                              unit disturbances
process    contamination, feed_concentration, fouling, leak       unit disturbances
line       jam                                                    ``FillingLine.jam``
line       microstop_rate, speed_loss, reject_surge, starved,     unit disturbances
           blocked
comm       comm_status, comm_frozen_timestamp, comm_session_drop  OPC UA publishing
========== ====================================================== ====================

Whether a target exists and a magnitude is physical depends on the plant, so that check is
:func:`check_fault` against :class:`PlantTargets` (also run by pydantic when the validation
context holds ``{"plant": PlantTargets}``).

Examples
--------
>>> f = parse_fault({"kind": "sensor_bias", "target": {"unit": "mps-pa", "tag": "B101_level"}, "magnitude": 2})
>>> f.family, f.magnitude, f.duration_s
('sensor', 2.0, None)
>>> parse_fault({"kind": "sensor_wobble", "target": {"unit": "mps-pa"}})
Traceback (most recent call last):
...
ValueError: unknown fault kind 'sensor_wobble'; valid kinds: blocked, comm_frozen_timestamp, ...
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, ValidationInfo, model_validator

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


class FaultBase(BaseModel):
    """Fields every fault has; subclasses fix ``kind`` and say what ``magnitude`` means."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    family: ClassVar[Family]
    #: Which ``Target`` field the kind needs (``None``: the unit alone).
    needs: ClassVar[str | None] = None
    #: Meaning and unit of the magnitude, for error messages and the console.
    magnitude_help: ClassVar[str] = ""
    #: Whether ``magnitude`` is required.
    needs_magnitude: ClassVar[bool] = True

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
            check_fault(self, plant)
        return self

    @classmethod
    def kind_name(cls) -> str:
        return str(cls.model_fields["kind"].default)

    def describe(self) -> str:
        mag = "" if self.magnitude is None else f" {self.magnitude:g}"
        return f"{self.kind_name()}{mag} on {self.target.label()}"


# -- sensor faults (the reading, not the process) -------------------------------------------
class SensorBias(FaultBase):
    kind: Literal["sensor_bias"] = "sensor_bias"
    family = "sensor"
    needs = "tag"
    magnitude_help = "offset added to the reading, in the tag's unit"


class SensorDrift(FaultBase):
    kind: Literal["sensor_drift"] = "sensor_drift"
    family = "sensor"
    needs = "tag"
    magnitude_help = "drift rate of the reading, in the tag's unit per hour"


class SensorNoise(FaultBase):
    kind: Literal["sensor_noise"] = "sensor_noise"
    family = "sensor"
    needs = "tag"
    magnitude_help = "extra noise standard deviation, in the tag's unit"


class SensorStuck(FaultBase):
    kind: Literal["sensor_stuck"] = "sensor_stuck"
    family = "sensor"
    needs = "tag"
    needs_magnitude = False
    magnitude_help = "none: the reading freezes at its value when the fault starts"


class SensorSpikes(FaultBase):
    kind: Literal["sensor_spikes"] = "sensor_spikes"
    family = "sensor"
    needs = "tag"
    magnitude_help = "spike height, in the tag's unit (sign chosen at random)"
    rate_per_h: float = Field(60.0, gt=0, le=36000, description="mean number of spikes per hour")


class SensorDropout(FaultBase):
    kind: Literal["sensor_dropout"] = "sensor_dropout"
    family = "sensor"
    needs = "tag"
    needs_magnitude = False
    magnitude_help = "none: the last good value is held with status BadSensorFailure"


class SensorGain(FaultBase):
    kind: Literal["sensor_gain"] = "sensor_gain"
    family = "sensor"
    needs = "tag"
    magnitude_help = "calibration gain on the reading (1.0 = nominal), 0.1 to 10"


# -- actuator faults -------------------------------------------------------------------------
class ValveStuck(FaultBase):
    kind: Literal["valve_stuck"] = "valve_stuck"
    family = "actuator"
    needs = "actuator"
    needs_magnitude = False
    magnitude_help = "none: the actuator stays where it is while its command moves"


class ValveSticking(FaultBase):
    kind: Literal["valve_sticking"] = "valve_sticking"
    family = "actuator"
    needs = "actuator"
    magnitude_help = "deadband in the command's unit (usually %): the actuator moves only past it"


class PumpWear(FaultBase):
    kind: Literal["pump_wear"] = "pump_wear"
    family = "actuator"
    magnitude_help = "fraction of the pump's head lost, 0 to 0.9"


class HeaterFailure(FaultBase):
    kind: Literal["heater_failure"] = "heater_failure"
    family = "actuator"
    magnitude_help = "fraction of the heater's power lost, 0 to 1 (1 = failed)"


# -- process faults --------------------------------------------------------------------------
class Contamination(FaultBase):
    kind: Literal["contamination"] = "contamination"
    family = "process"
    magnitude_help = "fraction of the specific growth rate lost to a contaminant or inhibitor, 0 to 1"


class FeedConcentration(FaultBase):
    kind: Literal["feed_concentration"] = "feed_concentration"
    family = "process"
    magnitude_help = "relative error of the feed concentration, -0.9 to 1 (-0.2 = 20 % too dilute)"


class Fouling(FaultBase):
    kind: Literal["fouling"] = "fouling"
    family = "process"
    magnitude_help = "fraction of the heat-transfer (or kLa) coefficient lost, 0 to 0.95"


class Leak(FaultBase):
    kind: Literal["leak"] = "leak"
    family = "process"
    magnitude_help = "leak flow, in the unit's flow unit (l/min, l/h...)"


# -- line faults ------------------------------------------------------------------------------
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


class MicrostopRate(FaultBase):
    kind: Literal["microstop_rate"] = "microstop_rate"
    family = "line"
    needs = "machine"
    magnitude_help = "factor on the machine's micro-stop rate, 1 to 50"


class SpeedLoss(FaultBase):
    kind: Literal["speed_loss"] = "speed_loss"
    family = "line"
    needs = "machine"
    magnitude_help = "fraction of the machine's speed lost, 0 to 0.9"


class RejectSurge(FaultBase):
    kind: Literal["reject_surge"] = "reject_surge"
    family = "line"
    needs = "machine"
    magnitude_help = "extra fraction of units the machine rejects, 0 to 1"


class Starved(FaultBase):
    kind: Literal["starved"] = "starved"
    family = "line"
    magnitude_help = "fraction of the infeed supply lost, 0 to 1 (1 = no containers arrive)"


class Blocked(FaultBase):
    kind: Literal["blocked"] = "blocked"
    family = "line"
    magnitude_help = "fraction of the outfeed capacity lost, 0 to 1 (1 = nothing leaves the line)"


# -- communication faults ---------------------------------------------------------------------
class CommStatus(FaultBase):
    kind: Literal["comm_status"] = "comm_status"
    family = "comm"
    needs_magnitude = False
    magnitude_help = "none: see 'status'"
    status: Literal["bad", "uncertain", "bad_no_communication", "uncertain_last_usable"] = "bad"


class CommFrozenTimestamp(FaultBase):
    kind: Literal["comm_frozen_timestamp"] = "comm_frozen_timestamp"
    family = "comm"
    needs_magnitude = False
    magnitude_help = "none: SourceTimestamp stays at the fault's start while values go on"


class CommSessionDrop(FaultBase):
    kind: Literal["comm_session_drop"] = "comm_session_drop"
    family = "comm"
    needs_magnitude = False
    magnitude_help = "none: the OPC UA server closes every session and is down for duration_s (default 5 s)"


Fault = Annotated[
    SensorBias | SensorDrift | SensorNoise | SensorStuck | SensorSpikes | SensorDropout | SensorGain
    | ValveStuck | ValveSticking | PumpWear | HeaterFailure
    | Contamination | FeedConcentration | Fouling | Leak
    | Jam | MicrostopRate | SpeedLoss | RejectSurge | Starved | Blocked
    | CommStatus | CommFrozenTimestamp | CommSessionDrop,
    Field(discriminator="kind"),
]  # fmt: skip

FAULT_TYPES: dict[str, type[FaultBase]] = {
    cls.kind_name(): cls
    for cls in (
        SensorBias, SensorDrift, SensorNoise, SensorStuck, SensorSpikes, SensorDropout, SensorGain,
        ValveStuck, ValveSticking, PumpWear, HeaterFailure,
        Contamination, FeedConcentration, Fouling, Leak,
        Jam, MicrostopRate, SpeedLoss, RejectSurge, Starved, Blocked,
        CommStatus, CommFrozenTimestamp, CommSessionDrop,
    )
}  # fmt: skip

#: Fault kinds set through a unit disturbance of the same name (``kind`` or ``kind.parameter``).
DISTURBANCE_KINDS = frozenset(
    {"pump_wear", "heater_failure", "contamination", "feed_concentration", "fouling", "leak",
     "microstop_rate", "speed_loss", "reject_surge", "starved", "blocked"}
)  # fmt: skip

_ADAPTER: TypeAdapter[Fault] = TypeAdapter(Fault)


def parse_fault(data: Mapping[str, Any], plant: PlantTargets | None = None) -> FaultBase:
    """Validate plain data (YAML, JSON) as a fault; ``ValueError`` lists the valid options."""
    kind = data.get("kind") if isinstance(data, Mapping) else None
    if kind not in FAULT_TYPES:
        raise ValueError(f"unknown fault kind {kind!r}; valid kinds: {', '.join(sorted(FAULT_TYPES))}")
    try:
        fault: FaultBase = _ADAPTER.validate_python(data, context={"plant": plant} if plant else None)
    except ValidationError as exc:
        raise ValueError("; ".join(_error_text(e) for e in exc.errors())) from None
    return fault


def _error_text(err: Any) -> str:
    loc = ".".join(str(p) for p in err["loc"][1:] if not str(p).startswith("function-"))
    msg = str(err["msg"]).removeprefix("Value error, ")
    return f"{loc}: {msg}" if loc else msg


# -- what the plant offers as targets ---------------------------------------------------------
@dataclass(frozen=True)
class UnitTargets:
    """Fault targets of one unit (built from the unit by ``twin.faults.targets``)."""

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


def disturbance_key(fault: FaultBase) -> str:
    """``fouling`` + parameter ``jacket`` -> ``fouling.jacket``; line faults use the machine."""
    where = fault.target.machine if fault.family == "line" else fault.target.parameter
    return f"{fault.kind_name()}.{where}" if where else fault.kind_name()


def check_fault(fault: FaultBase, plant: PlantTargets) -> None:
    """Raise ``ValueError`` if the target does not exist or the magnitude is not physical."""
    kind, t = fault.kind_name(), fault.target
    if t.unit not in plant.units:
        raise ValueError(f"unknown unit {t.unit!r}; units: {', '.join(plant.units)}")
    u = plant.units[t.unit]
    mag = fault.magnitude
    if fault.family == "sensor":
        if t.tag not in u.measurements:
            raise ValueError(
                f"{kind}: {t.unit} has no measurement {t.tag!r}; measurements: {', '.join(u.measurements) or 'none'}"
            )
        lo, hi = u.measurements[t.tag]
        span = hi - lo
        limits = {"sensor_gain": (0.1, 10.0), "sensor_noise": (0.0, span), "sensor_drift": (-10 * span, 10 * span)}.get(
            kind, (-span, span)
        )
        if mag is not None and not limits[0] <= mag <= limits[1]:
            raise ValueError(f"{kind} on {t.tag}: magnitude {mag} outside {limits[0]:g} to {limits[1]:g}")
    elif kind in ("valve_stuck", "valve_sticking"):
        if t.actuator not in u.actuators:
            raise ValueError(
                f"{kind}: {t.unit} has no actuator {t.actuator!r}; actuators: {', '.join(u.actuators) or 'none'}"
            )
        if mag is not None and not 0.0 <= mag <= 50.0:
            raise ValueError(f"{kind}: deadband {mag} outside 0 to 50")
    elif kind in DISTURBANCE_KINDS:
        key = disturbance_key(fault)
        if fault.family == "line" and kind not in ("starved", "blocked") and t.machine not in u.machines:
            raise ValueError(f"{kind}: {t.unit} has no machine {t.machine!r}; machines: {', '.join(u.machines)}")
        if key not in u.disturbances:
            options = [k for k in u.disturbances if k == kind or k.startswith(kind + ".")]
            hint = (
                f"valid for {kind}: {', '.join(options)} (set target.parameter to the part after the dot)"
                if options
                else f"{u.unit_type} units support: {', '.join(sorted({k.split('.')[0] for k in u.disturbances}))}"
            )
            raise ValueError(f"{kind}: {t.unit} ({u.unit_type}) has no {key!r}; {hint}")
        lo, hi, unit = u.disturbances[key]
        if mag is not None and not lo <= mag <= hi:
            raise ValueError(
                f"{kind} on {t.label()}: magnitude {mag} outside its physical range {lo:g} to {hi:g} {unit}"
            )
    elif kind == "jam":
        if t.machine not in u.machines:
            raise ValueError(f"jam: {t.unit} has no machine {t.machine!r}; machines: {', '.join(u.machines) or 'none'}")
    elif fault.family == "comm" and t.tag is not None and t.tag not in u.tags:
        raise ValueError(f"{kind}: {t.unit} has no tag {t.tag!r}; tags: {', '.join(u.tags)}")
