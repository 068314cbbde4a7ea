"""OPC UA identities and instructor methods: a real server on a free port, real asyncua clients."""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from asyncua import Client, ua
from conftest import free_port

from config_schema.files import ConfigError
from models.mps_pa import MpsPaStation
from twin.clock import SimClock
from twin.faults.scenarios import SCENARIO_DIR
from twin.faults.service import TwinControl
from twin.opcua_server import NAMESPACE_URI, TwinOpcUaServer
from twin.opcua_users import OpcUaUser, load_users, verify_password
from twin.runtime import TwinRuntime

REPO = Path(__file__).resolve().parents[2]
INSTRUCTOR_PW = "instructor-pw-1"
STUDENT_PW = "student-pw-1"
BIAS = {"kind": "sensor_bias", "target": {"unit": "mps-pa", "tag": "B101_level"}, "magnitude": 3.0}

SCENARIO = """
title: {en: Level bias, fr: Biais de niveau}
units: [mps-pa]
duration_s: 600
hidden: true
faults:
  - {kind: sensor_bias, target: {unit: mps-pa, tag: B101_level}, magnitude: 1.5, start_s: 0}
"""


@dataclass
class Twin:
    endpoint: str
    runtime: TwinRuntime
    control: TwinControl
    server: TwinOpcUaServer

    def url(self, user: str | None = None, password: str | None = None) -> str:
        host = self.endpoint.removeprefix("opc.tcp://")
        return f"opc.tcp://{user}:{password}@{host}" if user else self.endpoint


@contextlib.asynccontextmanager
async def run_twin(
    users: dict[str, OpcUaUser] | None, allow_anonymous: bool = True, scenario_dir: Path | None = None
) -> AsyncIterator[Twin]:
    port = free_port()
    runtime = TwinRuntime({"mps-pa": MpsPaStation()}, clock=SimClock(speed=10.0), seed=1)
    control = TwinControl(runtime, site="lab", scenario_dir=scenario_dir or SCENARIO_DIR)
    control.bind_loop(asyncio.get_running_loop())
    endpoint = f"opc.tcp://127.0.0.1:{port}/"
    stop = asyncio.Event()
    server = TwinOpcUaServer(
        endpoint, on_write=runtime.write, users=users, allow_anonymous=allow_anonymous, control=control
    )
    async with server:
        for name, slot in runtime.slots.items():
            await server.add_unit(name, slot.unit.unit_type, slot.specs, runtime.readings(name))
        runtime.publishers.append(server.publish)
        control.manager.session_drop_handlers.append(server.drop_sessions)  # as gmp_twin.roles does
        await server.start()
        task = asyncio.create_task(runtime.run(stop))
        try:
            yield Twin(endpoint, runtime, control, server)
        finally:
            stop.set()
            await task


@pytest.fixture
async def twin(tmp_path: Path) -> AsyncIterator[Twin]:
    (tmp_path / "level-bias.yaml").write_text(SCENARIO)
    users = load_users(instructor_password=INSTRUCTOR_PW, student_password=STUDENT_PW)
    async with run_twin(users, scenario_dir=tmp_path) as t:
        yield t


async def _instructor(client: Client) -> Any:
    ns = await client.get_namespace_index(NAMESPACE_URI)
    return client.get_node(ua.NodeId("Twin.Instructor", ns))


async def _call(client: Client, method: str, *args: Any) -> Any:
    obj = await _instructor(client)
    return await obj.call_method(ua.NodeId(f"Twin.Instructor.{method}", obj.nodeid.NamespaceIndex), *args)


def _variant(value: Any) -> ua.Variant:
    return ua.Variant(value, ua.VariantType.Boolean if isinstance(value, bool) else ua.VariantType.String)


async def _raw_call(client: Client, method: str, *args: Any) -> ua.CallMethodResult:
    """Call without raising, to see per-argument results and diagnostics."""
    obj = await _instructor(client)
    request = ua.CallMethodRequest(
        ObjectId=obj.nodeid,
        MethodId=ua.NodeId(f"Twin.Instructor.{method}", obj.nodeid.NamespaceIndex),
        InputArguments=[_variant(a) for a in args],
    )
    return (await client.uaclient.call([request]))[0]


