"""A drifting tag raises an SPC alarm that a student sees and acknowledges in a real browser.

`gmp-twin run` (one process, real OPC UA TCP, SQLite historian) with a Shewhart detector on
the level and a users file made with `gmp-twin users add`; an independent OPC UA client,
logged in as the instructor, moves the level setpoint; headless Chromium logs in as the
student, shows the alarm and the rule that fired on the SPC page, the alarm list acknowledges
it under the student's name, the events are in the historian, and the audit trail holds both
changes and passes `gmp-twin audit verify`.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from asyncua.sync import Client
from conftest import chromium, free_port

from audit import AuditTrail

REPO = Path(__file__).resolve().parents[2]
GMP_TWIN = str(Path(sys.executable).with_name("gmp-twin"))

DETECTORS = """
detectors:
  - name: level-spc
    unit: mps-pa
    tag: B101_level
    method: shewhart
    rules: we
    mean: 15.0
    sigma: 0.1
    sample_s: 1
    priority: high
    clear_after_s: 600
"""


PEOPLE = {
    "sam": ("student", "Sam Martin", "student-pass-4821"),
    "ines": ("instructor", "Inès Dupont", "instr-pass-7310"),
}


def get_json(url: str, cookie: str = "") -> Any:
    request = urllib.request.Request(url, headers={"Cookie": f"gmp_twin_session={cookie}"} if cookie else {})
    with urllib.request.urlopen(request, timeout=5) as resp:
        return json.loads(resp.read())


def wait_for(what: str, condition: Callable[[], Any], timeout: float, log: Path) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
        except OSError:
            value = None
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {timeout} s\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path, subprocess.Popen[str]]]:
    work = tmp_path_factory.mktemp("spc")
    (work / "detectors.yaml").write_text(DETECTORS)
    http_port, opc_port = free_port(), free_port()
    log = work / "gmp-twin.log"
    env = {**os.environ, "GMP_TWIN_LANG": "en"}
    for name, (role, display, password) in PEOPLE.items():
        subprocess.run(
            [GMP_TWIN, "users", "add", name, "--role", role, "--display-name", display, "--password-stdin"],
            cwd=work, input=password + "\n", text=True, check=True, capture_output=True, env=env, timeout=60,
        )  # fmt: skip
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                GMP_TWIN,
                "run",
                "--http-port",
                str(http_port),
                "--opcua-port",
                str(opc_port),
                "--detectors",
                "detectors.yaml",
                "--plant",
                str(REPO / "config/plant.yaml"),
                "--tagmap",
                str(REPO / "config/tagmaps/mps-pa-sim.yaml"),
            ],
            cwd=work,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
    http = f"http://127.0.0.1:{http_port}"
    try:
        wait_for("/api/health", lambda: get_json(f"{http}/api/health"), 60, log)
        yield http, f"opc.tcp://127.0.0.1:{opc_port}", work, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.mark.browser
def test_spc_alarm_from_a_drifting_level_is_shown_acknowledged_and_stored(
    twin: tuple[str, str, Path, subprocess.Popen[str]],
) -> None:
    from selenium.webdriver.common.by import By

    http, opcua, work, proc = twin
    log = work / "gmp-twin.log"
    driver = chromium("1400,1200")

    def text(element_id: str) -> str:
        # Re-rendered every second: read through JS to avoid stale element handles.
        found = driver.execute_script(f"const e = document.getElementById('{element_id}'); return e && e.textContent;")
        return str(found or "")

    def alarm_markers() -> int:
        return int(
            driver.execute_script(
                "const g = document.querySelector('#spc-graph .js-plotly-plot');"
                "if (!g || !g.data) return 0;"
                "const t = g.data.find(d => d.name === 'Alarm'); return t && t.x ? t.x.length : 0;"
            )
        )

    try:
        driver.get(f"{http}/login?lang=en&next=/spc%3Flang%3Den%26detector%3Dlevel-spc")
        driver.find_element(By.ID, "username").send_keys("sam")
        driver.find_element(By.ID, "password").send_keys(PEOPLE["sam"][2])
        driver.find_element(By.ID, "login-submit").click()
        wait_for("logged in", lambda: "Sam Martin (student)" in text("whoami"), 30, log)
        cookie = driver.get_cookie("gmp_twin_session")["value"]
        wait_for("the SPC chart monitors", lambda: "monitoring" in text("spc-status"), 30, log)
        wait_for(
            "points on the chart",
            lambda: driver.execute_script(
                "const g = document.querySelector('#spc-graph .js-plotly-plot');"
                # Until the first data, the chart is an empty figure (no traces): not yet, not an error.
                "return !!(g && g.data && g.data.length > 1 && g.data[1].x && g.data[1].x.length > 3);"
            ),
            30,
            log,
        )
        assert get_json(f"{http}/api/alarms", cookie)["active"] == []  # the station runs normally
        assert alarm_markers() == 0

        client = Client(opcua)  # an instructor's client, independent of the bridge
        client.set_user("ines")
        client.set_password(PEOPLE["ines"][2])
        with client:
            ns = client.get_namespace_index("urn:gmp-twin:plant")
            client.get_node(f"ns={ns};s=mps-pa.level_sp").write_value(18.0)
            written = time.monotonic()

        wait_for("the alarm on the SPC page", lambda: "active, unacknowledged" in text("spc-alarm-state"), 60, log)
        seconds = time.monotonic() - written
        print(f"\nsetpoint write -> alarm on the SPC page: {seconds:.1f} s")
        active = get_json(f"{http}/api/alarms", cookie)["active"]
        assert [(a["alarm_id"], a["priority"], a["state"]) for a in active] == [("level-spc", "high", "unack_active")]
        first_rule = active[0]["rules"][0]
        assert first_rule in {"WE1", "WE2", "WE3", "WE4"}
        wait_for("the rule in the alarm list of the SPC page", lambda: first_rule in text("spc-alarms"), 10, log)
        assert first_rule in text("spc-alarm-state")
        assert alarm_markers() >= 1
        driver.save_screenshot(str(work / "spc.png"))

        driver.get(f"{http}/alarms?lang=en")
        state_js = (
            "const e = document.querySelector('.ag-row[row-id=\"level-spc\"] .alarm-state');return e && e.textContent;"
        )
        wait_for(
            "the alarm in the alarm list", lambda: driver.execute_script(state_js) == "active, unacknowledged", 20, log
        )
        driver.find_element(By.ID, "ack-comment").send_keys("setpoint changed on purpose")
        driver.find_element(By.CSS_SELECTOR, 'button.ack-btn[data-alarm="level-spc"]').click()
        wait_for("the acknowledged state", lambda: driver.execute_script(state_js) == "active, acknowledged", 20, log)
        assert text("ack-result") == "Acknowledged by Sam Martin: level-spc"
        assert not driver.find_elements(By.CSS_SELECTOR, 'button.ack-btn[data-alarm="level-spc"]')
        driver.save_screenshot(str(work / "alarms.png"))
    finally:
        driver.quit()

    assert get_json(f"{http}/api/alarms", cookie)["active"][0]["acknowledged_by"] == "sam"

    def events() -> list[tuple[str, dict[str, Any]]]:
        with sqlite3.connect(f"file:{work / 'data/gmp-twin.sqlite'}?mode=ro", uri=True) as conn:
            rows = conn.execute("SELECT tags, fields FROM points WHERE measurement = 'event' ORDER BY time_ns")
            return [(json.loads(tags)["kind"], json.loads(fields)) for tags, fields in rows]

    stored = wait_for(
        "both events in the historian",
        lambda: (
            (e := events())
            and [k for k, _ in e if k.startswith("alarm_")][-2:] == ["alarm_raised", "alarm_acknowledged"]
            and e
        ),
        15,
        log,
    )
    raised = next(f for k, f in stored if k == "alarm_raised")
    acked = next(f for k, f in stored if k == "alarm_acknowledged")
    assert (raised["detector"], raised["rules"].split(",")[0]) == ("level-spc", first_rule)
    assert (acked["user"], acked["comment"]) == ("sam", "setpoint changed on purpose")

    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 0
    assert "Traceback" not in log.read_text()

    # Who did what is in the audit trail, and its chain is intact.
    trail = AuditTrail(work / "data/audit.sqlite")
    try:
        (write,) = trail.query(action="tag.write")
        (ack,) = trail.query(action="alarm.ack")
    finally:
        trail.close()
    assert (write.user, write.via, write.object, write.new, write.result) == (
        "ines", "opcua", "mps-pa.level_sp", 18.0, "ok"
    )  # fmt: skip
    assert (ack.user, ack.role, ack.object, ack.reason) == ("sam", "student", "alarm:level-spc",
                                                            "setpoint changed on purpose")  # fmt: skip
    verified = subprocess.run([GMP_TWIN, "audit", "verify"], cwd=work, capture_output=True, text=True, timeout=60)
    assert verified.returncode == 0 and "audit trail intact" in verified.stdout, verified.stdout + verified.stderr
