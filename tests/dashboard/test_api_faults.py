"""Faults and scenarios API: instructor-only changes, role-filtered reads, errors naming the field.

Callers are real users of a real users file (:func:`people.make_people`), authenticated by their
API tokens; every change and every refusal lands in the real audit trail with its actor.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from people import PASSWORDS, People, make_people
from scenario_texts import LEAK

from dashboard.api.app import create_api
from dashboard.services import Services
from historian import open_historian
from twin.faults.catalog import FAULT_TYPES
from twin.faults.service import TwinControl
from twin.plant import PlantConfig, build_plant
from twin.runtime import TwinRuntime

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


@dataclass
class Api:
    client: httpx.AsyncClient
    control: TwinControl
    people: People

    @property
    def instructor(self) -> dict[str, str]:
        return self.people.bearer("ines")

    @property
    def student(self) -> dict[str, str]:
        return self.people.bearer("sam")

    def last(self, action: str) -> Any:
        """The newest audit record of ``action``."""
        return self.people.audit.query(action=action, limit=1)[0]


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    people = make_people(tmp_path)
    library = tmp_path / "scenarios"
    library.mkdir()
    (library / "escape-level.yaml").write_text(ESCAPE)
    (library / "small-leak.yaml").write_text(LEAK)
    cfg = PlantConfig.model_validate({"site": "lab", "units": [{"name": "mps-pa", "type": "mps_pa"}]})
    runtime = TwinRuntime(build_plant(cfg))
    control = TwinControl(runtime, site="lab", run_id="run-test", scenario_dir=library, audit=people.audit)
    async with open_historian(f"sqlite:///{tmp_path}/h.sqlite") as historian:
        state = Services(historian=historian, tagmaps=[], control=control, gate=people.gate, audit=people.audit)
        app = create_api(state)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            yield Api(client, control, people)
    people.close()


INSTRUCTOR_CALLS = [
    ("POST", "/api/faults", BIAS),
    ("DELETE", "/api/faults/F1", None),
    ("DELETE", "/api/faults", None),
    ("GET", "/api/scenarios", None),
    ("POST", "/api/scenarios/small-leak/start", None),
    ("POST", "/api/scenarios/stop", None),
    ("PUT", "/api/scenarios/current/hidden", {"hidden": True}),
]


async def test_instructor_routes_refuse_anonymous_wrong_tokens_and_students(api: Api) -> None:
    client, control = api.client, api.control
    for method, url, body in INSTRUCTOR_CALLS:
        resp = await client.request(method, url, json=body)
        assert resp.status_code == 401 and "Bearer" in resp.json()["detail"], (method, url)
        wrong = await client.request(method, url, json=body, headers={"Authorization": "Bearer gmpt_nope_nope"})
        assert wrong.status_code == 401 and "unknown, revoked" in wrong.json()["detail"], (method, url)
        student = await client.request(method, url, json=body, headers=api.student)
        assert student.status_code == 403, (method, url)
        assert "needs the instructor role; sam is student" in student.json()["detail"], (method, url)
    # A wrong token on a read is refused too, not silently downgraded to an anonymous view.
    assert (await client.get("/api/faults", headers={"Authorization": "Bearer nope"})).status_code == 401
    assert control.faults("instructor") == [] and control.scenario_state("instructor") is None


async def test_a_refused_injection_is_audited_as_access_denied(api: Api) -> None:
    resp = await api.client.post("/api/faults", json=BIAS, headers=api.student)
    assert resp.status_code == 403
    denied = api.last("access.denied")
    assert (denied.user, denied.role, denied.via, denied.object) == ("sam", "student", "http", "POST /api/faults")
    assert (denied.result, denied.status) == ("refused", "403")
    assert "needs instructor" in denied.detail
    assert api.people.audit.query(action="fault") == []  # nothing was injected, so no fault record
    anonymous = await api.client.delete("/api/faults")
    assert anonymous.status_code == 401
    assert (api.last("access.denied").user, api.last("access.denied").status) == ("anonymous", "401")


async def test_inject_list_clear_round_trip(api: Api) -> None:
    client, control = api.client, api.control
    resp = await client.post("/api/faults", json={**BIAS, "note": "watch the level chart"}, headers=api.instructor)
    assert resp.status_code == 201, resp.text
    fault = resp.json()
    assert (fault["id"], fault["kind"], fault["hidden"]) == ("F1", "sensor_bias", False)
    assert fault["state"] in ("pending", "active")  # active from the next model step
    assert [f["id"] for f in control.faults("instructor")] == ["F1"]
    injected = api.last("fault.inject")
    assert (injected.user, injected.role, injected.via, injected.unit, injected.result) == (
        "ines",
        "instructor",
        "http",
        "mps-pa",
        "ok",
    )
    assert injected.new["id"] == "F1" and injected.new["magnitude"] == 2

    listed = (await client.get("/api/faults", headers=api.instructor)).json()
    assert [(f["id"], f["target"], f["magnitude"], f["note"]) for f in listed] == [
        ("F1", {"unit": "mps-pa", "tag": "B101_level"}, 2.0, "watch the level chart")
    ]
    public = (await client.get("/api/faults", headers=api.student)).json()
    assert [f["id"] for f in public] == ["F1"] and "note" not in public[0]  # instructors' notes stay private

    cleared = await client.delete("/api/faults/F1", headers=api.instructor)
    assert cleared.status_code == 200 and cleared.json()["state"] == "cleared"
    assert (await client.get("/api/faults?live_only=true", headers=api.instructor)).json() == []
    record = api.last("fault.clear")
    assert (record.user, record.object, record.new, record.result) == ("ines", "fault:F1", "cleared", "ok")

    missing = await client.delete("/api/faults/F9", headers=api.instructor)
    assert missing.status_code == 404 and "F9" in missing.json()["detail"] and "F1" in missing.json()["detail"]
    refused = api.last("fault.clear")
    assert (refused.user, refused.object, refused.result) == ("ines", "fault:F9", "refused")

    await client.post("/api/faults", json=BIAS, headers=api.instructor)
    await client.post("/api/faults", json={**BIAS, "kind": "sensor_noise", "magnitude": 0.2}, headers=api.instructor)
    resp = await client.delete("/api/faults", headers=api.instructor)
    assert resp.status_code == 200 and resp.json() == {"cleared": ["F2", "F3"]}
    assert (api.last("fault.clear_all").user, api.last("fault.clear_all").new) == ("ines", ["F2", "F3"])
    assert control.faults("instructor", live_only=True) == []


async def test_student_view_hides_hidden_faults(api: Api) -> None:
    client = api.client
    await client.post("/api/faults", json=BIAS, headers=api.instructor)
    secret = await client.post("/api/faults", json={**BIAS, "magnitude": -1, "hidden": True}, headers=api.instructor)
    assert secret.status_code == 201 and secret.json()["hidden"] is True
    assert [f["id"] for f in (await client.get("/api/faults", headers=api.instructor)).json()] == ["F1", "F2"]
    assert [f["id"] for f in (await client.get("/api/faults", headers=api.student)).json()] == ["F1"]


async def test_catalog_is_for_any_viewer_and_reveals_no_fault(api: Api) -> None:
    client = api.client
    await client.post("/api/faults", json={**BIAS, "hidden": True}, headers=api.instructor)
    resp = await client.get("/api/faults/catalog", headers=api.student)
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


async def test_invalid_faults_name_the_field_and_the_valid_options(api: Api) -> None:
    client, control = api.client, api.control

    async def post(body: dict[str, Any]) -> httpx.Response:
        return await client.post("/api/faults", json=body, headers=api.instructor)

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


async def test_openapi_documents_the_fault_union(api: Api) -> None:
    client = api.client
    schema = (await client.get("/api/openapi.json")).json()
    body = schema["paths"]["/api/faults"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    union = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert union["discriminator"]["propertyName"] == "kind"
    assert len(union["oneOf"]) == len(FAULT_TYPES) == 25  # every kind of the catalogue, each once
    bias = schema["components"]["schemas"]["SensorBiasRequest"]["properties"]
    assert {"kind", "target", "magnitude", "hidden"} <= set(bias)


async def test_scenarios_start_hide_stop(api: Api) -> None:
    client, control = api.client, api.control
    library = (await client.get("/api/scenarios?lang=fr", headers=api.instructor)).json()
    assert [(s["name"], s["title"], s["hidden"]) for s in library] == [
        ("escape-level", "Niveau mystère", True),
        ("small-leak", "Petite fuite", False),
    ]
    assert (await client.get("/api/scenarios/current", headers=api.student)).json() is None

    started = await client.post("/api/scenarios/escape-level/start", headers=api.instructor)
    assert started.status_code == 200 and started.json()["state"] == "running" and started.json()["hidden"]
    student = (await client.get("/api/scenarios/current", headers=api.student)).json()
    assert student["title"] == "Mystery level" and "fault_ids" not in student
    assert (await client.get("/api/faults", headers=api.student)).json() == []  # the escape game's fault is hidden
    instructor = (await client.get("/api/scenarios/current", headers=api.instructor)).json()
    assert instructor["fault_ids"] == ["F1"]

    revealed = await client.put("/api/scenarios/current/hidden", json={"hidden": False}, headers=api.instructor)
    assert revealed.status_code == 200 and revealed.json()["hidden"] is False
    assert [f["id"] for f in (await client.get("/api/faults", headers=api.student)).json()] == ["F1"]

    # Ending an exercise needs the instructor's electronic signature (plant policy default).
    unsigned = await client.post("/api/scenarios/stop", headers=api.instructor)
    assert unsigned.status_code == 403 and "signature" in unsigned.json()["detail"]
    assert (control.scenario_state("instructor") or {}).get("state") == "running"
    signature = {"signature": {"password": PASSWORDS["ines"], "meaning": "approved"}}
    stopped = await client.post("/api/scenarios/stop", json=signature, headers=api.instructor)
    assert stopped.status_code == 200 and stopped.json()["state"] == "stopped"
    record = api.last("scenario.stop")
    assert (record.user, record.object, record.result) == ("ines", "scenario:escape-level", "ok")
    assert record.signature["user"] == "ines" and record.signature["meaning"] == "approved"
    assert [r.action for r in api.people.audit.query(action="scenario", newest_first=False)] == [
        "scenario.start",
        "scenario.hide",
        "scenario.stop",
        "scenario.stop",
    ]
    assert control.faults("instructor", live_only=True) == []

    shown = await client.post("/api/scenarios/escape-level/start", json={"hidden": False}, headers=api.instructor)
    assert shown.json()["hidden"] is False

    missing = await client.post("/api/scenarios/no-such/start", headers=api.instructor)
    assert missing.status_code == 404 and "escape-level" in missing.json()["detail"]
    bad = await client.post("/api/scenarios/..%2Fetc/start", headers=api.instructor)
    assert bad.status_code in (404, 422)


async def test_without_the_control_service_routes_say_why(tmp_path: Path) -> None:
    async with open_historian(f"sqlite:///{tmp_path}/h.sqlite") as historian:
        app = create_api(Services(historian=historian, tagmaps=[]))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            for url in ("/api/faults", "/api/faults/catalog", "/api/scenarios/current", "/api/clock"):
                resp = await client.get(url)
                assert resp.status_code == 503 and "gmp-twin run" in resp.json()["detail"], url


async def test_clock_router_finds_the_runtime_through_the_control_service(api: Api) -> None:
    client, control = api.client, api.control
    resp = await client.put("/api/clock", json={"speed": 10, "paused": True}, headers=api.instructor)
    assert resp.status_code == 200 and resp.json()["speed"] == 10
    assert control.clock()["paused"] is True
    record = api.last("clock.set")
    assert (record.user, record.old, record.new) == (
        "ines",
        {"speed": 1.0, "paused": False},
        {"speed": 10.0, "paused": True},
    )
