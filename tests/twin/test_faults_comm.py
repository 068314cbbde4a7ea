"""Communication faults, seen by a real asyncua client through the twin's OPC UA server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from asyncua import Client, ua
from conftest import free_port, serving

from models.mps_pa import MpsPaStation
from twin.clock import SimClock
from twin.faults.service import TwinControl
from twin.opcua_server import NAMESPACE_URI
from twin.runtime import TwinRuntime


@pytest.fixture
async def twin() -> AsyncIterator[tuple[str, TwinRuntime, TwinControl]]:
    port = free_port()
    runtime = TwinRuntime({"mps-pa": MpsPaStation()}, clock=SimClock(speed=10.0), seed=1)
    control = TwinControl(runtime, site="lab", run_id="comm-test")
    async with serving(runtime, port) as endpoint:
        yield endpoint, runtime, control


async def _read(client: Client, tag: str) -> ua.DataValue:
    ns = await client.get_namespace_index(NAMESPACE_URI)
    return await client.get_node(ua.NodeId(f"mps-pa.{tag}", ns)).read_data_value(raise_on_bad_status=False)


async def test_bad_status_reaches_the_client_and_clears(twin: tuple[str, TwinRuntime, TwinControl]) -> None:
    endpoint, _, control = twin
    async with Client(endpoint) as client:
        assert (await _read(client, "B102_flow")).StatusCode.is_good()
        fault = control.inject(
            {"kind": "comm_status", "status": "bad_no_communication", "target": {"unit": "mps-pa", "tag": "B102_flow"}}
        )
        await asyncio.sleep(0.6)
        dv = await _read(client, "B102_flow")
        assert dv.StatusCode.value == ua.StatusCodes.BadNoCommunication
        assert (await _read(client, "B101_level")).StatusCode.is_good()  # only the targeted tag
        control.clear(fault["id"])
        await asyncio.sleep(0.6)
        assert (await _read(client, "B102_flow")).StatusCode.is_good()


async def test_uncertain_status_on_a_whole_unit(twin: tuple[str, TwinRuntime, TwinControl]) -> None:
    endpoint, _, control = twin
    async with Client(endpoint) as client:
        control.inject({"kind": "comm_status", "status": "uncertain", "target": {"unit": "mps-pa"}})
        await asyncio.sleep(0.6)
        for tag in ("B101_level", "B104_temperature"):
            assert (await _read(client, tag)).StatusCode.is_uncertain()


async def test_frozen_timestamp_while_values_move(twin: tuple[str, TwinRuntime, TwinControl]) -> None:
    endpoint, _, control = twin
    async with Client(endpoint) as client:
        control.inject({"kind": "comm_frozen_timestamp", "target": {"unit": "mps-pa", "tag": "B101_level"}})
        await asyncio.sleep(0.5)
        first = await _read(client, "B101_level")
        other_first = await _read(client, "B104_temperature")
        await asyncio.sleep(1.0)
        second = await _read(client, "B101_level")
        other_second = await _read(client, "B104_temperature")
        assert first.Value.Value != second.Value.Value  # the noisy level still changes
        assert first.SourceTimestamp == second.SourceTimestamp  # but its timestamp is stuck
        assert other_second.SourceTimestamp > other_first.SourceTimestamp
