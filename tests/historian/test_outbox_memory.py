"""The outbox hands the writer its newest points from memory: same points, same order, same loss accounting."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

import numpy as np
from test_outbox import Recorder, process

from historian import Point
from historian.outbox import Outbox
from historian.sqlite import SqliteHistorian

T0 = 1_700_000_000_000_000_000


async def test_rows_of_an_earlier_process_then_this_ones_in_order(tmp_path: Path) -> None:
    """Disk rows (left by a crash) go first, then the ones held in memory; nothing twice."""
    path = tmp_path / "outbox.sqlite"
    with Outbox(path) as first:
        first.put([process(i) for i in range(300)])  # never written: the process "crashed"
    rec = Recorder()
    with Outbox(path) as second:
        second.put([process(i) for i in range(300, 500)])
        assert await second.drain(rec, batch_size=128) == 500
        assert second.pending == 0
    assert rec.acked == [process(i) for i in range(500)]


async def test_points_pushed_out_of_memory_are_read_from_disk(tmp_path: Path) -> None:
    rec = Recorder()
    with Outbox(tmp_path / "outbox.sqlite", memory_points=250) as outbox:
        for start in range(0, 1000, 100):
            outbox.put([process(i) for i in range(start, start + 100)])
        assert await outbox.drain(rec, batch_size=300) == 1000
    assert rec.acked == [process(i) for i in range(1000)]


async def test_cap_drops_the_oldest_from_memory_too(tmp_path: Path) -> None:
    rec = Recorder()
    with Outbox(tmp_path / "outbox.sqlite", max_rows=150) as outbox:
        outbox.put([process(i) for i in range(100)])
        outbox.put([process(i) for i in range(100, 200)])  # 50 oldest dropped, one data_loss event added
        await outbox.drain(rec)
        assert outbox.dropped_total == 50
    values = [p for p in rec.acked if p.measurement == "process"]
    assert values == [process(i) for i in range(50, 200)]
    assert [p.tags["kind"] for p in rec.acked if p.measurement == "event"] == ["data_loss"]


async def test_a_point_that_is_not_plain_reaches_the_historian_as_stored(tmp_path: Path) -> None:
    """numpy scalars and other mappings come out as the JSON row would give them, as after a restart."""
    odd = Point(
        "event", MappingProxyType({"unit": "TK1", "kind": "note"}), {"n": np.int64(3), "x": np.float64(1.5)}, T0
    )  # type: ignore[dict-item]
    rec = Recorder()
    with Outbox(tmp_path / "outbox.sqlite") as outbox:
        outbox.put([process(1), odd])
        await outbox.drain(rec)
    back = rec.acked[1]
    assert type(back.tags) is dict and type(back.fields["n"]) is int and type(back.fields["x"]) is float


async def test_memory_off_writes_the_same(tmp_path: Path) -> None:
    async with SqliteHistorian(tmp_path / "h.sqlite") as historian:
        rec = Recorder(historian)
        with Outbox(tmp_path / "outbox.sqlite", memory_points=0) as outbox:
            outbox.put([process(i) for i in range(10)])
            await outbox.drain(rec)
    assert rec.acked == [process(i) for i in range(10)]
