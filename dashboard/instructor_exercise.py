"""The instructor console's exercise section: the live exercise per team, pushing hints, the signed end.

Below the console's fault and scenario controls (:mod:`dashboard.pages.instructor`), on the same
page: :func:`register` (listed in :data:`dashboard.pages.PAGES` right after the console) wraps the
console's layout to append :func:`section` and adds its callbacks. Where the console is not
registered (no simulation to drive) it adds nothing.

- **Live**: the scenario, its state and elapsed time; per team, the reports filed so far (who,
  unit, tags, cause, time; read-only) and the hints pushed and opened; the limits warnings; once
  ended, a link to the debrief page (``/debrief``).
- **Push a hint** to one team or every team: a scenario hint by id (its text and cost shown), or
  a free text (FR and/or EN) with its cost: ``PlantControl.push_hint``.
- **End the exercise and reveal**, with the electronic signature the console uses to stop a
  scenario (:func:`dashboard.pages.instructor.sign_stop`: password again and a meaning; at the
  local console, the signer's name too): ``PlantControl.end_exercise``.

The teams are those with members in the users file plus those that already reported; in a
classroom the console drives the plant of the team the instructor picked (``?team=``, resolved
per request by :attr:`dashboard.context.DashContext.services`), so only that team is offered.
Every callback here needs the ``instructor`` level (:data:`LEVEL`, checked by the Dash guard on
the server), and every action runs as the logged-in person (``current_actor()``), whose role the
control service checks again and records in the audit trail.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import dash
import flask
from dash import Dash, Input, Output, State, dcc, html

from audit import MEANINGS, Actor, Signature
from dashboard import instructor_exercise_view as view
from dashboard.auth.dash_guard import current_actor, current_principal
from dashboard.auth.gate import LOCAL_CONSOLE
from dashboard.classroom import TEAM_COOKIE, requested_team
from dashboard.context import DashContext
from dashboard.i18n import colon, fmt_number, t
from dashboard.instructor_form import FIELD
from dashboard.pages.instructor import PAGE, REFUSALS, refusal_text, sign_stop, unreachable_text
from dashboard.services import PlantControl

log = logging.getLogger(__name__)

#: The role every callback of this section needs (the console's).
LEVEL = "instructor"
HIDDEN = {**FIELD, "display": "none"}


# -- what the section reads -------------------------------------------------------------------
def plant_team(ctx: DashContext) -> str:
    """In a classroom, the team whose plant this request drives; ``""`` with one plant for every team."""
    room = ctx.classroom
    if room is None or not flask.has_request_context():
        return ""
    request = flask.request
    asked = requested_team(request.args, request.headers.get("Referer"), request.cookies.get(TEAM_COOKIE))
    return room.team_of(current_principal(), asked) or ""


def member_teams(ctx: DashContext) -> list[str]:
    """Teams of the enabled people of the users file (none without a users file)."""
    gate = ctx.root.gate
    users = gate.authenticator.store.users() if gate is not None else []
    return [u.team for u in users if u.team and not u.disabled]


def exercise_of(control: PlantControl | None) -> dict[str, Any] | None:
    """The running (or last) exercise as an instructor sees it; ``None`` without one or out of reach."""
    if control is None:
        return None
    try:
        return control.exercise_state("instructor", "")
    except ConnectionError:
        return None


def teams_of(ctx: DashContext, state: dict[str, Any] | None) -> list[str]:
    return view.team_names(member_teams(ctx), (state or {}).get("reports") or [], plant_team(ctx))


# -- the layout -------------------------------------------------------------------------------
def _field(label: str, control: Any, style: dict[str, str] | None = None) -> html.Div:
    return html.Div([html.Label(label), control], style=style or FIELD)


def push_form(teams: list[str], specs: list[dict[str, Any]], lang: str, every_team: bool) -> list[Any]:
    """Recipient, scenario hint or free text (FR/EN) with its cost, the push button and its result."""
    source = dcc.RadioItems(
        id="ix-hint-kind",
        options=[{"label": t(f"ix.kind.{k}", lang), "value": k} for k in ("scenario", "free")],
        value="scenario",
        inline=True,
    )
    hint = dcc.Dropdown(
        id="ix-hint-id",
        options=view.hint_options(specs, lang),
        placeholder=t("ix.pick_hint", lang),
        style={"minWidth": "260px"},
    )
    text = {
        k: dcc.Input(id=f"ix-hint-{k}", type="text", maxLength=500, className="ack-input wide") for k in ("fr", "en")
    }
    cost = dcc.Input(id="ix-hint-cost", type="number", min=0, step=0.5, value=5, className="ack-input")
    recipients = dcc.Dropdown(
        id="ix-hint-team", options=view.team_options(teams, lang, every_team), style={"minWidth": "200px"}
    )
    return [
        html.H3(t("ix.push_title", lang)),
        html.Div([_field(t("ix.to", lang), recipients), _field(t("ix.kind", lang), source)], className="ack-bar"),
        html.Div(
            [_field(t("ix.scenario_hint", lang), hint), html.Span(id="ix-hint-preview", className="muted")],
            id="ix-hint-scenario-wrap",
            className="ack-bar",
        ),
        html.Div(
            [
                _field(t("ix.text_fr", lang), text["fr"]),
                _field(t("ix.text_en", lang), text["en"]),
                _field(t("ix.cost", lang), cost),
            ],
            id="ix-hint-free-wrap",
            className="ack-bar",
            style={"display": "none"},
        ),
        html.Div(
            [
                html.Button(t("ix.push", lang), id="ix-push", className="ack-btn", type="button"),
                html.Span(id="ix-push-result", className="ack-result", role="status"),
            ],
            className="ack-bar",
        ),
    ]


def end_form(lang: str, local_console: bool) -> html.Fieldset:
    """End and reveal, signed: the password again and a meaning (and at the local console, who signs)."""
    signer = dcc.Input(id="ix-signer", type="text", maxLength=64, className="ack-input", autoComplete="username")
    password = dcc.Input(
        id="ix-sign-password", type="password", maxLength=1024, className="ack-input", autoComplete="current-password"
    )
    meaning = dcc.Dropdown(
        id="ix-sign-meaning",
        options=[{"label": t(f"meaning_{m}", lang), "value": m} for m in MEANINGS],
        value="approved",
        clearable=False,
        style={"minWidth": "180px"},
    )
    fields = [
        _field(t("signer", lang), signer, style=FIELD if local_console else HIDDEN),
        _field(t("password", lang), password),
        _field(t("meaning", lang), meaning),
        html.Button(t("ix.end", lang), id="ix-end", className="ack-btn", type="button"),
    ]
    return html.Fieldset(
        [
            html.Legend(t("ix.end_title", lang)),
            html.P(t("ix.end_help", lang), className="muted"),
            html.Div(fields, className="ack-bar"),
            html.Div(id="ix-end-result", className="ack-result", role="status"),
        ],
        className="signature",
        id="ix-end-form",
    )


def section(ctx: DashContext, lang: str, local_console: bool = False) -> list[Any]:
    """The whole section, filled with the exercise as it is now (the tick keeps it current)."""
    state = exercise_of(ctx.services.plant_control())
    teams = teams_of(ctx, state)
    specs = (state or {}).get("hint_specs") or []
    return [
        dcc.Store(id="ix-seen"),
        html.H2(t("ix.title", lang)),
        html.P(view.summary_text(state, lang), id="ix-summary", className="det-status"),
        html.P(t("ix.plant_of", lang, team=teams[0]), className="muted") if plant_team(ctx) else "",
        html.Div(view.live_view(state, teams, lang, ctx.zone), id="ix-live"),
        *push_form(teams, specs, lang, every_team=not plant_team(ctx)),
        end_form(lang, local_console),
    ]


# -- actions: plain values in, the line to show out -------------------------------------------
def push_hint(control: PlantControl | None, form: dict[str, Any], lang: str, actor: Actor) -> str:
    """Push the form's hint (keys ``team, kind, hint_id, text_fr, text_en, cost``) as ``actor``."""
    if control is None:
        return t("no_control", lang)
    try:
        request = view.hint_request(
            form.get("team"), form.get("kind"), form.get("hint_id"), form.get("text_fr"), form.get("text_en"),
            form.get("cost"),
        )  # fmt: skip
        pushed = control.push_hint(actor=actor, **request)
    except view.FormError as exc:
        return t(str(exc.args[0]), lang)
    except ConnectionError as exc:
        return unreachable_text(exc, lang)
    except REFUSALS as exc:  # includes ExerciseClosed: no exercise running
        return refusal_text(exc, lang)
    except (ValueError, KeyError) as exc:  # the service names the field and the valid choices
        return str(exc.args[0]) if exc.args else str(exc)
    hint = pushed[0]
    team = t("ix.team", lang, team=hint["team"]) if hint.get("team") else t("ix.every_team", lang)
    return t("ix.pushed", lang, id=hint["id"], team=team, cost=fmt_number(float(hint["cost"]), lang))


