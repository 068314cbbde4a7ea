"""A student's history across scored exercises (two runs scored from their events)."""

from __future__ import annotations

import json

from analytics.exercise_history import student_history
from analytics.exercise_scoring import score_exercise
from historian.base import Point

S = 1_000_000_000
SPEC = {"answers": [{"fault": "drift", "unit": "bio", "tags": ["pH"], "causes": ["probe"]}]}


def _run(run_id: str, t0_s: int, ana_cause: str) -> list[Point]:
    def ev(kind: str, t_s: int, **fields: object) -> Point:
        return Point("event", {"unit": "bio", "kind": kind}, {"run_id": run_id, **fields}, (t0_s + t_s) * S)  # type: ignore[dict-item]

    return [
        ev("scenario_started", 0, scenario=f"ex-{run_id}", scoring=json.dumps(SPEC)),
        ev("fault_started", 100, fault_id="drift", fault_kind="sensor_drift"),
        ev("deviation_reported", 400, report_id="R1", team="blue", user="ana", unit="bio", tags="pH", cause=ana_cause),
        ev("deviation_reported", 500, report_id="R1", team="red", user="bob", unit="bio", tags="pH", cause="probe"),
        ev("hint_opened", 450, hint_id="h", team="blue", user="cy", cost=5.0),
    ]


def test_history_lists_each_exercise_of_the_student_oldest_first() -> None:
    events = _run("r2", 10_000, "probe") + _run("r1", 0, "valve")
    scored = [score_exercise(events, run_id="r2"), score_exercise(events, run_id="r1")]
    rows = student_history(scored, "ana")
    assert [r["run_id"] for r in rows] == ["r1", "r2"]
    first, second = rows
    assert first["scenario"] == "ex-r1" and first["team"] == "blue" and first["teams"] == 2
    # r1: ana named the wrong cause, so red (right cause, 100 s later) ranks first.
    assert (first["rank"], first["own_points"], first["correct"]) == (2, 70.0, 1)
    assert first["missed_causes"] == ["probe"] and first["delays_s"] == [300.0]
    assert (second["own_points"], second["missed_causes"]) == (100.0, [])
    assert (second["team_score"], second["rank"]) == (95.0, 2)  # cy's hint costs the team (not ana): red first
    assert [r["own_points"] for r in student_history(scored, "cy")] == [-5.0, -5.0]
    assert student_history(scored, "nobody") == []
