"""``/api/alarms``, ``/api/alarms/{id}/ack`` and ``/api/drift`` on a real service and SQLite historian."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from test_monitoring import LEVEL_EWMA, SEC, SITE, T0, box, samples, service

from analytics.monitoring import MonitoringService
from config_schema.tagmap import load_tagmap
from dashboard.api.app import create_api
from dashboard.services import Services
from historian.sqlite import SqliteHistorian

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, MonitoringService, SqliteHistorian]]:
    async with SqliteHistorian(tmp_path / "h.sqlite") as historian:
        mon = service(historian, tmp_path, LEVEL_EWMA)
        state = Services(historian=historian, tagmaps=[load_tagmap(REPO / "config/tagmaps/mps-pa-sim.yaml")])
        state.monitoring = mon
        state.health["monitoring"] = mon.health
        transport = httpx.ASGITransport(app=create_api(state))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client, mon, historian
        box(mon).close()


async def raise_alarm(mon: MonitoringService, historian: SqliteHistorian) -> None:
    await historian.write(samples("B101_level", [15.0] * 25 + [16.0] * 25, T0))
    await mon.poll_once()


async def test_alarm_list_acknowledge_and_drift(
    setup: tuple[httpx.AsyncClient, MonitoringService, SqliteHistorian],
) -> None:
    client, mon, historian = setup
    assert (await client.get("/api/alarms")).json() == {"active": [], "recent": []}
    drift = (await client.get("/api/drift")).json()
    assert [(d["name"], d["phase"], d["latest"]) for d in drift] == [("level", "monitoring", None)]

    await raise_alarm(mon, historian)
    body = (await client.get("/api/alarms")).json()
    [alarm] = body["active"]
    assert alarm["alarm_id"] == alarm["detector"] == "level"
    assert (alarm["state"], alarm["priority"], alarm["rules"]) == ("unack_active", "high", ["limit"])
    assert alarm["rule_texts"] == ["point beyond the control limits"]
    assert alarm["raised_at"].startswith("2023-11-14T22:13:2") and alarm["acknowledged_at"] is None
    assert [e["kind"] for e in body["recent"]] == ["raised"]
    latest = (await client.get("/api/drift")).json()[0]["latest"]
    assert latest["alarm"] is True and latest["statistic"] > latest["ucl"]

    resp = await client.post("/api/alarms/level/ack", json={"user": "Élise", "comment": "valve checked"})
    assert resp.status_code == 200, resp.text
    assert (resp.json()["state"], resp.json()["acknowledged_by"]) == ("ack_active", "Élise")
    again = await client.post("/api/alarms/level/ack", json={"user": "Élise"})
    assert again.status_code == 409
    assert again.json()["detail"] == "alarm 'level' is ack_active: nothing to acknowledge"

    await box(mon).drain(historian)
    events = await historian.events(T0, T0 + 3600 * SEC * 24 * 3650)
    acked = [e for e in events if e.tags["kind"] == "alarm_acknowledged"]
    assert [(e.fields["user"], e.fields["comment"], e.tags["site"]) for e in acked] == [
        ("Élise", "valve checked", SITE)
    ]
    health = (await client.get("/api/health")).json()
    assert health["components"]["monitoring"]["detectors"] == 1


async def test_unknown_alarm_is_404_with_the_known_ids(
    setup: tuple[httpx.AsyncClient, MonitoringService, SqliteHistorian],
) -> None:
    client, _, _ = setup
    resp = await client.post("/api/alarms/levl/ack", json={"user": "bob"})
    assert resp.status_code == 404
    assert resp.json() == {"detail": "unknown alarm 'levl'; alarms: level"}


@pytest.mark.parametrize(
    ("body", "field", "kind"),
    [
        ({}, "user", "missing"),
        ({"user": ""}, "user", "string_too_short"),
        ({"user": "x" * 65}, "user", "string_too_long"),
        ({"user": "bob<script>"}, "user", "string_pattern_mismatch"),
        ({"user": "bob", "comment": 5}, "comment", "string_type"),
        ({"user": "bob", "shelve": True}, "shelve", "extra_forbidden"),
    ],
)
async def test_malformed_ack_body_is_422_naming_the_field(
    setup: tuple[httpx.AsyncClient, MonitoringService, SqliteHistorian],
    body: dict[str, object],
    field: str,
    kind: str,
) -> None:
    client, _, _ = setup
    resp = await client.post("/api/alarms/level/ack", json=body)
    assert resp.status_code == 422
    [error] = resp.json()["detail"]
    assert (error["loc"], error["type"]) == (["body", field], kind)


async def test_not_json_is_422(setup: tuple[httpx.AsyncClient, MonitoringService, SqliteHistorian]) -> None:
    client, _, _ = setup
    resp = await client.post("/api/alarms/level/ack", content=b"user=bob", headers={"content-type": "application/json"})
    assert resp.status_code == 422
    assert resp.json()["detail"][0]["type"] == "json_invalid"


async def test_without_monitoring_service_the_endpoints_say_so(tmp_path: Path) -> None:
    async with SqliteHistorian(tmp_path / "h.sqlite") as historian:
        app = create_api(Services(historian=historian, tagmaps=[]))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            resp = await client.get("/api/alarms")
    assert resp.status_code == 503
    assert resp.json()["detail"] == "the monitoring service does not run in this process"
