"""The debrief API over a real SQLite historian, real users (two students in two teams) and a real audit trail.

The run's events are written to the historian as the twin writes them (a scenario with a scoring
block, a fault every team shares, one report per team, the signed end); a team member's setpoint
change goes through the real :class:`TwinControl` into the trail. The scores asserted are the
scoring rules' (computed by hand here), not read back from the scorer.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from people import People, add_team_students, make_people

from audit import Actor
from dashboard.api.app import create_api
from dashboard.services import Services
from historian import open_historian
from historian.base import FieldValue, Historian, Point
from twin.clock import SimClock
from twin.faults.service import TwinControl
from twin.plant import PlantConfig, build_plant
from twin.runtime import TwinRuntime

S = 1_000_000_000
T0 = 1_800_000_000 * S
RUN = "run-debrief"
SCORING = {
    "answers": [{"fault": "F1", "unit": "mps-pa", "tags": ["B101_level"], "causes": ["level-sensor-bias"]}],
}


def ev(kind: str, at_s: float, **fields: FieldValue) -> Point:
    return Point(
        "event", {"site": "lab", "unit": "mps-pa", "kind": kind}, {"run_id": RUN, **fields}, T0 + int(at_s * S)
    )


def report(team: str, user: str, rid: str, at_s: float, cause: str, start_s: float | None) -> Point:
    fields: dict[str, FieldValue] = {
        "report_id": rid, "team": team, "user": user, "unit": "mps-pa", "tags": "B101_level", "cause": cause,
        "action": "watch", "classification": "major", "impact": "none",
    }  # fmt: skip
    if start_s is not None:
        fields["start_ns"] = T0 + int(start_s * S)
    return ev("deviation_reported", at_s, **fields)


EVENTS = [
    ev("scenario_started", 0, scenario="level-escape", hidden=True, duration_s=3600, scoring=json.dumps(SCORING),
       title_en="Mystery level", title_fr="Niveau mystère"),
    ev("fault_started", 60, fault_id="F1", fault_kind="sensor_bias", target="mps-pa/B101_level", tag="B101_level",
       hidden=True, scenario="level-escape", magnitude=1.5),
    ev("alarm_raised", 90, alarm_id="level", tag="B101_level", priority="high"),
    # team-1: right unit, tag, cause and start, 2 min after the fault: 20 + 10 + 30 + 10 + 40 = 110
    report("team-1", "lea", "R1", 180, "level-sensor-bias", 70),
    # team-2: right unit and tag, wrong cause, no start, 4 min after: 20 + 10 + 40 = 70
    report("team-2", "max", "R2", 300, "pump-wear", None),
]  # fmt: skip
END = ev("exercise_ended", 900, scenario="level-escape", signed_by="ines", meaning="approved", revealed=True)


@dataclass
class Api:
    client: httpx.AsyncClient
    people: People
    historian: Historian

    def who(self, name: str) -> dict[str, str]:
        return self.people.bearer(name)

    async def end(self) -> None:
        await self.historian.write([END])


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    people = make_people(tmp_path)
    add_team_students(people)
    cfg = PlantConfig.model_validate({"site": "lab", "units": [{"name": "mps-pa", "type": "mps_pa"}]})
    runtime = TwinRuntime(build_plant(cfg), clock=SimClock(epoch_ns=T0))
    people.audit.sim_time = lambda: runtime.clock.sim_time_s
    control = TwinControl(runtime, site="lab", run_id=RUN, audit=people.audit)
    runtime.clock.advance(240)  # lea lowers the level setpoint 4 min into the run
    control.write_tag("mps-pa", "level_sp", 12.0, actor=Actor("lea", "student", "http"))
    async with open_historian(f"sqlite:///{tmp_path}/h.sqlite") as historian:
        await historian.write(EVENTS)
        state = Services(historian=historian, tagmaps=[], control=control, runtime=runtime, gate=people.gate,
                         audit=people.audit)  # fmt: skip
        app = create_api(state)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            yield Api(client, people, historian)
    people.close()


async def test_instructor_sees_every_team_ranked_by_the_rules_with_actions_on_the_plant_clock(api: Api) -> None:
    runs = (await api.client.get("/api/debrief/runs", headers=api.who("ines"))).json()
    assert [(r["run_id"], r["ended"], r["title"]["fr"]) for r in runs] == [(RUN, False, "Niveau mystère")]
    body = (await api.client.get(f"/api/debrief/{RUN}", headers=api.who("ines"))).json()
    assert body["teams"] == ["team-1", "team-2"]
    assert [(t["team"], t["rank"], t["score"]) for t in body["leaderboard"]] == [("team-1", 1, 110.0),
                                                                                 ("team-2", 2, 70.0)]  # fmt: skip
    lanes = {(m["team"], m["lane"], m["ref"] or m["label"]) for m in body["timeline"]}
    expected = {("team-1", "report", "R1"), ("team-2", "report", "R2"), ("team-1", "fault", "F1"),
                ("team-2", "fault", "F1"), ("team-1", "alarm", "level"), ("team-1", "action", "level_sp")}  # fmt: skip
    assert expected <= lanes
    assert not any(m["team"] == "team-2" and m["lane"] == "action" for m in body["timeline"])
    (action,) = body["actions"]
    assert (action["user"], action["time_ns"], action["old"], action["new"]) == ("lea", T0 + 240 * S, 15.0, 12.0)


async def test_a_student_sees_nothing_before_the_end_then_only_their_team(api: Api) -> None:
    lea = api.who("lea")
    assert (await api.client.get("/api/debrief/runs", headers=lea)).json() == []
    refused = await api.client.get(f"/api/debrief/{RUN}", headers=lea)
    assert refused.status_code == 403 and "has not ended" in refused.json()["detail"]
    assert (await api.client.get(f"/api/debrief/{RUN}.csv", headers=lea)).status_code == 403
    await api.end()
    body = (await api.client.get(f"/api/debrief/{RUN}", headers=lea)).json()
    assert body["teams"] == ["team-1"] and [t["team"] for t in body["leaderboard"]] == ["team-1"]
    assert {m["team"] for m in body["timeline"]} == {"team-1"}
    assert [r["report_id"] for r in body["reports"]] == ["R1"]
    other = await api.client.get(f"/api/debrief/{RUN}", params={"team": "team-2"}, headers=lea)
    assert other.status_code == 403 and "team-1" in other.json()["detail"]
    no_team = await api.client.get(f"/api/debrief/{RUN}", headers=api.who("sam"))
    assert no_team.status_code == 403 and "no team" in no_team.json()["detail"]
    anonymous = await api.client.get(f"/api/debrief/{RUN}")
    assert anonymous.status_code == 401


async def test_csv_and_printable_html(api: Api) -> None:
    await api.end()
    resp = await api.client.get(f"/api/debrief/{RUN}.csv", headers=api.who("ines"))
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(resp.text)))
    teams = [(r["team"], r["rank"], r["points"]) for r in rows if r["section"] == "team"]
    assert teams == [("team-1", "1", "110"), ("team-2", "2", "70")]
    reports = {r["item"]: (r["team"], r["matched_fault"], r["time_utc"]) for r in rows if r["section"] == "report"}
    assert reports == {"R1": ("team-1", "F1", "2027-01-15T08:03:00Z"), "R2": ("team-2", "F1", "2027-01-15T08:05:00Z")}
    fr = await api.client.get(f"/api/debrief/{RUN}.html", params={"lang": "fr", "tz": "UTC"}, headers=api.who("ines"))
    assert fr.status_code == 200
    assert "Débriefing de l'exercice — Niveau mystère" in html.unescape(fr.text) and "110,0" in fr.text
    assert 'data-report="team-2/R2"' in fr.text and "pump-wear" in fr.text
    en = await api.client.get(f"/api/debrief/{RUN}.html", params={"lang": "en"}, headers=api.who("lea"))
    assert en.status_code == 200 and "Exercise debrief" in en.text
    assert 'data-report="team-1/R1"' in en.text and "team-2/R2" not in en.text


async def test_history_own_for_students_any_for_instructors(api: Api) -> None:
    lea = api.who("lea")
    assert (await api.client.get("/api/exercise/history", headers=lea)).json() == []  # not ended yet
    await api.end()
    (row,) = (await api.client.get("/api/exercise/history", headers=lea)).json()
    assert (row["run_id"], row["team"], row["rank"], row["teams"], row["own_points"]) == (RUN, "team-1", 1, 2, 110.0)
    refused = await api.client.get("/api/exercise/history", params={"user": "max"}, headers=lea)
    assert refused.status_code == 403
    (row,) = (await api.client.get("/api/exercise/history", params={"user": "max"}, headers=api.who("ines"))).json()
    assert (row["team"], row["rank"], row["missed_causes"]) == ("team-2", 2, ["level-sensor-bias"])
