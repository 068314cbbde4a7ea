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
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np

from historian.base import Point
from models.unit import FaultHooks, fault_hooks
from twin.faults.base import FaultBase, PlantTargets, UnitTargets
from twin.faults.catalog import parse_fault
from twin.faults.comm_faults import COMM_STATUS
from twin.noise import gaussian
from twin.runtime import TwinRuntime
from twin.sensors import STATUS_GOOD, Reading

log = logging.getLogger(__name__)

EventSink = Callable[[Sequence[Point]], None]
#: Called with the outage in seconds when a ``comm_session_drop`` starts.
SessionDropHandler = Callable[[float], Coroutine[Any, Any, None]]

State = Literal["pending", "active", "ended", "cleared"]


class ScenarioState(Protocol):
    """What the manager keeps of the scenario runner: its state, saved with the faults'."""

    def snapshot(self) -> dict[str, Any] | None: ...

    def restore(self, snap: dict[str, Any] | None) -> None: ...


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
        hooks = fault_hooks(slot.unit)
        units[name] = UnitTargets(
            unit_type=slot.unit.unit_type,
            measurements={s.name: (s.lo, s.hi) for s in slot.specs if s.kind == "measurement"},
            tags=tuple(s.name for s in slot.specs),
            actuators=dict(hooks.actuators.names),
            disturbances={k: (d.lo, d.hi, d.unit) for k, d in hooks.disturbances.specs.items()},
            machines=tuple(hooks.machines),
        )
    return PlantTargets(units)


