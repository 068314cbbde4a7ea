"""The append-only, hash-chained audit trail (21 CFR Part 11 §11.10(e) style) in SQLite.

Writers in several threads and processes share one file: each append runs in a
``BEGIN IMMEDIATE`` transaction (read the last hash, insert, commit), so the chain stays one
valid sequence. The store is in WAL mode with ``synchronous=FULL``: a record that
:meth:`AuditTrail.append` returned survives a power cut.

A change must never happen without its record, so callers wrap it in :meth:`AuditTrail.change`:
the store is checked writable first (else :class:`AuditUnavailable` refuses the change), and a
record that cannot be written *after* the change is kept in memory and written first by the
next successful append.

>>> import tempfile, pathlib
>>> from audit.verify import verify
>>> tmp = tempfile.TemporaryDirectory()
>>> trail = AuditTrail(pathlib.Path(tmp.name) / "audit.sqlite")
>>> alice = Actor("alice", "instructor", "http", "127.0.0.1:53422")
>>> with trail.change(alice, "tag.write", "mps-pa.level_sp", unit="mps-pa", old=10.0, new=11.0) as change:
...     change.status = "Good"  # the body performs the change here
>>> trail.append(alice, "fault.inject", "fault:F1", unit="mps-pa").seq
2
>>> [(r.seq, r.action, r.user, r.old, r.new) for r in trail.query(user="alice", newest_first=False)]
[(1, 'tag.write', 'alice', 10.0, 11.0), (2, 'fault.inject', 'alice', None, None)]
>>> verify(trail.path).ok
True
>>> trail.close(); tmp.cleanup()
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from audit import storage
from audit.record import GENESIS, Actor, AuditRecord, Signature, chain_hash, draft, format_ts

log = logging.getLogger(__name__)


class AuditUnavailable(RuntimeError):
    """The audit store cannot be written: the change is refused. The message names the file."""


@dataclass
class Change:
    """What the body of :meth:`AuditTrail.change` may set: the value it wrote and the outcome."""

    new: Any = None
    status: str = "Good"
    detail: str = ""


def _utc_now() -> datetime:
    return datetime.now(UTC)


class AuditTrail:
    """The audit store at ``path`` (created with its directory when missing).

    Parameters
    ----------
    path : str or Path
        SQLite file; ``<path>.head`` is its head anchor.
    sim_time : callable, optional
        Returns the simulation time in seconds (or ``None``), stamped on each record;
        settable later (the runtime's clock).
    busy_timeout_s : float
        How long an append waits for another writer before :class:`AuditUnavailable`.
    wall_clock : callable
        Returns the aware UTC time of a record (tests inject a fixed clock).

    An unwritable store does not stop construction (the twin can still show data); every
    :meth:`check_writable`, :meth:`append` and :meth:`change` raises :class:`AuditUnavailable`
    until it can be written.
    """

    def __init__(
        self,
        path: str | Path,
        sim_time: Callable[[], float | None] | None = None,
        *,
        busy_timeout_s: float = 5.0,
        wall_clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.path = Path(path)
        self.sim_time = sim_time
        self.busy_timeout_s = busy_timeout_s
        self.wall_clock = wall_clock
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._pending: list[AuditRecord] = []  # seq/prev_hash/hash assigned when written
        try:
            self._connection()
        except AuditUnavailable as exc:
            log.warning("%s", exc)

    @property
    def pending(self) -> tuple[AuditRecord, ...]:
        """Records of completed changes not written yet (written first by the next append)."""
        with self._lock:
            return tuple(self._pending)

    def _unavailable(self, exc: BaseException) -> AuditUnavailable:
        locked = "locked" in str(exc) or "busy" in str(exc)
        why = (
            f"another process held it locked for more than {self.busy_timeout_s:g} s"
            if locked
            else "check that this user can write the file and its directory and that the disk is not full"
        )
        return AuditUnavailable(f"audit trail {self.path} cannot be written ({exc}): {why}; changes are refused")

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            try:
                self._conn = storage.open_writable(self.path, self.busy_timeout_s)
            except (sqlite3.Error, OSError) as exc:
                raise self._unavailable(exc) from exc
        return self._conn

    def check_writable(self) -> None:
        """Cheap pre-flight before a change; raises :class:`AuditUnavailable`.

        Takes the write lock and makes a write that is rolled back (a read-only file passes
        ``BEGIN IMMEDIATE`` alone), and checks the head anchor's directory is writable.
        """
        with self._lock:
            conn = self._connection()
            try:
                storage.probe_write(conn)
            except sqlite3.Error as exc:
                raise self._unavailable(exc) from exc
            # SQLite can still write through an open -wal file in a read-only directory; the
            # head anchor (a new file, then a rename) could not follow.
            if not os.access(self.path.parent, os.W_OK | os.X_OK):
                raise self._unavailable(OSError(f"directory {self.path.parent} is read-only: no head anchor"))

    def _sim_time(self) -> float | None:
        try:
            sim = self.sim_time() if self.sim_time is not None else None
            return float(sim) if sim is not None and math.isfinite(sim) else None
        except Exception:  # a broken clock must not lose the record
            log.exception("audit: sim_time() failed; record stamped without simulation time")
            return None

    def _draft(self, actor: Actor, action: str, obj: str, **fields: Any) -> AuditRecord:
        return draft(actor, action, obj, ts=format_ts(self.wall_clock()), sim_time_s=self._sim_time(), **fields)

    def _insert(self, conn: sqlite3.Connection, drafts: list[AuditRecord]) -> list[AuditRecord]:
        """Chain and insert ``drafts`` in one transaction; the caller holds ``self._lock``."""
        conn.execute("BEGIN IMMEDIATE")
        try:
            seq, prev = storage.last(conn) or (0, GENESIS)
            written = []
            for draft in drafts:
                seq += 1
                record = dataclasses.replace(draft, seq=seq, prev_hash=prev)
                record = dataclasses.replace(record, hash=chain_hash(prev, record))
                conn.execute(storage.INSERT, storage.to_row(record))
                written.append(record)
                prev = record.hash
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return written

    def _update_head(self, conn: sqlite3.Connection) -> None:
        # Under the write lock, from the table itself: anchors written by several processes
        # follow commit order, so the head never goes back. A failure here is logged, not
        # raised: the record is committed, and the next append writes the head again.
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                last = storage.last(conn)
                if last is not None:
                    storage.write_head(self.path, *last)
            finally:
                conn.execute("ROLLBACK")
        except (sqlite3.Error, OSError) as exc:
            log.error("audit head anchor %s not updated (%s); `gmp-twin audit verify` will report it", self.path, exc)

    def _write(self, draft: AuditRecord | None) -> AuditRecord | None:
        """Write the pending records, then ``draft``; raises :class:`AuditUnavailable`."""
        with self._lock:
            conn = self._connection()
            drafts = [*self._pending, *([draft] if draft is not None else [])]
            if not drafts:
                return None
            try:
                written = self._insert(conn, drafts)
            except sqlite3.Error as exc:
                raise self._unavailable(exc) from exc
            if self._pending:
                log.warning("audit: %d pending record(s) written to %s", len(self._pending), self.path)
            self._pending.clear()
            self._update_head(conn)
            return written[-1]

    def append(
        self,
        actor: Actor,
        action: str,
        obj: str,
        *,
        unit: str = "",
        old: Any = None,
        new: Any = None,
        reason: str = "",
        result: str = "ok",
        status: str = "Good",
        detail: str = "",
        signature: Signature | None = None,
    ) -> AuditRecord:
        """Write one record (after any pending ones) and return it, hash and seq set.

        Raises :class:`AuditUnavailable` when it cannot be written (nothing is kept then).
        """
        draft = self._draft(
            actor,
            action,
            obj,
            unit=unit,
            old=old,
            new=new,
            reason=reason,
            result=result,
            status=status,
            detail=detail,
            signature=signature,
        )
        record = self._write(draft)
        assert record is not None
        return record

    @contextmanager
    def change(
        self,
        actor: Actor,
        action: str,
        obj: str,
        *,
        unit: str = "",
        old: Any = None,
        new: Any = None,
        reason: str = "",
        signature: Signature | None = None,
    ) -> Iterator[Change]:
        """Audit the change the ``with`` body performs.

        :meth:`check_writable` first (:class:`AuditUnavailable` refuses the change: the body
        does not run). A body that raises is recorded ``result="refused"`` with the body's
        status if it set one (else the exception type) and the exception message (or the
        body's detail), and the exception propagates. Otherwise ``result="ok"`` with the
        :class:`Change` the body filled in. If that last write fails, the record is kept in
        :attr:`pending` (written first by the next append) and the failure logged at ERROR:
        the change happened, so it is not raised.
        """
        self.check_writable()
        change = Change(new=new)
        fields = {"unit": unit, "old": old, "reason": reason, "signature": signature}
        try:
            yield change
        except BaseException as exc:
            status = change.status if change.status != "Good" else type(exc).__name__
            draft = self._draft(
                actor,
                action,
                obj,
                new=change.new,
                result="refused",
                status=status,
                detail=change.detail or str(exc),
                **fields,
            )
            self._keep_if_unwritten(draft)
            raise
        draft = self._draft(
            actor, action, obj, new=change.new, result="ok", status=change.status, detail=change.detail, **fields
        )
        self._keep_if_unwritten(draft)

    def _keep_if_unwritten(self, draft: AuditRecord) -> None:
        with self._lock:
            try:
                self._write(draft)
            except AuditUnavailable as exc:
                self._pending.append(draft)
                log.error("%s; %d record(s) kept in memory until it can be written", exc, len(self._pending))

    def query(
        self,
        *,
        user: str | None = None,
        unit: str | None = None,
        obj: str | None = None,
        action: str | None = None,
        since: str | None = None,
        until: str | None = None,
        limit: int = 500,
        newest_first: bool = True,
    ) -> list[AuditRecord]:
        """Records matching every filter given, newest first by default, at most ``limit``.

        ``user`` and ``unit`` match exactly; ``obj`` and ``action`` are prefixes (``"fault"``
        matches ``fault.inject``); ``since`` (inclusive) and ``until`` (exclusive) are ISO 8601
        times, UTC unless they carry an offset.
        """
        with self._lock:
            try:
                return storage.select(
                    self._connection(),
                    user=user,
                    unit=unit,
                    obj=obj,
                    action=action,
                    since=since,
                    until=until,
                    limit=limit,
                    newest_first=newest_first,
                )
            except sqlite3.Error as exc:
                raise self._unavailable(exc) from exc

    def records(self) -> Iterator[AuditRecord]:
        """Every record in seq order (read in chunks, so other threads may append meanwhile)."""
        after = 0
        while True:
            with self._lock:
                rows = storage.rows_after(self._connection(), after)
            if not rows:
                return
            for row in rows:
                yield storage.from_row(row)
            after = int(rows[-1][0])

    def close(self) -> None:
        """Write what is pending if possible, then close the connection."""
        with self._lock:
            if self._pending:
                try:
                    self._write(None)
                except AuditUnavailable as exc:
                    log.error("%s; %d audit record(s) LOST at close", exc, len(self._pending))
            if self._conn is not None:
                self._conn.close()
                self._conn = None


@contextmanager
def audited(trail: AuditTrail | None, actor: Actor, action: str, obj: str, **fields: Any) -> Iterator[Change]:
    """:meth:`AuditTrail.change` (same keywords), or nothing recorded when a process keeps no trail.

    >>> with audited(None, Actor.system(), "clock.set", "clock") as change:
    ...     change.new = {"speed": 10}
    >>> change.status
    'Good'
    """
    if trail is None:
        yield Change(new=fields.get("new"))
        return
    with trail.change(actor, action, obj, **fields) as change:
        yield change
