"""People in a real browser: a student logs in, is refused the console, acknowledges an alarm under
their own name; an instructor reads the audit trail (who changed level_sp, from what to what,
when, why) and stops a scenario with an electronic signature.

API + Dash + a running plant + a live monitoring service (:func:`browser_app.serve`) over a
real users file and audit trail (:mod:`people`); headless Chromium logs in through ``/login``.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from browser_app import PAUSE, Served, login, serve, text, wait_for
from conftest import chromium
from people import PASSWORDS, People, make_people

from audit import Actor
from dashboard.auth.sessions import COOKIE

REASON = "step test for the SPC exercise"


def _request(url: str, *, method: str = "GET", body: Any = None, headers: dict[str, str] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json",
                                                                             **(headers or {})})  # fmt: skip
    return urllib.request.urlopen(request, timeout=10)


def _cells(driver: Any, selector: str) -> list[str]:
    found = driver.execute_script(
        "const r = document.querySelector(arguments[0]);"
        "return r ? [...r.querySelectorAll('.ag-cell')].map(c => c.textContent) : [];",
        selector,
    )
    return [str(c) for c in found or []]


def _student_part(driver: Any, served: Served, people: People) -> None:
    from selenium.webdriver.common.by import By

    url = served.url
    login(driver, url, "sam", PASSWORDS["sam"], "/alarms?lang=en")
    wait_for("the header", lambda: text(driver, "whoami") == "Logged in: Sam Martin (student)")
    nav = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "nav.navbar a")]
    assert "Alarms" in nav and "Instructor" not in nav and "Audit" not in nav

    # The console is refused: the page says why, and a hand-made callback gets 403 (audited).
    driver.get(f"{url}/instructor?lang=en")
    wait_for("the forbidden notice", lambda: "needs the instructor role" in text(driver, "forbidden"))
    assert not driver.find_elements(By.ID, "ic-inject")
    cookie = driver.get_cookie(COOKIE)["value"]
    with pytest.raises(urllib.error.HTTPError) as refused:
        _request(f"{url}/_dash-update-component", method="POST", body=PAUSE, headers={"Cookie": f"{COOKIE}={cookie}"})
    assert refused.value.code == 403
    assert not served.control.clock()["paused"]
    (denied,) = people.audit.query(action="access.denied", user="sam")
    assert (denied.role, denied.via, denied.object) == ("student", "dash", "dash callback ic-clock-result.children")

    # The alarm, acknowledged as sam (no name to type).
    driver.get(f"{url}/alarms?lang=en")
    assert not driver.find_elements(By.ID, "ack-user")
    state = "const e = document.querySelector('.ag-row[row-id=\"level\"] .alarm-state'); return e && e.textContent;"
    wait_for("the alarm", lambda: driver.execute_script(state) == "active, unacknowledged")
    driver.find_element(By.ID, "ack-comment").send_keys("valve checked")
    driver.find_element(By.CSS_SELECTOR, 'button.ack-btn[data-alarm="level"]').click()
    wait_for("acknowledged", lambda: driver.execute_script(state) == "active, acknowledged")
    assert text(driver, "ack-result") == "Acknowledged by Sam Martin: level"
    assert _cells(driver, '.ag-row[row-id="level"]')[9] == "sam"
    (ack,) = people.audit.query(action="alarm.ack")
    assert (ack.user, ack.role, ack.via, ack.object, ack.reason, ack.result) == (
        "sam", "student", "dash", "alarm:level", "valve checked", "ok"
    )  # fmt: skip

    driver.find_element(By.ID, "logout-button").click()
    wait_for("the login page", lambda: driver.find_elements(By.ID, "login-form"))


def _instructor_part(driver: Any, served: Served, people: People, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    url = served.url
    login(driver, url, "ines", PASSWORDS["ines"], "/audit?lang=en")
    wait_for("the header", lambda: text(driver, "whoami") == "Logged in: Inès Dupont (instructor)")
    (write,) = people.audit.query(action="tag.write")
    row = f'.ag-row[row-id="{write.seq}"]'
    wait_for("the level_sp row", lambda: _cells(driver, row))
    cells = _cells(driver, row)
    # Who, what (old → new), when (UTC), why, the result.
    assert cells[1] == write.ts[:19].replace("T", " ")
    assert write.sim_time_s is not None and cells[2] == f"{write.sim_time_s:.1f}"
    assert cells[3:9] == [
        "Inès Dupont (ines)",
        "instructor",
        cells[5],
        "tag.write",
        "mps-pa.level_sp",
        f"{write.old:g} → 18",
    ]  # fmt: skip (numbers as the reader writes them)
    assert cells[5].startswith("http 127.0.0.1:")
    assert (cells[9], cells[10]) == (REASON, "accepted (Good)")

    # Filter on the object: only the level_sp writes, and the CSV link carries the filter.
    driver.find_element(By.ID, "au-object").send_keys("mps-pa.level_sp\n")
    wait_for("the filtered table", lambda: text(driver, "au-count").startswith("1 record(s)"))
    href = driver.find_element(By.ID, "au-csv").get_attribute("href")
    assert "object=mps-pa.level_sp" in href and href.endswith("format=csv")
    cookie = {"Cookie": f"{COOKIE}={driver.get_cookie(COOKIE)['value']}"}
    csv = _request(href, headers=cookie).read().decode()
    assert len(csv.strip().splitlines()) == 2 and REASON in csv

    # A signed stop: a wrong password is refused (and audited), then the signature's manifestation.
    served.control.start_scenario("mystery-level", actor=Actor("ines", "instructor", "http"))
    driver.get(f"{url}/instructor?lang=en")
    wait_for("the console", lambda: "Mystery level" in text(driver, "ic-scenario-state"))
    assert not driver.find_element(By.ID, "ic-signer").is_displayed()  # a logged-in instructor signs as herself
    driver.find_element(By.ID, "ic-sign-password").send_keys("not-her-password")
    driver.find_element(By.ID, "ic-scenario-stop").click()
    wait_for("refused", lambda: "Signature refused" in text(driver, "ic-scenario-result"))
    assert served.control.scenario_state("instructor")["state"] == "running"  # type: ignore[index]
    failed = people.audit.query(action="signature.failed")[0]
    assert (failed.user, failed.via, failed.result) == ("ines", "dash", "refused")
    driver.find_element(By.ID, "ic-sign-password").send_keys(PASSWORDS["ines"])
    driver.find_element(By.ID, "ic-scenario-stop").click()
    wait_for("the manifestation", lambda: text(driver, "ic-manifestation").startswith("Signed: Inès Dupont (ines), "))
    assert text(driver, "ic-manifestation").endswith(" UTC, approved")
    assert served.control.scenario_state("instructor")["state"] == "stopped"  # type: ignore[index]

    # The audit page shows the signature with the record.
    driver.get(f"{url}/audit?lang=en")
    (stop,) = people.audit.query(action="scenario.stop")
    wait_for("the stop row", lambda: _cells(driver, f'.ag-row[row-id="{stop.seq}"]'))
    assert _cells(driver, f'.ag-row[row-id="{stop.seq}"]')[-1] == stop.signature_manifestation()
    assert stop.signature_manifestation().startswith("Inès Dupont (ines), ")
    driver.save_screenshot(str(tmp_path / "audit.png"))


@pytest.mark.browser
def test_a_student_and_an_instructor_in_the_browser(tmp_path: Path) -> None:
    people = make_people(tmp_path)
    with serve(tmp_path, people, monitoring=True) as served:
        # A level_sp change by the instructor over the API, with its reason.
        put = _request(f"{served.url}/api/units/mps-pa/tags/level_sp", method="PUT",
                       body={"value": 18.0, "reason": REASON}, headers=people.bearer("ines"))  # fmt: skip
        assert put.status == 200
        served.raise_level_alarm()
        driver = chromium("1500,1100")
        try:
            _student_part(driver, served, people)
            _instructor_part(driver, served, people, tmp_path)
        finally:
            driver.quit()
    people.close()
