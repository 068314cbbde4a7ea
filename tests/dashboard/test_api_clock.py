"""Clock and snapshot API: public reads, instructor-only changes, clear errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from dashboard.api.routers import clock
from dashboard.services import Services
from historian import open_historian
from models.mps_pa import MpsPaStation
from twin.runtime import TwinRuntime

TOKEN = "s3cret-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
async def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[httpx.AsyncClient, TwinRuntime]]:
    monkeypatch.setenv("GMP_TWIN_INSTRUCTOR_TOKEN", TOKEN)
    monkeypatch.setattr(clock, "SNAPSHOT_DIR", tmp_path / "snapshots")
    runtime = TwinRuntime({"mps-pa": MpsPaStation()})
    async with open_historian(f"sqlite:///{tmp_path}/h.sqlite") as historian:
        app = FastAPI()
        app.state.services = Services(historian=historian, tagmaps=[], runtime=runtime)
        app.include_router(clock.router, prefix="/api")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            yield client, runtime


async def test_read_is_public_changes_need_the_token(api: tuple[httpx.AsyncClient, TwinRuntime]) -> None:
    client, runtime = api
    assert (await client.get("/api/clock")).json()["speed"] == 1.0
    denied = await client.put("/api/clock", json={"paused": True})
    assert denied.status_code == 401 and "Bearer" in denied.json()["detail"]
    assert (
        await client.put("/api/clock", json={"paused": True}, headers={"Authorization": "Bearer nope"})
    ).status_code == 401
    assert not runtime.clock.paused
    ok = await client.put("/api/clock", json={"paused": True, "speed": "max"}, headers=AUTH)
    assert ok.status_code == 200 and ok.json()["paused"] is True and ok.json()["speed"] == "max"


async def test_controls_disabled_without_a_configured_token(
    api: tuple[httpx.AsyncClient, TwinRuntime], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = api
    monkeypatch.delenv("GMP_TWIN_INSTRUCTOR_TOKEN")
    resp = await client.put("/api/clock", json={"paused": True}, headers=AUTH)
    assert resp.status_code == 403 and "GMP_TWIN_INSTRUCTOR_TOKEN" in resp.json()["detail"]


async def test_malformed_bodies_name_the_field(api: tuple[httpx.AsyncClient, TwinRuntime]) -> None:
    client, _ = api
    resp = await client.put("/api/clock", json={"speed": -2}, headers=AUTH)
    assert resp.status_code == 422 and any("speed" in e["loc"] for e in resp.json()["detail"])
    resp = await client.put("/api/clock", json={"sped": 2}, headers=AUTH)
    assert resp.status_code == 422 and any("sped" in e["loc"] for e in resp.json()["detail"])


async def test_step_only_when_paused(api: tuple[httpx.AsyncClient, TwinRuntime]) -> None:
    client, runtime = api
    assert (await client.post("/api/clock/step", json={"steps": 5}, headers=AUTH)).status_code == 409
    await client.put("/api/clock", json={"paused": True}, headers=AUTH)
    resp = await client.post("/api/clock/step", json={"steps": 5}, headers=AUTH)
    assert resp.json()["steps"] == 5 and runtime.steps == 5


async def test_snapshot_then_restore_rewinds_the_plant(api: tuple[httpx.AsyncClient, TwinRuntime]) -> None:
    client, runtime = api
    await client.put("/api/clock", json={"paused": True}, headers=AUTH)
    await client.post("/api/clock/step", json={"steps": 10}, headers=AUTH)
    saved = await client.post("/api/snapshots", json={"name": "before-step"}, headers=AUTH)
    assert saved.status_code == 201
    level_then = runtime.slots["mps-pa"].unit.read()["B101_level"]
    runtime.write("mps-pa", "V102_cmd", 1)
    await client.post("/api/clock/step", json={"steps": 300}, headers=AUTH)
    assert runtime.slots["mps-pa"].unit.read()["B101_level"] != level_then
    restored = await client.post("/api/snapshots/before-step/restore", headers=AUTH)
    assert restored.status_code == 200 and restored.json()["steps"] == 10
    assert runtime.slots["mps-pa"].unit.read()["B101_level"] == level_then
    assert [s["name"] for s in (await client.get("/api/snapshots")).json()] == ["before-step"]
    missing = await client.post("/api/snapshots/nope/restore", headers=AUTH)
    assert missing.status_code == 404 and "before-step" in missing.json()["detail"]
