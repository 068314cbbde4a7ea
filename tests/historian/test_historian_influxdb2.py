"""InfluxDB 2.x historian against a real server, when one is configured.

Set ``GMP_TWIN_TEST_INFLUXDB2_URL`` (e.g. ``influxdb2://localhost:8086?org=gmp&bucket=unused``)
and ``GMP_TWIN_INFLUXDB_TOKEN`` (an all-access token): each test creates its own bucket in
that org and deletes it afterwards. Without them the tests are skipped with that reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import free_port
from historian_contract import CONTRACT

from historian import Historian, HistorianError, HistorianRejectedError, Point, open_historian
from historian.influxdb2 import InfluxDB2Historian, flux_string, flux_time

URL = os.environ.get("GMP_TWIN_TEST_INFLUXDB2_URL", "")
TOKEN = os.environ.get("GMP_TWIN_INFLUXDB_TOKEN", "")

needs_server = pytest.mark.skipif(
    not (URL and TOKEN),
    reason="InfluxDB 2.x tests need GMP_TWIN_TEST_INFLUXDB2_URL "
    "(e.g. influxdb2://localhost:8086?org=gmp&bucket=test) and GMP_TWIN_INFLUXDB_TOKEN "
    "(all-access token) set",
)


@pytest.fixture
async def historian() -> AsyncIterator[InfluxDB2Historian]:
    from influxdb_client import InfluxDBClient

    parts = urlsplit(URL)
    org = parse_qs(parts.query)["org"][0]
    scheme = "https" if parts.scheme.endswith("s") else "http"
    bucket = f"gmp_twin_test_{uuid.uuid4().hex[:10]}"
    with InfluxDBClient(url=f"{scheme}://{parts.netloc}", token=TOKEN, org=org) as admin:
        created = admin.buckets_api().create_bucket(bucket_name=bucket, org=org)
        try:
            h = open_historian(f"{parts.scheme}://{parts.netloc}?org={org}&bucket={bucket}")
            assert isinstance(h, InfluxDB2Historian)
            async with h:
                yield h
        finally:
            admin.buckets_api().delete_bucket(created)


@pytest.mark.parametrize("check", CONTRACT)
@pytest.mark.influxdb2
@needs_server
async def test_contract(historian: InfluxDB2Historian, check: Callable[[Historian], Awaitable[None]]) -> None:
    await check(historian)


@pytest.mark.influxdb2
@needs_server
async def test_ping(historian: InfluxDB2Historian) -> None:
    assert await historian.ping()


def test_flux_literals() -> None:
    """Runs without a server: the escaping Flux needs for odd tag values."""
    assert flux_string('TK "1" \\ ${x}') == '"TK \\"1\\" \\\\ \\${x}"'
    assert flux_time(0) == "1970-01-01T00:00:00.000000000Z"
    assert flux_time(1_700_000_000_123_456_789) == "2023-11-14T22:13:20.123456789Z"


def test_missing_token_names_the_env_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GMP_TWIN_INFLUXDB_TOKEN", raising=False)
    with pytest.raises(ValueError, match="GMP_TWIN_INFLUXDB_TOKEN"):
        open_historian("influxdb2://localhost:8086?org=gmp&bucket=twin")


async def test_server_down_raises_historian_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GMP_TWIN_INFLUXDB_TOKEN", "t0ken")
    async with open_historian(f"influxdb2://127.0.0.1:{free_port()}?org=o&bucket=b") as h:
        assert not await h.ping()
        with pytest.raises(HistorianError) as info:
            await h.write([Point("process", {"unit": "u"}, {"value": 1.0}, 1)])
        assert not isinstance(info.value, HistorianRejectedError)
        with pytest.raises(HistorianError):
            await h.latest()


async def test_write_path_against_a_stub_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bodies of at most ``batch_lines`` lines, ns precision, gzip, 400 = rejected.

    A stub HTTP server stands in for InfluxDB 2.x, which cannot be installed on these
    machines (Debian ships only 1.x); the tests above run against a real 2.x server when
    ``GMP_TWIN_TEST_INFLUXDB2_URL`` is set.
    """
    from aiohttp import web

    bodies: list[tuple[dict[str, str], str]] = []

    async def write(request: web.Request) -> web.Response:
        assert request.headers.get("Content-Encoding") == "gzip"  # aiohttp inflates the body itself
        text = await request.text()
        if "bad" in text:
            return web.json_response({"code": "invalid", "message": "unable to parse"}, status=400)
        bodies.append((dict(request.query), text))
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/api/v2/write", write)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    monkeypatch.setenv("GMP_TWIN_INFLUXDB_TOKEN", "t0ken")
    try:
        h = open_historian(f"influxdb2://127.0.0.1:{port}?org=o&bucket=b")
        assert isinstance(h, InfluxDB2Historian)
        h.batch_lines = 400
        async with h:
            await h.write([Point("process", {"unit": "u"}, {"value": float(i)}, i) for i in range(1000)])
            with pytest.raises(HistorianRejectedError):
                await h.write([Point("process", {"unit": "bad"}, {"value": 1.0}, 1)])
    finally:
        await runner.cleanup()
    assert [text.count("\n") + 1 for _, text in bodies] == [400, 400, 200]
    assert bodies[0][0] == {"org": "o", "bucket": "b", "precision": "ns"}
    assert bodies[2][1].splitlines()[-1] == "process,unit=u value=999.0 999"


async def test_source_filter_reaches_the_flux_queries(monkeypatch: pytest.MonkeyPatch) -> None:
    """``source=`` is a Flux filter on the ``source`` tag of every process query sent.

    Runs without a server: a stub answers ``/api/v2/query`` with no tables and keeps the Flux
    each query sent (the shared contract checks the results against a real 2.x server when one
    is configured, see the module docstring).
    """
    from aiohttp import web

    sent: list[str] = []

    async def query(request: web.Request) -> web.Response:
        sent.append((await request.json())["query"])
        return web.Response(text="", content_type="text/csv")

    app = web.Application()
    app.router.add_post("/api/v2/query", query)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    monkeypatch.setenv("GMP_TWIN_INFLUXDB_TOKEN", "t0ken")
    try:
        async with open_historian(f"influxdb2://127.0.0.1:{port}?org=o&bucket=b") as h:
            assert await h.latest(unit="u", source="plc") == {}
            assert (await h.query_range("u", ["T"], 0, 10**9, source="plc")).series == {}
            assert await h.latest(unit="u") == {}
            assert (await h.query_range("u", ["T"], 0, 10**9)).series == {}
    finally:
        await runner.cleanup()
    assert len(sent) == 4
    assert 'r["source"] == "plc"' in sent[0] and 'r["unit"] == "u"' in sent[0]
    assert 'r.source == "plc"' in sent[1]
    assert all("source" not in flux for flux in sent[2:])
