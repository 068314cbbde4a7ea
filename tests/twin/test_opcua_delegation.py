"""The dashboard of another process acts for its logged-in people on the twin, over OPC UA.

A real twin (``gmp_twin.roles.twin_server``: plant, users file, audit trail, PKI, OPC UA server on
a free port) and a real :class:`dashboard.remote_control.RemoteControl` connecting to it over
Basic256Sha256 SignAndEncrypt with a users-file account. The remote is synchronous (it serves
the API and Dash's threads), so the test calls it from a worker thread while the twin runs here.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from asyncua import Client, ua
from conftest import free_port
from people import PASSWORDS, People, make_people

from audit import Actor, verify
from config_schema.files import ConfigError
from dashboard.remote_control import RemoteControl, TwinUnreachable
from dashboard.services import PlantControl
from gmp_twin.identity import Identity
from gmp_twin.roles import twin_server
from gmp_twin.settings import Settings
from pki import Pki
from twin.delegation import sign_request
from twin.faults.service import TwinControl
from twin.opcua_server import NAMESPACE_URI

SCENARIO = """
title: {en: Mystery level, fr: Niveau mystère}
units: [mps-pa]
duration_s: 3600
faults:
  - {kind: leak, target: {unit: mps-pa}, magnitude: 0.5}
