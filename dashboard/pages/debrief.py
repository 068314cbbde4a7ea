"""Debrief page: an exercise's per-team time axes, the faulted tags' trends, the leaderboard, the exports.

Pick an exercise (``?run=`` preselects one) and, for the trends, a team. A student sees only
their own team, and only once the instructor has ended the exercise with a signature; an
instructor sees every team of every exercise, running or ended. The rule is applied in the
callbacks on the server (:func:`dashboard.debrief.service.debrief_for`), not by hiding choices:
a student who posts another team or a running exercise to the callback gets the refusal text.

The CSV and the printable HTML (FR/EN) are the API's (``/api/debrief/<run>.csv|.html``), under
the same rule.
"""

from __future__ import annotations

from collections.abc import Coroutine
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

import dash
from dash import Dash, Input, Output, State, dcc, html

from dashboard.auth.dash_guard import current_principal
from dashboard.context import DashContext
from dashboard.debrief.access import DebriefRefused, sees_every_team
from dashboard.debrief.collect import Debrief, RunInfo
from dashboard.debrief.export import leaderboard_rows, report_table
from dashboard.debrief.service import debrief_for, runs_for
from dashboard.debrief.timeline import timeline_figure, trends_figure
from dashboard.figures import empty_figure
from dashboard.grid import col, data_grid
from dashboard.i18n import colon, fmt_datetime, fmt_number, t
from dashboard.shell import Shell, chart_config

PATH = "/debrief"
#: Students may open it; what they see is checked per callback (own team, ended exercises).
LEVEL = "student"
SHELL = Shell(PATH, "debrief_title", lang_id="db-lang", tick_id="db-tick", tick_ms=15_000)
T = TypeVar("T")
BOARD = ("rank", "team", "score", "found", "missed", "false", "hints_cost", "warnings")
REPORTS = ("team", "id", "when", "user", "unit", "tags", "cause", "matched", "delay", "points")
_KEY = {"id": "db_report", "score": "db_score", "false": "db_false", "rank": "db_rank", "team": "db_team",
        "found": "db_found", "missed": "db_missed", "hints_cost": "db_hints_cost", "warnings": "db_warnings",
        "when": "db_when", "user": "db_user", "unit": "db_unit", "tags": "db_tags", "cause": "db_cause",
        "matched": "db_matched", "delay": "db_delay", "points": "db_points"}  # fmt: skip


def run_label(run: RunInfo, lang: str, ctx: DashContext) -> str:
    """``Mystery level — run-1 (3 déc. 2026, 14:00:00, terminé)``."""
    when = fmt_datetime(datetime.fromtimestamp(run.start_ns / 1e9, ctx.zone), lang, tz=ctx.zone)
    state = t("db_ended" if run.ended else "db_running", lang)
    return f"{run.title.get(lang, run.scenario)} — {run.run_id} ({when}, {state})"


def export_links(run_id: str, lang: str) -> list[Any]:
    base = f"/api/debrief/{quote(run_id)}"
    return [
        html.Span(f"{t('db_export', lang)}{colon(lang)} ", className="muted"),
        html.A(t("db_csv", lang), href=f"{base}.csv", id="db-csv", download=f"debrief-{run_id}.csv"),
        " · ",
        html.A(t("db_html_fr", lang), href=f"{base}.html?lang=fr", id="db-html-fr", target="_blank"),
        " · ",
        html.A(t("db_html_en", lang), href=f"{base}.html?lang=en", id="db-html-en", target="_blank"),
    ]


def board_grid(lang: str) -> Any:
    columns = [col(_KEY[k], lang, field=k, numeric=k in ("rank", "false", "warnings"), minWidth=90) for k in BOARD]
    return data_grid("db-leaderboard", columns, lang, height=220, no_rows="db_none", file_name="leaderboard.csv")


def reports_grid(lang: str) -> Any:
    columns = [col(_KEY[k], lang, field=k, minWidth=90, tooltipField=k) for k in REPORTS]
    return data_grid("db-reports", columns, lang, height=260, no_rows="db_none", file_name="reports.csv")


