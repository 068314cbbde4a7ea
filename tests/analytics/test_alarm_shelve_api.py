"""``POST /api/alarms/{id}/shelve`` and ``/unshelve``: instructors only, a reason, audited with the user."""

from __future__ import annotations

from pathlib import Path

import httpx
from people import make_people
from test_api_alarms import REPO, raise_alarm
from test_monitoring import LEVEL_EWMA, box, service

from config_schema.tagmap import load_tagmap
from dashboard.api.app import create_api
from dashboard.services import Services
from historian.sqlite import SqliteHistorian


async def test_shelve_is_for_instructors_and_is_audited(tmp_path: Path) -> None:
    people = make_people(tmp_path)
    async with SqliteHistorian(tmp_path / "h.sqlite") as historian:
        mon = service(historian, tmp_path, LEVEL_EWMA)
        tagmaps = [load_tagmap(REPO / "config/tagmaps/mps-pa-sim.yaml")]
        services = Services(historian=historian, tagmaps=tagmaps, monitoring=mon, gate=people.gate, audit=people.audit)
        transport = httpx.ASGITransport(app=create_api(services))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            await raise_alarm(mon, historian)
            body = {"duration_s": 600, "comment": "sensor under maintenance"}
            refused = await client.post("/api/alarms/level/shelve", json=body, headers=people.bearer("sam"))
            assert refused.status_code == 403, refused.text
            assert "needs the instructor role" in refused.json()["detail"]
            no_reason = await client.post(
                "/api/alarms/level/shelve", json={"duration_s": 600}, headers=people.bearer("ines")
            )
            assert no_reason.status_code == 422
            ok = await client.post("/api/alarms/level/shelve", json=body, headers=people.bearer("ines"))
            assert ok.status_code == 200, ok.text
            assert ok.json()["state"] == "shelved"
            active = (await client.get("/api/alarms", headers=people.bearer("sam"))).json()["active"]
            assert active == []  # shelved: not annunciated
            back = await client.post("/api/alarms/level/unshelve", json={}, headers=people.bearer("ada"))
            assert back.status_code == 200 and back.json()["state"] == "unack_active"
        box(mon).close()
    records = people.audit.query(obj="alarm:level", newest_first=False)
    assert [(r.action, r.user, r.result, r.reason) for r in records] == [
        ("alarm.shelve", "ines", "ok", "sensor under maintenance"),
        ("alarm.unshelve", "ada", "ok", ""),
    ]
    denied = people.audit.query(action="access.denied")
    assert [(r.user, r.object) for r in denied] == [("sam", "POST /api/alarms/level/shelve")]
    people.close()
