"""The classroom page's layout: the start and end controls, and one card per team plant.

Pure builders over the plain data of :func:`dashboard.classroom_state.classroom_state`,
testable without a browser; :mod:`dashboard.pages.classroom` wires them to callbacks. A card's
frame (title, link to the team's plant, the team's scenario picker) is built once; its body
(scenario line, counters, key values) is refilled on every tick, so a picked scenario stays.

Examples
--------
>>> card = team_card("team-2", "fr", [{"name": "leak", "title": "Fuite"}])
>>> card.id, card.children[1].href
({'type': 'cr-card', 'team': 'team-2'}, '/?team=team-2&lang=fr')
>>> counters_text({"alarms": 2, "reports": 1, "oee": [{"unit": "line-1", "oee": 0.715}]}, "fr")
'Alarmes actives\\xa0: 2 · Déclarations d’écart\\xa0: 1 · TRS line-1\\xa0: 71,5\\xa0%'
>>> result_text({"started": {"team-1": {}}, "errors": {"team-2": "no unit dryer-1"}}, "started", "en")
'Started: team-1 · Refused: team-2 (no unit dryer-1)'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dash import dcc, html

from audit import MEANINGS
from config_schema.tagmap import TagEntry, TagMap
from dashboard.i18n import MISSING, colon, fmt_number, t
from dashboard.instructor_view import scenario_text
from dashboard.plant_texts import tag_description
from dashboard.tag_format import format_value

FIELD = {"display": "flex", "flexDirection": "column", "gap": "2px"}
#: The cards side by side, as many per row as the screen holds.
GRID = {"display": "grid", "gridTemplateColumns": "repeat(auto-fill, minmax(300px, 1fr))", "gap": "12px"}


def scenario_options(scenarios: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Dropdown options of the scenario library: ``Title (name)``.

    >>> scenario_options([{"name": "leak", "title": "Small leak"}])
    [{'label': 'Small leak (leak)', 'value': 'leak'}]
    """
    return [{"label": f"{s['title']} ({s['name']})", "value": str(s["name"])} for s in scenarios]


def controls(
    scenarios: Sequence[Mapping[str, Any]], lang: str, *, local_console: bool = False, library_error: str = ""
) -> list[Any]:
    """Start (one scenario for all, or each team's pick) and end (signed) for every team."""
    hidden_field = {**FIELD, "display": "none"}
    start = html.Div(
        [
            html.Div(
                [
                    html.Label(t("classroom.all_teams_scenario", lang), htmlFor="cr-scenario"),
                    dcc.Dropdown(
                        id="cr-scenario",
                        options=scenario_options(scenarios),
                        placeholder=t("pick_scenario", lang) if scenarios else t("no_scenarios", lang),
                        style={"minWidth": "380px"},
                    ),
                ],
                style=FIELD,
            ),
            dcc.Checklist(
                id="cr-hidden", options=[{"label": t("scenario_hidden", lang), "value": "hidden"}], value=["hidden"]
            ),
            html.Button(t("classroom.start_all", lang), id="cr-start-all", className="ack-btn"),
            html.Button(t("classroom.start_each", lang), id="cr-start-each", className="ack-btn"),
        ],
        className="ack-bar",
    )
    sign_fields = [
        html.Div(
            [
                html.Label(t("signer", lang), htmlFor="cr-signer"),
                dcc.Input(id="cr-signer", type="text", maxLength=64, className="ack-input", autoComplete="username"),
            ],
            id="cr-signer-wrap",
            style=FIELD if local_console else hidden_field,
        ),
        html.Div(
            [
                html.Label(t("password", lang), htmlFor="cr-sign-password"),
                dcc.Input(
                    id="cr-sign-password",
                    type="password",
                    maxLength=1024,
                    className="ack-input",
                    autoComplete="current-password",
                ),
            ],
            style=FIELD,
        ),
        html.Div(
            [
                html.Label(t("meaning", lang)),
                dcc.Dropdown(
                    id="cr-sign-meaning",
                    options=[{"label": t(f"meaning_{m}", lang), "value": m} for m in MEANINGS],
                    value="approved",
                    clearable=False,
                    style={"minWidth": "180px"},
                ),
            ],
            style=FIELD,
        ),
        html.Button(t("classroom.end_all", lang), id="cr-end-all", className="ack-btn"),
    ]
    end = html.Fieldset(
        [
            html.Legend(t("classroom.end_heading", lang)),
            html.P(t("classroom.end_help", lang), className="muted"),
            html.Div(sign_fields, className="ack-bar"),
        ],
        className="signature",
        id="cr-sign",
    )
    return [
        html.H2(t("classroom.start_heading", lang)),
        start,
        html.Div(id="cr-start-result", className="ack-result"),
        html.Pre(library_error, className="notice", id="cr-library-error") if library_error else "",
        end,
        html.Div(id="cr-end-result", className="ack-result"),
    ]


