"""`gmp-twin reset` as a user runs it (real subprocesses, a real SQLite historian and audit trail).

It refuses while another process holds the run lock, asks on a terminal (a real pseudo-terminal
here), needs ``--yes`` without one, removes the historian and outboxes with their WAL files,
keeps the users file and the audit trail, and records ``run.reset`` in the trail.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from historian.base import Point
from historian.sqlite import SqliteHistorian

ROOT = Path(__file__).resolve().parents[2]
CLI = [str(Path(sys.executable).with_name("gmp-twin"))]
HOLDER = """
import sys
from pathlib import Path
from typing import Any
from gmp_twin.run_lock import hold_run_lock
with hold_run_lock(Path("data/run.lock")):
    print("held", flush=True)
    sys.stdin.readline()
"""


def gmp_twin(work: Path, *args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GMP_TWIN_")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([*CLI, *args], cwd=work, capture_output=True, text=True, env=env, timeout=120, **kwargs)  # type: ignore[call-overload]


def make_data(work: Path) -> list[Path]:
    """A historian with one point (and its WAL), an outbox, a users file: as a run leaves them."""

    async def write() -> None:
        async with SqliteHistorian(work / "data" / "gmp-twin.sqlite") as historian:
            point = Point("process", {"site": "s", "unit": "u", "tag": "t", "source": "sim"}, {"value": 1.0}, 1)
            await historian.write([point])

    (work / "data").mkdir(parents=True)
    asyncio.run(write())
    (work / "data" / "outbox.sqlite").write_bytes(b"")
    (work / "data" / "users.yaml").write_text("users: []\n")
    return [work / "data" / name for name in ("gmp-twin.sqlite", "outbox.sqlite")]


def audit_records(work: Path) -> list[dict[str, Any]]:
    done = gmp_twin(work, "audit", "export", "--format", "jsonl", "--action", "run.reset")
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_refused_while_held_then_removes_and_audits(tmp_path: Path) -> None:
    files = make_data(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER], cwd=tmp_path, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        refused = gmp_twin(tmp_path, "reset", "--yes")
        assert refused.returncode == 1
        assert "another gmp-twin process runs on this data" in refused.stderr
        assert all(path.exists() for path in files)
    finally:
        holder.communicate("\n", timeout=30)
    done = gmp_twin(tmp_path, "reset", "--yes")
    assert done.returncode == 0, done.stderr
    assert not any(path.exists() for path in files)
    assert not (tmp_path / "data" / "gmp-twin.sqlite-wal").exists()
    assert (tmp_path / "data" / "users.yaml").read_text() == "users: []\n"
    (record,) = audit_records(tmp_path)
    assert record["object"] == "historian:sqlite:///data/gmp-twin.sqlite" and record["result"] == "ok"
    assert str(record["user"]).startswith("cli:")
    assert "data/gmp-twin.sqlite" in str(record["old"])
    again = gmp_twin(tmp_path, "reset", "--yes")
    assert again.returncode == 0 and "nothing to remove" in again.stdout


def test_asks_on_a_terminal_and_needs_yes_without_one(tmp_path: Path) -> None:
    files = make_data(tmp_path)
    no_tty = gmp_twin(tmp_path, "reset", stdin=subprocess.DEVNULL)
    assert no_tty.returncode == 2 and "add --yes" in no_tty.stderr
    primary, secondary = os.openpty()  # a real terminal on stdin: the command asks
    try:
        os.write(primary, b"n\n")
        declined = gmp_twin(tmp_path, "reset", stdin=secondary)
    finally:
        os.close(primary)
        os.close(secondary)
    assert declined.returncode == 1 and "nothing removed" in declined.stdout
    assert "[y/N]" in declined.stdout
    assert all(path.exists() for path in files)
    assert not (tmp_path / "data" / "audit.sqlite").exists()  # nothing done, nothing recorded


def test_an_influxdb_historian_is_not_emptied(tmp_path: Path) -> None:
    done = gmp_twin(tmp_path, "reset", "--yes", "--historian", "influxdb1://127.0.0.1:8086/plant")
    assert done.returncode == 2
    assert "embedded SQLite historian only" in done.stderr and "influxdb1://127.0.0.1:8086/plant" in done.stderr
