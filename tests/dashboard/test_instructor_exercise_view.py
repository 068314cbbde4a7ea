"""The instructor's exercise controls without a browser: per-team views, the push form, the signed end.

Views over plain data; the actions over a real :class:`TwinControl` (real plant stepped by
hand, real users file and audit trail), as the console's callbacks call them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from dash import html
from people import PASSWORDS, SETUP, People, make_people

from access import Principal
from dashboard import instructor_exercise as ix
from dashboard import instructor_exercise_view as view
from dashboard.pages.instructor import sign_stop
from twin.faults.service import TwinControl
from twin.plant import PlantConfig, build_plant
from twin.runtime import TwinRuntime

#: A hidden scenario with two hints (one timed), two candidate causes (also used by the browser test).
SCENARIO = """
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
  - {id: late, text: {en: Look at B101, fr: Regardez B101}, cost: 2.5, at_s: 800}
"""
TEAMS = {"lea": ("team-1", "lea-student-pass-2291"), "max": ("team-2", "max-student-pass-6604")}
UTC = ZoneInfo("UTC")
REPORT = {
    "unit": "mps-pa", "tags": ["B101_level"], "start": "2026-03-02T10:40:00+01:00", "cause": "level-bias",
    "action": "level loop to manual", "classification": "major", "impact": "possible",
}  # fmt: skip


def _texts(component: Any) -> str:
    """Every string in a Dash component tree, in order."""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(_texts(c) for c in component)
    children = getattr(component, "children", None)
    return _texts(children) if children is not None else ""


def _ids(component: Any) -> list[Any]:
    if isinstance(component, list | tuple):
        return [i for c in component for i in _ids(c)]
    found = [component.id] if getattr(component, "id", None) is not None else []
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list | tuple) else [children] if children is not None else []:
        found += _ids(child)
    return found


@pytest.fixture
def plant(tmp_path: Path) -> Iterator[tuple[TwinControl, People]]:
    people = make_people(tmp_path)
    for name, (team, password) in TEAMS.items():
        people.store.add(name, "student", actor=SETUP, password=password, team=team)
    library = tmp_path / "scenarios"
    library.mkdir()
    (library / "mystery.yaml").write_text(SCENARIO)
    cfg = PlantConfig.model_validate({"site": "lab", "units": [{"name": "mps-pa", "type": "mps_pa"}]})
    control = TwinControl(TwinRuntime(build_plant(cfg)), site="lab", run_id="run-x", scenario_dir=library,
                          audit=people.audit)  # fmt: skip
    yield control, people
    people.close()


def _actor(people: People, name: str) -> Any:
    user = people.store.get(name)
    assert user is not None
    return Principal(name, user.role, user.display_name, team=user.team, via="dash").actor("dash")


def test_the_teams_are_the_users_files_and_those_that_reported_one_on_a_team_plant() -> None:
    assert view.team_names(["team-2", "", "team-1", "team-2"], [{"team": "team-9"}]) == ["team-1", "team-2", "team-9"]
    assert view.team_names([], []) == []
    assert view.team_names(["team-1", "team-2"], [{"team": "team-2"}], plant_team="team-2") == ["team-2"]
    assert [o["value"] for o in view.team_options(["team-2"], "fr", every_team=False)] == ["team-2"]
    assert view.team_options(["team-1"], "fr")[0] == {"label": "toutes les équipes", "value": "*"}


def test_each_team_shows_its_reports_read_only_and_the_hints_it_opened() -> None:
    state = {
        "scenario": "mystery", "title": {"en": "Mystery level", "fr": "Niveau mystère"}, "state": "running",
        "elapsed_s": 75.0, "duration_s": 900, "speed": 10.0, "revealed": False, "run_id": "run-x", "class_run": "",
        "candidate_causes": [{"id": "level-bias", "label": {"en": "Level bias", "fr": "Biais du niveau"}}],
        "reports": [
            {"report_id": "R1", "team": "team-1", "user": "lea", "time_ns": 3_600_000_000_000, "unit": "mps-pa",
             "tags": ["B101_level", "B101_flow"], "cause": "level-bias", "classification": "major"},
            {"report_id": "R2", "team": "team-2", "user": "max", "time_ns": 3_660_000_000_000, "unit": "mps-pa",
             "tags": ["B101_level"], "cause": "", "cause_text": "une fuite", "classification": "minor"},
            {"report_id": "R3", "team": "team-1", "user": "lea", "time_ns": 3_720_000_000_000, "unit": "mps-pa",
             "tags": ["B101_level"], "cause": "level-bias", "classification": "critical", "supersedes": "R1"},
        ],
        "hints": [
            {"id": "zero", "team": "team-1", "cost": 8.0, "opened_teams": ["team-1"]},
            {"id": "instructor-1", "team": "", "cost": 2.5, "opened_teams": ["team-1", "team-2"]},
        ],
        "warnings": [
            {"team": "", "unit": "mps-pa", "tag": "B101_level", "value": 17.123, "lo": 14, "hi": 16.5, "sim_s": 65},
            {"team": "", "unit": "mps-pa", "tag": "B101_level", "value": 13.5, "lo": 14, "hi": 16.5, "sim_s": 125},
        ],
    }  # fmt: skip
    assert view.summary_text(state, "fr") == "Niveau mystère (mystery) · en cours · 0:01:15 écoulées sur 0:15:00 · ×10"
    body = view.live_view(state, ["team-1", "team-2", "team-3"], "fr", UTC)
    assert "ix-debrief-live" not in _ids(body)  # no debrief while it runs
    row, warnings = body
    one, two, three = row.children
    assert _texts(one.children[1]) == "Indices\u00a0: 2 envoyé(s), 2 ouvert(s) (10,5 points)"
    table = one.children[2]
    assert [_texts(th) for th in table.children[0].children.children] == [
        "N°", "Heure", "Déclarant", "Équipement", "Variables", "Cause supposée", "Classement"
    ]  # fmt: skip
    rows = [[_texts(td) for td in tr.children] for tr in table.children[1].children]
    assert rows == [
        ["R1", "01:00:00", "lea", "mps-pa", "B101_level, B101_flow", "Biais du niveau", "major"],
        ["R3 (remplace R1)", "01:02:00", "lea", "mps-pa", "B101_level", "Biais du niveau", "critical"],
    ]
    assert "une fuite" in _texts(two) and "1 envoyé(s), 1 ouvert(s) (2,5 points)" in _texts(two)
    assert "Aucune déclaration" in _texts(three) and "1 envoyé(s), 0 ouvert(s) (0 points)" in _texts(three)
    # Nothing here is a control: the reports are read-only.
    assert not [i for i in _ids(body) if isinstance(i, str) and i not in ("ix-warnings",)]
    lines = [_texts(li) for li in warnings.children[1].children]
    assert lines == [
        "+0:02:05 · mps-pa.B101_level = 13,50 hors de [14\u00a0; 16,5]",
        "+0:01:05 · mps-pa.B101_level = 17,12 hors de [14\u00a0; 16,5]",
    ]
    ended = {**state, "state": "ended", "revealed": True, "class_run": "class-7"}
    assert view.summary_text(ended, "en").endswith("· ended · 0:01:15 elapsed of 0:15:00 · ×10 · faults revealed")
    link = view.live_view(ended, [], "en", UTC)[0].children
    assert (link.id, link.href) == ("ix-debrief-live", "/debrief?lang=en&run=class-7")
    assert _texts(view.live_view(ended, [], "en", UTC)[1]).startswith("No team yet")
    assert view.live_view(None, ["team-1"], "en", UTC) == []


def test_the_push_form_names_what_is_missing() -> None:
    for args, key in [
        ((None, "scenario", "zero", "", "", None), "ix.err.team"),
        (("team-1", "scenario", None, "", "", None), "ix.err.hint"),
        (("team-1", "free", None, "  ", None, 3), "ix.err.text"),
        (("team-1", "free", None, "Regardez", None, None), "ix.err.cost"),
        (("team-1", "free", None, "Regardez", None, -1), "ix.err.cost"),
    ]:
        with pytest.raises(view.FormError) as refused:
            view.hint_request(*args)
        assert refused.value.args[0] == key, args
    assert view.hint_request("team-2", "free", "zero", " Regardez ", "Look", 0) == {
        "team": "team-2", "text": {"fr": "Regardez", "en": "Look"}, "cost": 0.0
    }  # fmt: skip
    specs = [{"id": "late", "text": {"en": "Look at B101", "fr": "Regardez B101"}, "cost": 2.5, "at_s": 800}]
    assert view.hint_preview(specs, "late", "en") == "Look at B101 (cost: 2.5 points) · pushed automatically at 0:13:20"
    assert view.hint_preview(specs, "other", "en") == ""


def test_the_instructor_pushes_a_hint_a_team_sees_its_cost_a_student_is_refused(
    plant: tuple[TwinControl, People],
) -> None:
    control, people = plant
    ines, lea = _actor(people, "ines"), _actor(people, "lea")
    form = {"team": "team-1", "kind": "scenario", "hint_id": "zero"}
    assert "no exercise is running" in ix.push_hint(control, form, "en", ines)
    control.start_scenario("mystery", actor=ines)
    specs = (control.exercise_state("instructor", "") or {})["hint_specs"]
    assert [(s["id"], s["cost"]) for s in specs] == [("zero", 8.0), ("late", 2.5)]
    assert "hint_specs" not in (control.exercise_state("student", "team-1") or {})

    refused = ix.push_hint(control, form, "en", lea)
    assert refused == "Action refused: lea (student) may not push hints: instructors do"
    assert ix.push_hint(control, {**form, "team": None}, "fr", ines) == "Choisissez le destinataire."
    assert ix.push_hint(control, form, "fr", ines) == "Indice zero envoyé à Équipe team-1 (coût\u00a0: 8 points)"
    assert "already pushed" in ix.push_hint(control, form, "en", ines)
    free = {"team": "*", "kind": "free", "text_en": "Look at the level", "cost": 1.5}
    assert ix.push_hint(control, free, "en", ines) == "Hint instructor-1 pushed to every team (cost: 1.5 points)"
    assert ix.push_hint(None, form, "en", ines).startswith("No simulation runs in this process")

    seen = [(h["id"], h["cost"], h["text"]) for h in control.hints("team-1", "student")]
    assert seen == [("zero", 8.0, None), ("instructor-1", 1.5, None)]
    assert [h["id"] for h in control.hints("team-2", "student")] == ["instructor-1"]
    pushes = people.audit.query(action="hint.push")
    assert {(r.user, r.result) for r in pushes} == {("ines", "ok"), ("ines", "refused"), ("lea", "refused")}


def test_ending_needs_the_instructors_signature_then_reveals_and_links_the_debrief(
    plant: tuple[TwinControl, People],
) -> None:
    control, people = plant
    ines = _actor(people, "ines")
    principal = replace(Principal("ines", "instructor", "Inès Dupont"), via="dash")
    control.start_scenario("mystery", actor=ines)
    for _ in range(round(90 / control.runtime.dt_s)):
        control.runtime.step()
    control.report_deviation(REPORT, actor=_actor(people, "lea"), team="team-1")

    def signing(password: str) -> Any:
        return lambda: sign_stop(people.gate, principal, "", password, "approved")

    wrong = ix.end_exercise(control, signing("nope"), "en", ines)
    assert isinstance(wrong, str) and wrong.startswith("Signature refused"), wrong
    assert (control.exercise_state("instructor", "") or {})["state"] == "running"
    student = Principal("lea", "student", team="team-1", via="dash")
    by_student = ix.end_exercise(
        control, lambda: sign_stop(people.gate, student, "", TEAMS["lea"][1], "approved"), "en", _actor(people, "lea")
    )
    assert isinstance(by_student, str) and by_student.startswith("Action refused"), by_student

    done = ix.end_exercise(control, signing(PASSWORDS["ines"]), "fr", ines)
    assert isinstance(done, list)
    assert _texts(done[0]) == "Exercice mystery terminé\u00a0; défauts révélés\u00a0: zero-shift"
    assert done[2].id == "ix-manifestation" and "Inès Dupont (ines)" in _texts(done[2])
    assert (done[4].id, done[4].href) == ("ix-debrief", "/debrief?lang=fr&run=run-x")
    state = control.exercise_state("student", "team-1") or {}
    assert (state["state"], state["revealed"]) == ("ended", True)
    assert state["faults"][0]["id"] == "zero-shift"  # a student now sees the hidden fault
    again = ix.end_exercise(control, signing(PASSWORDS["ines"]), "en", ines)
    assert isinstance(again, str) and "already been ended" in again
    records = people.audit.query(action="exercise.end")
    assert [(r.user, r.result) for r in reversed(records)][-1] == ("ines", "refused")
    assert any(r.result == "ok" and r.signature for r in records)


def test_the_section_is_on_the_console_page_and_its_callbacks_need_an_instructor(tmp_path: Path) -> None:
    import dash

    from dashboard.app import create_dash
    from dashboard.context import DashContext
    from dashboard.data import HistorianGateway
    from dashboard.services import Services

    cfg = PlantConfig.model_validate({"site": "lab", "units": [{"name": "mps-pa", "type": "mps_pa"}]})
    control = TwinControl(TwinRuntime(build_plant(cfg)), site="lab", run_id="r")
    services = Services(historian=None, tagmaps=[], control=control)  # type: ignore[arg-type]
    app = create_dash(DashContext(services, HistorianGateway(None, None)))  # type: ignore[arg-type]
    levels = app.gmp_guard.callback_levels  # type: ignore[attr-defined]
    ours = {k: v for k, v in levels.items() if "ix-" in k}
    assert len(ours) == 5 and set(ours.values()) == {"instructor"}, ours
    assert levels["..ix-end-result.children...ix-sign-password.value.."] == "instructor"
    entry = dash.page_registry["instructor"]
    assert entry["gmp_level"] == "instructor"
    assert isinstance(entry["layout"](lang="en"), html.Div)  # anonymous here: the guard's refusal
    section = ix.section(DashContext(services, HistorianGateway(None, None)), "en")  # type: ignore[arg-type]
    ids = _ids(section)
    for needed in ("ix-summary", "ix-live", "ix-hint-team", "ix-hint-id", "ix-hint-fr", "ix-hint-en", "ix-push",
                   "ix-signer", "ix-sign-password", "ix-sign-meaning", "ix-end", "ix-end-result"):  # fmt: skip
        assert needed in ids, needed
    assert _texts(section[2]) == "No exercise: start a scenario above."


def test_in_a_classroom_the_console_offers_only_the_team_whose_plant_it_drives() -> None:
    import flask

    from dashboard.auth import dash_guard
    from dashboard.classroom import Classroom
    from dashboard.context import DashContext
    from dashboard.data import HistorianGateway
    from dashboard.services import Services

    def plant() -> Services:
        return Services(historian=None, tagmaps=[])  # type: ignore[arg-type]

    room = Classroom({"team-1": plant(), "team-2": plant()}, class_run="c1")
    root = Services(historian=None, tagmaps=[], classroom=room)  # type: ignore[arg-type]
    ctx = DashContext(root, HistorianGateway(None, None))  # type: ignore[arg-type]
    server = flask.Flask(__name__)
    for url, team in [("/instructor?team=team-2", "team-2"), ("/instructor", "team-1")]:
        with server.test_request_context(url):
            flask.g.setdefault(dash_guard._PRINCIPAL, Principal("ines", "instructor"))
            assert ix.plant_team(ctx) == team
            assert ix.teams_of(ctx, {"reports": [{"team": "team-1"}, {"team": "team-2"}]}) == [team]
            assert f"Plant of team {team}" in _texts(ix.section(ctx, "en"))
    single = DashContext(plant(), HistorianGateway(None, None))  # type: ignore[arg-type]
    assert ix.plant_team(single) == ""
