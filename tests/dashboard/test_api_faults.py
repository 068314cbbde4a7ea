"""Faults and scenarios API: instructor-only changes, role-filtered reads, errors naming the field."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from dashboard.api.app import create_api
from dashboard.services import Services
from historian import open_historian
from twin.faults.service import TwinControl
from twin.plant import PlantConfig, build_plant
from twin.runtime import TwinRuntime

TOKEN = "s3cret-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BIAS = {"kind": "sensor_bias", "target": {"unit": "mps-pa", "tag": "B101_level"}, "magnitude": 2}

ESCAPE = """
title: {en: Mystery level, fr: Niveau mystère}
briefing: {en: Find what is wrong, fr: Trouvez ce qui ne va pas}
units: [mps-pa]
hidden: true
duration_s: 600
faults:
  - {kind: sensor_bias, target: {unit: mps-pa, tag: B101_level}, magnitude: 1.5, note: the level reads high}
"""
LEAK = """
title: {en: Small leak, fr: Petite fuite}
units: [mps-pa]
duration_s: 300
faults:
  - {kind: leak, target: {unit: mps-pa}, magnitude: 0.5, start_s: 10}
"""


@pytest.fixture
async def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[httpx.AsyncClient, TwinControl]]:
    monkeypatch.setenv("GMP_TWIN_INSTRUCTOR_TOKEN", TOKEN)
    library = tmp_path / "scenarios"
    library.mkdir()
    (library / "escape-level.yaml").write_text(ESCAPE)
    (library / "small-leak.yaml").write_text(LEAK)
    cfg = PlantConfig.model_validate({"site": "lab", "units": [{"name": "mps-pa", "type": "mps_pa"}]})
    control = TwinControl(TwinRuntime(build_plant(cfg)), site="lab", run_id="run-test", scenario_dir=library)
    async with open_historian(f"sqlite:///{tmp_path}/h.sqlite") as historian:
        state = Services(historian=historian, tagmaps=[], control=control)
        app = create_api(state)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            yield client, control


async def test_instructor_routes_need_the_token(
    api: tuple[httpx.AsyncClient, TwinControl], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, control = api
    calls = [
        ("POST", "/api/faults", BIAS),
        ("DELETE", "/api/faults/F1", None),
        ("DELETE", "/api/faults", None),
        ("GET", "/api/scenarios", None),
        ("POST", "/api/scenarios/small-leak/start", None),
        ("POST", "/api/scenarios/stop", None),
        ("PUT", "/api/scenarios/current/hidden", {"hidden": True}),
    ]
    for method, url, body in calls:
        resp = await client.request(method, url, json=body)
        assert resp.status_code == 401 and "Bearer" in resp.json()["detail"], (method, url)
        wrong = await client.request(method, url, json=body, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401, (method, url)
    # A wrong token on a read is refused too, not silently downgraded to the student view.
    assert (await client.get("/api/faults", headers={"Authorization": "Bearer nope"})).status_code == 401
    assert control.faults("instructor") == [] and control.scenario_state("instructor") is None

    monkeypatch.delenv("GMP_TWIN_INSTRUCTOR_TOKEN")
    resp = await client.post("/api/faults", json=BIAS, headers=AUTH)
    assert resp.status_code == 403 and "GMP_TWIN_INSTRUCTOR_TOKEN" in resp.json()["detail"]


async def test_inject_list_clear_round_trip(api: tuple[httpx.AsyncClient, TwinControl]) -> None:
    client, control = api
    resp = await client.post("/api/faults", json={**BIAS, "note": "watch the level chart"}, headers=AUTH)
    assert resp.status_code == 201, resp.text
    fault = resp.json()
    assert (fault["id"], fault["kind"], fault["hidden"]) == ("F1", "sensor_bias", False)
    assert fault["state"] in ("pending", "active")  # active from the next model step
    assert [f["id"] for f in control.faults("instructor")] == ["F1"]

    listed = (await client.get("/api/faults", headers=AUTH)).json()
    assert [(f["id"], f["target"], f["magnitude"], f["note"]) for f in listed] == [
        ("F1", {"unit": "mps-pa", "tag": "B101_level"}, 2.0, "watch the level chart")
    ]
    public = (await client.get("/api/faults")).json()
    assert [f["id"] for f in public] == ["F1"] and "note" not in public[0]  # instructors' notes stay private

    cleared = await client.delete("/api/faults/F1", headers=AUTH)
    assert cleared.status_code == 200 and cleared.json()["state"] == "cleared"
    assert (await client.get("/api/faults?live_only=true", headers=AUTH)).json() == []

    missing = await client.delete("/api/faults/F9", headers=AUTH)
    assert missing.status_code == 404 and "F9" in missing.json()["detail"] and "F1" in missing.json()["detail"]

    await client.post("/api/faults", json=BIAS, headers=AUTH)
    await client.post("/api/faults", json={**BIAS, "kind": "sensor_noise", "magnitude": 0.2}, headers=AUTH)
    resp = await client.delete("/api/faults", headers=AUTH)
    assert resp.status_code == 200 and resp.json() == {"cleared": ["F2", "F3"]}
    assert control.faults("instructor", live_only=True) == []


async def test_student_view_hides_hidden_faults(api: tuple[httpx.AsyncClient, TwinControl]) -> None:
    client, _ = api
    await client.post("/api/faults", json=BIAS, headers=AUTH)
    secret = await client.post("/api/faults", json={**BIAS, "magnitude": -1, "hidden": True}, headers=AUTH)
    assert secret.status_code == 201 and secret.json()["hidden"] is True
    assert [f["id"] for f in (await client.get("/api/faults", headers=AUTH)).json()] == ["F1", "F2"]
    assert [f["id"] for f in (await client.get("/api/faults")).json()] == ["F1"]


async def test_catalog_is_public_and_reveals_no_fault(api: tuple[httpx.AsyncClient, TwinControl]) -> None:
    client, _ = api
    await client.post("/api/faults", json={**BIAS, "hidden": True}, headers=AUTH)
    resp = await client.get("/api/faults/catalog")
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {"kinds", "units"}
    assert body["kinds"]["sensor_bias"]["needs"] == "tag"
    assert body["units"]["mps-pa"]["measurements"]["B101_level"] == [0.0, 30.0]
    assert "F1" not in resp.text


def _error(resp: httpx.Response) -> tuple[list[Any], str]:
    assert resp.status_code == 422, resp.text
    (err,) = resp.json()["detail"]
    return err["loc"], err["msg"]


async def test_invalid_faults_name_the_field_and_the_valid_options(api: tuple[httpx.AsyncClient, TwinControl]) -> None:
    client, control = api

    async def post(body: dict[str, Any]) -> httpx.Response:
        return await client.post("/api/faults", json=body, headers=AUTH)

    loc, msg = _error(await post({**BIAS, "kind": "sensor_wobble"}))
    assert "unknown fault kind 'sensor_wobble'" in msg and "sensor_bias" in msg and "valve_stuck" in msg
    loc, msg = _error(await post({"target": {"unit": "mps-pa"}}))
    assert "valid kinds: blocked" in msg

    loc, msg = _error(await post({**BIAS, "target": {"unit": "mps-pb", "tag": "B101_level"}}))
    assert loc == ["body", "target", "unit"] and "unknown unit 'mps-pb'; units: mps-pa" in msg

    loc, msg = _error(await post({**BIAS, "target": {"unit": "mps-pa", "tag": "B999"}}))
    assert loc == ["body", "target", "tag"] and "B101_level" in msg and "B104_temperature" in msg

    loc, msg = _error(await post({**BIAS, "magnitude": 500}))
    assert loc == ["body", "magnitude"] and "magnitude 500" in msg and "-30 to 30" in msg

    loc, msg = _error(await post({"kind": "leak", "target": {"unit": "mps-pa"}, "magnitude": 50}))
    assert loc == ["body", "magnitude"] and "0 to 5 l/min" in msg

    loc, msg = _error(await post({"kind": "sensor_bias", "target": {"unit": "mps-pa", "tag": "B101_level"}}))
    assert "'magnitude' is required" in msg

    loc, msg = _error(await post({**BIAS, "magnitud": 2}))
    assert loc[-1] == "magnitud" and "Extra inputs" in msg

    loc, msg = _error(await post({**BIAS, "duration_s": -5}))
    assert loc[-1] == "duration_s" and "greater than 0" in msg

    assert control.faults("instructor") == []
    await post({**BIAS, "id": "lvl"})
    dup = await post({**BIAS, "id": "lvl"})
    assert dup.status_code == 409 and "already active" in dup.json()["detail"]


async def test_openapi_documents_the_fault_union(api: tuple[httpx.AsyncClient, TwinControl]) -> None:
    client, _ = api
    schema = (await client.get("/api/openapi.json")).json()
    body = schema["paths"]["/api/faults"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    union = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert union["discriminator"]["propertyName"] == "kind"
    assert len(union["oneOf"]) == 24
    bias = schema["components"]["schemas"]["SensorBiasRequest"]["properties"]
    assert {"kind", "target", "magnitude", "hidden"} <= set(bias)


async def test_scenarios_start_hide_stop(api: tuple[httpx.AsyncClient, TwinControl]) -> None:
    client, control = api
    library = (await client.get("/api/scenarios?lang=fr", headers=AUTH)).json()
    assert [(s["name"], s["title"], s["hidden"]) for s in library] == [
        ("escape-level", "Niveau mystère", True),
        ("small-leak", "Petite fuite", False),
    ]
    assert (await client.get("/api/scenarios/current")).json() is None

    started = await client.post("/api/scenarios/escape-level/start", headers=AUTH)
    assert started.status_code == 200 and started.json()["state"] == "running" and started.json()["hidden"]
    student = (await client.get("/api/scenarios/current")).json()
    assert student["title"] == "Mystery level" and "fault_ids" not in student
    assert (await client.get("/api/faults")).json() == []  # the escape game's fault is hidden
    instructor = (await client.get("/api/scenarios/current", headers=AUTH)).json()
    assert instructor["fault_ids"] == ["F1"]

    revealed = await client.put("/api/scenarios/current/hidden", json={"hidden": False}, headers=AUTH)
    assert revealed.status_code == 200 and revealed.json()["hidden"] is False
    assert [f["id"] for f in (await client.get("/api/faults")).json()] == ["F1"]

    stopped = await client.post("/api/scenarios/stop", headers=AUTH)
    assert stopped.json()["state"] == "stopped"
    assert control.faults("instructor", live_only=True) == []

    shown = await client.post("/api/scenarios/escape-level/start", json={"hidden": False}, headers=AUTH)
    assert shown.json()["hidden"] is False

    missing = await client.post("/api/scenarios/no-such/start", headers=AUTH)
    assert missing.status_code == 404 and "escape-level" in missing.json()["detail"]
    bad = await client.post("/api/scenarios/..%2Fetc/start", headers=AUTH)
    assert bad.status_code in (404, 422)


async def test_without_the_control_service_routes_say_why(tmp_path: Path) -> None:
    async with open_historian(f"sqlite:///{tmp_path}/h.sqlite") as historian:
        app = create_api(Services(historian=historian, tagmaps=[]))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            for url in ("/api/faults", "/api/faults/catalog", "/api/scenarios/current", "/api/clock"):
                resp = await client.get(url)
                assert resp.status_code == 503 and "gmp-twin run" in resp.json()["detail"], url


async def test_clock_router_finds_the_runtime_through_the_control_service(
    api: tuple[httpx.AsyncClient, TwinControl],
) -> None:
    client, control = api
    resp = await client.put("/api/clock", json={"speed": 10, "paused": True}, headers=AUTH)
    assert resp.status_code == 200 and resp.json()["speed"] == 10
    assert control.clock()["paused"] is True
