"""``GET /api/history`` and ``gmp-twin export``: the same bytes, with units and status.

Real parts: a real SQLite file and a real InfluxDB 1.x (Debian's ``influxd``), the CLI as a
subprocess, the API through its ASGI app with a real users file (a student token).
"""

from __future__ import annotations

import csv
import io
import json
import math
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from people import People, make_people

from config_schema.tagmap import load_tagmap
from dashboard.api.routers import history
from dashboard.services import Services
from historian import Historian, Point, open_historian

REPO = Path(__file__).resolve().parents[2]
TAGMAP = REPO / "config" / "tagmaps" / "mps-pa-sim.yaml"
T0 = 1_796_000_000_000_000_000  # 2026-11-30T..Z
SEC = 1_000_000_000
BAD = 0x808C0000  # BadSensorFailure
START, END = "2026-11-30T00:00:00Z", "2026-12-31T00:00:00Z"


def _points() -> list[Point]:
    def point(tag: str, i: int, value: float, status: int = 0) -> Point:
        tags = {"site": "demo-campus", "unit": "mps-pa", "tag": tag, "source": "sim"}
        return Point("process", tags, {"value": value, "status": status}, T0 + i * SEC // 5)

    level = [point("B101_level", i, 10 + i * 0.01) for i in range(600)]
    level[3] = point("B101_level", 3, math.nan, BAD)  # a bad-quality sample without a value
    flow = [point("B102_flow", i, 2.5 + (i % 7) / 3) for i in range(400)]
    other = [Point("process", {"site": "demo-campus", "unit": "other", "tag": "B101_level"}, {"value": 1.0}, T0)]
    return level + flow + other


@dataclass
class Api:
    client: httpx.AsyncClient
    people: People
    url: str


async def _api(historian: Historian, url: str, people: People) -> AsyncIterator[Api]:
    await historian.write(_points())
    app = FastAPI()
    tagmaps = [load_tagmap(TAGMAP)]
    app.state.services = Services(historian=historian, tagmaps=tagmaps, gate=people.gate, audit=people.audit)
    app.include_router(history.router, prefix="/api")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        yield Api(client, people, url)


@pytest.fixture
async def sqlite_api(tmp_path: Path) -> AsyncIterator[Api]:
    people = make_people(tmp_path)
    url = f"sqlite:///{tmp_path}/h.sqlite"
    async with open_historian(url) as historian:
        async for api in _api(historian, url, people):
            yield api
    people.close()


@pytest.fixture
async def influx_api(tmp_path: Path, influxdb1: str) -> AsyncIterator[Api]:
    (tmp_path / "influx").mkdir()
    people = make_people(tmp_path / "influx")
    url = f"influxdb1://{influxdb1.split('://', 1)[1]}/history_{uuid.uuid4().hex[:10]}"
    async with open_historian(url) as historian:
        async for api in _api(historian, url, people):
            yield api
    people.close()


def _cli(url: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    command = [sys.executable, "-m", "gmp_twin", "export", "--tagmap", str(TAGMAP), "--historian", url, *args]
    return subprocess.run(command, cwd=REPO, capture_output=True, timeout=120)


async def _csv(api: Api, **params: str) -> bytes:
    resp = await api.client.get("/api/history", params={"format": "csv", **params}, headers=api.people.bearer("sam"))
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/csv")
    return resp.content


async def test_csv_rows_units_status_and_cli_equal_api(sqlite_api: Api, tmp_path: Path) -> None:
    body = await _csv(sqlite_api, tags="B101_level,mps-pa/B102_flow", start=START, end=END)
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert list(rows[0]) == ["time", "site", "unit", "tag", "value", "eu", "status", "status_name"]
    assert [r["tag"] for r in rows] == ["B101_level"] * 600 + ["B102_flow"] * 400
    assert rows[0] == {
        "time": "2026-11-30T00:53:20.000000Z",
        "site": "demo-campus",
        "unit": "mps-pa",
        "tag": "B101_level",
        "value": "10",
        "eu": "cm",
        "status": "0",
        "status_name": "Good",
    }
    assert rows[1]["time"] == "2026-11-30T00:53:20.200000Z"
    assert (rows[3]["value"], rows[3]["status"], rows[3]["status_name"]) == ("", str(BAD), "BadSensorFailure")
    assert float(rows[599]["value"]) == 10 + 599 * 0.01
    assert rows[600]["eu"] == "l/min"

    out = tmp_path / "export.csv"
    done = _cli(
        sqlite_api.url, "--tags", "B101_level,mps-pa/B102_flow", "--start", START, "--end", END, "--out", str(out)
    )
    assert done.returncode == 0, done.stderr.decode()
    assert "1,000 rows" in done.stderr.decode()
    assert out.read_bytes() == body


async def test_default_range_ends_at_the_newest_sample_and_json_matches(sqlite_api: Api) -> None:
    # No start/end: the last hour up to the newest sample (here the whole 2 min of data).
    default = await _csv(sqlite_api, unit="mps-pa", tags="B101_level")
    done = _cli(sqlite_api.url, "--unit", "mps-pa", "--tags", "B101_level", "--last", "1h")
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == default and default.count(b"\n") == 601
    resp = await sqlite_api.client.get(
        "/api/history",
        params={"tags": "B102_flow", "start": START, "end": END},
        headers=sqlite_api.people.bearer("sam"),
    )
    doc = resp.json()
    [series] = doc["series"]
    assert (series["unit"], series["tag"], series["eu"], len(series["time"])) == ("mps-pa", "B102_flow", "l/min", 400)
    cli = _cli(sqlite_api.url, "--tags", "B102_flow", "--start", START, "--end", END, "--format", "json")
    assert json.loads(cli.stdout) == doc


async def test_downsampled_view_and_errors(sqlite_api: Api) -> None:
    body = await _csv(
        sqlite_api, tags="B101_level", start="2026-11-30T00:53:20Z", end="2026-11-30T00:55:20Z", max_points="50"
    )
    assert 40 <= body.count(b"\n") - 1 <= 50  # bucket means, computed by the historian
    student = sqlite_api.people.bearer("sam")
    unknown = await sqlite_api.client.get("/api/history", params={"tags": "nope"}, headers=student)
    assert unknown.status_code == 404 and "B101_level" in unknown.json()["detail"]
    reversed_ = await sqlite_api.client.get("/api/history", params={"start": END, "end": START}, headers=student)
    assert reversed_.status_code == 400
    far = {"tags": "B102_flow", "start": "0001-01-01T00:00:00", "end": "9999-12-31T23:59:59Z", "format": "csv"}
    everything = await sqlite_api.client.get("/api/history", params=far, headers=student)
    assert everything.status_code == 200 and everything.content.count(b"\n") == 401
    assert (await sqlite_api.client.get("/api/history")).status_code == 401  # a viewer at least
    bad = _cli(sqlite_api.url, "--tags", "nope")
    assert bad.returncode == 2 and b"unknown tag(s): nope" in bad.stderr


async def test_influxdb1_gives_the_same_csv_as_sqlite(influx_api: Api, sqlite_api: Api, tmp_path: Path) -> None:
    params = {"tags": "B101_level,B102_flow", "start": START, "end": END}
    from_influx = await _csv(influx_api, **params)
    assert from_influx == await _csv(sqlite_api, **params)
    out = tmp_path / "influx.csv"
    done = _cli(influx_api.url, "--tags", "B101_level,B102_flow", "--start", START, "--end", END, "--out", str(out))
    assert done.returncode == 0, done.stderr.decode()
    assert out.read_bytes() == from_influx
