"""The dashboard's pure view builders and instructor actions, without a browser or a server."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import dash
import pytest
from people import PASSWORDS, make_people

from access import LoginRefused, Principal
from audit import Actor
from config_schema.tagmap import TagEntry
from dashboard.app import create_dash
from dashboard.context import DashContext
from dashboard.data import HistorianGateway
from dashboard.i18n import t
from dashboard.pages import alarms, audit, instructor, station
from dashboard.services import Services
from historian.base import Sample
from twin.faults.service import TwinControl
from twin.plant import PlantConfig, build_plant
from twin.runtime import TwinRuntime

UTC = ZoneInfo("UTC")


@pytest.fixture
def control() -> TwinControl:
    cfg = PlantConfig.model_validate({"site": "lab", "units": [{"name": "mps-pa", "type": "mps_pa"}]})
    return TwinControl(TwinRuntime(build_plant(cfg)), site="lab", run_id="run-views")


def _ids(component: Any) -> list[Any]:
    """Every id in a Dash component tree, depth first."""
    found = [component.id] if getattr(component, "id", None) is not None else []
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if hasattr(child, "to_plotly_json"):
            found += _ids(child)
    return found


def test_pages_without_services_render_their_shell_and_a_notice() -> None:
    loop = asyncio.new_event_loop()
    try:
        services = Services(historian=None, tagmaps=[])  # type: ignore[arg-type]
        create_dash(DashContext(services, HistorianGateway(None, loop), default_lang="en"))  # type: ignore[arg-type]
        pages = {p["path"]: p["layout"] for p in dash.page_registry.values()}
        spc = pages["/spc"](lang="en")
        assert _ids(spc)[:3] == ["spc-lang", "spc-seen", "spc-tick"]
        assert spc.children[-2].children == "The monitoring service does not run in this process."
        # The callbacks' components stay, hidden (Dash logs an error for a missing one).
        assert spc.children[-1].hidden and all(i in _ids(spc) for i in ("spc-detector", "spc-graph", "spc-alarm-grid"))
        alarms = _ids(pages["/alarms"](lang="en"))
        assert alarms[:4] == ["alarms-lang", "alarms-seen", "ack-version", "alarms-tick"]
        assert "alarm-grid" in alarms
        assert "oee-none" in _ids(pages["/oee"](lang="fr"))
    finally:
        loop.close()


def test_loop_text_and_extend() -> None:
    pv = TagEntry(name="L", node="ns=2;s=L", unit="cm")
    sp = TagEntry(name="SP", node="ns=2;s=SP", unit="cm")
    mode = TagEntry(name="M", node="ns=2;s=M")
    roles = {"pv": pv, "sp": sp, "mode": mode}
    text = station.loop_text("level", roles, {"L": 12.0, "SP": 15.0, "M": 1.0}, "en")
    assert text == "Level: 12.00 cm → Setpoint 15.00 cm · auto"
    data = {"L": [Sample(1_000_000_000, 12.0, 0)], "SP": []}
    extend, newest = station.loop_extend(["L", "SP", ""], data, {"L": 12.0, "SP": 15.0}, 5_000_000_000, UTC)
    assert newest == 1_000_000_000
    assert [len(x) for x in extend["x"]] == [1, 1, 0]  # the setpoint held to now, no output tag
    assert extend["y"] == [[12.0], [15.0], []]


INES = Actor("ines", "instructor", "dash", "127.0.0.1:5")


def test_instructor_actions_refuse_without_the_service() -> None:
    assert instructor.inject_fault(None, {}, False, "en", INES) == instructor.t("no_control", "en")
    assert instructor.clear_faults(None, "ic-clear-all", "en", INES) == instructor.t("no_control", "en")
    assert instructor.drive_clock(None, "ic-pause", None, "en", INES) is dash.no_update


def test_instructor_actions_drive_the_service(control: TwinControl) -> None:
    form = {"unit": "mps-pa", "kind": "sensor_bias", "target": "B101_level", "magnitude": 2.0}
    form |= {"start_s": None, "ramp_s": None, "duration_s": None}
    result = instructor.inject_fault(control, form, hidden=True, lang="en", actor=INES)
    assert result.startswith("Fault injected: "), result
    (fault,) = control.faults("instructor")
    assert fault["hidden"] and fault["target"] == {"unit": "mps-pa", "tag": "B101_level"}
    table, _clock, _scenario, stamp = instructor.console_refresh(control, None, "en")
    assert [row["id"] for row in table] == [fault["id"]] and stamp == [[fault["id"], fault["state"], True]]
    assert instructor.clear_faults(control, {"fault": fault["id"]}, "en", INES).endswith(fault["id"])
    assert instructor.drive_clock(control, "ic-speed", "10", "en", INES) == "×10 · ▶"


def test_console_actions_are_audited_as_the_person_and_refusals_shown(tmp_path: Path) -> None:
    people = make_people(tmp_path)
    try:
        cfg = PlantConfig.model_validate({"site": "lab", "units": [{"name": "mps-pa", "type": "mps_pa"}]})
        control = TwinControl(TwinRuntime(build_plant(cfg)), site="lab", audit=people.audit)
        assert instructor.drive_clock(control, "ic-pause", None, "en", INES) == "×1 · ⏸"
        (record,) = people.audit.query(action="clock.set")
        assert (record.user, record.via, record.new) == ("ines", "dash", {"paused": True})
        # A student's actor is refused by the service (a stop needs a signature); the refusal is shown.
        sam = Actor("sam", "student", "dash")
        text = instructor.drive_scenario(control, "ic-scenario-stop", None, False, "en", sam)
        assert text.startswith("Action refused: scenario.stop needs an electronic signature"), text
        assert people.audit.query(action="scenario.stop")[0].result == "refused"
    finally:
        people.close()


def test_a_signed_stop_at_the_local_console_is_the_named_instructors(tmp_path: Path) -> None:
    people = make_people(tmp_path, local_console=True)
    try:
        console = Principal("local-console", "instructor", "local console", via="local-console", client="127.0.0.1")
        with pytest.raises(PermissionError, match="signer's user name"):
            instructor.sign_stop(people.gate, console, "", PASSWORDS["ines"], "approved")
        with pytest.raises(LoginRefused):
            instructor.sign_stop(people.gate, console, "ines", "wrong-password-1", "approved")
        with pytest.raises(PermissionError, match="sam is student"):
            instructor.sign_stop(people.gate, console, "sam", PASSWORDS["sam"], "approved")
        assert people.audit.query(action="access.denied")[0].user == "sam"
        signature = instructor.sign_stop(people.gate, console, "ines", PASSWORDS["ines"], "reviewed")
        assert (signature.user, signature.printed_name, signature.meaning) == ("ines", "Inès Dupont", "reviewed")
        ines = Principal("ines", "instructor", "Inès Dupont")
        assert instructor.sign_stop(people.gate, ines, "ignored", PASSWORDS["ines"], "approved").user == "ines"
        assert "Signature refused" in instructor.refusal_text(LoginRefused(), "en")
    finally:
        people.close()


def test_target_state_hides_the_target_of_a_unit_wide_fault(control: TwinControl) -> None:
    options, value, label, style, no_magnitude = instructor.target_state(control.catalog(), "mps-pa", "leak", "en")
    assert (options, value, label, style["display"], no_magnitude) == ([], None, "Target", "none", False)
    options, value, *_ = instructor.target_state(control.catalog(), "mps-pa", "sensor_bias", "en")
    assert value is None and "B101_level" in [o["value"] for o in options]


def test_an_anonymous_viewer_may_not_acknowledge_and_the_refusal_is_audited(tmp_path: Path) -> None:
    people = make_people(tmp_path, anonymous_view=True)
    loop = asyncio.new_event_loop()
    try:
        services = Services(historian=None, tagmaps=[], gate=people.gate, audit=people.audit)  # type: ignore[arg-type]
        ctx = DashContext(services, HistorianGateway(None, loop))  # type: ignore[arg-type]
        visitor = Principal("anonymous", "anonymous", via="http", client="10.0.0.9:4242")
        text = alarms.acknowledge_as(ctx, visitor, "level", "", "en")
        assert (
            text == "Action refused: acknowledging needs a login (student role or higher); you are anonymous (visitor)"
        )
        (denied,) = people.audit.query(action="access.denied")
        assert (denied.user, denied.object, denied.status) == ("anonymous", "dash alarm.ack alarm:level", "401")
        # A student gets past the role check (here: no monitoring service in this process).
        sam = Principal("sam", "student", "Sam Martin")
        assert alarms.acknowledge_as(ctx, sam, "level", "", "en") == t("no_monitoring", "en")
    finally:
        loop.close()
        people.close()


def test_the_audit_page_in_french_says_which_zone_the_times_are_typed_in(tmp_path: Path) -> None:
    people = make_people(tmp_path)
    loop = asyncio.new_event_loop()
    try:
        services = Services(historian=None, tagmaps=[], gate=people.gate, audit=people.audit)  # type: ignore[arg-type]
        ctx = DashContext(services, HistorianGateway(None, loop), zone=ZoneInfo("Europe/Paris"))  # type: ignore[arg-type]
        layout = audit.filters_bar(ctx, "fr")
        zone = next(c for c in layout.children if "au-zone" in _ids(c)).children[1]
        assert [o["label"] for o in zone.options] == ["UTC", "heure locale (Europe/Paris)"]
        records = people.audit.query(limit=3)
        headings = [c["headerName"] for c in audit.audit_grid("fr").children[1].columnDefs]
        assert headings[:4] == ["N°", "Heure (UTC)", "Temps simulé (s)", "Utilisateur"]
        assert [row["seq"] for row in audit.audit_rows(records, {"sam": "Sam Martin"}, "fr")] == [
            r.seq for r in records
        ]
        assert records[0].seq > records[-1].seq  # newest first
        with pytest.raises(ValueError, match="yesterday"):
            audit.query_filters({"since": "yesterday"}, None)
    finally:
        loop.close()
        people.close()
