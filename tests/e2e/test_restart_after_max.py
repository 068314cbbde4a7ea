"""Issue #13 §1 with real processes: a restart after a run at speed "max" shows live data; reset.

`gmp-twin run` (default plant, SQLite under ``data/``) is driven to speed "max" until its values
lie well ahead of the wall clock. Meanwhile every GET route of the API answers without a 5xx,
and `gmp-twin reset` refuses (the run lock). The process is stopped and started again on the same
``data/``: within 30 s ``/api/tags`` shows changing values newer than the old run's, with ages
measured on the simulated clock (small, never negative), and the live detectors process samples.
Stopped again, `gmp-twin reset --yes` empties the historian (audited) and the next start stamps
its values on the wall clock.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import free_port
from test_audit_session import http as call
from test_audit_session import login, wait_up

from gmp_twin.role_matrix import default_apps, http_routes

REPO = Path(__file__).resolve().parents[2]
GMP_TWIN = str(REPO / ".venv" / "bin" / "gmp-twin")
#: How far ahead of the wall the accelerated run must get (the issue saw −8,880 s ages).
AHEAD_S = 900.0
#: The issue's promise: live, changing data within 30 s of the restart.
LIVE_WITHIN_S = 30.0
#: Routes left out of the every-GET check (none: /api/history once crashed here, when it read
#: SQLite through a second SQLite library in the same process; it now uses Python's sqlite3).
CRASHING: set[str] = set()


@dataclass
class Plant:
    """One `gmp-twin run` process on ``work/data`` (started and stopped by the test)."""

    work: Path
    command: list[str]
    env: dict[str, str]
    http: str
    proc: subprocess.Popen[str] | None = None
    starts: int = 0

    @property
    def log(self) -> Path:
        return self.work / f"gmp-twin-{self.starts}.log"

    def start(self) -> None:
        self.starts += 1
        with self.log.open("w") as out:
            self.proc = subprocess.Popen(
                self.command, cwd=self.work, stdout=out, stderr=subprocess.STDOUT, text=True, env=self.env
            )
        wait_up(f"{self.http}/api/health", self.proc, self.log)

    def stop(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGINT)
        assert self.proc.wait(timeout=60) == 0, self.log.read_text()

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [GMP_TWIN, *args], cwd=self.work, capture_output=True, text=True, env=self.env, timeout=120
        )


@pytest.fixture(scope="module")
def plant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Plant]:
    work = tmp_path_factory.mktemp("restart")
    http_port, opc_port = free_port(), free_port()
    env = {**os.environ, "GMP_TWIN_LANG": "en"}
    for key in list(env):
        if key.startswith("GMP_TWIN_") and key != "GMP_TWIN_LANG":
            env.pop(key)
    command = [GMP_TWIN, "run", "--http-port", str(http_port), "--opcua-port", str(opc_port)]
    command += ["--plant", str(REPO / "config/plant.yaml"), "--detectors", str(REPO / "config/detectors.yaml")]
    command += ["--scenarios", str(REPO / "config/scenarios")]
    running = Plant(work, command, env, f"http://127.0.0.1:{http_port}")
    try:
        yield running
    finally:
        if running.proc is not None and running.proc.poll() is None:
            running.proc.send_signal(signal.SIGINT)
            try:
                running.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                running.proc.kill()


def poll(what: str, check: Callable[[], Any], timeout: float, every: float = 0.5) -> Any:
    """``check()``'s first truthy result within ``timeout`` seconds, else fail naming ``what``."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"{what} not within {timeout} s (last: {last!r})")


def stamp_ns(tag: dict[str, Any]) -> int:
    return int(datetime.fromisoformat(tag["timestamp"]).timestamp() * 1e9)


def tags_by_name(base: str, who: dict[str, str]) -> dict[tuple[str, str], dict[str, Any]]:
    status, body, _ = call("GET", f"{base}/api/tags", headers=who)
    assert status == 200, body
    return {(t["equipment"], t["name"]): t for t in body}


def newest_ns(tags: dict[tuple[str, str], dict[str, Any]]) -> int:
    return max(stamp_ns(t) for t in tags.values() if t["timestamp"] is not None)


def get_text(url: str, who: dict[str, str]) -> tuple[int, str]:
    """Status and body of a GET (JSON, CSV or HTML alike)."""
    request = urllib.request.Request(url, headers=who)
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, resp.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")
    except (OSError, http.client.HTTPException) as exc:  # dropped connection: as bad as a 500
        return 599, f"{type(exc).__name__}: {exc}"


def get_routes() -> list[str]:
    """Every GET path of the API app, path parameters filled with a harmless value."""
    api, _dash = default_apps(REPO / "config/plant.yaml")
    paths = sorted({route.path for route in http_routes(api) if route.method == "GET"})
    return [re.sub(r"\{[^}]+\}", "x", path) for path in paths]


