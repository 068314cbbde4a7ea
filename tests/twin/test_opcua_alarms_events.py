"""The plant's alarms as OPC UA Alarms & Conditions events, acknowledged over OPC UA like on the dashboard.

A real monitoring service (one EWMA detector) raises an alarm; its outbox is the tee of
``gmp_twin.all_in_one.run_all``; an asyncua client subscribes to A&C events on the Server object,
sees the alarm, and acknowledges it as a student: the audit trail records ``alarm.ack`` by
her, the service's alarm is acknowledged, and a second event says so.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from asyncua import Client, ua
from conftest import free_port
from people import PASSWORDS, People

from analytics.detectors import DetectorsFile, parse_detector
from analytics.monitoring import MonitoringService
from historian import Historian, Point, open_historian
from models.mps_pa import MpsPaStation
from twin.faults.service import TwinControl
from twin.opcua_alarms import ACKNOWLEDGE, AlarmEventTee, PlantAlarms
from twin.opcua_server import TwinOpcUaServer
from twin.runtime import TwinRuntime

NS = 1_000_000_000


class ListQueue:
    """The monitoring service's outbox, in memory."""

    path = Path("memory")

    def __init__(self) -> None:
        self.points: list[Point] = []

    def put(self, points: Sequence[Point]) -> None:
        self.points.extend(points)

    async def run_writer(self, historian: Historian, stop_event: asyncio.Event) -> None:
        await stop_event.wait()

    async def flush(self, historian: Historian, timeout: float = 10.0) -> int:  # noqa: ASYNC109
        return 0

    def stats(self) -> dict[str, Any]:
        return {"pending": 0}


@dataclass
class Events:
    got: list[Any] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def event_notification(self, event: Any) -> None:
        self.got.append(event)
        self.changed.set()

    async def wait(self, count: int) -> list[Any]:
        async with asyncio.timeout(30):
            while len(self.got) < count:
                self.changed.clear()
                await self.changed.wait()
        return self.got


@dataclass
class Plant:
    url: str
    service: MonitoringService
    alarms: PlantAlarms


@pytest.fixture
async def plant(people: People, tmp_path: Path) -> AsyncIterator[Plant]:
    runtime = TwinRuntime({"mps-pa": MpsPaStation()}, seed=1)
    control = TwinControl(runtime, site="lab", audit=people.audit)
    detector = parse_detector(
        {"name": "lvl", "unit": "mps-pa", "tag": "B101_level", "method": "ewma", "mean": 0.0, "sigma": 1.0}
    )
    url = f"opc.tcp://127.0.0.1:{free_port()}/"
    async with open_historian(f"sqlite:///{tmp_path}/h.sqlite") as historian:
        service = MonitoringService(historian, [], DetectorsFile(detectors=[detector]), ListQueue(), site="lab")
        # As gmp_twin.roles.run_shared_plant wires them.
        alarms = PlantAlarms(acknowledge=service.acknowledge, audit=people.audit)
        service.outbox = AlarmEventTee(service.outbox, alarms.notify)
        server = TwinOpcUaServer(url, control=control, authenticator=people.authenticator, allow_anonymous=True)
        async with server:
            for name, slot in runtime.slots.items():
                await server.add_unit(name, slot.unit.unit_type, slot.specs, runtime.readings(name))
            await alarms.attach(server.server, server.ns, server.ruleset, server.source_node)
            await server.start()
            yield Plant(url, service, alarms)


def _raise(service: MonitoringService) -> None:
    t0 = time.time_ns()
    service.feed("mps-pa", {"B101_level": [(t0 + i * NS, 50.0, False) for i in range(5)]})
    assert service.alarm_view("lvl")["state"] == "unack_active"


async def _subscribe(client: Client) -> Events:
    events = Events()
    sub = await client.create_subscription(20, events)
    await sub.subscribe_alarms_and_conditions(client.nodes.server, ua.ObjectIds.AlarmConditionType)
    return events


async def test_an_alarm_is_an_event_and_a_student_acknowledges_it(plant: Plant, people: People) -> None:
    url = plant.url.replace("opc.tcp://", f"opc.tcp://sam:{PASSWORDS['sam']}@")
    async with Client(url) as client:
        events = await _subscribe(client)
        _raise(plant.service)
        [raised] = await events.wait(1)
        assert raised.ConditionName == "lvl"
        assert raised.SourceName == "mps-pa.B101_level"
        assert raised.Severity == 500  # medium
        assert raised.Retain is True
        assert getattr(raised, "ActiveState/Id") is True
        assert getattr(raised, "AckedState/Id") is False
        condition = client.get_node(raised.NodeId)
        assert (await condition.read_browse_name()).Name == "lvl"

        wrong = ua.Variant(b"not-an-event", ua.VariantType.ByteString)
        with pytest.raises(ua.UaStatusCodeError) as refused:
            await condition.call_method(ACKNOWLEDGE, wrong, ua.LocalizedText("checked"))
        assert refused.value.code == ua.StatusCodes.BadEventIdUnknown

        event_id = ua.Variant(raised.EventId, ua.VariantType.ByteString)
        await condition.call_method(ACKNOWLEDGE, event_id, ua.LocalizedText("level checked"))
        acked = (await events.wait(2))[1]
        assert getattr(acked, "AckedState/Id") is True and acked.ClientUserId == "sam"
        view = plant.service.alarm_view("lvl")
        assert (view["state"], view["acknowledged_by"], view["comment"]) == ("ack_active", "sam", "level checked")

        with pytest.raises(ua.UaStatusCodeError) as again:
            await condition.call_method(ACKNOWLEDGE, event_id, ua.LocalizedText("twice"))
        assert again.value.code == ua.StatusCodes.BadConditionBranchAlreadyAcked
    records = [r for r in people.audit.records() if r.action == "alarm.ack"]
    assert [(r.user, r.object, r.reason, r.status) for r in records][:1] == [
        ("sam", "alarm:lvl", "level checked", "Good")
    ]


async def test_an_anonymous_session_may_not_acknowledge(plant: Plant, people: People) -> None:
    async with Client(plant.url) as client:
        events = await _subscribe(client)
        _raise(plant.service)
        [raised] = await events.wait(1)
        condition = client.get_node(raised.NodeId)
        event_id = ua.Variant(raised.EventId, ua.VariantType.ByteString)
        with pytest.raises(ua.UaStatusCodeError) as refused:
            await condition.call_method(ACKNOWLEDGE, event_id, ua.LocalizedText("me"))
        assert refused.value.code == ua.StatusCodes.BadUserAccessDenied
    assert plant.service.alarm_view("lvl")["state"] == "unack_active"
    assert any(r.action == "access.denied" and r.object == "method:Acknowledge" for r in people.audit.records())
