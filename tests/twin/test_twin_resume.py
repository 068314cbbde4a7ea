"""A new run resumes after the historian's newest point (real SQLite, real OPC UA server and client).

An earlier accelerated run left values 2 h ahead of the wall. The twin role started on that
historian publishes after them, a client's write is stamped on the plant's clock too (not the
wall, hours behind), and a snapshot restore moves the plant back, never its timestamps.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC
from pathlib import Path

from asyncua import Client, ua
from conftest import free_port
from people import PASSWORDS, make_people

from gmp_twin.identity import Identity
from gmp_twin.roles import twin_server
from gmp_twin.settings import Settings
from historian.base import Point
from historian.sqlite import SqliteHistorian
from twin.clock import RUN_GAP_NS

S = 1_000_000_000


def ns(value: ua.DataValue) -> int:
    assert value.SourceTimestamp is not None
    return int(value.SourceTimestamp.replace(tzinfo=UTC).timestamp() * S)


async def test_a_run_after_an_accelerated_one_stamps_everything_after_it(tmp_path: Path) -> None:
    plant = tmp_path / "plant.yaml"
    plant.write_text("site: lab\nunits:\n  - {name: mps-pa, type: mps_pa}\n")
    people = make_people(tmp_path)
    port = free_port()
    settings = Settings(
        plant=plant, opcua_port=port, users=people.users_path, audit=people.audit.path, pki=tmp_path / "pki"
    )
    identity = Identity(people.audit, people.store, people.authenticator)
    ahead = time.time_ns() + 7_200 * S  # the old run's newest value
    tags = {"site": "lab", "unit": "mps-pa", "tag": "B101_level", "source": "sim"}
    try:
        async with SqliteHistorian(tmp_path / "h.sqlite") as historian:
            await historian.write([Point("process", tags, {"value": 12.0, "status": 0}, ahead)])
            async with twin_server(settings, identity, historian=historian) as control:
                stop = asyncio.Event()
                task = asyncio.create_task(control.runtime.run(stop))
                try:
                    async with Client(f"opc.tcp://ines:{PASSWORDS['ines']}@127.0.0.1:{port}/") as ines:
                        ns_index = await ines.get_namespace_index("urn:gmp-twin:plant")
                        level = ines.get_node(f"ns={ns_index};s=mps-pa.B101_level")
                        first = ns(await level.read_data_value())
                        assert ahead + RUN_GAP_NS <= first < ahead + 60 * S
                        assert control.runtime.run_start_ns == ahead + RUN_GAP_NS
                        setpoint = ines.get_node(f"ns={ns_index};s=mps-pa.level_sp")
                        await setpoint.write_value(ua.DataValue(ua.Variant(14.0, ua.VariantType.Double)))
                        written = await setpoint.read_data_value()
                        assert written.Value.Value == 14.0 and ns(written) > ahead  # not the wall, 2 h behind

                        # A snapshot restore rewinds the plant, not the timeline.
                        snap = control.runtime.snapshot()
                        control.runtime.pause()
                        await control.runtime.single_step(600)  # 60 s of plant time
                        before = control.runtime.clock.now_ns()
                        control.runtime.restore(snap)
                        assert control.runtime.clock.sim_time_s == snap["sim_time_s"]
                        assert control.runtime.clock.now_ns() == before
                finally:
                    stop.set()
                    await task
    finally:
        people.close()