class FaultManager:
    """Inject, clear and apply faults on one runtime.

    Satisfies :class:`twin.runtime.FaultLayer`: the runtime calls it before every model step
    and on every set of readings; what each fault does is its kind's own
    (:mod:`twin.faults.base`).

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
    team, class_run : str
        On a team's own plant (classroom mode): the team and the class's run id, added to every
        event's fields; empty on a plant every team shares.
    """

    def __init__(
        self,
        runtime: TwinRuntime,
        site: str = "",
        run_id: str = "",
        sink: EventSink | None = None,
        team: str = "",
        class_run: str = "",
    ) -> None:
        self.runtime = runtime
        self.site = site
        self.run_id = run_id
        self.team = team
        self.class_run = class_run
        self.sinks: list[EventSink] = [sink] if sink else []
        self.session_drop_handlers: list[SessionDropHandler] = []
        self.faults: dict[str, ActiveFault] = {}
        self.hooks: dict[str, FaultHooks] = {name: fault_hooks(slot.unit) for name, slot in runtime.slots.items()}
        self.targets = plant_targets(runtime)
        self._ids = itertools.count(1)
        self._last_ns = 0
        self._tasks: set[asyncio.Task[None]] = set()
        #: Called with the simulation time after the faults were updated (the scenario runner).
        self.on_update: list[Callable[[float], None]] = []
        #: The scenario runner, whose state is saved with the faults' (set by the runner).
        self.scenarios: ScenarioState | None = None
        runtime.faults = self

    # -- injecting and clearing --------------------------------------------------------------
    def inject(
        self, fault: FaultBase | dict[str, Any], hidden: bool = False, scenario: str | None = None
    ) -> ActiveFault:
        """Validate ``fault`` against this plant and schedule it from now (simulation time)."""
        if not isinstance(fault, FaultBase):
            fault = parse_fault(fault, self.targets)
        else:
            fault.check(self.targets)
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
            if active.state == "active":
                active.fault.undo(self._context(active, self.runtime.clock.sim_time_s))
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
                active.fault.on_start(self._context(active, now_s))
                self._event(active, "started")
            if active.state != "active":
                continue
            ctx = self._context(active, now_s)
            end = active.end_s
            if end is not None and now_s >= end - eps:
                active.fault.on_end(ctx)
                active.state = "ended"
                active.ended_s = now_s
                self._event(active, "ended")
                continue
            active.fault.drive(ctx)
        for hook in self.on_update:
            hook(now_s)

    def _context(self, active: ActiveFault, now_s: float, step: int = 0) -> _LiveFault:
        return _LiveFault(self, active, now_s, step)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        try:
            task = asyncio.get_running_loop().create_task(coro)
        except RuntimeError:  # no loop (offline run): nothing to drop
            coro.close()
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- readings -----------------------------------------------------------------------------
    def apply_readings(self, unit: str, readings: dict[str, Reading], step: int) -> dict[str, Reading]:
        """Sensor and status faults on one unit's readings (a new dict; the input is not changed)."""
        touching = [
            a
            for a in self.faults.values()
            if a.state == "active" and a.fault.reading_stage is not None and a.fault.target.unit == unit
        ]
        if not touching:
            return readings
        now = self.runtime.clock.sim_time_s
        out = dict(readings)
        # Stable sort: sensor faults first, in injection order, then statuses over them.
        for active in sorted(touching, key=lambda a: a.fault.reading_stage or 0):
            active.fault.apply_readings(out, self._context(active, now, step))
        return out

    def timestamps(self, unit: str, readings: dict[str, Reading], now_ns: int) -> dict[int, dict[str, Reading]]:
        """Readings grouped by the SourceTimestamp to publish them with (frozen ones keep their start)."""
        frozen: dict[str, int] = {}
        for active in self.faults.values():
            if active.state != "active" or active.fault.target.unit != unit:
                continue
            tags = active.fault.frozen_tags(readings)
            if not tags:
                continue
            started = active.started_s if active.started_s is not None else active.start_s
            ts = self.runtime.clock.epoch_ns + round(started * 1e9)
            for tag in tags:
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
            # A sensor fault on a controlled variable moves the process: scoring credits any detector of the unit.
            "moves_process": f.moves_process(self.hooks[f.target.unit]),
        }
        if f.magnitude is not None:
            fields["magnitude"] = float(f.magnitude)
        fields.update(self._team_fields())
        point = Point(
            "event",
            {"site": self.site, "unit": f.target.unit, "kind": f"fault_{action}"},
            fields,
            self._stamp(),
        )
        for sink in self.sinks:
            sink([point])

    def _stamp(self) -> int:
        """The plant clock, strictly after this plant's previous event.

        A historian keeps one point per series and instant (SQLite's key, InfluxDB's series +
        time): two reports filed at one instant of a paused clock would otherwise overwrite.
        """
        self._last_ns = max(self.runtime.clock.now_ns(), self._last_ns + 1)
        return self._last_ns

    def _team_fields(self) -> dict[str, str]:
        """``team`` / ``class_run`` of a team's own plant (none on a shared plant)."""
        return {k: v for k, v in (("team", self.team), ("class_run", self.class_run)) if v}

    def emit(self, unit: str, kind: str, fields: dict[str, float | int | str | bool]) -> None:
        """Write another ground-truth event (scenario start/stop, exercise events) through the same sinks.

        On a team's plant the event carries ``team`` and ``class_run`` (an explicit ``team`` in
        ``fields`` wins: a report names its own team).
        """
        point = Point(
            "event", {"site": self.site, "unit": unit, "kind": kind},
            {**self._team_fields(), **fields, "run_id": self.run_id}, self._stamp(),
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


class _LiveFault:
    """One active fault at one instant, as its kind sees the plant (a :class:`twin.faults.base.FaultContext`)."""

    __slots__ = ("_active", "_manager", "_now_s", "step")

    def __init__(self, manager: FaultManager, active: ActiveFault, now_s: float, step: int) -> None:
        self._manager = manager
        self._active = active
        self._now_s = now_s
        self.step = step

    @property
    def held(self) -> float | bool | None:
        return self._active.held

    @held.setter
    def held(self, value: float | bool | None) -> None:
        self._active.held = value

    @property
    def id(self) -> str:
        return self._active.id

    @property
    def level(self) -> float:
        return self._active.level(self._now_s)

    @property
    def elapsed_s(self) -> float:
        return self._now_s - self._active.start_s

    @property
    def dt_s(self) -> float:
        return self._manager.runtime.dt_s

    @property
    def unit(self) -> FaultHooks:
        return self._manager.hooks[self._active.fault.target.unit]

    def measure(self, tag: str) -> float | bool:
        runtime = self._manager.runtime
        slot = runtime.slots[self._active.fault.target.unit]
        return slot.sensors.measure(slot.unit.read(), runtime.steps)[tag][0]

    def tag_range(self, tag: str) -> tuple[float, float]:
        spec = self._manager.runtime.slots[self._active.fault.target.unit].sensors.specs[tag]
        return spec.lo, spec.hi

    def draws(self, counters: np.ndarray) -> np.ndarray:
        seed = self._manager.runtime.slots[self._active.fault.target.unit].sensors.seed
        return gaussian(_key(self._active.id, seed), counters)

    def drop_sessions(self, outage_s: float) -> None:
        for handler in self._manager.session_drop_handlers:
            self._manager._spawn(handler(outage_s))


def _key(fault_id: str, seed: int) -> int:
    # A stable per-fault stream (Python's hash() of str is salted per process).
    return (seed * 1_000_003 + sum((i + 1) * ord(c) for i, c in enumerate(fault_id))) & 0x7FFFFFFF


__all__ = ["COMM_STATUS", "STATUS_GOOD", "ActiveFault", "FaultManager", "ScenarioState", "plant_targets"]
