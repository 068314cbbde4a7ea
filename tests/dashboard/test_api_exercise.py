"""Exercise API: reports and hints by team, instructor-only pushes and the signed end, hidden faults kept hidden.

Real users file with two students in two teams and one in none, real audit trail, real plant
stepped by hand (no wall clock).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from people import PASSWORDS, SETUP, People, make_people

from dashboard.api.app import create_api
from dashboard.services import Services
from historian import open_historian
from twin.faults.service import TwinControl
from twin.plant import PlantConfig, build_plant
from twin.runtime import TwinRuntime

MYSTERY = """
title: {en: Mystery level, fr: Niveau mystère}
briefing: {en: Find what is wrong, fr: Trouvez ce qui ne va pas}
units: [mps-pa]
hidden: true
duration_s: 900
faults:
  - {id: zero-shift, kind: sensor_bias, target: {unit: mps-pa, tag: B101_level}, magnitude: 4.25, start_s: 60}
candidate_causes:
  - {id: level-bias, label: {en: Level transmitter bias, fr: Biais du transmetteur}, fault_kind: sensor_bias}
  - {id: pump-wear, label: {en: Worn pump, fr: Pompe usée}}
hints:
  - {id: zero, text: {en: Check the zero, fr: Vérifiez le zéro}, cost: 8}
scoring:
  answers: [{fault: zero-shift, unit: mps-pa, tags: [B101_level], causes: [level-bias]}]
