"""Instructor console: inject and clear faults, play scenarios, drive the simulation clock.

The page exists only in instructor mode (``DashContext.instructor``): otherwise it is not
registered, its callbacks do not exist, and ``/instructor`` is Dash's 404. Every action goes
through :class:`twin.faults.service.TwinControl` (``ctx.services["control"]``), the same layer
as ``/api/faults``, ``/api/scenarios`` and the OPC UA methods; the service marshals the calls
from Dash's worker threads onto the simulation loop. Its error messages are shown verbatim.

The form offers only what the plant has: the kinds valid for the chosen unit, then that kind's
targets (tag, actuator, parameter or machine), from ``TwinControl.catalog()``.
"""

from __future__ import annotations

import math
from typing import Any

import dash
import flask
from dash import ALL, Dash, Input, Output, State, dcc, html

from dashboard import instructor_view as view
from dashboard.context import DashContext, header
from dashboard.i18n import t
from twin.faults.service import TwinControl

PATH = "/instructor"
PAGE = "instructor"
TICK_MS = 1000


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
    control = ctx.services.get("control")
    if not isinstance(control, TwinControl) or not local_request():
        return None
    return control


def _refusal(lang: str) -> str:
    return t("no_control" if local_request() else "console_local_only", lang)


# Inline sizes: the console adds no rule to the shared stylesheet.
FIELD = {"display": "flex", "flexDirection": "column", "gap": "2px"}
SELECT = {"minWidth": "240px"}


def _field(label: Any, control: Any, **kwargs: Any) -> html.Div:
    return html.Div([label if not isinstance(label, str) else html.Label(label), control], style=FIELD, **kwargs)


def _number(label: str, id_: str, **kwargs: Any) -> html.Div:
    number = dcc.Input(id=id_, type="number", className="ack-input", style={"width": "140px"}, **kwargs)
    return _field(html.Label(label, htmlFor=id_), number)


def _layout(ctx: DashContext, control: TwinControl | None, lang: str) -> html.Div:
    if control is None:
        reason = "no_control" if local_request() else "console_local_only"
        body: list[Any] = [html.P(t(reason, lang), className="notice", id="ic-no-control")]
    else:
        catalog = control.catalog()
        clock = control.clock()
        library_error = ""
        try:
            scenarios = control.scenarios(lang)
        except ValueError as exc:  # a broken file in the library: say which, keep the console usable
            scenarios, library_error = [], str(exc)
        current = control.scenario_state("instructor")
        body = [
            html.H2(t("clock", lang)),
            html.Div(
                [
                    html.Div(view.clock_text(clock, lang), id="ic-clock", className="det-status"),
                    dcc.RadioItems(
                        id="ic-speed",
                        options=[{"label": f"×{s}" if s != "max" else "max", "value": s} for s in view.SPEEDS],
                        value=view.speed_value(clock["speed"]),
                        inline=True,
                    ),
                    html.Button(t("pause", lang), id="ic-pause", className="ack-btn"),
                    html.Button(t("resume", lang), id="ic-resume", className="ack-btn"),
                    html.Span(id="ic-clock-result", className="ack-result"),
                ],
                className="ack-bar",
            ),
            html.H2(t("inject_fault", lang)),
            html.Div(
                [
                    _field(
                        t("equipment", lang),
                        dcc.Dropdown(id="ic-unit", options=list(catalog["units"]), clearable=False, style=SELECT),
                    ),
                    _field(
                        t("fault_kind", lang), dcc.Dropdown(id="ic-kind", options=[], clearable=False, style=SELECT)
                    ),
                    _field(
                        html.Label(t("target", lang), id="ic-target-label"),
                        dcc.Dropdown(
                            id="ic-target",
                            options=[],
                            placeholder=t("pick_target", lang),
                            clearable=False,
                            style=SELECT,
                        ),
                        id="ic-target-wrap",
                    ),
                    _number(t("magnitude", lang), "ic-magnitude"),
                    _number(t("start_delay", lang), "ic-start", min=0, value=0),
                    _number(t("ramp", lang), "ic-ramp", min=0, value=0),
                    _number(t("duration", lang), "ic-duration", min=0),
                    dcc.Checklist(
                        id="ic-fault-hidden", options=[{"label": t("hide_from_students", lang), "value": "hidden"}]
                    ),
                ],
                className="ack-bar",
            ),
            html.Div(id="ic-magnitude-help", className="muted"),
            html.Div(
                [
                    html.Button(t("inject", lang), id="ic-inject", className="ack-btn"),
                    html.Button(t("clear_all", lang), id="ic-clear-all", className="ack-btn"),
                    html.Span(id="ic-fault-result", className="ack-result"),
                ],
                className="ack-bar",
            ),
            html.H2(t("injected_faults", lang)),
            html.Div(id="ic-faults"),
            html.Span(id="ic-clear-result", className="ack-result"),
            html.H2(t("scenarios", lang)),
            html.Div(
                [
                    dcc.Dropdown(
                        id="ic-scenario",
                        options=[{"label": f"{s['title']} ({s['name']})", "value": s["name"]} for s in scenarios],
                        placeholder=t("pick_scenario", lang) if scenarios else t("no_scenarios", lang),
                        style={"minWidth": "420px"},
                    ),
                    dcc.Checklist(
                        id="ic-scenario-hidden",
                        options=[{"label": t("scenario_hidden", lang), "value": "hidden"}],
                        value=["hidden"] if current and current["hidden"] else [],
                    ),
                    html.Button(t("start", lang), id="ic-scenario-start", className="ack-btn"),
                    html.Button(t("stop", lang), id="ic-scenario-stop", className="ack-btn"),
                    html.Span(id="ic-scenario-result", className="ack-result"),
                ],
                className="ack-bar",
            ),
            html.Div(view.scenario_text(current, lang), id="ic-scenario-state", className="det-status"),
            html.Pre(library_error, className="notice", id="ic-library-error") if library_error else "",
        ]
    return html.Div(
        [
            dcc.Store(id="ic-lang", data=lang),
            dcc.Store(id="ic-seen"),
            dcc.Interval(id="ic-tick", interval=TICK_MS),
            header(lang, t("instructor_title", lang), PATH),
            *body,
        ],
        className="page",
    )


