"""The instructor's exercise controls in headless Chromium: push a hint to one team, end with a signature.

A logged-in instructor (real users file, real audit trail) on the console of a running plant
served by :func:`browser_app.serve`; the students' side is read through the API with their own
tokens, and a student's hand-made requests to the push and end (API and Dash callbacks) are refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from browser_app import dropdown, login, serve, text, wait_for
from conftest import chromium
from people import PASSWORDS, add_team_students, make_people
from test_instructor_exercise_view import SCENARIO

from access import Principal


def _dash_post(url: str, headers: dict[str, str], output: str, inputs: list[dict[str, Any]]) -> httpx.Response:
    """What Dash posts when a button of the section is clicked, sent by hand."""
    body = {
        "output": output,
        "outputs": {"id": output.split(".")[0].strip("."), "property": "children"},
        "inputs": inputs,
        "state": [{"id": "ic-lang", "property": "data", "value": "en"}],
        "changedPropIds": [f"{inputs[0]['id']}.n_clicks"],
    }
    return httpx.post(f"{url}/_dash-update-component", json=body, headers=headers, timeout=30)


@pytest.mark.browser
def test_the_instructor_pushes_a_hint_to_one_team_and_ends_with_a_signature(tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    people = make_people(tmp_path)
    add_team_students(people)  # lea in team-1, max in team-2
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "mystery.yaml").write_text(SCENARIO)
    with serve(tmp_path, people) as served:
        control = served.control
        control.start_scenario("mystery", actor=Principal("ines", "instructor").actor("dash"))
        api = httpx.Client(base_url=served.url, timeout=30)
        driver = chromium("1400,1600")
        try:
            login(driver, served.url, "ines", PASSWORDS["ines"], "/instructor?lang=en")
            wait_for("the live exercise", lambda: "Mystery level (mystery) · running" in text(driver, "ix-summary"))
            wait_for(
                "both teams",
                lambda: "Team team-1" in text(driver, "ix-live") and "Team team-2" in text(driver, "ix-live"),
            )

            dropdown(driver, "ix-hint-team", "team-1")
            dropdown(driver, "ix-hint-id", "zero")
            wait_for(
                "the hint's text and cost", lambda: text(driver, "ix-hint-preview") == "Check the zero (cost: 8 points)"
            )
            driver.find_element(By.ID, "ix-push").click()
            wait_for(
                "pushed", lambda: text(driver, "ix-push-result") == "Hint zero pushed to Team team-1 (cost: 8 points)"
            )
            wait_for("team-1's hints line", lambda: "Hints: 1 pushed, 0 opened (0 points)" in text(driver, "ix-live"))

            # The students' side: team-1 sees the hint's cost (not its text before opening), team-2 nothing.
            lea = api.get("/api/exercise/hints", headers=people.bearer("lea")).json()
            assert [(h["id"], h["cost"], h["text"]) for h in lea] == [("zero", 8.0, None)]
            assert api.get("/api/exercise/hints", headers=people.bearer("max")).json() == []

            # A student cannot push or end, through the API or a hand-made Dash callback request.
            pushed = api.post("/api/exercise/hints", json={"hint_id": "late"}, headers=people.bearer("lea"))
            assert pushed.status_code == 403, pushed.text
            click = [{"id": "ix-push", "property": "n_clicks", "value": 1}]
            by_dash = _dash_post(served.url, people.bearer("lea"), "ix-push-result.children", click)
            assert by_dash.status_code == 403 and "needs the instructor role" in by_dash.text, by_dash.text
            end_click = [{"id": "ix-end", "property": "n_clicks", "value": 1}]
            ending = _dash_post(
                served.url, people.bearer("lea"), "..ix-end-result.children...ix-sign-password.value..", end_click
            )
            assert ending.status_code == 403, ending.text
            assert [h["id"] for h in control.hints("", "instructor")] == ["zero"]
            assert control.exercise_state("instructor", "")["state"] == "running"  # type: ignore[index]

            # The signed end: a wrong password is refused, then the instructor's own.
            password = driver.find_element(By.ID, "ix-sign-password")
            password.send_keys("not-my-password")
            driver.find_element(By.ID, "ix-end").click()
            wait_for("the refusal", lambda: text(driver, "ix-end-result").startswith("Signature refused"))
            assert control.exercise_state("instructor", "")["revealed"] is False  # type: ignore[index]
            driver.find_element(By.ID, "ix-sign-password").send_keys(PASSWORDS["ines"])
            driver.find_element(By.ID, "ix-end").click()
            wait_for("ended", lambda: text(driver, "ix-end-result").startswith("Exercise mystery ended"))
            assert "Inès Dupont (ines)" in text(driver, "ix-manifestation")
            link = driver.find_element(By.ID, "ix-debrief").get_attribute("href")
            assert link == f"{served.url}/debrief?lang=en&run=run-console", link
            wait_for("the summary says so", lambda: "ended" in text(driver, "ix-summary"))
            driver.save_screenshot(str(tmp_path / "instructor-exercise.png"))
        finally:
            driver.quit()
            api.close()
        state = control.exercise_state("student", "team-1") or {}
        assert (state["state"], state["revealed"]) == ("ended", True)
        ended = [r for r in people.audit.query(action="exercise.end") if r.result == "ok"]
        assert [(r.user, r.signature is not None) for r in ended] == [("ines", True)]
    people.close()
