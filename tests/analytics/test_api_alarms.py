"""``/api/alarms``, ``/api/alarms/{id}/ack`` and ``/api/drift`` on a real service and SQLite historian.

The acknowledging user is the caller (a real users file and API tokens, :mod:`people`), never a
name in the body; each acknowledgement is in the audit trail.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from people import People, make_people
from test_monitoring import LEVEL_EWMA, SEC, SITE, T0, box, samples, service

from analytics.monitoring import MonitoringService
from config_schema.tagmap import load_tagmap
from dashboard.api.app import create_api
from dashboard.services import Services
from historian.sqlite import SqliteHistorian

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Setup:
    client: httpx.AsyncClient
    mon: MonitoringService
    historian: SqliteHistorian
    people: People


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[Setup]:
    people = make_people(tmp_path)
    async with SqliteHistorian(tmp_path / "h.sqlite") as historian:
        mon = service(historian, tmp_path, LEVEL_EWMA)
        state = Services(
            historian=historian,
            tagmaps=[load_tagmap(REPO / "config/tagmaps/mps-pa-sim.yaml")],
            gate=people.gate,
            audit=people.audit,
        )
        state.monitoring = mon
        state.health["monitoring"] = mon.health
        transport = httpx.ASGITransport(app=create_api(state))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Setup(client, mon, historian, people)
        box(mon).close()
    people.close()


async def raise_alarm(mon: MonitoringService, historian: SqliteHistorian) -> None:
    await historian.write(samples("B101_level", [15.0] * 25 + [16.0] * 25, T0))
    await mon.poll_once()


async def test_alarm_list_acknowledge_and_drift(setup: Setup) -> None:
    client, mon, historian, people = setup.client, setup.mon, setup.historian, setup.people
    student = people.bearer("sam")
    assert (await client.get("/api/alarms")).status_code == 401  # no anonymous viewing here
    assert (await client.get("/api/alarms", headers=student)).json() == {"active": [], "recent": []}
    drift = (await client.get("/api/drift", headers=student)).json()
    assert [(d["name"], d["phase"], d["latest"]) for d in drift] == [("level", "monitoring", None)]

    await raise_alarm(mon, historian)
    body = (await client.get("/api/alarms", headers=student)).json()
    [alarm] = body["active"]
    assert alarm["alarm_id"] == alarm["detector"] == "level"
    assert (alarm["state"], alarm["priority"], alarm["rules"]) == ("unack_active", "high", ["limit"])
    assert alarm["rule_texts"] == ["point beyond the control limits"]
    assert alarm["raised_at"].startswith("2023-11-14T22:13:2") and alarm["acknowledged_at"] is None
    assert [e["kind"] for e in body["recent"]] == ["raised"]
    latest = (await client.get("/api/drift", headers=student)).json()[0]["latest"]
    assert latest["alarm"] is True and latest["statistic"] > latest["ucl"]

    anonymous = await client.post("/api/alarms/level/ack", json={"comment": "valve checked"})
    assert anonymous.status_code == 401
    resp = await client.post("/api/alarms/level/ack", json={"comment": "valve checked"}, headers=student)
    assert resp.status_code == 200, resp.text
    assert (resp.json()["state"], resp.json()["acknowledged_by"]) == ("ack_active", "sam")
    again = await client.post("/api/alarms/level/ack", json={}, headers=student)
    assert again.status_code == 409
    assert again.json()["detail"] == "alarm 'level' is ack_active: nothing to acknowledge"
    refused, acked_record = people.audit.query(action="alarm.ack")
    assert (acked_record.user, acked_record.role, acked_record.object) == ("sam", "student", "alarm:level")
    assert (acked_record.reason, acked_record.result) == ("valve checked", "ok")
    assert (refused.user, refused.result) == ("sam", "refused")

    await box(mon).drain(historian)
    events = await historian.events(T0, T0 + 3600 * SEC * 24 * 3650)
    acked = [e for e in events if e.tags["kind"] == "alarm_acknowledged"]
    assert [(e.fields["user"], e.fields["comment"], e.tags["site"]) for e in acked] == [("sam", "valve checked", SITE)]
    health = (await client.get("/api/health")).json()
    assert health["components"]["monitoring"]["detectors"] == 1


async def test_unknown_alarm_is_404_with_the_known_ids(setup: Setup) -> None:
    resp = await setup.client.post("/api/alarms/levl/ack", json={}, headers=setup.people.bearer("ines"))
    assert resp.status_code == 404
    assert resp.json() == {"detail": "unknown alarm 'levl'; alarms: level"}


@pytest.mark.parametrize(
    ("body", "field", "kind"),
    [
        ({"user": "Élise"}, "user", "extra_forbidden"),  # who acknowledges is the caller, not the body
        ({"comment": 5}, "comment", "string_type"),
        ({"comment": "x" * 501}, "comment", "string_too_long"),
        ({"shelve": True}, "shelve", "extra_forbidden"),
    ],
)
async def test_malformed_ack_body_is_422_naming_the_field(
    setup: Setup, body: dict[str, object], field: str, kind: str
) -> None:
    resp = await setup.client.post("/api/alarms/level/ack", json=body, headers=setup.people.bearer("sam"))
    assert resp.status_code == 422
    [error] = resp.json()["detail"]
    assert (error["loc"], error["type"]) == (["body", field], kind)


async def test_not_json_is_422(setup: Setup) -> None:
    headers = {"content-type": "application/json", **setup.people.bearer("sam")}
    resp = await setup.client.post("/api/alarms/level/ack", content=b"user=bob", headers=headers)
    assert resp.status_code == 422
    assert resp.json()["detail"][0]["type"] == "json_invalid"


async def test_without_monitoring_service_the_endpoints_say_so(tmp_path: Path) -> None:
    async with SqliteHistorian(tmp_path / "h.sqlite") as historian:
        app = create_api(Services(historian=historian, tagmaps=[]))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            resp = await client.get("/api/alarms")
    assert resp.status_code == 503
    assert resp.json()["detail"] == "the monitoring service does not run in this process"
