"""Shadow mode end to end: a real OPC UA server is the plant, the twin follows it live.

- **The plant**: the MPS PA station stepped by the twin runtime (sensor noise, seed 11) and
  served by a real asyncua server on a free port, at 40× real time; at 600 s of plant time its
  pump wears by 30 % (a ``pump_wear`` disturbance set on the plant's own model, which the level
  loop compensates by speeding the pump up).
- **The bridge**: the real OPC UA client, with a tag map of ``source: plc``, through its durable
  outbox into a real SQLite historian, exactly as for a real kit.
- **The shadow**: :meth:`gmp_twin.shadow_run.ShadowRun.follow` reads the plant's values back from
  that historian, steps its own model along them and writes ``source: sim`` points and its
  residual events there.

Nothing is timed against the wall clock: the test waits for plant time (with generous wall-time
limits) and checks what the historian holds. Which plant values the bridge catches depends on
timing, so the assertions are about the loop output, whose residual jumps by 6.5 % of range,
60 floors, when the pump wears.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from conftest import free_port

from analytics.shadow_report import load_shadow
from analytics.shadow_spc import ShadowSpcConfig
from config_schema.tagmap import tagmap_for_unit
from gmp_twin.shadow_run import ShadowRun
from gmp_twin.shadow_twin import ShadowTwin
from historian import open_historian
from historian.outbox import Outbox
from models.mps_pa import MpsPaStation
from plc_bridge.bridge import Bridge
from twin.clock import SimClock
from twin.opcua_server import NAMESPACE_URI, TwinOpcUaServer
from twin.runtime import TwinRuntime

NS = 1_000_000_000
SITE, UNIT = "lab", "mps-pa"
FAULT_S, END_S = 600.0, 780.0


async def until(condition: Callable[[], bool], what: str, limit_s: float = 120.0) -> None:
    deadline = time.monotonic() + limit_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def test_the_twin_in_shadow_flags_the_plants_worn_pump_live(tmp_path: Path) -> None:
    port = free_port()
    endpoint = f"opc.tcp://127.0.0.1:{port}/"
    plant = TwinRuntime({UNIT: MpsPaStation()}, clock=SimClock(speed=40.0), seed=11)
    tagmap = tagmap_for_unit(
        UNIT, MpsPaStation().tag_specs(), endpoint=endpoint, site=SITE, namespace_uri=NAMESPACE_URI
    ).model_copy(update={"source": "plc"})
    config = ShadowSpcConfig(window_s=20, settle_s=60, reference_s=400, clear_after_s=60)
    fault_ns = 0
    async with open_historian(f"sqlite:///{tmp_path}/h.sqlite") as historian:
        outbox = Outbox(tmp_path / "outbox.sqlite")
        bridge = Bridge(tagmap, outbox)
        shadow = ShadowRun(historian, ShadowTwin(MpsPaStation(), UNIT, SITE), config, "e2e")
        stop_bridge, stop_shadow, stop_plant = asyncio.Event(), asyncio.Event(), asyncio.Event()
        async with TwinOpcUaServer(endpoint, on_write=plant.write) as server:
            for name, slot in plant.slots.items():
                await server.add_unit(name, slot.unit.unit_type, slot.specs, plant.readings(name))
            plant.publishers.append(server.publish)
            await server.start()
            tasks = [
                asyncio.create_task(outbox.run_writer(historian, stop_bridge)),
                asyncio.create_task(bridge.run(stop_bridge)),
            ]
            await until(lambda: bridge.stats.connected, "the bridge to connect")
            # The shadow waits for the plant's first values, so it starts where the plant starts.
            follower = asyncio.create_task(shadow.follow(stop_shadow, poll_s=0.2))
            tasks.append(asyncio.create_task(plant.run(stop_plant)))
            await until(lambda: plant.clock.sim_time_s >= FAULT_S, "the plant to reach the fault time")
            plant.slots[UNIT].unit.disturbances.set("pump_wear", 0.3)
            fault_ns = plant.clock.now_ns()
            await until(lambda: plant.clock.sim_time_s >= END_S, "the plant to run past the fault")
            await until(
                lambda: shadow.result is not None and shadow.result.end_ns >= fault_ns + 120 * NS,
                "the shadow to follow the plant past the fault",
            )
            stop_shadow.set()
            result = await follower
            stop_plant.set()
            stop_bridge.set()
            await asyncio.gather(*tasks)
        outbox.close()

        assert bridge.stats.connects == 1 and bridge.stats.notifications > 1000
        raised = {str(p.fields["tag"]): p.time_ns for p in reversed(result.events) if p.tags["kind"] == "alarm_raised"}
        # The loop output's residual: no alarm before the pump wore, one within two windows after.
        assert "level_out" in raised, raised
        assert fault_ns - 20 * NS <= raised["level_out"] <= fault_ns + 40 * NS
        assert result.state["level_out"]["phase"] == "chart" and result.state["level_out"]["alarm"]
        ref = result.state["level_out"]["reference"]
        assert ref is not None and abs(ref["mean"]) < 0.5  # both loops agreed before
        assert result.refused == {}

        # What the historian holds: both sources side by side, and the run's events.
        start, stop = result.start_ns, result.end_ns + 1
        plc = await historian.raw_range(UNIT, "B101_level", start, stop, site=SITE, source="plc")
        sim = await historian.raw_range(UNIT, "B101_level", start, stop, site=SITE, source="sim")
        assert len(plc) > 50 and len(sim) >= (stop - start) // NS - 1
        report = await load_shadow(historian, SITE, UNIT, ["level_out", "B101_level"], start, stop, config)
        row = report.tags["level_out"].summary()
        assert row["reference_from"] == "run" and row["alarms_raised"] == 1 and row["last_z"] > 10
        assert [p.fields["run_id"] for p in report.started] == ["e2e"]
