"""The instructor console and the operate page in the compose split, in a real Chromium.

Three real processes on free ports, as docker-compose runs them: ``gmp-twin twin`` (the plant
and its OPC UA server), ``gmp-twin bridge`` (into a SQLite historian) and ``gmp-twin dashboard
--opcua-endpoint ...``, which has no simulation of its own and drives the twin over its
``Twin/Service/Call`` method (an encrypted session with a users-file account, each request
signed with the shared session secret and naming the logged-in person). One users file and one
audit trail, shared by the twin and the dashboard (the compose file's ``people`` volume).

An instructor injects a fault from the console, sees it listed, clears it, sets the clock,
starts a hidden scenario and stops it with her signature; a student writes an operator tag from
the operate page (a GMP-critical one only with a reason), the value is read back from the twin's
OPC UA server, and the audit trail names her "via dashboard"; the console's callbacks refuse her.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from asyncua import ua
from asyncua.sync import Client
from browser_app import (
    PAUSE,
    SCENARIO,
    check_student_writes,
    console_inject_sensor_bias,
    dropdown,
    login,
    text,
    wait_for,
)
from conftest import chromium, free_port
from people import PASSWORDS, SETUP, make_people

from audit import AuditTrail, verify
from dashboard.auth.sessions import COOKIE
from twin.opcua_server import NAMESPACE_URI

BIN = Path(sys.executable).parent
SECRET = "console-split-session-secret-0123456789"
SERVICE = ("svc-dashboard", "dashboard-service-pass-5512")
PLANT = "site: lab\nunits:\n  - {name: mps-pa, type: mps_pa, gmp_critical: [flow_sp]}\n"


class Split:
    """The three role processes and their logs."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.opc_port, self.http_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.http_port}"
        self.endpoint = f"opc.tcp://127.0.0.1:{self.opc_port}"
        self.procs: list[tuple[str, subprocess.Popen[bytes]]] = []

    def env(self) -> dict[str, str]:
        r = self.root
        return {
            **os.environ,
            "GMP_TWIN_PLANT": str(r / "plant.yaml"),
            "GMP_TWIN_USERS": str(r / "users.yaml"),
            "GMP_TWIN_AUDIT": str(r / "audit.sqlite"),
            "GMP_TWIN_PKI": str(r / "pki"),
            "GMP_TWIN_SESSION_SECRET": SECRET,
            "GMP_TWIN_SCENARIOS": str(r / "scenarios"),
            "GMP_TWIN_HISTORIAN": f"sqlite:///{r}/historian.sqlite",
            "GMP_TWIN_OUTBOX": str(r / "outbox.sqlite"),
            "GMP_TWIN_EVENTS_OUTBOX": str(r / "events-outbox.sqlite"),
            "GMP_TWIN_MONITOR_OUTBOX": str(r / "monitor-outbox.sqlite"),
            "GMP_TWIN_RUN_LOCK": str(r / "run.lock"),
            "GMP_TWIN_OPCUA_PORT": str(self.opc_port),
            "GMP_TWIN_OPCUA_USERNAME": SERVICE[0],
            "GMP_TWIN_OPCUA_PASSWORD": SERVICE[1],
            "GMP_TWIN_LANG": "en",
        }

    def start(self, name: str, *args: str) -> None:
        with (self.root / f"{name}.log").open("wb") as out:
            command = [str(BIN / "gmp-twin"), name, *args]
            proc = subprocess.Popen(command, cwd=self.root, stdout=out, stderr=subprocess.STDOUT, env=self.env())
        self.procs.append((name, proc))

    def logs(self) -> str:
        return "\n".join(f"--- {name}\n{(self.root / f'{name}.log').read_text()[-4000:]}" for name, _ in self.procs)

    def alive(self) -> bool:
        for name, proc in self.procs:
            assert proc.poll() is None, f"{name} exited\n{self.logs()}"
        return True

    def stop(self) -> list[int]:
        for _, proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        return [proc.wait(timeout=60) for _, proc in self.procs]


