"""Sensor faults: the reading changes, and so does the process when the unit's own logic reads the sensor.

Each kind rewrites one measurement between the sensor layer and OPC UA (:meth:`SensorFault.reading`);
a faulty transmitter saturates at its range like a healthy one. When the tag also feeds the
unit's logic (:attr:`models.unit.FaultHooks.feedback`: every controlled variable, the load
probe that starts an autoclave's hold, the NIR that ends drying, the checkweigher), bias,
drift, gain, stuck and dropout reach the logic too, so the process follows the wrong value as
it would on a real plant: a pH probe drifting up makes the loop add less base, the real pH
falls and the reading stays on its setpoint. A dropout (status Bad) makes a controller hold
its output. Extra noise and spikes only reach the published reading (the logic filters them).

The error is added to the published reading once: by :meth:`SensorFault.reading` for a sensor
the model reports as it truly is, or by the model itself for an analyser it simulates (a
feedback tag whose ``read()`` already returns what the logic saw; then only the status is set
here).
"""

from __future__ import annotations

import math
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field

from models.disturbances import SensorFeedback
from models.unit import FaultHooks
from twin.faults.base import FaultBase, FaultContext, UnitTargets
from twin.sensors import STATUS_EU_EXCEEDED, STATUS_SENSOR_FAILURE, Reading


class SensorFault(FaultBase):
    """A fault on one measurement (``target.tag``)."""

    family = "sensor"
    needs = "tag"
    reading_stage = 0
    #: Whether the unit's own logic sees the fault when the tag feeds it.
    reaches_logic: ClassVar[bool] = True

    def magnitude_limits(self, span: float) -> tuple[float, float]:
        """The magnitudes that make sense for a tag whose range is ``span`` wide."""
        return -span, span

    def check_unit(self, unit: UnitTargets) -> None:
        kind, t = self.kind_name(), self.target
        if t.tag not in unit.measurements:
            raise ValueError(
                f"{kind}: {t.unit} has no measurement {t.tag!r}; measurements: {', '.join(unit.measurements) or 'none'}"
            )
        lo, hi = unit.measurements[t.tag]
        limits = self.magnitude_limits(hi - lo)
        mag = self.magnitude
        if mag is not None and not limits[0] <= mag <= limits[1]:
            raise ValueError(f"{kind} on {t.tag}: magnitude {mag} outside {limits[0]:g} to {limits[1]:g}")

    # -- the reading -----------------------------------------------------------------------------
    def reading(self, value: float, status: int, ctx: FaultContext) -> tuple[float, int]:
        """The faulty reading (value, status) from the healthy one."""
        return value, status

    def logic_status(self, status: int) -> int:
        """The status of a reading the unit already computed from the faulty sensor."""
        return status

    def apply_readings(self, readings: dict[str, Reading], ctx: FaultContext) -> None:
        tag = self.target.tag
        if tag is None or tag not in readings:
            return
        value, status = readings[tag]
        if self.reaches_logic and ctx.unit.feedback.tags.get(tag, False):
            # The unit publishes what its faulty analyser predicted: only the status is ours to set.
            readings[tag] = (value, self.logic_status(status))
            return
        new, new_status = self.reading(float(value), status, ctx)
        if new_status != STATUS_SENSOR_FAILURE:
            lo, hi = ctx.tag_range(tag)
            if not lo <= new <= hi:
                new_status = STATUS_EU_EXCEEDED  # the faulty transmitter saturates too
            new = min(max(new, lo), hi)
        readings[tag] = (new, new_status)

    # -- the unit's own logic ----------------------------------------------------------------------
    def moves_process(self, unit: FaultHooks) -> bool:
        """A sensor a controller or a sequencer reads: the fault moves the process (a detector on the
        manipulated variable, or on another tag of the unit, sees it too)."""
        return self.reaches_logic and self.target.tag in unit.feedback.tags

    def _feedback(self, ctx: FaultContext) -> SensorFeedback | None:
        fb = ctx.unit.feedback
        return fb if self.reaches_logic and self.target.tag in fb.tags else None

    def set_feedback(self, fb: SensorFeedback, tag: str, ctx: FaultContext) -> None:
        """Put the fault into what the unit's logic reads of ``tag`` (under the fault's id, ``ctx.id``)."""

    def drive(self, ctx: FaultContext) -> None:
        fb = self._feedback(ctx)
        if fb is not None and self.target.tag is not None:
            self.set_feedback(fb, self.target.tag, ctx)

    def undo(self, ctx: FaultContext) -> None:
        fb = self._feedback(ctx)
        if fb is not None:
            fb.clear(self.target.tag, key=ctx.id)


