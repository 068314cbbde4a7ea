"""Logins, sessions, operator writes, signatures and the audit API over HTTP, with real parts.

A real users file with argon2 hashes and a real audit trail (:mod:`people`), the default
plant file (``config/plant.yaml``: its write policy, GMP-critical tags and signed actions),
the whole API app through httpx's ASGI transport, and cookies kept by the client as a browser would.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from people import PASSWORDS, SETUP, People, make_people
from scenario_texts import LEAK

from access import Principal
from audit import AuditTrail, verify
from dashboard.api.app import create_api
from dashboard.auth.sessions import COOKIE, SessionStore
from dashboard.services import Services
from historian import open_historian
from twin.faults.service import TwinControl
from twin.plant import build_plant, load_plant, plant_policy, unit_steps
from twin.runtime import TwinRuntime

REPO = Path(__file__).resolve().parents[2]
BASE = "http://testserver"


@dataclass
class Site:
    """One HTTP server of the plant: its client (with a cookie jar), users, audit trail and control."""

    client: httpx.AsyncClient
    people: People
    control: TwinControl
    new_client: Callable[[], httpx.AsyncClient]

    async def login(self, name: str, password: str | None = None) -> httpx.Response:
        body = {"username": name, "password": PASSWORDS[name] if password is None else password}
        return await self.client.post("/api/session", json=body)

    def value(self, unit: str, tag: str) -> float:
        return float(self.control.runtime.slots[unit].unit.read()[tag])

    def actions(self, prefix: str) -> list[tuple[str, str, str]]:
        """(action, user, result) of the records whose action starts with ``prefix``, oldest first."""
        return [(r.action, r.user, r.result) for r in self.people.audit.query(action=prefix, newest_first=False)]


def plant_control(root: Path, audit: AuditTrail) -> TwinControl:
    """The default plant (its write policy and signed actions) with a one-scenario library."""
    cfg = load_plant(REPO / "config/plant.yaml")
    units = build_plant(cfg)
    library = root / "scenarios"
    library.mkdir(exist_ok=True)
    (library / "small-leak.yaml").write_text(LEAK)
    runtime = TwinRuntime(units, unit_dt_s=unit_steps(cfg))
    return TwinControl(
        runtime, site=cfg.site, run_id="run-test", scenario_dir=library, audit=audit, policy=plant_policy(cfg, units)
    )


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    people = make_people(tmp_path)
    control = plant_control(tmp_path, people.audit)
    async with open_historian(f"sqlite:///{tmp_path}/h.sqlite") as historian:
        services = Services(historian=historian, tagmaps=[], control=control, gate=people.gate, audit=people.audit)
        app = create_api(services)

        def new_client() -> httpx.AsyncClient:
            return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)

        async with new_client() as client:
            yield Site(client, people, control, new_client)
    people.close()


# -- logins ---------------------------------------------------------------------------------
async def test_login_sets_an_httponly_samesite_cookie_and_the_session_works(site: Site) -> None:
    assert (await site.client.get("/api/tags")).status_code == 401
    resp = await site.login("sam")
    assert resp.status_code == 200, resp.text
    assert resp.json() == {
        "user": "sam",
        "role": "student",
        "display_name": "Sam Martin",
        "must_change_password": False,
        "via": "http",
    }
    cookie = resp.headers["set-cookie"]
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert cookie.startswith(f"{COOKIE}=") and {"httponly", "samesite", "path", "max-age"} <= attributes
    assert "samesite=lax" in cookie.lower() and "secure" not in attributes  # plain HTTP here: no Secure flag
    assert PASSWORDS["sam"] not in cookie and "student" not in cookie  # the cookie is an opaque signed id
    assert (await site.client.get("/api/tags")).status_code == 200
    assert (await site.client.get("/api/session")).json()["user"] == "sam"
    assert site.actions("login") == [("login", "sam", "ok")]


async def test_wrong_password_and_unknown_user_get_the_same_answer(site: Site) -> None:
    wrong = await site.login("sam", "not-sams-password")
    unknown = await site.client.post("/api/session", json={"username": "nobody", "password": "whatever-123"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "unknown user or wrong password"}
    assert COOKIE not in site.client.cookies
    [unknown_rec, wrong_rec] = site.people.audit.query(action="login.failed")
    # The trail tells the instructor why; the caller was told nothing of it.
    assert (wrong_rec.user, wrong_rec.status, wrong_rec.detail) == ("sam", "401", "login refused: wrong password")
    assert (unknown_rec.user, unknown_rec.detail) == ("nobody", "login refused: unknown user")


async def test_five_failures_lock_the_account_even_for_the_right_password(site: Site) -> None:
    codes = [(await site.login("sam", f"guess-{i}")).status_code for i in range(5)]
    assert codes == [401, 401, 401, 401, 429]
    locked = await site.login("sam")  # the right password now: still locked
    assert locked.status_code == 429 and "too many failed logins" in locked.json()["detail"]
    assert COOKIE not in site.client.cookies
    assert site.actions("login") == [("login.failed", "sam", "refused")] * 5 + [
        ("login.locked", "sam", "refused"),
        ("login.failed", "sam", "refused"),
    ]
    assert site.people.audit.query(action="login.failed", limit=1)[0].status == "429"
    other = await site.login("ines")  # another account from the same machine is not locked
    assert other.status_code == 200


async def test_login_form_goes_back_to_next_and_never_to_another_site(site: Site) -> None:
    page = await site.client.get("/login?lang=en&next=/alarms")
    assert page.status_code == 200 and 'name="next" value="/alarms"' in page.text
    refused = await site.client.post("/login", data={"username": "sam", "password": "nope", "next": "/alarms"})
    assert refused.status_code == 401 and 'id="login-error"' in refused.text
    assert COOKIE not in site.client.cookies
    form = {"username": "sam", "password": PASSWORDS["sam"], "next": "/alarms?lang=en", "lang": "en"}
    ok = await site.client.post("/login", data=form)
    assert ok.status_code == 303 and ok.headers["location"] == "/alarms?lang=en"
    assert (await site.client.get("/api/session")).json()["user"] == "sam"
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        async with site.new_client() as other:
            resp = await other.post("/login", data={**form, "next": evil})
            assert resp.status_code == 303 and resp.headers["location"] == "/", evil


async def test_one_time_password_allows_only_the_password_change_until_changed(site: Site) -> None:
    site.people.store.add("tom", "student", actor=SETUP, password="one-time-pw-8841", must_change_password=True)
    form = {"username": "tom", "password": "one-time-pw-8841", "next": "/alarms", "lang": "en"}
    resp = await site.client.post("/login", data=form)
    assert resp.status_code == 303 and resp.headers["location"].startswith("/account/password?lang=en&next=")
    assert (await site.client.get("/api/session")).json()["must_change_password"] is True
    for url in ("/api/tags", "/api/faults", "/api/clock", "/api/scenarios/current"):
        refused = await site.client.get(url)
        assert refused.status_code == 403 and "one-time password" in refused.json()["detail"], url
    write = await site.client.put("/api/units/mps-pa/tags/level_sp", json={"value": 12})
    assert write.status_code == 403
    assert (await site.client.get("/account/password?lang=en")).status_code == 200

    change = {"old_password": "one-time-pw-8841", "new_password": "toms-own-pass-2024", "next": "/alarms"}
    mismatch = await site.client.post("/account/password", data={**change, "new_password2": "other-pass-2024"})
    assert mismatch.status_code == 200 and 'id="password-message"' in mismatch.text
    done = await site.client.post("/account/password", data={**change, "new_password2": "toms-own-pass-2024"})
    assert done.status_code == 303 and done.headers["location"] == "/alarms"
    assert (await site.client.get("/api/session")).json()["must_change_password"] is False
    assert (await site.client.get("/api/tags")).status_code == 200
    assert site.people.store.get("tom").must_change_password is False
    assert ("password.change", "tom", "ok") in site.actions("password")


async def test_logout_ends_the_session_on_the_server(site: Site) -> None:
    await site.login("ines")
    cookie = site.client.cookies[COOKIE]
    assert (await site.client.get("/api/scenarios")).status_code == 200
    out = await site.client.delete("/api/session")
    assert out.json() == {"logged_out": "ines"}
    assert COOKIE not in site.client.cookies
    async with site.new_client() as replay:  # the old cookie, kept by someone, is now worthless
        replay.cookies.set(COOKIE, cookie)
        assert (await replay.get("/api/session")).json()["user"] == "anonymous"
        assert (await replay.get("/api/scenarios")).status_code == 401
    assert ("logout", "ines", "ok") in site.actions("logout")

    await site.login("sam")  # the HTML logout does the same
    cookie = site.client.cookies[COOKIE]
    resp = await site.client.post("/logout")
    assert resp.status_code == 303 and resp.headers["location"] == "/login"
    async with site.new_client() as replay:
        replay.cookies.set(COOKIE, cookie)
        assert (await replay.get("/api/tags")).status_code == 401


async def test_a_forged_or_altered_cookie_is_anonymous(site: Site) -> None:
    await site.login("ada")
    good = site.client.cookies[COOKIE]
    forged = SessionStore("an-attackers-secret-0123456789").open(Principal("ada", "admin"))
    altered = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    for value in (forged, altered, "ada", ""):
        async with site.new_client() as other:
            other.cookies.set(COOKIE, value)
            assert (await other.get("/api/session")).json()["user"] == "anonymous", value
            assert (await other.get("/api/audit")).status_code == 401, value


# -- operator writes ------------------------------------------------------------------------
async def test_student_writes_an_operator_setpoint_audited_old_to_new(site: Site) -> None:
    student = site.people.bearer("sam")
    before = site.value("mps-pa", "level_sp")
    resp = await site.client.put("/api/units/mps-pa/tags/level_sp", json={"value": 12.5}, headers=student)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {
        "unit": "mps-pa",
        "tag": "level_sp",
        "old": before,
        "new": 12.5,
        "reason": "",
        "user": "sam",
    }
    assert site.value("mps-pa", "level_sp") == 12.5
    [record] = site.people.audit.query(action="tag.write")
    assert (record.user, record.role, record.via, record.object, record.unit) == (
        "sam",
        "student",
        "http",
        "mps-pa.level_sp",
        "mps-pa",
    )
    assert (record.old, record.new, record.result, record.status) == (before, 12.5, "ok", "Good")
    anonymous = await site.client.put("/api/units/mps-pa/tags/level_sp", json={"value": 13})
    assert anonymous.status_code == 401 and site.value("mps-pa", "level_sp") == 12.5


async def test_write_refusals_by_policy_and_range(site: Site) -> None:
    student, instructor = site.people.bearer("sam"), site.people.bearer("ines")

    async def put(unit: str, tag: str, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        return await site.client.put(f"/api/units/{unit}/tags/{tag}", json=body, headers=headers)

    out_before = site.value("bioreactor-1", "ph_out")
    refused = await put("bioreactor-1", "ph_out", {"value": 10}, student)
    assert refused.status_code == 403 and "sam (student) may not write bioreactor-1.ph_out" in refused.json()["detail"]
    assert "ph_sp" in refused.json()["detail"]  # names what a student may write
    assert site.value("bioreactor-1", "ph_out") == out_before
    assert (await put("mps-pa", "B101_level", {"value": 3}, instructor)).status_code == 403  # a measurement

    ph_before = site.value("bioreactor-1", "ph_sp")
    no_reason = await put("bioreactor-1", "ph_sp", {"value": 6.9}, student)
    assert no_reason.status_code == 403 and "GMP-critical" in no_reason.json()["detail"]
    blank = await put("bioreactor-1", "ph_sp", {"value": 6.9, "reason": "   "}, instructor)
    assert blank.status_code == 403 and site.value("bioreactor-1", "ph_sp") == ph_before
    why = "deviation DEV-12: raise the pH per the batch record"
    ok = await put("bioreactor-1", "ph_sp", {"value": 6.9, "reason": why}, student)
    assert ok.status_code == 200 and site.value("bioreactor-1", "ph_sp") == 6.9

    high = await put("mps-pa", "level_sp", {"value": 1e6}, student)
    assert high.status_code == 422 and high.json()["detail"][0]["loc"] == ["body", "value"]
    assert (await put("mps-pa", "level_sp", {"value": "high"}, student)).status_code == 422
    assert (await put("mps-pa", "level_sp", {"valeur": 3}, student)).status_code == 422

    records = site.people.audit.query(action="tag.write", newest_first=False)
    assert [(r.object, r.user, r.result, r.status) for r in records] == [
        ("bioreactor-1.ph_out", "sam", "refused", "BadUserAccessDenied"),
        ("mps-pa.B101_level", "ines", "refused", "BadUserAccessDenied"),
        ("bioreactor-1.ph_sp", "sam", "refused", "BadUserAccessDenied"),
        ("bioreactor-1.ph_sp", "ines", "refused", "BadUserAccessDenied"),
        ("bioreactor-1.ph_sp", "sam", "ok", "Good"),
        ("mps-pa.level_sp", "sam", "refused", "BadOutOfRange"),
    ]
    assert (records[4].old, records[4].new, records[4].reason) == (ph_before, 6.9, why)
    assert verify(site.people.audit.path).ok


async def test_a_write_is_refused_when_the_audit_trail_cannot_be_written(site: Site, tmp_path: Path) -> None:
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "audit.sqlite").mkdir()  # a directory where the store should be
    broken = AuditTrail(tmp_path / "broken" / "audit.sqlite")
    site.control.audit = broken
    try:
        before = site.value("mps-pa", "level_sp")
        resp = await site.client.put(
            "/api/units/mps-pa/tags/level_sp", json={"value": before + 3}, headers=site.people.bearer("sam")
        )
        assert resp.status_code == 503
        assert resp.json()["detail"].startswith("change refused: audit trail") and "audit.sqlite" in resp.text
        assert site.value("mps-pa", "level_sp") == before  # never changed without its record
    finally:
        broken.close()


# -- signatures -----------------------------------------------------------------------------
async def test_stopping_a_scenario_needs_the_instructors_signature(site: Site) -> None:
    instructor = site.people.bearer("ines")
    started = await site.client.post("/api/scenarios/small-leak/start", headers=instructor)
    assert started.status_code == 200 and started.json()["state"] == "running"

    unsigned = await site.client.post("/api/scenarios/stop", headers=instructor)
    assert unsigned.status_code == 403 and "electronic signature" in unsigned.json()["detail"]
    wrong = {"signature": {"password": "not-the-password", "meaning": "approved"}}
    bad = await site.client.post("/api/scenarios/stop", json=wrong, headers=instructor)
    assert bad.status_code == 401 and bad.json()["detail"] == "signature refused: unknown user or wrong password"
    meaningless = {"signature": {"password": PASSWORDS["ines"], "meaning": "liked"}}
    assert (await site.client.post("/api/scenarios/stop", json=meaningless, headers=instructor)).status_code == 422
    assert (site.control.scenario_state("instructor") or {}).get("state") == "running"

    signed = {"signature": {"password": PASSWORDS["ines"], "meaning": "approved"}}
    ok = await site.client.post("/api/scenarios/stop", json=signed, headers=instructor)
    assert ok.status_code == 200 and ok.json()["state"] == "stopped"

    assert site.actions("s") == [
        ("scenario.start", "ines", "ok"),
        ("scenario.stop", "ines", "refused"),
        ("signature.failed", "ines", "refused"),
        ("scenario.stop", "ines", "ok"),
    ]
    record = site.people.audit.query(action="scenario.stop", limit=1)[0]
    assert record.signature is not None and record.signature["meaning"] == "approved"
    manifestation = record.signature_manifestation()
    assert manifestation.startswith("Inès Dupont (ines), ") and manifestation.endswith(" UTC, approved")
    shown = (await site.client.get("/api/audit?action=scenario.stop&limit=1", headers=instructor)).json()
    assert shown[0]["manifestation"] == manifestation


# -- the audit trail over HTTP --------------------------------------------------------------
async def test_audit_api_filters_and_exports_for_instructors_only(site: Site) -> None:
    student, instructor = site.people.bearer("sam"), site.people.bearer("ines")
    level_before = site.value("mps-pa", "level_sp")
    await site.client.put("/api/units/mps-pa/tags/level_sp", json={"value": 11}, headers=student)
    await site.client.put("/api/units/mps-pa/tags/flow_sp", json={"value": 2}, headers=instructor)
    await site.client.post("/api/faults", json={"kind": "leak", "target": {"unit": "mps-pa"}, "magnitude": 1},
                           headers=instructor)  # fmt: skip

    refused = await site.client.get("/api/audit", headers=student)
    assert refused.status_code == 403 and "instructor" in refused.json()["detail"]
    assert site.people.audit.query(action="access.denied", limit=1)[0].object == "GET /api/audit"

    by_user = (await site.client.get("/api/audit?user=sam&action=tag", headers=instructor)).json()
    assert [(r["user"], r["object"], r["old"], r["new"]) for r in by_user] == [
        ("sam", "mps-pa.level_sp", level_before, 11.0)
    ]
    by_object = (await site.client.get("/api/audit?object=mps-pa.flow", headers=instructor)).json()
    assert [(r["user"], r["object"]) for r in by_object] == [("ines", "mps-pa.flow_sp")]
    by_unit = (await site.client.get("/api/audit?unit=mps-pa", headers=instructor)).json()
    assert [r["action"] for r in by_unit] == ["fault.inject", "tag.write", "tag.write"]  # newest first
    limited = (await site.client.get("/api/audit?limit=2", headers=site.people.bearer("ada"))).json()
    assert len(limited) == 2 and limited[0]["seq"] > limited[1]["seq"]
    future = (await site.client.get("/api/audit?since=2999-01-01T00:00:00Z", headers=instructor)).json()
    assert future == []

    exported = await site.client.get("/api/audit?format=csv&unit=mps-pa", headers=instructor)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["action"], r["user"], r["object"]) for r in rows] == [
        ("fault.inject", "ines", "fault:leak"),
        ("tag.write", "ines", "mps-pa.flow_sp"),
        ("tag.write", "sam", "mps-pa.level_sp"),
    ]
    assert (await site.client.get("/api/audit?format=xml", headers=instructor)).status_code == 422
    bad_time = await site.client.get("/api/audit?since=yesterday", headers=instructor)
    assert bad_time.status_code == 422 and bad_time.json()["detail"][0]["loc"] == ["query", "since"]


async def test_at_the_local_console_a_named_instructor_signs(site: Site) -> None:
    site.people.gate.local_console = True  # this client is 127.0.0.1: the local console
    assert (await site.client.post("/api/scenarios/small-leak/start")).status_code == 200
    nobody = {"signature": {"password": PASSWORDS["ines"], "meaning": "approved"}}
    refused = await site.client.post("/api/scenarios/stop", json=nobody)
    assert refused.status_code == 403 and "give the signer's user name" in refused.json()["detail"]
    student = {"signature": {"user": "sam", "password": PASSWORDS["sam"], "meaning": "approved"}}
    assert (await site.client.post("/api/scenarios/stop", json=student)).status_code == 403
    named = {"signature": {"user": "ines", "password": PASSWORDS["ines"], "meaning": "reviewed"}}
    ok = await site.client.post("/api/scenarios/stop", json=named)
    assert ok.status_code == 200 and ok.json()["state"] == "stopped"
    record = site.people.audit.query(action="scenario.stop", limit=1)[0]
    assert (record.user, record.via, record.signature and record.signature["user"]) == (
        "local-console",
        "local-console",
        "ines",
    )
