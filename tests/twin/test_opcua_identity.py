"""OPC UA identities from the users file, role by role, each action in the audit trail.

A real server on a free port, real asyncua clients, a real users file (argon2) and a real
audit trail (``tests/people.py``: sam the student, ines the instructor, ada the admin).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import statistics
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from asyncua import Client, ua
from conftest import free_port
from people import PASSWORDS, SETUP, People, make_people

from access import WEAK_PASSWORDS, UserStore, load_users, production_problems, verify_password
from audit import AuditRecord, AuditTrail, verify
from models.mps_pa import MpsPaStation
from twin.access_policy import DEFAULT_SIGNED, AccessPolicy
from twin.clock import SimClock
from twin.faults.scenarios import SCENARIO_DIR
from twin.faults.service import TwinControl
from twin.opcua_server import NAMESPACE_URI, TwinOpcUaServer
from twin.opcua_users import MUST_CHANGE
from twin.runtime import TwinRuntime

BIAS = {"kind": "sensor_bias", "target": {"unit": "mps-pa", "tag": "B101_level"}, "magnitude": 3.0}
#: A setpoint the plant file of these tests marks GMP-critical (a write needs a reason).
CRITICAL = "flow_sp"

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
    people: People

    def url(self, user: str | None = None, password: str | None = None) -> str:
        if user is None:
            return self.endpoint
        host = self.endpoint.removeprefix("opc.tcp://")
        return f"opc.tcp://{user}:{PASSWORDS[user] if password is None else password}@{host}"

    def value(self, tag: str) -> float:
        return float(self.runtime.slots["mps-pa"].unit.read()[tag])

    def records(self, action: str | None = None) -> list[AuditRecord]:
        """Audit records, oldest first (``action``: prefix)."""
        return self.people.audit.query(action=action, newest_first=False, limit=10_000)


def _policy(runtime: TwinRuntime) -> AccessPolicy:
    specs = {name: slot.specs for name, slot in runtime.slots.items()}
    return AccessPolicy.build(specs, {}, {"mps-pa": [CRITICAL]}, DEFAULT_SIGNED)


@contextlib.asynccontextmanager
async def run_twin(
    people: People,
    *,
    allow_anonymous: bool = True,
    scenario_dir: Path = SCENARIO_DIR,
    audit: AuditTrail | None = None,
) -> AsyncIterator[Twin]:
    """The twin as ``gmp_twin.roles.twin_server`` builds it, over ``people``."""
    port = free_port()
    runtime = TwinRuntime({"mps-pa": MpsPaStation()}, clock=SimClock(speed=10.0), seed=1)
    control = TwinControl(
        runtime, site="lab", scenario_dir=scenario_dir, audit=audit or people.audit, policy=_policy(runtime)
    )
    control.bind_loop(asyncio.get_running_loop())
    endpoint = f"opc.tcp://127.0.0.1:{port}/"
    stop = asyncio.Event()
    server = TwinOpcUaServer(
        endpoint, control=control, authenticator=people.authenticator, allow_anonymous=allow_anonymous
    )
    async with server:
        for name, slot in runtime.slots.items():
            await server.add_unit(name, slot.unit.unit_type, slot.specs, runtime.readings(name))
        runtime.publishers.append(server.publish)
        control.manager.session_drop_handlers.append(server.drop_sessions)  # as gmp_twin.roles does
        await server.start()
        task = asyncio.create_task(runtime.run(stop))
        try:
            yield Twin(endpoint, runtime, control, server, people)
        finally:
            stop.set()
            await task


@pytest.fixture
async def twin(tmp_path: Path, people: People) -> AsyncIterator[Twin]:
    library = tmp_path / "scenarios"
    library.mkdir()
    (library / "level-bias.yaml").write_text(SCENARIO)
    async with run_twin(people, scenario_dir=library) as t:
        yield t
    assert verify(people.audit.path).ok  # whatever a test did, the chain holds


async def _node(client: Client, tag: str) -> Any:
    ns = await client.get_namespace_index(NAMESPACE_URI)
    return client.get_node(ua.NodeId(f"mps-pa.{tag}", ns))


async def _write(client: Client, tag: str, value: float) -> None:
    await (await _node(client, tag)).write_value(ua.Variant(value, ua.VariantType.Double))


async def _call(client: Client, method: str, *args: Any, obj: str = "Instructor") -> Any:
    ns = await client.get_namespace_index(NAMESPACE_URI)
    parent = client.get_node(ua.NodeId(f"Twin.{obj}", ns))
    return await parent.call_method(ua.NodeId(f"Twin.{obj}.{method}", ns), *args)


def _variant(value: Any) -> ua.Variant:
    if isinstance(value, bool):
        return ua.Variant(value, ua.VariantType.Boolean)
    if isinstance(value, float):
        return ua.Variant(value, ua.VariantType.Double)
    return ua.Variant(value, ua.VariantType.String)


async def _raw_call(client: Client, method: str, *args: Any, obj: str = "Instructor") -> ua.CallMethodResult:
    """Call without raising, to see per-argument results and diagnostics."""
    ns = await client.get_namespace_index(NAMESPACE_URI)
    request = ua.CallMethodRequest(
        ObjectId=ua.NodeId(f"Twin.{obj}", ns),
        MethodId=ua.NodeId(f"Twin.{obj}.{method}", ns),
        InputArguments=[_variant(a) for a in args],
    )
    return (await client.uaclient.call([request]))[0]


def _row(r: AuditRecord) -> tuple[Any, ...]:
    return (r.user, r.role, r.action, r.object, r.old, r.new, r.result, r.status)


# -- role by role ---------------------------------------------------------------------------------
async def test_anonymous_reads_but_every_write_and_call_is_refused_and_audited(twin: Twin) -> None:
    before = twin.value("level_sp")
    async with Client(twin.endpoint) as anonymous:
        ns = await anonymous.get_namespace_index(NAMESPACE_URI)
        unit = await anonymous.nodes.objects.get_child([f"{ns}:Plant", f"{ns}:mps-pa"])
        assert {"B101_level", "level_sp"} <= {(await c.read_browse_name()).Name for c in await unit.get_children()}
        assert isinstance(await (await _node(anonymous, "B101_level")).read_value(), float)
        with pytest.raises(ua.uaerrors.BadUserAccessDenied):
            await _write(anonymous, "level_sp", 12.0)
        with pytest.raises(ua.uaerrors.BadUserAccessDenied):
            await _call(anonymous, "InjectFault", json.dumps(BIAS), False)
        with pytest.raises(ua.uaerrors.BadUserAccessDenied):
            await _call(anonymous, "WriteWithReason", "mps-pa.level_sp", 12.0, "why not", obj="Operator")
        # The instructor object is browsable, but holds methods only: no fault state to read.
        instructor = anonymous.get_node(ua.NodeId("Twin.Instructor", ns))
        assert {await c.read_node_class() for c in await instructor.get_children()} == {ua.NodeClass.Method}
    assert twin.value("level_sp") == before and twin.control.faults("instructor") == []
    write, inject, operator = twin.records("tag.write") + twin.records("access.denied")
    assert _row(write) == ("anonymous", "anonymous", "tag.write", "mps-pa.level_sp", before, 12.0, "refused",
                           "BadUserAccessDenied")  # fmt: skip
    assert write.via == "opcua" and write.client.startswith("opc.tcp 127.0.0.1:") and " session " in write.client
    assert _row(inject)[2:] == ("access.denied", "method:InjectFault", None, None, "refused", "BadUserAccessDenied")
    assert inject.user == "anonymous" and "read-only" in inject.detail
    assert operator.object == "method:WriteWithReason"


async def test_a_student_writes_operator_tags_only_and_may_not_inject(twin: Twin) -> None:
    old_sp = twin.value("level_sp")
    async with Client(twin.url("sam")) as sam:
        await _write(sam, "level_sp", 12.0)
        assert twin.value("level_sp") == pytest.approx(12.0)
        assert await (await _node(sam, "level_sp")).read_value() == pytest.approx(12.0)  # shown at once
        with pytest.raises(ua.uaerrors.BadUserAccessDenied):
            await _write(sam, "level_out", 50.0)  # a controller output: instructors only
        with pytest.raises(ua.uaerrors.BadUserAccessDenied):
            await _write(sam, "B101_level", 1.0)  # a measurement: nobody
        with pytest.raises(ua.uaerrors.BadOutOfRange):
            await _write(sam, "level_sp", 500.0)
        for method, args in [("InjectFault", (json.dumps(BIAS), False)), ("ListFaults", ()), ("ClearFault", ("F1",))]:
            with pytest.raises(ua.uaerrors.BadUserAccessDenied):
                await _call(sam, method, *args)
    # The refused 50 % never reached the output (the running loop moves it towards the new setpoint).
    assert twin.value("level_out") != pytest.approx(50.0) and twin.value("level_sp") == pytest.approx(12.0)
    assert twin.control.faults("instructor") == []
    writes = twin.records("tag.write")
    assert [_row(r) for r in writes] == [
        ("sam", "student", "tag.write", "mps-pa.level_sp", old_sp, 12.0, "ok", "Good"),
        ("sam", "student", "tag.write", "mps-pa.level_out", writes[1].old, 50.0, "refused", "BadUserAccessDenied"),
        ("sam", "student", "tag.write", "mps-pa.B101_level", writes[2].old, 1.0, "refused", "BadUserAccessDenied"),
        ("sam", "student", "tag.write", "mps-pa.level_sp", 12.0, 500.0, "refused", "BadOutOfRange"),
    ]
    assert isinstance(writes[1].old, float) and isinstance(writes[2].old, float)  # the values read at the time
    denied = twin.records("access.denied")
    assert [(r.user, r.object, r.status) for r in denied] == [
        ("sam", "method:InjectFault", "BadUserAccessDenied"),
        ("sam", "method:ListFaults", "BadUserAccessDenied"),
        ("sam", "method:ClearFault", "BadUserAccessDenied"),
    ]
    assert "may not call an instructor method" in denied[0].detail
    login, logout = twin.records("login") + twin.records("logout")
    assert (login.user, login.via, login.result) == ("sam", "opcua", "ok")
    assert login.client.startswith("opc.tcp 127.0.0.1:") and " session i=" in login.client
    assert (logout.user, logout.client) == ("sam", login.client)


@pytest.mark.parametrize("user", ["ines", "ada"])
async def test_instructors_and_admins_write_every_writable_tag_and_call_the_methods(twin: Twin, user: str) -> None:
    async with Client(twin.url(user)) as client:
        await _write(client, "V106_opening", 40.0)  # an output: not operator-writable
        assert twin.value("V106_opening") == pytest.approx(40.0)
        fault_id = await _call(client, "InjectFault", json.dumps(BIAS), True)
        assert fault_id == "F1"
        faults = json.loads(await _call(client, "ListFaults"))
        assert [(f["id"], f["kind"], f["hidden"]) for f in faults] == [("F1", "sensor_bias", True)]
        assert await _call(client, "ClearFault", "F1") is True
        assert await _call(client, "ClearFault", "F1") is False  # already cleared
    rows = [(r.user, r.action, r.result, r.status) for r in twin.records() if r.action not in ("login", "logout")]
    rows = [r for r in rows if r[1] not in ("user.add", "token.create")]  # the people's setup
    assert rows == [
        (user, "tag.write", "ok", "Good"),
        (user, "fault.inject", "ok", "Good"),
        (user, "fault.clear", "ok", "Good"),
        (user, "fault.clear", "ok", "Good"),
    ]
    inject = twin.records("fault.inject")[0]
    assert inject.via == "opcua" and inject.new["id"] == "F1" and inject.new["hidden"] is True


async def test_one_refused_write_does_not_fail_the_others_of_its_request(twin: Twin) -> None:
    async with Client(twin.url("sam")) as sam:
        nodes = [await _node(sam, t) for t in ("level_sp", "level_sp", "level_out", "flow_sp")]
        values = [ua.Variant(v, ua.VariantType.Double) for v in (13.0, 500.0, 10.0, 4.0)]
        results = await sam.write_values(nodes, values, raise_on_partial_error=False)
    assert [r.name for r in results] == ["Good", "BadOutOfRange", "BadUserAccessDenied", "BadUserAccessDenied"]
    assert twin.value("level_sp") == pytest.approx(13.0)
    assert [r.status for r in twin.records("tag.write")] == [r.name for r in results]


async def test_a_gmp_critical_tag_needs_write_with_reason(twin: Twin, caplog: pytest.LogCaptureFixture) -> None:
    old = twin.value(CRITICAL)
    async with Client(twin.url("sam")) as sam:
        with pytest.raises(ua.uaerrors.BadUserAccessDenied):
            await _write(sam, CRITICAL, 4.0)
        assert "WriteWithReason" in caplog.text
        assert twin.value(CRITICAL) == old
        with pytest.raises(ua.uaerrors.BadUserAccessDenied):  # a reason of blanks is no reason
            await _call(sam, "WriteWithReason", f"mps-pa.{CRITICAL}", 4.0, "  ", obj="Operator")
        got = await _call(
            sam, "WriteWithReason", f"mps-pa.{CRITICAL}", 4.0, "flow check before batch 12", obj="Operator"
        )
        assert got == pytest.approx(old) and twin.value(CRITICAL) == pytest.approx(4.0)
        assert await (await _node(sam, CRITICAL)).read_value() == pytest.approx(4.0)
        with pytest.raises(ua.uaerrors.BadUserAccessDenied):  # not operator-writable, reason or not
            await _call(sam, "WriteWithReason", "mps-pa.level_out", 30.0, "I want to", obj="Operator")
        result = await _raw_call(sam, "WriteWithReason", f"mps-pa.{CRITICAL}", 99.0, "too much", obj="Operator")
        assert result.StatusCode.name == "BadOutOfRange"
        assert "outside" in result.InputArgumentDiagnosticInfos[1].AdditionalInfo
    async with Client(twin.url("ines")) as ines:
        with pytest.raises(ua.uaerrors.BadUserAccessDenied):  # no such tag: not writable
            await _call(ines, "WriteWithReason", "mps-pa.nope", 1.0, "typo", obj="Operator")
        old_out = twin.value("V106_opening")
        got = await _call(ines, "WriteWithReason", "mps-pa.V106_opening", 30.0, "valve test", obj="Operator")
        assert got == pytest.approx(old_out) and twin.value("V106_opening") == pytest.approx(30.0)
    rows = [(r.user, r.object, r.new, r.reason, r.status) for r in twin.records("tag.write")]
    assert rows == [
        ("sam", f"mps-pa.{CRITICAL}", 4.0, "", "BadUserAccessDenied"),
        ("sam", f"mps-pa.{CRITICAL}", 4.0, "  ", "BadUserAccessDenied"),
        ("sam", f"mps-pa.{CRITICAL}", 4.0, "flow check before batch 12", "Good"),
        ("sam", "mps-pa.level_out", 30.0, "I want to", "BadUserAccessDenied"),
        ("sam", f"mps-pa.{CRITICAL}", 99.0, "too much", "BadOutOfRange"),
        ("ines", "mps-pa.nope", 1.0, "typo", "BadUserAccessDenied"),
        ("ines", "mps-pa.V106_opening", 30.0, "valve test", "Good"),
    ]
    assert "GMP-critical" in twin.records("tag.write")[0].detail


async def test_an_unwritable_audit_trail_refuses_the_write_and_keeps_the_value(tmp_path: Path, people: People) -> None:
    # The twin's own connection to the trail gives up after 0.2 s instead of 5 s.
    quick = AuditTrail(people.audit.path, busy_timeout_s=0.2)
    try:
        async with run_twin(people, audit=quick) as twin, Client(twin.url("ines")) as ines:
            before = twin.value("level_sp")
            blocker = sqlite3.connect(people.audit.path)  # another process holding the write lock
            blocker.execute("BEGIN IMMEDIATE")
            try:
                with pytest.raises(ua.uaerrors.BadResourceUnavailable):
                    await _write(ines, "level_sp", 14.0)
                with pytest.raises(ua.uaerrors.BadResourceUnavailable):
                    await _call(ines, "InjectFault", json.dumps(BIAS), False)
            finally:
                blocker.rollback()
                blocker.close()
            assert twin.value("level_sp") == before and twin.control.faults("instructor") == []
            await _write(ines, "level_sp", 14.0)  # the trail is back: so are changes
            assert twin.value("level_sp") == pytest.approx(14.0)
    finally:
        quick.close()
    assert [(r.user, r.new, r.status) for r in people.audit.query(action="tag.write")] == [("ines", 14.0, "Good")]
    assert verify(people.audit.path).ok


async def test_a_wrong_password_or_user_is_refused_without_detail(twin: Twin) -> None:
    for user, password in [("ines", "wrong-password"), ("sam", PASSWORDS["ines"]), ("eve", "x"), ("ines", "")]:
        with pytest.raises(ua.uaerrors.BadUserAccessDenied) as err:
            async with Client(twin.url(user, password)):
                pass
        assert "unknown" not in str(err.value) and "wrong" not in str(err.value)
    failed = twin.records("login.failed")
    assert [(r.user, r.via, r.status) for r in failed] == [
        ("ines", "opcua", "BadUserAccessDenied"),
        ("sam", "opcua", "BadUserAccessDenied"),
        ("eve", "opcua", "BadUserAccessDenied"),
        ("ines", "opcua", "BadUserAccessDenied"),
    ]
    # The trail says why, for the instructors who read it; the client was told nothing.
    assert [r.detail for r in failed[:3]] == [
        "login refused: wrong password",
        "login refused: wrong password",
        "login refused: unknown user",
    ]
    assert [r for r in twin.records("login") if r.action == "login"] == []


async def test_a_one_time_password_session_is_read_only_until_changed(twin: Twin) -> None:
    twin.people.store.add("newbie", "student", actor=SETUP, password="one-time-pass-4471", must_change_password=True)
    before = twin.value("level_sp")
    async with Client(twin.url("newbie", "one-time-pass-4471")) as newbie:
        assert isinstance(await (await _node(newbie, "B101_level")).read_value(), float)
        with pytest.raises(ua.uaerrors.BadUserAccessDenied):
            await _write(newbie, "level_sp", 12.0)
        with pytest.raises(ua.uaerrors.BadUserAccessDenied):
            await _call(newbie, "WriteWithReason", "mps-pa.level_sp", 12.0, "first day", obj="Operator")
    assert twin.value("level_sp") == before
    write, call = twin.records("tag.write") + twin.records("access.denied")
    assert (write.user, write.status, write.detail) == ("newbie", "BadUserAccessDenied", MUST_CHANGE)
    assert (call.user, call.object, call.detail) == ("newbie", "method:WriteWithReason", MUST_CHANGE)


async def test_repeated_failures_lock_the_user_out_over_opc_ua_too(tmp_path: Path) -> None:
    people = make_people(tmp_path, max_failures=2)
    try:
        async with run_twin(people) as twin:
            for _ in range(2):
                with pytest.raises(ua.uaerrors.BadUserAccessDenied):
                    async with Client(twin.url("ines", "guess-guess-guess")):
                        pass
            with pytest.raises(ua.uaerrors.BadUserAccessDenied):  # the right password, but locked
                async with Client(twin.url("ines")):
                    pass
            async with Client(twin.url("sam")):  # others are not locked out (one host: higher limit)
                pass
            actions = [(r.user, r.action) for r in twin.records("login")]
        assert actions == [
            ("ines", "login.failed"),
            ("ines", "login.failed"),
            ("ines", "login.locked"),
            ("ines", "login.failed"),
            ("sam", "login"),
        ]
        assert "locked out" in twin.records("login.failed")[-1].detail
    finally:
        people.close()


# -- scenarios and the electronic signature ------------------------------------------------------
async def test_scenarios_start_by_library_name_and_stop_with_a_signature(twin: Twin) -> None:
    async with Client(twin.url("ines")) as ines:
        state = json.loads(await _call(ines, "StartScenario", "level-bias", True))
        assert state["name"] == "level-bias" and state["hidden"] is True
        for name in ("../../x", "../../../../tmp/x/evil", "no-such-scenario"):
            result = await _raw_call(ines, "StartScenario", name, False)
            assert result.StatusCode.name == "BadInvalidArgument"
            assert "give the name of a file in the library" in result.InputArgumentDiagnosticInfos[
                0
            ].AdditionalInfo or ("no scenario" in result.InputArgumentDiagnosticInfos[0].AdditionalInfo)
        assert twin.control.scenario_state("instructor")["name"] == "level-bias"
        # Stopping ends the exercise: the plant file (default) wants a signature.
        with pytest.raises(ua.uaerrors.BadUserAccessDenied):
            await _call(ines, "StopScenario", "", "")
        with pytest.raises(ua.uaerrors.BadUserAccessDenied):
            await _call(ines, "StopScenario", "not-my-password", "approved")
        meaning = await _raw_call(ines, "StopScenario", PASSWORDS["ines"], "because")
        assert meaning.StatusCode.name == "BadInvalidArgument"
        assert "meaning" in meaning.InputArgumentDiagnosticInfos[1].AdditionalInfo
        assert twin.control.scenario_state("instructor")["state"] == "running"
        stopped = json.loads(await _call(ines, "StopScenario", PASSWORDS["ines"], "approved"))
        assert stopped is None or stopped["state"] != "running"
    assert twin.control.faults("student") == []  # a hidden scenario's fault never shows to students
    starts = [(r.object, r.result) for r in twin.records("scenario.start")]
    assert starts == [
        ("scenario:level-bias", "ok"),
        ("scenario:../../x", "refused"),
        ("scenario:../../../../tmp/x/evil", "refused"),
        ("scenario:no-such-scenario", "refused"),
    ]
    stops = twin.records("scenario.stop")
    assert [(r.result, r.status) for r in stops] == [("refused", "SignatureRequired"), ("ok", "Good")]
    assert stops[1].signature is not None and stops[1].signature["meaning"] == "approved"
    assert stops[1].signature["printed_name"] == "Inès Dupont"
    assert [r.user for r in twin.records("signature.failed")] == ["ines"]


async def test_a_student_may_not_start_a_scenario(twin: Twin) -> None:
    async with Client(twin.url("sam")) as sam:
        for method, args in [
            ("StartScenario", ("level-bias", False)),
            ("StopScenario", (PASSWORDS["sam"], "approved")),
        ]:
            with pytest.raises(ua.uaerrors.BadUserAccessDenied):
                await _call(sam, method, *args)
    assert twin.control.scenario_state("instructor") is None
    assert [r.object for r in twin.records("access.denied")] == ["method:StartScenario", "method:StopScenario"]


async def test_bad_arguments_are_invalid_with_the_reason(twin: Twin) -> None:
    bad = {
        "not json {": "not JSON",
        json.dumps({**BIAS, "kind": "sensor_wobble"}): "unknown fault kind 'sensor_wobble'",
        json.dumps({**BIAS, "target": {"unit": "reactor-9", "tag": "B101_level"}}): "unknown unit 'reactor-9'",
        json.dumps({**BIAS, "magnitude": 1e6}): "outside",
        "[1, 2]": "JSON object",
    }
    async with Client(twin.url("ines")) as ines:
        for fault_json, reason in bad.items():
            result = await _raw_call(ines, "InjectFault", fault_json, False)
            assert result.StatusCode.value == ua.StatusCodes.BadInvalidArgument
            assert result.InputArgumentResults[0].value == ua.StatusCodes.BadInvalidArgument
            assert reason in result.InputArgumentDiagnosticInfos[0].AdditionalInfo
        result = await _raw_call(ines, "ClearFault", "F42")
        assert result.StatusCode.value == ua.StatusCodes.BadInvalidArgument
        assert "no fault 'F42'" in result.InputArgumentDiagnosticInfos[0].AdditionalInfo
        # Wrong types and counts are refused before anything runs.
        typed = await _raw_call(ines, "InjectFault", json.dumps(BIAS), "yes")
        assert typed.StatusCode.value == ua.StatusCodes.BadInvalidArgument
        assert typed.InputArgumentResults[1].value == ua.StatusCodes.BadTypeMismatch
        missing = await _raw_call(ines, "InjectFault", json.dumps(BIAS))
        assert missing.StatusCode.value == ua.StatusCodes.BadArgumentsMissing
    assert twin.control.faults("instructor") == []


# -- the server's configuration -----------------------------------------------------------------
async def test_anonymous_can_be_turned_off(people: People) -> None:
    async with run_twin(people, allow_anonymous=False) as twin:
        with pytest.raises((ua.uaerrors.BadIdentityTokenRejected, ua.uaerrors.BadUserAccessDenied)):
            async with Client(twin.endpoint):
                pass
        async with Client(twin.url("sam")) as sam:
            assert isinstance(await (await _node(sam, "B101_level")).read_value(), float)


async def test_a_handler_called_outside_a_client_request_refuses(twin: Twin) -> None:
    # Defence in depth: the handler itself fails closed when it cannot tell who calls.
    node = twin.server.server.get_node(twin.server.methods["ListFaults"])
    parent = twin.server.server.get_node(ua.NodeId("Twin.Instructor", twin.server.ns))
    with pytest.raises(ua.uaerrors.BadUserAccessDenied):
        await parent.call_method(node)


async def _mean_offset(client: Client, twin: Twin, n: int = 15) -> float:
    """Mean of (value the client reads - the unit's true level) over ``n`` reads."""
    node = await _node(client, "B101_level")
    offsets = []
    for _ in range(n):
        await asyncio.sleep(0.21)  # a new publication each time
        offsets.append(await node.read_value() - twin.value("B101_level"))
    return statistics.fmean(offsets)


async def test_an_injected_sensor_bias_shifts_what_clients_read(twin: Twin) -> None:
    async with Client(twin.url("ines")) as ines, Client(twin.endpoint) as reader:
        before = await _mean_offset(reader, twin)
        await _call(ines, "InjectFault", json.dumps(BIAS), True)
        after = await _mean_offset(reader, twin)
    print(f"offset read - true level: before {before:+.3f} cm, after +3 cm bias {after:+.3f} cm")
    assert abs(before) < 0.5
    assert after - before == pytest.approx(3.0, abs=0.5)


async def test_a_session_drop_fault_disconnects_clients_who_reconnect_after(twin: Twin) -> None:
    lost = asyncio.Event()

    async def on_lost(exc: Exception) -> None:
        lost.set()

    async with Client(twin.endpoint, watchdog_intervall=0.5) as reader:
        reader.connection_lost_callback = on_lost
        level = await _node(reader, "B101_level")
        await level.read_value()
        async with Client(twin.url("ines")) as ines:
            drop = {"kind": "comm_session_drop", "target": {"unit": "mps-pa"}, "duration_s": 2.0}
            await _call(ines, "InjectFault", json.dumps(drop), False)
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
                assert isinstance(await (await _node(again, "B101_level")).read_value(), float)
                break
    else:
        pytest.fail("the server did not come back")
    outage = asyncio.get_running_loop().time() - t0
    print(f"server back after {outage:.2f} s (outage 2 s)")
    assert outage >= 1.8
    # The dropped instructor session was closed: its logout is recorded.
    assert [r.user for r in twin.records("logout")] == ["ines"]


# -- the example users file -----------------------------------------------------------------------
REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "config" / "users.example.yaml"


def test_the_example_users_file_loads_and_no_password_logs_in(tmp_path: Path) -> None:
    users = load_users(EXAMPLE).users
    assert {u.name: u.role for u in users} == {"alice": "instructor", "bob": "student"}
    # Nothing written in the file (comment words, whole comment lines, names) nor any weak or
    # formerly shipped example password verifies against its hashes.
    text = EXAMPLE.read_text()
    comments = [line.lstrip("# ").strip() for line in text.splitlines() if line.lstrip().startswith("#")]
    words = {w.strip("`\"'(),.:;") for line in comments for w in line.split()}
    candidates = (set(WEAK_PASSWORDS) | set(comments) | words | {u.name for u in users} | {"Alice Martin"}) - {""}
    for user in users:
        guessed = [c for c in sorted(candidates) if verify_password(c, user.password_hash)]
        assert guessed == [], f"{user.name}'s example password is {guessed}"
    # Production mode does not flag it as weak (only a real password set with the CLI makes it usable).
    copy = tmp_path / "users.yaml"
    copy.write_text(text)
    assert [p for p in production_problems(UserStore(copy)) if "password" in p] == []
    print(f"{len(candidates)} candidate passwords checked against {len(users)} hashes")