def team_card(team: str, lang: str, scenarios: Sequence[Mapping[str, Any]]) -> html.Div:
    """A team's card: its name, a link to its plant (``?team=``), its own scenario picker, its body."""
    return html.Div(
        [
            html.H3(team),
            html.A(
                t("classroom.view_team", lang), href=f"/?team={team}&lang={lang}", id={"type": "cr-view", "team": team}
            ),
            dcc.Dropdown(
                id={"type": "cr-assign", "team": team},
                options=scenario_options(scenarios),
                placeholder=t("classroom.team_scenario", lang),
            ),
            html.Div(id={"type": "cr-body", "team": team}),
        ],
        id={"type": "cr-card", "team": team},
        className="chart-card",
    )


def cards(teams: Sequence[str], lang: str, scenarios: Sequence[Mapping[str, Any]]) -> html.Div:
    """Every team's card, side by side."""
    return html.Div([team_card(team, lang, scenarios) for team in teams], id="cr-cards", style=GRID)


def _pct(x: float | None, lang: str) -> str:
    return MISSING if x is None else f"{fmt_number(100 * x, lang, 1)}\u00a0%"


def counters_text(state: Mapping[str, Any], lang: str) -> str:
    """Active alarms, deviation reports and each unit's OEE in one line (``—``: no monitoring)."""
    c = colon(lang)
    alarms = MISSING if state["alarms"] is None else str(state["alarms"])
    parts = [f"{t('classroom.alarms', lang)}{c} {alarms}", f"{t('classroom.reports', lang)}{c} {state['reports']}"]
    parts += [f"{t('classroom.oee', lang)} {u['unit']}{c} {_pct(u['oee'], lang)}" for u in state["oee"] or []]
    return " · ".join(parts)


def _entries(tagmaps: Sequence[TagMap]) -> dict[tuple[str, str], tuple[TagMap, TagEntry]]:
    return {(tm.unit, tag.name): (tm, tag) for tm in tagmaps for tag in tm.tags}


def values_table(state: Mapping[str, Any], tagmaps: Sequence[TagMap], lang: str) -> html.Div:
    """Each unit's key values on one line, shown as every page shows a value
    (:func:`dashboard.tag_format.format_value`); the tag's description is its tooltip."""
    entries = _entries(tagmaps)
    lines = []
    for unit in state["units"]:
        shown: list[Any] = []
        for v in unit["values"]:
            found = entries.get((unit["unit"], v["tag"]))
            if found is None:
                continue
            tm, tag = found
            value = format_value(tag, v["value"], v["status"], lang)
            about = tag_description(tm.unit_type, tag.name, lang, default=tag.description or tag.name)
            if shown:
                shown.append(" · ")
            shown.append(
                html.Span(
                    f"{tag.name} {value.label}",
                    className=value.css_class,
                    title=f"{about} — {value.note}" if value.note else about,
                )
            )
        lines.append(html.Div([html.Span(f"{unit['unit']}{colon(lang)} ", className="muted"), *shown]))
    return html.Div(lines, className="classroom-values")


def card_body(state: Mapping[str, Any], tagmaps: Sequence[TagMap], lang: str) -> list[Any]:
    """What a card shows of its team's plant now: scenario, counters, key values."""
    return [
        html.P(scenario_text(state["scenario"], lang), className="det-status"),
        html.P(counters_text(state, lang)),
        values_table(state, tagmaps, lang),
    ]


def result_text(result: Mapping[str, Any], done_key: str, lang: str) -> str:
    """The teams an action reached and those that refused it, with the reason.

    ``done_key`` is ``started`` or ``ended`` (the result's key and its label).
    """
    c = colon(lang)
    parts = []
    if result[done_key]:
        parts.append(f"{t('classroom.' + done_key, lang)}{c} {', '.join(result[done_key])}")
    if result["errors"]:
        errors = ", ".join(f"{team} ({why})" for team, why in result["errors"].items())
        parts.append(f"{t('classroom.refused', lang)}{c} {errors}")
    return " · ".join(parts)
