"""The export's CSV, checked against an independent reading: Python's csv module and datetime.

The same bytes whichever way the SQLite historian reads (in process, or in bulk in a child
process) and however the rows are sliced and the times labelled.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from historian_contract import SEC, T0, process

from historian import export, open_historian
from historian.export import ExportSeries, csv_buffers, csv_chunks, json_document
from historian.sqlite import SqliteHistorian

BAD, UNKNOWN = 0x808C0000, 0x12345678
DAY = 86_400 * SEC
SERIES = [
    ExportSeries("pilot", "R1", "late", "°C"),  # starts after the next one: labels made again, earlier
    ExportSeries("pilot", "R1", "early", "bar"),
    ExportSeries("site 'one'", 'TK 1,a="b"', "T=1 ,x\\y", 'k"g'),  # quoted fields
    ExportSeries(None, "R1", "sparse", ""),  # 40 days, one sample every ~2 days
    ExportSeries("pilot", "R1", "missing", "m"),  # no sample: no row
]


@pytest.fixture
async def historian(tmp_path: Path) -> AsyncIterator[SqliteHistorian]:
    h = open_historian(f"sqlite:///{tmp_path}/h.sqlite")
    assert isinstance(h, SqliteHistorian)
    rng = np.random.default_rng(7)
    async with h:
        late = [process("R1", "late", T0 + DAY // 2 + i * SEC // 5 + 123_456, float(v)) for i, v in
                enumerate(rng.normal(37, 0.3, 3000))]  # fmt: skip
        late[5] = process("R1", "late", late[5].time_ns, math.nan, status=BAD)
        late[6] = process("R1", "late", late[6].time_ns, 1.5, status=UNKNOWN)
        early = [process("R1", "early", T0 + i * 997 * SEC // 1000, float(v), status=i % 2) for i, v in
                 enumerate(rng.lognormal(0, 20, 2000))]  # fmt: skip
        odd = [process('TK 1,a="b"', "T=1 ,x\\y", T0 + i * SEC, i / 3, site="site 'one'") for i in range(100)]
        sparse = [process("R1", "sparse", T0 + i * 2 * DAY + i, -0.0 if i == 0 else 1e-300 * i) for i in range(20)]
        await h.write([*late, *early, *odd, *sparse])
        yield h


def _iso(time_ns: int) -> str:
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=time_ns // 1000)).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ"
    )


async def _text(h: SqliteHistorian, start: int, stop: int) -> bytes:
    return b"".join([bytes(chunk) async for chunk in csv_buffers(h, SERIES, start, stop)])


async def test_csv_reads_back_as_stored_whichever_way_it_is_read(
    historian: SqliteHistorian, monkeypatch: pytest.MonkeyPatch
) -> None:
    start, stop = T0, T0 + 41 * DAY
    monkeypatch.setattr(historian, "bulk_series_hours", math.inf)
    in_process = await _text(historian, start, stop)
    monkeypatch.setattr(historian, "bulk_series_hours", 0.0)
    bulk = await _text(historian, start, stop)
    monkeypatch.setattr(export, "_SLICE_ROWS", 7)
    monkeypatch.setattr(export, "_DENSE_SECONDS", 1000)  # "late" and "sparse" label their distinct seconds
    sliced = await _text(historian, start, stop)
    assert in_process == bulk == sliced
    assert b"".join([c async for c in csv_chunks(historian, SERIES, start, stop)]) == bulk

    rows = list(csv.reader(io.StringIO(bulk.decode())))
    assert rows[0] == ["time", "site", "unit", "tag", "value", "eu", "status", "status_name"]
    doc = await json_document(historian, SERIES, start, stop)
    expected = []
    for one, got in zip(SERIES, doc["series"], strict=True):
        raw = await historian.raw_range(one.unit, one.tag, start, stop, one.site)
        assert got["time"] == [_iso(int(t)) for t in raw.time_ns]
        for t, v, s in zip(raw.time_ns.tolist(), raw.value.tolist(), raw.status.tolist(), strict=True):
            name = {0: "Good", 1: "0x00000001", BAD: "BadSensorFailure", UNKNOWN: "0x12345678"}[s]
            expected.append([_iso(t), one.site or "", one.unit, one.tag, v, one.eu, str(s), name])
    assert len(rows) - 1 == len(expected) == 3000 + 2000 + 100 + 20
    for row, want in zip(rows[1:], expected, strict=True):
        value = want[4]
        assert row[:4] + row[5:] == want[:4] + want[5:]
        if math.isnan(value):
            assert row[4] == ""
        else:
            assert float(row[4]) == value and math.copysign(1, float(row[4])) == math.copysign(1, value)
    assert rows[1][0] == _iso(T0 + DAY // 2 + 123_456) == "2023-11-15T10:13:20.000123Z"
    assert rows[6][4:] == ["", "°C", str(BAD), "BadSensorFailure"]
    assert b'"TK 1,a=""b""","T=1 ,x\\y",' in bulk and b',"k""g",' in bulk
