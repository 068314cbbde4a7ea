"""Per-tag deadbands reach the server's subscription: applied where it honours them, and the tag
collected without one (logged) where it refuses the filter. Against the twin's server, which
honours absolute and percent deadbands and refuses a deadband on a Boolean switch."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from conftest import free_port, serving
from plain_opcua_server import until

from config_schema.tagmap import Deadband, TagMap, tagmap_for_unit
from models.mps_pa import MpsPaStation
from plc_bridge.bridge import Bridge
from twin.opcua_server import NAMESPACE_URI
from twin.runtime import TwinRuntime


class Sink:
    def put(self, points: object) -> None:
        pass


def deadband_map(port: int) -> TagMap:
    tm = tagmap_for_unit(
        "mps-pa",
        MpsPaStation().tag_specs(),
        endpoint=f"opc.tcp://127.0.0.1:{port}",
        site="lab",
        namespace_uri=NAMESPACE_URI,
    )
    bands = {
        # Wider than the whole range: after the first value, nothing passes.
        "B101_level": Deadband(type="absolute", value=1000.0),
        "B103_pressure": Deadband(type="percent", value=100.0),
        # A Boolean switch: the server refuses a deadband on it.
        "B113_min": Deadband(type="absolute", value=0.5),
    }
    tags = [t.model_copy(update={"deadband": bands.get(t.name), "sampling_ms": 50.0}) for t in tm.tags]
    return tm.model_copy(update={"tags": tags})


async def test_deadbands_applied_or_dropped_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    port = free_port()
    runtime = TwinRuntime({"mps-pa": MpsPaStation()}, seed=3)
    async with serving(runtime, port):
        bridge = Bridge(deadband_map(port), Sink())
        stop = asyncio.Event()
        task = asyncio.create_task(bridge.run(stop))
        await until(lambda: bridge.stats.connected, what="connection")
        await until(lambda: bridge.stats.per_tag.get("B102_flow", 0) >= 30, limit_s=60, what="30 flow values")
        stop.set()
        await task
    per_tag = bridge.stats.per_tag
    assert bridge.stats.deadband_refused == ["B113_min"]
    assert per_tag.get("B113_min", 0) >= 1  # still collected, without the deadband
    assert per_tag["B101_level"] <= 2 and per_tag["B103_pressure"] <= 2  # the deadband held them back
    assert not bridge.stats.failed_tags
    refusals = [r.getMessage() for r in caplog.records if "deadband" in r.getMessage() and "B113_min" in r.getMessage()]
    assert len(refusals) == 1 and "tags[4]" in refusals[0]
