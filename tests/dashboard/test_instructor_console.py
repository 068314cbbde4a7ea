"""The instructor console in a real browser: inject, see, clear; absent outside instructor mode.

API + Dash are served as ``gmp_twin.roles._serve_http`` serves them (Dash mounted under the
FastAPI app, real uvicorn on a free port) over a running MPS PA plant at ×10, with the
:class:`TwinControl` bound to the simulation loop, in a thread of its own so the test drives
headless Chromium synchronously.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import dash
import pytest
import uvicorn
from a2wsgi import WSGIMiddleware
from conftest import chromium, free_port

from dashboard.api.app import create_api
from dashboard.app import create_dash
from dashboard.context import DashContext
from dashboard.data import HistorianGateway
from dashboard.services import Services
from historian import open_historian
from twin.clock import SimClock
from twin.faults.service import TwinControl
from twin.plant import PlantConfig, build_plant, plant_tagmaps
from twin.runtime import TwinRuntime

PLANT = PlantConfig.model_validate({"site": "lab", "units": [{"name": "mps-pa", "type": "mps_pa"}]})
SCENARIO = """
title: {en: Mystery level, fr: Niveau mystère}
units: [mps-pa]
duration_s: 3600
faults:
  - {kind: leak, target: {unit: mps-pa}, magnitude: 0.5}
