"""Alarm list page: annunciated alarms with priority colours and states, an Acknowledge button
per unacknowledged alarm, and the latest transitions.

Anyone who may view the dashboard sees the alarms; acknowledging needs the ``student`` role,
checked in the callback (the page itself is for viewers) and refused, audited, otherwise. The
acknowledger is the logged-in user, never a typed name. It calls the in-process monitoring
service, the same layer as ``POST /api/alarms/{id}/ack``, which writes the event (user,
comment) to the historian, and records ``alarm.ack`` in the audit trail.
The table is re-rendered only when its content changed, so a click is never lost to a refresh.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import dash
from dash import ALL, Dash, Input, Output, State, dcc, html

from access import Principal
from analytics.monitoring import AlarmNotFoundError, AlarmStateError
from audit import AuditUnavailable, audited
from dashboard.auth.dash_guard import current_principal
from dashboard.auth.gate import LOCAL_CONSOLE
from dashboard.context import DashContext
from dashboard.i18n import t
from dashboard.shell import Shell, notice, row_button, table

log = logging.getLogger(__name__)

PATH = "/alarms"
SHELL = Shell(PATH, "alarms_title", lang_id="alarms-lang", tick_id="alarms-tick", stores=("alarms-seen",))
UNACKED = ("unack_active", "unack_rtn")


def _time(time_ns: int | None, zone: Any) -> str:
    return "—" if time_ns is None else datetime.fromtimestamp(time_ns / 1e9, zone).strftime("%H:%M:%S")


def alarm_table(active: list[dict[str, Any]], zone: Any, lang: str) -> Any:
    """The annunciated alarms as a table; rows carry ``data-alarm`` and priority/state classes.

    >>> from zoneinfo import ZoneInfo
    >>> row = {"alarm_id": "lvl", "priority": "high", "state": "unack_active", "tag": "L", "rules": ["WE1"],
    ...        "message": "drift", "raised_ns": 0, "cleared_ns": None, "acknowledged_by": None}
    >>> table = alarm_table([row], ZoneInfo("UTC"), "en")
    >>> tr = table.children[1].children[0]
    >>> tr.className, tr.children[-1].children.children
    ('prio-high state-unack_active', 'Acknowledge')
    """
    if not active:
        return html.P(t("no_alarms", lang), className="muted", id="no-alarms")
    keys = ("priority", "state", "detector", "tag", "rules", "message", "raised", "cleared", "acknowledged_by", "")
    rows = []
    for a in active:
        button: Any = ""
        if a["state"] in UNACKED:
            button = row_button(
                t("acknowledge", lang), {"type": "ack-btn", "alarm": a["alarm_id"]}, alarm=a["alarm_id"]
            )
        rows.append(
            html.Tr(
                [
                    html.Td(t(a["priority"], lang), className="prio"),
                    html.Td(t(a["state"], lang), className="alarm-state"),
                    html.Td(a["alarm_id"]),
                    html.Td(a["tag"]),
                    html.Td(", ".join(a["rules"]), className="rule"),
                    html.Td(a["message"]),
                    html.Td(_time(a["raised_ns"], zone)),
                    html.Td(_time(a["cleared_ns"], zone)),
                    html.Td(a["acknowledged_by"] or "—"),
                    html.Td(button),
                ],
                className=f"prio-{a['priority']} state-{a['state']}",
                **{"data-alarm": a["alarm_id"]},
            )
        )
    return table(keys, rows, lang, "tags alarm-table")


def events_table(recent: list[dict[str, Any]], zone: Any, lang: str) -> Any:
    """The latest transitions, newest first."""
    keys = ("time", "event", "detector", "priority", "state", "rules", "operator", "comment")
    rows = [
        html.Tr(
            [
                html.Td(_time(e["time_ns"], zone)),
                html.Td(t(e["kind"], lang)),
                html.Td(e["alarm_id"]),
                html.Td(t(e["priority"], lang)),
                html.Td(t(e["state"], lang)),
                html.Td(", ".join(e["rules"])),
                html.Td(e["user"] or ""),
                html.Td(e["comment"] or ""),
            ],
            className=f"prio-{e['priority']}",
        )
        for e in recent
    ]
    return table(keys, rows, lang, "tags events-table")


def ack_bar(lang: str) -> html.Div:
    """The comment of an acknowledgement and its result (the acknowledger is the logged-in user)."""
    return html.Div(
        [
            html.Label(t("comment", lang), htmlFor="ack-comment"),
            dcc.Input(id="ack-comment", type="text", maxLength=500, className="ack-input wide"),
            html.Span(id="ack-result", className="ack-result"),
        ],
        className="ack-bar",
    )


def acknowledge_as(ctx: DashContext, principal: Principal, alarm_id: str, comment: str, lang: str) -> str:
    """Acknowledge ``alarm_id`` as ``principal`` (student or higher), audited; the result line."""
    if not principal.may("student"):
        if ctx.services.gate is not None:
            ctx.services.gate.deny(principal, f"dash alarm.ack alarm:{alarm_id}", "student", via="dash")
        role = t(f"role_{principal.role}", lang)
        reason = t("ack_needs_student", lang).format(user=principal.name, role=role)
        return t("not_allowed", lang).format(reason=reason)
    service = ctx.services.monitoring
    if service is None:
        return t("no_monitoring", lang)
    actor = principal.actor(LOCAL_CONSOLE if principal.via == LOCAL_CONSOLE else "dash")
    try:
        with audited(ctx.services.audit, actor, "alarm.ack", f"alarm:{alarm_id}", reason=comment):
            service.acknowledge(alarm_id, principal.name, comment)
    except AuditUnavailable as exc:
        return t("audit_refused", lang).format(reason=exc)
    except (AlarmNotFoundError, AlarmStateError) as exc:
        return str(exc)
    return f"{t('acknowledged_by', lang)} {principal.display_name or principal.name}: {alarm_id}"


def register(app: Dash, ctx: DashContext) -> None:
    """Register the alarm page, its refresh and its acknowledge callbacks."""

    def layout(lang: str | None = None, **_: Any) -> html.Div:
        lang = ctx.lang(lang)
        body: list[Any] = [notice("no_monitoring", lang)]
        if ctx.services.monitoring is not None:
            body = [
                ack_bar(lang),
                html.H2(t("active_alarms", lang)),
                html.Div(id="alarm-list"),
                html.H2(t("recent_events", lang)),
                html.Div(id="alarm-events"),
            ]
        return SHELL.layout(lang, body, **{"ack-version": 0})

    dash.register_page("alarms", path=PATH, layout=layout, name="alarms", title="gmp-twin alarms", order=13)

    @app.callback(
        Output("alarm-list", "children"),
        Output("alarm-events", "children"),
        Output("alarms-seen", "data"),
        Input("alarms-tick", "n_intervals"),
        Input("ack-version", "data"),
        State("alarms-seen", "data"),
        State("alarms-lang", "data"),
    )
    def refresh(_n: int | None, _version: int, seen: Any, lang: str) -> tuple[Any, ...]:
        service = ctx.services.monitoring
        if service is None:
            return dash.no_update, dash.no_update, seen
        data = service.alarms(recent=30)
        stamp = [
            [(a["alarm_id"], a["state"], a["rules"], a["acknowledged_by"]) for a in data["active"]],
            [e["time_ns"] for e in data["recent"]],
        ]
        stamp = _jsonish(stamp)
        if stamp == seen:
            return dash.no_update, dash.no_update, seen
        return alarm_table(data["active"], ctx.zone, lang), events_table(data["recent"], ctx.zone, lang), stamp

    @app.callback(
        Output("ack-result", "children"),
        Output("ack-version", "data"),
        Input({"type": "ack-btn", "alarm": ALL}, "n_clicks"),
        State("ack-comment", "value"),
        State("ack-version", "data"),
        State("alarms-lang", "data"),
        prevent_initial_call=True,
    )
    def acknowledge(clicks: list[int | None], comment: str | None, version: int, lang: str) -> tuple[Any, Any]:
        trigger = dash.ctx.triggered_id
        # A re-rendered table fires this callback with n_clicks None: only real clicks count.
        if not isinstance(trigger, dict) or not any(c for c in clicks if c):
            return dash.no_update, dash.no_update
        if not dash.ctx.triggered or not dash.ctx.triggered[0].get("value"):
            return dash.no_update, dash.no_update
        result = acknowledge_as(ctx, current_principal(), str(trigger["alarm"]), (comment or "").strip(), lang)
        return result, (version or 0) + 1


def _jsonish(value: Any) -> Any:
    """Tuples as lists, so a stamp compares equal after a round trip through the browser."""
    if isinstance(value, list | tuple):
        return [_jsonish(v) for v in value]
    return value