def end_exercise(
    control: PlantControl | None, sign: Callable[[], Signature], lang: str, actor: Actor
) -> str | list[Any]:
    """End the exercise with the signature ``sign()`` makes; the manifestation and the debrief link."""
    if control is None:
        return t("no_control", lang)
    try:
        signature = sign()
        ended = control.end_exercise(actor=actor, signature=signature)
        state = control.exercise_state("instructor", "") or {}
    except ConnectionError as exc:
        return unreachable_text(exc, lang)
    except REFUSALS as exc:  # a wrong password, no users file, not an instructor, no exercise to end
        return refusal_text(exc, lang)
    except ValueError as exc:
        return str(exc)
    faults = ", ".join(ended.get("revealed") or []) or "—"
    return [
        html.Span(t("ix.ended", lang, scenario=ended.get("scenario", ""), faults=faults)),
        html.Br(),
        html.Span(f"{t('signed', lang)}{colon(lang)} {signature.manifestation()}", id="ix-manifestation"),
        html.Br(),
        html.A(t("ix.debrief", lang), href=view.debrief_href(state, lang), id="ix-debrief"),
    ]


def live_refresh(
    ctx: DashContext, seen: str | None, team_options: Any, hint_options: Any, lang: str
) -> tuple[Any, ...]:
    """Summary line; the per-team body, recipients and scenario hints only when they changed."""
    state = exercise_of(ctx.services.plant_control())
    teams = teams_of(ctx, state)
    stamp = json.dumps([{k: v for k, v in (state or {}).items() if k != "elapsed_s"}, teams], default=str)
    body = dash.no_update if stamp == seen else view.live_view(state, teams, lang, ctx.zone)
    recipients = view.team_options(teams, lang, every_team=not plant_team(ctx))
    hints = view.hint_options((state or {}).get("hint_specs") or [], lang)
    return (
        view.summary_text(state, lang),
        body,
        stamp,
        dash.no_update if recipients == team_options else recipients,
        dash.no_update if hints == hint_options else hints,
    )


