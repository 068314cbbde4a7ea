"""The API + dashboard of one process on a free port, for the browser tests of the dashboard.

Served as ``gmp_twin.roles.serve_http`` serves them (Dash mounted under the FastAPI app, real
uvicorn) over a running MPS PA plant at ×10, with the :class:`TwinControl` bound to the
simulation loop and recording to the real audit trail of :func:`people.make_people`, in a
thread of its own so a test drives headless Chromium synchronously. An optional live monitoring
service (not polling: the test feeds it samples) gives the alarm page something to acknowledge.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import uvicorn
from a2wsgi import WSGIMiddleware
from conftest import free_port
from people import People

from analytics.detectors import load_detectors
from analytics.monitoring import MonitoringService
from dashboard.api.app import create_api
from dashboard.app import create_dash
from dashboard.context import DashContext
from dashboard.data import HistorianGateway
from dashboard.services import Services
from historian import open_historian
from historian.outbox import Outbox
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
LEVEL_DETECTOR = """
detectors:
  - {name: level, unit: mps-pa, tag: B101_level, method: ewma, mean: 15.0, sigma: 0.1, lambda: 0.2, L: 3.0,
     sample_s: 1, priority: high, clear_after_s: 600}
"""
#: The body Dash posts when the Pause button of the instructor console is clicked.
PAUSE = {
    "output": "ic-clock-result.children",
    "outputs": {"id": "ic-clock-result", "property": "children"},
    "inputs": [
        {"id": "ic-speed", "property": "value", "value": "1"},
        {"id": "ic-pause", "property": "n_clicks", "value": 1},
        {"id": "ic-resume", "property": "n_clicks"},
    ],
    "state": [{"id": "ic-lang", "property": "data", "value": "en"}],
    "changedPropIds": ["ic-pause.n_clicks"],
}
SEC = 1_000_000_000
T0 = 1_700_000_000 * SEC


@dataclass
class Served:
    url: str
    control: TwinControl
    monitoring: MonitoringService | None

    def raise_level_alarm(self) -> None:
        """A level shift of 10 sigma: the ``level`` detector raises its alarm (unacknowledged)."""
        assert self.monitoring is not None
        values = [15.0] * 25 + [16.0] * 25
        series = [(T0 + i * SEC // 5, v, False) for i, v in enumerate(values)]
        self.monitoring.feed("mps-pa", {"B101_level": series})
        assert [a["alarm_id"] for a in self.monitoring.alarms()["active"]] == ["level"]


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
def serve(
    tmp_path: Path,
    people: People | None,
    monitoring: bool = False,
    plant: PlantConfig | None = None,
    detectors: str = LEVEL_DETECTOR,
    events: bool = False,
) -> Iterator[Served]:
    """API + dashboard + a running plant at ×10 (default: the MPS PA station), on a free port, in a thread.

    ``people`` gives the users, the gate (its ``local_console`` flag included) and the audit
    trail; ``None``: a process without users (everyone an anonymous viewer). ``events``: the twin's
    events reach the historian through an outbox, as in `gmp-twin run` (the debrief reads them).
    """
    plant = plant if plant is not None else PLANT  # read at call time: a test may patch PLANT
    library = tmp_path / "scenarios"
    library.mkdir(exist_ok=True)
    (library / "mystery-level.yaml").write_text(SCENARIO)
    port = free_port()
    ready: dict[str, Any] = {}
    started = threading.Event()
    outbox = Outbox(tmp_path / "monitor-outbox.sqlite", site="lab", unit="monitoring") if monitoring else None
    sink = Outbox(tmp_path / "events-outbox.sqlite", site="lab", unit="twin") if events else None

    async def main() -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        async with open_historian(f"sqlite:///{tmp_path}/h.sqlite") as historian:
            units = build_plant(plant)
            runtime = TwinRuntime(units, clock=SimClock(speed=10))
            audit = people.audit if people else None
            if audit is not None:
                audit.sim_time = lambda: runtime.clock.sim_time_s  # as gmp_twin.roles.twin_server does
            control = TwinControl(
                runtime, site="lab", run_id="run-console", scenario_dir=library, audit=audit,
                sink=sink.put if sink is not None else None,
            )  # fmt: skip
            control.bind_loop(loop)
            tagmaps = plant_tagmaps(plant, units, "opc.tcp://127.0.0.1:4840")
            mon = None
            if outbox is not None:
                (tmp_path / "detectors.yaml").write_text(detectors)
                config = load_detectors(
                    tmp_path / "detectors.yaml", {tm.unit: [t.name for t in tm.tags] for tm in tagmaps}
                )
                mon = MonitoringService(historian, tagmaps, config, outbox, start_ns=T0 - 1)
            state = Services(
                historian=historian,
                tagmaps=tagmaps,
                control=control,
                runtime=runtime,
                monitoring=mon,
                gate=people.gate if people else None,
                audit=audit,
            )
            # The same mounting as gmp_twin.roles.serve_http.
            api = create_api(state)
            ctx = DashContext(state, HistorianGateway(historian, loop), zone=ZoneInfo("UTC"), default_lang="en")
            api.mount("/", WSGIMiddleware(create_dash(ctx).server))  # type: ignore[arg-type]
            server = uvicorn.Server(
                uvicorn.Config(api, host="127.0.0.1", port=port, log_level="warning", access_log=False)
            )
            ready.update(loop=loop, stop=stop, server=server, control=control, monitoring=mon)
            async with asyncio.TaskGroup() as tg:
                tg.create_task(runtime.run(stop))
                if sink is not None:
                    tg.create_task(sink.run_writer(historian, stop))
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
    wait_for("the API", lambda: urllib.request.urlopen(f"{url}/api/health", timeout=2).status in (200, 503))
    try:
        yield Served(url, ready["control"], ready["monitoring"])
    finally:
        ready["loop"].call_soon_threadsafe(ready["stop"].set)
        thread.join(30)
        for box in (outbox, sink):
            if box is not None:
                box.close()


def login(driver: Any, url: str, name: str, password: str, next_: str) -> None:
    """Log in through the ``/login`` form and land on ``next_``."""
    from selenium.webdriver.common.by import By

    driver.get(f"{url}/login?lang=en&next={next_}")
    wait_for("the login form", lambda: driver.find_elements(By.ID, "login-form"))
    driver.find_element(By.ID, "username").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login-submit").click()
    wait_for(f"{name} logged in", lambda: "/login" not in driver.current_url)


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


def pick_multi(driver: Any, dropdown_id: str, value: str) -> None:
    """Tick ``value`` in a Dash 4 multi-value dropdown, then close it."""
    from selenium.webdriver.common.by import By

    button = wait_for(f"#{dropdown_id}", lambda: driver.find_element(By.ID, dropdown_id))

    def pick() -> bool:
        if button.get_attribute("aria-expanded") != "true":
            button.click()
        listbox = driver.find_elements(By.ID, button.get_attribute("aria-controls") or "")
        found = (
            listbox[0].find_elements(By.CSS_SELECTOR, f'[role=option]:has(input[value="{value}"])') if listbox else []
        )
        if not found:
            return False
        found[0].click()
        return True

    wait_for(f"{value!r} in #{dropdown_id}", pick)
    if button.get_attribute("aria-expanded") == "true":
        button.click()
    wait_for(f"#{dropdown_id} closed", lambda: button.get_attribute("aria-expanded") != "true", 5)


def text(driver: Any, element_id: str) -> str:
    # Re-rendered every second: read through JS to avoid stale element handles.
    found = driver.execute_script(f"const e = document.getElementById('{element_id}'); return e && e.textContent;")
    return str(found or "")


def operate_write(driver: Any, value: str, reason: str = "") -> str:
    """Type a value (and a reason) on the Operate page, press Write, return the new result line."""
    from selenium.webdriver.common.by import By

    before = text(driver, "op-result")
    for element_id, typed in (("op-value", value), ("op-reason", reason)):
        box = driver.find_element(By.ID, element_id)
        box.clear()
        box.send_keys(typed)
    driver.find_element(By.ID, "op-write").click()
    return str(wait_for("the write's result", lambda: (t := text(driver, "op-result")) != before and t))


def check_student_writes(driver: Any) -> None:
    """On the Operate page at mps-pa.level_sp = 15: an operator write, then a GMP-critical one refused
    without a reason and accepted with one (the same steps in `gmp-twin run` and the compose split)."""
    assert operate_write(driver, "12").startswith("Written: mps-pa.level_sp 15 → 12"), text(driver, "op-result")
    dropdown(driver, "op-tag", "flow_sp")
    wait_for("the reason hint", lambda: "reason is required" in text(driver, "op-current"))
    refused = operate_write(driver, "3")
    assert "Action refused" in refused and "give a reason" in refused, refused
    assert operate_write(driver, "3", "calibration check").startswith("Written: mps-pa.flow_sp"), text(
        driver, "op-result"
    )


def console_inject_sensor_bias(driver: Any, after_refusal: Callable[[], None] | None = None) -> None:
    """On the instructor console: a bias on mps-pa/B101_level refused at 300 (the service's own range
    message, verbatim), then injected at 3 and listed as F1 (the same steps in `gmp-twin run` and the split)."""
    from selenium.webdriver.common.by import By

    dropdown(driver, "ic-unit", "mps-pa")
    dropdown(driver, "ic-kind", "sensor_bias")
    wait_for("the tag choice", lambda: text(driver, "ic-target-label") == "Tag")
    dropdown(driver, "ic-target", "B101_level")
    wait_for("the magnitude range", lambda: "-30 to 30" in text(driver, "ic-magnitude-help"))
    magnitude = driver.find_element(By.ID, "ic-magnitude")
    magnitude.send_keys("300")
    driver.find_element(By.ID, "ic-inject").click()
    wait_for("the range error", lambda: "outside -30 to 30" in text(driver, "ic-fault-result"))
    if after_refusal is not None:
        after_refusal()
    magnitude.clear()
    magnitude.send_keys("3")
    driver.find_element(By.ID, "ic-inject").click()
    wait_for("the injected message", lambda: "F1" in text(driver, "ic-fault-result"))
    row = '.ag-row[row-id="F1"]'
    wait_for("F1 in the table", lambda: driver.find_elements(By.CSS_SELECTOR, row))
    cells = [td.text for td in driver.find_elements(By.CSS_SELECTOR, f"{row} .ag-cell")]
    assert cells[:4] == ["F1", "sensor_bias", "mps-pa/B101_level", "3"], cells
