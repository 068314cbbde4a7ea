"""Classroom page: every team plant side by side, one scenario for all or one per team, end all signed.

Registered only in a classroom (``gmp-twin run --teams N``: :attr:`DashContext.classroom`);
elsewhere ``/classroom`` is Dash's 404. It needs the ``instructor`` level (:data:`LEVEL`),
checked server-side by :mod:`dashboard.auth.dash_guard` for the layout and every callback.

One card per team (:mod:`dashboard.classroom_view`): its scenario, active alarms, deviation
reports, OEE and each unit's key values, refreshed every :data:`TICK_MS`, and a link that opens
the other pages on that team's plant (``?team=``). The start and end buttons act on every team
plant through :mod:`dashboard.classroom_state` (each team's own ``TwinControl``, audited as
the logged-in instructor), the same functions as ``/api/classroom``. Ending needs an electronic
signature, made as the instructor console makes it (:func:`dashboard.pages.instructor.sign_stop`).
"""

from __future__ import annotations

import logging
from typing import Any

import dash
from dash import ALL, Dash, Input, Output, State, html

from access import LoginRefused
from audit import AuditUnavailable
from dashboard import classroom_state
from dashboard import classroom_view as view
from dashboard.auth.dash_guard import current_actor, current_principal
from dashboard.auth.gate import LOCAL_CONSOLE
from dashboard.classroom import Classroom
from dashboard.context import DashContext
from dashboard.i18n import colon, t
from dashboard.pages.instructor import refusal_text, sign_stop
from dashboard.shell import Shell

log = logging.getLogger(__name__)

PATH = "/classroom"
PAGE = "classroom"
#: The role the page and all its callbacks need (checked by the Dash guard).
LEVEL = "instructor"
TICK_MS = 2000
SHELL = Shell(PATH, "classroom.title", lang_id="cr-lang", tick_id="cr-tick", tick_ms=TICK_MS)
REFUSALS = (PermissionError, LoginRefused, AuditUnavailable)


def latest(ctx: DashContext) -> classroom_state.Latest:
    """Every team's latest values in one historian query (the team plants share the historian)."""
    return classroom_state.latest_by_unit(ctx.gateway.latest_all())


def page_body(room: Classroom, lang: str, local_console: bool = False) -> list[Any]:
    """Controls, then every team's card (bodies filled by the first tick)."""
    library_error = ""
    try:
        scenarios = classroom_state.scenario_names(room, lang)
    except ValueError as exc:  # a broken file in the library: say which, keep the page usable
        scenarios, library_error = [], str(exc)
    teams = room.names()
    summary = html.P(t("classroom.teams", lang, n=len(teams), run=room.class_run), className="muted")
    controls = view.controls(scenarios, lang, local_console=local_console, library_error=library_error)
    return [summary, *controls, view.cards(teams, lang, scenarios)]


def refresh_bodies(room: Classroom, ctx: DashContext, ids: list[dict[str, str]], lang: str) -> list[Any]:
    """Each card's body, in the order of ``ids`` (the cards in the page)."""
    try:
        values = latest(ctx)
    except Exception as exc:  # the historian is slow or down: the counters still show
        log.warning("classroom: latest query failed: %s", exc)
        values = {}
    controls = classroom_state.control_views(room)
    out: list[Any] = []
    for id_ in ids:
        team = id_["team"]
        if team not in room.teams:
            out.append(dash.no_update)
            continue
        services = room.teams[team]
        state = classroom_state.team_state(team, services, values, controls[team])
        out.append(view.card_body(state, services.tagmaps, lang))
    return out


def start(
    room: Classroom, trigger: Any, common: str | None, picks: dict[str, str | None], hidden: bool, lang: str
) -> str:
    """Start the common scenario on every team (``cr-start-all``) or each team's pick (``cr-start-each``)."""
    if trigger == "cr-start-all" and not common:
        return t("pick_scenario", lang)
    if trigger == "cr-start-each" and not any(picks.values()):
        return t("classroom.pick_each", lang)
    try:
        plan = classroom_state.assignments_for(
            room, common if trigger == "cr-start-all" else None, picks if trigger == "cr-start-each" else None
        )
        result = classroom_state.start_all(room, plan, hidden=hidden, actor=current_actor())
    except REFUSALS as exc:
        return refusal_text(exc, lang)
    except KeyError as exc:
        return str(exc.args[0])
    except ValueError as exc:
        return str(exc)
    return view.result_text(result, "started", lang)


def register(app: Dash, ctx: DashContext) -> None:
    """Register the page and its callbacks in a classroom (drop a stale registration otherwise)."""
    if ctx.classroom is None:
        dash.page_registry.pop(PAGE, None)
        return

    def room() -> Classroom:
        classroom = ctx.classroom
        assert classroom is not None  # registered only in a classroom
        return classroom

    def layout(lang: str | None = None, **_: Any) -> html.Div:
        lang = ctx.lang(lang)
        return SHELL.layout(lang, page_body(room(), lang, current_principal().via == LOCAL_CONSOLE))

    dash.register_page(PAGE, path=PATH, layout=layout, name="classroom.title", title="gmp-twin classroom", order=19)

    @app.callback(
        Output({"type": "cr-body", "team": ALL}, "children"),
        Input("cr-tick", "n_intervals"),
        Input("cr-start-result", "children"),
        Input("cr-end-result", "children"),
        State({"type": "cr-body", "team": ALL}, "id"),
        State("cr-lang", "data"),
    )
    def refresh(_n: int | None, _s: Any, _e: Any, ids: list[dict[str, str]], lang: str) -> list[Any]:
        return refresh_bodies(room(), ctx, ids, lang)

    @app.callback(
        Output("cr-start-result", "children"),
        Input("cr-start-all", "n_clicks"),
        Input("cr-start-each", "n_clicks"),
        State("cr-scenario", "value"),
        State({"type": "cr-assign", "team": ALL}, "value"),
        State({"type": "cr-assign", "team": ALL}, "id"),
        State("cr-hidden", "value"),
        State("cr-lang", "data"),
        prevent_initial_call=True,
    )
    def start_cb(
        _all: int | None,
        _each: int | None,
        common: str | None,
        picked: list[str | None],
        ids: list[dict[str, str]],
        hidden: list[str] | None,
        lang: str,
    ) -> str:
        picks = {id_["team"]: value for id_, value in zip(ids, picked, strict=True)}
        return start(room(), dash.ctx.triggered_id, common, picks, "hidden" in (hidden or []), lang)

    @app.callback(
        Output("cr-end-result", "children"),
        Output("cr-sign-password", "value"),
        Input("cr-end-all", "n_clicks"),
        State("cr-signer", "value"),
        State("cr-sign-password", "value"),
        State("cr-sign-meaning", "value"),
        State("cr-lang", "data"),
        prevent_initial_call=True,
    )
    def end_cb(_n: int | None, signer: str | None, password: str | None, meaning: str | None, lang: str) -> Any:
        try:
            signature = sign_stop(
                ctx.root.gate, current_principal(), signer or "", password or "", meaning or "approved"
            )
            result = classroom_state.end_all(room(), actor=current_actor(), signature=signature)
        except REFUSALS as exc:
            return refusal_text(exc, lang), ""
        text = view.result_text(result, "ended", lang)
        return [
            text,
            html.Br(),
            html.Span(f"{t('signed', lang)}{colon(lang)} {signature.manifestation()}", id="cr-manifestation"),
        ], ""
