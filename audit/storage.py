"""The SQLite layout of the audit store, its head anchor file, and the read-side query.

The table ``audit`` holds one row per record, ``seq INTEGER PRIMARY KEY`` and one column per
:class:`~audit.record.AuditRecord` field (``old``, ``new`` and ``signature`` as canonical JSON
text). Triggers refuse ``UPDATE`` and ``DELETE``: defence in depth against mistakes, not
against someone with the file (they can drop the triggers); the hash chain is what detects
tampering. The head anchor ``<store>.head`` holds the last seq and hash as JSON, so that a
truncated tail, which leaves a valid chain, is still detected.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from audit.record import FIELDS, AuditRecord, dumps, normalize_ts

TABLE = "audit"
_JSON_COLUMNS = ("old", "new", "signature")
_TYPES = {"seq": "INTEGER PRIMARY KEY", "sim_time_s": "REAL"}

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    {", ".join(f'"{name}" {_TYPES.get(name, "TEXT NOT NULL")}' for name in FIELDS)}
);
CREATE INDEX IF NOT EXISTS audit_ts ON {TABLE} (ts);
CREATE INDEX IF NOT EXISTS audit_user ON {TABLE} ("user");
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON {TABLE}
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: UPDATE refused'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON {TABLE}
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: DELETE refused'); END;
"""
# sim_time_s may be NULL, signature is JSON text "null" when absent: every column has a value.

COLUMNS = ", ".join(f'"{name}"' for name in FIELDS)
INSERT = f"INSERT INTO {TABLE} ({COLUMNS}) VALUES ({', '.join('?' * len(FIELDS))})"
SELECT = f"SELECT {COLUMNS} FROM {TABLE}"


def open_writable(store: Path, busy_timeout_s: float) -> sqlite3.Connection:
    """Open (or create) the store for appending: WAL, ``synchronous=FULL``, busy timeout.

    The connection is in autocommit mode (``isolation_level=None``): the caller writes in
    explicit ``BEGIN IMMEDIATE`` transactions.
    """
    store.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(store, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        try:
            # One transaction, so processes opening a new store together create it once.
            conn.executescript(f"BEGIN IMMEDIATE;{SCHEMA}COMMIT;")
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
    except BaseException:
        conn.close()
        raise
    return conn


def last(conn: sqlite3.Connection) -> tuple[int, str] | None:
    """``(seq, hash)`` of the last record, ``None`` when the store is empty."""
    row = conn.execute(f"SELECT seq, hash FROM {TABLE} ORDER BY seq DESC LIMIT 1").fetchone()
    return (int(row[0]), str(row[1])) if row else None


def probe_write(conn: sqlite3.Connection) -> None:
    """Take the write lock and make a write that is rolled back; raises ``sqlite3.Error``.

    ``BEGIN IMMEDIATE`` alone succeeds on a file SQLite opened read-only.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        conn.execute(f"PRAGMA user_version = {version}")
    finally:
        conn.execute("ROLLBACK")


def rows_after(conn: sqlite3.Connection, seq: int, count: int = 1000) -> list[Any]:
    """The next ``count`` rows after ``seq``, in seq order."""
    return conn.execute(f"{SELECT} WHERE seq > ? ORDER BY seq LIMIT ?", (seq, count)).fetchall()


def to_row(record: AuditRecord) -> tuple[Any, ...]:
    """Column values of ``record``, in :data:`~audit.record.FIELDS` order."""
    return tuple(dumps(getattr(record, n)) if n in _JSON_COLUMNS else getattr(record, n) for n in FIELDS)


def from_row(row: Sequence[Any]) -> AuditRecord:
    """The record a row holds; ``ValueError`` names the column that is not valid JSON."""
    values = dict(zip(FIELDS, row, strict=True))
    for name in _JSON_COLUMNS:
        try:
            values[name] = json.loads(values[name])
        except (TypeError, ValueError):
            raise ValueError(f"column {name} is not valid JSON: {values[name]!r}") from None
    return AuditRecord(**values)


def head_path(store: Path) -> Path:
    """``<store>.head``: the last seq and hash, written after each append."""
    return store.with_name(store.name + ".head")


def read_head(store: Path) -> tuple[int, str] | None:
    """``(seq, hash)`` from the head anchor, ``None`` when the file does not exist.

    Raises ``ValueError`` when the file is not a head anchor.
    """
    try:
        text = head_path(store).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        data = json.loads(text)
        return int(data["seq"]), str(data["hash"])
    except (ValueError, KeyError, TypeError):
        raise ValueError(f"{head_path(store)} is not a head anchor: {text[:80]!r}") from None


def write_head(store: Path, seq: int, hash_: str) -> None:
    """Replace the head anchor atomically (temporary file, fsync, ``os.replace``)."""
    target = head_path(store)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(json.dumps({"seq": seq, "hash": hash_}) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def open_readonly(store: Path) -> sqlite3.Connection:
    """A read-only connection (``mode=ro`` URI) that never creates the file."""
    if not store.is_file():
        raise FileNotFoundError(f"no audit store at {store}")
    return sqlite3.connect(f"{store.resolve().as_uri()}?mode=ro", uri=True)


def select(
    conn: sqlite3.Connection,
    *,
    user: str | None = None,
    unit: str | None = None,
    obj: str | None = None,
    action: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int | None = 500,
    newest_first: bool = True,
) -> list[AuditRecord]:
    """Records matching every given filter (see :meth:`audit.trail.AuditTrail.query`)."""
    where: list[str] = []
    args: list[Any] = []
    for column, value in (("user", user), ("unit", unit)):
        if value is not None:
            where.append(f'"{column}" = ?')
            args.append(value)
    # substr rather than LIKE: exact, case-sensitive, and "_" or "%" in names mean themselves.
    for column, prefix in (("object", obj), ("action", action)):
        if prefix:
            where.append(f'substr("{column}", 1, ?) = ?')
            args += [len(prefix), prefix]
    if since:
        where.append("ts >= ?")
        args.append(normalize_ts(since))
    if until:
        where.append("ts < ?")
        args.append(normalize_ts(until))
    sql = SELECT + (" WHERE " + " AND ".join(where) if where else "")
    sql += " ORDER BY seq " + ("DESC" if newest_first else "ASC")
    if limit is not None:
        sql += " LIMIT ?"
        args.append(int(limit))
    return [from_row(row) for row in conn.execute(sql, args)]