async def test_only_an_instructor_may_inject_and_list_faults(twin: Twin) -> None:
    async with Client(twin.url("student", STUDENT_PW)) as student:
        with pytest.raises(ua.uaerrors.BadUserAccessDenied):
            await _call(student, "InjectFault", json.dumps(BIAS), False)
        with pytest.raises(ua.uaerrors.BadUserAccessDenied):
            await _call(student, "ListFaults")
        with pytest.raises(ua.uaerrors.BadUserAccessDenied):
            await _call(student, "StartScenario", "level-bias", False)
    async with Client(twin.endpoint) as anonymous:
        with pytest.raises(ua.uaerrors.BadUserAccessDenied):
            await _call(anonymous, "InjectFault", json.dumps(BIAS), False)
        with pytest.raises(ua.uaerrors.BadUserAccessDenied):
            await _call(anonymous, "ClearFault", "F1")
    assert twin.control.faults("instructor") == []  # nothing got through

    async with Client(twin.url("instructor", INSTRUCTOR_PW)) as instructor:
        fault_id = await _call(instructor, "InjectFault", json.dumps(BIAS), True)
        assert fault_id == "F1"
        faults = json.loads(await _call(instructor, "ListFaults"))
        # Live from the next model step on.
        assert [(f["id"], f["kind"], f["hidden"]) for f in faults] == [("F1", "sensor_bias", True)]
        assert faults[0]["state"] in ("pending", "active")
        assert await _call(instructor, "ClearFault", "F1") is True
        assert await _call(instructor, "ClearFault", "F1") is False  # already cleared
        assert json.loads(await _call(instructor, "ListFaults"))[0]["state"] == "cleared"


async def test_scenarios_start_and_stop_for_an_instructor(twin: Twin) -> None:
    async with Client(twin.url("instructor", INSTRUCTOR_PW)) as instructor:
        state = json.loads(await _call(instructor, "StartScenario", "level-bias", True))
        assert state["name"] == "level-bias" and state["hidden"] is True
        assert [f["kind"] for f in json.loads(await _call(instructor, "ListFaults"))] == ["sensor_bias"]
        with pytest.raises(ua.uaerrors.BadInvalidArgument):
            await _call(instructor, "StartScenario", "no-such-scenario", False)
        stopped = json.loads(await _call(instructor, "StopScenario"))
        assert stopped is None or stopped["state"] != "running"
    # A hidden scenario's fault never shows to students.
    assert twin.control.faults("student") == []


async def test_bad_arguments_are_invalid_with_the_reason(twin: Twin) -> None:
    bad = {
        "not json {": "not JSON",
        json.dumps({**BIAS, "kind": "sensor_wobble"}): "unknown fault kind 'sensor_wobble'",
        json.dumps({**BIAS, "target": {"unit": "reactor-9", "tag": "B101_level"}}): "unknown unit 'reactor-9'",
        json.dumps({**BIAS, "magnitude": 1e6}): "outside",
        "[1, 2]": "JSON object",
    }
    async with Client(twin.url("instructor", INSTRUCTOR_PW)) as instructor:
        for fault_json, reason in bad.items():
            with pytest.raises(ua.uaerrors.BadInvalidArgument):
                await _call(instructor, "InjectFault", fault_json, False)
            result = await _raw_call(instructor, "InjectFault", fault_json, False)
            assert result.StatusCode.value == ua.StatusCodes.BadInvalidArgument
            assert result.InputArgumentResults[0].value == ua.StatusCodes.BadInvalidArgument
            assert reason in result.InputArgumentDiagnosticInfos[0].AdditionalInfo
        result = await _raw_call(instructor, "ClearFault", "F42")
        assert result.StatusCode.value == ua.StatusCodes.BadInvalidArgument
        assert "no fault 'F42'" in result.InputArgumentDiagnosticInfos[0].AdditionalInfo
        # Wrong types and counts are refused before anything runs.
        typed = await _raw_call(instructor, "InjectFault", json.dumps(BIAS), "yes")
        assert typed.StatusCode.value == ua.StatusCodes.BadInvalidArgument
        assert typed.InputArgumentResults[1].value == ua.StatusCodes.BadTypeMismatch
        missing = await _raw_call(instructor, "InjectFault", json.dumps(BIAS))
        assert missing.StatusCode.value == ua.StatusCodes.BadArgumentsMissing
    assert twin.control.faults("instructor") == []


