"""The debrief as CSV (one row per item, machine-readable) and as a printable HTML page in French or English.

The CSV keeps numbers with a decimal point and times in UTC ISO 8601 (a file for a spreadsheet
or a script, the same in both languages); the HTML page shows times in the reader's zone and
numbers with a decimal comma in French, and prints to PDF through the browser (the batch
reports' print stylesheet).

Examples
--------
>>> from dashboard.debrief.collect import Debrief, RunInfo
>>> run = RunInfo("r1", "drift", {"en": "Drift", "fr": "Dérive"}, 0, 60 * 10**9, {"": 60 * 10**9})
>>> score = {"teams": [{"team": "blue", "rank": 1, "score": 80.5, "found": ["F1"], "missed": [],
...                     "reports": [], "hints": [], "penalties": {}, "warnings": 0}]}
>>> print(to_csv(Debrief(run, 60 * 10**9, ["blue"], score, [], [], [], [])).splitlines()[1])
r1,drift,team,blue,1,80.5,,,,,,found: F1,
"""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import UTC, datetime
from functools import cache
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import jinja2
import plotly.io as pio

from dashboard.debrief import template
from dashboard.debrief.collect import Debrief
from dashboard.debrief.timeline import timeline_figure
from dashboard.i18n import LANGS, fmt_datetime, fmt_number, graph_config, t
from dashboard.report import template as report_template
from dashboard.report.render import LOCALE_SRC, PLOTLY_SRC, fmt_duration

_S = 1_000_000_000
CSV_COLUMNS = ("run_id", "scenario", "section", "team", "rank", "points", "time_utc", "user", "unit", "tags", "item",
               "detail", "matched_fault")  # fmt: skip
_TX = ("leaderboard", "rank", "team", "score", "found", "missed", "false", "hints_cost", "warnings", "timeline",
       "reports", "report", "when", "user", "unit", "tags", "cause", "matched", "delay", "points", "faults", "fault",
       "start", "end", "actions", "action", "change", "none", "csv", "print")  # fmt: skip


def _utc(time_ns: int | None) -> str:
    if time_ns is None:
        return ""
    return datetime.fromtimestamp(time_ns / _S, UTC).isoformat().replace("+00:00", "Z")


def _number(value: Any) -> str:
    return "" if value is None else f"{float(value):g}"


def csv_rows(debrief: Debrief) -> list[dict[str, str]]:
    """Every item of the debrief as one CSV row (:data:`CSV_COLUMNS`): team scores, reports, hints,
    faults, alarms, actions."""
    base = {"run_id": debrief.run.run_id, "scenario": debrief.run.scenario}
    rows: list[dict[str, str]] = []
    for team in debrief.team_rows():
        missed = ",".join(m["fault_id"] for m in team.get("missed", []))
        detail = f"found: {','.join(team.get('found', []))}" + (f"; missed: {missed}" if missed else "")
        rows.append(base | {"section": "team", "team": team["team"], "rank": str(team["rank"]),
                            "points": _number(team["score"]), "detail": detail})  # fmt: skip
        for r in team.get("reports", []):
            rows.append(base | {
                "section": "report", "team": team["team"], "points": _number(r.get("total")),
                "time_utc": _utc(next((x["time_ns"] for x in debrief.reports
                                       if x.get("report_id") == r.get("report_id") and x.get("team") == team["team"]),
                                      None)),
                "user": str(r.get("user", "")), "unit": str(r.get("unit", "")), "tags": ",".join(r.get("tags", [])),
                "item": str(r.get("report_id", "")), "detail": str(r.get("cause", "")),
                "matched_fault": str(r.get("matched_fault") or ""),
            })  # fmt: skip
        for h in team.get("hints", []):
            rows.append(base | {"section": "hint", "team": team["team"], "points": _number(-float(h["cost"])),
                                "user": str(h.get("user", "")), "item": str(h["hint_id"])})  # fmt: skip
    for f in debrief.faults:
        detail = f"{f['kind']} until {_utc(f['end_ns'])}"
        rows.append(base | {"section": "fault", "team": f["team"], "time_utc": _utc(f["start_ns"]), "unit": f["unit"],
                            "tags": f["tag"], "item": f["fault_id"], "detail": detail})  # fmt: skip
    for m in debrief.marks:
        if m.lane == "alarm":
            rows.append(base | {"section": "alarm", "team": m.team, "time_utc": _utc(m.start_ns), "item": m.label,
                                "detail": m.detail})  # fmt: skip
    for a in debrief.actions:
        rows.append(base | {"section": "action", "team": a.team, "time_utc": _utc(a.time_ns), "user": a.user,
                            "item": a.action, "detail": f"{a.object}: {a.old} -> {a.new} ({a.result})"})  # fmt: skip
    return [{c: row.get(c, "") for c in CSV_COLUMNS} for row in rows]