def register(app: Dash, ctx: DashContext) -> None:
    """Register the console and its callbacks, in instructor mode only."""
    if not ctx.instructor:
        # The page registry is process-wide: drop a console an earlier app of this process registered.
        dash.page_registry.pop(PAGE, None)
        return

    def layout(lang: str | None = None, **_: Any) -> html.Div:
        return _layout(ctx, control_of(ctx), ctx.lang(lang))

    dash.register_page(PAGE, path=PATH, layout=layout, name="instructor", title="gmp-twin instructor", order=20)

    def catalog() -> dict[str, Any]:
        control = control_of(ctx)
        return control.catalog() if control else {"kinds": {}, "units": {}}

    @app.callback(
        Output("ic-kind", "options"),
        Output("ic-kind", "value"),
        Input("ic-unit", "value"),
    )
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
        cat = catalog()
        field, choices = view.target_choices(cat, unit, kind) if unit and kind else (None, [])
        options = [
            {"label": f"* ({t('all_tags', lang)})" if value == view.ALL_TAGS else label, "value": value}
            for value, label in choices
        ]
        # One choice (or "every tag" first for communication faults) is picked for the instructor.
        value = choices[0][0] if len(choices) == 1 or (choices and choices[0][0] == view.ALL_TAGS) else None
        info = cat["kinds"].get(kind or "", {})
        no_magnitude = bool(info) and not info["needs_magnitude"]
        style = FIELD if field else {**FIELD, "display": "none"}
        return options, value, t(field, lang) if field else t("target", lang), style, no_magnitude

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

    @app.callback(
        Output("ic-fault-result", "children"),
        Input("ic-inject", "n_clicks"),
        State("ic-unit", "value"),
        State("ic-kind", "value"),
        State("ic-target", "value"),
        State("ic-magnitude", "value"),
        State("ic-start", "value"),
        State("ic-ramp", "value"),
        State("ic-duration", "value"),
        State("ic-fault-hidden", "value"),
        State("ic-lang", "data"),
        prevent_initial_call=True,
    )
    def inject(
        _n: int | None,
        unit: str | None,
        kind: str | None,
        target: str | None,
        magnitude: float | None,
        start_s: float | None,
        ramp_s: float | None,
        duration_s: float | None,
        hidden: list[str] | None,
        lang: str,
    ) -> str:
        control = control_of(ctx)
        if control is None:
            return _refusal(lang)
        if not unit or not kind:
            return t("pick_unit_kind", lang)
        field, _ = view.target_choices(control.catalog(), unit, kind)
        fault = view.fault_request(unit, kind, field, target, magnitude, start_s, ramp_s, duration_s)
        try:
            made = control.inject(fault, hidden="hidden" in (hidden or []))
        except ValueError as exc:
            return str(exc)  # the service's message names the field and the valid options
        return f"{t('injected', lang)}: {made['id']} — {made['description']}"

    @app.callback(
        Output("ic-clear-result", "children"),
        Input("ic-clear-all", "n_clicks"),
        Input({"type": "ic-clear-fault", "fault": ALL}, "n_clicks"),
        State("ic-lang", "data"),
        prevent_initial_call=True,
    )
    def clear(_all: int | None, _rows: list[int | None], lang: str) -> Any:
        trigger = dash.ctx.triggered_id
        # A re-rendered table fires this with n_clicks None: only real clicks count.
        if trigger is None or not dash.ctx.triggered or not dash.ctx.triggered[0].get("value"):
            return dash.no_update
        control = control_of(ctx)
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
        control = control_of(ctx)
        if control is None:
            return dash.no_update, dash.no_update, dash.no_update, seen
        faults = control.faults("instructor")
        stamp = view.faults_stamp(faults)
        table = dash.no_update if stamp == seen else view.faults_table(faults, lang)
        scenario = view.scenario_text(control.scenario_state("instructor"), lang)
        return table, view.clock_text(control.clock(), lang), scenario, stamp

    @app.callback(
        Output("ic-clock-result", "children"),
        Input("ic-speed", "value"),
        Input("ic-pause", "n_clicks"),
        Input("ic-resume", "n_clicks"),
        prevent_initial_call=True,
    )
    def clock(speed: str | None, _pause: int | None, _resume: int | None) -> Any:
        control = control_of(ctx)
        trigger = dash.ctx.triggered_id
        if control is None or trigger is None:
            return dash.no_update
        if trigger == "ic-speed" and speed in view.SPEEDS:
            state = control.set_clock(speed=math.inf if speed == "max" else float(speed))
        elif trigger in ("ic-pause", "ic-resume"):
            state = control.set_clock(paused=trigger == "ic-pause")
        else:
            return dash.no_update
        return f"×{view.speed_value(state['speed'])}" + (" · ⏸" if state["paused"] else " · ▶")

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
        control = control_of(ctx)
        trigger = dash.ctx.triggered_id
        if control is None:
            return _refusal(lang)
        hide = "hidden" in (hidden or [])
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