async def test_a_wrong_password_or_user_is_rejected_at_connect(twin: Twin) -> None:
    for user, password in [("instructor", "wrong"), ("student", INSTRUCTOR_PW), ("eve", "x"), ("instructor", "")]:
        with pytest.raises(ua.uaerrors.BadUserAccessDenied):
            async with Client(twin.url(user, password)):
                pass


async def test_students_and_anonymous_browse_read_and_write_setpoints(twin: Twin) -> None:
    for url in (twin.url("student", STUDENT_PW), twin.endpoint):
        async with Client(url) as client:
            ns = await client.get_namespace_index(NAMESPACE_URI)
            unit = await client.nodes.objects.get_child([f"{ns}:Plant", f"{ns}:mps-pa"])
            names = {(await c.read_browse_name()).Name for c in await unit.get_children()}
            assert {"B101_level", "level_sp"} <= names
            assert isinstance(await client.get_node(ua.NodeId("mps-pa.B101_level", ns)).read_value(), float)
            sp = client.get_node(ua.NodeId("mps-pa.level_sp", ns))
            await sp.write_value(ua.Variant(12.0, ua.VariantType.Double))
            assert twin.runtime.slots["mps-pa"].unit.read()["level_sp"] == pytest.approx(12.0)
            # The instructor object is browsable, but holds methods only: no fault state to read.
            instructor = await _instructor(client)
            classes = {await c.read_node_class() for c in await instructor.get_children()}
            assert classes == {ua.NodeClass.Method}


async def _mean_offset(client: Client, twin: Twin, n: int = 15) -> float:
    """Mean of (value the client reads - the unit's true level) over ``n`` reads."""
    ns = await client.get_namespace_index(NAMESPACE_URI)
    node = client.get_node(ua.NodeId("mps-pa.B101_level", ns))
    offsets = []
    for _ in range(n):
        await asyncio.sleep(0.21)  # a new publication each time
        offsets.append(await node.read_value() - twin.runtime.slots["mps-pa"].unit.read()["B101_level"])
    return statistics.fmean(offsets)


async def test_an_injected_sensor_bias_shifts_what_clients_read(twin: Twin) -> None:
    async with Client(twin.url("instructor", INSTRUCTOR_PW)) as instructor, Client(twin.endpoint) as reader:
        before = await _mean_offset(reader, twin)
        await _call(instructor, "InjectFault", json.dumps(BIAS), True)
        after = await _mean_offset(reader, twin)
    print(f"offset read - true level: before {before:+.3f} cm, after +3 cm bias {after:+.3f} cm")
    assert abs(before) < 0.5
    assert after - before == pytest.approx(3.0, abs=0.5)


async def test_without_an_instructor_every_method_call_is_refused() -> None:
    # No passwords, no file: the methods exist, nobody may call them, no login exists.
    async with run_twin(load_users()) as twin:
        async with Client(twin.endpoint) as anonymous:
            instructor = await _instructor(anonymous)
            assert len(await instructor.get_methods()) == 5
            with pytest.raises(ua.uaerrors.BadUserAccessDenied):
                await _call(anonymous, "ListFaults")
        with pytest.raises(ua.uaerrors.BadUserAccessDenied):
            async with Client(twin.url("instructor", "")):
                pass


async def test_anonymous_can_be_turned_off() -> None:
    users = load_users(student_password=STUDENT_PW)
    async with run_twin(users, allow_anonymous=False) as twin:
        with pytest.raises((ua.uaerrors.BadIdentityTokenRejected, ua.uaerrors.BadUserAccessDenied)):
            async with Client(twin.endpoint):
                pass
        async with Client(twin.url("student", STUDENT_PW)) as student:
            ns = await student.get_namespace_index(NAMESPACE_URI)
            assert isinstance(await student.get_node(ua.NodeId("mps-pa.B101_level", ns)).read_value(), float)


