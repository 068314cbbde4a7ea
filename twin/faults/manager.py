"""Active faults on a running plant: timing, ramps, the hook each kind drives, and ground truth.

The :class:`FaultManager` is attached to a :class:`twin.runtime.TwinRuntime`. Before every
model step it moves each fault through its life (pending → active → ended) on the
simulation clock, so injecting on a paused plant works and takes effect on resume, and an
accelerated run behaves exactly as a real-time one. Process, wear and line faults set unit
disturbances; valve faults take over actuator hooks; sensor and communication faults
rewrite the readings (value, status, timestamp) between the sensor layer and OPC UA, so a
bias shifts the reading but not the process.

Every transition is an ``event`` point (``kind`` = ``fault_injected``, ``fault_started``,
``fault_ended``, ``fault_cleared``) with the run id: the ground truth ``gmp-twin score``
compares detector alarms with.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from historian.base import Point
from twin.faults.catalog import (
    DISTURBANCE_KINDS,
    FaultBase,
    PlantTargets,
    UnitTargets,
    check_fault,
    disturbance_key,
    parse_fault,
)
from twin.noise import gaussian
from twin.sensors import STATUS_EU_EXCEEDED, STATUS_GOOD, STATUS_SENSOR_FAILURE, Reading

if TYPE_CHECKING:
    from twin.faults.scenarios import ScenarioRunner
    from twin.runtime import TwinRuntime

log = logging.getLogger(__name__)

#: OPC UA status codes of ``comm_status``.
COMM_STATUS: dict[str, int] = {
    "bad": 0x80000000,  # Bad
    "bad_no_communication": 0x80310000,  # BadNoCommunication
    "uncertain": 0x40000000,  # Uncertain
    "uncertain_last_usable": 0x40900000,  # UncertainLastUsableValue
}

EventSink = Callable[[Sequence[Point]], None]
#: Called with the outage in seconds when a ``comm_session_drop`` starts.
SessionDropHandler = Callable[[float], Coroutine[Any, Any, None]]

State = Literal["pending", "active", "ended", "cleared"]

#: Sensor faults a unit's own logic sees when the tag feeds it (``unit.feedback``); extra
#: noise and spikes only reach the published reading (the logic filters them).
_FEEDBACK_KINDS = frozenset({"sensor_bias", "sensor_drift", "sensor_gain", "sensor_stuck", "sensor_dropout"})


@dataclass
class ActiveFault:
    """A fault injected into the plant and where it is in its life."""

    fault: FaultBase
    id: str
    injected_s: float
    hidden: bool = False
    scenario: str | None = None
    state: State = "pending"
    #: Sensor memory: the frozen value of a stuck sensor / a dropped-out one.
    held: float | bool | None = None
    #: Simulation time the fault went active (``None`` while pending).
    started_s: float | None = None
    ended_s: float | None = None

    @property
    def start_s(self) -> float:
        return self.injected_s + self.fault.start_s

    @property
    def end_s(self) -> float | None:
        return None if self.fault.duration_s is None else self.start_s + self.fault.duration_s

    def level(self, now_s: float) -> float:
        """Fraction of the magnitude reached (the ramp), 0 before start."""
        if now_s < self.start_s:
            return 0.0
        ramp = self.fault.ramp_s
        return 1.0 if ramp <= 0 else min(1.0, (now_s - self.start_s) / ramp)

    def view(self, now_s: float) -> dict[str, Any]:
        f = self.fault
        return {
            "id": self.id,
            "kind": f.kind_name(),
            "family": f.family,
            "target": f.target.model_dump(exclude_none=True),
            "magnitude": f.magnitude,
            "state": self.state,
            "hidden": self.hidden,
            "scenario": self.scenario,
            "injected_s": round(self.injected_s, 3),
            "start_s": round(self.start_s, 3),
            "end_s": None if self.end_s is None else round(self.end_s, 3),
            "level": round(self.level(now_s), 4) if self.state == "active" else 0.0,
            "description": f.describe(),
            "note": f.note,
            "fault": f.model_dump(mode="json", exclude_none=True),
        }


def plant_targets(runtime: TwinRuntime) -> PlantTargets:
    """What each unit of the runtime offers as fault targets."""
    units = {}
    for name, slot in runtime.slots.items():
        unit: Any = slot.unit
        dist = getattr(unit, "disturbances", None)
        acts = getattr(unit, "actuators", None)
        units[name] = UnitTargets(
            unit_type=unit.unit_type,
            measurements={s.name: (s.lo, s.hi) for s in slot.specs if s.kind == "measurement"},
            tags=tuple(s.name for s in slot.specs),
            actuators=dict(acts.names) if acts is not None else {},
            disturbances={k: (d.lo, d.hi, d.unit) for k, d in dist.specs.items()} if dist is not None else {},
            machines=tuple(getattr(unit, "machines", ())),
        )
    return PlantTargets(units)


class FaultManager:
    """Inject, clear and apply faults on one runtime.

    Parameters
    ----------
    runtime : TwinRuntime
        The plant; the manager installs itself as ``runtime.faults``.
    site : str
        ``site`` tag of the event points.
    run_id : str
        Identifies this run in the historian (``gmp-twin score --run``).
    sink : EventSink, optional
        Receives the event points (the bridge's durable outbox in ``gmp-twin run``).
    """

    def __init__(self, runtime: TwinRuntime, site: str = "", run_id: str = "", sink: EventSink | None = None) -> None:
        self.runtime = runtime
        self.site = site
        self.run_id = run_id
        self.sinks: list[EventSink] = [sink] if sink else []
        self.session_drop_handlers: list[SessionDropHandler] = []
        self.faults: dict[str, ActiveFault] = {}
        self.targets = plant_targets(runtime)
        self._ids = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()
        #: Called with the simulation time after the faults were updated (the scenario runner).
        self.on_update: list[Callable[[float], None]] = []
        self.scenarios: ScenarioRunner | None = None
        runtime.faults = self

    # -- injecting and clearing --------------------------------------------------------------
    def inject(
        self, fault: FaultBase | dict[str, Any], hidden: bool = False, scenario: str | None = None
    ) -> ActiveFault:
        """Validate ``fault`` against this plant and schedule it from now (simulation time)."""
        if not isinstance(fault, FaultBase):
            fault = parse_fault(fault, self.targets)
        else:
            check_fault(fault, self.targets)
        fid = fault.id or f"F{next(self._ids)}"
        while fid in self.faults and self.faults[fid].state in ("pending", "active"):
            if fault.id:
                raise ValueError(f"a fault with id {fid!r} is already active; clear it first or choose another id")
            fid = f"F{next(self._ids)}"
        now = self.runtime.clock.sim_time_s
        active = ActiveFault(fault, fid, now, hidden=hidden, scenario=scenario)
        self.faults[fid] = active
        self._event(active, "injected")
        log.info("fault %s injected: %s (starts at %.1f s)", fid, fault.describe(), active.start_s)
        # It goes live at the next model step: on a paused plant, when the clock moves again.
        return active

    def clear(self, fault_id: str, reason: str = "cleared") -> ActiveFault:
        """End a fault now and restore nominal behaviour; ``KeyError`` lists the known ids."""
        if fault_id not in self.faults:
            raise KeyError(f"no fault {fault_id!r}; faults: {', '.join(self.faults) or 'none'}")
        active = self.faults[fault_id]
        if active.state in ("pending", "active"):
            self._undo(active)
            active.state = "cleared"
            active.ended_s = self.runtime.clock.sim_time_s
            self._event(active, "cleared", reason=reason)
        return active

    def clear_all(self, scenario: str | None = None, reason: str = "cleared") -> list[str]:
        ids = [
            fid
            for fid, a in self.faults.items()
            if a.state in ("pending", "active") and (scenario is None or a.scenario == scenario)
        ]
        for fid in ids:
            self.clear(fid, reason)
        return ids

    def views(self, include_hidden: bool = True, live_only: bool = False) -> list[dict[str, Any]]:
        now = self.runtime.clock.sim_time_s
        return [
            a.view(now)
            for a in self.faults.values()
            if (include_hidden or not a.hidden) and (not live_only or a.state in ("pending", "active"))
        ]

    # -- the hooks ---------------------------------------------------------------------------
    def update(self, now_s: float) -> None:
        """Move faults through their life and drive unit hooks; called before every model step."""
        # Half a step of slack: the clock is a sum of steps, 3000 s may read 2999.9999999.
        eps = 0.5 * self.runtime.dt_s
        for active in self.faults.values():
            if active.state == "pending" and now_s >= active.start_s - eps:
                active.state = "active"
                active.started_s = now_s
                self._start(active)
                self._event(active, "started")
            if active.state != "active":
                continue
            end = active.end_s
            if end is not None and now_s >= end - eps:
                if active.fault.kind_name() != "jam":  # a jam's dwell, set at its start, ends it
                    self._undo(active)
                active.state = "ended"
                active.ended_s = now_s
                self._event(active, "ended")
                continue
            self._drive(active, now_s)
        for hook in self.on_update:
            hook(now_s)

    def _unit(self, active: ActiveFault) -> Any:
        return self.runtime.slots[active.fault.target.unit].unit

    def _start(self, active: ActiveFault) -> None:
        f, unit = active.fault, self._unit(active)
        kind = f.kind_name()
        if kind in ("sensor_stuck", "sensor_dropout") and f.target.tag is not None:
            # Frozen at the reading of the moment it starts, whoever reads it later.
            slot = self.runtime.slots[f.target.unit]
            active.held = slot.sensors.measure(unit.read(), self.runtime.steps)[f.target.tag][0]
        elif kind == "valve_stuck":
            unit.actuators.set(f.target.actuator, stuck=True)
        elif kind == "jam":
            try:
                unit.jam(f.target.machine, float(f.duration_s or 0.0))
            except ValueError as exc:  # the machine cannot be Held in its state (stopped, idle)
                log.warning("fault %s: %s", active.id, exc)
        elif kind == "comm_session_drop":
            outage = f.duration_s or 5.0
            for handler in self.session_drop_handlers:
                self._spawn(handler(outage))

    def _drive(self, active: ActiveFault, now_s: float) -> None:
        f, kind = active.fault, active.fault.kind_name()
        if kind in _FEEDBACK_KINDS and self._feedback(active) is not None:
            self._drive_feedback(active, now_s)
        elif kind in DISTURBANCE_KINDS:
            dist = self._unit(active).disturbances
            key = disturbance_key(f)
            nominal = dist.specs[key].nominal
            dist.set(key, nominal + (float(f.magnitude or 0.0) - nominal) * active.level(now_s))
        elif kind == "valve_sticking":
            deadband = float(f.magnitude or 0.0) * active.level(now_s)
            self._unit(active).actuators.set(f.target.actuator, deadband=deadband)

    def _feedback(self, active: ActiveFault) -> Any:
        """The unit's sensor feedback when the fault's tag feeds the unit's own logic, else None."""
        fb = getattr(self._unit(active), "feedback", None)
        return fb if fb is not None and active.fault.target.tag in fb.tags else None

    def _drive_feedback(self, active: ActiveFault, now_s: float) -> None:
        f, kind, fb = active.fault, active.fault.kind_name(), self._feedback(active)
        mag, lvl, tag = float(f.magnitude or 0.0), active.level(now_s), f.target.tag
        if kind == "sensor_bias":
            fb.set(tag, offset=mag * lvl)
        elif kind == "sensor_drift":
            fb.set(tag, offset=mag * (now_s - active.start_s) / 3600.0)
        elif kind == "sensor_gain":
            fb.set(tag, gain=1.0 + (mag - 1.0) * lvl)
        elif active.held is not None:  # stuck, dropout
            fb.set(tag, held=float(active.held))

    def _undo(self, active: ActiveFault) -> None:
        f, kind = active.fault, active.fault.kind_name()
        if active.state != "active":
            return
        unit = self._unit(active)
        if kind in _FEEDBACK_KINDS and self._feedback(active) is not None:
            self._feedback(active).clear(f.target.tag)
        if kind in DISTURBANCE_KINDS:
            unit.disturbances.reset(disturbance_key(f))
        elif kind in ("valve_stuck", "valve_sticking"):
            unit.actuators.clear(f.target.actuator)
        elif kind == "jam" and hasattr(unit, "clear_jam"):
            unit.clear_jam(f.target.machine)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        try:
            task = asyncio.get_running_loop().create_task(coro)
        except RuntimeError:  # no loop (offline run): nothing to drop
            coro.close()
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- readings -----------------------------------------------------------------------------
    def live(self, unit: str, family: str) -> list[ActiveFault]:
        return [
            a
            for a in self.faults.values()
            if a.state == "active" and a.fault.family == family and a.fault.target.unit == unit
        ]

    def apply_readings(self, unit: str, readings: dict[str, Reading], step: int) -> dict[str, Reading]:
        """Sensor and status faults on one unit's readings (a new dict; the input is not changed)."""
        sensor, comm = self.live(unit, "sensor"), self.live(unit, "comm")
        if not sensor and not comm:
            return readings
        now = self.runtime.clock.sim_time_s
        out = dict(readings)
        specs = self.runtime.slots[unit].sensors.specs
        for active in sensor:
            tag = active.fault.target.tag
            if tag is None or tag not in out:
                continue
            value, status = out[tag]
            spec = specs[tag]
            fb = self._feedback(active)
            if fb is not None and fb.tags[tag] and active.fault.kind_name() in _FEEDBACK_KINDS:
                # The unit publishes what its faulty analyser predicted: only the status is ours to set.
                if active.fault.kind_name() == "sensor_dropout":
                    out[tag] = (value, STATUS_SENSOR_FAILURE)
                continue
            new, new_status = self._sensor(active, float(value), status, now, step)
            if new_status != STATUS_SENSOR_FAILURE:
                if not spec.lo <= new <= spec.hi:
                    new_status = STATUS_EU_EXCEEDED  # the faulty transmitter saturates too
                new = min(max(new, spec.lo), spec.hi)
            out[tag] = (new, new_status)
        for active in comm:
            f: Any = active.fault
            if f.kind_name() != "comm_status":
                continue
            code = COMM_STATUS[f.status]
            for tag in [f.target.tag] if f.target.tag else list(out):
                if tag in out:
                    out[tag] = (out[tag][0], code)
        return out

    def _sensor(self, active: ActiveFault, value: float, status: int, now: float, step: int) -> tuple[float, int]:
        f = active.fault
        kind, mag, lvl = f.kind_name(), float(f.magnitude or 0.0), active.level(now)
        if kind == "sensor_bias":
            return value + mag * lvl, status
        if kind == "sensor_drift":
            return value + mag * (now - active.start_s) / 3600.0, status
        if kind == "sensor_gain":
            return value * (1.0 + (mag - 1.0) * lvl), status
        if kind == "sensor_noise":
            z = float(gaussian(_key(active.id, self.runtime.slots[f.target.unit].sensors.seed), np.array([step]))[0])
            return value + mag * lvl * z, status
        if kind == "sensor_spikes":
            rate: float = getattr(f, "rate_per_h", 60.0)
            key = _key(active.id, self.runtime.slots[f.target.unit].sensors.seed)
            u, sign = gaussian(key, np.array([2 * step, 2 * step + 1], dtype=np.uint64))
            # P(spike in one reading) from the rate and the reading period.
            p = min(1.0, rate * self.runtime.dt_s / 3600.0)
            return (value + math.copysign(mag * lvl, sign), status) if _phi(u) < p else (value, status)
        if kind in ("sensor_stuck", "sensor_dropout"):
            if active.held is None:
                active.held = value
            held = float(active.held)
            return held, (STATUS_SENSOR_FAILURE if kind == "sensor_dropout" else status)
        return value, status

    def timestamps(self, unit: str, readings: dict[str, Reading], now_ns: int) -> dict[int, dict[str, Reading]]:
        """Readings grouped by the SourceTimestamp to publish them with (frozen ones keep their start)."""
        frozen: dict[str, int] = {}
        for active in self.live(unit, "comm"):
            if active.fault.kind_name() != "comm_frozen_timestamp":
                continue
            started = active.started_s if active.started_s is not None else active.start_s
            ts = self.runtime.clock.epoch_ns + round(started * 1e9)
            for tag in [active.fault.target.tag] if active.fault.target.tag else list(readings):
                frozen[tag] = ts
        if not frozen:
            return {now_ns: readings}
        groups: dict[int, dict[str, Reading]] = {}
        for tag, reading in readings.items():
            groups.setdefault(frozen.get(tag, now_ns), {})[tag] = reading
        return groups

    # -- ground truth -------------------------------------------------------------------------
    def _event(self, active: ActiveFault, action: str, reason: str = "") -> None:
        f = active.fault
        fields: dict[str, float | int | str | bool] = {
            "fault_id": active.id,
            "fault_kind": f.kind_name(),
            "family": f.family,
            "target": f.target.label(),
            "tag": f.target.tag or "",
            "hidden": active.hidden,
            "scenario": active.scenario or "",
            "run_id": self.run_id,
            "message": f"{action}: {f.describe()}" + (f" ({reason})" if reason and reason != action else ""),
            "spec": f.model_dump_json(exclude_none=True),
        }
        if f.magnitude is not None:
            fields["magnitude"] = float(f.magnitude)
        point = Point(
            "event",
            {"site": self.site, "unit": f.target.unit, "kind": f"fault_{action}"},
            fields,
            self.runtime.clock.now_ns(),
        )
        for sink in self.sinks:
            sink([point])

    def emit(self, unit: str, kind: str, fields: dict[str, float | int | str | bool]) -> None:
        """Write another ground-truth event (scenario start/stop) through the same sinks."""
        point = Point(
            "event", {"site": self.site, "unit": unit, "kind": kind}, {**fields, "run_id": self.run_id},
            self.runtime.clock.now_ns(),
        )  # fmt: skip
        for sink in self.sinks:
            sink([point])

    # -- snapshot -----------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        return {
            "faults": self._fault_snapshot(),
            "scenario": self.scenarios.snapshot() if self.scenarios is not None else None,
        }

    def _fault_snapshot(self) -> list[dict[str, Any]]:
        return [
            {
                "id": a.id, "fault": a.fault.model_dump(mode="json"), "injected_s": a.injected_s, "hidden": a.hidden,
                "scenario": a.scenario, "state": a.state, "held": a.held, "started_s": a.started_s,
                "ended_s": a.ended_s,
            }
            for a in self.faults.values()
        ]  # fmt: skip

    def restore(self, snap: dict[str, Any] | None) -> None:
        """Faults as they were (the units' own hook state comes back with their snapshots)."""
        snap = snap or {}
        self.faults.clear()
        if self.scenarios is not None:
            self.scenarios.restore(snap.get("scenario"))
        for item in snap.get("faults", []):
            fault = parse_fault(item["fault"], self.targets)
            self.faults[item["id"]] = ActiveFault(
                fault, item["id"], float(item["injected_s"]), hidden=bool(item["hidden"]), scenario=item["scenario"],
                state=item["state"], held=item["held"], started_s=item["started_s"], ended_s=item["ended_s"],
            )  # fmt: skip
        numbers = [int(k[1:]) for k in self.faults if k[:1] == "F" and k[1:].isdigit()]
        self._ids = itertools.count(max(numbers, default=0) + 1)


def _key(fault_id: str, seed: int) -> int:
    # A stable per-fault stream (Python's hash() of str is salted per process).
    return (seed * 1_000_003 + sum((i + 1) * ord(c) for i, c in enumerate(fault_id))) & 0x7FFFFFFF


def _phi(z: float) -> float:
    """Standard normal CDF: turns a counter-based normal draw into a uniform."""
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


__all__ = ["COMM_STATUS", "STATUS_GOOD", "ActiveFault", "FaultManager", "plant_targets"]
