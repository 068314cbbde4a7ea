"""Audit page (instructors and admins): who changed what, when, why, with what result.

The records of :class:`audit.AuditTrail` (``ctx.services.audit``), newest first, filtered by
user, unit, object, action and a time range. Times in the table are UTC (the stored time);
the range may be typed in UTC or in the dashboard's local zone (``ctx.zone``), as the page
says. Each row shows the old → new value, the reason, the result with its status code and,
for a signed action, the signature manifestation (printed name, UTC date and time, meaning).
The CSV link is ``/api/audit?format=csv`` with the same filters.

Read only: nothing here edits a record; ``gmp-twin audit verify`` checks the hash chain.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import dash
from dash import Dash, Input, Output, State, dcc, html

from audit import AuditRecord, AuditUnavailable
from dashboard.context import DashContext
from dashboard.grid import col, data_grid, number_format
from dashboard.i18n import fmt_number, t
from dashboard.shell import Shell, notice, with_unused

PATH = "/audit"
#: The role the page and its callback need (checked by the Dash guard).
LEVEL = "instructor"
SHELL = Shell(PATH, "audit_title", lang_id="au-lang", tick_id="au-tick", tick_ms=3000, stores=("au-seen",))
LIMIT = 500
COLUMNS = ("seq", "utc_time", "sim_time_short", "audit_user", "role", "via", "action", "object", "old_new",
           "reason", "result", "signature_short")  # fmt: skip
TEXT_FILTERS = (("au-user", "audit_user", 64), ("au-object", "audit_object", 120), ("au-action", "audit_action", 40))


def utc_bound(text: str | None, zone: ZoneInfo | None) -> str | None:
    """A typed time as ISO 8601 with its offset: in ``zone`` (local), or UTC when ``zone`` is None.

    >>> utc_bound("2026-12-05 14:00", ZoneInfo("Europe/Paris")), utc_bound("2026-12-05", None)
    ('2026-12-05T14:00:00+01:00', '2026-12-05T00:00:00+00:00')
    >>> utc_bound("  ", None) is None
    True
    """
    if not text or not text.strip():
        return None
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone or ZoneInfo("UTC"))
    return moment.isoformat()


def _value(value: Any, lang: str, nested: bool = False) -> str:
    """A recorded value for a ``lang`` reader (the record keeps it as stored): numbers with their
    decimal comma in French, yes/no, a mapping as ``key = value`` pairs, items separated by ``;``
    (a French decimal comma is no separator), nested ones in brackets.

    >>> _value({"magnitude": 0.5, "hidden": False, "target": {"unit": "mps-pa"}, "tags": [1, 2]}, "fr")
    'hidden = non; magnitude = 0,5; tags = [1; 2]; target = (unit = mps-pa)'
    """
    if value is None:
        return "—"
    if isinstance(value, bool):
        return t("yes" if value else "no", lang)
    if isinstance(value, float | int):
        return fmt_number(value, lang, significant=10)
    if isinstance(value, dict):
        text = "; ".join(f"{key} = {_value(value[key], lang, True)}" for key in sorted(value))
        return f"({text})" if nested else text
    if isinstance(value, list | tuple):
        text = "; ".join(_value(item, lang, True) for item in value)
        return f"[{text}]" if nested else text
    return str(value)


def old_new(record: AuditRecord, lang: str = "en") -> str:
    """``old → new`` of a change, ``new`` alone when there was no old value, ``""`` for neither.

    >>> from types import SimpleNamespace
    >>> old_new(SimpleNamespace(old=96.0, new=72.5), "fr"), old_new(SimpleNamespace(old=None, new="on"), "fr")
    ('96 → 72,5', 'on')
    """
    if record.old is None and record.new is None:
        return ""
    if record.old is None:
        return _value(record.new, lang)
    return f"{_value(record.old, lang)} → {_value(record.new, lang)}"


def audit_rows(records: list[AuditRecord], names: dict[str, str], lang: str) -> list[dict[str, Any]]:
    """The records as grid rows, in the order given; ``names`` maps user names to display names.

    >>> from audit.record import AuditRecord
    >>> r = AuditRecord(7, "2026-12-05T19:20:11.123456Z", 61.5, "ines", "instructor", "http", "127.0.0.1:5",
    ...                 "tag.write", "mps-pa.level_sp", "mps-pa", 15.0, 18.0, "demo", "ok", "Good", "", None,
    ...                 "0" * 64, "1" * 64)
    >>> row = audit_rows([r], {"ines": "Inès Dupont"}, "en")[0]
    >>> [row[c] for c in COLUMNS[:9]]
    [7, '2026-12-05 19:20:11', 61.5, 'Inès Dupont (ines)', 'instructor', 'http 127.0.0.1:5', 'tag.write', \
'mps-pa.level_sp', '15 → 18']
    >>> [row[c] for c in COLUMNS[9:]], row["id"], row["result_class"]
    (['demo', 'accepted (Good)', ''], '7', 'ok')
    """
    rows = []
    for r in records:
        display = names.get(r.user, "")
        change = old_new(r, lang)
        rows.append(
            {
                "id": str(r.seq),
                "seq": r.seq,
                "utc_time": r.ts[:19].replace("T", " "),
                "sim_time_short": r.sim_time_s,  # a number: the grid formats it for the reader
                "audit_user": f"{display} ({r.user})" if display else r.user,
                "role": r.role,
                "via": f"{r.via} {r.client}".strip(),
                "action": r.action,
                "object": r.object,
                "old_new": change,
                "reason": r.reason,
                "result": f"{t(f'result_{r.result}', lang)} ({r.status})",
                "signature_short": r.signature_manifestation(),
                "result_class": r.result,
                "detail": r.detail,
            }
        )
    return rows


def audit_grid(lang: str) -> Any:
    """The audit records (rows from :func:`audit_rows`): sortable, filterable, CSV of what is shown.

    >>> [c["headerName"] for c in audit_grid("fr").children[1].columnDefs][:4]
    ['N°', 'Heure (UTC)', 'Temps simulé (s)', 'Utilisateur']
    """
    wide = {"old_new": 220, "reason": 180, "signature_short": 240, "object": 160}
    simulated = {"valueFormatter": number_format(lang, decimals=1)}
    columns = [
        col(key, lang, numeric=key in ("seq", "sim_time_short"), minWidth=wide.get(key, 90), tooltipField=key)
        | (simulated if key == "sim_time_short" else {})
        | ({"cellClass": "rule"} if key == "action" else {})
        | ({"cellClass": "manifestation"} if key == "signature_short" else {})
        for key in COLUMNS
    ]
    rules = {"result-refused": "params.data.result_class === 'refused'",
             "result-error": "params.data.result_class === 'error'"}  # fmt: skip
    return data_grid(
        "au-records", columns, lang, height=520, no_rows="audit_empty", file_name="audit.csv", row_class_rules=rules
    )


def filters_bar(ctx: DashContext, lang: str) -> html.Div:
    """User, unit, object, action, the time range and the zone it is typed in, the CSV link."""
    fields: list[Any] = [
        html.Div(
            [html.Label(t(label, lang), htmlFor=id_),
             dcc.Input(id=id_, type="text", maxLength=size, debounce=True, className="ack-input")],
            className="au-field",
        )
        for id_, label, size in TEXT_FILTERS
    ]  # fmt: skip
    units = sorted({tm.unit for tm in ctx.tagmaps})
    fields.insert(1, html.Div([html.Label(t("unit", lang)), dcc.Dropdown(id="au-unit", options=units)],
                              className="au-field au-unit"))  # fmt: skip
    for id_, label in (("au-since", "audit_since"), ("au-until", "audit_until")):
        box = dcc.Input(id=id_, type="text", debounce=True, placeholder="2026-12-05 14:00", className="ack-input")
        fields.append(html.Div([html.Label(t(label, lang), htmlFor=id_), box], className="au-field"))
    zones = [
        {"label": t("audit_zone_utc", lang), "value": "utc"},
        {"label": t("audit_zone_local", lang).format(zone=ctx.zone.key), "value": "local"},
    ]
    fields.append(
        html.Div(
            [html.Label(t("audit_zone", lang)), dcc.RadioItems(id="au-zone", options=zones, value="utc", inline=True)],
            className="au-field",
        )
    )
    fields.append(html.A(t("audit_csv", lang), id="au-csv", href="/api/audit?format=csv", download="audit.csv"))
    return html.Div(fields, className="ack-bar au-filters")


def query_filters(values: dict[str, str | None], zone: ZoneInfo | None) -> dict[str, str]:
    """The trail's filters from the form (empty fields left out); ``ValueError`` names a bad time.

    >>> query_filters({"user": " ines ", "unit": None, "obj": "", "action": "tag", "since": "2026-12-05",
    ...                "until": None}, None)
    {'user': 'ines', 'action': 'tag', 'since': '2026-12-05T00:00:00+00:00'}
    """
    found: dict[str, str] = {}
    for key, value in values.items():
        text = (value or "").strip()
        if not text:
            continue
        if key in ("since", "until"):
            try:
                found[key] = utc_bound(text, zone) or ""
            except ValueError:
                raise ValueError(text) from None
        else:
            found[key] = text
    return found


def csv_href(filters: dict[str, str]) -> str:
    """``/api/audit?format=csv`` with the same filters (``obj`` is the API's ``object``).

    >>> csv_href({"user": "ines", "obj": "mps-pa.level_sp"})
    '/api/audit?user=ines&object=mps-pa.level_sp&limit=10000&format=csv'
    """
    params = {("object" if k == "obj" else k): v for k, v in filters.items()}
    return "/api/audit?" + urlencode({**params, "limit": 10_000, "format": "csv"})


def _display_names(ctx: DashContext) -> dict[str, str]:
    gate = ctx.services.gate
    if gate is None:
        return {}
    return {u.name: u.display_name for u in gate.authenticator.store.users() if u.display_name}


def register(app: Dash, ctx: DashContext) -> None:
    """Register the audit page and its one callback (filters and the refresh tick in, table out)."""

    def layout(lang: str | None = None, **_: Any) -> html.Div:
        lang = ctx.lang(lang)
        body = [
            filters_bar(ctx, lang),
            html.P(id="au-count", className="muted"),
            html.Div(audit_grid(lang), id="au-table"),
        ]
        if ctx.services.audit is None:
            body = with_unused([notice("audit_none", lang, id="au-none")], body)
        return SHELL.layout(lang, body)

    dash.register_page("audit", path=PATH, layout=layout, name="audit", title="gmp-twin audit", order=14)

    @app.callback(
        Output("au-records", "rowData"),
        Output("au-count", "children"),
        Output("au-csv", "href"),
        Output("au-seen", "data"),
        Input("au-tick", "n_intervals"),
        Input("au-user", "value"),
        Input("au-unit", "value"),
        Input("au-object", "value"),
        Input("au-action", "value"),
        Input("au-since", "value"),
        Input("au-until", "value"),
        Input("au-zone", "value"),
        State("au-seen", "data"),
        State("au-lang", "data"),
    )
    def refresh(_n: int | None, *values: Any) -> tuple[Any, ...]:
        *form, zone_choice, seen, lang = values
        trail = ctx.services.audit
        if trail is None:
            return dash.no_update, dash.no_update, dash.no_update, seen
        keys = ("user", "unit", "obj", "action", "since", "until")
        try:
            filters = query_filters(dict(zip(keys, form, strict=True)), ctx.zone if zone_choice == "local" else None)
        except ValueError as exc:
            return dash.no_update, t("audit_bad_time", lang).format(value=str(exc)), dash.no_update, seen
        try:
            records = trail.query(**filters, limit=LIMIT)  # type: ignore[arg-type]
        except AuditUnavailable as exc:
            return dash.no_update, str(exc), dash.no_update, seen
        stamp = [filters, records[0].seq if records else 0, lang]
        if stamp == seen:  # nothing new: keep the table (and the reader's scroll position)
            return dash.no_update, dash.no_update, dash.no_update, seen
        count = t("audit_count", lang).format(n=len(records))
        return audit_rows(records, _display_names(ctx), lang), count, csv_href(filters), stamp
