"""The deviation form's callbacks: one controller opens, fills and closes it; the unit's tags, the
causes, the superseded report's line, and the submit (as the logged-in person, for their team).

The builders and parsers are in :mod:`dashboard.deviation_form`; :func:`register` is called by
:func:`dashboard.exercise_panel.register`, so these callbacks share the bar's level.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dash
from dash import ALL, Dash, Input, Output, State, html

from access import Principal
from audit import AuditUnavailable
from config_schema.tagmap import TagMap
from dashboard.auth.dash_guard import current_actor, current_principal
from dashboard.deviation_form import (
    EMPTY,
    build_report,
    cause_options,
    clicked_start,
    has_batch,
    missing_text,
    prefill,
    refusal_text,
    submitted_text,
    tag_options,
    unit_options,
    why_not,
)
from dashboard.i18n import t

# -- callbacks --------------------------------------------------------------------------------
#: The form's inputs, in the order of :data:`REQUIRED` plus the free texts (id, property, field).
_VALUES = (
    ("ex-unit", "unit"),
    ("ex-tags", "tags"),
    ("ex-start", "start"),
    ("ex-cause", "cause"),
    ("ex-cause-text", "cause_text"),
    ("ex-action", "action"),
    ("ex-class", "classification"),
    ("ex-impact", "impact"),
    ("ex-impact-text", "impact_text"),
)
#: The form controller's outputs: modal, picking banner, message, mode, the values, supersedes, result, tag options.
_N_OUTPUTS = 4 + len(_VALUES) + 3


def _exercise_state(ctx: Any, principal: Principal) -> Mapping[str, Any] | None:
    """The exercise as this person sees it (``None``: none running, or no control service here)."""
    control = ctx.services.plant_control()
    if control is None or not hasattr(control, "exercise_state"):
        return None
    role = "instructor" if principal.role in ("instructor", "admin") else "student"
    state: Mapping[str, Any] | None = control.exercise_state(role, principal.team)
    return state


def register(app: Dash, ctx: Any) -> None:
    """The form's callbacks: open/close (one controller), options, the start from a chart, submit."""
    zone = ctx.zone

    def units() -> dict[str, TagMap]:  # per request: a classroom's team plants have their own maps
        return {tm.unit: tm for tm in ctx.tagmaps}

    @app.callback(
        Output("ex-unit", "options"),
        Output("ex-start-help", "children"),
        Input("ex-lang", "data"),
    )
    def on_exercise_lang(lang: str) -> tuple[list[dict[str, str]], str]:
        return unit_options(ctx.tagmaps), t("ex.start_help", lang, zone=getattr(zone, "key", str(zone)))

    def form_outputs(duplicate: bool) -> list[Output]:
        """The form controller's outputs (``duplicate``: for the callbacks beside the controller)."""
        return [
            Output("ex-modal", "hidden", allow_duplicate=duplicate),
            Output("ex-picking", "hidden", allow_duplicate=duplicate),
            Output("ex-message", "children", allow_duplicate=duplicate),
            Output("ex-mode", "data", allow_duplicate=duplicate),
            *(Output(id_, "value", allow_duplicate=duplicate) for id_, _ in _VALUES),
            Output("ex-supersedes", "data", allow_duplicate=duplicate),
            Output("ex-result", "children", allow_duplicate=duplicate),
            # With the tags: a dropdown drops a value its options do not hold yet (a prefilled report).
            Output("ex-tags", "options", allow_duplicate=True),
        ]

    def answer(
        lang: str, modal: bool, picking: bool, message: Any, new_mode: str, values: Mapping[str, Any], result: Any = ""
    ) -> tuple[Any, ...]:
        keep = dash.no_update
        fields = tuple(values.get(name, keep) for _, name in _VALUES)
        options = tag_options(units().get(values["unit"]), lang) if values.get("unit") else keep
        return (not modal, not picking, message, new_mode, *fields, values.get("supersedes", keep), result, options)

    def refusal(lang: str) -> tuple[Any, ...] | None:
        """The form's answer when this person cannot report now (``None``: they can)."""
        principal = current_principal()
        try:
            reason = why_not(principal.team, _exercise_state(ctx, principal))
        except Exception as exc:  # the twin unreachable, or its audit trail: say so instead of a form
            return answer(lang, False, False, refusal_text(exc, lang), "closed", {})
        if reason is None and ctx.services.plant_control() is None:
            reason = "ex.why.no_control"
        if reason is not None:
            return answer(lang, False, False, html.Span(t(reason, lang), className="result-refused"), "closed", {})
        return None

    # One controller for open, cancel and the chart pick. The supersede buttons and the submit
    # have callbacks of their own: the reports list re-renders on the tick, and a re-render
    # re-triggering this controller would make Dash drop the answer to a click in flight.
    @app.callback(
        *form_outputs(False),
        Input("ex-report-open", "n_clicks"),
        Input("ex-cancel", "n_clicks"),
        Input("ex-pick", "n_clicks"),
        Input("ex-back", "n_clicks"),
        Input("ex-picked", "data"),
        State("ex-lang", "data"),
        State("ex-mode", "data"),
        prevent_initial_call=True,
    )
    def on_exercise_form(*args: Any) -> tuple[Any, ...]:
        lang, mode = args[-2], args[-1] or "closed"
        trigger = dash.callback_context.triggered_id
        keep = dash.no_update
        if trigger == "ex-picked":
            picked = args[4] or {}
            start = clicked_start(picked.get("x"), zone)
            if start is None:
                return (keep,) * _N_OUTPUTS
            reopen = mode == "picking"
            message = t("ex.picked", lang, when=start) if not reopen and mode == "closed" else keep
            return answer(
                lang, reopen or mode == "open", False, message, "open" if reopen else mode, {"start": start}, keep
            )
        if trigger == "ex-pick":
            return answer(lang, False, True, keep, "picking", {}, keep)
        if trigger == "ex-back":
            return answer(lang, True, False, keep, "open", {}, keep)
        if trigger == "ex-cancel":
            return answer(lang, False, False, "", "closed", {}, "")
        refused = refusal(lang)
        if refused is not None:
            return refused
        if mode == "open":  # a second click on the button: keep what is typed
            return (keep,) * _N_OUTPUTS
        return answer(lang, True, False, "", "open", EMPTY)

    @app.callback(
        *form_outputs(True),
        Input({"type": "ex-supersede", "report": ALL}, "n_clicks"),
        State("ex-lang", "data"),
        State("ex-state", "data"),
        prevent_initial_call=True,
    )
    def on_exercise_supersede(_clicks: list[int | None], lang: str, data: Mapping[str, Any] | None) -> tuple[Any, ...]:
        keep = (dash.no_update,) * _N_OUTPUTS
        trigger = dash.callback_context.triggered_id
        if not isinstance(trigger, dict) or not any(entry.get("value") for entry in dash.callback_context.triggered):
            return keep  # the list re-rendered, nobody clicked
        refused = refusal(lang)
        if refused is not None:
            return refused
        old = next((r for r in (data or {}).get("reports", []) if r.get("report_id") == trigger.get("report")), None)
        if old is None:
            return keep
        return answer(lang, True, False, "", "open", prefill(old, (data or {}).get("causes", []), zone))

    @app.callback(
        Output("ex-tags", "options"),
        Output("ex-impact-wrap", "hidden"),
        Input("ex-unit", "value"),
        State("ex-lang", "data"),
    )
    def on_exercise_unit(unit: str | None, lang: str) -> tuple[list[dict[str, str]], bool]:
        tagmap = units().get(unit or "")
        return tag_options(tagmap, lang), not has_batch(tagmap.unit_type if tagmap else None)

    @app.callback(
        Output("ex-cause", "options"),
        Input("ex-state", "data"),
        State("ex-lang", "data"),
    )
    def on_exercise_causes(data: Mapping[str, Any] | None, lang: str) -> list[dict[str, str]]:
        return cause_options((data or {}).get("causes") or [], lang)

    @app.callback(
        Output("ex-supersedes-line", "children"),
        Input("ex-supersedes", "data"),
        State("ex-lang", "data"),
    )
    def on_exercise_supersedes(report: str | None, lang: str) -> str:
        return t("ex.supersedes", lang, report=report) if report else ""

    @app.callback(
        *form_outputs(True),
        Output("ex-done", "data"),
        Input("ex-submit", "n_clicks"),
        *(State(id_, "value") for id_, _ in _VALUES),
        State("ex-supersedes", "data"),
        State("ex-lang", "data"),
        prevent_initial_call=True,
    )
    def on_exercise_submit(_n: int | None, *args: Any) -> tuple[Any, ...]:
        *values, supersedes, lang = args

        def refused(message: Any) -> tuple[Any, ...]:  # the form stays open, the reason under it
            return (*(dash.no_update,) * (_N_OUTPUTS - 2), message, dash.no_update, dash.no_update)

        fields = {name: value for (_, name), value in zip(_VALUES, values, strict=True)}
        fields["supersedes"] = supersedes
        tagmap = units().get(fields.get("unit") or "")
        report, missing = build_report(fields, unit_type=tagmap.unit_type if tagmap else None, zone=zone)
        if missing:
            text = missing_text(missing, lang)
            if "start" in missing and fields.get("start"):
                text = t("ex.bad_start", lang, text=fields["start"]) + " " + text
            return refused(html.Span(text, className="result-refused"))
        principal = current_principal()
        if not principal.team:
            return refused(html.Span(t("ex.why.no_team", lang), className="result-refused"))
        control = ctx.services.plant_control()
        if control is None or not hasattr(control, "report_deviation"):
            return refused(html.Span(t("ex.why.no_control", lang), className="result-refused"))
        try:
            view = control.report_deviation(report, actor=current_actor(), team=principal.team)
        except (ValueError, KeyError, PermissionError, AuditUnavailable, ConnectionError) as exc:
            return refused(html.Span(refusal_text(exc, lang), className="result-refused"))
        # Closed with its receipt here, not by a chained callback a re-render could pre-empt.
        receipt = submitted_text(view, lang, zone)
        closed = answer(lang, False, False, receipt, "closed", {**EMPTY, "start": ""}, "")
        return (*closed, {"report_id": view.get("report_id"), "text": receipt})
