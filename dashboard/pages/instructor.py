"""Instructor console: inject and clear faults, play scenarios, drive the simulation clock.

The page exists wherever the process drives a simulation (``ctx.services.plant_control()``: the
one it runs, or in the compose split the twin it reaches over OPC UA); without one it is not
registered and ``/instructor`` is Dash's 404. It needs the ``instructor`` level
(:data:`LEVEL`): the guard of :mod:`dashboard.auth.dash_guard` checks it server-side for the
layout and for every callback registered here, whatever the browser shows. A browser on this
machine is the instructor ``local-console`` only with ``--local-console`` (the gate decides).

Every action goes through :class:`dashboard.services.PlantControl` (``plant_control()``), the
same layer as ``/api/faults``, ``/api/scenarios`` and the OPC UA methods, as the logged-in
person (:func:`acting`), and so into the audit trail: in-process :class:`TwinControl`, which
marshals the calls from Dash's worker threads onto the simulation loop, or
:class:`dashboard.remote_control.RemoteControl`, whose twin checks the person's role again in
its own users file and records them "via dashboard". Its error messages are shown verbatim; a
refusal (role, signature, an audit trail that cannot be written) is shown translated, and a twin
that cannot be reached (``ConnectionError``) says so instead of failing the callback.

Stopping a scenario needs an electronic signature when the plant file says so (the default):
the password again and a meaning, checked by :meth:`access.Authenticator.sign`
(:func:`sign_stop`). At the local console, where nobody is logged in, the signer types their
user name too and must be an instructor; the signature is theirs.

The form offers only what the plant has: the kinds valid for the chosen unit, then that kind's
targets (tag, actuator, parameter or machine), from ``TwinControl.catalog()``. The layout is
built by :mod:`dashboard.instructor_form`; each callback below wires one action function of
this module (``inject_fault``, ``clear_faults``...), which takes the service and plain values.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import dash
from dash import Dash, Input, Output, State, html

from access import LoginRefused, Principal
from audit import Actor, AuditUnavailable, Signature
from dashboard import instructor_view as view
from dashboard.auth.dash_guard import current_actor, current_principal
from dashboard.auth.gate import LOCAL_CONSOLE, Gate
from dashboard.context import DashContext
from dashboard.i18n import colon, t
from dashboard.instructor_form import FIELD, clock_bar, fault_form, fault_list, scenario_bar
from dashboard.services import PlantControl
from dashboard.shell import Shell, notice

PATH = "/instructor"
PAGE = "instructor"
#: The role the page and all its callbacks need (checked by the Dash guard).
LEVEL = "instructor"
SHELL = Shell(PATH, "instructor_title", lang_id="ic-lang", tick_id="ic-tick", stores=("ic-seen",))
NO_CATALOG: dict[str, Any] = {"kinds": {}, "units": {}}
#: What a refused action raises: the role or a missing signature, a wrong signature password,
#: an audit trail that cannot be written (the change is then not made).
REFUSALS = (PermissionError, LoginRefused, AuditUnavailable)


def control_of(ctx: DashContext) -> PlantControl | None:
    """Who drives the plant: this process's simulation, or the twin over OPC UA (``None``: neither)."""
    return ctx.services.plant_control()


def unreachable_text(exc: ConnectionError, lang: str) -> str:
    """The twin of the compose split cannot be reached (its OPC UA server is down or restarting).

    >>> unreachable_text(ConnectionError("the twin at opc.tcp://twin:4840 is unreachable"), "en")[:28]
    'The twin cannot be reached, '
    """
    return t("twin_unreachable", lang, reason=str(exc))


def acting() -> Actor:
    """The audit actor of the person using the console (the local console keeps its own channel)."""
    return current_actor()


