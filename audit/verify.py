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


def verify(path: str | Path) -> VerifyResult:
    """Check the audit store at ``path`` (opened read-only) and its head anchor.

    Returns a :class:`VerifyResult` naming the first broken record and what is wrong.
    """
    store = Path(path)
    try:
        conn = storage.open_readonly(store)
    except (FileNotFoundError, sqlite3.Error) as exc:
        return _bad(0, None, f"cannot open the audit store: {exc}")
    try:
        result = _check_chain(conn)
    except sqlite3.Error as exc:
        return _bad(0, None, f"{store} is not a readable audit store: {exc}")
    finally:
        conn.close()
    return _check_head(store, result) if result.ok else result


def _check_chain(conn: sqlite3.Connection) -> VerifyResult:
    expected, prev, checked = 1, GENESIS, 0
    for row in conn.execute(storage.SELECT + " ORDER BY seq"):
        seq = row[0]
        if seq != expected:
            gone = f"record {expected}" if seq == expected + 1 else f"records {expected}..{seq - 1}"
            return _bad(checked, expected, f"seq {expected}: missing, the next record is seq {seq} ({gone} deleted)")
        try:
            record = storage.from_row(row)
        except ValueError as exc:
            return _bad(checked, seq, f"seq {seq}: {exc} (edited)")
        if record.prev_hash != prev:
            before = "GENESIS (seq 1 has no predecessor)" if seq == 1 else f"the hash {prev[:12]} of seq {seq - 1}"
            return _bad(
                checked,
                seq,
                f"seq {seq}: prev_hash {record.prev_hash[:12]} does not match {before}: a record before it "
                "was deleted, inserted or moved, or its prev_hash edited",
            )
        if chain_hash(prev, record) != record.hash:
            return _bad(checked, seq, f"seq {seq}: content does not match its hash: the record was edited")
        prev, expected, checked = record.hash, expected + 1, checked + 1
    return VerifyResult(True, checked, None, "", "" if prev == GENESIS else prev)


def _check_head(store: Path, chain: VerifyResult) -> VerifyResult:
    last = chain.checked
    head_file = storage.head_path(store)
    try:
        head = storage.read_head(store)
    except ValueError as exc:
        return _bad(last, None, str(exc))
    if head is None:
        if last == 0:
            return chain
        return _bad(
            last,
            None,
            f"the chain of {last} records is intact, but the head anchor {head_file} is missing, so a "
            "truncated tail cannot be ruled out (it is written after each append: it was deleted, or the "
            "store was copied without it)",
        )
    head_seq, head_hash = head
    if head_seq > last:
        return _bad(
            last,
            last + 1,
            f"tail truncated: the head anchor names seq {head_seq} but the last record is seq {last} "
            f"(records {last + 1}..{head_seq} deleted)",
        )
    if head_seq < last:
        return _bad(
            last,
            head_seq + 1,
            f"seq {head_seq + 1}..{last} come after the head anchor (seq {head_seq}): appended without "
            "AuditTrail, or the writer stopped between its commit and the anchor update (the next append "
            "rewrites the anchor)",
        )
    if head_hash != chain.head_hash:
        return _bad(
            last,
            last,
            f"seq {last}: hash {chain.head_hash[:12]} differs from the head anchor's {head_hash[:12]}: "
            "the chain was rewritten",
        )
    return chain
