"""What a subscriber of the twin's OPC UA server receives: deadbands, refused filters, timestamps.

Values are published by hand (no runtime running), so each test knows exactly what the server
saw; an asyncua client subscribes over TCP.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from asyncua import Client, ua
from conftest import free_port

from models.mps_pa import MpsPaStation
from twin.opcua_server import NAMESPACE_URI, TwinOpcUaServer
from twin.runtime import TwinRuntime

NS = 1_000_000_000
UNIT = "mps-pa"


@dataclass
class Handler:
    values: list[float] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def datachange_notification(self, node: Any, val: Any, data: Any) -> None:
        self.values.append(val)
        self.changed.set()


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, TwinOpcUaServer]]:
    runtime = TwinRuntime({UNIT: MpsPaStation()}, seed=1)
    url = f"opc.tcp://127.0.0.1:{free_port()}/"
    async with TwinOpcUaServer(url) as srv:
        for name, slot in runtime.slots.items():
            await srv.add_unit(name, slot.unit.unit_type, slot.specs, runtime.readings(name))
        await srv.start()
        yield url, srv


async def _publish(srv: TwinOpcUaServer, tag: str, values: list[float]) -> None:
    for v in values:
        await srv.publish(UNIT, {tag: (v, 0)}, time.time_ns())


def _status(result: int | ua.StatusCode) -> int:
    """asyncua's client gives the item's handle when created, else its status."""
    return result.value if isinstance(result, ua.StatusCode) else ua.StatusCodes.Good


async def _items(client: Client, tag: str, flt: Any) -> tuple[Handler, int]:
    """Create one monitored item with ``flt``; returns the handler and the item's status code."""
    ns = await client.get_namespace_index(NAMESPACE_URI)
    handler = Handler()
    sub = await client.create_subscription(20, handler)
    params = ua.MonitoringParameters(ClientHandle=1, SamplingInterval=0, QueueSize=100, Filter=flt)
    item = ua.MonitoredItemCreateRequest(
        ItemToMonitor=ua.ReadValueId(NodeId=ua.NodeId(f"{UNIT}.{tag}", ns), AttributeId=ua.AttributeIds.Value),
        MonitoringMode=ua.MonitoringMode.Reporting,
        RequestedParameters=params,
    )
    [result] = await sub.create_monitored_items([item])
    return handler, _status(result)


async def _settle(handler: Handler, count: int) -> list[float]:
    """The values received once ``count`` arrived (bounded wait), then a short quiet period."""
    async with asyncio.timeout(30):
        while len(handler.values) < count:
            handler.changed.clear()
            await handler.changed.wait()
    await asyncio.sleep(0.3)  # anything more would be a wrongly reported value
    return handler.values


def _filter(kind: ua.DeadbandType, value: float) -> ua.DataChangeFilter:
    return ua.DataChangeFilter(Trigger=ua.DataChangeTrigger.StatusValue, DeadbandType=kind, DeadbandValue=value)


async def _run(server: tuple[str, TwinOpcUaServer], tag: str, flt: Any, values: list[float], count: int) -> list[float]:
    url, srv = server
    await _publish(srv, tag, [values[0]])
    async with Client(url) as client:
        handler, result = await _items(client, tag, flt)
        assert result == ua.StatusCodes.Good, ua.StatusCode(result).name
        await _settle(handler, 1)  # the initial value
        await _publish(srv, tag, values[1:])
        return await _settle(handler, count)


async def test_absolute_deadband_compares_with_the_last_reported_value(server: tuple[str, TwinOpcUaServer]) -> None:
    # A slow ramp of 0.3 per step against a deadband of 1.0: reported every fourth step
    # (asyncua alone compares with the previous sample and would report nothing).
    ramp = [10.0 + 0.3 * i for i in range(13)]
    got = await _run(server, "B101_level", _filter(ua.DeadbandType.Absolute, 1.0), ramp, 4)
    assert got == pytest.approx([10.0, 11.2, 12.4, 13.6])


