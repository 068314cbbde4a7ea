"""The running exercise on every page, for students: briefing, limits warnings, hints, reports, and the
"Report a deviation" button (form: :mod:`dashboard.deviation_form`).

:func:`exercise_bar` is part of every page's header (:func:`dashboard.shell.header`) for a
student, or anyone in a team; :func:`register` adds its callbacks once for the whole app (listed
in :data:`dashboard.pages.PAGES`, like the time-basis banner). Everything goes through the
plant's control service as the logged-in person (``report_deviation``, ``open_hint``,
``exercise_state``); the service checks the team again, so a hand-made callback request
cannot file for another team.

The start of a deviation is picked by clicking a point on any chart of the page:
``assets/exercise_pick.js`` listens to every Plotly chart's ``plotly_click`` and puts the x
into the ``ex-picked`` store (no page has to name its graphs).

Examples
--------
>>> state = {"scenario": "ph", "title": {"en": "pH drift", "fr": "Dérive du pH"}, "state": "running",
...          "briefing": {"en": "Watch the pH.", "fr": "Surveillez le pH."}, "elapsed_s": 75.0,
...          "duration_s": 3600.0, "team": "team-1"}
>>> [c.children for c in briefing_view(state, "fr")[:2]]
[['Exercice', '\\xa0: ', 'Dérive du pH', ' (en cours) · ', 'Équipe team-1'], 'Surveillez le pH.']
>>> elapsed_text(state, "en")
'0:01:15 elapsed of 1:00:00'
>>> form.why_not("", state), form.why_not("team-1", None), form.why_not("team-1", state)
('ex.why.no_team', 'ex.why.no_exercise', None)
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from datetime import tzinfo
from typing import Any

import dash
from dash import ALL, Dash, Input, Output, State, dcc, html

from access import Principal
from audit import AuditUnavailable
from dashboard import deviation_callbacks
from dashboard import deviation_form as form
from dashboard.auth.dash_guard import current_actor, current_principal
from dashboard.i18n import colon, fmt_datetime, fmt_number, t

log = logging.getLogger(__name__)

#: Level of every callback here; the bar is rendered only for students and team members anyway.
LEVEL = "student"
TICK_MS = 3000
#: Limits warnings listed (the newest first).
MAX_WARNINGS = 5


# -- pure views -------------------------------------------------------------------------------
def shows_bar(principal: Principal) -> bool:
    """Students see the bar; an instructor or admin only when in a team (they have their console)."""
    return principal.role == "student" or bool(principal.team and principal.role in ("instructor", "admin"))


def _text(value: Any, lang: str) -> str:
    if isinstance(value, Mapping):
        return str(value.get(lang) or value.get("en") or "")
    return str(value or "")


def _clock(seconds: float) -> str:
    """``1:02:05``"""
    s = max(0, round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def elapsed_text(state: Mapping[str, Any] | None, lang: str) -> str:
    if not state or state.get("elapsed_s") is None:
        return ""
    duration = state.get("duration_s")
    return t(
        "ex.elapsed",
        lang,
        elapsed=_clock(float(state["elapsed_s"])),
        duration=_clock(float(duration)) if duration else "—",
    )


def briefing_view(state: Mapping[str, Any] | None, lang: str) -> list[Any]:
    """Title, state and team on one line, then the briefing in ``lang``."""
    if not state:
        return []
    status = state.get("state") or "running"
    head = [t("ex.exercise", lang), colon(lang) + " ", _text(state.get("title"), lang) or state.get("scenario", "")]
    head.append(f" ({t(f'ex.state.{status}', lang)}) · ")
    if state.get("team"):
        head.append(t("ex.team", lang, team=state["team"]))
    briefing = _text(state.get("briefing"), lang)
    return [
        html.Div(head, className="ex-title"),
        html.P(briefing, className="ex-briefing-text", id="ex-briefing-text"),
    ]


def warnings_view(warnings: Sequence[Mapping[str, Any]], lang: str, zone: tzinfo) -> list[Any]:
    """The team's limits warnings (newest first), as a notice; nothing without any."""
    if not warnings:
        return []
    lines = []
    for w in list(warnings)[-MAX_WARNINGS:][::-1]:
        when, sim_s = w.get("time_ns"), w.get("sim_s")
        stamp = fmt_datetime(when / 1e9, lang, "time", tz=zone) if isinstance(when, int | float) else ""
        if not stamp and isinstance(sim_s, int | float):
            stamp = "+" + _clock(sim_s)  # seconds into the exercise
        lines.append(
            html.Li(
                t(
                    "ex.warning_line",
                    lang,
                    when=stamp,
                    unit=w.get("unit", ""),
                    tag=w.get("tag", ""),
                    value=fmt_number(w.get("value"), lang, 2),
                    lo=fmt_number(w.get("lo"), lang),
                    hi=fmt_number(w.get("hi"), lang),
                )
            )
        )
    return [html.Div([html.Strong(t("ex.warnings", lang)), html.Ul(lines)], className="notice ex-warnings")]


