"""Which team's plant a Dash request sees in a classroom (``DashContext.services``), and the team cookie.

Real parts: a real users file and audit trail (API tokens), the Dash guard resolving each
request's person through the real gate, Flask's test client; the probe route reads
``ctx.services`` exactly as a page callback does.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import flask
import pytest
from dash import Dash, html
from people import SETUP, People, make_people

from config_schema.tagmap import TagMap
from dashboard.auth.dash_guard import DashGuard
from dashboard.classroom import TEAM_COOKIE, Classroom, remember_team
from dashboard.context import DashContext
from dashboard.data import HistorianGateway
from dashboard.services import Services
from twin.plant import PlantConfig, build_plant, plant_tagmaps

PLANT = PlantConfig.model_validate({"site": "lab", "units": [{"name": "mps-pa", "type": "mps_pa"}]})


def _tagmaps(team: str) -> list[TagMap]:
    return plant_tagmaps(PLANT, build_plant(PLANT), "opc.tcp://127.0.0.1:4840", site=f"lab-{team}")


@pytest.fixture
def people(tmp_path: Path) -> Iterator[People]:
    people = make_people(tmp_path)
    people.store.add("tina", "student", actor=SETUP, password="tina-pass-58210", team="team-2")
    people.tokens["tina"] = people.store.create_token("tina", actor=SETUP, label="tests")
    yield people
    people.close()


@pytest.fixture
def app(people: People) -> tuple[flask.Flask, DashContext]:
    teams = {
        team: Services(historian=None, tagmaps=_tagmaps(team), gate=people.gate, audit=people.audit)  # type: ignore[arg-type]
        for team in ("team-1", "team-2")
    }
    room = Classroom(teams, class_run="class-1")
    root = Services(historian=None, tagmaps=[], gate=people.gate, audit=people.audit, classroom=room)  # type: ignore[arg-type]
    ctx = DashContext(root, HistorianGateway(None, None))  # type: ignore[arg-type]
    dash_app = Dash(__name__)
    dash_app.layout = html.Div()
    DashGuard(people.gate).install(dash_app)
    remember_team(dash_app.server, room)

    @dash_app.server.route("/probe")
    def probe() -> flask.Response:
        return flask.jsonify(site=ctx.services.site, units=[tm.unit for tm in ctx.tagmaps])

    return dash_app.server, ctx


def _site(server: flask.Flask, people: People, who: str, url: str = "/probe", **headers: str) -> tuple[str, str]:
    client = server.test_client()
    resp = client.get(url, headers={**people.bearer(who), **headers})
    assert resp.status_code == 200, resp.text
    return resp.json["site"], resp.headers.get("Set-Cookie", "")  # type: ignore[index]


def test_students_see_their_team_whatever_they_ask(app: tuple[flask.Flask, DashContext], people: People) -> None:
    server, ctx = app
    assert _site(server, people, "tina") == ("lab-team-2", "")
    site, cookie = _site(server, people, "tina", "/probe?team=team-1", Referer="http://h/units?team=team-1")
    assert (site, cookie) == ("lab-team-2", "")  # ignored, and not remembered
    assert _site(server, people, "sam")[0] == ""  # in no team: an empty plant
    # Outside a request (pages registering their layouts): the first team's, whose units every team has.
    assert ctx.classroom is not None and ctx.services is ctx.classroom.first()


def test_instructors_choose_by_query_page_or_cookie(app: tuple[flask.Flask, DashContext], people: People) -> None:
    server, _ = app
    assert _site(server, people, "ines") == ("lab-team-1", "")
    site, cookie = _site(server, people, "ines", "/probe?team=team-2")
    assert site == "lab-team-2" and cookie.startswith(f"{TEAM_COOKIE}=team-2;") and "HttpOnly" in cookie
    # A callback (no query string) from a page opened with ?team=: its Referer says the team.
    assert _site(server, people, "ines", Referer="http://h/alarms?team=team-2")[0] == "lab-team-2"
    client = server.test_client()
    client.set_cookie(TEAM_COOKIE, "team-2")
    resp = client.get("/probe", headers=people.bearer("ada"))
    assert resp.json["site"] == "lab-team-2"  # type: ignore[index]
    client.set_cookie(TEAM_COOKIE, "team-9")  # a stale cookie of an earlier classroom: the first team
    assert client.get("/probe", headers=people.bearer("ada")).json["site"] == "lab-team-1"  # type: ignore[index]
