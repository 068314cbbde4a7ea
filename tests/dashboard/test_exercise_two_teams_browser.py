"""Done-when of issue 14, in a real headless Chromium: two students in two teams each file a deviation
report from the dashboard's form; the instructor ends the exercise with an electronic signature; the
debrief page then shows both reports on the teams' time axes and the leaderboard ranks the teams as
the scoring rules say.

The twin runs in-process (:func:`browser_app.serve`, its events through an outbox into a real SQLite
historian, as `gmp-twin run` does). The scenario hides a bias on the level sensor. Léa (team-1) names
the right unit, tag, cause and start; Max (team-2) the right unit and tag but a decoy cause and a
start two hours early. The scenario's full-detection window (20,000 s) holds both reports however
slow the machine (the plant runs at x10): by the rules (default points) team-1 scores
20 + 10 + 30 + 10 + 40 = 110 and team-2 20 + 10 + 40 = 70. The instructor ends the exercise on her console
(password again and a meaning: the electronic signature) and follows its link to the debrief.
Before that, Léa's debrief page shows the refusal; after, her team's axis and her history.
"""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from browser_app import Served, dropdown, login, pick_multi, serve, text, wait_for
from conftest import chromium
from people import PASSWORDS, TEAM_STUDENTS, People, add_team_students, make_people

S = 1_000_000_000
ESCAPE = """
title: {en: Level sensor escape, fr: Énigme du capteur de niveau}
briefing: {en: Something is wrong with the tank level. Report it., fr: Le niveau de la cuve est étrange. Déclarez-le.}
units: [mps-pa]
hidden: true
duration_s: 40000
faults:
  - {id: level-bias, kind: sensor_bias, target: {unit: mps-pa, tag: B101_level}, magnitude: 3.0}
candidate_causes:
  - id: level-probe-bias
    fault_kind: sensor_bias
    label: {en: Level probe out of calibration, fr: Sonde de niveau déréglée}
  - {id: tank-leak, fault_kind: leak, label: {en: Leak at the tank, fr: Fuite de la cuve}}
scoring:
  detection: {points: 40, full_s: 20000, zero_s: 40000}
  answers:
    - {fault: level-bias, unit: mps-pa, tags: [B101_level], causes: [level-probe-bias]}
"""


