"""The role × action matrix of the README, read from the running application itself.

Every HTTP route declares one access level (:func:`dashboard.api.auth.route_level`), every Dash
page and callback gets its page's level from the guard (:class:`dashboard.auth.dash_guard.DashGuard`),
and every OPC UA method its role (:data:`twin.opcua_methods.METHOD_ROLES`). This module turns
them into rows and a Markdown table; ``tests/dashboard/test_role_matrix.py`` checks each row
against real calls and the README section against :func:`markdown_matrix`, so a new route,
callback or method without a level fails the tests.

Examples
--------
>>> cell("viewer", "anonymous"), cell("student", "student"), cell("instructor", "student"), cell("account", "admin")
('◐', '✓', '✗', '✓')
>>> callback_outputs('..ic-faults.children...ic-clock.children..')
['ic-faults', 'ic-clock']
>>> callback_outputs('{"type":"unit-table","unit":["MATCH"]}.children')
['unit-table']
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dash import Dash
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import Mount, Route

from dashboard.api.app import create_api
from dashboard.api.auth import route_level
from dashboard.app import create_dash
from dashboard.auth.dash_guard import DashGuard
from dashboard.auth.gate import LEVELS
from dashboard.context import DashContext
from dashboard.data import HistorianGateway
from dashboard.services import Services
from twin.faults.service import TwinControl
from twin.opcua_methods import TwinMethods
from twin.plant import build_plant, load_plant, plant_policy, plant_tagmaps, unit_steps
from twin.runtime import TwinRuntime

ROLES = ("anonymous", "student", "instructor", "admin")
#: The least role rank each level needs (anonymous 0, student 1, instructor 2, admin 3).
LEVEL_RANK = {"public": 0, "account": 1, "viewer": 1, "student": 1, "instructor": 2, "admin": 3, "nobody": 99}
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}
#: FastAPI's own documentation routes: the OpenAPI document and its viewers, open to anyone.
DOCS_ROUTES = frozenset({"/api/openapi.json", "/api/docs", "/api/redoc", "/api/docs-assets/redoc.standalone.js"})
#: Dash's page routing callbacks (added at the first request): they render a page's layout,
#: which checks the page's level itself (:func:`dashboard.auth.dash_guard.guard_layout`).
DASH_ROUTING_PREFIX = "_pages_"
#: Callbacks that check a higher level than their page's, inside the callback (first output id -> level, what).
CHECKED_IN_CALLBACK: dict[str, tuple[str, str]] = {
    "ack-result": ("student", "acknowledge an alarm (the alarm page is for viewers; the callback checks the role)"),
}
#: OPC UA actions that are not methods (see :mod:`twin.opcua_users`).
OPCUA_STATIC: tuple[tuple[str, str, str], ...] = (
    ("Browse, read, subscribe", "viewer", "anonymous sessions: `GMP_TWIN_OPCUA_ALLOW_ANONYMOUS`"),
    ("Write an operator-writable tag", "student", "plant file `operator_writable`, default the setpoints"),
    ("Write any other writable tag", "instructor", "modes, outputs; a GMP-critical tag only with WriteWithReason"),
    ("Add or delete nodes and references", "nobody", "refused to every session"),
)


@dataclass(frozen=True)
class Row:
    """One action and the level it needs."""

    channel: str  # "HTTP", "Dash page", "Dash action", "OPC UA"
    action: str
    level: str
    note: str = ""


def cell(level: str, role: str) -> str:
    """``✓`` allowed, ``✗`` refused, ``◐`` anonymous only when a setting opens viewing."""
    if role == "anonymous" and level == "viewer":
        return "◐"
    return "✓" if ROLE_RANK[role] >= LEVEL_RANK[level] else "✗"


# -- HTTP -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class HttpRoute:
    method: str
    path: str
    levels: tuple[str, ...]  # declared levels: exactly one for a well-formed route
    route: APIRoute | None  # None: a FastAPI documentation route


def http_routes(api: FastAPI) -> Iterator[HttpRoute]:
    """Every route of the API app (included routers flattened), with its declared levels.

    ``ValueError`` for a route that is neither an API route nor FastAPI's documentation.
    """
    for context in iter_route_contexts(api.routes):
        route = context.original_route
        path = str(context.path)
        methods = sorted(set(context.methods or ()) - {"HEAD"})
        if isinstance(route, APIRoute):
            for method in methods:
                yield HttpRoute(method, path, tuple(route_level(route)), route)
        elif isinstance(route, Route) and path in DOCS_ROUTES:
            for method in methods:
                yield HttpRoute(method, path, ("public",), None)
        elif isinstance(route, Mount):
            continue  # the Dash app, mounted at /: its pages and callbacks are listed from the guard
        else:
            raise ValueError(f"route {path} ({type(route).__name__}) declares no access level")


def undeclared(api: FastAPI) -> list[str]:
    """API routes without exactly one known level, as ``METHOD /path: levels``."""
    return [
        f"{r.method} {r.path}: {list(r.levels) or 'no level'}"
        for r in http_routes(api)
        if len(r.levels) != 1 or r.levels[0] not in LEVELS
    ]


def http_rows(api: FastAPI) -> list[Row]:
    bad = undeclared(api)
    if bad:
        raise ValueError("routes without exactly one access level: " + "; ".join(bad))
    return [
        Row("HTTP", f"{r.method} {r.path}", r.levels[0], "" if r.route else "API documentation")
        for r in http_routes(api)
    ]


# -- Dash -----------------------------------------------------------------------------------
def dash_guard(dash: Dash) -> DashGuard:
    """The guard :func:`dashboard.app.create_dash` installed."""
    guard = getattr(dash, "gmp_guard", None)
    if not isinstance(guard, DashGuard):
        raise ValueError("this Dash app has no DashGuard: build it with dashboard.app.create_dash")
    return guard


def callback_outputs(key: str) -> list[str]:
    """The output component ids of a callback key as Dash posts it (pattern ids by their ``type``)."""
    parts = key.strip(".").split("...") if key.startswith("..") else [key]
    ids = []
    for part in parts:
        component = part.rsplit(".", 1)[0]
        if component.startswith("{"):
            component = str(json.loads(component).get("type", component))
        if component not in ids:  # a component may be an output twice (value and options)
            ids.append(component)
    return ids


def callback_level(guard: DashGuard, key: str) -> str | None:
    """The level the guard checks for a callback; Dash's own page routing is for viewers."""
    if key in guard.callback_levels:
        return guard.callback_levels[key]
    if callback_outputs(key)[0].startswith(DASH_ROUTING_PREFIX):
        return "viewer"
    return None


