"""HistoryRead on the twin's OPC UA server, served from a real SQLite historian.

The historian holds 5 minutes of ``B101_level`` (and a Boolean switch) written as the bridge
writes them; an asyncua client and a node-opcua client read them back over TCP.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asyncua import Client, ua
from conftest import free_port
from node_opcua import run_node_history

from historian import Historian, Point, open_historian
from models.mps_pa import MpsPaStation
from twin.clock import SimClock
from twin.opcua_history import CHUNK_NS
from twin.opcua_server import NAMESPACE_URI, TwinOpcUaServer
from twin.runtime import TwinRuntime

NS = 1_000_000_000
SITE = "lab"
STEP_NS = NS // 5  # 5 Hz, the plant's publish rate


@dataclass
class Served:
    url: str
    historian: Historian
    now_ns: int  # the rows cover the 5 minutes before it
    times: list[int]  # the B101_level rows, oldest first
    values: list[float]


def _t(time_ns: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=time_ns // 1000)


def _process(tag: str, value: float, time_ns: int, status: int = 0) -> Point:
    tags = {"site": SITE, "unit": "mps-pa", "tag": tag, "source": "sim"}
    return Point("process", tags, {"value": value, "status": status}, time_ns)


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    now = time.time_ns() // NS * NS  # whole seconds: datetimes keep microseconds
    times = [now - 300 * NS + i * STEP_NS for i in range(1500)]  # the last 5 minutes
    values = [10.0 + (i % 37) * 0.1 for i in range(len(times))]
    points = [_process("B101_level", v, t) for t, v in zip(times, values, strict=True)]
    points += [_process("S111_overflow", float(i % 2), now - (60 - i) * NS) for i in range(60)]
    points.append(_process("B101_level", 99.0, now - 3600 * NS, status=0x80000000))  # an hour ago, bad
    runtime = TwinRuntime({"mps-pa": MpsPaStation()}, clock=SimClock(speed=1.0), seed=1)
    url = f"opc.tcp://127.0.0.1:{free_port()}/"
    async with open_historian(f"sqlite:///{tmp_path}/h.sqlite") as historian:
        await historian.write(points)
        async with TwinOpcUaServer(url, on_write=runtime.write, historian=historian, site=SITE) as server:
            for name, slot in runtime.slots.items():
                await server.add_unit(name, slot.unit.unit_type, slot.specs, runtime.readings(name))
            await server.start()
            yield Served(url, historian, now, times, values)


async def _node(client: Client, tag: str) -> object:
    ns = await client.get_namespace_index(NAMESPACE_URI)
    return client.get_node(ua.NodeId(f"mps-pa.{tag}", ns))


async def _history(
    client: Client, tag: str, details: ua.ReadRawModifiedDetails | ua.ReadProcessedDetails, cont: bytes | None = None
) -> ua.HistoryReadResult:
    node = await _node(client, tag)
    rv = ua.HistoryReadValueId(NodeId=node.nodeid, ContinuationPoint=cont)  # type: ignore[attr-defined]
    params = ua.HistoryReadParameters(
        HistoryReadDetails=details, TimestampsToReturn=ua.TimestampsToReturn.Source, NodesToRead=[rv]
    )
    [result] = await client.uaclient.history_read(params)
    return result


def _raw(start: datetime, end: datetime, count: int = 0) -> ua.ReadRawModifiedDetails:
    return ua.ReadRawModifiedDetails(
        IsReadModified=False, StartTime=start, EndTime=end, NumValuesPerNode=count, ReturnBounds=False
    )


async def test_history_read_of_the_last_5_minutes_returns_the_historians_values(served: Served) -> None:
    end = _t(served.now_ns)
    async with Client(served.url) as client:
        node = await _node(client, "B101_level")
        assert (await node.read_attribute(ua.AttributeIds.Historizing)).Value.Value is True  # type: ignore[attr-defined]
        level = (await node.read_attribute(ua.AttributeIds.AccessLevel)).Value.Value  # type: ignore[attr-defined]
        assert level & ua.AccessLevel.HistoryRead.mask
        got = await node.read_raw_history(end - timedelta(minutes=5), end)  # type: ignore[attr-defined]
    assert [round(dv.SourceTimestamp.timestamp() * 1e3) for dv in got] == [round(t / 1e6) for t in served.times]
    assert [dv.Value.Value for dv in got] == served.values
    assert all(dv.StatusCode.is_good() for dv in got)


async def test_paging_backward_reads_and_booleans(served: Served) -> None:
    start, end = _t(served.times[0]), _t(served.now_ns)
    async with Client(served.url) as client:
        first = await _history(client, "B101_level", _raw(start, end, 1000))
        assert len(first.HistoryData.DataValues) == 1000 and first.ContinuationPoint
        rest = await _history(client, "B101_level", _raw(start, end, 1000), first.ContinuationPoint)
        assert len(rest.HistoryData.DataValues) == 500 and not rest.ContinuationPoint
        values = [dv.Value.Value for dv in first.HistoryData.DataValues + rest.HistoryData.DataValues]
        assert values == served.values

        newest = await _history(client, "B101_level", _raw(end, start, 3))  # StartTime > EndTime: backward
        assert [dv.Value.Value for dv in newest.HistoryData.DataValues] == served.values[::-1][:3]

        # An open start: the newest values up to EndTime, through a range far longer than a chunk.
        open_start = await _history(client, "B101_level", _raw(ua.get_win_epoch(), end, 2))
        assert [dv.Value.Value for dv in open_start.HistoryData.DataValues] == served.values[::-1][:2]

        # An hour back: one bad row, read through the coarse probe (the range is 60 chunks).
        hour = await _history(client, "B101_level", _raw(end - timedelta(hours=2), start))
        [bad] = hour.HistoryData.DataValues
        assert bad.StatusCode.value == 0x80000000
        assert (end - timedelta(hours=2) - start).total_seconds() * 1e9 < -CHUNK_NS

        pump = await _history(client, "S111_overflow", _raw(end - timedelta(minutes=2), end))
        assert [dv.Value.Value for dv in pump.HistoryData.DataValues] == [bool(i % 2) for i in range(60)]
        assert pump.HistoryData.DataValues[0].Value.VariantType == ua.VariantType.Boolean


async def test_processed_average_and_refusals(served: Served) -> None:
    start = _t(served.times[0])
    end = start + timedelta(seconds=60)
    details = ua.ReadProcessedDetails(
        StartTime=start,
        EndTime=end,
        ProcessingInterval=10_000.0,  # ms
        AggregateType=[ua.NodeId(ua.ObjectIds.AggregateFunction_Average)],
    )
    async with Client(served.url) as client:
        result = await _history(client, "B101_level", details)
        assert result.StatusCode.is_good()
        got = [dv.Value.Value for dv in result.HistoryData.DataValues]
        expected = [sum(served.values[i : i + 50]) / 50 for i in range(0, 300, 50)]  # 50 samples per 10 s
        assert got == pytest.approx(expected)

        details.AggregateType = [ua.NodeId(ua.ObjectIds.AggregateFunction_TimeAverage2)]
        result = await _history(client, "B101_level", details)
        assert result.StatusCode.value == ua.StatusCodes.BadAggregateNotSupported

        ns = await client.get_namespace_index(NAMESPACE_URI)
        rv = ua.HistoryReadValueId(NodeId=ua.NodeId("Plant", ns))
        params = ua.HistoryReadParameters(HistoryReadDetails=_raw(start, end), NodesToRead=[rv])
        [folder] = await client.uaclient.history_read(params)
        assert folder.StatusCode.value == ua.StatusCodes.BadHistoryOperationUnsupported


async def test_node_opcua_reads_the_last_5_minutes(served: Served) -> None:
    """The same HistoryRead by an independent client (node-opcua, installed by tests/node_opcua.py)."""
    end_ms = served.now_ns // 1_000_000
    got = await run_node_history(served.url, "mps-pa.B101_level", end_ms - 300_000, end_ms)
    assert got.get("status") == "Good", got
    assert got["times_ms"] == [t // 1_000_000 for t in served.times]
    assert got["values"] == served.values
