"""Several writers on one audit store keep one valid chain: processes and threads."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from audit import Actor, AuditTrail, verify
from audit.storage import read_head

ROOT = Path(__file__).resolve().parents[2]

_WRITER = """
import sys, time
from audit import Actor, AuditTrail
trail = AuditTrail(sys.argv[1])
sys.stdin.readline()  # start together
for i in range(int(sys.argv[3])):
    trail.append(Actor(sys.argv[2], "student", "cli"), "tag.write", "mps-pa.level_sp", new=i)
    time.sleep(0.002)  # let the other writer in (SQLite's busy wait favours the last holder)
trail.close()
"""


def _check(path: Path, writers: list[str], per_writer: int) -> None:
    result = verify(path)
    assert result.ok, result.problem
    assert result.checked == len(writers) * per_writer
    trail = AuditTrail(path)
    records = list(trail.records())
    trail.close()
    assert [r.seq for r in records] == list(range(1, len(records) + 1))
    for name in writers:  # each writer's records in its own order, none lost or doubled
        assert [r.new for r in records if r.user == name] == list(range(per_writer))
    assert read_head(path) == (records[-1].seq, records[-1].hash)


def test_two_processes_appending_concurrently_keep_one_chain(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(path), name, "150"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("p1", "p2")
    ]
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.close()
    for proc in procs:
        assert proc.wait(timeout=120) == 0, proc.stderr.read() if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
    _check(path, ["p1", "p2"], 150)


def test_threads_with_separate_trails_and_one_shared_trail(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    shared = AuditTrail(path)
    start = threading.Barrier(5)

    def write(name: str, trail: AuditTrail | None) -> None:
        own = trail or AuditTrail(path)
        start.wait()
        for i in range(60):
            own.append(Actor(name, "student", "http"), "tag.write", "mps-pa.level_sp", new=i)
            time.sleep(0.001)  # let the others in
        if trail is None:
            own.close()

    threads = [threading.Thread(target=write, args=(f"t{n}", None)) for n in range(3)]
    threads += [threading.Thread(target=write, args=(f"s{n}", shared)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    shared.close()
    _check(path, ["t0", "t1", "t2", "s0", "s1"], 60)


def test_verify_while_another_process_appends(tmp_path: Path) -> None:
    """verify() reads the anchor before the records: a live writer is never taken for tampering."""
    path = tmp_path / "audit.sqlite"
    AuditTrail(path).close()
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path), "w", "300"], cwd=ROOT, stdin=subprocess.PIPE, text=True
    )
    assert writer.stdin is not None
    writer.stdin.write("go\n")
    writer.stdin.close()
    results = []
    while writer.poll() is None:
        results.append(verify(path))
    assert writer.wait(timeout=120) == 0
    results.append(verify(path))
    assert [r.problem for r in results if not r.ok] == []
    assert results[-1].checked == 300