def hints_view(hints: Sequence[Mapping[str, Any]], lang: str) -> list[Any]:
    """Pushed hints: an opened one shows its text; a closed one its cost and an open button."""
    if not hints:
        return [html.P(t("ex.no_hints", lang), className="muted")]
    items = []
    for hint in hints:
        cost = fmt_number(float(hint.get("cost") or 0), lang)
        head = html.Span(t("ex.hint_cost", lang, hint=hint["id"], cost=cost), className="ex-hint-cost")
        if hint.get("opened") and hint.get("text"):
            body: list[Any] = [
                html.P(_text(hint["text"], lang), className="ex-hint-text"),
                html.Span(t("ex.hint_opened_by", lang, user=hint.get("opened_by") or ""), className="muted"),
            ]
        else:
            button = html.Button(
                t("ex.hint_open", lang, cost=cost),
                id={"type": "ex-hint-open", "hint": hint["id"]},
                className="link-btn",
                type="button",
            )
            body = [button]
        items.append(html.Li([head, " ", *body], className="ex-hint"))
    return [html.Ul(items, className="ex-list")]


def reports_view(
    reports: Sequence[Mapping[str, Any]], causes: Sequence[Mapping[str, Any]], lang: str, zone: tzinfo
) -> list[Any]:
    """The team's reports, read-only; each not yet superseded has a "Supersede" button."""
    if not reports:
        return [html.P(t("ex.no_reports", lang), className="muted")]
    labels = {c.get("id"): _text(c.get("label"), lang) for c in causes}
    superseded_by = {r["supersedes"]: r["report_id"] for r in reports if r.get("supersedes")}
    items = []
    for r in reports:
        tags = r.get("tags") or []
        start_ns = r.get("start_ns")
        line = t(
            "ex.report_line",
            lang,
            report=r.get("report_id", "?"),
            when=fmt_datetime(r["time_ns"] / 1e9, lang, "time", tz=zone) if r.get("time_ns") else "",
            user=r.get("user", ""),
            unit=r.get("unit", ""),
            tags=", ".join(tags.split(",") if isinstance(tags, str) else tags),
            start=fmt_datetime(start_ns / 1e9, lang, tz=zone) if isinstance(start_ns, int | float) else "",
            classification=t(f"ex.class.{r.get('classification')}", lang) if r.get("classification") else "",
        )
        cause = labels.get(r.get("cause")) or r.get("cause") or r.get("cause_text") or ""
        parts: list[Any] = [
            html.Div(line),
            html.Div(t("ex.report_cause", lang, cause=cause, action=r.get("action", "")), className="muted"),
        ]
        if r.get("report_id") in superseded_by:
            parts.append(html.Em(t("ex.superseded_by", lang, report=superseded_by[r["report_id"]])))
            items.append(html.Li(parts, className="ex-report ex-superseded"))
            continue
        parts.append(
            html.Button(
                t("ex.supersede", lang),
                id={"type": "ex-supersede", "report": r.get("report_id", "")},
                className="link-btn",
                type="button",
            )
        )
        items.append(html.Li(parts, className="ex-report"))
    return [html.Ul(items, className="ex-list")]


# -- layout -----------------------------------------------------------------------------------
def exercise_bar(lang: str, principal: Principal) -> html.Div | None:
    """The bar of the header: briefing, warnings, the report button, hints, reports, and the form."""
    if not shows_bar(principal):
        return None
    stores = [
        dcc.Store(id="ex-lang", data=lang),
        dcc.Store(id="ex-state"),
        dcc.Store(id="ex-sig"),
        dcc.Store(id="ex-mode", data="closed"),
        dcc.Store(id="ex-picked"),
        dcc.Store(id="ex-done"),
        dcc.Store(id="ex-supersedes"),
        dcc.Store(id="ex-hint-pending"),
        dcc.Store(id="ex-hint-done"),
        dcc.Interval(id="ex-tick", interval=TICK_MS),
        dcc.ConfirmDialog(id="ex-hint-confirm"),
    ]
    actions = html.Div(
        [
            html.Button(t("ex.report_button", lang), id="ex-report-open", className="ack-btn", type="button"),
            html.Span(id="ex-message", className="ex-message", role="status"),
        ],
        className="ex-actions",
    )
    panels = html.Div(
        [
            html.Details(
                [html.Summary([t("ex.hints", lang), " ", html.Span(id="ex-hints-count")]), html.Div(id="ex-hints")],
                id="ex-hints-panel",
            ),
            html.Details(
                [
                    html.Summary([t("ex.reports", lang), " ", html.Span(id="ex-reports-count")]),
                    html.Div(id="ex-reports"),
                ],
                id="ex-reports-panel",
            ),
            html.Span(id="ex-hint-result", className="ex-message", role="status"),
        ],
        className="ex-panels",
    )
    picking = html.Div(
        [
            html.Span(t("ex.picking", lang)),
            html.Button(t("ex.back_to_form", lang), id="ex-back", className="link-btn", type="button"),
        ],
        id="ex-picking",
        className="ex-picking",
        hidden=True,
    )
    body = [
        html.Div(id="ex-briefing", className="ex-briefing"),
        html.Div(id="ex-elapsed", className="muted ex-elapsed"),
        html.Div(id="ex-warnings"),
        actions,
        panels,
    ]
    return html.Div([*stores, *body, picking, form.form_modal(lang)], id="ex-bar", className="ex-bar")


