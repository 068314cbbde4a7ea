"""An independent, non-Python client: node-opcua logs in as a student and as an instructor.

The client and its installation are in ``tests/node_opcua.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conftest import free_port
from node_opcua import install_node_client, run_node_client
from people import PASSWORDS, People

from audit import verify
from models.mps_pa import MpsPaStation
from twin.clock import SimClock
from twin.faults.service import TwinControl
from twin.opcua_server import TwinOpcUaServer
from twin.runtime import TwinRuntime


@pytest.fixture(scope="module")
def node_client() -> Path:
    return install_node_client()


@pytest.fixture
async def endpoint(people: People) -> AsyncIterator[tuple[str, TwinControl]]:
    port = free_port()
    runtime = TwinRuntime({"mps-pa": MpsPaStation()}, clock=SimClock(speed=10.0), seed=1)
    control = TwinControl(runtime, site="lab", audit=people.audit)
    url = f"opc.tcp://127.0.0.1:{port}/"
    server = TwinOpcUaServer(url, control=control, authenticator=people.authenticator, allow_anonymous=False)
    async with server:
        for name, slot in runtime.slots.items():
            await server.add_unit(name, slot.unit.unit_type, slot.specs, runtime.readings(name))
        await server.start()
        yield url, control


async def test_node_opcua_student_writes_a_setpoint_is_refused_a_fault_instructor_injects(
    node_client: Path, endpoint: tuple[str, TwinControl], people: People
) -> None:
    url, control = endpoint
    unit = control.runtime.slots["mps-pa"].unit
    student = await run_node_client(node_client, url, "sam", PASSWORDS["sam"], 12.0)
    assert student == {"write": "Good", "inject": {"status": "BadUserAccessDenied", "output": []}}, student
    assert unit.read()["level_sp"] == 12.0
    assert control.faults("instructor") == []

    instructor = await run_node_client(node_client, url, "ines", PASSWORDS["ines"], 9.5)
    assert instructor == {"write": "Good", "inject": {"status": "Good", "output": ["F1"]}}, instructor
    assert [f["id"] for f in control.faults("instructor")] == ["F1"]
    assert unit.read()["level_sp"] == 9.5

    wrong = await run_node_client(node_client, url, "ines", "not-the-password", 1.0)
    assert "BadUserAccessDenied" in wrong["error"]
    assert len(control.faults("instructor")) == 1

    rows = [
        (r.user, r.action, r.object, r.old, r.new, r.status)
        for r in people.audit.query(newest_first=False)
        if r.via == "opcua"
    ]
    assert rows == [
        ("sam", "login", "user:sam", None, None, "Good"),
        ("sam", "tag.write", "mps-pa.level_sp", rows[1][3], 12.0, "Good"),
        ("sam", "access.denied", "method:InjectFault", None, None, "BadUserAccessDenied"),
        ("sam", "logout", "user:sam", None, None, "Good"),
        ("ines", "login", "user:ines", None, None, "Good"),
        ("ines", "tag.write", "mps-pa.level_sp", 12.0, 9.5, "Good"),
        ("ines", "fault.inject", "fault:sensor_bias", None, rows[6][4], "Good"),
        ("ines", "logout", "user:ines", None, None, "Good"),
        ("ines", "login.failed", "user:ines", None, None, "BadUserAccessDenied"),
    ]
    assert rows[6][4]["id"] == "F1"
    result = verify(people.audit.path)
    print(f"audit trail after the node-opcua sessions: {result}")
    assert result.ok and result.checked == len(people.audit.query(limit=10_000))
