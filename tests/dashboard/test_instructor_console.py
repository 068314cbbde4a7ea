"""The instructor console in a real browser: inject, see, clear, a signed stop; absent without a simulation.

The browser is on this machine and the process runs with the local console switched on
(``--local-console``): it acts as the instructor ``local-console`` without a login, every
action audited under that name, and a signed stop names the instructor who signs.
API + Dash + a running plant are served by :func:`browser_app.serve`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import dash
import pytest
from browser_app import console_inject_sensor_bias, dropdown, serve, text, wait_for
from conftest import chromium
from people import PASSWORDS, make_people

from dashboard.app import create_dash
from dashboard.context import DashContext
from dashboard.data import HistorianGateway
from dashboard.services import Services
from twin.faults.service import TwinControl
from twin.plant import PlantConfig, build_plant
from twin.runtime import TwinRuntime


@pytest.mark.browser
def test_instructor_injects_sees_and_clears_a_fault(tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    people = make_people(tmp_path, local_console=True)
    with serve(tmp_path, people) as served:
        control = served.control
        driver = chromium("1400,1200")
        try:
            driver.get(f"{served.url}/instructor?lang=en")
            wait_for("the console", lambda: "run-console" in text(driver, "ic-clock"))
            nav = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "nav.navbar a")]
            assert "Instructor" in nav and "Audit" in nav
            assert text(driver, "whoami") == "Logged in: local console (instructor)"

            def nothing_injected() -> None:
                assert control.faults("instructor") == []

            console_inject_sensor_bias(driver, after_refusal=nothing_injected)
            faults = control.faults("instructor")
            assert [(f["id"], f["kind"], f["target"], f["magnitude"]) for f in faults] == [
                ("F1", "sensor_bias", {"unit": "mps-pa", "tag": "B101_level"}, 3.0)
            ]
            wait_for("F1 active (the plant runs)", lambda: control.faults("instructor")[0]["state"] == "active")
            wait_for("active in the table", lambda: "active" in text(driver, "ic-faults-table"))
            driver.save_screenshot(str(tmp_path / "console.png"))

            driver.find_element(By.CSS_SELECTOR, 'button[data-fault="F1"]').click()
            wait_for("the cleared message", lambda: "F1" in text(driver, "ic-clear-result"))
            assert control.faults("instructor")[0]["state"] == "cleared"
            wait_for(
                "the row without its button", lambda: not driver.find_elements(By.CSS_SELECTOR, "button[data-fault]")
            )
            assert "cleared" in text(driver, "ic-faults-table")

            # The clock and a scenario, through the same service.
            driver.find_element(By.CSS_SELECTOR, '#ic-speed input[value="60"]').click()
            wait_for("speed ×60", lambda: control.clock()["speed"] == 60.0)
            driver.find_element(By.ID, "ic-pause").click()
            wait_for("paused", lambda: control.clock()["paused"])
            wait_for("paused on the page", lambda: "paused" in text(driver, "ic-clock"))
            driver.find_element(By.ID, "ic-resume").click()
            wait_for("running", lambda: not control.clock()["paused"])

            dropdown(driver, "ic-scenario", "mystery-level")
            driver.find_element(By.CSS_SELECTOR, '#ic-scenario-hidden input[value="hidden"]').click()
            driver.find_element(By.ID, "ic-scenario-start").click()
            wait_for(
                "the scenario runs", lambda: (control.scenario_state("instructor") or {}).get("state") == "running"
            )
            assert control.scenario_state("instructor")["hidden"] is True  # type: ignore[index]
            assert [f["kind"] for f in control.faults("student")] == ["sensor_bias"]  # the leak is hidden
            wait_for("the scenario on the page", lambda: "Mystery level" in text(driver, "ic-scenario-state"))
            # Stopping needs a signature: at the local console, the signer names themselves.
            assert driver.find_element(By.ID, "ic-scenario-stop").text == "Sign and stop"
            driver.find_element(By.ID, "ic-scenario-stop").click()
            wait_for("no signer", lambda: "signer's user name" in text(driver, "ic-scenario-result"))
            assert control.scenario_state("instructor")["state"] == "running"  # type: ignore[index]
            driver.find_element(By.ID, "ic-signer").send_keys("ines")
            driver.find_element(By.ID, "ic-sign-password").send_keys(PASSWORDS["ines"])
            dropdown(driver, "ic-sign-meaning", "performed")
            driver.find_element(By.ID, "ic-scenario-stop").click()
            wait_for("the scenario stopped", lambda: control.scenario_state("instructor")["state"] == "stopped")  # type: ignore[index]
            wait_for("the manifestation", lambda: "Inès Dupont (ines)" in text(driver, "ic-manifestation"))
            assert text(driver, "ic-manifestation").endswith(" UTC, performed")
            assert driver.find_element(By.ID, "ic-sign-password").get_attribute("value") == ""
        finally:
            driver.quit()

    # Every click is in the audit trail, as the local console; the stop carries ines's signature.
    records = {r.action: r for r in people.audit.query(user="local-console")}
    assert {"fault.inject", "fault.clear", "clock.set", "scenario.start", "scenario.stop"} <= set(records)
    assert records["fault.inject"].via == "local-console" and records["fault.inject"].client.startswith("127.0.0.1")
    stops = people.audit.query(action="scenario.stop")
    assert [(r.result, (r.signature or {}).get("user")) for r in stops] == [("ok", "ines")]  # no signer: not tried
    people.close()


def test_an_app_without_a_simulation_after_one_with_has_no_console(tmp_path: Path) -> None:
    """The page registry is process-wide: a dashboard-only app must not inherit an earlier console."""
    cfg = PlantConfig.model_validate({"site": "lab", "units": [{"name": "mps-pa", "type": "mps_pa"}]})

    def app(control: TwinControl | None) -> dash.Dash:
        loop = asyncio.new_event_loop()
        try:
            services = Services(historian=None, tagmaps=[], control=control)  # type: ignore[arg-type]
            ctx = DashContext(services, HistorianGateway(None, loop))  # type: ignore[arg-type]
            return create_dash(ctx)
        finally:
            loop.close()

    teacher = app(TwinControl(TwinRuntime(build_plant(cfg))))
    entry = dash.page_registry["instructor"]
    assert (entry["path"], entry["gmp_level"]) == ("/instructor", "instructor")
    assert any("ic-inject" in str(k) or "ic-fault-result" in str(k) for k in teacher.callback_map)
    viewer = app(None)
    assert "/instructor" not in [p["path"] for p in dash.page_registry.values()]
    assert not [k for k in viewer.callback_map if "ic-" in str(k)]
    assert dash.page_registry["audit"]["gmp_level"] == "instructor"
