"""History page: a student's exercises across sessions: team score and rank, own points, delays, missed causes.

A student sees their own history, ended exercises only; an instructor picks any student of the
users file. The rule is applied in the callback on the server
(:func:`dashboard.debrief.service.history_for`), the same as ``GET /api/exercise/history``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import dash
from dash import Dash, Input, Output, State, dcc, html

from dashboard.auth.dash_guard import current_principal
from dashboard.context import DashContext
from dashboard.debrief.access import DebriefRefused, sees_every_team
from dashboard.debrief.service import history_for
from dashboard.grid import col, data_grid, number_format
from dashboard.i18n import colon, fmt_datetime, fmt_number, t
from dashboard.report.render import fmt_duration
from dashboard.shell import Shell

PATH = "/history"
LEVEL = "student"
SHELL = Shell(PATH, "history_title", lang_id="hs-lang", tick_id="hs-tick", tick_ms=30_000)
COLUMNS = (("run_id", "db_run"), ("scenario", "hs_scenario"), ("start", "db_start"), ("team", "db_team"),
           ("team_score", "hs_team_score"), ("rank", "db_rank"), ("own_points", "hs_own_points"),
           ("reports", "db_reports_n"), ("correct", "hs_correct"), ("delays", "hs_delays"),
           ("missed_causes", "hs_missed"))  # fmt: skip
NUMERIC = ("team_score", "own_points", "reports", "correct")


def history_rows(rows: list[dict[str, Any]], lang: str, ctx: DashContext) -> list[dict[str, Any]]:
    """The history as grid rows, newest exercise first (numbers stay numbers: the grid formats them)."""
    out = []
    for r in reversed(rows):
        start = datetime.fromtimestamp(r["start_ns"] / 1e9, ctx.zone)
        out.append(
            {
                "id": r["run_id"], "run_id": r["run_id"], "scenario": r["scenario"],
                "start": fmt_datetime(start, lang, tz=ctx.zone), "team": r["team"], "team_score": r["team_score"],
                "rank": f"{r['rank']} / {r['teams']}", "own_points": r["own_points"], "reports": r["reports"],
                "correct": r["correct"], "delays": ", ".join(fmt_duration(d) for d in r["delays_s"]) or "—",
                "missed_causes": ", ".join(r["missed_causes"]) or "—",
            }
        )  # fmt: skip
    return out


def register(app: Dash, ctx: DashContext) -> None:
    """Register the history page and its callback (the student picked in, the table out)."""

    def students() -> list[str]:
        gate = ctx.root.gate
        users = gate.authenticator.store.users() if gate is not None else []
        return sorted(u.name for u in users if u.role == "student")

    def layout(lang: str | None = None, user: str | None = None, **_: Any) -> html.Div:
        lang = ctx.lang(lang)
        principal = current_principal()
        every = sees_every_team(principal)
        names = students() if every else [principal.name]
        picked = user if every and user in names else (names[0] if every and names else principal.name)
        pick = dcc.Dropdown(id="hs-user", options=names, value=picked, clearable=False, disabled=not every)
        fmt = {"valueFormatter": number_format(lang, significant=4)}
        columns = [col(key, lang, field=field, numeric=field in NUMERIC, minWidth=90, tooltipField=field)
                   | (fmt if field in ("team_score", "own_points") else {}) for field, key in COLUMNS]  # fmt: skip
        body = [
            html.Div([html.Div([html.Label(t("db_student", lang)), pick], className="au-field")], className="ack-bar"),
            html.P(id="hs-message", className="notice", hidden=True),
            data_grid("hs-grid", columns, lang, height=420, no_rows="hs_empty", file_name="history.csv"),
        ]
        return SHELL.layout(lang, body)

    dash.register_page("history", path=PATH, layout=layout, name="history_page", title="gmp-twin history", order=17)

    @app.callback(
        Output("hs-grid", "rowData"),
        Output("hs-message", "children"),
        Output("hs-message", "hidden"),
        Input("hs-user", "value"),
        Input("hs-tick", "n_intervals"),
        State("hs-lang", "data"),
    )
    def show(user: str | None, _n: int | None, lang: str) -> tuple[Any, ...]:
        principal = current_principal()
        try:
            rows = ctx.gateway.on_plant(history_for(ctx.root, principal, user))
        except DebriefRefused as exc:
            return [], exc.text(lang), False
        total = sum(r["own_points"] for r in rows)
        note = f"{t('hs_own_points', lang)}{colon(lang)} {fmt_number(total, lang, 1)}"
        return history_rows(rows, lang, ctx), note, not rows
