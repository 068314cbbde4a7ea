"""Check an audit store: the hash chain, the seq numbers, and the head anchor.

Each record must have the next seq (1, 2, 3...), carry the previous record's hash as its
``prev_hash`` (:data:`~audit.record.GENESIS` for seq 1) and hash to its own ``hash``. So an
edited column breaks its own hash; a deleted, inserted or moved record breaks the link to
its neighbour (or leaves a gap in seq). The chain alone cannot see a truncated tail or
records appended at the end with a valid chain: the head anchor (``<store>.head``, last seq
and hash, rewritten after each append) catches those.

What no hash chain can catch is someone who rewrites the whole chain *and* the head file
from the first changed record on. Against that, keep the head hash ``gmp-twin audit verify``
prints somewhere else (a logbook, a signed report) and compare later.

>>> import tempfile, pathlib
>>> from audit.record import Actor
>>> from audit.trail import AuditTrail
>>> tmp = tempfile.TemporaryDirectory()
>>> trail = AuditTrail(pathlib.Path(tmp.name) / "audit.sqlite")
>>> _ = trail.append(Actor("bob", "student", "opcua"), "tag.write", "mps-pa.level_sp", old=10.0, new=12.0)
>>> _ = trail.append(Actor("bob", "student", "opcua"), "tag.write", "mps-pa.level_sp", old=12.0, new=13.0)
>>> trail.close()
>>> verify(trail.path)
VerifyResult(ok=True, checked=2, first_bad_seq=None, problem='')
>>> tmp.cleanup()
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from audit import storage
from audit.record import GENESIS, chain_hash


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of :func:`verify`.

    Attributes
    ----------
    ok : bool
        True when the chain is intact and matches the head anchor.
    checked : int
        Records found intact before the first problem (all of them when ``ok``).
    first_bad_seq : int or None
        The first record that is wrong (or missing), ``None`` when ``ok`` or when the
        problem is not one record (no store, no head anchor).
    problem : str
        What is wrong, naming the record; ``""`` when ``ok``.
    """

    ok: bool
    checked: int
    first_bad_seq: int | None
    problem: str
    head_hash: str = ""  # hash of the last record, for the report ("head <hash12>")

    def __repr__(self) -> str:
        return (
            f"VerifyResult(ok={self.ok}, checked={self.checked}, "
            f"first_bad_seq={self.first_bad_seq}, problem={self.problem!r})"
        )


def _bad(checked: int, seq: int | None, problem: str) -> VerifyResult:
    return VerifyResult(False, checked, seq, problem)


def verify(path: str | Path, *, head_wait_s: float = 0.15) -> VerifyResult:
    """Check the audit store at ``path`` (opened read-only) and its head anchor.

    Returns a :class:`VerifyResult` naming the first broken record and what is wrong. The
    store may be in use: the anchor is read before the records (so it can only be behind
    them, never ahead, unless the tail was cut), and records after it are given
    ``head_wait_s`` for their writer to move the anchor before they are reported.
    """
    store = Path(path)
    try:
        head = storage.read_head(store)
    except ValueError as exc:
        return _bad(0, None, str(exc))
    try:
        conn = storage.open_readonly(store)
    except (FileNotFoundError, sqlite3.Error) as exc:
        return _bad(0, None, f"cannot open the audit store: {exc}")
    try:
        # One SELECT: one consistent snapshot, even while others append.
        chain, anchored = _check_chain(conn, head[0] if head else 0)
    except sqlite3.Error as exc:
        return _bad(0, None, f"{store} is not a readable audit store: {exc}")
    finally:
        conn.close()
    if not chain.ok:
        return chain
    return _check_head(store, chain, head, anchored, head_wait_s)


