"""The twin runtime: steps the units on the simulation clock and publishes their readings.

The runtime runs on the event loop thread. Units are cheap to step, and keeping them on
one thread lets an OPC UA client write go straight into the unit without locks; long
accelerated runs are cut into slices that yield to the loop, so the server stays
responsive.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from models.unit import TagSpec, Unit
from twin.clock import SimClock, run_start_ns
from twin.sensors import Reading, SensorLayer

log = logging.getLogger(__name__)

#: Receives (unit, readings, time_ns) after every publish period.
Publisher = Callable[[str, dict[str, Reading], int], Awaitable[None]]


class FaultLayer(Protocol):
    """What the runtime asks of the faults on its plant (:class:`twin.faults.manager.FaultManager`).

    The runtime steps and publishes; the fault layer moves faults on before every step and
    rewrites what is published. Its state is part of the runtime's snapshot.
    """

    def update(self, now_s: float) -> None:
        """Before every model step, at simulation time ``now_s``: start, drive and end faults."""
        ...

    def apply_readings(self, unit: str, readings: dict[str, Reading], step: int) -> dict[str, Reading]:
        """One unit's readings as published (value and status); the input is not changed."""
        ...

    def timestamps(self, unit: str, readings: dict[str, Reading], now_ns: int) -> dict[int, dict[str, Reading]]:
        """The readings grouped by the SourceTimestamp to publish them with."""
        ...

    def snapshot(self) -> dict[str, Any]:
        """The faults' state as JSON-able data."""
        ...

    def restore(self, snap: dict[str, Any] | None) -> None:
        """Restore :meth:`snapshot` output (``None``: no faults)."""
        ...


@dataclass
class UnitSlot:
    """A unit, its tags and its sensors, under a name."""

    name: str
    unit: Unit
    specs: list[TagSpec]
    sensors: SensorLayer
    #: The unit is stepped every ``every`` runtime steps, by ``every * dt_s``.
    every: int = 1
    #: Last published value and simulation time of the tags that are not published every tick.
    sent: dict[str, tuple[float | bool, float]] = field(default_factory=dict)


def due_readings(
    slot: UnitSlot, readings: dict[str, Reading], sim_time_s: float, heartbeat_s: float
) -> dict[str, Reading]:
    """The readings to publish now, as a PLC would: a report-by-exception policy.

    Measurements go out every tick. Setpoints, modes and switches go out as soon as they
    change; outputs and states when they move by more than 1 % of their span. Everything
    is re-sent at least every ``heartbeat_s`` with a fresh timestamp, so a client that
    triggers on timestamps sees that a constant value is still current.
    """
    out: dict[str, Reading] = {}
    for spec in slot.specs:
        value, status = readings[spec.name]
        if spec.kind == "measurement":
            out[spec.name] = (value, status)
            continue
        last = slot.sent.get(spec.name)
        if last is None or sim_time_s - last[1] >= heartbeat_s:
            changed = True
        elif spec.kind in ("setpoint", "mode", "switch"):
            changed = value != last[0]
        else:
            changed = abs(float(value) - float(last[0])) > 0.01 * (spec.hi - spec.lo)
        if changed:
            out[spec.name] = (value, status)
            slot.sent[spec.name] = (value, sim_time_s)
    return out


