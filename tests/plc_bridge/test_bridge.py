"""The bridge against a real asyncua server over TCP, into a real SQLite historian."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from asyncua import Server, ua
from conftest import free_port, serving

from config_schema.tagmap import TagMap, tagmap_for_unit
from historian import open_historian
from historian.outbox import Outbox
from models.mps_pa import MpsPaStation
from plc_bridge.bridge import Bridge, WriteRefused
from twin.opcua_server import NAMESPACE_URI
from twin.runtime import TwinRuntime


async def wait_for(predicate, limit_s: float = 10.0, what: str = "condition") -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + limit_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def twin(port: int) -> AsyncIterator[TwinRuntime]:
    runtime = TwinRuntime({"mps-pa": MpsPaStation()}, seed=3)
    async with serving(runtime, port):
        yield runtime


def sim_tagmap(port: int, namespace_index: int = 2, **changes: object) -> TagMap:
    tm = tagmap_for_unit(
        "mps-pa",
        MpsPaStation().tag_specs(),
        endpoint=f"opc.tcp://127.0.0.1:{port}",
        site="lab",
        namespace_uri=NAMESPACE_URI,
        namespace_index=namespace_index,
    )
    return tm.model_copy(update=changes)


async def test_values_flow_into_the_historian(tmp_path: Path) -> None:
    port = free_port()
    async with open_historian(f"sqlite:///{tmp_path}/h.sqlite") as historian, twin(port):
        outbox = Outbox(tmp_path / "outbox.sqlite")
        bridge = Bridge(sim_tagmap(port), outbox)
        stop = asyncio.Event()
        tasks = [asyncio.create_task(bridge.run(stop)), asyncio.create_task(outbox.run_writer(historian, stop))]
        await wait_for(lambda: outbox.stats()["written_total"] > 100, what="100 points written")
        stop.set()
        await asyncio.gather(*tasks)
        latest = await historian.latest(site="lab", unit="mps-pa")
        tags = {key.tag for key in latest}
        assert {"B101_level", "B102_flow", "B103_pressure", "B104_temperature", "level_sp"} <= tags
        assert all(key.source == "sim" for key in latest)
        assert bridge.stats.dropped_notifications == 0
        outbox.close()


async def test_namespace_resolved_by_uri_not_by_index(tmp_path: Path) -> None:
    port = free_port()
    async with twin(port):
        outbox = Outbox(tmp_path / "outbox.sqlite")
        # The map was written when the namespace had index 7 (e.g. before a PLC reload); it is 2 now.
        bridge = Bridge(sim_tagmap(port, namespace_index=7), outbox)
        stop = asyncio.Event()
        task = asyncio.create_task(bridge.run(stop))
        await wait_for(lambda: "B101_level" in bridge.stats.latest, what="a level value")
        stop.set()
        await task
        assert bridge._node_ids["B101_level"].NamespaceIndex == 2
        outbox.close()


async def test_unreachable_server_is_retried_with_backoff_then_connects(tmp_path: Path) -> None:
    port = free_port()
    outbox = Outbox(tmp_path / "outbox.sqlite")
    bridge = Bridge(sim_tagmap(port), outbox, backoff_min_s=0.1, backoff_max_s=0.4, request_timeout_s=1.0)
    stop = asyncio.Event()
    task = asyncio.create_task(bridge.run(stop))
    await wait_for(lambda: bridge.stats.connect_failures >= 3, what="three failed connects")
    assert not task.done()  # reported, not crashed
    assert str(port) in (bridge.stats.last_error or "")
    async with twin(port):
        await wait_for(lambda: bridge.stats.connected, limit_s=15, what="connection once the server is up")
        await wait_for(lambda: "B101_level" in bridge.stats.latest, what="a value")
    stop.set()
    await task
    outbox.close()


async def test_server_restart_reconnects_and_records_a_gap(tmp_path: Path) -> None:
    port = free_port()
    outbox = Outbox(tmp_path / "outbox.sqlite")
    bridge = Bridge(sim_tagmap(port), outbox, backoff_min_s=0.1, backoff_max_s=0.5, request_timeout_s=1.0)
    stop = asyncio.Event()
    task = asyncio.create_task(bridge.run(stop))
    async with twin(port):
        await wait_for(lambda: bridge.stats.connected, what="first connection")
    async with twin(port):
        await wait_for(lambda: bridge.stats.connects >= 2, limit_s=20, what="reconnection")
        await wait_for(lambda: bridge.stats.gaps == 1, what="gap recorded")
    stop.set()
    await task
    async with open_historian(f"sqlite:///{tmp_path}/h.sqlite") as historian:
        await outbox.drain(historian)
        events = await historian.events(0, time.time_ns() + 10**9, kinds=["data_gap"])
    assert len(events) == 1
    assert float(events[0].fields["duration_s"]) > 0
    outbox.close()


async def test_writes_refused_unless_the_tag_map_allows_them(tmp_path: Path) -> None:
    port = free_port()
    async with twin(port) as runtime:
        outbox = Outbox(tmp_path / "outbox.sqlite")
        for allow, expect_ok in ((False, False), (True, True)):
            bridge = Bridge(sim_tagmap(port, allow_writes=allow), outbox)
            stop = asyncio.Event()
            task = asyncio.create_task(bridge.run(stop))
            await wait_for(lambda b=bridge: b.stats.connected, what="connection")  # type: ignore[misc]
            if expect_ok:
                await bridge.write("level_sp", 12.0)
                assert runtime.slots["mps-pa"].unit.read()["level_sp"] == pytest.approx(12.0)
                with pytest.raises(WriteRefused, match="measurement, not writable"):
                    await bridge.write("B101_level", 3.0)
                # A setpoint the browse found read-only on the server is refused before the wire.
                read_only = bridge.tagmap.by_name()["flow_sp"].model_copy(update={"access": "read"})
                bridge._tag_names["flow_sp"] = read_only
                before = runtime.slots["mps-pa"].unit.read()["flow_sp"]
                with pytest.raises(WriteRefused, match="read-only on the server"):
                    await bridge.write("flow_sp", before + 1.0)
                assert runtime.slots["mps-pa"].unit.read()["flow_sp"] == pytest.approx(before)
            else:
                with pytest.raises(WriteRefused, match="allow_writes: true"):
                    await bridge.write("level_sp", 12.0)
                assert runtime.slots["mps-pa"].unit.read()["level_sp"] == pytest.approx(15.0)
            stop.set()
            await task
        outbox.close()


async def test_server_queue_overflow_is_counted(tmp_path: Path) -> None:
    """A value flagged with the Overflow info bit means the server dropped older ones."""
    port = free_port()
    server = Server()
    await server.init()
    server.set_endpoint(f"opc.tcp://127.0.0.1:{port}/")
    ns = await server.register_namespace("urn:test")
    var = await server.nodes.objects.add_variable(ua.NodeId("x", ns), "x", 0.0)
    tm = TagMap.model_validate(
        {
            "endpoint": f"opc.tcp://127.0.0.1:{port}",
            "site": "lab",
            "unit": "u",
            "namespace_uri": "urn:test",
            "tags": [{"name": "x", "node": "ns=2;s=x"}],
        }
    )
    outbox = Outbox(tmp_path / "outbox.sqlite")
    bridge = Bridge(tm, outbox)
    stop = asyncio.Event()
    async with server:
        task = asyncio.create_task(bridge.run(stop))
        await wait_for(lambda: bridge.stats.notifications >= 1, what="initial value")
        overflow = ua.StatusCode(0x00000480)  # Good, InfoType DataValue, Overflow
        await server.write_attribute_value(
            var.nodeid, ua.DataValue(ua.Variant(1.0, ua.VariantType.Double), StatusCode=overflow)
        )
        await wait_for(lambda: bridge.stats.dropped_notifications == 1, what="overflow counted")
        stop.set()
        await task
    outbox.close()
