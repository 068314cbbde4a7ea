"""Pure views of the instructor's exercise controls: the live exercise per team, hint choices, the push request.

Plain data in (``TwinControl.exercise_state("instructor", "")``, the users file's teams), Dash
components or plain dicts out, so they are tested without a server or a browser; the layout and
the callbacks are in :mod:`dashboard.instructor_exercise`.

Examples
--------
>>> team_names(["team-2", "", "team-1"], [{"team": "team-3"}, {"team": "team-1"}])
['team-1', 'team-2', 'team-3']
>>> team_names(["team-2"], [], plant_team="team-4")
['team-4']
>>> specs = [{"id": "zero", "text": {"en": "Check the zero", "fr": "Vérifiez le zéro"}, "cost": 8.5, "at_s": None}]
>>> hint_options(specs, "fr")
[{'label': 'zero — 8,5 points', 'value': 'zero'}]
>>> hint_preview(specs, "zero", "fr")
'Vérifiez le zéro (coût\\xa0: 8,5 points)'
>>> hint_request("team-1", "scenario", "zero", "", "", None)
{'team': 'team-1', 'hint_id': 'zero'}
>>> hint_request(EVERY_TEAM, "free", None, "Regardez le pH", "", 3)
{'team': None, 'text': {'fr': 'Regardez le pH'}, 'cost': 3.0}
>>> hint_request(None, "scenario", "zero", "", "", None)
Traceback (most recent call last):
...
dashboard.instructor_exercise_view.FormError: ix.err.team
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import tzinfo
from typing import Any
from urllib.parse import quote

from dash import html

from dashboard.i18n import fmt_datetime, fmt_number, t

#: The "every team" choice of the push form (``push_hint(team=None)``).
EVERY_TEAM = "*"
REPORT_COLUMNS = ("id", "time", "user", "unit", "tags", "cause", "class")


class FormError(ValueError):
    """A field of the push form is missing or wrong; ``args[0]`` is the label key saying which."""


def _text(value: Any, lang: str) -> str:
    if isinstance(value, Mapping):
        return str(value.get(lang) or value.get("en") or value.get("fr") or "")
    return str(value or "")


def clock(seconds: float) -> str:
    """``1:02:05``: seconds into the exercise.

    >>> clock(3725.4), clock(-3)
    ('1:02:05', '0:00:00')
    """
    s = max(0, round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def team_names(member_teams: Iterable[str], reports: Iterable[Mapping[str, Any]], plant_team: str = "") -> list[str]:
    """Teams the console acts on: those with members in the users file and those that already reported.

    On a team's own plant (a classroom) only that plant's team: the console drives one plant.
    """
    if plant_team:
        return [plant_team]
    return sorted({name for name in member_teams if name} | {str(r["team"]) for r in reports if r.get("team")})


def summary_text(state: Mapping[str, Any] | None, lang: str) -> str:
    """``Mystery level (mystery) · running · 0:01:15 elapsed of 1:00:00 · ×10``, plus "faults revealed".

    >>> summary_text(None, "en")
    'No exercise: start a scenario above.'
    """
    if not state:
        return t("ix.none", lang)
    duration = state.get("duration_s")
    speed = state.get("speed")
    line = t(
        "ix.summary",
        lang,
        title=_text(state.get("title"), lang) or state.get("scenario", ""),
        scenario=state.get("scenario", ""),
        state=t(f"ix.state.{state.get('state', 'running')}", lang),
        elapsed=clock(float(state.get("elapsed_s") or 0)),
        duration=clock(float(duration)) if duration else "—",
        speed=speed if isinstance(speed, str) else fmt_number(speed, lang),
    )
    return f"{line} · {t('ix.revealed', lang)}" if state.get("revealed") else line


def debrief_href(state: Mapping[str, Any], lang: str) -> str:
    """The debrief page of this exercise (a classroom's is the class run's, every team together).

    >>> debrief_href({"run_id": "c1-team-2", "class_run": "c1"}, "fr")
    '/debrief?lang=fr&run=c1'
    """
    run = state.get("class_run") or state.get("run_id") or ""
    return f"/debrief?lang={lang}&run={quote(str(run))}"


def report_cells(report: Mapping[str, Any], causes: Mapping[str, str], lang: str, zone: tzinfo) -> dict[str, str]:
    """One report as the table shows it: the cause's label in ``lang``, or the free text."""
    tags = report.get("tags") or []
    cause = causes.get(str(report.get("cause") or "")) or report.get("cause") or report.get("cause_text") or ""
    ident = str(report.get("report_id", "?"))
    if report.get("supersedes"):
        ident += f" ({t('ix.supersedes', lang, id=report['supersedes'])})"
    when = report.get("time_ns")
    return {
        "id": ident,
        "time": fmt_datetime(when / 1e9, lang, "time", tz=zone) if isinstance(when, int | float) else "",
        "user": str(report.get("user", "")),
        "unit": str(report.get("unit", "")),
        "tags": ", ".join(tags.split(",") if isinstance(tags, str) else tags),
        "cause": str(cause),
        "class": str(report.get("classification") or ""),
    }


def _hints_line(team: str, hints: Sequence[Mapping[str, Any]], lang: str) -> html.P:
    mine = [h for h in hints if h.get("team") in ("", team)]
    opened = [h for h in mine if team in (h.get("opened_teams") or [])]
    cost = sum(float(h.get("cost") or 0) for h in opened)
    line = t("ix.hints_line", lang, pushed=len(mine), opened=len(opened), cost=fmt_number(cost, lang))
    return html.P(line, className="muted", id={"type": "ix-team-hints", "team": team})