class TwinRuntime:
    """Steps every unit by ``dt_s`` and publishes readings every ``publish_period_s`` (wall).

    Parameters
    ----------
    units : dict[str, Unit]
        Units by name (the name is the OPC UA object and the historian ``unit`` tag).
    unit_dt_s : dict[str, float], optional
        A coarser step for some units (a whole multiple of ``dt_s``): a 230 h bioreactor
        batch needs 1 s steps, not the 0.1 s of the MPS PA level loop.
    clock : SimClock
        Simulated time, speed and pause.
    dt_s : float
        Model step in simulated seconds.
    publish_period_s : float
        Wall-clock period between two publications of readings.
    heartbeat_s : float
        Simulated period at which unchanged non-measurement tags are re-sent.
    seed : int
        Seed of the sensor noise (each unit gets its own stream).
    """

    def __init__(
        self,
        units: dict[str, Unit],
        clock: SimClock | None = None,
        dt_s: float = 0.1,
        publish_period_s: float = 0.2,
        seed: int = 0,
        heartbeat_s: float = 1.0,
        unit_dt_s: dict[str, float] | None = None,
    ) -> None:
        if dt_s <= 0 or publish_period_s <= 0:
            raise ValueError("dt_s and publish_period_s must be > 0")
        self.clock = clock or SimClock()
        self.dt_s = dt_s
        self.publish_period_s = publish_period_s
        self.heartbeat_s = heartbeat_s
        self.slots: dict[str, UnitSlot] = {}
        for i, (name, unit) in enumerate(units.items()):
            specs = unit.tag_specs()
            every = 1
            if unit_dt_s and name in unit_dt_s:
                every = round(unit_dt_s[name] / dt_s)
                if every < 1 or abs(every * dt_s - unit_dt_s[name]) > 1e-9:
                    raise ValueError(f"unit {name!r}: dt_s {unit_dt_s[name]} must be a whole multiple of {dt_s} s")
            self.slots[name] = UnitSlot(name, unit, specs, SensorLayer(specs, seed=seed * 1000 + i), every=every)
        self.publishers: list[Publisher] = []
        self.steps = 0
        self.behind_s = 0.0
        #: The fault layer, when faults may be injected (a fault manager installs itself here).
        self.faults: FaultLayer | None = None
        #: The historian's newest point when the run was set up (the role sets it): :meth:`run`
        #: starts the timeline after it, never behind an earlier run (see :func:`twin.clock.run_start_ns`).
        self.newest_stored_ns: int | None = None
        #: First timestamp of this run (set by :meth:`run`), the dashboard's "this run" range.
        self.run_start_ns: int | None = None

    def readings(self, name: str) -> dict[str, Reading]:
        slot = self.slots[name]
        readings = slot.sensors.measure(slot.unit.read(), self.steps)
        if self.faults is not None:
            readings = self.faults.apply_readings(name, readings, self.steps)
        return readings

    # -- instructor controls ----------------------------------------------------------
    def pause(self) -> None:
        self.clock.pause()

    def resume(self) -> None:
        self.clock.resume()

    def set_speed(self, speed: float) -> None:
        """Simulated seconds per wall second; ``math.inf`` = as fast as possible."""
        self.clock.set_speed(speed)

    async def single_step(self, n: int = 1) -> None:
        """Advance ``n`` model steps (normally while paused) and publish the result."""
        for _ in range(n):
            self.step()
        await self.publish()

    def snapshot(self) -> dict[str, Any]:
        """The whole plant state (units, clock, step counter) as JSON-able data."""
        return {
            "format": "gmp-twin-snapshot/1",
            "faults": self.faults.snapshot() if self.faults is not None else None,
            "sim_time_s": self.clock.sim_time_s,
            "steps": self.steps,
            "dt_s": self.dt_s,
            "seeds": {name: slot.sensors.seed for name, slot in self.slots.items()},
            "units": {
                name: {"type": slot.unit.unit_type, "state": slot.unit.snapshot()} for name, slot in self.slots.items()
            },
        }

    def restore(self, snap: dict[str, Any]) -> None:
        """Restore :meth:`snapshot` output; the plant must have the same units.

        The plant goes back to the snapshot's state, not the timeline: timestamps continue from
        the current instant (a restore never writes over values already stored).
        """
        if snap.get("format") != "gmp-twin-snapshot/1":
            raise ValueError("not a gmp-twin snapshot (missing format gmp-twin-snapshot/1)")
        if set(snap["units"]) != set(self.slots):
            raise ValueError(
                f"snapshot units {sorted(snap['units'])} differ from the plant's {sorted(self.slots)}; "
                "restore it with the plant file it was taken from"
            )
        if snap["dt_s"] != self.dt_s:
            raise ValueError(f"snapshot step {snap['dt_s']} s differs from the runtime's {self.dt_s} s")
        for name, data in snap["units"].items():
            slot = self.slots[name]
            if data["type"] != slot.unit.unit_type:
                raise ValueError(f"unit {name!r} is a {slot.unit.unit_type} here but a {data['type']} in the snapshot")
            slot.unit.restore(data["state"])
            slot.sensors.seed = int(snap["seeds"][name])
            slot.sent.clear()
        now_ns = self.clock.now_ns()
        self.clock.sim_time_s = float(snap["sim_time_s"])
        self.clock.start_at(now_ns)
        self.steps = int(snap["steps"])
        if self.faults is not None:
            self.faults.restore(snap.get("faults"))

    def save_snapshot(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.snapshot()))
        tmp.replace(path)  # atomic: a crash never leaves half a snapshot
        return path

    def load_snapshot(self, path: str | Path) -> None:
        path = Path(path)
        try:
            snap = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path}: cannot read snapshot ({exc})") from None
        self.restore(snap)

    def write(self, unit: str, tag: str, value: float) -> None:
        """Apply a write to a unit (raises KeyError / ValueError from the unit)."""
        if unit not in self.slots:
            raise KeyError(f"unknown unit {unit!r}; units: {', '.join(self.slots)}")
        self.slots[unit].unit.write(tag, value)

    def step(self) -> None:
        if self.faults is not None:
            self.faults.update(self.clock.sim_time_s)
        self.steps += 1
        for slot in self.slots.values():
            if self.steps % slot.every == 0:
                slot.unit.step(self.dt_s * slot.every)
        self.clock.advance(self.dt_s)

    async def publish(self) -> None:
        now_ns = self.clock.now_ns()
        for name, slot in self.slots.items():
            readings = due_readings(slot, self.readings(name), self.clock.sim_time_s, self.heartbeat_s)
            groups = {now_ns: readings} if self.faults is None else self.faults.timestamps(name, readings, now_ns)
            for time_ns, group in groups.items():
                for publisher in self.publishers:
                    await publisher(name, group, time_ns)

    async def run(self, stop: asyncio.Event, phase_s: float = 0.0) -> None:
        """Pace the simulation against the wall clock until ``stop`` is set.

        ``phase_s`` delays the first period: plants sharing one loop (a classroom's team
        plants) then tick one after another instead of all at once.
        """
        # Rebase the epoch so that, in real time, timestamps start at the wall time of the
        # first step rather than when the plant was built (set-up takes seconds), or after
        # the newest stored point when an earlier accelerated run left data ahead of the wall.
        start = run_start_ns(time.time_ns(), self.newest_stored_ns)
        self.clock.start_at(start)
        if self.run_start_ns is None:
            self.run_start_ns = start
        if start > time.time_ns() + 1_000_000_000:
            log.info(
                "the historian holds values up to %.0f s ahead of the wall clock (an accelerated run): "
                "this run's clock resumes after them (`gmp-twin reset` starts a clean run)",
                (start - time.time_ns()) / 1e9,
            )
        await self.publish()
        next_wall = time.monotonic() + phase_s
        sim_debt = 0.0
        while not stop.is_set():
            next_wall += self.publish_period_s
            if not self.clock.paused:
                speed = self.clock.speed
                budget = math.inf if math.isinf(speed) else self.publish_period_s * speed
                sim_debt += budget if not math.isinf(budget) else self.dt_s * 1000
                slice_end = time.monotonic() + 0.8 * self.publish_period_s
                while sim_debt >= self.dt_s - 1e-12 and time.monotonic() < slice_end:
                    self.step()
                    sim_debt -= self.dt_s
                if math.isinf(speed):
                    sim_debt = 0.0
                elif sim_debt > self.dt_s:
                    # Falling behind (CPU): drop the debt instead of bursting later.
                    self.behind_s += sim_debt
                    log.debug("simulation behind by %.3f s (sim)", sim_debt)
                    sim_debt = 0.0
                await self.publish()
            delay = next_wall - time.monotonic()
            if delay < -1.0:
                next_wall = time.monotonic()
            try:
                await asyncio.wait_for(stop.wait(), timeout=max(delay, 0.0))
            except TimeoutError:
                pass