async def test_a_handler_called_outside_a_client_request_refuses(twin: Twin) -> None:
    # Defence in depth: the handler itself fails closed when it cannot tell who calls.
    node = twin.server.server.get_node(twin.server.instructor_methods["ListFaults"])
    parent = twin.server.server.get_node(ua.NodeId("Twin.Instructor", twin.server.ns))
    with pytest.raises(ua.uaerrors.BadUserAccessDenied):
        await parent.call_method(node)


async def test_a_session_drop_fault_disconnects_clients_who_reconnect_after(twin: Twin) -> None:
    lost = asyncio.Event()

    async def on_lost(exc: Exception) -> None:
        lost.set()

    async with Client(twin.endpoint, watchdog_intervall=0.5) as reader:
        reader.connection_lost_callback = on_lost
        ns = await reader.get_namespace_index(NAMESPACE_URI)
        level = reader.get_node(ua.NodeId("mps-pa.B101_level", ns))
        await level.read_value()
        async with Client(twin.url("instructor", INSTRUCTOR_PW)) as instructor:
            drop = {"kind": "comm_session_drop", "target": {"unit": "mps-pa"}, "duration_s": 2.0}
            await _call(instructor, "InjectFault", json.dumps(drop), False)
            t0 = asyncio.get_running_loop().time()
            await asyncio.wait_for(lost.wait(), timeout=5)
        with pytest.raises((ConnectionError, ua.UaError, OSError, TimeoutError)):
            await level.read_value()
    # While the server is down nobody connects; after the outage a new session works.
    with pytest.raises((ConnectionError, OSError, TimeoutError)):
        async with Client(twin.endpoint, timeout=1):
            pass
    for _ in range(50):
        await asyncio.sleep(0.2)
        with contextlib.suppress(ConnectionError, OSError, TimeoutError):
            async with Client(twin.endpoint, timeout=1) as again:
                ns = await again.get_namespace_index(NAMESPACE_URI)
                assert isinstance(await again.get_node(ua.NodeId("mps-pa.B101_level", ns)).read_value(), float)
                break
    else:
        pytest.fail("the server did not come back")
    outage = asyncio.get_running_loop().time() - t0
    print(f"server back after {outage:.2f} s (outage 2 s)")
    assert outage >= 1.8


# -- the users file and the hash helper ------------------------------------------------------------
def test_the_example_users_file_loads_and_its_passwords_verify() -> None:
    users = load_users(REPO / "config/opcua-users.example.yaml")
    assert {name: u.role for name, u in users.items()} == {"alice": "instructor", "bob": "student"}
    assert verify_password("alice-example-password", users["alice"].password_hash)
    assert not verify_password("bob-example-password", users["alice"].password_hash)


def test_environment_passwords_replace_file_users_and_are_only_kept_hashed() -> None:
    users = load_users(REPO / "config/opcua-users.example.yaml", instructor_password="pw-from-env")
    assert set(users) == {"alice", "bob", "instructor"}
    assert "pw-from-env" not in users["instructor"].password_hash
    assert verify_password("pw-from-env", users["instructor"].password_hash)


def test_a_bad_users_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    path.write_text("users:\n  - name: alice\n    role: teacher\n    password_hash: plain\n")
    with pytest.raises(ConfigError) as err:
        load_users(path)
    assert "users.yaml:3" in str(err.value) or "users.yaml:4" in str(err.value)
    entry = "  - {name: a, role: student, password_hash: 'scrypt$2$8$1$AAAA$AAAAAAAAAAAAAAAAAAAAAA=='}\n"
    path.write_text("users:\n" + entry + entry)
    with pytest.raises(ConfigError, match="listed twice"):
        load_users(path)


def test_the_hash_helper_prints_an_entry_that_loads(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "twin.opcua_users", "hash", "carol", "--role", "instructor", "--password-stdin"],
        input="carol-secret-9\n",
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    ).stdout
    assert "carol-secret-9" not in out
    path = tmp_path / "users.yaml"
    path.write_text("users:\n" + out)
    carol = load_users(path)["carol"]
    assert carol.role == "instructor" and verify_password("carol-secret-9", carol.password_hash)
