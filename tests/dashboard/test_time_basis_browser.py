"""The time-basis banner in a real browser: every page says which clock its times are on.

The plant of :func:`browser_app.serve` runs at ×10: the French station page says "Heure simulée
(×10)"; after an instructor's ``PUT /api/clock {"speed": "max"}`` the same page, without a reload,
says "vitesse max"; the English alarm page says it in English.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest
from browser_app import login, serve, wait_for
from conftest import chromium
from people import PASSWORDS, make_people

BANNER = "const e = document.querySelector('.time-basis-text'); return e && e.textContent;"


@pytest.mark.browser
def test_the_banner_names_the_clock_and_follows_it(tmp_path: Path) -> None:
    people = make_people(tmp_path)
    with serve(tmp_path, people) as served:
        driver = chromium()
        try:
            login(driver, served.url, "sam", PASSWORDS["sam"], "/?lang=fr")
            wait_for("the French banner", lambda: driver.execute_script(BANNER) == "Heure simulée (×10)")
            assert "time-basis-sim" in driver.find_element("css selector", ".time-basis-text").get_attribute("class")
            request = urllib.request.Request(
                f"{served.url}/api/clock",
                data=json.dumps({"speed": "max"}).encode(),
                method="PUT",
                headers={**people.bearer("ines"), "Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=10) as resp:
                assert json.loads(resp.read())["speed"] == "max"
            wait_for("the banner at max", lambda: driver.execute_script(BANNER) == "Heure simulée (vitesse max)")
            driver.get(f"{served.url}/alarms?lang=en")
            wait_for("the English banner", lambda: driver.execute_script(BANNER) == "Simulated time (max speed)")
        finally:
            driver.quit()
            people.close()
