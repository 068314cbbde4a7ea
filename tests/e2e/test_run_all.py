"""`gmp-twin run` as a user starts it: one process, real OPC UA TCP, real InfluxDB 1.x, HTTP, Chromium.

Embedded mode, as ``make run``: the first start creates the ``instructor`` account and prints its
generated password once (on stderr); the tests log in with it over HTTP, OPC UA and in Chromium.
A second start on the same data prints nothing. Production mode refuses a weak password.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from asyncua.sync import Client
from conftest import chromium, free_port

from access.passwords import hash_password

REPO = Path(__file__).resolve().parents[2]
GMP_TWIN = str(Path(sys.executable).with_name("gmp-twin"))
FIRST_START = "gmp-twin: first start: created the 'instructor' account"
PASSWORD_LINE = re.compile(r"^\s+password:\s+(\S+)$", re.MULTILINE)


@dataclass
class Running:
    http: str
    opcua: str
    proc: subprocess.Popen[str]
    log: Path
    db: str
    password: str  # the instructor's, printed at the first start
    command: list[str]
    env: dict[str, str]
    work: Path
    session: urllib.request.OpenerDirector  # logged in as the instructor (cookie jar)


def get_json(url: str, timeout: float = 5.0, opener: urllib.request.OpenerDirector | None = None) -> Any:
    with (opener or urllib.request.build_opener()).open(url, timeout=timeout) as resp:
        return json.loads(resp.read())


def login(base: str, name: str, password: str) -> urllib.request.OpenerDirector:
    """An HTTP client holding the session cookie of ``name`` (``POST /api/session``)."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    body = json.dumps({"username": name, "password": password}).encode()
    request = urllib.request.Request(f"{base}/api/session", data=body, headers={"Content-Type": "application/json"})
    with opener.open(request, timeout=10) as resp:
        assert json.loads(resp.read())["user"] == name
    return opener


def wait_http(url: str, proc: subprocess.Popen[str], log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"gmp-twin exited with {proc.returncode}:\n{log.read_text()}")
        try:
            get_json(url, timeout=1.0)
            return
        except (OSError, json.JSONDecodeError):  # refused, reset, or bound but not yet serving
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {timeout} s:\n{log.read_text()}")


def influx_query(base: str, db: str, q: str) -> list[dict[str, Any]]:
    url = f"{base}/query?db={db}&q={urllib.parse.quote(q)}"
    body = get_json(url)
    assert isinstance(body, dict)
    return body["results"][0].get("series", [])


def start(command: list[str], env: dict[str, str], work: Path, log: Path) -> subprocess.Popen[str]:
    with log.open("w") as out:
        return subprocess.Popen(command, cwd=work, stdout=out, stderr=subprocess.STDOUT, text=True, env=env)


def stop(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGINT)
    return proc.wait(timeout=30)


