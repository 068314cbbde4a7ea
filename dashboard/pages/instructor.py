"""Instructor console: inject and clear faults, play scenarios, drive the simulation clock.

The page exists only in instructor mode (``DashContext.instructor``): otherwise it is not
registered, its callbacks do not exist, and ``/instructor`` is Dash's 404. Every action goes
through :class:`twin.faults.service.TwinControl` (``ctx.services.control``), the same layer
as ``/api/faults``, ``/api/scenarios`` and the OPC UA methods; the service marshals the calls
from Dash's worker threads onto the simulation loop. Its error messages are shown verbatim.

The form offers only what the plant has: the kinds valid for the chosen unit, then that kind's
targets (tag, actuator, parameter or machine), from ``TwinControl.catalog()``. The layout is
built by :mod:`dashboard.instructor_form`; each callback below wires one action function of
this module (``inject_fault``, ``clear_faults``...), which takes the service and plain values.
"""

from __future__ import annotations

import math
from typing import Any

import dash
import flask
from dash import ALL, Dash, Input, Output, State, html

from dashboard import instructor_view as view
from dashboard.context import DashContext
from dashboard.i18n import t
from dashboard.instructor_form import FIELD, clock_bar, fault_form, fault_list, scenario_bar
from dashboard.shell import Shell, notice
from twin.faults.service import TwinControl

PATH = "/instructor"
PAGE = "instructor"
SHELL = Shell(PATH, "instructor_title", lang_id="ic-lang", tick_id="ic-tick", stores=("ic-seen",))
NO_CATALOG: dict[str, Any] = {"kinds": {}, "units": {}}


#: Clients allowed to use the console: the twin's own machine. Students reach the same
#: dashboard over the network, and logins are not there yet, so a remote browser gets nothing.
LOCAL_ADDRESSES = frozenset({"127.0.0.1", "::1", "localhost"})


def local_request() -> bool:
    """True outside a request (tests, start-up) or for a browser on this machine."""
    if not flask.has_request_context():
        return True
    return (flask.request.remote_addr or "") in LOCAL_ADDRESSES


def control_of(ctx: DashContext) -> TwinControl | None:
    """The control service of this process, if any, for a local browser only.

    A dashboard-only process has none; a remote browser (a student's) gets none either.
    """
    return ctx.services.control if local_request() else None


def _refusal(lang: str) -> str:
    return t("no_control" if local_request() else "console_local_only", lang)


# -- the page -------------------------------------------------------------------------------
def console_body(control: TwinControl | None, lang: str) -> list[Any]:
    """Clock bar, fault form, fault list and scenario bar; a notice without the service."""
    if control is None:
        return [notice("no_control" if local_request() else "console_local_only", lang, id="ic-no-control")]
    library_error = ""
    try:
        scenarios = control.scenarios(lang)
    except ValueError as exc:  # a broken file in the library: say which, keep the console usable
        scenarios, library_error = [], str(exc)
    current = control.scenario_state("instructor")
    return [
        *clock_bar(control.clock(), lang),
        *fault_form(control.catalog(), lang),
        *fault_list(lang),
        *scenario_bar(scenarios, current, lang, library_error),
    ]


def register(app: Dash, ctx: DashContext) -> None:
    """Register the console and its callbacks, in instructor mode only."""
    if not ctx.instructor:
        # The page registry is process-wide: drop a console an earlier app of this process registered.
        dash.page_registry.pop(PAGE, None)
        return

    def layout(lang: str | None = None, **_: Any) -> html.Div:
        lang = ctx.lang(lang)
        return SHELL.layout(lang, console_body(control_of(ctx), lang))

    dash.register_page(PAGE, path=PATH, layout=layout, name="instructor", title="gmp-twin instructor", order=20)
    _form_callbacks(app, ctx)
    _fault_callbacks(app, ctx)
    _clock_and_scenario_callbacks(app, ctx)


# -- actions: what each callback does, given the service (None: refused) ----------------------
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


def inject_fault(control: TwinControl | None, form: dict[str, Any], hidden: bool, lang: str) -> str:
    """Inject the fault of the form (unit, kind, target, magnitude, start_s, ramp_s, duration_s)."""
    if control is None:
        return _refusal(lang)
    unit, kind = form["unit"], form["kind"]
    if not unit or not kind:
        return t("pick_unit_kind", lang)
    field, _ = view.target_choices(control.catalog(), unit, kind)
    fault = view.fault_request(
        unit, kind, field, form["target"], form["magnitude"], form["start_s"], form["ramp_s"], form["duration_s"]
    )
    try:
        made = control.inject(fault, hidden=hidden)
    except ValueError as exc:
        return str(exc)  # the service's message names the field and the valid options
    return f"{t('injected', lang)}: {made['id']} — {made['description']}"


