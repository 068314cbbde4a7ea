"""Clock and snapshot API: reads for any viewer, instructor-only changes, each audited, clear errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from people import People, make_people

from dashboard.api.routers import clock
from dashboard.services import Services
from historian import open_historian
from models.mps_pa import MpsPaStation
from twin.runtime import TwinRuntime


@dataclass
class ClockApi:
    client: httpx.AsyncClient
    runtime: TwinRuntime
    people: People


@pytest.fixture
async def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[ClockApi]:
    monkeypatch.setattr(clock, "SNAPSHOT_DIR", tmp_path / "snapshots")
    people = make_people(tmp_path)
    runtime = TwinRuntime({"mps-pa": MpsPaStation()})
    async with open_historian(f"sqlite:///{tmp_path}/h.sqlite") as historian:
        app = FastAPI()
        app.state.services = Services(
            historian=historian, tagmaps=[], runtime=runtime, gate=people.gate, audit=people.audit
        )
        app.include_router(clock.router, prefix="/api")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            yield ClockApi(client, runtime, people)
    people.close()


async def test_reads_need_a_viewer_changes_the_instructor(api: ClockApi) -> None:
    client, runtime, people = api.client, api.runtime, api.people
    assert (await client.get("/api/clock")).status_code == 401
    assert (await client.get("/api/clock", headers=people.bearer("sam"))).json()["speed"] == 1.0
    denied = await client.put("/api/clock", json={"paused": True})
    assert denied.status_code == 401 and "Bearer" in denied.json()["detail"]
    wrong = await client.put("/api/clock", json={"paused": True}, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    student = await client.put("/api/clock", json={"paused": True}, headers=people.bearer("sam"))
    assert student.status_code == 403 and "instructor" in student.json()["detail"]
    assert not runtime.clock.paused
    assert [(r.user, r.object) for r in people.audit.query(action="access.denied", newest_first=False)] == [
        ("anonymous", "GET /api/clock"),
        ("anonymous", "PUT /api/clock"),
        ("invalid-token", "PUT /api/clock"),
        ("sam", "PUT /api/clock"),
    ]
    assert people.audit.query(action="clock") == []
    ok = await client.put("/api/clock", json={"paused": True, "speed": "max"}, headers=people.bearer("ines"))
    assert ok.status_code == 200 and ok.json()["paused"] is True and ok.json()["speed"] == "max"
    [record] = people.audit.query(action="clock.set")
    assert (record.user, record.role, record.via, record.result) == ("ines", "instructor", "http", "ok")
    assert (record.old, record.new) == ({"speed": 1.0, "paused": False}, {"speed": "max", "paused": True})
    admin = await client.put("/api/clock", json={"paused": False}, headers=people.bearer("ada"))
    assert admin.status_code == 200 and people.audit.query(action="clock.set", limit=1)[0].user == "ada"


async def test_malformed_bodies_name_the_field(api: ClockApi) -> None:
    client = api.client
    auth = api.people.bearer("ines")
    resp = await client.put("/api/clock", json={"speed": -2}, headers=auth)
    assert resp.status_code == 422 and any("speed" in e["loc"] for e in resp.json()["detail"])
    resp = await client.put("/api/clock", json={"sped": 2}, headers=auth)
    assert resp.status_code == 422 and any("sped" in e["loc"] for e in resp.json()["detail"])


async def test_step_only_when_paused(api: ClockApi) -> None:
    client, runtime = api.client, api.runtime
    auth = api.people.bearer("ines")
    assert (await client.post("/api/clock/step", json={"steps": 5}, headers=auth)).status_code == 409
    await client.put("/api/clock", json={"paused": True}, headers=auth)
    resp = await client.post("/api/clock/step", json={"steps": 5}, headers=auth)
    assert resp.json()["steps"] == 5 and runtime.steps == 5
    [step] = api.people.audit.query(action="clock.step")  # the 409 changed nothing: no record
    assert (step.user, step.new, step.result) == ("ines", {"steps": 5}, "ok")


async def test_snapshot_then_restore_rewinds_the_plant(api: ClockApi) -> None:
    client, runtime = api.client, api.runtime
    auth = api.people.bearer("ines")
    await client.put("/api/clock", json={"paused": True}, headers=auth)
    await client.post("/api/clock/step", json={"steps": 10}, headers=auth)
    saved = await client.post("/api/snapshots", json={"name": "before-step"}, headers=auth)
    assert saved.status_code == 201
    level_then = runtime.slots["mps-pa"].unit.read()["B101_level"]
    runtime.write("mps-pa", "V102_cmd", 1)
    await client.post("/api/clock/step", json={"steps": 300}, headers=auth)
    assert runtime.slots["mps-pa"].unit.read()["B101_level"] != level_then
    restored = await client.post("/api/snapshots/before-step/restore", headers=auth)
    assert restored.status_code == 200 and restored.json()["steps"] == 10
    assert runtime.slots["mps-pa"].unit.read()["B101_level"] == level_then
    assert [s["name"] for s in (await client.get("/api/snapshots", headers=auth)).json()] == ["before-step"]
    missing = await client.post("/api/snapshots/nope/restore", headers=auth)
    assert missing.status_code == 404 and "before-step" in missing.json()["detail"]
    audit = api.people.audit
    [save] = audit.query(action="snapshot.save")
    [restore] = audit.query(action="snapshot.restore")
    assert (save.user, save.object, save.result) == ("ines", "snapshot:before-step", "ok")
    assert (restore.user, restore.object, restore.old["steps"]) == ("ines", "snapshot:before-step", 310)
