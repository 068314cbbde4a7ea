"""A student's history across exercises, from scored runs (:func:`analytics.exercise_scoring.score_exercise`).

One row per exercise the student took part in (filed a report or opened a hint): the team's
score and rank among how many teams, the student's own points, reports and right ones, the
detection delays of their credited reports, and the causes their team missed (faults not
found, or found with a wrong or no cause). Oldest exercise first.

Examples
--------
>>> team = {"team": "blue", "score": 80.0, "rank": 1, "missed_causes": ["probe"],
...         "reports": [{"user": "ana", "credited": True, "delay_s": 300.0},
...                     {"user": "ana", "credited": False, "delay_s": None}],
...         "students": [{"user": "ana", "reports": 2, "correct": 1, "points": 70.0}]}
>>> run = {"run_id": "r1", "scenario": "ph", "start_ns": 0, "teams": [team, {**team, "team": "red", "students": []}]}
>>> student_history([run], "ana")
[{'run_id': 'r1', 'scenario': 'ph', 'start_ns': 0, 'team': 'blue', 'team_score': 80.0, 'rank': 1, 'teams': 2, \
'own_points': 70.0, 'reports': 2, 'correct': 1, 'delays_s': [300.0], 'missed_causes': ['probe']}]
>>> student_history([run], "zoe")
[]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def student_history(scored: Sequence[dict[str, Any]], user: str) -> list[dict[str, Any]]:
    """The exercises of ``user`` among ``scored`` runs, oldest first (see the module docstring).

    Parameters
    ----------
    scored : Sequence[dict]
        Outputs of :func:`analytics.exercise_scoring.score_exercise`, one per run.
    user : str
        The student's user name.

    Returns
    -------
    list of dict
        ``{run_id, scenario, start_ns, team, team_score, rank, teams, own_points, reports, correct,
        delays_s, missed_causes}`` per exercise.
    """
    rows = []
    for run in scored:
        for team in run.get("teams", []):
            me = next((s for s in team.get("students", []) if s["user"] == user), None)
            if me is None:
                continue
            delays = sorted(
                float(r["delay_s"])
                for r in team.get("reports", [])
                if r["user"] == user and r.get("credited") and r.get("delay_s") is not None
            )
            rows.append({
                "run_id": run.get("run_id", ""), "scenario": run.get("scenario", ""),
                "start_ns": run.get("start_ns", 0), "team": team["team"], "team_score": team["score"],
                "rank": team["rank"], "teams": len(run["teams"]), "own_points": me["points"],
                "reports": me["reports"], "correct": me["correct"], "delays_s": delays,
                "missed_causes": list(team.get("missed_causes", [])),
            })  # fmt: skip
    return sorted(rows, key=lambda r: (r["start_ns"], r["run_id"], r["team"]))