def team_block(
    team: str,
    reports: Sequence[Mapping[str, Any]],
    hints: Sequence[Mapping[str, Any]],
    causes: Mapping[str, str],
    lang: str,
    zone: tzinfo,
) -> html.Div:
    """One team: its reports (read-only) and the hints it was pushed and opened."""
    rows = [report_cells(r, causes, lang, zone) for r in reports if r.get("team") == team]
    if rows:
        head = html.Tr([html.Th(t(f"ix.col.{c}", lang)) for c in REPORT_COLUMNS])
        body = [html.Tr([html.Td(row[c]) for c in REPORT_COLUMNS]) for row in rows]
        table: Any = html.Table([html.Thead(head), html.Tbody(body)], className="tags")
    else:
        table = html.P(t("ix.no_reports", lang), className="muted")
    return html.Div(
        [html.H3(t("ix.team", lang, team=team)), _hints_line(team, hints, lang), table],
        className="table-card",
        id={"type": "ix-team", "team": team},
    )


def warnings_list(warnings: Sequence[Mapping[str, Any]], lang: str) -> html.Div:
    """The exercise's limits warnings, newest first (a team plant's carry no team: one plant, one team)."""
    items = [
        html.Li(
            t(
                "ix.warning",
                lang,
                when="+" + clock(float(w.get("sim_s") or 0)),
                team=f"{w['team']} · " if w.get("team") else "",
                unit=w.get("unit", ""),
                tag=w.get("tag", ""),
                value=fmt_number(w.get("value"), lang, 2),
                lo=fmt_number(w.get("lo"), lang),
                hi=fmt_number(w.get("hi"), lang),
            )
        )
        for w in reversed(warnings)
    ]
    content: Any = html.Ul(items) if items else html.P(t("ix.no_warnings", lang), className="muted")
    return html.Div([html.H3(t("ix.warnings", lang)), content], id="ix-warnings")


def live_view(state: Mapping[str, Any] | None, teams: Sequence[str], lang: str, zone: tzinfo) -> list[Any]:
    """The debrief link once ended, one block per team, the limits warnings (the summary line is apart:
    it changes every second, these only when something happens)."""
    if not state:
        return []
    causes = {str(c["id"]): _text(c.get("label"), lang) for c in state.get("candidate_causes") or []}
    reports, hints = state.get("reports") or [], state.get("hints") or []
    out: list[Any] = []
    if state.get("revealed") or state.get("state") != "running":
        out.append(html.P(html.A(t("ix.debrief", lang), href=debrief_href(state, lang), id="ix-debrief-live")))
    blocks = [team_block(team, reports, hints, causes, lang, zone) for team in teams]
    out.append(html.Div(blocks, className="row") if blocks else html.P(t("ix.no_teams", lang), className="muted"))
    out.append(warnings_list(state.get("warnings") or [], lang))
    return out


# -- pushing a hint ---------------------------------------------------------------------------
def team_options(teams: Sequence[str], lang: str, every_team: bool = True) -> list[dict[str, str]]:
    """The push form's recipients: every team first (not on a team's own plant), then each team.

    >>> [o["value"] for o in team_options(["team-1"], "en")]
    ['*', 'team-1']
    """
    first = [{"label": t("ix.every_team", lang), "value": EVERY_TEAM}] if every_team else []
    return first + [{"label": t("ix.team", lang, team=name), "value": name} for name in teams]


def hint_options(specs: Sequence[Mapping[str, Any]], lang: str) -> list[dict[str, str]]:
    """The scenario's hints, each with its cost."""
    return [
        {"label": t("ix.hint_option", lang, id=s["id"], cost=fmt_number(float(s.get("cost") or 0), lang)),
         "value": str(s["id"])}
        for s in specs
    ]  # fmt: skip


def hint_preview(specs: Sequence[Mapping[str, Any]], hint_id: str | None, lang: str) -> str:
    """The picked hint's text in ``lang`` and its cost (and when the scenario pushes it by itself)."""
    spec = next((s for s in specs if s.get("id") == hint_id), None)
    if spec is None:
        return ""
    line = t("ix.hint_preview", lang, text=_text(spec.get("text"), lang), cost=fmt_number(float(spec["cost"]), lang))
    at_s = spec.get("at_s")
    return f"{line} · {t('ix.at', lang, at=clock(float(at_s)))}" if at_s is not None else line


def hint_request(
    team: str | None, kind: str | None, hint_id: str | None, text_fr: str | None, text_en: str | None, cost: Any
) -> dict[str, Any]:
    """``push_hint``'s keyword arguments from the form; :class:`FormError` names the field to fix."""
    if not team:
        raise FormError("ix.err.team")
    request: dict[str, Any] = {"team": None if team == EVERY_TEAM else team}
    if kind != "free":
        if not hint_id:
            raise FormError("ix.err.hint")
        return {**request, "hint_id": hint_id}
    text = {lang: v.strip() for lang, v in (("fr", text_fr), ("en", text_en)) if v and v.strip()}
    if not text:
        raise FormError("ix.err.text")
    if not isinstance(cost, int | float) or isinstance(cost, bool) or cost < 0:
        raise FormError("ix.err.cost")
    return {**request, "text": text, "cost": float(cost)}