def refusal_text(exc: Exception, lang: str) -> str:
    """A refusal, translated: the signature, the audit trail, or the role (the reason verbatim).

    >>> refusal_text(PermissionError("sam (student) may not"), "en")
    'Action refused: sam (student) may not'
    >>> refusal_text(LoginRefused(), "fr")
    'Signature refusée : unknown user or wrong password'
    """
    if isinstance(exc, LoginRefused):
        return t("signature_refused", lang).format(reason=exc)
    if isinstance(exc, AuditUnavailable):
        return t("audit_refused", lang).format(reason=exc)
    return t("not_allowed", lang).format(reason=exc)


def sign_stop(gate: Gate | None, principal: Principal, signer: str, password: str, meaning: str) -> Signature:
    """The signature of the person stopping a scenario (Part 11 §11.50, §11.200).

    A logged-in instructor signs as themselves. At the local console nobody is logged in, so
    ``signer`` names the instructor who signs; their password is checked first (a wrong one is
    refused the same way for an unknown name), then their role.

    Raises
    ------
    LoginRefused
        Wrong password or lockout (audited ``signature.failed``).
    PermissionError
        No users in this process, no signer named, or the signer is not an instructor.
    """
    if gate is None:
        raise PermissionError("no users file in this process: nobody can sign")
    if principal.via != LOCAL_CONSOLE:
        principal = replace(principal, via="dash")
    return gate.sign(principal, password, meaning, signer if principal.via == LOCAL_CONSOLE else "")


# -- the page -------------------------------------------------------------------------------
def console_body(control: PlantControl | None, lang: str, local_console: bool = False) -> list[Any]:
    """Clock bar, fault form, fault list and scenario bar; a notice without the service or the twin."""
    if control is None:
        return [notice("no_control", lang, id="ic-no-control")]
    library_error = ""
    try:
        try:
            scenarios = control.scenarios(lang)
        except ValueError as exc:  # a broken file in the library: say which, keep the console usable
            scenarios, library_error = [], str(exc)
        current = control.scenario_state("instructor")
        signed = control.policy.needs_signature("scenario.stop")
        clock, catalog = control.clock(), control.catalog()
    except ConnectionError as exc:
        return [html.P(unreachable_text(exc, lang), className="notice", id="ic-no-control")]
    return [
        *clock_bar(clock, lang),
        *fault_form(catalog, lang),
        *fault_list(lang),
        *scenario_bar(scenarios, current, lang, library_error, needs_signature=signed, local_console=local_console),
    ]


def register(app: Dash, ctx: DashContext) -> None:
    """Register the console and its callbacks where the process drives a simulation (its own or the twin's)."""
    if ctx.services.plant_control() is None:
        # The page registry is process-wide: drop a console an earlier app of this process registered.
        dash.page_registry.pop(PAGE, None)
        return

    def layout(lang: str | None = None, **_: Any) -> html.Div:
        lang = ctx.lang(lang)
        local = current_principal().via == LOCAL_CONSOLE
        return SHELL.layout(lang, console_body(control_of(ctx), lang, local))

    dash.register_page(PAGE, path=PATH, layout=layout, name="instructor", title="gmp-twin instructor", order=20)
    _form_callbacks(app, ctx)
    _fault_callbacks(app, ctx)
    _clock_and_scenario_callbacks(app, ctx)


# -- actions: what each callback does, given the service (None: refused) and who acts ---------
def target_state(catalog: dict[str, Any], unit: str | None, kind: str | None, lang: str) -> tuple[Any, ...]:
    """Target options, the value picked for the instructor, the target label, its style, magnitude disabled."""
    field, choices = view.target_choices(catalog, unit, kind) if unit and kind else (None, [])
    options = [
        {"label": f"* ({t('all_tags', lang)})" if value == view.ALL_TAGS else label, "value": value}
        for value, label in choices
    ]
    # One choice (or "every tag" first for communication faults) is picked for the instructor.
    value = choices[0][0] if len(choices) == 1 or (choices and choices[0][0] == view.ALL_TAGS) else None
    info = catalog["kinds"].get(kind or "", {})
    no_magnitude = bool(info) and not info["needs_magnitude"]
    style = FIELD if field else {**FIELD, "display": "none"}
    return options, value, t(field, lang) if field else t("target", lang), style, no_magnitude


