"""A whole class session on a real `gmp-twin run`, then the audit trail checked and tampered with.

As an instructor would live it: the first start prints the instructor's password once; a student
account is added with the CLI while the twin runs; the student writes a setpoint over OPC UA with
node-opcua (an independent client) and is refused a fault; over HTTP the instructor injects a
fault and the student is refused it; in Chromium the instructor pauses the clock on the console.
Then `gmp-twin audit verify` passes on the trail, and each of an edited value, a deleted record,
a forged inserted record and two swapped records makes it fail, naming the record.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import chromium, free_port
from node_opcua import install_node_client, run_node_client

REPO = Path(__file__).resolve().parents[2]
GMP_TWIN = str(Path(sys.executable).with_name("gmp-twin"))
STUDENT_PW = "sam-the-student-7731"
PLANT = """site: e2e
signatures: [scenario.stop]
units:
  - name: mps-pa
    type: mps_pa
"""


@dataclass
class Session:
    work: Path
    http: str
    opcua: str
    proc: subprocess.Popen[str]
    log: Path
    instructor_pw: str

    @property
    def audit(self) -> Path:
        return self.work / "data" / "audit.sqlite"


def http(
    method: str, url: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any, dict[str, str]]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={**(headers or {})})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"null"), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null"), dict(exc.headers)


def login(base: str, user: str, password: str) -> dict[str, str]:
    status, body, headers = http("POST", f"{base}/api/session", {"username": user, "password": password})
    assert status == 200, body
    cookie = headers["set-cookie"].split(";")[0]
    return {"Cookie": cookie}


def wait_up(session_url: str, proc: subprocess.Popen[str], log: Path, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"gmp-twin exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(session_url, timeout=1.0):
                return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{session_url} did not answer within {timeout} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    work = tmp_path_factory.mktemp("class")
    (work / "plant.yaml").write_text(PLANT)
    http_port, opc_port = free_port(), free_port()
    log = work / "gmp-twin.log"
    env = {**os.environ, "GMP_TWIN_LANG": "en"}
    for key in ("GMP_TWIN_USERS", "GMP_TWIN_AUDIT", "GMP_TWIN_MODE", "GMP_TWIN_LOCAL_CONSOLE"):
        env.pop(key, None)
    command = [GMP_TWIN, "run", "--http-port", str(http_port), "--opcua-port", str(opc_port)]
    command += ["--plant", str(work / "plant.yaml"), "--scenarios", str(REPO / "config/scenarios")]
    with log.open("w") as out:
        proc = subprocess.Popen(command, cwd=work, stdout=out, stderr=subprocess.STDOUT, text=True, env=env)
    base = f"http://127.0.0.1:{http_port}"
    try:
        wait_up(f"{base}/api/health", proc, log)
        printed = re.findall(r"password:\s+(\S+)", log.read_text())
        assert len(printed) == 1, log.read_text()
        yield Session(work, base, f"opc.tcp://127.0.0.1:{opc_port}/", proc, log, printed[0])
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_a_class_session_is_attributed_and_the_trail_holds(session: Session) -> None:
    added = subprocess.run(
        [GMP_TWIN, "users", "add", "sam", "--role", "student", "--display-name", "Sam Martin", "--password-stdin"],
        cwd=session.work,
        input=STUDENT_PW + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert added.returncode == 0, added.stderr

    # OPC UA from node-opcua: the student writes a setpoint, and is refused a fault.
    script = install_node_client()
    student = asyncio.run(run_node_client(script, session.opcua, "sam", STUDENT_PW, 12.5))
    assert student == {"write": "Good", "inject": {"status": "BadUserAccessDenied", "output": []}}, student

    # HTTP: the instructor injects a fault; the student may not, and may write a setpoint.
    ines = login(session.http, "instructor", session.instructor_pw)
    fault = {"kind": "sensor_bias", "target": {"unit": "mps-pa", "tag": "B101_level"}, "magnitude": 2}
    status, body, _ = http("POST", f"{session.http}/api/faults", fault, ines)
    assert status == 201, body
    sam = login(session.http, "sam", STUDENT_PW)
    status, body, _ = http("POST", f"{session.http}/api/faults", fault, sam)
    assert status == 403, body
    status, body, _ = http(
        "PUT", f"{session.http}/api/units/mps-pa/tags/level_sp", {"value": 14.0, "reason": "hold more"}, sam
    )
    assert status == 200 and body["old"] == 12.5, body

    # The dashboard: the instructor logs in and pauses the clock on the console.
    driver = chromium()
    try:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec
        from selenium.webdriver.support.ui import WebDriverWait

        driver.get(f"{session.http}/login?next=/instructor%3Flang%3Den")
        driver.find_element(By.ID, "username").send_keys("instructor")
        driver.find_element(By.ID, "password").send_keys(session.instructor_pw)
        driver.find_element(By.ID, "login-submit").click()
        WebDriverWait(driver, 30).until(ec.element_to_be_clickable((By.ID, "ic-pause"))).click()
        WebDriverWait(driver, 30).until(ec.text_to_be_present_in_element((By.ID, "ic-clock-result"), "⏸"))
    finally:
        driver.quit()
    status, clock, _ = http("GET", f"{session.http}/api/clock", headers=sam)
    assert status == 200 and clock["paused"] is True

    session.proc.send_signal(signal.SIGINT)
    session.proc.wait(timeout=30)

    rows = _rows(session.audit)
    assert ("cli", "user.add", "user:sam", "ok") in {(r["via"], r["action"], r["object"], r["result"]) for r in rows}
    done = {(r["user"], r["via"], r["action"], r["object"], r["result"]) for r in rows}
    assert {
        ("sam", "opcua", "login", "user:sam", "ok"),
        ("sam", "opcua", "tag.write", "mps-pa.level_sp", "ok"),
        ("sam", "opcua", "access.denied", "method:InjectFault", "refused"),
        ("instructor", "http", "login", "user:instructor", "ok"),
        ("instructor", "http", "fault.inject", "fault:sensor_bias", "ok"),
        ("sam", "http", "access.denied", "POST /api/faults", "refused"),
        ("sam", "http", "tag.write", "mps-pa.level_sp", "ok"),
        ("instructor", "dash", "clock.set", "clock", "ok"),
    } <= done, sorted(done)
    write = next(r for r in rows if r["action"] == "tag.write" and r["via"] == "http")
    assert (json.loads(write["old"]), json.loads(write["new"]), write["reason"]) == (12.5, 14.0, "hold more")
    assert write["sim_time_s"] is not None

    verified = _verify(session.audit)
    assert verified.returncode == 0 and "intact" in verified.stdout, verified.stdout + verified.stderr

    middle = rows[len(rows) // 2]["seq"]
    tamperings = {
        "edited": f"UPDATE audit SET new = '99.0' WHERE seq = {write['seq']}",
        "deleted": f"DELETE FROM audit WHERE seq = {middle}",
        "inserted": "INSERT INTO audit SELECT * FROM audit WHERE seq = 1",  # replaced below
        "swapped": f"UPDATE audit SET seq = -1 WHERE seq = {middle}; "
        f"UPDATE audit SET seq = {middle} WHERE seq = {middle + 1}; UPDATE audit SET seq = {middle + 1} WHERE seq = -1",
    }
    for name, sql in tamperings.items():
        copy = session.work / f"audit-{name}.sqlite"
        shutil.copy(session.audit, copy)
        shutil.copy(Path(f"{session.audit}.head"), Path(f"{copy}.head"))
        with sqlite3.connect(copy) as conn:
            for trigger in [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")]:
                conn.execute(f"DROP TRIGGER {trigger}")
            if name == "inserted":
                _insert_forged(conn, middle)
            else:
                conn.executescript(sql)
        result = _verify(copy)
        assert result.returncode == 1, (name, result.stdout, result.stderr)
        assert re.search(r"record \d+|seq \d+", result.stdout + result.stderr), (name, result.stdout)


def _rows(path: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM audit ORDER BY seq")]


def _verify(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([GMP_TWIN, "audit", "verify", "--audit", str(path)], capture_output=True, text=True)


def _insert_forged(conn: sqlite3.Connection, at: int) -> None:
    """A forged record slipped in at ``at``: the later records move up one, the forgery takes its place."""
    columns = [r[1] for r in conn.execute("PRAGMA table_info(audit)")]
    conn.execute("UPDATE audit SET seq = seq + 100000 WHERE seq >= ?", (at,))
    conn.execute("UPDATE audit SET seq = seq - 100000 + 1 WHERE seq >= 100000")
    original = conn.execute(f"SELECT {', '.join(columns)} FROM audit WHERE seq = ?", (at + 1,)).fetchone()
    forged = dict(zip(columns, original, strict=True))
    forged.update(seq=at, user="ghost", detail="forged")
    conn.execute(
        f"INSERT INTO audit ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
        [forged[c] for c in columns],
    )