def dash_rows(dash: Dash) -> list[Row]:
    """Pages (by path) and callbacks (by their output ids), with levels; ``ValueError`` for one without."""
    guard = dash_guard(dash)
    rows = [Row("Dash page", path, level) for path, level in sorted(guard.page_levels.items())]
    missing = [key for key in dash.callback_map if callback_level(guard, key) is None]
    if missing:
        raise ValueError("Dash callbacks without a level: " + "; ".join(missing))
    for key, level in guard.callback_levels.items():
        outputs = callback_outputs(key)
        rows.append(Row("Dash action", "callback → " + ", ".join(outputs), level))
        finer = CHECKED_IN_CALLBACK.get(outputs[0])
        if finer:
            rows.append(Row("Dash action", finer[1], finer[0]))
    rows.append(Row("Dash action", "Dash's page routing", "viewer", "each page's layout checks the page's level"))
    return rows


# -- OPC UA ---------------------------------------------------------------------------------
def opcua_rows(control: TwinControl | None) -> list[Row]:
    """Reads and writes (from :mod:`twin.opcua_users`), then every method with the role it needs."""
    rows = [Row("OPC UA", action, level, note) for action, level, note in OPCUA_STATIC]
    if control is not None:
        for spec in TwinMethods(control).specs:
            note = "an electronic signature when the plant file says so" if spec.name == "StopScenario" else ""
            rows.append(Row("OPC UA", f"Call Twin/{spec.parent}/{spec.name}", spec.needs, note))
    return rows


# -- the table ------------------------------------------------------------------------------
LEGEND = (
    "✓ allowed · ✗ refused (HTTP 401/403, Dash 401/403, OPC UA BadUserAccessDenied; audited `access.denied`) · "
    "◐ anonymous only when viewing is opened: `GMP_TWIN_ANONYMOUS_VIEW` (HTTP, dashboard; off by default), "
    "`GMP_TWIN_OPCUA_ALLOW_ANONYMOUS` (OPC UA; off in docker-compose). "
    "A user with an unchanged one-time password reaches only the `public` and `account` rows."
)


def all_rows(api: FastAPI, dash: Dash | None = None) -> list[Row]:
    """Every row: HTTP routes, Dash pages and actions, OPC UA (methods when a control service runs)."""
    control = getattr(getattr(api.state, "services", None), "control", None)
    rows = http_rows(api)
    if dash is not None:
        rows += dash_rows(dash)
    return rows + opcua_rows(control)


def markdown_matrix(api: FastAPI, dash: Dash | None = None) -> str:
    """The README's role × action table (between the ``role-matrix`` markers)."""
    lines = [
        "| Channel | Action | Needs | " + " | ".join(ROLES) + " |",
        "|---|---|---|" + "---|" * len(ROLES),
    ]
    for row in all_rows(api, dash):
        action = (
            f"`{row.action}`" if row.channel in ("HTTP", "Dash page") or row.action.startswith("Call ") else row.action
        )
        if row.note:
            action += f" — {row.note}"
        cells = " | ".join(cell(row.level, role) for role in ROLES)
        lines.append(f"| {row.channel} | {action} | {row.level} | {cells} |")
    return "\n".join([*lines, "", LEGEND]) + "\n"


def default_apps(plant: str | Path = "config/plant.yaml") -> tuple[FastAPI, Dash]:
    """The API and Dash apps of ``gmp-twin run`` on ``plant`` (with its control service), for the README.

    Only built, never served: no page or route reads data, so no historian is opened.
    """
    cfg = load_plant(plant)
    units = build_plant(cfg)
    runtime = TwinRuntime(units, unit_dt_s=unit_steps(cfg))
    control = TwinControl(runtime, site=cfg.site, run_id="role-matrix", policy=plant_policy(cfg, units))
    tagmaps = plant_tagmaps(cfg, units, "opc.tcp://127.0.0.1:4840")
    services = Services(historian=None, tagmaps=tagmaps, control=control)  # type: ignore[arg-type]
    loop = asyncio.new_event_loop()  # the gateway's loop; never run, since nothing is read
    try:
        dash = create_dash(DashContext(services, HistorianGateway(None, loop)))  # type: ignore[arg-type]
    finally:
        loop.close()
    return create_api(services), dash


def main(argv: list[str] | None = None) -> int:
    """``python -m gmp_twin.role_matrix [PLANT]``: print the README section for a plant file."""
    args = sys.argv[1:] if argv is None else argv
    api, dash = default_apps(*args[:1])
    sys.stdout.write(markdown_matrix(api, dash))
    return 0


__all__ = [
    "Row",
    "all_rows",
    "callback_outputs",
    "cell",
    "dash_guard",
    "default_apps",
    "http_routes",
    "markdown_matrix",
    "undeclared",
]

if __name__ == "__main__":
    raise SystemExit(main())