def inject_fault(control: PlantControl | None, form: dict[str, Any], hidden: bool, lang: str, actor: Actor) -> str:
    """Inject the fault of the form (unit, kind, target, magnitude, start_s, ramp_s, duration_s)."""
    if control is None:
        return t("no_control", lang)
    unit, kind = form["unit"], form["kind"]
    if not unit or not kind:
        return t("pick_unit_kind", lang)
    try:
        field, _ = view.target_choices(control.catalog(), unit, kind)
        fault = view.fault_request(
            unit, kind, field, form["target"], form["magnitude"], form["start_s"], form["ramp_s"], form["duration_s"]
        )
        made = control.inject(fault, hidden=hidden, actor=actor)
    except ConnectionError as exc:
        return unreachable_text(exc, lang)
    except REFUSALS as exc:
        return refusal_text(exc, lang)
    except ValueError as exc:
        return str(exc)  # the service's message names the field and the valid options
    return f"{t('injected', lang)}{colon(lang)} {made['id']} — {made['description']}"


def clear_faults(control: PlantControl | None, trigger: Any, lang: str, actor: Actor) -> str:
    """Clear every live fault (``ic-clear-all``) or the row's fault (``{"fault": id}``)."""
    if control is None:
        return t("no_control", lang)
    try:
        if trigger == "ic-clear-all":
            ids = control.clear_all(actor=actor)
        else:
            ids = [control.clear(str(trigger["fault"]), actor=actor)["id"]]
    except ConnectionError as exc:
        return unreachable_text(exc, lang)
    except REFUSALS as exc:
        return refusal_text(exc, lang)
    except KeyError as exc:
        return str(exc.args[0])
    return f"{t('faults_cleared', lang)}{colon(lang)} {', '.join(ids)}" if ids else t("nothing_to_clear", lang)


def console_refresh(control: PlantControl | None, seen: Any, lang: str) -> tuple[Any, ...]:
    """Fault rows (only when they changed), clock line, scenario line and the table's stamp.

    A twin out of reach keeps the last rows and says so on the clock line until it answers again.
    """
    if control is None:
        return dash.no_update, dash.no_update, dash.no_update, seen

    def read() -> tuple[list[dict[str, Any]], dict[str, Any] | None, dict[str, Any]]:
        return control.faults("instructor"), control.scenario_state("instructor"), control.clock()

    try:
        # One hop onto the plant's loop for the three reads (each would wait behind its ticks).
        call = getattr(control, "call", None)
        faults, state, clock_state = call(read) if call is not None else read()
        scenario = view.scenario_text(state, lang)
        clock = view.clock_text(clock_state, lang)
    except ConnectionError as exc:
        return dash.no_update, unreachable_text(exc, lang), dash.no_update, seen
    stamp = view.faults_stamp(faults)
    table = dash.no_update if stamp == seen else view.faults_rows(faults, lang)
    return table, clock, scenario, stamp


def drive_clock(control: PlantControl | None, trigger: Any, speed: str | None, lang: str, actor: Actor) -> Any:
    """Set the speed (``ic-speed``), pause or resume; the new speed and state in one line."""
    if control is None or trigger is None:
        return dash.no_update
    try:
        if trigger == "ic-speed" and speed in view.SPEEDS:
            state = control.set_clock(speed=math.inf if speed == "max" else float(speed), actor=actor)
        elif trigger in ("ic-pause", "ic-resume"):
            state = control.set_clock(paused=trigger == "ic-pause", actor=actor)
        else:
            return dash.no_update
    except ConnectionError as exc:
        return unreachable_text(exc, lang)
    except REFUSALS as exc:
        return refusal_text(exc, lang)
    return f"×{view.speed_value(state['speed'])}" + (" · ⏸" if state["paused"] else " · ▶")