def clear_faults(control: TwinControl | None, trigger: Any, lang: str) -> str:
    """Clear every live fault (``ic-clear-all``) or the row's fault (``{"fault": id}``)."""
    if control is None:
        return _refusal(lang)
    if trigger == "ic-clear-all":
        ids = control.clear_all()
    else:
        try:
            ids = [control.clear(str(trigger["fault"]))["id"]]
        except KeyError as exc:
            return str(exc.args[0])
    return f"{t('faults_cleared', lang)}: {', '.join(ids)}" if ids else t("nothing_to_clear", lang)


def console_refresh(control: TwinControl | None, seen: Any, lang: str) -> tuple[Any, ...]:
    """Fault table (only when it changed), clock line, scenario line and the table's stamp."""
    if control is None:
        return dash.no_update, dash.no_update, dash.no_update, seen
    faults = control.faults("instructor")
    stamp = view.faults_stamp(faults)
    table = dash.no_update if stamp == seen else view.faults_table(faults, lang)
    scenario = view.scenario_text(control.scenario_state("instructor"), lang)
    return table, view.clock_text(control.clock(), lang), scenario, stamp


def drive_clock(control: TwinControl | None, trigger: Any, speed: str | None) -> Any:
    """Set the speed (``ic-speed``), pause or resume; the new speed and state in one line."""
    if control is None or trigger is None:
        return dash.no_update
    if trigger == "ic-speed" and speed in view.SPEEDS:
        state = control.set_clock(speed=math.inf if speed == "max" else float(speed))
    elif trigger in ("ic-pause", "ic-resume"):
        state = control.set_clock(paused=trigger == "ic-pause")
    else:
        return dash.no_update
    return f"×{view.speed_value(state['speed'])}" + (" · ⏸" if state["paused"] else " · ▶")


def drive_scenario(control: TwinControl | None, trigger: Any, name: str | None, hide: bool, lang: str) -> Any:
    """Start, stop, or hide/reveal the running scenario; its new state in one line."""
    if control is None:
        return _refusal(lang)
    state: dict[str, Any] | None
    try:
        if trigger == "ic-scenario-start":
            if not name:
                return t("pick_scenario", lang)
            state = control.start_scenario(name, hidden=hide)
        elif trigger == "ic-scenario-stop":
            state = control.stop_scenario()
        elif trigger == "ic-scenario-hidden":
            current = control.scenario_state("instructor")
            if current is None or current["state"] != "running":
                return dash.no_update  # the toggle only sets how the next scenario starts
            state = control.hide_scenario(hide)
        else:
            return dash.no_update
    except KeyError as exc:
        return str(exc.args[0])
    except ValueError as exc:  # includes a broken scenario file (ConfigError), named with its line
        return str(exc)
    return view.scenario_text(state, lang)


def _clicked() -> bool:
    # A re-rendered table fires its buttons' callback with n_clicks None: only real clicks count.
    return dash.ctx.triggered_id is not None and bool(dash.ctx.triggered) and bool(dash.ctx.triggered[0].get("value"))


# -- callbacks: ids in, one action, ids out ---------------------------------------------------
def _form_callbacks(app: Dash, ctx: DashContext) -> None:
    def catalog() -> dict[str, Any]:
        control = control_of(ctx)
        return control.catalog() if control else NO_CATALOG

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
        return f"{t('magnitude', lang)}: {view.magnitude_help(catalog(), unit, kind, target, lang)}"


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
        return inject_fault(control_of(ctx), dict(zip(form, fields, strict=True)), "hidden" in (hidden or []), lang)

    @app.callback(
        Output("ic-clear-result", "children"),
        Input("ic-clear-all", "n_clicks"),
        Input({"type": "ic-clear-fault", "fault": ALL}, "n_clicks"),
        State("ic-lang", "data"),
        prevent_initial_call=True,
    )
    def clear(_all: int | None, _rows: list[int | None], lang: str) -> Any:
        if not _clicked():
            return dash.no_update
        return clear_faults(control_of(ctx), dash.ctx.triggered_id, lang)

    @app.callback(
        Output("ic-faults", "children"),
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
        prevent_initial_call=True,
    )
    def clock(speed: str | None, _pause: int | None, _resume: int | None) -> Any:
        return drive_clock(control_of(ctx), dash.ctx.triggered_id, speed)

    @app.callback(
        Output("ic-scenario-result", "children"),
        Input("ic-scenario-start", "n_clicks"),
        Input("ic-scenario-stop", "n_clicks"),
        Input("ic-scenario-hidden", "value"),
        State("ic-scenario", "value"),
        State("ic-lang", "data"),
        prevent_initial_call=True,
    )
    def scenario(_start: int | None, _stop: int | None, hidden: list[str] | None, name: str | None, lang: str) -> Any:
        hide = "hidden" in (hidden or [])
        return drive_scenario(control_of(ctx), dash.ctx.triggered_id, name, hide, lang)
