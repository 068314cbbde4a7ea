"""The per-team table of an exercise's scores (:func:`analytics.exercise_scoring.score_exercise`).

Plain text for ``gmp-twin score``: one row per team (rank, score, faults found, penalties,
time in limits, KPIs, missed faults), then one row per student. The words come in English
(:data:`TEAM_TEXT`); the command line passes the catalogue's ``teamscore.*`` entries for French.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: The English words of :func:`format_teams`; the CLI passes the catalogue's ``teamscore.*`` entries.
TEAM_TEXT: dict[str, str] = {
    "teamscore.title": "Teams ({scenario}; at most {max} points)",
    "teamscore.rank": "rank",
    "teamscore.team": "team",
    "teamscore.score": "score",
    "teamscore.found": "found",
    "teamscore.false": "false reports",
    "teamscore.hints": "hints",
    "teamscore.warnings": "warnings",
    "teamscore.limits": "in limits",
    "teamscore.kpis": "KPIs",
    "teamscore.missed": "missed",
    "teamscore.student": "student",
    "teamscore.reports": "reports",
    "teamscore.correct": "correct",
    "teamscore.points": "points",
    "teamscore.none": "no team reported, opened a hint or ran a team plant in this run",
    "teamscore.decimal_mark": ".",
}


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


def format_teams(report: Mapping[str, Any], text: Mapping[str, str] | None = None) -> str:
    """The per-team table, then one line per student, of :func:`score_exercise`'s output.

    ``text`` replaces :data:`TEAM_TEXT` (a translation).

    Examples
    --------
    >>> out = {"scenario": "ph", "max_points": 110.0, "teams": [{"team": "blue", "rank": 1, "score": 97.5,
    ...     "max_points": 110.0, "found": ["F1"], "missed": [], "penalties": {"false_reports": 10.0},
    ...     "hints": [], "warnings": 0, "limits": [], "kpis": [], "reports": [{"false": True}],
    ...     "students": [{"user": "ana", "reports": 2, "correct": 1, "false": 1, "points": 97.5, "hints_cost": 0}]}]}
    >>> print(format_teams(out))
    Teams (ph; at most 110 points)
    rank  team  score  found  false reports  hints  warnings  in limits  KPIs  missed
    ----  ----  -----  -----  -------------  -----  --------  ---------  ----  ------
    1     blue  97.5   1/1    1              0      0         0          0     -
    <BLANKLINE>
    team  student  reports  correct  false reports  points  hints
    ----  -------  -------  -------  -------------  ------  -----
    blue  ana      2        1        1              97.5    0
    """
    words = {**TEAM_TEXT, **(text or {})}

    def num(x: float) -> str:
        return f"{round(float(x), 2):g}".replace(".", words["teamscore.decimal_mark"])

    teams = report["teams"]
    title = words["teamscore.title"].format(scenario=report.get("scenario") or "?", max=num(report["max_points"]))
    if not teams:
        return f"{title}\n{words['teamscore.none']}"
    head = tuple(words[f"teamscore.{k}"] for k in ("rank", "team", "score", "found", "false", "hints", "warnings"))
    rows = [(*head, words["teamscore.limits"], words["teamscore.kpis"], words["teamscore.missed"])]
    for t in teams:
        total = len(t["found"]) + len(t["missed"])
        rows.append((
            str(t["rank"]), t["team"], num(t["score"]), f"{len(t['found'])}/{total}",
            str(sum(1 for r in t["reports"] if r["false"])), num(sum(h["cost"] for h in t["hints"])),
            str(t["warnings"]), num(sum(x["points"] for x in t["limits"])), num(sum(x["points"] for x in t["kpis"])),
            ", ".join(m["fault_id"] for m in t["missed"]) or "-",
        ))  # fmt: skip
    people = [
        tuple(words[f"teamscore.{k}"] for k in ("team", "student", "reports", "correct", "false", "points", "hints"))
    ]
    for t in teams:
        for s in t["students"]:
            people.append((
                t["team"], s["user"], str(s["reports"]), str(s["correct"]), str(s["false"]),
                num(s["points"]), num(s["hints_cost"]),
            ))  # fmt: skip
    lines = [title, *_table(rows)]
    if len(people) > 1:
        lines += ["", *_table(people)]
    return "\n".join(lines)
