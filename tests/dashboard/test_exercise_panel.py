"""The exercise bar's views over plain data: briefing, warnings, hints (cost before opening), reports."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from access import Principal
from dashboard import exercise_panel as panel

UTC = ZoneInfo("UTC")
SEC = 1_000_000_000
STATE = {
    "scenario": "ph-drift",
    "title": {"en": "pH drift", "fr": "Dérive du pH"},
    "briefing": {"en": "The batch is at day 3. Watch the pH.", "fr": "Le lot est au jour 3. Surveillez le pH."},
    "state": "running",
    "elapsed_s": 3725.4,
    "duration_s": 7200.0,
    "team": "team-2",
}


def _text(node: Any) -> str:
    if isinstance(node, str):
        return node
    if isinstance(node, list | tuple):
        return "".join(_text(c) for c in node)
    children = getattr(node, "children", None)
    return _text(children) if children is not None else ""


def _ids(node: Any) -> list[Any]:
    found = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, list | tuple):
            stack.extend(n)
            continue
        if getattr(n, "id", None) is not None:
            found.append(n.id)
        children = getattr(n, "children", None)
        if children is not None:
            stack.append(children)
    return found


def test_the_briefing_is_shown_in_the_page_language() -> None:
    assert _text(panel.briefing_view(STATE, "fr")) == (
        "Exercice\u00a0: Dérive du pH (en cours) · Équipe team-2Le lot est au jour 3. Surveillez le pH."
    )
    assert "The batch is at day 3" in _text(panel.briefing_view(STATE, "en"))
    assert panel.elapsed_text(STATE, "fr") == "1:02:05 écoulées sur 2:00:00"
    assert panel.briefing_view(None, "en") == [] and panel.elapsed_text(None, "en") == ""
    no_briefing = panel.briefing_view({**STATE, "briefing": None, "state": "ended"}, "en")
    assert _text(no_briefing) == "Exercise: pH drift (ended) · Team team-2"


def test_students_see_the_bar_and_instructors_only_in_a_team() -> None:
    assert panel.shows_bar(Principal("sam", "student"))
    assert panel.shows_bar(Principal("sam", "student", team="team-1"))
    assert not panel.shows_bar(Principal("ines", "instructor"))
    assert panel.shows_bar(Principal("ines", "instructor", team="team-1"))
    assert not panel.shows_bar(Principal("anonymous", "anonymous"))
    assert not panel.shows_bar(Principal("val", "viewer", team="team-1"))
    assert panel.exercise_bar("en", Principal("ines", "instructor")) is None
    bar = panel.exercise_bar("fr", Principal("sam", "student"))
    assert bar is not None
    ids = _ids(bar)
    for id_ in ("ex-report-open", "ex-briefing", "ex-hints", "ex-reports", "ex-modal", "ex-picked", "ex-tick"):
        assert id_ in ids, id_
    assert "Déclarer un écart" in _text(bar)


def test_a_hint_shows_its_cost_before_it_is_opened_and_its_text_after() -> None:
    hints = [
        {"id": "h1", "cost": 5.0, "pushed_s": 60.0, "by": "ines", "opened": False, "opened_by": None, "text": None},
        {
            "id": "h2",
            "cost": 2.5,
            "pushed_s": 90.0,
            "by": "scenario",
            "opened": True,
            "opened_by": "sam",
            "text": {"en": "Compare the two pH probes.", "fr": "Comparez les deux sondes pH."},
        },
    ]
    view = panel.hints_view(hints, "fr")
    text = _text(view)
    assert "Indice h1\u00a0: coûte 5 points" in text and "Ouvrir (−5 points)" in text
    assert "Indice h2\u00a0: coûte 2,5 points" in text and "Comparez les deux sondes pH." in text
    assert "ouvert par sam" in text
    assert {"type": "ex-hint-open", "hint": "h1"} in _ids(view)
    assert {"type": "ex-hint-open", "hint": "h2"} not in _ids(view)  # opened: nothing to pay again
    assert _text(panel.hints_view([], "en")) == "No hint pushed to the team."


def test_the_team_reports_are_read_only_and_only_the_latest_of_a_chain_can_be_superseded() -> None:
    base = {"team": "team-2", "user": "sam", "unit": "bioreactor-1", "tags": ["pH"], "action": "hold"}
    reports: list[dict[str, Any]] = [
        {**base, "report_id": "R1", "time_ns": 100 * SEC, "start_ns": 40 * SEC, "cause": "ph-probe-drift",
         "classification": "minor", "supersedes": None},
        {**base, "report_id": "R2", "time_ns": 200 * SEC, "start_ns": 50 * SEC, "cause": "",
         "cause_text": "feed lot", "classification": "major", "supersedes": "R1"},
    ]  # fmt: skip
    causes = [{"id": "ph-probe-drift", "label": {"en": "pH probe drift", "fr": "Dérive de la sonde pH"}}]
    view = panel.reports_view(reports, causes, "en", UTC)
    ids = _ids(view)
    assert {"type": "ex-supersede", "report": "R2"} in ids
    assert {"type": "ex-supersede", "report": "R1"} not in ids
    text = _text(view)
    assert "R1 · 00:01:40 · sam · bioreactor-1 (pH) · start 1 Jan 1970, 00:00:40 · Minor" in text
    assert "Cause: pH probe drift — action: hold" in text and "superseded by R2" in text
    assert "Cause: feed lot" in text
    assert _text(panel.reports_view([], [], "fr", UTC)) == "Aucune déclaration pour l'instant."


def test_limits_warnings_are_a_notice_newest_first() -> None:
    warnings = [
        {"team": "team-2", "unit": "bioreactor-1", "tag": "temperature", "value": 37.0 + k, "lo": 36.5,
         "hi": 37.5, "sim_s": 60.0 * k}
        for k in range(7)
    ]  # fmt: skip
    view = panel.warnings_view(warnings, "fr", UTC)
    lines = [_text(li) for li in view[0].children[1].children]
    assert len(lines) == panel.MAX_WARNINGS
    assert lines[0] == "+0:06:00\u00a0: bioreactor-1.temperature = 43,00 hors de [36,5\u00a0; 37,5]"
    assert "notice" in view[0].className
    assert panel.warnings_view([], "en", UTC) == []
