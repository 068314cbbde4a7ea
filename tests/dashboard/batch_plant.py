"""A dryer and an autoclave simulated offline for the batch-report tests, with a hidden exercise.

The real :class:`twin.runtime.TwinRuntime` steps the models (1 s steps, real sensors) and its
real :class:`twin.faults.service.TwinControl` plays a hidden scenario (a heater failure on the
dryer, as an escape game would); what the twin would publish (every 10 s) and the fault and
scenario events it writes are returned as historian points, stamped from ``epoch_ns``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from config_schema.tagmap import TagMap
from historian import open_historian
from historian.base import Point
from twin.clock import SimClock
from twin.faults.service import TwinControl
from twin.plant import PlantConfig, build_plant, plant_tagmaps
from twin.runtime import TwinRuntime
from twin.sensors import Reading

SEC = 1_000_000_000
SITE = "lab"
PLANT = PlantConfig.model_validate(
    {
        "site": SITE,
        "units": [{"name": "dryer-1", "type": "fluid_bed_dryer"}, {"name": "autoclave-1", "type": "autoclave"}],
    }
)
#: The exercise: students must find that the heater lost power (hidden while it runs).
ESCAPE = """
title: {en: Slow drying, fr: Séchage lent}
briefing: {en: "Why is the batch late?", fr: "Pourquoi le lot est-il en retard ?"}
units: [dryer-1]
hidden: true
duration_s: 1500
faults:
  - {kind: heater_failure, target: {unit: dryer-1}, magnitude: 0.8, note: the heater lost 80 % of its power}
"""
RUN_ID = "run-report"


@dataclass
class Simulated:
    """What the plant stored: process points, events (the scenario's end apart) and the control."""

    process: list[Point]
    events: list[Point]
    scenario_end: list[Point]
    control: TwinControl
    tagmaps: list[TagMap]
    epoch_ns: int
    series: dict[tuple[str, str], list[tuple[int, float]]] = field(default_factory=dict)


def simulate(tmp_path: Path, epoch_ns: int, hours: float = 3.0, every_s: int = 10) -> Simulated:
    """Run the plant ``hours`` from ``epoch_ns``; the hidden scenario starts 10 min in."""
    library = tmp_path / "scenarios"
    library.mkdir(parents=True, exist_ok=True)
    (library / "slow-drying.yaml").write_text(ESCAPE)
    units = build_plant(PLANT)
    runtime = TwinRuntime(units, clock=SimClock(epoch_ns=epoch_ns), dt_s=1.0)
    events: list[Point] = []
    control = TwinControl(runtime, site=SITE, run_id=RUN_ID, sink=events.extend, scenario_dir=library)
    process: list[Point] = []

    async def publish(unit: str, readings: dict[str, Reading], time_ns: int) -> None:
        for tag, (value, status) in readings.items():
            tags = {"site": SITE, "unit": unit, "tag": tag, "source": "sim"}
            process.append(Point("process", tags, {"value": float(value), "status": int(status)}, time_ns))

    runtime.publishers.append(publish)

    async def run() -> None:
        await runtime.publish()
        for step in range(1, int(hours * 3600) + 1):
            runtime.step()
            if step == 600:
                control.start_scenario("slow-drying")
            if step % every_s == 0:
                await runtime.publish()

    asyncio.run(run())
    ends = [p for p in events if p.tags["kind"] in ("scenario_ended", "scenario_stopped")]
    sim = Simulated(
        process,
        [p for p in events if p not in ends],
        ends,
        control,
        plant_tagmaps(PLANT, units, "opc.tcp://127.0.0.1:4840"),
        epoch_ns,
    )
    for p in process:
        sim.series.setdefault((p.tags["unit"], p.tags["tag"]), []).append((p.time_ns, float(p.fields["value"])))
    return sim


def write(db: Path, points: list[Point]) -> None:
    """Write points into the SQLite historian at ``db``."""

    async def go() -> None:
        async with open_historian(f"sqlite:///{db}") as historian:
            await historian.write(points)

    asyncio.run(go())