class SensorBias(SensorFault):
    kind: Literal["sensor_bias"] = "sensor_bias"
    magnitude_help = "offset added to the reading, in the tag's unit"

    def reading(self, value: float, status: int, ctx: FaultContext) -> tuple[float, int]:
        return value + float(self.magnitude or 0.0) * ctx.level, status

    def set_feedback(self, fb: SensorFeedback, tag: str, ctx: FaultContext) -> None:
        fb.set(tag, offset=float(self.magnitude or 0.0) * ctx.level, key=ctx.id)


class SensorDrift(SensorFault):
    kind: Literal["sensor_drift"] = "sensor_drift"
    magnitude_help = "drift rate of the reading, in the tag's unit per hour"

    def magnitude_limits(self, span: float) -> tuple[float, float]:
        return -10 * span, 10 * span

    def reading(self, value: float, status: int, ctx: FaultContext) -> tuple[float, int]:
        return value + float(self.magnitude or 0.0) * ctx.elapsed_s / 3600.0, status

    def set_feedback(self, fb: SensorFeedback, tag: str, ctx: FaultContext) -> None:
        fb.set(tag, offset=float(self.magnitude or 0.0) * ctx.elapsed_s / 3600.0, key=ctx.id)


class SensorNoise(SensorFault):
    kind: Literal["sensor_noise"] = "sensor_noise"
    magnitude_help = "extra noise standard deviation, in the tag's unit"
    reaches_logic = False

    def magnitude_limits(self, span: float) -> tuple[float, float]:
        return 0.0, span

    def reading(self, value: float, status: int, ctx: FaultContext) -> tuple[float, int]:
        z = float(ctx.draws(np.array([ctx.step]))[0])
        return value + float(self.magnitude or 0.0) * ctx.level * z, status


class _HeldSensor(SensorFault):
    """A sensor frozen at its reading of the moment the fault starts, whoever reads it later."""

    #: Whether the transmitter reports its failure (a controller then holds its output).
    failed: ClassVar[bool] = False

    def on_start(self, ctx: FaultContext) -> None:
        if self.target.tag is not None:
            ctx.held = ctx.measure(self.target.tag)

    def reading(self, value: float, status: int, ctx: FaultContext) -> tuple[float, int]:
        if ctx.held is None:
            ctx.held = value
        return float(ctx.held), self.logic_status(status)

    def set_feedback(self, fb: SensorFeedback, tag: str, ctx: FaultContext) -> None:
        if ctx.held is not None:
            fb.set(tag, held=float(ctx.held), failed=self.failed, key=ctx.id)


class SensorStuck(_HeldSensor):
    kind: Literal["sensor_stuck"] = "sensor_stuck"
    needs_magnitude = False
    magnitude_help = "none: the reading freezes at its value when the fault starts"


class SensorSpikes(SensorFault):
    kind: Literal["sensor_spikes"] = "sensor_spikes"
    magnitude_help = "spike height, in the tag's unit (sign chosen at random)"
    reaches_logic = False
    rate_per_h: float = Field(60.0, gt=0, le=36000, description="mean number of spikes per hour")

    def reading(self, value: float, status: int, ctx: FaultContext) -> tuple[float, int]:
        u, sign = ctx.draws(np.array([2 * ctx.step, 2 * ctx.step + 1], dtype=np.uint64))
        # P(spike in one reading) from the rate and the reading period.
        p = min(1.0, self.rate_per_h * ctx.dt_s / 3600.0)
        if _phi(u) < p:
            return value + math.copysign(float(self.magnitude or 0.0) * ctx.level, sign), status
        return value, status


class SensorDropout(_HeldSensor):
    kind: Literal["sensor_dropout"] = "sensor_dropout"
    needs_magnitude = False
    magnitude_help = "none: the last good value is held with status BadSensorFailure"
    failed = True

    def logic_status(self, status: int) -> int:
        return STATUS_SENSOR_FAILURE


class SensorGain(SensorFault):
    kind: Literal["sensor_gain"] = "sensor_gain"
    magnitude_help = "calibration gain on the reading (1.0 = nominal), 0.1 to 10"

    def magnitude_limits(self, span: float) -> tuple[float, float]:
        return 0.1, 10.0

    def reading(self, value: float, status: int, ctx: FaultContext) -> tuple[float, int]:
        return value * (1.0 + (float(self.magnitude or 0.0) - 1.0) * ctx.level), status

    def set_feedback(self, fb: SensorFeedback, tag: str, ctx: FaultContext) -> None:
        fb.set(tag, gain=1.0 + (float(self.magnitude or 0.0) - 1.0) * ctx.level, key=ctx.id)


def _phi(z: float) -> float:
    """Standard normal CDF: turns a counter-based normal draw into a uniform."""
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))