@pytest.fixture
def split(tmp_path: Path) -> Iterator[Split]:
    people = make_people(tmp_path)  # sam (student), ines (instructor), ada (admin)
    # The dashboard's own OPC UA account (the bridge's in docker-compose): a student; it carries
    # requests, the twin takes the acting person's role from the users file.
    people.store.add(SERVICE[0], "student", actor=SETUP, password=SERVICE[1])
    people.close()
    (tmp_path / "plant.yaml").write_text(PLANT)
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "mystery-level.yaml").write_text(SCENARIO)
    roles = Split(tmp_path)
    try:
        roles.start("twin")
        roles.start("bridge", "--opcua-endpoint", roles.endpoint)
        roles.start("dashboard", "--opcua-endpoint", roles.endpoint, "--http-port", str(roles.http_port))

        def up() -> bool:
            roles.alive()
            with urllib.request.urlopen(f"{roles.url}/login", timeout=2) as resp:
                return bool(resp.status == 200)

        wait_for("the dashboard", up, timeout=90)

        def twin_up() -> bool:
            roles.alive()
            try:
                return twin_value(roles, "level_sp") == 15.0
            except Exception:  # not listening yet
                return False

        wait_for("the twin's OPC UA server", twin_up, timeout=90)
        yield roles
    finally:
        codes = roles.stop()
        assert codes == [0, 0, 0], roles.logs()


def twin_value(split: Split, tag: str) -> float:
    """``mps-pa.<tag>`` read from the twin's OPC UA server (loopback: policy None, a users-file login)."""
    client = Client(split.endpoint, timeout=10)
    client.set_user("ada")
    client.set_password(PASSWORDS["ada"])
    with client:
        ns = client.get_namespace_index(NAMESPACE_URI)
        return float(client.get_node(ua.NodeId(f"mps-pa.{tag}", ns)).read_value())