@pytest.fixture(scope="module")
def running(influxdb1: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    work = tmp_path_factory.mktemp("run")
    http_port, opc_port = free_port(), free_port()
    host_port = influxdb1.removeprefix("http://")
    log = work / "gmp-twin.log"
    command = [
        GMP_TWIN,
        "run",
        "--http-port",
        str(http_port),
        "--opcua-port",
        str(opc_port),
        "--historian",
        f"influxdb1://{host_port}/e2e",
        "--plant",
        str(REPO / "config/plant.yaml"),
    ]
    people = work / "people"  # users file and audit trail
    env = {
        **os.environ,
        "GMP_TWIN_LANG": "en",
        "GMP_TWIN_USERS": str(people / "users.yaml"),
        "GMP_TWIN_AUDIT": str(people / "audit.sqlite"),
    }
    proc = start(command, env, work, log)
    http = f"http://127.0.0.1:{http_port}"
    try:
        wait_http(f"{http}/api/health", proc, log)
        found = PASSWORD_LINE.search(log.read_text())
        assert found, log.read_text()
        session = login(http, "instructor", found.group(1))
        yield Running(http, f"opc.tcp://127.0.0.1:{opc_port}", proc, log, "e2e", found.group(1), command, env, work,
                      session)  # fmt: skip
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_first_start_prints_the_instructor_password_once(running: Running) -> None:
    log = running.log.read_text()
    assert log.count(FIRST_START) == 1 and len(PASSWORD_LINE.findall(log)) == 1, log
    assert len(running.password) >= 12
    me = get_json(f"{running.http}/api/session", opener=running.session)
    assert (me["user"], me["role"], me["must_change_password"]) == ("instructor", "instructor", False)
    with pytest.raises(urllib.error.HTTPError) as refused:
        get_json(f"{running.http}/api/tags")  # no anonymous viewing by default
    assert refused.value.code == 401
    with pytest.raises(urllib.error.HTTPError) as wrong:
        login(running.http, "instructor", running.password + "x")
    assert wrong.value.code == 401


def test_api_tags_lists_every_tag_fresh_with_units(running: Running) -> None:
    time.sleep(2.0)
    tags = get_json(f"{running.http}/api/tags", opener=running.session)
    assert isinstance(tags, list)
    names = {t["name"] for t in tags}
    assert {"B101_level", "B102_flow", "B103_pressure", "B104_temperature"} <= names
    expected = {"B101_level": "cm", "B102_flow": "l/min", "B103_pressure": "mbar", "B104_temperature": "°C"}
    for tag in tags:
        assert tag["timestamp"] is not None, tag
        assert tag["age_s"] < 2.0, tag
        if tag["name"] in expected:
            assert tag["unit"] == expected[tag["name"]]
            assert tag["status_text"] == "Good"


def test_health_reports_components(running: Running) -> None:
    health = get_json(f"{running.http}/api/health")
    assert isinstance(health, dict)
    assert health["status"] == "ok"
    assert health["components"]["bridge:mps-pa"]["connected"] is True
    assert health["components"]["outbox"]["written_total"] > 0


def test_influxdb1_holds_the_process_measurement(running: Running, influxdb1: str) -> None:
    series = influx_query(influxdb1, running.db, 'SHOW TAG KEYS FROM "process"')
    assert {v[0] for v in series[0]["values"]} == {"site", "unit", "tag", "source"}
    series = influx_query(influxdb1, running.db, 'SHOW FIELD KEYS FROM "process"')
    assert dict((v[0], v[1]) for v in series[0]["values"]) == {"value": "float", "status": "integer"}
    rows = influx_query(
        influxdb1,
        running.db,
        """SELECT "value", "status" FROM "process" WHERE "tag"='B101_level' AND "unit"='mps-pa' """
        """AND "source"='sim' AND "site"='demo-campus' ORDER BY time DESC LIMIT 5""",
    )
    assert len(rows[0]["values"]) == 5


def test_independent_write_of_level_setpoint_moves_the_level(running: Running) -> None:
    # asyncua's synchronous client: a separate client from the bridge, over TCP.
    client = Client(running.opcua)
    client.set_user("instructor")  # anonymous OPC UA sessions may read, never write
    client.set_password(running.password)
    with client:
        ns = client.get_namespace_index("urn:gmp-twin:plant")
        level = client.get_node(f"ns={ns};s=mps-pa.B101_level")
        sp = client.get_node(f"ns={ns};s=mps-pa.level_sp")
        start = level.read_value()
        sp.write_value(20.0)
        time.sleep(12.0)  # real time: the level loop needs ~18 s to settle a 5 cm step
        assert level.read_value() > start + 2.0
    tags = {t["name"]: t for t in get_json(f"{running.http}/api/tags", opener=running.session)}
    assert tags["level_sp"]["value"] == pytest.approx(20.0)


def browser_login(driver: Any, running: Running, page: str) -> None:
    """Open ``page`` as a person would: the login form first, then back to the page."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"{running.http}{page}")
    WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.ID, "login-form"))  # sent to /login?next=...
    driver.find_element(By.ID, "username").send_keys("instructor")
    driver.find_element(By.ID, "password").send_keys(running.password)
    driver.find_element(By.ID, "login-submit").click()
    WebDriverWait(driver, 30).until(lambda d: "/login" not in d.current_url)
    assert driver.current_url == f"{running.http}{page}"


@pytest.mark.browser
def test_dashboard_shows_live_values_in_chromium(running: Running) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver = chromium()

    def text(element_id: str) -> str:
        # The table is re-rendered every second: read through JS to avoid stale element handles.
        found = driver.execute_script(f"const e = document.getElementById('{element_id}'); return e && e.textContent;")
        return str(found or "")

    try:
        browser_login(driver, running, "/?lang=en")
        wait = WebDriverWait(driver, 30)
        wait.until(lambda d: text("val-B101_level") not in ("", "—"))
        first = float(text("val-B101_level"))
        assert 0.0 <= first <= 30.0
        # The value is noisy and refreshed every second: it must change within a few seconds.
        values: set[str] = set()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(values) < 3:
            values.add(text("val-B101_level"))
            time.sleep(0.5)
        assert len(values) >= 3, values
        heading = driver.find_element(By.CSS_SELECTOR, ".loop-value").text
        assert heading.startswith("Level:") and "cm" in heading
        # The P&ID overview and four loop charts are rendered by Plotly.
        assert len(driver.find_elements(By.CSS_SELECTOR, ".js-plotly-plot")) == 5
        driver.save_screenshot(str(running.log.with_name("dashboard.png")))
    finally:
        driver.quit()


@pytest.mark.browser
def test_unit_type_page_shows_critical_parameters_with_bands(running: Running) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    driver = chromium()
    try:
        browser_login(driver, running, "/units/bioreactor?lang=en")
        badge = "return [...document.querySelectorAll('.band')].map(e => e.textContent).join('|')"
        WebDriverWait(driver, 30).until(lambda d: "temperature:" in (d.execute_script(badge) or ""))
        text = driver.execute_script(badge)
        assert "°C" in text and ("(NOR)" in text or "PAR" in text), text
        # The NOR/PAR bands are drawn as shapes behind the traces.
        rects = driver.execute_script("return document.querySelectorAll('.js-plotly-plot .shapelayer path').length")
        assert rects >= 2
    finally:
        driver.quit()


def test_ctrl_c_stops_cleanly_with_outbox_flushed(running: Running) -> None:
    # Runs after the others in this module (file order): it stops the shared process.
    assert stop(running.proc) == 0
    log = running.log.read_text()
    assert "outbox flushed: nothing pending" in log, log
    assert "Traceback" not in log, log


def test_second_start_prints_no_password_and_the_first_still_works(running: Running) -> None:
    assert running.proc.poll() is not None  # the first process was stopped above
    log = running.work / "second.log"
    proc = start(running.command, running.env, running.work, log)
    try:
        wait_http(f"{running.http}/api/health", proc, log)
        login(running.http, "instructor", running.password)
    finally:
        code = stop(proc)
    text = log.read_text()
    assert FIRST_START not in text and not PASSWORD_LINE.search(text), text
    assert code == 0, text


def test_production_mode_refuses_a_weak_password_naming_the_user(tmp_path: Path) -> None:
    users = tmp_path / "users.yaml"
    # A password of an example file, as a careless copy would leave it (the CLI refuses to set one).
    users.write_text(yaml.safe_dump({"users": [{"name": "bob", "role": "instructor",
                                                "password_hash": hash_password("changeme")}]}))  # fmt: skip
    users.chmod(0o600)
    env = {
        **os.environ,
        "GMP_TWIN_MODE": "production",
        "GMP_TWIN_SESSION_SECRET": "a-long-random-session-secret-0123456789",
        "GMP_TWIN_USERS": str(users),
        "GMP_TWIN_AUDIT": str(tmp_path / "audit.sqlite"),
    }
    command = [GMP_TWIN, "run", "--http-port", str(free_port()), "--opcua-port", str(free_port()),
               "--historian", f"sqlite:///{tmp_path}/h.sqlite", "--plant", str(REPO / "config/plant.yaml")]  # fmt: skip
    proc = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "production mode refuses to start" in proc.stderr and "user 'bob'" in proc.stderr, proc.stderr
    assert "gmp-twin users passwd bob" in proc.stderr
    assert FIRST_START not in proc.stderr  # production never creates an account by itself