"""

TEAMS = {"lea": ("team-1", "lea-student-pass-2291"), "max": ("team-2", "max-student-pass-6604")}
SIGNED = {"signature": {"password": PASSWORDS["ines"], "meaning": "approved"}}


@dataclass
class Api:
    client: httpx.AsyncClient
    control: TwinControl
    people: People

    def as_(self, name: str) -> dict[str, str]:
        return self.people.bearer(name)

    def step(self, seconds: float) -> None:
        for _ in range(round(seconds / self.control.runtime.dt_s)):
            self.control.runtime.step()


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    people = make_people(tmp_path, anonymous_view=True)
    for name, (team, password) in TEAMS.items():
        people.store.add(name, "student", actor=SETUP, password=password, team=team)
        people.tokens[name] = people.store.create_token(name, actor=SETUP, label="tests")
    library = tmp_path / "scenarios"
    library.mkdir()
    (library / "mystery.yaml").write_text(MYSTERY)
    cfg = PlantConfig.model_validate({"site": "lab", "units": [{"name": "mps-pa", "type": "mps_pa"}]})
    control = TwinControl(TwinRuntime(build_plant(cfg)), site="lab", run_id="run-x", scenario_dir=library,
                          audit=people.audit)  # fmt: skip
    async with open_historian(f"sqlite:///{tmp_path}/h.sqlite") as historian:
        services = Services(historian=historian, tagmaps=[], control=control, gate=people.gate, audit=people.audit)
        app = create_api(services)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            yield Api(client, control, people)
    people.close()


REPORT = {
    "unit": "mps-pa", "tags": ["B101_level"], "start": "2026-03-02T10:40:00+01:00", "cause": "level-bias",
    "action": "level loop to manual", "classification": "major", "impact": "possible",
}  # fmt: skip


async def _start(api: Api) -> None:
    started = await api.client.post("/api/scenarios/mystery/start", headers=api.as_("ines"))
    assert started.status_code == 200, started.text


async def test_students_outside_a_team_or_an_exercise_are_refused_clearly(api: Api) -> None:
    client = api.client
    assert (await client.get("/api/exercise", headers=api.as_("lea"))).json() is None
    closed = await client.post("/api/exercise/reports", json=REPORT, headers=api.as_("lea"))
    assert closed.status_code == 409 and "no exercise is running" in closed.json()["detail"]
    await _start(api)
    for method, url, body in [
        ("POST", "/api/exercise/reports", REPORT),
        ("GET", "/api/exercise/reports", None),
        ("GET", "/api/exercise/hints", None),
        ("POST", "/api/exercise/hints/zero/open", None),
    ]:
        anonymous = await client.request(method, url, json=body)
        assert anonymous.status_code == 401, (method, url)
        sam = await client.request(method, url, json=body, headers=api.as_("sam"))
        assert sam.status_code == 403 and "you are in no team" in sam.json()["detail"], (method, url)
    for url, body in [("/api/exercise/hints", {"hint_id": "zero"}), ("/api/exercise/end", SIGNED)]:
        student = await client.post(url, json=body, headers=api.as_("lea"))
        assert student.status_code == 403 and "needs the instructor role" in student.json()["detail"], url
    assert api.control.hints("team-1", "instructor") == [] and api.control.reports(None) == []


async def test_reports_by_team_with_fields_named_when_wrong(api: Api) -> None:
    client = api.client
    await _start(api)
    api.step(120)
    missing = await client.post("/api/exercise/reports", json={**REPORT, "action": None}, headers=api.as_("lea"))
    assert missing.status_code == 422 and "action" in str(missing.json()["detail"])
    no_zone = await client.post(
        "/api/exercise/reports", json={**REPORT, "start": "2026-03-02T10:40:00"}, headers=api.as_("lea")
    )
    assert no_zone.status_code == 422 and "start" in str(no_zone.json()["detail"])
    unit = await client.post("/api/exercise/reports", json={**REPORT, "unit": "dryer-1"}, headers=api.as_("lea"))
    assert unit.status_code == 422 and unit.json()["detail"] == "unit: unknown unit 'dryer-1'; units: mps-pa"

    lea = await client.post("/api/exercise/reports", json=REPORT, headers=api.as_("lea"))
    assert lea.status_code == 201, lea.text
    assert (lea.json()["report_id"], lea.json()["team"], lea.json()["user"]) == ("R1", "team-1", "lea")
    assert lea.json()["start"] == "2026-03-02T09:40:00+00:00"
    max_ = await client.post(
        "/api/exercise/reports", json={**REPORT, "cause": "", "cause_text": "a leak"}, headers=api.as_("max")
    )
    assert max_.status_code == 201 and max_.json()["team"] == "team-2"
    foreign = await client.post("/api/exercise/reports", json={**REPORT, "supersedes": "R1"}, headers=api.as_("max"))
    assert foreign.status_code == 422 and "no earlier report of team-2" in foreign.json()["detail"]

    own = (await client.get("/api/exercise/reports", headers=api.as_("lea"))).json()
    assert [r["report_id"] for r in own] == ["R1"]
    every = (await client.get("/api/exercise/reports", headers=api.as_("ines"))).json()
    assert [r["report_id"] for r in every] == ["R1", "R2"]
    second = (await client.get("/api/exercise/reports?team=team-2", headers=api.as_("ines"))).json()
    assert [r["report_id"] for r in second] == ["R2"]
    # A student cannot read another team's reports by asking for it.
    asked = (await client.get("/api/exercise/reports?team=team-2", headers=api.as_("lea"))).json()
    assert [r["team"] for r in asked] == ["team-1"]
    records = api.people.audit.query(action="deviation.report")
    assert {(r.user, r.result) for r in records} >= {("lea", "ok"), ("max", "ok"), ("lea", "refused")}


async def test_hints_pushed_by_instructors_opened_by_the_team_at_their_cost(api: Api) -> None:
    client = api.client
    await _start(api)
    pushed = await client.post(
        "/api/exercise/hints", json={"team": "team-1", "hint_id": "zero"}, headers=api.as_("ines")
    )
    assert pushed.status_code == 201 and pushed.json()[0]["text"]["en"] == "Check the zero"
    unknown = await client.post("/api/exercise/hints", json={"hint_id": "nope"}, headers=api.as_("ines"))
    assert unknown.status_code == 422 and "its hints: zero" in unknown.json()["detail"]
    free = await client.post("/api/exercise/hints", json={"text": {"fr": "Regardez B101"}, "cost": 2},
                             headers=api.as_("ines"))  # fmt: skip
    assert free.status_code == 201 and free.json()[0]["team"] == ""
    seen = (await client.get("/api/exercise/hints", headers=api.as_("lea"))).json()
    assert [(h["id"], h["cost"], h["text"]) for h in seen] == [("zero", 8.0, None), ("instructor-1", 2.0, None)]
    assert [h["id"] for h in (await client.get("/api/exercise/hints", headers=api.as_("max"))).json()] == [
        "instructor-1"
    ]
    other = await client.post("/api/exercise/hints/zero/open", headers=api.as_("max"))
    assert other.status_code == 404 and "no hint 'zero' was pushed to team-2" in other.json()["detail"]
    opened = await client.post("/api/exercise/hints/zero/open", headers=api.as_("lea"))
    assert opened.status_code == 200 and opened.json()["text"]["fr"] == "Vérifiez le zéro"
    assert api.people.audit.query(action="hint.open", limit=1)[0].user == "lea"


def _leaks(text: str) -> bool:
    """The fault's id, its magnitude or the answer key in a response."""
    return "zero-shift" in text or "4.25" in text or '"answers"' in text


