"""The operate page in a real Chromium: a student writes a setpoint as herself; a GMP-critical one
needs a reason; tags she may not write are not offered. Every write is in the audit trail, via ``dash``."""

from __future__ import annotations

from pathlib import Path

from browser_app import check_student_writes, dropdown, login, serve, wait_for
from conftest import chromium
from people import PASSWORDS, make_people

from twin.access_policy import DEFAULT_SIGNED, AccessPolicy


def test_a_student_writes_setpoints_from_the_dashboard(tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    people = make_people(tmp_path)
    with serve(tmp_path, people) as served:
        specs = {name: slot.specs for name, slot in served.control.runtime.slots.items()}
        served.control.policy = AccessPolicy.build(specs, {}, {"mps-pa": ["flow_sp"]}, DEFAULT_SIGNED)
        driver = chromium()
        try:
            login(driver, served.url, "sam", PASSWORDS["sam"], "/operate")
            wait_for("the operate form", lambda: driver.find_elements(By.ID, "op-tag"))
            driver.find_element(By.ID, "op-tag").click()
            options = wait_for(
                "the tags offered", lambda: driver.find_elements(By.CSS_SELECTOR, "label[role=option] input")
            )
            offered = {e.get_attribute("value") for e in options}
            assert "level_sp" in offered and "level_out" not in offered, offered  # outputs: instructors only
            driver.find_element(By.ID, "op-tag").click()  # closed again
            dropdown(driver, "op-tag", "level_sp")

            check_student_writes(driver)
        finally:
            driver.quit()
        unit = served.control.runtime.slots["mps-pa"].unit.read()
        assert (unit["level_sp"], unit["flow_sp"]) == (12.0, 3.0)
    rows = [
        (r.user, r.via, r.object, r.result, r.reason)
        for r in people.audit.query(action="tag.write", newest_first=False)
    ]
    assert rows == [
        ("sam", "dash", "mps-pa.level_sp", "ok", ""),
        ("sam", "dash", "mps-pa.flow_sp", "refused", ""),
        ("sam", "dash", "mps-pa.flow_sp", "ok", "calibration check"),
    ]
    people.close()
