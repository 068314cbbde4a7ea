"""The embedded SQLite historian: contract checks, WAL, a second process reading."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from historian_contract import CONTRACT, SEC, T0, process

from historian import Historian, HistorianError, HistorianRejectedError, Point, open_historian
from historian.sqlite import SqliteHistorian


@pytest.fixture
async def historian(tmp_path: Path) -> AsyncIterator[SqliteHistorian]:
    h = open_historian(f"sqlite:///{tmp_path}/sub/dir/h.sqlite")
    assert isinstance(h, SqliteHistorian)
    async with h:
        yield h


@pytest.mark.parametrize("check", CONTRACT)
async def test_contract(historian: SqliteHistorian, check: Callable[[Historian], Awaitable[None]]) -> None:
    await check(historian)


async def test_file_is_wal_and_parent_created(historian: SqliteHistorian, tmp_path: Path) -> None:
    assert historian.path == tmp_path / "sub/dir/h.sqlite"
    assert await historian.ping()
    with sqlite3.connect(historian.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_nan_value_reads_back_as_nan(historian: SqliteHistorian) -> None:
    await historian.write([process("N1", "T", T0, float("nan"), status=0x80000000)])
    sample = (await historian.latest(unit="N1")).popitem()[1]
    assert sample.value != sample.value and sample.status == 0x80000000


async def test_latest_ignores_older_late_writes(historian: SqliteHistorian) -> None:
    await historian.write([process("L1", "T", T0 + 10 * SEC, 2.0)])
    await historian.write([process("L1", "T", T0 + 1 * SEC, 1.0)])  # late, older
    assert [s.value for s in (await historian.latest(unit="L1")).values()] == [2.0]


async def test_another_process_reads_while_we_write(historian: SqliteHistorian) -> None:
    """The dashboard may be a separate process on the same file (docker-compose)."""
    script = textwrap.dedent(
        f"""
        import asyncio, time
        from historian import open_historian
        async def main():
            async with open_historian("sqlite:///{historian.path}") as h:
                seen = 0
                deadline = time.monotonic() + 20
                while seen < 2000 and time.monotonic() < deadline:
                    r = await h.query_range("P1", ["T"], 0, 2**62, max_points=10**6)
                    seen = len(r.series.get("T", []))
                print(seen)
        asyncio.run(main())
        """
    )
    reader = await asyncio.create_subprocess_exec(sys.executable, "-c", script, stdout=subprocess.PIPE)
    t_end = time.monotonic() + 20
    for chunk in range(20):
        await historian.write([process("P1", "T", T0 + (chunk * 100 + i) * SEC, float(i)) for i in range(100)])
        await asyncio.sleep(0.01)
    out, _ = await asyncio.wait_for(reader.communicate(), timeout=t_end - time.monotonic() + 5)
    assert reader.returncode == 0
    assert int(out) == 2000


async def test_not_open_raises() -> None:
    h = SqliteHistorian("unused.sqlite")
    with pytest.raises(HistorianError, match="not open"):
        await h.write([process("U", "T", T0, 1.0)])
    assert not await h.ping()


async def test_unstorable_points_are_rejected_not_retryable(historian: SqliteHistorian) -> None:
    """Data errors must be HistorianRejectedError so the outbox drops them instead of stalling."""
    with pytest.raises(HistorianRejectedError):
        await historian.write([Point("process", {"unit": "X"}, {"value": 1.0, "status": float("nan")}, T0)])
    with pytest.raises(HistorianRejectedError):
        await historian.write([process("X", "T", 2**70, 1.0)])
    assert await historian.latest(unit="X") == {}  # the failed transaction left nothing behind


def test_connections_opening_a_new_file_together_all_get_wal(tmp_path: Path) -> None:
    """Two bridges starting together on one new SQLite file: switching it to WAL said "database is locked"."""
    import threading

    from historian.sqlite import _connect

    errors: list[str] = []
    for attempt in range(30):
        path = tmp_path / f"h{attempt}.sqlite"
        barrier = threading.Barrier(6)

        def open_it(path: Path = path, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            try:
                conn = _connect(path)
                try:
                    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
                finally:
                    conn.close()
            except Exception as exc:  # collected: an exception in a thread would not fail the test
                errors.append(repr(exc))

        threads = [threading.Thread(target=open_it) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