def test_restart_after_max_shows_live_data_and_reset_starts_clean(plant: Plant) -> None:
    # -- run 1, at speed "max" ---------------------------------------------------------------
    plant.start()
    password = re.search(r"password:\s+(\S+)", plant.log.read_text())
    assert password, plant.log.read_text()
    ines = login(plant.http, "instructor", password.group(1))
    status, body, _ = call("PUT", f"{plant.http}/api/clock", {"speed": "max"}, ines)
    assert status == 200 and body["speed"] == "max", body

    def ahead() -> float | None:
        status, body, _ = call("GET", f"{plant.http}/api/health", headers=ines)
        assert status < 500, body  # speed "max" once gave 500 here (infinity in JSON)
        runtime = body["components"]["runtime"]
        assert runtime["speed"] == "max"
        return runtime["ahead_of_wall_s"] if runtime["ahead_of_wall_s"] > AHEAD_S else None

    poll(f"the simulation {AHEAD_S} s ahead of the wall", ahead, timeout=240)
    # Every GET route, at speed "max", as an instructor: no 5xx (NaN or infinity is null in JSON).
    failures = []
    for path in get_routes():
        if path in CRASHING:
            continue
        status, text = get_text(f"{plant.http}{path}", ines)
        if status >= 500:
            failures.append(f"GET {path}: {status} {text[:300]}")
    assert not failures, "\n".join(failures)
    tags = tags_by_name(plant.http, ines)
    assert all(t["age_s"] is None or t["age_s"] > -5.0 for t in tags.values()), "ages on the simulated clock"
    # The data directory is in use: reset refuses and removes nothing.
    refused = plant.cli("reset", "--yes")
    assert refused.returncode == 1 and "another gmp-twin process runs on this data" in refused.stderr
    assert (plant.work / "data" / "gmp-twin.sqlite").exists()
    plant.stop()
    with sqlite3.connect(plant.work / "data" / "gmp-twin.sqlite") as db:
        (old_newest,) = db.execute("SELECT MAX(time_ns) FROM process").fetchone()
    assert old_newest > time.time_ns() + AHEAD_S * 1e9 / 2  # still far ahead of the wall

    # -- run 2, same data/: live within 30 s ------------------------------------------------
    plant.start()
    assert "password:" not in plant.log.read_text()  # the account exists: nothing printed again
    ines = login(plant.http, "instructor", password.group(1))
    key = ("mps-pa", "B101_level")

    def fresh() -> dict[str, Any] | None:
        tag = tags_by_name(plant.http, ines)[key]
        return tag if tag["timestamp"] is not None and stamp_ns(tag) > old_newest else None

    first = poll("values newer than the old run's", fresh, timeout=LIVE_WITHIN_S)
    second = poll(
        "a second, later value", lambda: (t := fresh()) and stamp_ns(t) > stamp_ns(first) and t, LIVE_WITHIN_S
    )
    for tag in (first, second):
        assert tag["time_basis"] == "simulated"  # ahead of the wall at speed 1: simulated time
        assert -1.0 < tag["age_s"] < 10.0, tag  # on the plant's clock: current, never −8,880 s
    status, clock, _ = call("GET", f"{plant.http}/api/clock", headers=ines)
    assert status == 200 and clock["speed"] == 1.0
    status, health, _ = call("GET", f"{plant.http}/api/health", headers=ines)
    assert health["components"]["runtime"]["ahead_of_wall_s"] > AHEAD_S / 2

    def detectors_fed() -> int | None:
        _, health, _ = call("GET", f"{plant.http}/api/health", headers=ines)
        samples = int(health["components"]["monitoring"]["samples"])
        return samples if samples > 0 else None

    fed = poll("the live detectors processing the new run", detectors_fed, timeout=LIVE_WITHIN_S)
    poll("more samples processed", lambda: (n := detectors_fed()) is not None and n > fed, timeout=LIVE_WITHIN_S)
    plant.stop()

    # -- reset, then run 3 on the wall clock -------------------------------------------------
    declined = plant.cli("reset")  # no terminal to confirm on
    assert declined.returncode == 2 and "--yes" in declined.stderr
    done = plant.cli("reset", "--yes")
    assert done.returncode == 0, done.stderr
    assert "data/gmp-twin.sqlite" in done.stdout
    assert not (plant.work / "data" / "gmp-twin.sqlite").exists()
    assert (plant.work / "data" / "users.yaml").exists() and (plant.work / "data" / "audit.sqlite").exists()
    trail = plant.cli("audit", "export", "--format", "jsonl", "--action", "run.reset")
    assert trail.returncode == 0, trail.stderr
    (record,) = [json.loads(line) for line in trail.stdout.splitlines()]
    assert (record["object"], record["result"]) == ("historian:sqlite:///data/gmp-twin.sqlite", "ok"), record
    plant.start()
    ines = login(plant.http, "instructor", password.group(1))
    live = poll("values after the reset", lambda: tags_by_name(plant.http, ines)[key]["timestamp"], LIVE_WITHIN_S)
    assert abs(datetime.fromisoformat(live).timestamp() - time.time()) < 60.0  # the wall clock again
    tag = poll(
        "a wall-clock time basis", lambda: (t := tags_by_name(plant.http, ines)[key])["age_s"] is not None and t, 10
    )
    assert tag["time_basis"] == "wall"
    plant.stop()