"""
SECRET = "delegation-test-secret-0123456789abcdef"
BIAS = {"kind": "sensor_bias", "target": {"unit": "mps-pa", "tag": "B101_level"}, "magnitude": 3.0}
INES = Actor("ines", "instructor", "http", "10.0.0.7:51000")


@dataclass
class Twin:
    control: TwinControl
    remote: RemoteControl
    people: People
    endpoint: str
    pki: Pki

    async def call(self, fn: object, *args: object, **kwargs: object) -> object:
        return await asyncio.to_thread(fn, *args, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
async def twin(tmp_path: Path) -> AsyncIterator[Twin]:
    plant = tmp_path / "plant.yaml"
    plant.write_text("site: lab\nunits:\n  - {name: mps-pa, type: mps_pa}\n")
    people = make_people(tmp_path)
    library = tmp_path / "scenarios"
    library.mkdir()
    (library / "mystery-level.yaml").write_text(SCENARIO)
    port = free_port()
    settings = Settings(
        plant=plant,
        opcua_port=port,
        opcua_allow_anonymous=False,
        users=people.users_path,
        audit=people.audit.path,
        pki=tmp_path / "pki",
        session_secret=SECRET,
        scenarios=library,
    )
    identity = Identity(people.audit, people.store, people.authenticator)
    endpoint = f"opc.tcp://127.0.0.1:{port}"
    pki = Pki(tmp_path / "pki")
    try:
        async with twin_server(settings, identity) as control:
            stop = asyncio.Event()
            task = asyncio.create_task(control.runtime.run(stop))
            # The service session logs in as a student account, as the compose file's bridge account.
            remote = RemoteControl(endpoint, SECRET, pki=pki, credentials=("sam", PASSWORDS["sam"]))
            try:
                yield Twin(control, remote, people, endpoint, pki)
            finally:
                await asyncio.to_thread(remote.close)
                stop.set()
                await task
        assert verify(people.audit.path).ok
    finally:
        people.close()


async def test_an_instructor_acts_through_the_dashboard_and_is_audited_as_themself(twin: Twin) -> None:
    remote: PlantControl = twin.remote  # the protocol the API's routes use
    made = await twin.call(remote.inject, BIAS, False, actor=INES)
    assert isinstance(made, dict) and made["id"] == "F1"
    assert [f["id"] for f in twin.control.faults("instructor")] == ["F1"]
    assert [f["id"] for f in await twin.call(remote.faults, "student")] == ["F1"]  # type: ignore[attr-defined]
    record = twin.people.audit.query(action="fault.inject")[0]
    assert (record.user, record.role, record.via, record.result) == ("ines", "instructor", "http", "ok")
    assert record.client.startswith("10.0.0.7:51000 via dashboard opc.tcp 127.0.0.1:"), record.client
    # The service session's own login is in the trail too: who carried the request.
    assert any(r.user == "sam" and r.via == "opcua" for r in twin.people.audit.query(action="login"))

    state = await twin.call(remote.set_clock, 20.0, True, actor=INES)
    assert isinstance(state, dict) and (state["speed"], state["paused"]) == (20.0, True)
    assert twin.control.clock()["paused"] is True
    clock = await twin.call(remote.clock)
    assert isinstance(clock, dict) and clock["run_id"] == twin.control.run_id and "steps" in clock
    assert await asyncio.to_thread(lambda: twin.remote.run_id) == twin.control.run_id
    cleared = await twin.call(remote.clear_all, actor=INES)
    assert cleared == ["F1"]
    assert [r.action for r in twin.people.audit.query(user="ines", newest_first=False)][-3:] == [
        "fault.inject",
        "clock.set",
        "fault.clear_all",
    ]


async def test_the_twin_checks_the_person_in_its_own_users_file(twin: Twin) -> None:
    # The dashboard claims nothing about the role: sam is a student in the users file.
    with pytest.raises(PermissionError, match="sam \\(student\\) may not inject"):
        await twin.call(twin.remote.inject, BIAS, actor=Actor("sam", "instructor", "http", "10.0.0.9:1"))
    with pytest.raises(PermissionError, match="not an enabled user"):
        await twin.call(twin.remote.clear_all, actor=Actor("mallory", "admin", "dash", ""))
    assert twin.control.faults("instructor") == []
    denied = [(r.user, r.role, r.object) for r in twin.people.audit.query(action="access.denied")]
    assert ("sam", "student", "method:Call/inject") in denied
    assert ("mallory", "anonymous", "method:Call/clear_all") in denied
    # A student may write what students write, as themself.
    done = await twin.call(twin.remote.write_tag, "mps-pa", "level_sp", 12.0, actor=Actor("sam", "student", "dash"))
    assert isinstance(done, dict) and done["user"] == "sam" and done["new"] == 12.0


async def test_the_twin_s_errors_come_back_as_the_same_exceptions(twin: Twin) -> None:
    with pytest.raises(KeyError, match="F9"):
        await twin.call(twin.remote.clear, "F9", actor=INES)
    with pytest.raises(ValueError, match="unknown fault kind"):
        await twin.call(twin.remote.inject, {"kind": "nope", "target": {"unit": "mps-pa"}}, actor=INES)
    with pytest.raises(KeyError, match="no scenario"):
        await twin.call(twin.remote.start_scenario, "no-such-scenario", actor=INES)
    # Ending an exercise needs a signature (the plant's default policy), on the twin as in-process.
    with pytest.raises(PermissionError, match="signature"):
        await twin.call(twin.remote.stop_scenario, actor=INES)
    scenarios = await twin.call(twin.remote.scenarios, "fr")
    assert isinstance(scenarios, list) and [s["title"] for s in scenarios] == ["Niveau mystère"]
    # A broken scenario file is the installation's problem (the API answers 500 naming it): same type.
    (twin.control.scenario_dir / "broken.yaml").write_text("title: {en: x}\nunits: [nowhere]\n")
    with pytest.raises(ConfigError, match=r"broken\.yaml"):
        await twin.call(twin.remote.scenarios, "en")


async def test_a_request_not_signed_with_the_shared_secret_is_refused_and_audited(twin: Twin) -> None:
    forged = RemoteControl(
        twin.endpoint, "not-the-secret-0123456789", pki=twin.pki, credentials=("ada", PASSWORDS["ada"])
    )
    try:
        with pytest.raises(PermissionError, match="GMP_TWIN_SESSION_SECRET"):
            await twin.call(forged.inject, BIAS, actor=INES)
    finally:
        await asyncio.to_thread(forged.close)
    assert twin.control.faults("instructor") == []
    denied = twin.people.audit.query(action="access.denied")
    assert any(r.user == "ada" and r.object == "method:Call" and "bad signature" in r.detail for r in denied)


async def test_a_captured_request_cannot_be_played_again(twin: Twin) -> None:
    token = sign_request(SECRET, "inject", {"fault": BIAS, "hidden": False}, INES)
    client = Client(twin.endpoint)  # loopback: policy None is offered; a users-file login
    client.set_user("ada")
    client.set_password(PASSWORDS["ada"])
    async with client:
        ns = await client.get_namespace_index(NAMESPACE_URI)
        service = client.get_node(ua.NodeId("Twin.Service", ns))
        first = json.loads(await service.call_method(ua.NodeId("Twin.Service.Call", ns), token))
        assert first["ok"]["id"] == "F1"
        with pytest.raises(ua.uaerrors.BadUserAccessDenied):
            await service.call_method(ua.NodeId("Twin.Service.Call", ns), token)
    assert [f["id"] for f in twin.control.faults("instructor")] == ["F1"]


async def test_an_unreachable_twin_is_reported_and_not_waited_for_again(tmp_path: Path) -> None:
    remote = RemoteControl(f"opc.tcp://127.0.0.1:{free_port()}", SECRET, pki=Pki(tmp_path / "pki"), timeout_s=2.0)
    try:
        with pytest.raises(TwinUnreachable, match="unreachable"):
            await asyncio.to_thread(remote.clock)
        health = remote.health()
        assert health["ok"] is False and health["last_error"]
        # Within retry_after_s the next call fails at once with the same reason, without a connection attempt.
        with pytest.raises(TwinUnreachable, match=health["last_error"].split(":")[0]):
            await asyncio.to_thread(remote.catalog)
        assert remote.calls == 0
    finally:
        await asyncio.to_thread(remote.close)