def dash_post(split: Split, body: dict[str, Any], cookie: str) -> tuple[int, str]:
    request = urllib.request.Request(
        f"{split.url}/_dash-update-component",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Cookie": f"{COOKIE}={cookie}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.mark.browser
def test_console_and_operate_page_drive_the_twin_of_another_process(split: Split) -> None:
    from selenium.webdriver.common.by import By

    driver = chromium("1400,1300")
    try:
        # -- the instructor -----------------------------------------------------------------
        login(driver, split.url, "ines", PASSWORDS["ines"], "/instructor")
        wait_for("the console with the twin's clock", lambda: "Run: run-" in text(driver, "ic-clock"), 60)
        assert not driver.find_elements(By.ID, "ic-no-control")
        console_inject_sensor_bias(driver)  # the twin's own range message comes back verbatim
        wait_for("F1 active on the twin", lambda: "active" in text(driver, "ic-faults-table"), 30)
        driver.find_element(By.CSS_SELECTOR, 'button[data-fault="F1"]').click()
        wait_for("the cleared message", lambda: "F1" in text(driver, "ic-clear-result"))
        wait_for("F1 cleared in the list", lambda: "cleared" in text(driver, "ic-faults-table"))
        assert not driver.find_elements(By.CSS_SELECTOR, "button[data-fault]")

        driver.find_element(By.CSS_SELECTOR, '#ic-speed input[value="60"]').click()
        wait_for("×60 on the twin", lambda: "×60" in text(driver, "ic-clock"))
        driver.find_element(By.ID, "ic-pause").click()
        wait_for("paused", lambda: "paused" in text(driver, "ic-clock"))
        driver.find_element(By.ID, "ic-resume").click()
        wait_for("running", lambda: "running" in text(driver, "ic-clock"))

        dropdown(driver, "ic-scenario", "mystery-level")
        driver.find_element(By.CSS_SELECTOR, '#ic-scenario-hidden input[value="hidden"]').click()
        driver.find_element(By.ID, "ic-scenario-start").click()
        wait_for("the scenario runs", lambda: "Mystery level" in text(driver, "ic-scenario-state"))
        assert "hidden from students" in text(driver, "ic-scenario-state")
        # Stopping is signed (the plant's default policy): her password again and a meaning.
        assert driver.find_element(By.ID, "ic-scenario-stop").text == "Sign and stop"
        driver.find_element(By.ID, "ic-sign-password").send_keys(PASSWORDS["ines"])
        dropdown(driver, "ic-sign-meaning", "performed")
        driver.find_element(By.ID, "ic-scenario-stop").click()
        wait_for("the manifestation", lambda: "Inès Dupont (ines)" in text(driver, "ic-manifestation"))
        wait_for("stopped", lambda: "stopped" in text(driver, "ic-scenario-state"))

        # -- the student ----------------------------------------------------------------------
        driver.delete_all_cookies()
        login(driver, split.url, "sam", PASSWORDS["sam"], "/operate")
        wait_for("the operate form", lambda: driver.find_elements(By.ID, "op-tag"))
        dropdown(driver, "op-tag", "level_sp")
        wait_for("the twin's value", lambda: "Current value: 15" in text(driver, "op-current"))

        check_student_writes(driver)
        assert (twin_value(split, "level_sp"), twin_value(split, "flow_sp")) == (12.0, 3.0)

        # The console is the server's to refuse: its page and its callbacks.
        driver.get(f"{split.url}/instructor?lang=en")
        wait_for("the refusal", lambda: driver.find_elements(By.ID, "forbidden"))
        assert not driver.find_elements(By.ID, "ic-pause")
        cookie = driver.get_cookie(COOKIE)
        assert cookie is not None
        status, body = dash_post(split, PAUSE, cookie["value"])
        assert status == 403 and "sam is student" in body, (status, body)
        split.alive()
    finally:
        driver.quit()
    assert text_of_clock(split) == "running"
    assert split.stop() == [0, 0, 0], split.logs()

    # One audit trail: the twin recorded each change as the person, through the dashboard.
    trail = split.root / "audit.sqlite"
    assert verify(trail).ok
    audit = AuditTrail(trail)
    try:
        records = audit.query(newest_first=False)
    finally:
        audit.close()

    def done(action: str) -> list[tuple[str, str, str, str]]:
        return [(r.user, r.role, r.via, r.result) for r in records if r.action == action]

    assert done("fault.inject") == [("ines", "instructor", "dash", "refused"), ("ines", "instructor", "dash", "ok")]
    assert done("fault.clear") == [("ines", "instructor", "dash", "ok")]
    assert done("scenario.start") == done("scenario.stop") == [("ines", "instructor", "dash", "ok")]
    (stop,) = [r for r in records if r.action == "scenario.stop"]
    assert (stop.signature or {}).get("user") == "ines" and (stop.signature or {}).get("meaning") == "performed"
    assert {r.new.get("speed") if isinstance(r.new, dict) else None for r in records if r.action == "clock.set"} >= {60}
    writes = [(r.user, r.role, r.via, r.object, r.result, r.reason) for r in records if r.action == "tag.write"]
    assert writes == [
        ("sam", "student", "dash", "mps-pa.level_sp", "ok", ""),
        ("sam", "student", "dash", "mps-pa.flow_sp", "refused", ""),
        ("sam", "student", "dash", "mps-pa.flow_sp", "ok", "calibration check"),
    ]
    for r in records:
        if r.action in ("fault.inject", "fault.clear", "scenario.stop", "tag.write"):
            assert " via dashboard opc.tcp " in r.client, (r.action, r.client)  # not the service account
    denied = [(r.user, r.role, r.object) for r in records if r.action == "access.denied"]
    assert ("sam", "student", "dash callback ic-clock-result.children") in denied


def text_of_clock(split: Split) -> str:
    """The twin's clock as the dashboard's API shows it (still running: the student's pause was refused)."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    body = json.dumps({"username": "ines", "password": PASSWORDS["ines"]}).encode()
    session = urllib.request.Request(
        f"{split.url}/api/session", data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    opener.open(session, timeout=10).read()
    clock = json.loads(opener.open(f"{split.url}/api/clock", timeout=10).read())
    return "paused" if clock["paused"] else "running"
