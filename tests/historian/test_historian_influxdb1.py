"""InfluxDB 1.x historian against a real Debian ``influxd`` (see tests/conftest.py)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from conftest import InfluxdServer, free_port
from historian_contract import CONTRACT, SEC, T0, process

from historian import Historian, HistorianError, HistorianRejectedError, Point, open_historian
from historian.influxdb1 import InfluxDB1Historian


def _url(base: str, db: str | None = None) -> str:
    return f"influxdb1://{base.split('://', 1)[1]}/{db or 'test_' + uuid.uuid4().hex[:12]}"


@pytest.fixture
async def historian(influxdb1: str) -> AsyncIterator[InfluxDB1Historian]:
    h = open_historian(_url(influxdb1))
    assert isinstance(h, InfluxDB1Historian)
    async with h:
        yield h


@pytest.mark.parametrize("check", CONTRACT)
async def test_contract(historian: InfluxDB1Historian, check: Callable[[Historian], Awaitable[None]]) -> None:
    await check(historian)


async def test_database_created_on_open(influxdb1: str) -> None:
    db = "created_" + uuid.uuid4().hex[:8]
    async with open_historian(_url(influxdb1, db)) as h:
        assert await h.ping()
    async with httpx.AsyncClient() as client:
        resp = await client.post(f"{influxdb1}/query", data={"q": "SHOW DATABASES"})
    assert [db] in resp.json()["results"][0]["series"][0]["values"]


async def test_large_write_is_split_into_batches(historian: InfluxDB1Historian) -> None:
    historian.batch_lines = 1000
    await historian.write([process("B1", "T", T0 + i * SEC, float(i)) for i in range(4500)])
    result = await historian.query_range("B1", ["T"], T0, T0 + 10_000 * SEC, max_points=10_000)
    assert [s.value for s in result.series["T"]] == [float(i) for i in range(4500)]


async def test_type_conflict_is_rejected_not_retryable(historian: InfluxDB1Historian) -> None:
    await historian.write([Point("event", {"kind": "k"}, {"severity": 1}, T0)])
    with pytest.raises(HistorianRejectedError, match="HTTP 400"):
        await historian.write([Point("event", {"kind": "k"}, {"severity": "high"}, T0 + 1)])


async def test_server_down_open_does_not_raise_write_does() -> None:
    h = open_historian(f"influxdb1://127.0.0.1:{free_port()}/gmp")
    async with h:
        assert not await h.ping()
        with pytest.raises(HistorianError) as info:
            await h.write([process("D", "T", T0, 1.0)])
        assert not isinstance(info.value, HistorianRejectedError)
        with pytest.raises(HistorianError):
            await h.latest()


async def test_database_created_on_first_write_when_server_came_up_late(
    influxd_factory: Callable[..., InfluxdServer],
) -> None:
    server = influxd_factory()
    async with open_historian(_url(server.url, "late")) as h:
        with pytest.raises(HistorianError):
            await h.write([process("D", "T", T0, 1.0)])
        server.start()
        await h.write([process("D", "T", T0, 1.0)])
        assert [s.value for s in (await h.latest()).values()] == [1.0]


async def test_unencodable_points_are_rejected(historian: InfluxDB1Historian) -> None:
    with pytest.raises(HistorianRejectedError):
        await historian.write([Point("process", {"unit": "X"}, {"value": 1.0}, "soon")])  # type: ignore[arg-type]
