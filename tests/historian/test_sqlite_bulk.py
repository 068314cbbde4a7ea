"""SQLite bulk reads (exports): a child process with the ADBC driver gives what the historian's own read gives."""

from __future__ import annotations

import math
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from historian_contract import SEC, T0, process

from historian import HistorianError, open_historian, sqlite_bulk
from historian.base import RawSeries
from historian.sqlite import SqliteHistorian

BAD = 0x808C0000  # BadSensorFailure
ODD_UNIT, ODD_TAG = 'TK 1,a="b"', "T=1 ,x\\y"


@pytest.fixture
async def historian(tmp_path: Path) -> AsyncIterator[SqliteHistorian]:
    h = open_historian(f"sqlite:///{tmp_path}/h.sqlite")
    assert isinstance(h, SqliteHistorian)
    async with h:
        level = [process("R1", "LT1", T0 + i * SEC // 5, 10 + i / 7, status=i % 3) for i in range(5000)]
        level[11] = process("R1", "LT1", T0 + 11 * SEC // 5, math.nan, status=BAD)  # no value: NULL
        await h.write(level)
        await h.write([process("R1", "FT1", T0 + i * SEC, -i * 1e-7) for i in range(300)])
        await h.write([process("R1", "FT1", T0 + i * SEC, 1e300, site="other") for i in range(5)])
        await h.write([process(ODD_UNIT, ODD_TAG, T0 + i * SEC, 0.1 * i, site="site 'one'") for i in range(50)])
        yield h


#: (unit, tag, site): every kind of series, one of them empty and one filtered by site.
SERIES: list[tuple[str, str, str | None]] = [
    ("R1", "LT1", None),
    ("R1", "FT1", "pilot"),
    ("R1", "FT1", "other"),
    ("R1", "missing", None),
    (ODD_UNIT, ODD_TAG, "site 'one'"),
    ("R1", "FT1", None),
]


def _same(a: RawSeries, b: RawSeries) -> bool:
    return (
        np.array_equal(a.time_ns, b.time_ns)
        and np.array_equal(a.value, b.value, equal_nan=True)
        and np.array_equal(a.status, b.status)
        and (a.time_ns.dtype, a.value.dtype, a.status.dtype) == (b.time_ns.dtype, b.value.dtype, b.status.dtype)
    )


async def _bulk(h: SqliteHistorian, start: int, stop: int, monkeypatch: pytest.MonkeyPatch) -> list[RawSeries]:
    spawned: list[subprocess.Popen[bytes]] = []
    real = sqlite_bulk._spawn

    def spawn(*args: Any) -> subprocess.Popen[bytes]:
        spawned.append(real(*args))
        return spawned[-1]

    monkeypatch.setattr(sqlite_bulk, "_spawn", spawn)
    monkeypatch.setattr(h, "bulk_series_hours", 0.0)
    out = [raw async for raw in h.raw_ranges(SERIES, start, stop)]
    assert len(spawned) == 1 and spawned[0].returncode == 0  # one child for all, reaped
    return out


async def test_bulk_read_in_a_child_equals_the_historians_own_read(
    historian: SqliteHistorian, monkeypatch: pytest.MonkeyPatch
) -> None:
    start, stop = T0 + 3 * SEC, T0 + 900 * SEC
    bulk = await _bulk(historian, start, stop, monkeypatch)
    own = [await historian.raw_range(unit, tag, start, stop, site) for unit, tag, site in SERIES]
    assert [len(r) for r in bulk] == [4485, 297, 2, 0, 47, 299]  # no site: both sites
    assert all(_same(a, b) for a, b in zip(bulk, own, strict=True))
    level = bulk[0]
    assert level.time_ns[0] == start and np.all(np.diff(level.time_ns) > 0)  # oldest first
    assert level.status.tolist()[:3] == [0, 1, 2] and not np.isnan(level.value).any()  # sample 11 is before
    whole = await _bulk(historian, T0, T0 + 10_000 * SEC, monkeypatch)
    assert np.flatnonzero(np.isnan(whole[0].value)).tolist() == [11] and whole[0].status[11] == BAD
    assert whole[2].value.tolist() == [1e300] * 5


async def test_small_exports_read_in_process(historian: SqliteHistorian, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_child(*args: Any) -> None:
        raise AssertionError("a child process for a few series-hours")

    monkeypatch.setattr(sqlite_bulk, "_spawn", no_child)
    raws = [raw async for raw in historian.raw_ranges(SERIES, T0, T0 + 3600 * SEC)]  # 6 series-hours
    assert [len(r) for r in raws] == [5000, 300, 5, 0, 50, 305]


async def test_stopping_early_ends_the_child(historian: SqliteHistorian, monkeypatch: pytest.MonkeyPatch) -> None:
    spawned: list[subprocess.Popen[bytes]] = []
    real = sqlite_bulk._spawn
    monkeypatch.setattr(sqlite_bulk, "_spawn", lambda *a: spawned.append(real(*a)) or spawned[-1])
    many = SERIES * 50
    reader = sqlite_bulk.read_many(historian.path, many, T0, T0 + 10_000 * SEC)
    first = await anext(reader)
    assert len(first) == 5000
    await reader.aclose()  # type: ignore[attr-defined]
    assert spawned[0].returncode is not None  # killed and reaped, not left behind


async def test_a_file_that_is_not_a_database_is_an_error_naming_it(tmp_path: Path) -> None:
    bogus = tmp_path / "not-a-db.sqlite"
    bogus.write_bytes(b"this is not SQLite" * 1000)
    with pytest.raises(HistorianError, match=r"not-a-db\.sqlite: .*not a database"):
        async for _ in sqlite_bulk.read_many(bogus, SERIES, T0, T0 + SEC):
            pass
