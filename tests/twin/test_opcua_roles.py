"""`gmp_twin.roles.twin_server` wires the users file, the audit trail, the methods and session drops."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from asyncua import Client, ua
from conftest import free_port
from people import PASSWORDS, make_people
from test_opcua_identity import BIAS, _call

from audit import verify
from gmp_twin.identity import Identity
from gmp_twin.roles import twin_server
from gmp_twin.settings import Settings
from twin.faults.service import TwinControl


async def test_the_twin_role_wires_users_audit_methods_and_session_drops(tmp_path: Path) -> None:
    # What `gmp-twin run` / the twin container start: settings + identity -> TwinControl, server, methods.
    plant = tmp_path / "plant.yaml"
    plant.write_text("site: lab\nunits:\n  - {name: mps-pa, type: mps_pa}\n")
    people = make_people(tmp_path)
    port = free_port()
    settings = Settings(
        plant=plant,
        opcua_port=port,
        opcua_allow_anonymous=False,
        speed=10.0,
        users=people.users_path,
        audit=people.audit.path,
    )
    identity = Identity(people.audit, people.store, people.authenticator)
    try:
        async with twin_server(settings, identity) as control:
            stop = asyncio.Event()
            task = asyncio.create_task(control.runtime.run(stop))
            try:
                assert isinstance(control, TwinControl) and control.audit is people.audit
                assert control.manager.session_drop_handlers  # the server registered itself
                with pytest.raises(ua.uaerrors.BadIdentityTokenRejected):
                    async with Client(f"opc.tcp://127.0.0.1:{port}/"):
                        pass
                async with Client(f"opc.tcp://sam:{PASSWORDS['sam']}@127.0.0.1:{port}/") as sam:
                    with pytest.raises(ua.uaerrors.BadUserAccessDenied):
                        await _call(sam, "InjectFault", json.dumps(BIAS), False)
                async with Client(f"opc.tcp://ines:{PASSWORDS['ines']}@127.0.0.1:{port}/") as ines:
                    assert await _call(ines, "InjectFault", json.dumps(BIAS), False) == "F1"
                assert [f["id"] for f in control.faults("student")] == ["F1"]
            finally:
                stop.set()
                await task
        rows = [(r.user, r.action, r.result) for r in people.audit.query(newest_first=False)]
        assert ("sam", "access.denied", "refused") in rows and ("ines", "fault.inject", "ok") in rows
        inject = people.audit.query(action="fault.inject")[0]
        assert inject.sim_time_s is not None  # the runtime's clock stamps each record
        assert verify(people.audit.path).ok
    finally:
        people.close()
