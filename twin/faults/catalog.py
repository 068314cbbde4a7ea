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
process    raman_out_of_calibration (a PAT model fault)           unit disturbances
line       jam                                                    ``FillingLine.jam``
line       microstop_rate, speed_loss, reject_surge, starved,     unit disturbances
           blocked
comm       comm_status, comm_frozen_timestamp, comm_session_drop  OPC UA publishing
========== ====================================================== ====================

Whether a target exists and a magnitude is physical depends on the plant, so that check is
:func:`check_fault` against :class:`PlantTargets` (also run by pydantic when the validation
context holds ``{"plant": PlantTargets}``).

Each kind is one class that holds its data and its behaviour (:mod:`twin.faults.base`), in
the module of its family: :mod:`~twin.faults.sensor_faults`, :mod:`~twin.faults.actuator_faults`,
:mod:`~twin.faults.process_faults`, :mod:`~twin.faults.line_faults`,
:mod:`~twin.faults.comm_faults`, :mod:`~twin.faults.pat_faults`. A new kind is a class there
plus its line in :data:`Fault`.

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
from typing import Annotated, Any, get_args

from pydantic import Field, TypeAdapter, ValidationError

from twin.faults.actuator_faults import HeaterFailure, PumpWear, ValveFault, ValveSticking, ValveStuck
from twin.faults.base import DisturbanceFault, Family, FaultBase, FaultContext, PlantTargets, Target, UnitTargets
from twin.faults.comm_faults import COMM_STATUS, CommFault, CommFrozenTimestamp, CommSessionDrop, CommStatus
from twin.faults.line_faults import Blocked, Jam, LineDisturbance, MicrostopRate, RejectSurge, SpeedLoss, Starved
from twin.faults.pat_faults import RamanOutOfCalibration
from twin.faults.process_faults import Contamination, FeedConcentration, Fouling, Leak
from twin.faults.sensor_faults import (
    SensorBias,
    SensorDrift,
    SensorDropout,
    SensorFault,
    SensorGain,
    SensorNoise,
    SensorSpikes,
    SensorStuck,
)

Fault = Annotated[
    SensorBias | SensorDrift | SensorNoise | SensorStuck | SensorSpikes | SensorDropout | SensorGain
    | ValveStuck | ValveSticking | PumpWear | HeaterFailure
    | Contamination | FeedConcentration | Fouling | Leak | RamanOutOfCalibration
    | Jam | MicrostopRate | SpeedLoss | RejectSurge | Starved | Blocked
    | CommStatus | CommFrozenTimestamp | CommSessionDrop,
    Field(discriminator="kind"),
]  # fmt: skip

#: Every kind by name, in the order of :data:`Fault`.
FAULT_TYPES: dict[str, type[FaultBase]] = {cls.kind_name(): cls for cls in get_args(get_args(Fault)[0])}

#: Fault kinds set through a unit disturbance of the same name (``kind`` or ``kind.parameter``).
DISTURBANCE_KINDS = frozenset(name for name, cls in FAULT_TYPES.items() if issubclass(cls, DisturbanceFault))

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


def check_fault(fault: FaultBase, plant: PlantTargets) -> None:
    """Raise ``ValueError`` if the target does not exist or the magnitude is not physical."""
    fault.check(plant)


__all__ = [
    "COMM_STATUS", "DISTURBANCE_KINDS", "FAULT_TYPES",
    "Blocked", "CommFault", "CommFrozenTimestamp", "CommSessionDrop", "CommStatus", "Contamination",
    "DisturbanceFault", "Family", "Fault", "FaultBase", "FaultContext", "FeedConcentration", "Fouling",
    "HeaterFailure", "Jam", "Leak", "LineDisturbance", "MicrostopRate", "PlantTargets", "PumpWear",
    "RamanOutOfCalibration",
    "RejectSurge", "SensorBias", "SensorDrift", "SensorDropout", "SensorFault", "SensorGain", "SensorNoise",
    "SensorSpikes", "SensorStuck", "SpeedLoss", "Starved", "Target", "UnitTargets", "ValveFault",
    "ValveSticking", "ValveStuck", "check_fault", "parse_fault",
]  # fmt: skip