# -- registration -----------------------------------------------------------------------------
def register(app: Dash, ctx: DashContext) -> None:
    """Append the section to the console's page and add its callbacks (nothing without a console)."""
    entry = dash.page_registry.get(PAGE)
    if entry is None:
        return
    console_layout = entry["layout"]

    def layout(*args: Any, **kwargs: Any) -> Any:
        frame = console_layout(*args, **kwargs)
        local = current_principal().via == LOCAL_CONSOLE
        frame.children = [*frame.children, *section(ctx, ctx.lang(kwargs.get("lang")), local)]
        return frame

    entry["layout"] = layout
    _callbacks(app, ctx)


def _callbacks(app: Dash, ctx: DashContext) -> None:
    @app.callback(
        Output("ix-summary", "children"),
        Output("ix-live", "children"),
        Output("ix-seen", "data"),
        Output("ix-hint-team", "options"),
        Output("ix-hint-id", "options"),
        Input("ic-tick", "n_intervals"),
        Input("ix-push-result", "children"),
        Input("ix-end-result", "children"),
        State("ix-seen", "data"),
        State("ix-hint-team", "options"),
        State("ix-hint-id", "options"),
        State("ic-lang", "data"),
    )
    def refresh(_n: Any, _p: Any, _e: Any, seen: str | None, teams: Any, hints: Any, lang: str) -> tuple[Any, ...]:
        return live_refresh(ctx, seen, teams, hints, lang)

    @app.callback(
        Output("ix-hint-scenario-wrap", "style"),
        Output("ix-hint-free-wrap", "style"),
        Input("ix-hint-kind", "value"),
    )
    def source(kind: str | None) -> tuple[dict[str, str], dict[str, str]]:
        shown: dict[str, str] = {}
        hidden = {"display": "none"}
        return (hidden, shown) if kind == "free" else (shown, hidden)

    @app.callback(Output("ix-hint-preview", "children"), Input("ix-hint-id", "value"), State("ic-lang", "data"))
    def preview(hint_id: str | None, lang: str) -> str:
        specs = (exercise_of(ctx.services.plant_control()) or {}).get("hint_specs") or []
        return view.hint_preview(specs, hint_id, lang)

    form = ("team", "kind", "hint_id", "text_fr", "text_en", "cost")
    form_ids = ("ix-hint-team", "ix-hint-kind", "ix-hint-id", "ix-hint-fr", "ix-hint-en", "ix-hint-cost")

    @app.callback(
        Output("ix-push-result", "children"),
        Input("ix-push", "n_clicks"),
        *(State(id_, "value") for id_ in form_ids),
        State("ic-lang", "data"),
        prevent_initial_call=True,
    )
    def push(_n: int | None, *values: Any) -> str:
        *fields, lang = values
        return push_hint(ctx.services.plant_control(), dict(zip(form, fields, strict=True)), lang, current_actor())

    @app.callback(
        Output("ix-end-result", "children"),
        Output("ix-sign-password", "value"),
        Input("ix-end", "n_clicks"),
        State("ix-signer", "value"),
        State("ix-sign-password", "value"),
        State("ix-sign-meaning", "value"),
        State("ic-lang", "data"),
        prevent_initial_call=True,
    )
    def end(_n: int | None, signer: str | None, password: str | None, meaning: str | None, lang: str) -> Any:
        principal = current_principal()

        def sign() -> Signature:
            return sign_stop(ctx.root.gate, principal, signer or "", password or "", meaning or "approved")

        result = end_exercise(ctx.services.plant_control(), sign, lang, current_actor())
        return result, ""  # the password field is emptied after every attempt
