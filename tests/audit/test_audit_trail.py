"""AuditTrail on real SQLite files: records, queries, change() semantics, unwritable stores."""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from audit import Actor, AuditTrail, AuditUnavailable, Signature, verify
from audit.record import GENESIS, chain_hash

ROOT = Path(__file__).resolve().parents[2]
ALICE = Actor("alice", "instructor", "http", "127.0.0.1:53422")
BOB = Actor("bob", "student", "opcua", "opc.tcp 127.0.0.1:50122 session ns=1;i=12")


def ticking_clock(start: datetime = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)) -> Callable[[], datetime]:
    """A wall clock that advances one minute per reading."""
    now = [start - timedelta(minutes=1)]

    def clock() -> datetime:
        now[0] += timedelta(minutes=1)
        return now[0]

    return clock


@pytest.fixture
def trail(tmp_path: Path) -> Iterator[AuditTrail]:
    t = AuditTrail(tmp_path / "audit" / "audit.sqlite", wall_clock=ticking_clock())
    yield t
    t.close()


def test_append_chains_records_and_reads_them_back_identical(trail: AuditTrail) -> None:
    sig = Signature("alice", "Alice Martin", "approved", "2026-12-05T19:20:11Z")
    trail.sim_time = lambda: 3600.25
    first = trail.append(ALICE, "tag.write", "mps-pa.level_sp", unit="mps-pa", old=10.0, new=(11, "x"), reason="why")
    second = trail.append(BOB, "scenario.stop", "scenario:ph", signature=sig, result="refused", status="403")
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS and second.prev_hash == first.hash
    assert first.hash == chain_hash(GENESIS, first) and second.hash == chain_hash(first.hash, second)
    assert first.ts == "2026-12-05T08:00:00.000000Z" and first.sim_time_s == 3600.25
    assert first.new == [11, "x"]  # as it reads back (JSON), so the returned record verifies
    assert list(trail.records()) == [first, second]
    assert second.signature_manifestation() == "Alice Martin (alice), 2026-12-05 19:20:11 UTC, approved"
    assert trail.path.with_name("audit.sqlite.head").read_text().strip() == f'{{"seq": 2, "hash": "{second.hash}"}}'
    assert verify(trail.path).ok


def test_awkward_values_are_stored_as_they_read_back(trail: AuditTrail) -> None:
    """NaN from an OPC UA write, a lone surrogate from a client string, a NUL: stored, chain valid."""
    trail.sim_time = lambda: float("nan")
    rec = trail.append(BOB, "tag.write", "mps-pa.level_sp", new=float("nan"), reason="a\udcffb\x00c")
    assert rec.new == "nan" and rec.reason == "a?b\x00c" and rec.sim_time_s is None
    assert list(trail.records()) == [rec]
    assert verify(trail.path).ok