def drive_scenario(
    control: PlantControl | None,
    trigger: Any,
    name: str | None,
    hide: bool,
    lang: str,
    actor: Actor,
    sign: Callable[[], Signature] | None = None,
) -> Any:
    """Start, stop, or hide/reveal the running scenario; its new state in one line.

    ``sign`` makes the signature of a stop (a callable with no argument returning a
    :class:`audit.Signature`, or ``None`` for none); the stop's line then shows its manifestation.
    """
    if control is None:
        return t("no_control", lang)
    state: dict[str, Any] | None
    signature: Signature | None = None
    try:
        if trigger == "ic-scenario-start":
            if not name:
                return t("pick_scenario", lang)
            state = control.start_scenario(name, hidden=hide, actor=actor)
        elif trigger == "ic-scenario-stop":
            signature = sign() if sign is not None else None
            state = control.stop_scenario(actor=actor, signature=signature)
        elif trigger == "ic-scenario-hidden":
            current = control.scenario_state("instructor")
            if current is None or current["state"] != "running":
                return dash.no_update  # the toggle only sets how the next scenario starts
            state = control.hide_scenario(hide, actor=actor)
        else:
            return dash.no_update
    except ConnectionError as exc:
        return unreachable_text(exc, lang)
    except REFUSALS as exc:
        return refusal_text(exc, lang)
    except KeyError as exc:
        return str(exc.args[0])
    except ValueError as exc:  # includes a broken scenario file (ConfigError), named with its line
        return str(exc)
    text = view.scenario_text(state, lang)
    if signature is None:
        return text
    return [
        text,
        html.Br(),
        html.Span(f"{t('signed', lang)}{colon(lang)} {signature.manifestation()}", id="ic-manifestation"),
    ]


def _needs_signature(control: PlantControl, action: str) -> bool:
    try:
        return control.policy.needs_signature(action)
    except ConnectionError:  # the action itself will say the twin is out of reach
        return False


def _clicked() -> bool:
    # A re-rendered table fires its buttons' callback with n_clicks None: only real clicks count.
    return dash.ctx.triggered_id is not None and bool(dash.ctx.triggered) and bool(dash.ctx.triggered[0].get("value"))


# -- callbacks: ids in, one action, ids out ---------------------------------------------------
def _form_callbacks(app: Dash, ctx: DashContext) -> None:
    def catalog() -> dict[str, Any]:
        control = control_of(ctx)
        try:
            return control.catalog() if control else NO_CATALOG
        except ConnectionError:  # the twin is out of reach: nothing to offer until it answers
            return NO_CATALOG

    @app.callback(Output("ic-kind", "options"), Output("ic-kind", "value"), Input("ic-unit", "value"))
    def kinds(unit: str | None) -> tuple[list[str], None]:
        return (view.unit_kinds(catalog(), unit) if unit else []), None

    @app.callback(
        Output("ic-target", "options"),
        Output("ic-target", "value"),
        Output("ic-target-label", "children"),
        Output("ic-target-wrap", "style"),
        Output("ic-magnitude", "disabled"),
        Input("ic-unit", "value"),
        Input("ic-kind", "value"),
        State("ic-lang", "data"),
    )
    def targets(unit: str | None, kind: str | None, lang: str) -> tuple[Any, ...]:
        return target_state(catalog(), unit, kind, lang)

    @app.callback(
        Output("ic-magnitude-help", "children"),
        Input("ic-unit", "value"),
        Input("ic-kind", "value"),
        Input("ic-target", "value"),
        State("ic-lang", "data"),
    )
    def magnitude_help(unit: str | None, kind: str | None, target: str | None, lang: str) -> str:
        if not unit or not kind:
            return t("pick_unit_kind", lang)
        return f"{t('magnitude', lang)}{colon(lang)} {view.magnitude_help(catalog(), unit, kind, target, lang)}"


