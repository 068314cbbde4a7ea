"""`gmp_twin.roles.twin_server` wires OPC UA users, the instructor methods and session drops."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from asyncua import Client, ua
from conftest import free_port
from test_opcua_identity import BIAS, INSTRUCTOR_PW, _call

from gmp_twin.roles import twin_server
from gmp_twin.settings import Settings
from twin.faults.service import TwinControl


async def test_the_twin_role_wires_users_methods_and_session_drops(tmp_path: Path) -> None:
    # What `gmp-twin run` / the twin container start: settings -> users, TwinControl, methods.
    plant = tmp_path / "plant.yaml"
    plant.write_text("site: lab\nunits:\n  - {name: mps-pa, type: mps_pa}\n")
    port = free_port()
    settings = Settings(
        plant=plant,
        opcua_port=port,
        opcua_instructor_password=INSTRUCTOR_PW,  # a str, as from the environment
        opcua_allow_anonymous=False,
        speed=10.0,
    )
    async with twin_server(settings) as control:
        stop = asyncio.Event()
        task = asyncio.create_task(control.runtime.run(stop))
        try:
            assert isinstance(control, TwinControl)
            assert control.manager.session_drop_handlers  # the server registered itself
            with pytest.raises(ua.uaerrors.BadIdentityTokenRejected):
                async with Client(f"opc.tcp://127.0.0.1:{port}/"):
                    pass
            async with Client(f"opc.tcp://instructor:{INSTRUCTOR_PW}@127.0.0.1:{port}/") as instructor:
                assert await _call(instructor, "InjectFault", json.dumps(BIAS), False) == "F1"
            assert [f["id"] for f in control.faults("student")] == ["F1"]
        finally:
            stop.set()
            await task
