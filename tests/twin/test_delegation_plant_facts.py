"""What the operate page needs from a twin of another process: its access policy, tag metadata, settings.

A real twin (``gmp_twin.roles.twin_server`` over a real users file, audit trail and PKI, OPC UA
on a free port) and a real :class:`dashboard.remote_control.RemoteControl`: the answers equal
the in-process :class:`TwinControl`'s, and a measurement's model value is not for reading.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conftest import free_port
from people import PASSWORDS, make_people

from dashboard.remote_control import RemoteControl
from dashboard.services import PlantControl
from gmp_twin.identity import Identity
from gmp_twin.roles import twin_server
from gmp_twin.settings import Settings
from pki import Pki
from twin.faults.service import TwinControl

SECRET = "plant-facts-test-secret-0123456789abcdef"
PLANT = """site: lab
units:
  - {name: mps-pa, type: mps_pa, gmp_critical: [flow_sp], operator_writable: [level_sp, flow_sp]}
  - {name: autoclave-1, type: autoclave}
signatures: [scenario.stop, clock.set]
"""


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[tuple[TwinControl, RemoteControl]]:
    (tmp_path / "plant.yaml").write_text(PLANT)
    people = make_people(tmp_path)
    port = free_port()
    settings = Settings(
        plant=tmp_path / "plant.yaml",
        opcua_port=port,
        opcua_allow_anonymous=False,
        users=people.users_path,
        audit=people.audit.path,
        pki=tmp_path / "pki",
        session_secret=SECRET,
    )
    identity = Identity(people.audit, people.store, people.authenticator)
    try:
        async with twin_server(settings, identity) as control:
            remote = RemoteControl(
                f"opc.tcp://127.0.0.1:{port}", SECRET, pki=Pki(tmp_path / "pki"), credentials=("sam", PASSWORDS["sam"])
            )
            try:
                yield control, remote
            finally:
                await asyncio.to_thread(remote.close)
    finally:
        people.close()


async def test_the_remote_tells_what_the_twin_allows(pair: tuple[TwinControl, RemoteControl]) -> None:
    control, remote = pair
    plant: PlantControl = remote  # the protocol the dashboard's pages use
    policy = await asyncio.to_thread(lambda: plant.policy)
    assert policy == control.policy
    assert policy.may_write("student", "mps-pa", "flow_sp") and policy.needs_reason("mps-pa", "flow_sp")
    assert policy.needs_signature("clock.set") and not policy.may_write("student", "mps-pa", "level_out")
    specs = await asyncio.to_thread(plant.tag_specs)
    assert specs == control.tag_specs() and list(specs) == ["mps-pa", "autoclave-1"]
    phase = next(s for s in specs["autoclave-1"] if s.name == "phase")
    assert phase.states is not None and phase.states[3] == "state.autoclave.hold"  # int keys again
    assert await asyncio.to_thread(plant.read_setting, "mps-pa", "level_sp") == 15.0
    with pytest.raises(KeyError, match="not a writable tag"):  # a sensor's model value would betray a fault
        await asyncio.to_thread(plant.read_setting, "mps-pa", "B101_level")
    calls = remote.calls
    await asyncio.to_thread(plant.tag_specs)
    await asyncio.to_thread(lambda: plant.policy)
    await asyncio.to_thread(plant.catalog)
    await asyncio.to_thread(plant.catalog)
    assert remote.calls == calls + 1  # the plant's fixed facts are kept a while (the catalog asked once)