def _fault_callbacks(app: Dash, ctx: DashContext) -> None:
    form = ("unit", "kind", "target", "magnitude", "start_s", "ramp_s", "duration_s")
    form_ids = ("ic-unit", "ic-kind", "ic-target", "ic-magnitude", "ic-start", "ic-ramp", "ic-duration")

    @app.callback(
        Output("ic-fault-result", "children"),
        Input("ic-inject", "n_clicks"),
        *(State(id_, "value") for id_ in form_ids),
        State("ic-fault-hidden", "value"),
        State("ic-lang", "data"),
        prevent_initial_call=True,
    )
    def inject(_n: int | None, *values: Any) -> str:
        *fields, hidden, lang = values
        request = dict(zip(form, fields, strict=True))
        return inject_fault(control_of(ctx), request, "hidden" in (hidden or []), lang, acting())

    @app.callback(
        Output("ic-clear-result", "children"),
        Input("ic-clear-all", "n_clicks"),
        Input("ic-faults-table", "cellRendererData"),
        State("ic-lang", "data"),
        prevent_initial_call=True,
    )
    def clear(_all: int | None, row: dict[str, Any] | None, lang: str) -> Any:
        if not _clicked():
            return dash.no_update
        # A row's Clear button reports its fault id through the grid's cellRendererData.
        trigger = dash.ctx.triggered_id
        target = {"fault": str(row["value"])} if trigger == "ic-faults-table" and row else trigger
        return clear_faults(control_of(ctx), target, lang, acting())

    @app.callback(
        Output("ic-faults-table", "rowData"),
        Output("ic-clock", "children"),
        Output("ic-scenario-state", "children"),
        Output("ic-seen", "data"),
        Input("ic-tick", "n_intervals"),
        Input("ic-fault-result", "children"),
        Input("ic-clear-result", "children"),
        Input("ic-scenario-result", "children"),
        Input("ic-clock-result", "children"),
        State("ic-seen", "data"),
        State("ic-lang", "data"),
    )
    def refresh(_n: int | None, _f: Any, _c: Any, _s: Any, _k: Any, seen: Any, lang: str) -> tuple[Any, ...]:
        return console_refresh(control_of(ctx), seen, lang)


def _clock_and_scenario_callbacks(app: Dash, ctx: DashContext) -> None:
    @app.callback(
        Output("ic-clock-result", "children"),
        Input("ic-speed", "value"),
        Input("ic-pause", "n_clicks"),
        Input("ic-resume", "n_clicks"),
        State("ic-lang", "data"),
        prevent_initial_call=True,
    )
    def clock(speed: str | None, _pause: int | None, _resume: int | None, lang: str) -> Any:
        return drive_clock(control_of(ctx), dash.ctx.triggered_id, speed, lang, acting())

    @app.callback(
        Output("ic-scenario-result", "children"),
        Output("ic-sign-password", "value"),
        Input("ic-scenario-start", "n_clicks"),
        Input("ic-scenario-stop", "n_clicks"),
        Input("ic-scenario-hidden", "value"),
        State("ic-scenario", "value"),
        State("ic-signer", "value"),
        State("ic-sign-password", "value"),
        State("ic-sign-meaning", "value"),
        State("ic-lang", "data"),
        prevent_initial_call=True,
    )
    def scenario(
        _start: int | None,
        _stop: int | None,
        hidden: list[str] | None,
        name: str | None,
        signer: str | None,
        password: str | None,
        meaning: str | None,
        lang: str,
    ) -> tuple[Any, str]:
        hide = "hidden" in (hidden or [])
        principal = current_principal()
        control = control_of(ctx)
        sign: Callable[[], Signature] | None = None
        # Sign when the plant file asks for it, or when the instructor typed a password anyway.
        if control is not None and (password or _needs_signature(control, "scenario.stop")):

            def sign_now() -> Signature:
                gate = ctx.services.gate
                return sign_stop(gate, principal, signer or "", password or "", meaning or "approved")

            sign = sign_now

        result = drive_scenario(control, dash.ctx.triggered_id, name, hide, lang, acting(), sign)
        return result, ""  # the password field is emptied after every action
