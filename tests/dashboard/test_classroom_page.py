"""The classroom view: every team plant at once for the instructor, start all / per team, end all signed.

Two team plants (each its own runtime and ``TwinControl`` with its team, site and run id, as
``gmp-twin run --teams`` builds them) over a real SQLite historian and a real users file; the
API is called with the users' tokens, so every change and refusal lands in the real audit trail.
The page's builders are checked on the same plain data (French numbers, the team link).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from people import PASSWORDS, SETUP, People, make_people
from scenario_texts import LEAK

from analytics.oee import Counts, OeeAccumulator
from dashboard import classroom_state
from dashboard import classroom_view as view
from dashboard.api.app import create_api
from dashboard.classroom import Classroom
from dashboard.i18n import t
from dashboard.services import Services
from historian import Point, open_historian
from twin.faults.service import TwinControl
from twin.plant import PlantConfig, build_plant, plant_tagmaps
from twin.runtime import TwinRuntime

TEAMS = ("team-1", "team-2")
DRAIN = """
title: {en: Slow drain, fr: Vidange lente}
units: [mps-pa]
duration_s: 600
faults:
  - {kind: leak, target: {unit: mps-pa}, magnitude: 0.2, start_s: 5}
"""
SIGNED = {"signature": {"password": PASSWORDS["ines"], "meaning": "approved"}}


def team_plant(team: str, library: Path, people: People, historian: Any) -> Services:
    cfg = PlantConfig.model_validate({"site": "lab", "units": [{"name": "mps-pa", "type": "mps_pa"}]})
    units = build_plant(cfg)
    site = f"lab-{team}"
    control = TwinControl(
        TwinRuntime(units), site=site, run_id=f"class-1-{team}", scenario_dir=library, audit=people.audit,
        team=team, class_run="class-1",
    )  # fmt: skip
    tagmaps = [tm.model_copy(update={"site": site}) for tm in plant_tagmaps(cfg, units, "opc.tcp://127.0.0.1:4840")]
    return Services(historian=historian, tagmaps=tagmaps, control=control, gate=people.gate, audit=people.audit)


def texts(component: Any) -> list[str]:
    """Every string shown by a Dash component tree."""
    if isinstance(component, str):
        return [component]
    if isinstance(component, list | tuple):
        return [text for child in component for text in texts(child)]
    return texts(getattr(component, "children", None) or [])


@dataclass
class Room:
    client: httpx.AsyncClient
    room: Classroom
    people: People

    def control(self, team: str) -> TwinControl:
        control = self.room.teams[team].control
        assert control is not None
        return control

    def records(self, action: str) -> list[Any]:
        return self.people.audit.query(action=action)


@pytest.fixture
async def room(tmp_path: Path) -> AsyncIterator[Room]:
    people = make_people(tmp_path)
    people.store.set_team("sam", "team-1", actor=SETUP)
    library = tmp_path / "scenarios"
    library.mkdir()
    (library / "small-leak.yaml").write_text(LEAK)
    (library / "slow-drain.yaml").write_text(DRAIN)
    async with open_historian(f"sqlite:///{tmp_path}/h.sqlite") as historian:
        teams = {team: team_plant(team, library, people, historian) for team in TEAMS}
        classroom = Classroom(teams, class_run="class-1")
        root = Services(historian=historian, tagmaps=[], gate=people.gate, audit=people.audit, classroom=classroom)
        app = create_api(root)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            yield Room(client, classroom, people)
    people.close()


CALLS = [
    ("GET", "/api/classroom", None),
    ("POST", "/api/classroom/scenarios/start", {"scenario": "small-leak"}),
    ("POST", "/api/classroom/end", SIGNED),
]


async def test_students_and_anonymous_callers_are_refused_every_classroom_route(room: Room) -> None:
    for method, url, body in CALLS:
        assert (await room.client.request(method, url, json=body)).status_code == 401, url
        student = await room.client.request(method, url, json=body, headers=room.people.bearer("sam"))
        assert student.status_code == 403, url
        assert "needs the instructor role; sam is student" in student.json()["detail"]
    assert all(room.control(team).scenario_state("instructor") is None for team in TEAMS)
    denied = [r.object for r in room.records("access.denied") if r.user == "sam"]
    assert sorted(denied) == sorted(f"{m} {u}" for m, u, _ in CALLS)


async def test_the_instructor_sees_every_team_with_its_own_values(room: Room) -> None:
    now = time.time_ns()
    await room.room.first().historian.write(
        [
            Point("process", {"site": "lab-team-1", "unit": "mps-pa", "tag": "B101_level", "source": "sim"},
                  {"value": 12.3456, "status": 0}, now),
            Point("process", {"site": "lab-team-2", "unit": "mps-pa", "tag": "B101_level", "source": "sim"},
                  {"value": 20.0, "status": 0x80310000}, now),
        ]
    )  # fmt: skip
    answer = await room.client.get("/api/classroom", headers=room.people.bearer("ines"))
    assert answer.status_code == 200, answer.text
    state = answer.json()
    assert state["class_run"] == "class-1"
    assert [team["team"] for team in state["teams"]] == list(TEAMS)
    one, two = state["teams"]
    assert (one["site"], one["run_id"], one["scenario"], one["reports"]) == ("lab-team-1", "class-1-team-1", None, 0)
    levels = [{v["tag"]: v for v in unit["values"]}["B101_level"] for unit in (one["units"][0], two["units"][0])]
    assert [(v["value"], v["status"]) for v in levels] == [(12.3456, 0), (20.0, 0x80310000)]
    # The page shows the same data as every page shows a value: French decimal comma, bad quality named.
    cards = {t["team"]: view.card_body(t, room.room.teams[t["team"]].tagmaps, "fr") for t in state["teams"]}
    assert "B101_level 12,35 cm" in texts(cards["team-1"][2])
    assert "B101_level 20,00 cm (BadNoCommunication)" in texts(cards["team-2"][2])
    assert cards["team-1"][0].children == t("no_scenario", "fr")


async def test_one_scenario_for_every_team_then_one_each(room: Room) -> None:
    ines = room.people.bearer("ines")
    answer = await room.client.post(
        "/api/classroom/scenarios/start", json={"scenario": "small-leak", "hidden": True}, headers=ines
    )
    assert answer.status_code == 200, answer.text
    assert sorted(answer.json()["started"]) == list(TEAMS) and answer.json()["errors"] == {}
    for team in TEAMS:
        state = room.control(team).scenario_state("instructor")
        assert state is not None and (state["name"], state["state"], state["hidden"]) == ("small-leak", "running", True)
    # Each start is audited on its team's plant, as the instructor.
    starts = room.records("scenario.start")
    assert len(starts) == 2 and {r.user for r in starts} == {"ines"}

    answer = await room.client.post(
        "/api/classroom/scenarios/start", json={"assignments": {"team-2": "slow-drain"}}, headers=ines
    )
    assert answer.status_code == 200, answer.text
    assert list(answer.json()["started"]) == ["team-2"]
    names = [room.control(team).scenario_state("instructor")["name"] for team in TEAMS]  # type: ignore[index]
    assert names == ["small-leak", "slow-drain"]  # team-1 left as it was


async def test_bad_starts_start_nothing(room: Room) -> None:
    ines = room.people.bearer("ines")
    url = "/api/classroom/scenarios/start"
    unknown_team = await room.client.post(url, json={"assignments": {"team-9": "small-leak"}}, headers=ines)
    assert unknown_team.status_code == 422 and "team-1, team-2" in unknown_team.json()["detail"]
    unknown = await room.client.post(
        url, json={"assignments": {"team-1": "small-leak", "team-2": "nope"}}, headers=ines
    )
    assert unknown.status_code == 404 and "nope" in unknown.json()["detail"]
    both = await room.client.post(url, json={"scenario": "small-leak", "assignments": {}}, headers=ines)
    assert both.status_code == 422
    assert all(room.control(team).scenario_state("instructor") is None for team in TEAMS)
    assert room.records("scenario.start") == []


async def test_ending_every_team_needs_a_right_signature(room: Room) -> None:
    ines = room.people.bearer("ines")
    started = await room.client.post("/api/classroom/scenarios/start", json={"scenario": "small-leak"}, headers=ines)
    assert started.status_code == 200
    unsigned = await room.client.post("/api/classroom/end", json={}, headers=ines)
    assert unsigned.status_code == 403 and "signature" in unsigned.json()["detail"]
    wrong = await room.client.post(
        "/api/classroom/end", json={"signature": {"password": "not-it", "meaning": "approved"}}, headers=ines
    )
    assert wrong.status_code == 401
    assert all(room.control(team).scenario_state("instructor")["state"] == "running" for team in TEAMS)  # type: ignore[index]

    ended = await room.client.post("/api/classroom/end", json=SIGNED, headers=ines)
    assert ended.status_code == 200, ended.text
    assert sorted(ended.json()["ended"]) == list(TEAMS) and ended.json()["errors"] == {}
    for team in TEAMS:
        assert room.control(team).scenario_state("instructor")["state"] == "ended"  # type: ignore[index]
    records = room.records("exercise.end")
    assert len(records) == 2 and all(r.user == "ines" and r.signature for r in records)


async def test_a_single_plant_process_has_no_classroom(tmp_path: Path) -> None:
    people = make_people(tmp_path)
    async with open_historian(f"sqlite:///{tmp_path}/h.sqlite") as historian:
        app = create_api(Services(historian=historian, tagmaps=[], gate=people.gate, audit=people.audit))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            answer = await client.get("/api/classroom", headers=people.bearer("ines"))
    people.close()
    assert answer.status_code == 404 and "gmp-twin run --teams N" in answer.json()["detail"]


def test_plan_of_a_start() -> None:
    room = Classroom({team: Services(historian=None, tagmaps=[]) for team in TEAMS}, "c")  # type: ignore[arg-type]
    assert classroom_state.assignments_for(room, "leak", None) == {"team-1": "leak", "team-2": "leak"}
    assert classroom_state.assignments_for(room, None, {"team-2": "a", "team-1": None}) == {"team-2": "a"}
    with pytest.raises(ValueError, match="not both"):
        classroom_state.assignments_for(room, "leak", {"team-1": "a"})
    with pytest.raises(ValueError, match="no scenario assigned"):
        classroom_state.assignments_for(room, None, {"team-1": None})


def test_builders_in_both_languages() -> None:
    state = {"alarms": None, "reports": 3, "oee": [{"unit": "line-1", "oee": None}]}
    assert view.counters_text(state, "en") == "Active alarms: — · Deviation reports: 3 · OEE line-1: —"
    assert view.counters_text({**state, "alarms": 0, "oee": []}, "fr") == (
        "Alarmes actives\u00a0: 0 · Déclarations d’écart\u00a0: 3"
    )
    result: dict[str, Any] = {"ended": {"team-1": {}}, "errors": {}}
    assert view.result_text(result, "ended", "fr") == "Terminé\u00a0: team-1"
    card = view.team_card("team-3", "en", [])
    assert card.children[1].href == "/?team=team-3&lang=en"
    assert card.children[2].id == {"type": "cr-assign", "team": "team-3"}


def test_a_line_shows_its_line_oee_a_machine_its_own() -> None:
    filler = (
        OeeAccumulator("filler", 30.0).update("Execute", Counts(0, 0, 0), 0).update(None, Counts(500, 500, 0), 1200)
    )
    capper = (
        OeeAccumulator("capper", 20.0).update("Execute", Counts(0, 0, 0), 0).update(None, Counts(380, 370, 10), 1200)
    )
    views: list[dict[str, Any]] = [
        {"unit": "line-1", "machine": "filler", "report": filler.report().to_dict()},
        {"unit": "line-1", "machine": "capper", "report": capper.report().to_dict()},
        {"unit": "autoclave-1", "machine": "autoclave", "report": capper.report().to_dict()},
        {"unit": "dryer-1", "machine": "dryer", "report": None},  # no PackML state yet
    ]
    oee = classroom_state.unit_oee(views)
    assert [(u["unit"], round(u["oee"], 4)) for u in oee] == [
        ("line-1", 0.925),
        ("autoclave-1", round(capper.report().oee or 0.0, 4)),
    ]
    assert set(oee[0]["machines"]) == {"filler", "capper"}
