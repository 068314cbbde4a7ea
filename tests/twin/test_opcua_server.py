"""The twin's OPC UA server, read by a real asyncua client over TCP on a free port."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from asyncua import Client, ua
from conftest import free_port, serving

from models.mps_pa import MpsPaStation
from twin.clock import SimClock
from twin.engineering_units import unece_unit_id
from twin.opcua_server import NAMESPACE_URI
from twin.runtime import TwinRuntime


@pytest.fixture
async def running_twin() -> AsyncIterator[tuple[str, TwinRuntime]]:
    port = free_port()
    # Ten times real time so that a setpoint step shows within a couple of seconds.
    runtime = TwinRuntime({"mps-pa": MpsPaStation()}, clock=SimClock(speed=10.0), seed=1)
    async with serving(runtime, port) as endpoint:
        yield endpoint, runtime


async def _node(client: Client, tag: str) -> object:
    ns = await client.get_namespace_index(NAMESPACE_URI)
    return client.get_node(ua.NodeId(f"mps-pa.{tag}", ns))


async def test_browse_finds_loops_as_analog_items_with_units(running_twin: tuple[str, TwinRuntime]) -> None:
    endpoint, _ = running_twin
    async with Client(endpoint) as client:
        ns = await client.get_namespace_index(NAMESPACE_URI)
        plant = await client.nodes.objects.get_child([f"{ns}:Plant", f"{ns}:mps-pa"])
        children = {(await c.read_browse_name()).Name: c for c in await plant.get_children()}
        expected_units = {"B101_level": "CMT", "B102_flow": "L2", "B103_pressure": "MBR", "B104_temperature": "CEL"}
        for tag, code in expected_units.items():
            node = children[tag]
            typedef = await node.read_type_definition()
            assert typedef == ua.NodeId(ua.ObjectIds.AnalogItemType)
            eu = await (await node.get_child("0:EngineeringUnits")).read_value()
            assert eu.UnitId == unece_unit_id(code)
            rng = await (await node.get_child("0:EURange")).read_value()
            assert rng.Low < rng.High
            assert await node.read_data_type() == ua.NodeId(ua.ObjectIds.Double)


async def test_values_change_and_carry_simulation_timestamps(running_twin: tuple[str, TwinRuntime]) -> None:
    endpoint, runtime = running_twin
    async with Client(endpoint) as client:
        node = await _node(client, "B101_level")
        first = await node.read_data_value()
        await asyncio.sleep(0.5)
        second = await node.read_data_value()
        assert first.Value.Value != second.Value.Value  # noisy sensor, moving clock
        assert second.SourceTimestamp > first.SourceTimestamp
        # SourceTimestamp is the simulation clock (at x10 it runs ahead of the wall).
        sim_now = datetime.fromtimestamp(runtime.clock.now_ns() / 1e9, UTC)
        assert abs((sim_now - second.SourceTimestamp).total_seconds()) < 2.0


async def test_level_setpoint_write_moves_the_level(running_twin: tuple[str, TwinRuntime]) -> None:
    endpoint, runtime = running_twin
    async with Client(endpoint) as client:
        level = await _node(client, "B101_level")
        start = await level.read_value()
        sp = await _node(client, "level_sp")
        await sp.write_value(ua.Variant(start + 6.0, ua.VariantType.Double))
        assert runtime.slots["mps-pa"].unit.read()["level_sp"] == pytest.approx(start + 6.0)
        await asyncio.sleep(4.0)  # ~40 s of process time at x10
        assert await level.read_value() > start + 3.0


async def test_out_of_range_write_is_refused_with_status(running_twin: tuple[str, TwinRuntime]) -> None:
    endpoint, runtime = running_twin
    async with Client(endpoint) as client:
        sp = await _node(client, "level_sp")
        before = runtime.slots["mps-pa"].unit.read()["level_sp"]
        with pytest.raises(ua.uaerrors.BadOutOfRange):
            await sp.write_value(ua.Variant(500.0, ua.VariantType.Double))
        assert runtime.slots["mps-pa"].unit.read()["level_sp"] == before
        # Measurements are read-only.
        with pytest.raises(ua.uaerrors.BadUserAccessDenied):
            await (await _node(client, "B101_level")).write_value(ua.Variant(1.0, ua.VariantType.Double))


async def test_mode_is_a_writable_boolean(running_twin: tuple[str, TwinRuntime]) -> None:
    endpoint, runtime = running_twin
    async with Client(endpoint) as client:
        mode = await _node(client, "flow_mode")
        assert await mode.read_value() is False
        await mode.write_value(ua.Variant(True, ua.VariantType.Boolean))
        assert runtime.slots["mps-pa"].unit.read()["flow_mode"] == 1.0
