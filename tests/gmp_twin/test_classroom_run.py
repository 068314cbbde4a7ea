"""A classroom of two team plants started as ``gmp-twin run --teams 2`` does, in this process.

Real parts: ``gmp_twin.all_in_one.run_all`` with a real users file and audit trail, two real OPC UA
servers on free ports (encrypted bridge sessions, as by default), a real SQLite historian, the
real HTTP server (uvicorn) called over TCP with per-user API tokens.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from asyncua import Client, ua
from people import PASSWORDS, SETUP, People, make_people

from config_schema.files import ConfigError
from gmp_twin.all_in_one import run_all
from gmp_twin.settings import Settings
from gmp_twin.team_plants import team_plants
from historian import Historian, open_historian
from twin.plant import load_plant

REPO = Path(__file__).resolve().parents[2]
PLANT = """\
site: lab
teams: {count: 2, seed: per-team}
units:
  - name: mps-pa
    type: mps_pa
"""
TEAMMATES = {"tina": ("team-2", "tina-pass-58210"), "tom": ("team-1", "tom-pass-77310")}


def two_free_ports() -> int:
    """A port ``p`` with ``p`` and ``p + 1`` free (the two team servers' ports)."""
    for _ in range(50):
        with socket.socket() as a:
            a.bind(("127.0.0.1", 0))
            port = int(a.getsockname()[1])
            with socket.socket() as b:
                try:
                    b.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
                return port
    raise AssertionError("no two consecutive free ports")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Room:
    http: httpx.AsyncClient
    people: People
    opcua_port: int
    historian: Historian
    tokens: dict[str, str]

    def as_(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}


def classroom_settings(tmp_path: Path, people: People, **extra: Any) -> Settings:
    (tmp_path / "plant.yaml").write_text(PLANT)
    return Settings(
        plant=tmp_path / "plant.yaml",
        users=people.users_path,
        audit=tmp_path / "people" / "audit.sqlite",
        historian=f"sqlite:///{tmp_path}/h.sqlite",
        outbox=tmp_path / "outbox.sqlite",
        monitor_outbox=tmp_path / "monitor-outbox.sqlite",
        events_outbox=tmp_path / "events-outbox.sqlite",
        run_lock=tmp_path / "run.lock",
        pki=tmp_path / "pki",
        session_secret="classroom-test-secret-0123456789abcdef",
        run_id="class-1",
        **extra,
    )


async def poll(check: Callable[[], Awaitable[Any]], what: str, within_s: float = 60.0) -> Any:
    """Call ``check`` until it returns something truthy (bounded generously: two shared cores)."""
    deadline = asyncio.get_running_loop().time() + within_s
    while not (found := await check()):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what} within {within_s} s")
        await asyncio.sleep(0.3)
    return found


