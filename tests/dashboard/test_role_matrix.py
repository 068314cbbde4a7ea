"""The role × action matrix, checked call by call against the running application.

Every HTTP route and every Dash callback is called as anonymous, student, instructor and admin
(API tokens of a real users file, a real audit trail, the default plant with its control and
monitoring services). A call is *refused by the role gate* when it answers 401/403 **and** the
audit trail gains an ``access.denied`` record for it; that must happen exactly for the roles
below the declared level. A route, callback or page without a level fails here, and the README
section between the ``role-matrix`` markers must equal :func:`gmp_twin.role_matrix.markdown_matrix`.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import flask
import httpx
import pytest
from dash import Dash
from people import ROLES, People, make_people

from access import Principal
from analytics.monitoring import MonitoringService
from dashboard.api.app import create_api
from dashboard.api.routers import clock
from dashboard.app import create_dash
from dashboard.context import DashContext
from dashboard.data import HistorianGateway
from dashboard.services import Services
from gmp_twin.role_matrix import (
    DASH_ROUTING_PREFIX,
    LEVEL_RANK,
    ROLE_RANK,
    callback_level,
    callback_outputs,
    dash_guard,
    default_apps,
    http_routes,
    markdown_matrix,
    undeclared,
)
from historian.outbox import Outbox
from historian.sqlite import SqliteHistorian
from twin.faults.service import TwinControl
from twin.plant import build_plant, load_plant, plant_policy, plant_tagmaps, unit_steps
from twin.runtime import TwinRuntime

REPO = Path(__file__).resolve().parents[2]
USER_OF = {role: name for name, role in ROLES.items()}  # student -> sam ...
CALLERS = ("anonymous", "student", "instructor", "admin")
#: Sample values of path parameters (the route must be reached, not succeed).
PATH_VALUES = {
    "unit": "mps-pa",
    "tag": "level_sp",
    "alarm_id": "level",
    "fault_id": "F9",
    "name": "nope",
    "run_id": "nope",
    "hint_id": "nope",
}
START, END = "<!-- role-matrix:start -->", "<!-- role-matrix:end -->"


def should_refuse(level: str, role: str) -> bool:
    """Refused with anonymous viewing off (the default); written out apart from the gate's own rule."""
    return ROLE_RANK[role] < LEVEL_RANK[level]


@dataclass
class Plant:
    api: Any
    dash: Dash
    people: People
    control: TwinControl

    def headers(self, role: str) -> dict[str, str]:
        return {} if role == "anonymous" else self.people.bearer(USER_OF[role])

    def denials(self) -> int:
        return len(self.people.audit.query(action="access.denied", limit=10_000))


@pytest.fixture
async def plant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Plant]:
    monkeypatch.setattr(clock, "SNAPSHOT_DIR", tmp_path / "snapshots")
    people = make_people(tmp_path)
    cfg = load_plant(REPO / "config/plant.yaml")
    units = build_plant(cfg)
    runtime = TwinRuntime(units, unit_dt_s=unit_steps(cfg))
    control = TwinControl(
        runtime, site=cfg.site, run_id="run-matrix", audit=people.audit, policy=plant_policy(cfg, units)
    )
    tagmaps = plant_tagmaps(cfg, units, "opc.tcp://127.0.0.1:4840")
    async with SqliteHistorian(tmp_path / "h.sqlite") as historian:
        outbox = Outbox(tmp_path / "monitor-outbox.sqlite", site=cfg.site, unit="monitoring")
        monitoring = MonitoringService(historian, tagmaps, None, outbox, site=cfg.site)
        services = Services(
            historian=historian,
            tagmaps=tagmaps,
            monitoring=monitoring,
            control=control,
            gate=people.gate,
            audit=people.audit,
        )
        loop = asyncio.get_running_loop()
        dash = create_dash(DashContext(services, HistorianGateway(historian, loop), default_lang="en"))
        yield Plant(create_api(services), dash, people, control)
        outbox.close()
    people.close()


# -- HTTP -----------------------------------------------------------------------------------
async def test_every_route_declares_exactly_one_level_and_the_openapi_document_has_them_all(plant: Plant) -> None:
    assert undeclared(plant.api) == []
    routes = list(http_routes(plant.api))
    api_routes = {(r.method, r.path) for r in routes if r.route is not None and r.route.include_in_schema}
    document = plant.api.openapi()
    operations = {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}
    assert operations == api_routes
    assert len(routes) == len({(r.method, r.path) for r in routes})  # one row per method and path
    assert {r.levels[0] for r in routes} <= set(LEVEL_RANK)


async def test_a_route_without_a_level_is_named(plant: Plant) -> None:
    @plant.api.get("/api/forgotten")
    async def forgotten() -> dict[str, str]:
        return {}

    assert undeclared(plant.api) == ["GET /api/forgotten: no level"]
    with pytest.raises(ValueError, match="GET /api/forgotten"):
        markdown_matrix(plant.api)


