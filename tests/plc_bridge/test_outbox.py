"""The durable outbox: order, acknowledgement before delete, restarts, cap, a real historian going down."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pytest

from plc_bridge.outbox import Outbox
from twin.historian import (
    Historian,
    HistorianError,
    Point,
    RangeResult,
    Sample,
    SeriesKey,
)
from twin.historian.sqlite import SqliteHistorian

T0 = 1_700_000_000_000_000_000
MS = 1_000_000


def process(i: int, unit: str = "TK1", tag: str = "LT101") -> Point:
    return Point(
        "process",
        {"site": "pilot", "unit": unit, "tag": tag, "source": "plc"},
        {"value": i * 0.25, "status": 0},
        T0 + i * MS,
    )


class Recorder(Historian):
    """Delegates to another historian (or a list) and records what was acknowledged, in order."""

    def __init__(
        self, inner: Historian | None = None, fail: Callable[[Sequence[Point]], Exception | None] | None = None
    ):
        self.inner = inner
        self.url = "recorder://"
        self.fail = fail
        self.acked: list[Point] = []
        self.attempts = 0

    async def write(self, points: Sequence[Point]) -> None:
        self.attempts += 1
        if self.fail is not None and (exc := self.fail(points)) is not None:
            raise exc
        if self.inner is not None:
            await self.inner.write(points)
        self.acked.extend(points)

    async def ping(self) -> bool:
        return True

    async def latest(self, site: str | None = None, unit: str | None = None) -> dict[SeriesKey, Sample]:
        return {}

    async def query_range(
        self,
        unit: str,
        tags: Sequence[str],
        start_ns: int,
        stop_ns: int,
        max_points: int = 1000,
        site: str | None = None,
    ) -> RangeResult:
        return RangeResult()

    async def events(
        self,
        start_ns: int,
        stop_ns: int,
        unit: str | None = None,
        kinds: Sequence[str] | None = None,
        limit: int = 1000,
    ) -> list[Point]:
        return []


@pytest.fixture
async def sqlite_historian(tmp_path: Path) -> AsyncIterator[SqliteHistorian]:
    async with SqliteHistorian(tmp_path / "historian.sqlite") as h:
        yield h


async def wait_until(predicate: Callable[[], bool], within_s: float = 15.0) -> None:
    deadline = time.monotonic() + within_s
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def test_put_then_drain_keeps_order_and_deletes(tmp_path: Path, sqlite_historian: SqliteHistorian) -> None:
    rec = Recorder(sqlite_historian)
    with Outbox(tmp_path / "o" / "outbox.sqlite") as outbox:
        points = [process(i) for i in range(1200)]
        for start in range(0, 1200, 100):
            outbox.put(points[start : start + 100])
        assert outbox.pending == 1200
        assert await outbox.drain(rec, batch_size=500) == 1200
        assert rec.acked == points
        assert rec.attempts == 3
        assert outbox.stats() == {
            "pending": 0,
            "written_total": 1200,
            "dropped_total": 0,
            "rejected_total": 0,
            "last_error": None,
            "historian_up": True,
            "max_rows": 5_000_000,
        }
    result = await sqlite_historian.query_range("TK1", ["LT101"], T0, T0 + 10**12, max_points=5000)
    assert [s.value for s in result.series["LT101"]] == [i * 0.25 for i in range(1200)]


async def test_rows_are_deleted_only_after_acknowledgement(tmp_path: Path) -> None:
    rec = Recorder(fail=lambda pts: HistorianError("down"))
    with Outbox(tmp_path / "outbox.sqlite") as outbox:
        outbox.put([process(i) for i in range(10)])
        with pytest.raises(HistorianError):
            await outbox.drain(rec)
        assert outbox.pending == 10
        rec.fail = None
        assert await outbox.drain(rec) == 10
        assert rec.acked == [process(i) for i in range(10)]


async def test_survives_restart(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    odd = Point(
        "event",
        MappingProxyType({"unit": "TK1", "kind": "note"}),
        {"message": 'ünïcode "q"\n', "n": np.int64(3), "x": np.float64(1.5), "ok": True, "nan": float("nan")},
        T0,
    )
    with Outbox(path) as outbox:
        outbox.put([process(i) for i in range(5)])
        outbox.put([odd])
    with Outbox(path) as reopened:
        assert reopened.pending == 6
        rec = Recorder()
        await reopened.drain(rec)
    assert rec.acked[:5] == [process(i) for i in range(5)]
    back = rec.acked[5]
    assert back.tags == {"unit": "TK1", "kind": "note"}
    assert back.fields["message"] == 'ünïcode "q"\n'
    assert type(back.fields["n"]) is int and type(back.fields["x"]) is float and back.fields["ok"] is True
    assert back.fields["nan"] != back.fields["nan"]
    with Outbox(path) as again:
        assert again.pending == 0


async def test_cap_drops_oldest_counts_logs_and_reports(
    tmp_path: Path, sqlite_historian: SqliteHistorian, caplog: pytest.LogCaptureFixture
) -> None:
    with Outbox(tmp_path / "outbox.sqlite", max_rows=100, site="pilot", unit="bridge-1") as outbox:
        with caplog.at_level(logging.ERROR, logger="plc_bridge.outbox"):
            outbox.put([process(i) for i in range(250)])
        assert outbox.dropped_total == 150
        assert outbox.pending == 101  # the 100 newest points and the data_loss event
        errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
        assert len(errors) == 1 and "dropped the 150 oldest points" in errors[0]
        # Within the event interval: counted, summed into the next event, not reported yet.
        outbox.put([process(i) for i in range(250, 260)])
        assert outbox.dropped_total == 161
        assert outbox.pending == 100
        assert await outbox.flush(sqlite_historian, timeout=5) == 0  # flush reports the rest
    events = await sqlite_historian.events(0, 2**62, kinds=["data_loss"])
    assert [e.fields["dropped"] for e in events] == [150, 11]
    assert events[0].tags == {"site": "pilot", "unit": "bridge-1", "kind": "data_loss"}
    assert events[1].fields["dropped_total"] == 161
    assert "150 points lost" in str(events[0].fields["message"])
    # What survived is the newest data, complete and in order.
    result = await sqlite_historian.query_range("TK1", ["LT101"], T0, T0 + 10**12, max_points=5000)
    assert [s.value for s in result.series["LT101"]] == [i * 0.25 for i in range(161, 260)]