def to_csv(debrief: Debrief) -> str:
    """The CSV text (header first)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(csv_rows(debrief))
    return out.getvalue()


@cache
def _env() -> jinja2.Environment:
    loader = jinja2.DictLoader({"debrief.html": template.DEBRIEF})
    return jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined)


def leaderboard_rows(debrief: Debrief, lang: str) -> list[dict[str, Any]]:
    """The ranked teams for a reader (numbers in ``lang``)."""
    rows = []
    for team in debrief.team_rows():
        pen = team.get("penalties", {})
        rows.append(
            {
                "team": team["team"], "rank": team["rank"], "score": fmt_number(team["score"], lang, 1),
                "found": ", ".join(team.get("found", [])) or "—",
                "missed": ", ".join(m["fault_id"] for m in team.get("missed", [])) or "—",
                "false": sum(1 for r in team.get("reports", []) if r.get("false")),
                "hints_cost": fmt_number(pen.get("hints", 0.0), lang, 1), "warnings": team.get("warnings", 0),
            }
        )  # fmt: skip
    return rows


def report_table(debrief: Debrief, lang: str, zone: ZoneInfo) -> list[dict[str, Any]]:
    """Every report shown, with its score (from the team's scored reports)."""
    scored = {(t["team"], r["report_id"]): r for t in debrief.team_rows() for r in t.get("reports", [])}
    rows = []
    for r in debrief.reports:
        s = scored.get((str(r.get("team", "")), str(r.get("report_id", ""))), {})
        delay = s.get("delay_s")
        matched = s.get("matched_fault") or (t("db_false_report", lang) if s.get("false") else "—")
        if s.get("superseded"):
            matched = f"{matched} ({t('db_superseded', lang)})"
        rows.append(
            {
                "team": r.get("team", ""), "id": r.get("report_id", ""),
                "when": fmt_datetime(datetime.fromtimestamp(r["time_ns"] / _S, zone), lang, tz=zone),
                "user": r.get("user", ""), "unit": r.get("unit", ""), "tags": str(r.get("tags", "")).replace(",", ", "),
                "cause": r.get("cause") or r.get("cause_text", ""), "matched": matched,
                "delay": fmt_duration(delay) if isinstance(delay, int | float) else "—",
                "points": fmt_number(s.get("total"), lang, 1) if s else "—",
            }
        )  # fmt: skip
    return rows


def render_html(debrief: Debrief, lang: str, zone: ZoneInfo, reader: str, base: str) -> str:
    """The printable debrief page (``base``: its URL path without the ``.html``)."""

    def when(ns: int | None) -> str:
        if ns is None:
            return t("db_still_active", lang)
        return fmt_datetime(datetime.fromtimestamp(ns / _S, zone), lang, tz=zone)

    run = debrief.run
    title = f"{t('debrief_title', lang)} — {run.title.get(lang, run.scenario)}"
    fig = timeline_figure(debrief, lang, zone)
    state = t("db_ended" if run.ended else "db_running", lang)
    max_points = debrief.score.get("max_points", 0.0)
    summary = t("db_summary", lang, scenario=run.run_id, state=state, start=when(run.start_ns),
                end=when(debrief.end_ns), teams=len(debrief.teams), points=fmt_number(max_points, lang, 0))  # fmt: skip
    query = {"tz": zone.key}
    return (
        _env()
        .get_template("debrief.html")
        .render(
            lang=lang, title=title, css=report_template.CSS, plotly_src=PLOTLY_SRC, locale_src=LOCALE_SRC,
            run_id=run.run_id, summary=summary, times_note=t("db_times_note", lang, zone=zone.key),
            langs=[(code, f"{base}.html?{urlencode({**query, 'lang': code})}") for code in LANGS],
            csv_href=f"{base}.csv", tx={k: t(f"db_{k}", lang) for k in _TX},
            leaderboard=leaderboard_rows(debrief, lang), reports=report_table(debrief, lang, zone),
            faults=[{"id": f["fault_id"], "kind": f["kind"], "team": f["team"] or t("db_every_team", lang),
                     "target": f["target"], "start": when(f["start_ns"]), "end": when(f["end_ns"])}
                    for f in debrief.faults],
            actions=[{"team": a.team, "when": when(a.time_ns), "user": a.user, "action": a.action,
                      "change": f"{a.object}: {a.old} → {a.new}" if a.old is not None else f"{a.object} = {a.new}"}
                     for a in debrief.actions],
            timeline_height=int(fig.layout.height or 300),
            figure=json.dumps(json.loads(pio.to_json(fig, validate=False)), ensure_ascii=False).replace("</", "<\\/"),
            config=json.dumps(graph_config(lang, staticPlot=False, responsive=True)),
            footer=t("db_generated", lang, when=when(time.time_ns()), who=reader),
        )
    )  # fmt: skip