@pytest.fixture
async def room(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> AsyncIterator[Room]:
    people = make_people(tmp_path / "people")
    tokens = dict(people.tokens)
    for name, (team, password) in TEAMMATES.items():
        people.store.add(name, "student", actor=SETUP, password=password, team=team)
        tokens[name] = people.store.create_token(name, actor=SETUP, label="tests")
    people.close()  # the run opens its own audit trail on the same file
    opcua_port, http_port = two_free_ports(), free_port()
    settings = classroom_settings(tmp_path, people, opcua_port=opcua_port, http_port=http_port)
    stop = asyncio.Event()
    task = asyncio.create_task(run_all(settings, stop))
    try:
        async with (
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{http_port}", timeout=30) as http,
            open_historian(settings.historian) as historian,
        ):

            async def up() -> bool:
                if task.done():
                    task.result()  # a failed start raises here
                try:
                    return (await http.get("/api/health")).status_code == 200
                except httpx.TransportError:
                    return False

            await poll(up, "the classroom's HTTP server did not start")
            yield Room(http, people, opcua_port, historian, tokens)
    finally:
        stop.set()
        await asyncio.wait_for(task, 60)
    printed = capsys.readouterr().err
    assert f"team-2  opc.tcp://127.0.0.1:{opcua_port + 1}  site lab-team-2  run class-1-team-2" in printed


async def _namespaces(port: int) -> list[str]:
    async with Client(f"opc.tcp://127.0.0.1:{port}", timeout=10) as client:
        return list(await client.get_namespace_array())


async def test_each_team_plant_has_its_server_namespace_site_and_run(room: Room) -> None:
    one, two = await _namespaces(room.opcua_port), await _namespaces(room.opcua_port + 1)
    assert "urn:gmp-twin:team-1" in one and "urn:gmp-twin:team-2" not in one
    assert "urn:gmp-twin:team-2" in two and "urn:gmp-twin:team-1" not in two

    async def stored(site: str) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            return any(k.tag == "B101_level" for k in await room.historian.latest(site=site))

        return check

    for site in ("lab-team-1", "lab-team-2"):
        await poll(await stored(site), f"no values of {site} in the historian")
    assert await room.historian.latest(site="lab") == {}  # no shared plant

    # One team's setpoint change stays in its plant.
    async with Client(f"opc.tcp://ines:{PASSWORDS['ines']}@127.0.0.1:{room.opcua_port}", timeout=10) as client:
        ns = await client.get_namespace_index("urn:gmp-twin:team-1")
        await client.get_node(f"ns={ns};s=mps-pa.level_sp").write_value(ua.Variant(21.5, ua.VariantType.Double))
    async with Client(f"opc.tcp://127.0.0.1:{room.opcua_port + 1}", timeout=10) as client:
        ns = await client.get_namespace_index("urn:gmp-twin:team-2")
        assert await client.get_node(f"ns={ns};s=mps-pa.level_sp").read_value() != 21.5

    health = (await room.http.get("/api/health", params={"team": "team-2"}, headers=room.as_("ines"))).json()
    assert health["site"] == "lab-team-2"
    assert health["components"]["runtime"]["run_id"] == "class-1-team-2"
    assert health["components"]["bridge:mps-pa"]["ok"] is True


async def test_students_see_only_their_team_and_instructors_choose(room: Room) -> None:
    async def sites(who: str, **params: str) -> set[str]:
        resp = await room.http.get("/api/tags", params=params, headers=room.as_(who))
        assert resp.status_code == 200, resp.text
        return {tag["site"] for tag in resp.json()}

    assert await sites("tina") == {"lab-team-2"}
    assert await sites("tina", team="team-1") == {"lab-team-2"}  # a student's ?team= is ignored
    assert await sites("tom") == {"lab-team-1"}
    assert await sites("sam") == set()  # a student in no team sees an empty plant
    assert await sites("ines") == {"lab-team-1"}  # an instructor's default: the first team
    assert await sites("ines", team="team-2") == {"lab-team-2"}
    assert await sites("ada", team="team-2") == {"lab-team-2"}
    unknown = await room.http.get("/api/tags", params={"team": "team-9"}, headers=room.as_("ines"))
    assert unknown.status_code == 404 and "team-1, team-2" in unknown.json()["detail"]

    # A fault injected in team 2 is team 2's: its list, its event (team and class run on it).
    fault = {"kind": "sensor_bias", "target": {"unit": "mps-pa", "tag": "B101_level"}, "magnitude": 2}
    made = await room.http.post("/api/faults", params={"team": "team-2"}, json=fault, headers=room.as_("ines"))
    assert made.status_code == 201, made.text
    one = await room.http.get("/api/faults", params={"team": "team-1"}, headers=room.as_("ines"))
    assert one.json() == []
    assert [f["id"] for f in (await room.http.get("/api/faults", headers=room.as_("tina"))).json()] == ["F1"]

    async def injected() -> list[Any]:
        events = await room.historian.events(0, 2**62, kinds=["fault_injected"])
        return [e for e in events if e.fields.get("team") == "team-2"]

    [event] = await poll(injected, "the team's fault event did not reach the historian")
    assert event.tags["site"] == "lab-team-2"
    assert (event.fields["run_id"], event.fields["class_run"]) == ("class-1-team-2", "class-1")


def test_teams_need_the_simulation_and_a_valid_block(tmp_path: Path) -> None:
    people = make_people(tmp_path / "people")
    people.close()
    settings = classroom_settings(tmp_path, people, teams=3)
    assert [(t.name, t.seed, t.site) for t in team_plants(settings)] == [
        ("team-1", 0, "lab-team-1"),
        ("team-2", 1, "lab-team-2"),
        ("team-3", 2, "lab-team-3"),
    ]
    assert team_plants(settings.model_copy(update={"teams": 0})) == []
    with pytest.raises(ConfigError, match="without --no-twin"):
        team_plants(settings, with_twin=False)
    with pytest.raises(ConfigError, match="--opcua-endpoint"):
        team_plants(settings.model_copy(update={"opcua_endpoint": "opc.tcp://kit:4840"}))
    bad = tmp_path / "bad.yaml"
    bad.write_text(PLANT.replace("teams: {count: 2, seed: per-team}", "teams: {count: 2, names: [red, Red]}"))
    with pytest.raises(ConfigError) as error:
        load_plant(bad)
    assert "bad.yaml:2:" in str(error.value) and "'Red'" in str(error.value)


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (["--teams", "25"], "--teams: Input should be less than or equal to 24"),
        (["--teams", "2", "--no-twin"], "2 teams need the simulation"),
    ],
)
def test_the_command_refuses_impossible_classrooms(tmp_path: Path, flags: list[str], said: str) -> None:
    command = [sys.executable, "-m", "gmp_twin", "run", "--plant", str(REPO / "config/plant.yaml"), *flags]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and said in done.stderr, done.stderr
