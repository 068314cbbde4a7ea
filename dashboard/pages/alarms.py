"""Alarm list page (ISA-18.2): annunciated alarms with priority colours, states and how often each
was raised, an Acknowledge button per unacknowledged alarm, and the latest transitions grouped
by alarm and kind with their counts. Both are sortable, filterable grids with a CSV export.

Anyone who may view the dashboard sees the alarms; acknowledging needs the ``student`` role,
checked in the callback (the page itself is for viewers) and refused, audited, otherwise. The
acknowledger is the logged-in user, never a typed name. It calls the in-process monitoring
service, the same layer as ``POST /api/alarms/{id}/ack``, which writes the event (user,
comment) to the historian, and records ``alarm.ack`` in the audit trail.
The grids' rows are sent only when their content changed, so a click is never lost to a refresh.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime
from typing import Any

import dash
from dash import Dash, Input, Output, State, dcc, html

from access import Principal
from analytics.monitoring import AlarmNotFoundError, AlarmStateError
from audit import AuditUnavailable, audited
from dashboard.auth.dash_guard import current_principal
from dashboard.auth.gate import LOCAL_CONSOLE
from dashboard.context import DashContext
from dashboard.grid import button_col, col, data_grid
from dashboard.i18n import t
from dashboard.plant_texts import alarm_message
from dashboard.shell import Shell, notice, with_unused

log = logging.getLogger(__name__)

PATH = "/alarms"
SHELL = Shell(PATH, "alarms_title", lang_id="alarms-lang", tick_id="alarms-tick", stores=("alarms-seen",))
UNACKED = ("unack_active", "unack_rtn")


def _time(time_ns: int | None, zone: Any) -> str:
    return "—" if time_ns is None else datetime.fromtimestamp(time_ns / 1e9, zone).strftime("%H:%M:%S")


def alarm_rows(
    active: list[dict[str, Any]], recent: list[dict[str, Any]], zone: Any, lang: str
) -> list[dict[str, Any]]:
    """One row per annunciated alarm (ISA-18.2 list): its state, priority, and how often it was raised.

    ``count`` counts the ``raised`` transitions of that alarm among ``recent``; ``ackable`` puts an
    Acknowledge button on the row.

    >>> from zoneinfo import ZoneInfo
    >>> row = {"alarm_id": "lvl", "priority": "high", "state": "unack_active", "tag": "L", "rules": ["WE1"],
    ...        "message": "drift", "raised_ns": 0, "cleared_ns": None, "acknowledged_by": None}
    >>> events = [{"alarm_id": "lvl", "kind": "raised"}] * 3
    >>> r = alarm_rows([row], events, ZoneInfo("UTC"), "en")[0]
    >>> r["id"], r["priority_text"], r["state_text"], r["count"], r["ackable"]
    ('lvl', 'high', 'active, unacknowledged', 3, True)
    """
    raised = Counter(e["alarm_id"] for e in recent if e.get("kind") == "raised")
    return [
        {
            "id": a["alarm_id"],
            "priority": a["priority"],
            "priority_text": t(a["priority"], lang),
            "state": a["state"],
            "state_text": t(a["state"], lang),
            "detector": a["alarm_id"],
            "tag": a["tag"],
            "rules": ", ".join(a["rules"]),
            "message": alarm_message(a, lang),
            "count": max(raised.get(a["alarm_id"], 0), 1),
            "raised": _time(a["raised_ns"], zone),
            "cleared": _time(a["cleared_ns"], zone),
            "acknowledged_by": a["acknowledged_by"] or "—",
            "ackable": a["state"] in UNACKED,
        }
        for a in active
    ]


def event_groups(recent: list[dict[str, Any]], zone: Any, lang: str) -> list[dict[str, Any]]:
    """The latest transitions grouped by alarm and kind, with their count, first and last time.

    A chattering alarm is one row with a large count, not dozens of identical rows.

    >>> from zoneinfo import ZoneInfo
    >>> e = {"alarm_id": "lvl", "kind": "raised", "priority": "high", "state": "unack_active", "rules": ["WE1"],
    ...      "user": None, "comment": None}
    >>> rows = event_groups([{**e, "time_ns": 2 * 10**9}, {**e, "time_ns": 10**9}], ZoneInfo("UTC"), "en")
    >>> [(r["detector"], r["count"], r["first"], r["last"]) for r in rows]
    [('lvl', 2, '00:00:01', '00:00:02')]
    """
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for e in sorted(recent, key=lambda e: e["time_ns"]):
        key = (e["alarm_id"], e["kind"])
        row = groups.setdefault(
            key,
            {
                "id": f"{e['alarm_id']}|{e['kind']}",
                "detector": e["alarm_id"],
                "event": t(e["kind"], lang),
                "priority": e["priority"],
                "priority_text": t(e["priority"], lang),
                "count": 0,
                "first": _time(e["time_ns"], zone),
                "first_ns": e["time_ns"],
            },
        )
        row.update(
            count=row["count"] + 1,
            last=_time(e["time_ns"], zone),
            last_ns=e["time_ns"],
            state_text=t(e["state"], lang),
            rules=", ".join(e["rules"]),
            operator=e["user"] or "",
            comment=e["comment"] or "",
        )
    return sorted(groups.values(), key=lambda r: r["last_ns"], reverse=True)


def _prio_class() -> dict[str, str]:
    return {"function": "'prio-cell prio-' + params.data.priority"}


def alarm_grid(lang: str) -> Any:
    """The annunciated alarms (rows from :func:`alarm_rows`); the button acknowledges its row."""
    columns = [
        col("priority", lang, field="priority_text", cellClass=_prio_class(), width=110),
        col("state", lang, field="state_text", cellClass={"function": "'alarm-state state-' + params.data.state"}),
        col("detector", lang),
        col("tag", lang),
        col("rules", lang, cellClass="rule"),
        col("message", lang, minWidth=200),
        col("count", lang, numeric=True, width=110),
        col("raised", lang, width=110),
        col("cleared", lang, width=110),
        col("acknowledged_by", lang),
        button_col("ackable", t("acknowledge", lang), "alarm"),
    ]
    return data_grid("alarm-grid", columns, lang, height=300, no_rows="no_alarms", file_name="alarms.csv")


def events_grid(lang: str) -> Any:
    """The latest transitions grouped by alarm and kind (rows from :func:`event_groups`)."""
    columns = [
        col("detector", lang),
        col("event", lang),
        col("priority", lang, field="priority_text", cellClass=_prio_class(), width=110),
        col("count", lang, numeric=True, width=110),
        col("first_seen", lang, field="first", width=110),
        col("last_seen", lang, field="last", width=110),
        col("state", lang, field="state_text"),
        col("rules", lang, cellClass="rule"),
        col("operator", lang),
        col("comment", lang),
    ]
    return data_grid("alarm-events-grid", columns, lang, height=320, no_rows="no_events", file_name="alarm-events.csv")


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
        body: list[Any] = [
            ack_bar(lang),
            html.H2(t("active_alarms", lang)),
            html.Div(alarm_grid(lang), id="alarm-list"),
            html.H2(t("recent_events", lang)),
            html.Div(events_grid(lang), id="alarm-events"),
        ]
        if ctx.services.monitoring is None:
            body = with_unused([notice("no_monitoring", lang)], body)
        return SHELL.layout(lang, body, **{"ack-version": 0})

    dash.register_page("alarms", path=PATH, layout=layout, name="alarms", title="gmp-twin alarms", order=13)

    @app.callback(
        Output("alarm-grid", "rowData"),
        Output("alarm-events-grid", "rowData"),
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
        data = service.alarms(recent=500)
        stamp = [
            [(a["alarm_id"], a["state"], a["rules"], a["acknowledged_by"]) for a in data["active"]],
            [e["time_ns"] for e in data["recent"]],
        ]
        stamp = _jsonish(stamp)
        if stamp == seen:
            return dash.no_update, dash.no_update, seen
        active = alarm_rows(data["active"], data["recent"], ctx.zone, lang)
        return active, event_groups(data["recent"], ctx.zone, lang), stamp

    @app.callback(
        Output("ack-result", "children"),
        Output("ack-version", "data"),
        Input("alarm-grid", "cellRendererData"),
        State("ack-comment", "value"),
        State("ack-version", "data"),
        State("alarms-lang", "data"),
        prevent_initial_call=True,
    )
    def acknowledge(clicked: dict[str, Any] | None, comment: str | None, version: int, lang: str) -> tuple[Any, Any]:
        # The row's Acknowledge button reports its row id (the alarm) through cellRendererData.
        if not clicked or not clicked.get("value"):
            return dash.no_update, dash.no_update
        result = acknowledge_as(ctx, current_principal(), str(clicked["value"]), (comment or "").strip(), lang)
        return result, (version or 0) + 1


def _jsonish(value: Any) -> Any:
    """Tuples as lists, so a stamp compares equal after a round trip through the browser."""
    if isinstance(value, list | tuple):
        return [_jsonish(v) for v in value]
    return value
