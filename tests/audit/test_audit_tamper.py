"""Tampering with the store directly, as an attacker with the file would, is detected.

Each case edits the SQLite file with plain ``sqlite3`` after dropping the append-only
triggers, then checks :func:`audit.verify` names the first bad record and
``gmp-twin audit verify`` exits non-zero (0 for the intact trail).
"""

from __future__ import annotations

import dataclasses
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from audit import Actor, AuditRecord, AuditTrail, Signature, verify
from audit.record import FIELDS, chain_hash
from audit.storage import INSERT, SELECT, from_row, head_path, to_row
from gmp_twin.cli import main

N = 6
ALICE = Actor("alice", "instructor", "http", "127.0.0.1:53422")


@pytest.fixture
def store(tmp_path: Path) -> Path:
    clock = iter(datetime(2026, 12, 5, 8, 0, tzinfo=UTC) + timedelta(minutes=i) for i in range(100))
    trail = AuditTrail(tmp_path / "audit.sqlite", sim_time=lambda: 42.0, wall_clock=lambda: next(clock))
    sig = Signature("alice", "Alice Martin", "approved", "2026-12-05T08:02:00Z")
    for i in range(N):
        trail.append(
            ALICE, "tag.write", "mps-pa.level_sp", unit="mps-pa", old=10.0 + i, new=11.0 + i, reason=f"step {i}",
            signature=sig if i == 2 else None, detail="d",
        )  # fmt: skip
    trail.close()
    return trail.path


def attack(path: Path, *statements: str | tuple[str, tuple[object, ...]]) -> None:
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER audit_no_update")
    conn.execute("DROP TRIGGER audit_no_delete")
    for st in statements:
        sql, args = (st, ()) if isinstance(st, str) else st
        conn.execute(sql, args)
    conn.commit()
    conn.close()


def record(path: Path, seq: int) -> AuditRecord:
    conn = sqlite3.connect(path)
    row = conn.execute(SELECT + " WHERE seq = ?", (seq,)).fetchone()
    conn.close()
    return from_row(row)


def cli_verify(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["audit", "verify", "--audit", str(path)])
    return code, capsys.readouterr().out