"""


@dataclass
class Served:
    url: str
    control: TwinControl


def wait_for(what: str, condition: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            value = condition()
            if value:
                return value
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout} s")


@contextlib.contextmanager
def serve(tmp_path: Path, instructor: bool) -> Iterator[Served]:
    """API + dashboard + a running plant at ×10, on a free port, in a background thread."""
    library = tmp_path / "scenarios"
    library.mkdir(exist_ok=True)
    (library / "mystery-level.yaml").write_text(SCENARIO)
    port = free_port()
    ready: dict[str, Any] = {}
    started = threading.Event()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        async with open_historian(f"sqlite:///{tmp_path}/h.sqlite") as historian:
            units = build_plant(PLANT)
            runtime = TwinRuntime(units, clock=SimClock(speed=10))
            control = TwinControl(runtime, site="lab", run_id="run-console", scenario_dir=library)
            control.bind_loop(loop)
            tagmaps = plant_tagmaps(PLANT, units, "opc.tcp://127.0.0.1:4840")
            state = Services(historian=historian, tagmaps=tagmaps, control=control, runtime=runtime)
            # The same mounting as gmp_twin.roles._serve_http.
            api = create_api(state)
            ctx = DashContext(
                state,
                HistorianGateway(historian, loop),
                zone=ZoneInfo("UTC"),
                default_lang="en",
                instructor=instructor,
            )
            api.mount("/", WSGIMiddleware(create_dash(ctx).server))  # type: ignore[arg-type]
            server = uvicorn.Server(
                uvicorn.Config(api, host="127.0.0.1", port=port, log_level="warning", access_log=False)
            )
            ready.update(loop=loop, stop=stop, server=server, control=control)
            async with asyncio.TaskGroup() as tg:
                tg.create_task(runtime.run(stop))
                serving = tg.create_task(server.serve())
                started.set()
                await stop.wait()
                server.should_exit = True
                await serving

    # Dash sets its callback-context variable in the importing thread: run in a copy of this context.
    thread = threading.Thread(target=contextvars.copy_context().run, args=(asyncio.run, main()), daemon=True)
    thread.start()
    assert started.wait(30), "the server thread did not start"
    url = f"http://127.0.0.1:{port}"
    wait_for("the API", lambda: urllib.request.urlopen(f"{url}/api/faults/catalog", timeout=2).status == 200)
    try:
        yield Served(url, ready["control"])
    finally:
        ready["loop"].call_soon_threadsafe(ready["stop"].set)
        thread.join(30)


def dropdown(driver: Any, dropdown_id: str, value: str) -> None:
    """Pick ``value`` in a Dash 4 dropdown (a button opening a listbox of labelled radios)."""
    from selenium.webdriver.common.by import By

    button = wait_for(f"#{dropdown_id}", lambda: driver.find_element(By.ID, dropdown_id))
    option = f'label[role=option]:has(input[value="{value}"])'

    def pick() -> bool:
        if button.get_attribute("aria-expanded") != "true":
            button.click()
        listbox = driver.find_elements(By.ID, button.get_attribute("aria-controls") or "")
        found = listbox[0].find_elements(By.CSS_SELECTOR, option) if listbox else []
        if not found:
            return False  # options not there yet (filled by a callback)
        found[0].click()
        return True

    wait_for(f"{value!r} in #{dropdown_id}", pick)
    wait_for(f"#{dropdown_id} closed", lambda: button.get_attribute("aria-expanded") != "true", 5)


def text(driver: Any, element_id: str) -> str:
    # Re-rendered every second: read through JS to avoid stale element handles.
    found = driver.execute_script(f"const e = document.getElementById('{element_id}'); return e && e.textContent;")
    return str(found or "")


@pytest.mark.browser
def test_instructor_injects_sees_and_clears_a_fault(tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    with serve(tmp_path, instructor=True) as served:
        control = served.control
        driver = chromium("1400,1200")
        try:
            driver.get(f"{served.url}/instructor?lang=en")
            wait_for("the console", lambda: "run-console" in text(driver, "ic-clock"))
            nav = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "nav.navbar a")]
            assert "Instructor" in nav

            dropdown(driver, "ic-unit", "mps-pa")
            dropdown(driver, "ic-kind", "sensor_bias")
            wait_for("the tag choice", lambda: text(driver, "ic-target-label") == "Tag")
            dropdown(driver, "ic-target", "B101_level")
            wait_for("the magnitude range", lambda: "-30 to 30" in text(driver, "ic-magnitude-help"))

            magnitude = driver.find_element(By.ID, "ic-magnitude")
            magnitude.send_keys("300")
            driver.find_element(By.ID, "ic-inject").click()
            # The service's message, verbatim.
            wait_for("the range error", lambda: "outside -30 to 30" in text(driver, "ic-fault-result"))
            assert control.faults("instructor") == []

            magnitude.clear()
            magnitude.send_keys("3")
            driver.find_element(By.ID, "ic-inject").click()
            wait_for("the injected message", lambda: "F1" in text(driver, "ic-fault-result"))
            row = 'tr[data-fault="F1"]'
            wait_for("F1 in the table", lambda: driver.find_elements(By.CSS_SELECTOR, row))
            cells = [td.text for td in driver.find_elements(By.CSS_SELECTOR, f"{row} td")]
            assert cells[:4] == ["F1", "sensor_bias", "mps-pa/B101_level", "3"]
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
            driver.find_element(By.ID, "ic-scenario-stop").click()
            wait_for("the scenario stopped", lambda: control.scenario_state("instructor")["state"] == "stopped")  # type: ignore[index]
        finally:
            driver.quit()


@pytest.mark.browser
def test_student_mode_has_no_console(tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    with serve(tmp_path, instructor=False) as served:
        with urllib.request.urlopen(f"{served.url}/_dash-dependencies", timeout=5) as resp:
            outputs = [cb["output"] for cb in json.loads(resp.read())]
        assert outputs and not [o for o in outputs if "ic-" in o]  # no console callback can act
        driver = chromium("1400,900")
        try:
            driver.get(f"{served.url}/instructor?lang=en")
            wait_for("Dash's 404", lambda: "404" in (driver.find_element(By.TAG_NAME, "body").text or ""))
            assert not driver.find_elements(By.ID, "ic-unit")
            driver.get(f"{served.url}/alarms?lang=en")
            wait_for("the alarm page", lambda: driver.find_elements(By.CSS_SELECTOR, "nav.navbar a"))
            nav = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "nav.navbar a")]
            assert "Alarms" in nav and "Instructor" not in nav
        finally:
            driver.quit()
        assert served.control.faults("instructor") == []


def test_a_student_app_after_an_instructor_app_has_no_console(tmp_path: Path) -> None:
    """The page registry is process-wide: a student app must not inherit an earlier console."""

    def app(instructor: bool) -> dash.Dash:
        loop = asyncio.new_event_loop()
        try:
            services = Services(historian=None, tagmaps=[])  # type: ignore[arg-type]
            ctx = DashContext(services, HistorianGateway(None, loop), instructor=instructor)  # type: ignore[arg-type]
            return create_dash(ctx)
        finally:
            loop.close()

    teacher = app(True)
    assert "/instructor" in [p["path"] for p in dash.page_registry.values()]
    assert any("ic-inject" in str(k) or "ic-fault-result" in str(k) for k in teacher.callback_map)
    student = app(False)
    assert "/instructor" not in [p["path"] for p in dash.page_registry.values()]
    assert not [k for k in student.callback_map if "ic-" in str(k)]