async def test_hidden_fault_is_never_shown_to_students_or_anonymous_before_the_signed_end(api: Api) -> None:
    client = api.client
    await _start(api)
    api.step(120)  # the fault is active
    await client.post("/api/exercise/reports", json=REPORT, headers=api.as_("lea"))
    readers = {"anonymous": {}, "sam": api.as_("sam"), "lea": api.as_("lea")}
    for who, headers in readers.items():
        for url in ("/api/faults", "/api/scenarios/current", "/api/exercise"):
            resp = await client.get(url, headers=headers)
            if who == "anonymous" and url == "/api/exercise":
                assert resp.status_code == 401
                continue
            assert resp.status_code == 200, (who, url)
            assert not _leaks(resp.text), (who, url, resp.text)
            assert "start_s" not in resp.text and "magnitude" not in resp.text, (who, url)
    instructor = (await client.get("/api/exercise", headers=api.as_("ines"))).json()
    assert instructor["faults"][0]["magnitude"] == 4.25 and instructor["scoring"]["answers"]

    unsigned = await client.post("/api/exercise/end", json={}, headers=api.as_("ines"))
    assert unsigned.status_code == 422 and "signature" in unsigned.text
    wrong = await client.post(
        "/api/exercise/end", json={"signature": {"password": "nope", "meaning": "approved"}}, headers=api.as_("ines")
    )
    assert wrong.status_code == 401
    ended = await client.post("/api/exercise/end", json=SIGNED, headers=api.as_("ines"))
    assert ended.status_code == 200 and ended.json()["revealed"] == ["zero-shift"]
    again = await client.post("/api/exercise/end", json=SIGNED, headers=api.as_("ines"))
    assert again.status_code == 409

    faults = (await client.get("/api/faults", headers=api.as_("lea"))).json()
    assert [(f["id"], f["magnitude"]) for f in faults] == [("zero-shift", 4.25)]
    assert (await client.get("/api/faults")).json()[0]["start_s"] == 60.0  # anonymous viewers too
    current = (await client.get("/api/scenarios/current", headers=api.as_("sam"))).json()
    assert current["fault_ids"] == ["zero-shift"]
    state = (await client.get("/api/exercise", headers=api.as_("lea"))).json()
    assert state["revealed"] and state["state"] == "ended" and state["faults"][0]["magnitude"] == 4.25
    assert state["scoring"]["answers"][0]["causes"] == ["level-bias"]
    assert [r["report_id"] for r in state["reports"]] == ["R1"]
    late = await client.post("/api/exercise/reports", json=REPORT, headers=api.as_("lea"))
    assert late.status_code == 409
    record = api.people.audit.query(action="exercise.end", limit=5)
    assert any(r.result == "ok" and r.signature and r.signature["user"] == "ines" for r in record)