def register(app: Dash, ctx: DashContext) -> None:
    """Register the debrief page and its two callbacks (the exercise list; the chosen exercise)."""

    def run_sync(coro: Coroutine[Any, Any, T]) -> T:
        return ctx.gateway.on_plant(coro)

    def layout(lang: str | None = None, run: str | None = None, team: str | None = None, **_: Any) -> html.Div:
        lang = ctx.lang(lang)
        picks = html.Div(
            [
                html.Div([html.Label(t("db_run", lang)), dcc.Dropdown(id="db-run", value=run, clearable=False)],
                         className="au-field db-run"),
                html.Div([html.Label(t("db_team", lang)), dcc.Dropdown(id="db-team", value=team, clearable=False)],
                         className="au-field"),
                html.Div(id="db-exports", className="au-field"),
            ],
            className="ack-bar",
        )  # fmt: skip
        body = [
            picks,
            html.P(id="db-message", className="notice", hidden=True),
            html.P(id="db-summary", className="muted"),
            html.H2(t("db_timeline", lang)),
            dcc.Graph(id="db-timeline", config=chart_config(lang), figure=empty_figure(lang, height=200)),
            dcc.Graph(id="db-trends", config=chart_config(lang), figure=empty_figure(lang, height=200)),
            html.H2(t("db_leaderboard", lang)),
            board_grid(lang),
            html.H2(t("db_reports", lang)),
            reports_grid(lang),
        ]
        return SHELL.layout(lang, body)

    dash.register_page("debrief", path=PATH, layout=layout, name="debrief_page", title="gmp-twin debrief", order=16)

    @app.callback(
        Output("db-run", "options"),
        Output("db-run", "value"),
        Input("db-tick", "n_intervals"),
        State("db-run", "value"),
        State("db-lang", "data"),
    )
    def list_runs(_n: int | None, chosen: str | None, lang: str) -> tuple[Any, Any]:
        runs = run_sync(runs_for(ctx.root, current_principal()))
        options = [{"label": run_label(r, lang, ctx), "value": r.run_id} for r in runs]
        ids = [r.run_id for r in runs]
        value = chosen if chosen in ids else (ids[0] if ids else None)
        return options, value if value != chosen else dash.no_update

    @app.callback(
        Output("db-team", "options"),
        Output("db-message", "children"),
        Output("db-message", "hidden"),
        Output("db-summary", "children"),
        Output("db-timeline", "figure"),
        Output("db-trends", "figure"),
        Output("db-leaderboard", "rowData"),
        Output("db-reports", "rowData"),
        Output("db-exports", "children"),
        Input("db-run", "value"),
        Input("db-team", "value"),
        State("db-lang", "data"),
    )
    def show(run_id: str | None, team: str | None, lang: str) -> tuple[Any, ...]:
        principal = current_principal()
        if not run_id:
            key = "db_no_runs" if sees_every_team(principal) else (
                "db_no_runs_student" if principal.team else "db_no_team")  # fmt: skip
            return _blank(t(key, lang), lang)
        try:
            debrief = run_sync(debrief_for(ctx.root, principal, run_id, team or None))
        except DebriefRefused as exc:
            return _blank(exc.text(lang), lang)
        except KeyError:
            return _blank(t("db_unknown_run", lang, run=run_id), lang)
        return _shown(debrief, team, lang, ctx)


def _blank(message: str, lang: str) -> tuple[Any, ...]:
    empty = empty_figure(lang, height=200)
    return [], message, False, "", empty, empty, [], [], []


def _shown(debrief: Debrief, team: str | None, lang: str, ctx: DashContext) -> tuple[Any, ...]:
    def when(ns: int) -> str:
        return fmt_datetime(datetime.fromtimestamp(ns / 1e9, ctx.zone), lang, tz=ctx.zone)

    run = debrief.run
    summary = t("db_summary", lang, scenario=run.title.get(lang, run.scenario),
                state=t("db_ended" if run.ended else "db_running", lang), start=when(run.start_ns),
                end=when(debrief.end_ns), teams=len(debrief.teams),
                points=fmt_number(debrief.score.get("max_points", 0.0), lang, 0))  # fmt: skip
    chart = team if team in debrief.trends else next(iter(debrief.trends), None)
    trends = trends_figure(debrief.trends.get(chart or "", []), chart or "", lang, ctx.zone,
                           (run.start_ns, debrief.end_ns))  # fmt: skip
    board = [row | {"id": row["team"]} for row in leaderboard_rows(debrief, lang)]
    reports = [row | {"id": f"{row['team']}/{row['id']}"} for row in report_table(debrief, lang, ctx.zone)]
    options = [{"label": name, "value": name} for name in debrief.teams]
    return (options, "", True, summary, timeline_figure(debrief, lang, ctx.zone), trends, board, reports,
            export_links(run.run_id, lang))  # fmt: skip