def api(served: Served, method: str, path: str, people: People, user: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{served.url}{path}", data=data, method=method, headers=people.bearer(user))
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as resp:
        return json.loads(resp.read() or b"null")


def file_report(driver: Any, served: Served, user: str, cause: str, start: str) -> str:
    """Log in as ``user``, open the report form from the Operate page, fill it in, submit; the report id."""
    from selenium.webdriver.common.by import By

    driver.delete_all_cookies()
    login(driver, served.url, user, TEAM_STUDENTS[user][1], "/operate?lang=en")
    wait_for("the report button", lambda: driver.find_elements(By.ID, "ex-report-open"))
    wait_for("the briefing", lambda: "tank level" in text(driver, "ex-briefing-text"), 30)

    def shown() -> bool:
        return bool(driver.find_element(By.ID, "ex-modal").is_displayed())

    # The briefing shown means the page's callbacks are wired, so one click opens the form. A
    # second click while the first one's answer is on its way would later reset the form (or
    # reopen it over the receipt) on a busy machine: click again only after a long wait.
    driver.find_element(By.ID, "ex-report-open").click()
    try:
        wait_for("the form", shown, 20)
    except AssertionError:
        driver.find_element(By.ID, "ex-report-open").click()
        wait_for("the form", shown, 20)
    dropdown(driver, "ex-unit", "mps-pa")
    pick_multi(driver, "ex-tags", "B101_level")
    box = driver.find_element(By.ID, "ex-start")
    box.clear()
    box.send_keys(start)
    dropdown(driver, "ex-cause", cause)
    driver.find_element(By.ID, "ex-action").send_keys("Level readings checked against the sight glass")
    driver.find_element(By.CSS_SELECTOR, '#ex-class input[value="major"]').click()
    driver.find_element(By.ID, "ex-submit").click()
    message = wait_for("the report's receipt", lambda: "recorded" in (m := text(driver, "ex-message")) and m, 30)
    return str(message).split()[1]  # "Report R1 recorded (...)"


def timeline_reports(driver: Any) -> dict[str, list[str]]:
    """Team -> report ids drawn on the debrief's time axes (the Plotly figure in the page)."""
    return dict(
        driver.execute_script(
            """const g = document.querySelector('#db-timeline .js-plotly-plot');
               const out = {};
               (g && g.data || []).forEach(tr => {
                 if ((tr.name || '').endsWith(':report')) out[tr.name.split(':')[0]] = tr.customdata; });
               return out;"""
        )
        or {}
    )


def leaderboard(driver: Any) -> list[list[str]]:
    """The leaderboard's rows in display order: rank, team, score."""
    from selenium.webdriver.common.by import By

    rows = driver.find_elements(By.CSS_SELECTOR, "#db-leaderboard .ag-center-cols-container .ag-row")
    ordered = sorted(rows, key=lambda r: int(r.get_attribute("row-index") or 0))
    return [[c.text for c in r.find_elements(By.CSS_SELECTOR, ".ag-cell")][:3] for r in ordered]


def test_two_teams_report_the_instructor_ends_and_the_debrief_ranks_them(tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    people = make_people(tmp_path)
    add_team_students(people)
    library = tmp_path / "scenarios"
    library.mkdir()
    (library / "level-escape.yaml").write_text(ESCAPE)
    with serve(tmp_path, people, events=True) as served:
        control = served.control
        api(served, "POST", "/api/scenarios/level-escape/start", people, "ines")
        fault = wait_for(
            "the hidden fault active",
            lambda: next((f for f in control.faults("instructor") if f["state"] == "active"), None),
            30,
        )
        start_ns = control.runtime.clock.epoch_ns + int(fault["start_s"] * S)
        right = datetime.fromtimestamp(start_ns / S, UTC).strftime("%Y-%m-%d %H:%M:%S")
        early = datetime.fromtimestamp(start_ns / S - 7200, UTC).strftime("%Y-%m-%d %H:%M:%S")
        driver = chromium()
        try:
            lea_report = file_report(driver, served, "lea", "level-probe-bias", right)
            max_report = file_report(driver, served, "max", "tank-leak", early)

            # Before the end, Léa's debrief is refused (server side), with the reason.
            driver.get(f"{served.url}/debrief?lang=en&run=run-console")
            wait_for("the refusal", lambda: "opens when the instructor ends" in text(driver, "db-message"), 30)
            assert timeline_reports(driver) == {}

            # The instructor ends the exercise on her console, signing with her password again.
            driver.delete_all_cookies()
            login(driver, served.url, "ines", PASSWORDS["ines"], "/instructor?lang=en")
            (password,) = wait_for("the end form", lambda: driver.find_elements(By.ID, "ix-sign-password"), 30)
            password.send_keys(PASSWORDS["ines"])
            driver.find_element(By.ID, "ix-end").click()
            signed = wait_for("the signature", lambda: text(driver, "ix-manifestation"), 30)
            assert "Inès Dupont" in signed and "approved" in signed.lower(), signed
            driver.find_element(By.ID, "ix-debrief").click()  # the console's link to this exercise's debrief
            wait_for(
                "the debrief page", lambda: "/debrief" in driver.current_url and "run=run-console" in driver.current_url
            )
            drawn = wait_for("both reports on the time axes", lambda: len(r := timeline_reports(driver)) == 2 and r, 60)
            assert drawn == {"team-1": [lea_report], "team-2": [max_report]}, drawn
            board = wait_for("the leaderboard", lambda: len(b := leaderboard(driver)) == 2 and b, 30)
            assert board == [["1", "team-1", "110.0"], ["2", "team-2", "70.0"]], board
            reports = {e.get_attribute("row-id") for e in driver.find_elements(By.CSS_SELECTOR, ".ag-row[row-id*='/']")}
            assert {f"team-1/{lea_report}", f"team-2/{max_report}"} <= reports, reports

            # Léa now sees her own team's debrief only.
            driver.delete_all_cookies()
            login(driver, served.url, "lea", TEAM_STUDENTS["lea"][1], "/debrief?lang=en&run=run-console")
            wait_for("Léa's axis", lambda: timeline_reports(driver) == {"team-1": [lea_report]}, 60)
            assert wait_for("her team's row", lambda: len(b := leaderboard(driver)) == 1 and b, 30) == [
                ["1", "team-1", "110.0"]
            ]

            # ... and her history: this exercise, her team first of two, her own points.
            driver.get(f"{served.url}/history?lang=en")
            row = '#hs-grid .ag-row[row-id="run-console"] .ag-cell'
            cells = wait_for("her history", lambda: [c.text for c in driver.find_elements(By.CSS_SELECTOR, row)], 30)
            assert (cells[3], cells[5], cells[6], cells[8]) == ("team-1", "1 / 2", "110", "1"), cells
        finally:
            driver.quit()
    people.close()