async def test_each_route_refuses_exactly_the_roles_below_its_level(plant: Plant) -> None:
    transport = httpx.ASGITransport(app=plant.api)
    mismatches: list[str] = []
    calls = 0
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for route in http_routes(plant.api):
            if route.route is None:
                continue  # FastAPI's documentation routes: no dependency at all
            url = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES[m.group(1)], route.path)
            for role in CALLERS:
                before = plant.denials()
                body: dict[str, Any] | None = {} if route.method in ("POST", "PUT", "DELETE") else None
                resp = await client.request(route.method, url, json=body, headers=plant.headers(role))
                calls += 1
                denied = plant.people.audit.query(action="access.denied", limit=1)
                audited = plant.denials() == before + 1 and denied[0].object == f"{route.method} {url}"
                refused = resp.status_code in (401, 403) and audited
                if refused != should_refuse(route.levels[0], role):
                    mismatches.append(f"{route.method} {url} as {role}: {resp.status_code} {resp.text[:120]}")
                elif refused:
                    expected = 401 if role == "anonymous" else 403
                    if resp.status_code != expected or denied[0].user != (USER_OF.get(role) or "anonymous"):
                        mismatches.append(f"{route.method} {url} as {role}: {resp.status_code}, {denied[0]}")
                assert resp.status_code < 500 or resp.status_code == 503, (route, role, resp.text)
    assert mismatches == []
    assert calls >= 4 * 30


# -- Dash -----------------------------------------------------------------------------------
def test_every_dash_callback_and_page_has_a_level(plant: Plant) -> None:
    server = plant.dash.server.test_client()
    assert server.get("/", headers=plant.headers("student")).status_code == 200  # Dash adds its routing now
    guard = dash_guard(plant.dash)
    missing = [key for key in plant.dash.callback_map if callback_level(guard, key) is None]
    assert missing == []
    internal = [key for key in plant.dash.callback_map if key not in guard.callback_levels]
    assert internal and all(callback_outputs(key)[0].startswith(DASH_ROUTING_PREFIX) for key in internal)
    assert guard.page_levels["/instructor"] == guard.page_levels["/audit"] == "instructor"
    assert guard.page_levels["/alarms"] == "viewer"
    assert {guard.callback_levels[k] for k in guard.callback_levels if callback_outputs(k)[0].startswith("ic-")} == {
        "instructor"
    }


def test_a_dash_callback_without_a_level_is_named(plant: Plant) -> None:
    from dash import Input, Output

    @plant.dash.callback(Output("rogue-out", "children"), Input("rogue-in", "value"))
    def rogue(value: Any) -> Any:
        return value

    with pytest.raises(ValueError, match="rogue-out"):
        markdown_matrix(plant.api, plant.dash)


def test_each_dash_callback_refuses_exactly_the_roles_below_its_level(plant: Plant) -> None:
    guard = dash_guard(plant.dash)
    server = plant.dash.server.test_client()
    mismatches: list[str] = []
    for key, level in guard.callback_levels.items():
        for role in CALLERS:
            before = plant.denials()
            body = {"output": key, "outputs": [], "inputs": [], "state": [], "changedPropIds": []}
            resp = server.post("/_dash-update-component", json=body, headers=plant.headers(role))
            denied = plant.people.audit.query(action="access.denied", limit=1)
            objects = (f"dash callback {key}", "POST /_dash-update-component")  # the latter: not even a viewer
            audited = plant.denials() == before + 1 and denied[0].object in objects
            refused = resp.status_code in (401, 403) and audited
            if refused != should_refuse(level, role):
                mismatches.append(f"{key} as {role}: {resp.status_code}")
            elif refused and denied[0].via != "dash":
                mismatches.append(f"{key} as {role}: audited via {denied[0].via}")
    assert mismatches == []


async def test_each_page_layout_renders_only_for_its_level(plant: Plant) -> None:
    import dash

    guard = dash_guard(plant.dash)
    layouts = {e["path"]: e["layout"] for e in dash.page_registry.values() if e["path"] in guard.page_levels}
    assert set(layouts) == set(guard.page_levels)

    def render(path: str, role: str) -> str:
        # In a worker thread: a page reads the historian through the gateway, on this test's loop.
        with plant.dash.server.test_request_context(path):
            flask.g.gmp_twin_principal = Principal(USER_OF.get(role, "anonymous"), role)
            return str(layouts[path](lang="en"))

    for path in layouts:
        for role in CALLERS:
            forbidden = "'forbidden'" in await asyncio.to_thread(render, path, role)
            assert forbidden == should_refuse(guard.page_levels[path], role), (path, role)


# -- the README -----------------------------------------------------------------------------
def test_readme_matrix_is_the_generated_one() -> None:
    api, dash_app = default_apps(REPO / "config/plant.yaml")
    expected = markdown_matrix(api, dash_app)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    hint = "regenerate it with `.venv/bin/python -m gmp_twin.role_matrix` and paste it between the markers"
    assert START in readme and END in readme, f"README.md has no {START} ... {END} section: {hint}"
    section = readme.split(START, 1)[1].split(END, 1)[0].strip("\n") + "\n"
    assert section == expected, f"README.md's role matrix is out of date: {hint}"