# -- callbacks --------------------------------------------------------------------------------
def _control(ctx: Any) -> Any:
    return ctx.services.plant_control()


def _role(principal: Principal) -> str:
    return "instructor" if principal.role in ("instructor", "admin") else "student"


def _state(ctx: Any, principal: Principal) -> Mapping[str, Any] | None:
    control = _control(ctx)
    if control is None or not hasattr(control, "exercise_state"):
        return None
    state: Mapping[str, Any] | None = control.exercise_state(_role(principal), principal.team)
    return state


def register(app: Dash, ctx: Any) -> None:
    """The bar's callbacks (``ctx``: the :class:`dashboard.context.DashContext`)."""
    zone = ctx.zone

    @app.callback(
        Output("ex-briefing", "children"),
        Output("ex-elapsed", "children"),
        Output("ex-warnings", "children"),
        Output("ex-hints", "children"),
        Output("ex-hints-count", "children"),
        Output("ex-reports", "children"),
        Output("ex-reports-count", "children"),
        Output("ex-state", "data"),
        Output("ex-sig", "data"),
        Input("ex-tick", "n_intervals"),
        Input("ex-done", "data"),
        Input("ex-hint-done", "data"),
        State("ex-lang", "data"),
        State("ex-sig", "data"),
    )
    def on_exercise_tick(_n: Any, _done: Any, _hint: Any, lang: str, sig: str | None) -> tuple[Any, ...]:
        principal = current_principal()
        try:
            state = _state(ctx, principal)
        except Exception as exc:  # an unreachable twin: keep the page, say nothing new
            log.debug("exercise state not readable: %s", exc)
            return (dash.no_update,) * 9
        elapsed = elapsed_text(state, lang)
        shown = {
            k: (state or {}).get(k)
            for k in (
                "scenario",
                "state",
                "title",
                "briefing",
                "team",
                "warnings",
                "hints",
                "reports",
                "candidate_causes",
            )
        }
        new_sig = json.dumps(shown, sort_keys=True, default=str)
        if new_sig == sig:
            return (dash.no_update, elapsed, *(dash.no_update,) * 7)
        state = state or {}
        hints, reports = state.get("hints") or [], state.get("reports") or []
        causes = state.get("candidate_causes") or []
        data = {"team": principal.team, "causes": causes, "reports": reports, "hints": hints}
        return (
            briefing_view(state or None, lang),
            elapsed,
            warnings_view(state.get("warnings") or [], lang, zone),
            hints_view(hints, lang),
            f"({len(hints)})" if hints else "",
            reports_view(reports, causes, lang, zone),
            f"({len(reports)})" if reports else "",
            data,
            new_sig,
        )

    deviation_callbacks.register(app, ctx)

    @app.callback(
        Output("ex-hint-confirm", "displayed"),
        Output("ex-hint-confirm", "message"),
        Output("ex-hint-pending", "data"),
        Input({"type": "ex-hint-open", "hint": ALL}, "n_clicks"),
        State("ex-state", "data"),
        State("ex-lang", "data"),
        prevent_initial_call=True,
    )
    def on_exercise_hint_ask(_clicks: list[Any], data: Mapping[str, Any] | None, lang: str) -> tuple[Any, ...]:
        trigger = dash.callback_context.triggered_id
        if not isinstance(trigger, dict) or not any(e.get("value") for e in dash.callback_context.triggered):
            return dash.no_update, dash.no_update, dash.no_update  # the list re-rendered, nobody clicked
        hint_id = str(trigger.get("hint"))
        hints: list[dict[str, Any]] = (data or {}).get("hints") or []
        hint = next((h for h in hints if h.get("id") == hint_id), {})
        cost = fmt_number(float(hint.get("cost") or 0), lang)
        return True, t("ex.hint_confirm", lang, hint=hint_id, cost=cost), hint_id

    @app.callback(
        Output("ex-hint-result", "children"),
        Output("ex-hint-done", "data"),
        Input("ex-hint-confirm", "submit_n_clicks"),
        State("ex-hint-pending", "data"),
        State("ex-lang", "data"),
        prevent_initial_call=True,
    )
    def on_exercise_hint_open(_n: int | None, hint_id: str | None, lang: str) -> tuple[Any, Any]:
        principal = current_principal()
        control = _control(ctx)
        if not hint_id:
            return dash.no_update, dash.no_update
        if not principal.team:
            return html.Span(t("ex.why.no_team", lang), className="result-refused"), dash.no_update
        if control is None or not hasattr(control, "open_hint"):
            return html.Span(t("ex.why.no_control", lang), className="result-refused"), dash.no_update
        try:
            control.open_hint(principal.team, hint_id, actor=current_actor())
        except (ValueError, KeyError, PermissionError, AuditUnavailable, ConnectionError) as exc:
            return html.Span(form.refusal_text(exc, lang), className="result-refused"), dash.no_update
        return "", hint_id
