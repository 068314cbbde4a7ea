"""The classroom page in a real browser against a real ``gmp-twin run --teams 2``.

The instructor sees both team plants side by side, starts one scenario for every team, then a
different one for team-2 only, and ends every team's exercise with one electronic signature;
each step is checked on the team plants through ``/api/classroom``. A student sees no
classroom in the menu and the page refuses them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from browser_app import dropdown, login, text, wait_for
from conftest import chromium

from bench.bench_classroom import INSTRUCTOR, classroom_process, make_accounts

TEAMS = ["team-1", "team-2"]


def card(team: str) -> str:
    """The DOM id Dash gives a card body's dict id (keys sorted, JSON without spaces)."""
    return f'{{"team":"{team}","type":"cr-body"}}'


def pick_for_team(driver: Any, team: str, value: str) -> None:
    """Pick ``value`` in a card's scenario dropdown (a dict id: found by XPath, CSS cannot name it)."""
    from selenium.webdriver.common.by import By

    def by_id(id_: str) -> list[Any]:
        return driver.find_elements(By.XPATH, f"//*[@id='{id_}']")

    button = wait_for(f"{team}'s picker", lambda: by_id(f'{{"team":"{team}","type":"cr-assign"}}'))[0]

    def pick() -> bool:
        if button.get_attribute("aria-expanded") != "true":
            button.click()
        listbox = by_id(button.get_attribute("aria-controls") or "")
        found = listbox[0].find_elements(By.CSS_SELECTOR, f'label[role=option]:has(input[value="{value}"])')
        if found:
            found[0].click()
        return bool(found)

    wait_for(f"{value} for {team}", pick)


def scenarios(url: str, password: str) -> dict[str, Any]:
    """Each team's scenario (name, state) as the API reports it."""
    with httpx.Client(base_url=url, timeout=30) as client:
        client.post("/api/session", json={"username": INSTRUCTOR, "password": password}).raise_for_status()
        teams = client.get("/api/classroom").raise_for_status().json()["teams"]
    return {t["team"]: t["scenario"] and (t["scenario"]["name"], t["scenario"]["state"]) for t in teams}


@pytest.mark.browser
def test_the_instructor_runs_the_class_from_one_page(tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    accounts = make_accounts(tmp_path, TEAMS)
    with classroom_process(tmp_path, len(TEAMS), 1.0) as child:
        driver = chromium("1400,1400")
        try:
            login(driver, child.url, INSTRUCTOR, accounts.instructor, "/classroom?lang=en")
            driver.get(f"{child.url}/classroom?lang=en")
            for body in map(card, TEAMS):
                wait_for(f"{body} filled", lambda: "B101_level" in text(driver, body), 60)  # noqa: B023 - called at once
                assert "No scenario" in text(driver, body)
            links = {
                a.get_attribute("href").split("/", 3)[-1] for a in driver.find_elements(By.PARTIAL_LINK_TEXT, "plant")
            }
            assert {"?team=team-1&lang=en", "?team=team-2&lang=en"} <= links

            dropdown(driver, "cr-scenario", "level-sensor-bias")
            driver.find_element(By.ID, "cr-start-all").click()
            wait_for("started for all", lambda: text(driver, "cr-start-result") == "Started: team-1, team-2", 30)
            running = ("level-sensor-bias", "running")
            assert scenarios(child.url, accounts.instructor) == {"team-1": running, "team-2": running}
            wait_for("the card's scenario line", lambda: "running" in text(driver, card("team-1")), 30)

            pick_for_team(driver, "team-2", "ph-probe-drift")
            driver.find_element(By.ID, "cr-start-each").click()
            wait_for("team-2's own scenario", lambda: text(driver, "cr-start-result") == "Started: team-2", 30)
            assert scenarios(child.url, accounts.instructor) == {
                "team-1": running,
                "team-2": ("ph-probe-drift", "running"),
            }

            driver.find_element(By.ID, "cr-end-all").click()  # no password: refused, nothing ended
            wait_for("the refusal", lambda: "refused" in text(driver, "cr-end-result"), 30)
            assert scenarios(child.url, accounts.instructor)["team-1"] == running
            driver.find_element(By.ID, "cr-sign-password").send_keys(accounts.instructor)
            driver.find_element(By.ID, "cr-end-all").click()
            wait_for("ended for all", lambda: text(driver, "cr-end-result").startswith("Ended: team-1, team-2"), 30)
            assert "Bench (bench-instructor)" in text(driver, "cr-manifestation")
            assert {state for _, state in scenarios(child.url, accounts.instructor).values()} == {"ended"}

            # A student: no classroom in the menu, and the page itself is refused.
            driver.delete_all_cookies()
            name, password = accounts.students["team-1"]
            login(driver, child.url, name, password, "/?lang=en")
            driver.get(f"{child.url}/?lang=en")
            wait_for("the station", lambda: driver.find_elements(By.CSS_SELECTOR, "nav.navbar a"), 30)
            assert "Classroom" not in [a.text for a in driver.find_elements(By.CSS_SELECTOR, "nav.navbar a")]
            driver.get(f"{child.url}/classroom?lang=en")
            wait_for("the refusal", lambda: "instructor" in driver.find_element(By.TAG_NAME, "body").text, 30)
            assert not driver.find_elements(By.ID, "cr-cards")
        finally:
            driver.quit()