def _check_chain(conn: sqlite3.Connection, anchor_seq: int) -> tuple[VerifyResult, str]:
    """The chain from seq 1, and the hash of record ``anchor_seq`` (``""`` if not there)."""
    expected, prev, checked, anchored = 1, GENESIS, 0, ""
    for row in conn.execute(storage.SELECT + " ORDER BY seq"):
        seq = row[0]
        if seq != expected:
            gone = f"record {expected}" if seq == expected + 1 else f"records {expected}..{seq - 1}"
            missing = f"seq {expected}: missing, the next record is seq {seq} ({gone} deleted)"
            return _bad(checked, expected, missing), ""
        try:
            record = storage.from_row(row)
        except ValueError as exc:
            return _bad(checked, seq, f"seq {seq}: {exc} (edited)"), ""
        if record.prev_hash != prev:
            before = "GENESIS (seq 1 has no predecessor)" if seq == 1 else f"the hash {prev[:12]} of seq {seq - 1}"
            return _bad(
                checked,
                seq,
                f"seq {seq}: prev_hash {record.prev_hash[:12]} does not match {before}: a record before it "
                "was deleted, inserted or moved, or its prev_hash edited",
            ), ""
        if chain_hash(prev, record) != record.hash:
            return _bad(checked, seq, f"seq {seq}: content does not match its hash: the record was edited"), ""
        prev, expected, checked = record.hash, expected + 1, checked + 1
        if seq == anchor_seq:
            anchored = record.hash
    return VerifyResult(True, checked, None, "", "" if prev == GENESIS else prev), anchored


def _check_head(
    store: Path, chain: VerifyResult, head: tuple[int, str] | None, anchored: str, wait_s: float
) -> VerifyResult:
    last = chain.checked
    head_seq, head_hash = head or (0, "")
    if head_seq > last:
        return _bad(
            last,
            last + 1,
            f"tail truncated: the head anchor names seq {head_seq} but the last record is seq {last} "
            f"(records {last + 1}..{head_seq} deleted)",
        )
    if head_seq and head_hash != anchored:
        return _bad(
            last,
            head_seq,
            f"seq {head_seq}: hash {anchored[:12]} differs from the head anchor's {head_hash[:12]}: "
            "the chain was rewritten",
        )
    deadline = time.monotonic() + wait_s
    while head_seq < last and time.monotonic() < deadline:
        time.sleep(0.01)  # a writer between its commit and its anchor update
        try:
            head = storage.read_head(store) or head
        except ValueError:
            break
        head_seq = max(head_seq, head[0] if head else 0)
    if head is None and last:
        return _bad(
            last,
            None,
            f"the chain of {last} records is intact, but the head anchor {storage.head_path(store)} is missing, "
            "so a truncated tail cannot be ruled out (it is written after each append: it was deleted, or "
            "the store was copied without it)",
        )
    if head_seq < last:
        return _bad(
            last,
            head_seq + 1,
            f"seq {head_seq + 1}..{last} come after the head anchor (seq {head_seq}): appended without "
            "AuditTrail, or the writer stopped between its commit and the anchor update (the next append "
            "rewrites the anchor)",
        )
    return chain


def missing_anchors(path: str | Path, anchors: list[str]) -> list[str]:
    """The anchors (hashes, or their first 12+ hex digits, kept from an earlier verify) not in the chain.

    The hash chain cannot tell a whole trail rewritten by someone with the file from the original;
    a head hash written down elsewhere (printed by ``gmp-twin audit verify``) can: it must still be
    the hash of a record.
    """
    missing = []
    conn = storage.open_readonly(Path(path))
    try:
        for anchor in anchors:
            digits = anchor.strip().lower()
            if len(digits) < 12 or any(c not in "0123456789abcdef" for c in digits):
                missing.append(f"{anchor} (not a hash: give 12 or more hex digits)")
            elif conn.execute("SELECT 1 FROM audit WHERE hash LIKE ? LIMIT 1", (digits + "%",)).fetchone() is None:
                missing.append(anchor)
    finally:
        conn.close()
    return missing