def test_intact_trail_passes(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = verify(store)
    assert (result.ok, result.checked, result.first_bad_seq, result.problem) == (True, N, None, "")
    code, out = cli_verify(store, capsys)
    assert code == 0 and out.startswith(f"audit trail intact: {N} records, head {result.head_hash[:12]}")


def _edit(column: str) -> str:
    value = {
        "sim_time_s": "43.0",
        "old": "'99.0'",
        "new": "'99.0'",
        "signature": "'null'",
        "seq": "seq",  # not an edit; excluded below
    }.get(column, f"{column} || 'x'")
    return f'UPDATE audit SET "{column}" = {value} WHERE seq = 3'


@pytest.mark.parametrize("column", [c for c in FIELDS if c != "seq"])
def test_any_edited_column_is_detected(store: Path, column: str, capsys: pytest.CaptureFixture[str]) -> None:
    attack(store, _edit(column))
    result = verify(store)
    assert not result.ok and result.first_bad_seq == 3 and result.checked == 2, result
    assert result.problem.startswith("seq 3:")
    code, out = cli_verify(store, capsys)
    assert code == 1 and "BROKEN at seq 3" in out


def test_edited_json_column_that_no_longer_parses(store: Path) -> None:
    attack(store, "UPDATE audit SET new = '{oops' WHERE seq = 2")
    result = verify(store)
    assert (result.first_bad_seq, "new is not valid JSON" in result.problem) == (2, True)


def _swap_seq(a: int, b: int) -> tuple[str, ...]:
    return (
        f"UPDATE audit SET seq = -1 WHERE seq = {a}",
        f"UPDATE audit SET seq = {a} WHERE seq = {b}",
        f"UPDATE audit SET seq = {b} WHERE seq = -1",
    )


def _renumber_down_from(seq: int) -> tuple[str, ...]:
    return tuple(f"UPDATE audit SET seq = {s - 1} WHERE seq = {s}" for s in range(seq + 1, N + 1))


def _forge(path: Path, seq: int, prev_hash: str) -> tuple[str, tuple[object, ...]]:
    """A forged record with a hash that is right for its own content and prev_hash."""
    forged = dataclasses.replace(record(path, 1), seq=seq, new=50.0, reason="forged", prev_hash=prev_hash)
    forged = dataclasses.replace(forged, hash=chain_hash(prev_hash, forged))
    return INSERT, to_row(forged)


CASES: dict[str, tuple[Callable[[Path], tuple[object, ...]], int | None, str]] = {
    "deleted middle": (lambda p: ("DELETE FROM audit WHERE seq = 3",), 3, "missing"),
    "deleted middle, renumbered": (
        lambda p: ("DELETE FROM audit WHERE seq = 3", *_renumber_down_from(3)),
        3,
        "prev_hash",
    ),
    "deleted first": (lambda p: ("DELETE FROM audit WHERE seq = 1",), 1, "missing"),
    "deleted first, renumbered": (lambda p: ("DELETE FROM audit WHERE seq = 1", *_renumber_down_from(1)), 1, "GENESIS"),
    "swapped two": (lambda p: _swap_seq(3, 4), 3, "prev_hash"),
    "inserted forged in the middle": (
        lambda p: (
            *(f"UPDATE audit SET seq = {s + 1} WHERE seq = {s}" for s in range(N, 3, -1)),
            _forge(p, 4, record(p, 3).hash),
        ),
        5,  # the forged record links to seq 3; the record after it does not link to the forgery
        "prev_hash",
    ),
    "forged appended at the end": (lambda p: (_forge(p, N + 1, record(p, N).hash),), N + 1, "after the head anchor"),
    "truncated tail": (lambda p: (f"DELETE FROM audit WHERE seq >= {N - 1}",), N - 1, "tail truncated"),
    "everything deleted": (lambda p: ("DELETE FROM audit",), 1, "tail truncated"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_tampering_is_detected(store: Path, case: str, capsys: pytest.CaptureFixture[str]) -> None:
    statements, first_bad, words = CASES[case]
    attack(store, *statements(store))  # type: ignore[arg-type]
    result = verify(store)
    assert not result.ok and result.first_bad_seq == first_bad, result
    assert words in result.problem, result.problem
    code, out = cli_verify(store, capsys)
    assert code == 1 and f"BROKEN at seq {first_bad}" in out, out


def test_last_record_rewritten_with_a_fresh_hash_differs_from_the_head(store: Path) -> None:
    last = record(store, N)
    forged = dataclasses.replace(last, new=0.0)
    attack(
        store,
        ("DELETE FROM audit WHERE seq = ?", (N,)),
        (INSERT, to_row(dataclasses.replace(forged, hash=chain_hash(forged.prev_hash, forged)))),
    )
    result = verify(store)
    assert not result.ok and result.first_bad_seq == N and "chain was rewritten" in result.problem


def test_missing_head_anchor_is_reported_with_what_it_means(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    head_path(store).unlink()
    result = verify(store)
    assert not result.ok and result.first_bad_seq is None and result.checked == N
    assert "head anchor" in result.problem and "truncated tail cannot be ruled out" in result.problem
    code, out = cli_verify(store, capsys)
    assert code == 1 and "BROKEN" in out and "missing" in out


def test_garbage_head_anchor_and_non_store_files(store: Path, tmp_path: Path) -> None:
    head_path(store).write_text("not json")
    assert "not a head anchor" in verify(store).problem
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    assert not verify(other).ok and "not a readable audit store" in verify(other).problem
    assert not verify(tmp_path / "nothing.sqlite").ok


def test_installed_command_exit_codes(store: Path) -> None:
    exe = Path(sys.executable).parent / "gmp-twin"
    if not exe.exists():
        pytest.skip(f"{exe} not installed (pip install -e .)")
    ok = subprocess.run(
        [str(exe), "audit", "verify", "--audit", str(store)], capture_output=True, text=True, timeout=60
    )
    assert ok.returncode == 0 and "intact" in ok.stdout, ok.stderr
    attack(store, "UPDATE audit SET new = '12.5' WHERE seq = 4")
    bad = subprocess.run(
        [str(exe), "audit", "verify"], capture_output=True, text=True, timeout=60, env={"GMP_TWIN_AUDIT": str(store)}
    )
    assert bad.returncode == 1 and "BROKEN at seq 4" in bad.stdout, bad.stdout + bad.stderr


def test_a_trail_rewritten_whole_is_caught_by_a_kept_anchor(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "verify", "--audit", str(store)]) == 0
    kept = capsys.readouterr().out.split("head ")[1][:12]  # what an instructor writes down
    assert main(["audit", "verify", "--audit", str(store), "--anchor", kept]) == 0
    assert "1 anchor(s) found" in capsys.readouterr().out
    # Someone with the file writes a whole new trail, self-consistent, with its own head.
    forged = AuditTrail(tmp_path / "forged.sqlite")
    for i in range(N):
        forged.append(ALICE, "tag.write", "mps-pa.level_sp", unit="mps-pa", old=10.0 + i, new=99.0, reason="")
    forged.close()
    store.write_bytes(forged.path.read_bytes())
    head_path(store).write_bytes(head_path(forged.path).read_bytes())
    assert verify(store).ok  # the chain alone cannot tell
    assert main(["audit", "verify", "--audit", str(store), "--anchor", kept]) == 1
    assert f"anchor(s) not in the chain: {kept}" in capsys.readouterr().out
    assert main(["audit", "verify", "--audit", str(store), "--anchor", "xyz"]) == 1