async def test_percent_deadband_uses_the_eu_range(server: tuple[str, TwinOpcUaServer]) -> None:
    _, srv = server
    spec = srv._specs[(UNIT, "B101_level")]
    step = (spec.hi - spec.lo) / 100  # 1 % of the EURange
    values = [20.0, 20.0 + 0.5 * step, 20.0 + 0.9 * step, 20.0 + 1.5 * step, 20.0 + 1.7 * step, 20.0]
    got = await _run(server, "B101_level", _filter(ua.DeadbandType.Percent, 1.0), values, 3)
    assert got == pytest.approx([20.0, 20.0 + 1.5 * step, 20.0])


async def test_no_deadband_reports_every_change(server: tuple[str, TwinOpcUaServer]) -> None:
    values = [1.0, 1.1, 1.2, 1.2, 1.3]
    got = await _run(server, "B101_level", _filter(ua.DeadbandType.None_, 0.0), values, 4)
    assert got == pytest.approx([1.0, 1.1, 1.2, 1.3])


@pytest.mark.parametrize(
    ("tag", "flt", "status"),
    [
        ("B101_level", _filter(ua.DeadbandType.Percent, 150.0), ua.StatusCodes.BadDeadbandFilterInvalid),
        ("B101_level", _filter(ua.DeadbandType.Absolute, -1.0), ua.StatusCodes.BadDeadbandFilterInvalid),
        ("level_sp", _filter(ua.DeadbandType.Percent, 5.0), ua.StatusCodes.Good),
        ("S111_overflow", _filter(ua.DeadbandType.Absolute, 1.0), ua.StatusCodes.BadFilterNotAllowed),
        (
            "B101_level",
            ua.AggregateFilter(
                StartTime=datetime.now(UTC),
                AggregateType=ua.NodeId(ua.ObjectIds.AggregateFunction_Average),
                ProcessingInterval=1000.0,
            ),
            ua.StatusCodes.BadMonitoredItemFilterUnsupported,
        ),
    ],
)
async def test_filters_the_server_cannot_honour_are_refused_per_item(
    server: tuple[str, TwinOpcUaServer], tag: str, flt: Any, status: int
) -> None:
    url, _ = server
    async with Client(url) as client:
        _, result = await _items(client, tag, flt)
    assert result == status, ua.StatusCode(result).name


async def test_percent_deadband_needs_an_eu_range(server: tuple[str, TwinOpcUaServer]) -> None:
    url, srv = server
    # A numeric variable without EURange: percent cannot apply, absolute can.
    await srv._plant.add_variable(ua.NodeId("plain", srv.ns), ua.QualifiedName("plain", srv.ns), 1.0)
    async with Client(url) as client:
        ns = await client.get_namespace_index(NAMESPACE_URI)
        sub = await client.create_subscription(20, Handler())
        results = []
        for flt in (_filter(ua.DeadbandType.Percent, 1.0), _filter(ua.DeadbandType.Absolute, 1.0)):
            item = ua.MonitoredItemCreateRequest(
                ItemToMonitor=ua.ReadValueId(NodeId=ua.NodeId("plain", ns), AttributeId=ua.AttributeIds.Value),
                MonitoringMode=ua.MonitoringMode.Reporting,
                RequestedParameters=ua.MonitoringParameters(ClientHandle=7, QueueSize=10, Filter=flt),
            )
            [result] = await sub.create_monitored_items([item])
            results.append(_status(result))
    assert results == [ua.StatusCodes.BadDeadbandFilterInvalid, ua.StatusCodes.Good]


async def test_server_timestamp_is_never_earlier_than_source_timestamp(server: tuple[str, TwinOpcUaServer]) -> None:
    url, srv = server
    async with Client(url) as client:
        ns = await client.get_namespace_index(NAMESPACE_URI)
        node = client.get_node(ua.NodeId(f"{UNIT}.B101_level", ns))
        # The runtime stamps a publish period ahead of the wall; an accelerated run far more.
        for ahead_s in (0.2, 3600.0):
            await srv.publish(UNIT, {"B101_level": (5.0, 0)}, time.time_ns() + int(ahead_s * NS))
            dv = await node.read_data_value()
            assert dv.ServerTimestamp >= dv.SourceTimestamp
        # A value stamped in the past (paused clock, frozen timestamps): the server's own clock.
        before = datetime.now(UTC)
        await srv.publish(UNIT, {"B101_level": (5.0, 0)}, time.time_ns() - 60 * NS)
        dv = await node.read_data_value()
        assert dv.ServerTimestamp >= before > dv.SourceTimestamp + timedelta(seconds=59)