def test_triggers_refuse_update_and_delete(trail: AuditTrail) -> None:
    trail.append(ALICE, "login", "user:alice")
    conn = sqlite3.connect(trail.path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE audit SET user = 'mallory'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM audit")
    conn.close()


def test_query_filters(trail: AuditTrail) -> None:
    trail.append(ALICE, "fault.inject", "fault:F1", unit="mps-pa")  # 08:00
    trail.append(BOB, "tag.write", "mps-pa.level_sp", unit="mps-pa", old=1, new=2)  # 08:01
    trail.append(BOB, "tag.write", "mps-pa.level_sp_hi", unit="mps-pa")  # 08:02
    trail.append(Actor("bob2", "student", "http"), "tag.write", "dryer.temp_sp", unit="dryer")  # 08:03
    trail.append(ALICE, "fault.clear", "fault:F1", unit="mps-pa")  # 08:04
    trail.append(ALICE, "faulty.thing", "fault_1")  # 08:05: prefix match is literal, "_" is no wildcard

    def seqs(**kw: object) -> list[int]:
        return [r.seq for r in trail.query(**kw)]  # type: ignore[arg-type]

    assert seqs() == [6, 5, 4, 3, 2, 1]
    assert seqs(newest_first=False, limit=2) == [1, 2]
    assert seqs(user="bob") == [3, 2]  # exact: not bob2
    assert seqs(unit="dryer") == [4]
    assert seqs(obj="mps-pa.level_sp") == [3, 2]
    assert seqs(obj="fault:") == [5, 1]
    assert seqs(obj="fault_") == [6]
    assert seqs(action="fault.") == [5, 1]
    assert seqs(action="fault") == [6, 5, 1]
    assert seqs(since="2026-12-05T08:01:00Z", until="2026-12-05T08:03:00Z") == [3, 2]
    assert seqs(since="2026-12-05T09:04:00+01:00") == [6, 5]  # offsets converted to UTC
    assert seqs(until="2026-12-05") == []
    assert seqs(user="alice", action="fault.", since="2026-12-05T08:00:30") == [5]  # naive = UTC
    with pytest.raises(ValueError, match="ISO 8601"):
        trail.query(since="yesterday")


def test_change_ok_records_what_the_body_set(trail: AuditTrail) -> None:
    with trail.change(BOB, "tag.write", "mps-pa.level_sp", unit="mps-pa", old=10.0, new=11.0, reason="r") as ch:
        ch.new = 11.5  # clamped by the plant
        ch.detail = "clamped to 11.5"
    (rec,) = trail.query()
    assert (rec.result, rec.status, rec.old, rec.new, rec.detail, rec.reason) == (
        "ok",
        "Good",
        10.0,
        11.5,
        "clamped to 11.5",
        "r",
    )


def test_change_refused_records_status_and_reraises(trail: AuditTrail) -> None:
    with pytest.raises(PermissionError, match="not operator-writable"), trail.change(BOB, "tag.write", "x.sp", new=1):
        raise PermissionError("x.sp is not operator-writable")
    with pytest.raises(ValueError), trail.change(BOB, "tag.write", "x.sp", new=1e9) as ch:
        ch.status = "BadOutOfRange"
        raise ValueError("1e9 above 100")
    refused, out_of_range = trail.query(newest_first=False)
    assert (refused.result, refused.status, refused.detail) == (
        "refused",
        "PermissionError",
        "x.sp is not operator-writable",
    )
    assert (out_of_range.result, out_of_range.status, out_of_range.detail) == (
        "refused",
        "BadOutOfRange",
        "1e9 above 100",
    )


def test_final_append_failure_keeps_the_record_pending_then_writes_it_first(
    trail: AuditTrail, caplog: pytest.LogCaptureFixture
) -> None:
    """Another connection takes the write lock *during* the change (after the pre-flight), as a
    second process stuck in a transaction would: the final write fails for real (busy timeout)."""
    trail.busy_timeout_s = 0.05
    trail.close()  # reopened with the short busy timeout on next use
    trail.append(ALICE, "login", "user:alice")
    blocker = sqlite3.connect(trail.path, isolation_level=None)
    with caplog.at_level(logging.ERROR, logger="audit.trail"):
        with trail.change(BOB, "tag.write", "mps-pa.level_sp", old=10.0, new=11.0) as ch:
            blocker.execute("BEGIN IMMEDIATE")
            ch.status = "Good"  # the change itself happened
        blocker.execute("ROLLBACK")
        with pytest.raises(KeyError), trail.change(BOB, "fault.clear", "fault:F9"):
            blocker.execute("BEGIN IMMEDIATE")
            raise KeyError("F9")  # a refused change: its record cannot be written either
    assert [r.action for r in trail.pending] == ["tag.write", "fault.clear"]
    assert "kept in memory" in caplog.text and str(trail.path) in caplog.text
    with pytest.raises(AuditUnavailable, match="locked"):
        trail.append(ALICE, "logout", "user:alice")  # still locked: nothing written, nothing lost
    assert len(trail.pending) == 2
    with pytest.raises(AuditUnavailable):
        with trail.change(ALICE, "clock.set", "clock"):
            pytest.fail("body must not run while the store is locked")
    blocker.execute("ROLLBACK")
    blocker.close()
    last = trail.append(ALICE, "fault.inject", "fault:F1")
    assert last.seq == 4 and trail.pending == ()
    assert [(r.seq, r.action, r.result) for r in trail.records()] == [
        (1, "login", "ok"),
        (2, "tag.write", "ok"),
        (3, "fault.clear", "refused"),
        (4, "fault.inject", "ok"),
    ]
    assert verify(trail.path).ok


def test_close_flushes_pending(tmp_path: Path) -> None:
    trail = AuditTrail(tmp_path / "a.sqlite", busy_timeout_s=0.05)
    blocker = sqlite3.connect(trail.path, isolation_level=None)
    with trail.change(ALICE, "snapshot.save", "snapshot:s1"):
        blocker.execute("BEGIN IMMEDIATE")
    assert len(trail.pending) == 1
    blocker.execute("ROLLBACK")
    trail.close()
    assert verify(tmp_path / "a.sqlite").checked == 1


def _readonly_python() -> list[str]:
    """Python in a process that file permissions apply to.

    The tests run as root, and root ignores file modes (CAP_DAC_OVERRIDE), so ``chmod``
    alone proves nothing. ``setpriv`` drops DAC_OVERRIDE and DAC_READ_SEARCH from the
    capability bounding set: the child is still uid 0, owns the files, but is held to their
    mode bits, exactly like a service user without write access to the store.
    """
    if os.geteuid() != 0:
        return [sys.executable]
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root and util-linux setpriv is missing: cannot make a file read-only for root")
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search", sys.executable]


_TRY_CHANGE = """
import sys
from audit import Actor, AuditTrail, AuditUnavailable
trail = AuditTrail(sys.argv[1])
try:
    trail.check_writable()
    print("check_writable: passed")
except AuditUnavailable as exc:
    print("check_writable:", exc)
ran = []
try:
    with trail.change(Actor("bob", "student", "http"), "tag.write", "mps-pa.level_sp", new=1.0):
        ran.append(True)
except AuditUnavailable as exc:
    print("change:", exc)
print("body ran" if ran else "body not run")
"""


@pytest.mark.parametrize("dir_writable", [False, True], ids=["read-only-dir", "writable-dir"])
def test_read_only_store_refuses_the_change_before_the_body_runs(tmp_path: Path, dir_writable: bool) -> None:
    store_dir = tmp_path / "store"
    trail = AuditTrail(store_dir / "audit.sqlite")
    trail.append(ALICE, "login", "user:alice")
    trail.close()
    (store_dir / "audit.sqlite").chmod(0o444)
    store_dir.chmod(0o755 if dir_writable else 0o555)
    try:
        proc = subprocess.run(
            [*_readonly_python(), "-c", _TRY_CHANGE, str(store_dir / "audit.sqlite")],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        store_dir.chmod(0o755)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(f"check_writable: audit trail {store_dir / 'audit.sqlite'} cannot be written"), lines
    assert "writable" in lines[0] and lines[1].startswith("change: audit trail") and lines[2] == "body not run"
    assert verify(store_dir / "audit.sqlite").checked == 1


def test_unopenable_store_does_not_stop_construction(tmp_path: Path) -> None:
    (tmp_path / "audit.sqlite").mkdir()  # a directory where the file should be
    trail = AuditTrail(tmp_path / "audit.sqlite")
    with pytest.raises(AuditUnavailable, match=r"audit\.sqlite cannot be written"):
        trail.check_writable()
    with pytest.raises(AuditUnavailable):
        trail.append(ALICE, "login", "user:alice")
    trail.close()


def test_read_only_directory_with_a_live_wal_refuses_too(tmp_path: Path) -> None:
    """While another process has the store open, its -wal and -shm files exist and SQLite can
    write through them even in a read-only directory; the head anchor could not follow, so
    the change is refused all the same."""
    store_dir = tmp_path / "store"
    holder = AuditTrail(store_dir / "audit.sqlite")
    holder.append(ALICE, "login", "user:alice")
    for f in store_dir.iterdir():
        f.chmod(0o666)
    store_dir.chmod(0o555)
    try:
        proc = subprocess.run(
            [*_readonly_python(), "-c", _TRY_CHANGE, str(store_dir / "audit.sqlite")],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        store_dir.chmod(0o755)
        holder.close()
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "read-only" in lines[0] and "head anchor" in lines[0], lines
    assert lines[2] == "body not run"
