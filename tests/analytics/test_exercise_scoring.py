"""Exercise scoring from events only: reports matched to faults, penalties, limits, KPIs, ranks."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from analytics.exercise_scoring import format_teams, score_exercise
from config_schema.exercise import ScoringSpec
from historian.base import Point

S = 1_000_000_000
SPEC: dict[str, Any] = {
    "answers": [
        {"fault": "drift", "unit": "bio", "tags": ["pH"], "causes": ["probe"], "classification": "major"},
        {"fault": "leak", "unit": "tank", "tags": ["L"], "causes": ["valve"]},
    ],
    "time_in_limits": [{"unit": "bio", "tag": "T", "lo": 36.5, "hi": 37.5, "weight": 2, "points": 20}],
    "kpis": [
        {"name": "oee", "label": {"en": "OEE", "fr": "TRS"}, "unit": "line", "tag": "oee", "baseline": 0.5,
         "target": 0.7, "points": 40},
    ],
}  # fmt: skip


def ev(kind: str, t_s: float, unit: str = "bio", /, **fields: Any) -> Point:
    return Point("event", {"site": "s", "unit": unit, "kind": kind}, {"run_id": "r", **fields}, round(t_s * S))


def started(spec: dict[str, Any] | None = SPEC, t_s: float = 0.0, **fields: Any) -> Point:
    extra = {"scoring": json.dumps(spec)} if spec is not None else {}
    return ev("scenario_started", t_s, scenario="ex", **extra, **fields)


def fault(fid: str, t_s: float, unit: str = "bio", kind: str = "sensor_drift", **fields: Any) -> Point:
    return ev("fault_started", t_s, unit, fault_id=fid, fault_kind=kind, **fields)


def report(rid: str, t_s: float, team: str, user: str, /, unit: str = "bio", **fields: Any) -> Point:
    return ev("deviation_reported", t_s, unit, report_id=rid, team=team, user=user, unit=unit, **fields)


def team_of(out: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in out["teams"] if t["team"] == name)


def test_a_right_report_earns_every_part_and_detection_falls_linearly() -> None:
    base = [started(), fault("drift", 1000), fault("leak", 1000, "tank", "leak")]
    right: dict[str, Any] = {"tags": "pH,T", "start_ns": 1100 * S, "cause": "probe", "classification": "major"}
    out = score_exercise(
        [*base, report("R1", 1300, "a", "ana", **right), report("R1", 1000 + 2100, "b", "bob", **right)]
    )
    a, b = team_of(out, "a"), team_of(out, "b")
    assert a["reports"][0]["points"] == {
        "unit": 20.0, "tag": 10.0, "cause": 30.0, "start": 10.0, "detection": 40.0, "classification": 5.0,
    }  # fmt: skip
    # 2100 s after the start: halfway between full_s (600) and zero_s (3600).
    assert b["reports"][0]["points"]["detection"] == 20.0 and b["reports"][0]["delay_s"] == 2100.0
    assert (a["score"], b["score"]) == (115.0, 95.0) and (a["rank"], b["rank"]) == (1, 2)
    assert a["found"] == ["drift"] and a["missed"] == [{"fault_id": "leak", "kind": "leak", "unit": "tank"}]
    assert a["missed_causes"] == ["valve"]
    assert out["max_points"] == ScoringSpec.model_validate(SPEC).max_points() == 305.0


def test_wrong_parts_earn_nothing_and_a_start_outside_tolerance_loses_its_points() -> None:
    base = [started(), fault("drift", 1000)]
    out = score_exercise([
        *base, report("R1", 1200, "a", "ana", tags="DO", start_ns=3000 * S, cause="valve", classification="minor"),
    ])  # fmt: skip
    pts = out["teams"][0]["reports"][0]["points"]
    assert pts == {"unit": 20.0, "tag": 0.0, "cause": 0.0, "start": 0.0, "detection": 40.0, "classification": 0.0}
    assert out["teams"][0]["missed_causes"] == ["probe"]  # found with a wrong cause


def test_only_the_latest_report_of_a_supersedes_chain_counts() -> None:
    events = [
        started(), fault("drift", 100),
        report("R1", 200, "a", "ana", tags="pH", cause="probe"),
        report("R2", 300, "a", "ana", unit="tank", tags="L", supersedes="R1"),  # replaces R1 by a wrong one
        report("R3", 400, "a", "bob", tags="pH", cause="probe", supersedes="R2"),
    ]  # fmt: skip
    rows = {r["report_id"]: r for r in score_exercise(events)["teams"][0]["reports"]}
    assert rows["R1"]["superseded"] and rows["R2"]["superseded"] and not rows["R3"]["superseded"]
    assert rows["R1"]["total"] == rows["R2"]["total"] == 0.0 and not rows["R2"]["false"]
    assert rows["R3"]["credited"] and rows["R3"]["total"] == 100.0
    students = score_exercise(events)["teams"][0]["students"]
    assert [(s["user"], s["reports"], s["correct"], s["points"]) for s in students] == [
        ("ana", 2, 0, 0.0),
        ("bob", 1, 1, 100.0),
    ]


def test_a_fault_is_credited_once_per_team_to_its_best_report() -> None:
    events = [
        started(), fault("drift", 100),
        report("R1", 200, "a", "ana", tags="DO"),
        report("R2", 250, "a", "bob", tags="pH", cause="probe"),
    ]  # fmt: skip
    team = score_exercise(events)["teams"][0]
    rows = {r["report_id"]: r for r in team["reports"]}
    assert rows["R2"]["credited"] and rows["R1"]["duplicate"] and not rows["R1"]["credited"]
    assert team["score"] == 100.0 and team["penalties"]["false_reports"] == 0.0


def test_false_reports_hints_and_warnings_cost_points() -> None:
    events = [
        started(), fault("drift", 100),
        report("R1", 50, "a", "ana", tags="pH", cause="probe"),  # before the fault started: false
        report("R2", 200, "a", "ana", unit="tank", tags="L"),  # no fault on tank
        ev("hint_opened", 150, hint_id="h1", team="a", user="bob", cost=5.0),
        ev("hint_opened", 160, hint_id="h1", team="a", user="ana", cost=5.0),  # the same hint: paid once
        ev("hint_opened", 170, hint_id="h2", team="b", user="zoe", cost=7.0),
        ev("limits_warning", 300, team="a", unit="bio", tag="T", value=38.0, lo=36.5, hi=37.5),
        ev("limits_warning", 310, unit="bio", tag="T", value=38.0, lo=36.5, hi=37.5),  # no team: every team
    ]  # fmt: skip
    a, b = team_of(score_exercise(events), "a"), team_of(score_exercise(events), "b")
    assert [r["false"] for r in a["reports"]] == [True, True]
    assert a["penalties"] == {"false_reports": 20.0, "hints": 5.0, "warnings": 4.0} and a["warnings"] == 2
    assert a["score"] == -29.0 and a["hints"] == [{"hint_id": "h1", "user": "bob", "cost": 5.0}]
    assert b["penalties"] == {"false_reports": 0.0, "hints": 7.0, "warnings": 2.0} and b["score"] == -9.0
    assert [(t["team"], t["rank"]) for t in score_exercise(events)["teams"]] == [("b", 1), ("a", 2)]


def test_time_in_limits_and_kpis_from_their_result_events() -> None:
    events = [
        started(), fault("drift", 100),
        ev("limits_result", 900, team="a", unit="bio", tag="T", in_s=100, out_s=100, lo=36.5, hi=37.5, weight=2,
           points=20),
        ev("limits_result", 1000, team="a", unit="bio", tag="T", in_s=300, out_s=100, lo=36.5, hi=37.5, weight=2,
           points=20),  # the latest counts
        # The unit as the event's tag only (how the twin writes it): another variable than bio's T.
        ev("limits_result", 1000, "tank", team="a", tag="T", in_s=0, out_s=100, lo=1, hi=2, weight=1, points=20),
        ev("kpi_result", 1000, "line", team="a", name="oee", unit="line", tag="oee", value=0.65),
        ev("kpi_result", 1000, "line", team="b", name="oee", unit="line", tag="oee", value=0.9),  # clipped
        ev("kpi_result", 1000, "line", team="c", name="oee", unit="line", tag="oee", value=0.3),  # clipped to 0
    ]  # fmt: skip
    out = score_exercise(events)
    a = team_of(out, "a")
    assert a["limits"] == [
        {"unit": "bio", "tag": "T", "in_s": 300.0, "out_s": 100.0, "fraction": 0.75, "points": 30.0},
        {"unit": "tank", "tag": "T", "in_s": 0.0, "out_s": 100.0, "fraction": 0.0, "points": 0.0},
    ]
    assert a["kpis"] == [{"name": "oee", "value": 0.65, "points": 30.0}] and a["score"] == 60.0
    assert team_of(out, "b")["score"] == 40.0 and team_of(out, "c")["score"] == 0.0


def test_team_plants_own_their_faults_and_scenarios() -> None:
    other = {"answers": [{"fault": "drift", "unit": "bio", "tags": ["pH"], "points": {"unit": 1, "tag": 1,
             "cause": 1, "start": 1}}], "detection": {"points": 1}}  # fmt: skip
    events = [
        started(team="t1", class_run="c", run_id="c-t1"), started(other, team="t2", class_run="c", run_id="c-t2"),
        fault("drift", 100, team="t1", class_run="c", run_id="c-t1"),
        fault("drift", 500, team="t2", class_run="c", run_id="c-t2"),
        report("R1", 200, "t1", "ana", tags="pH", class_run="c", run_id="c-t1"),
        report("R1", 400, "t2", "bob", tags="pH", class_run="c", run_id="c-t2"),  # t2's fault starts at 500
        report("R2", 600, "t2", "bob", tags="pH", class_run="c", run_id="c-t2"),
        report("R9", 600, "t3", "eve", tags="pH", run_id="elsewhere"),
    ]  # fmt: skip
    out = score_exercise(events, run_id="c")
    assert out["run_id"] == "c" and [t["team"] for t in out["teams"]] == ["t1", "t2"]
    assert [(f["team"], f["start_ns"]) for f in out["faults"]] == [("t1", 100 * S), ("t2", 500 * S)]
    t1, t2 = team_of(out, "t1"), team_of(out, "t2")
    assert t1["scenario"] == "ex" and t1["score"] == 70.0 and t1["max_points"] == 305.0
    assert t2["max_points"] == 5.0 and t2["score"] == 3.0 - 10.0  # R1 came before its fault: false
    assert [r["false"] for r in t2["reports"]] == [True, False]
    assert score_exercise(events, run_id="c-t2")["teams"][0]["team"] == "t2"


def test_without_a_scoring_block_every_fault_counts_with_the_default_points() -> None:
    causes = [{"id": "probe", "label": {"en": "pH probe", "fr": "Sonde pH"}, "fault_kind": "sensor_drift"}]
    events = [
        started(None, candidate_causes=json.dumps(causes)), fault("F1", 100, tag="pH"),
        report("R1", 200, "a", "ana", tags="pH", cause="probe"),
    ]  # fmt: skip
    out = score_exercise(events)
    assert out["teams"][0]["found"] == ["F1"] and out["teams"][0]["score"] == 100.0 and out["max_points"] == 110.0


def test_a_fault_outside_the_answer_key_is_neither_found_nor_false() -> None:
    events = [started(), fault("drift", 100), fault("noise", 100, "tank", tag="L"), report("R1", 200, "a", "ana",
              unit="tank", tags="L")]  # fmt: skip
    team = score_exercise(events)["teams"][0]
    row = team["reports"][0]
    assert row["matched_fault"] == "noise" and not row["false"] and not row["credited"] and row["total"] == 0.0
    assert team["score"] == 0.0 and [m["fault_id"] for m in team["missed"]] == ["drift"]


def test_equal_scores_share_a_rank_ordered_by_name() -> None:
    costs = {"c": 1.0, "a": 1.0, "b": 3.0}
    events = [started(), *(ev("hint_opened", 1, hint_id="h", team=t, user="u", cost=c) for t, c in costs.items())]
    assert [(t["team"], t["rank"]) for t in score_exercise(events)["teams"]] == [("a", 1), ("c", 1), ("b", 3)]


def test_the_same_events_in_any_order_give_the_same_scores() -> None:
    events = [
        started(), fault("drift", 100), fault("leak", 100, "tank", "leak"),
        report("R1", 300, "a", "ana", tags="pH", cause="probe"), report("R2", 300, "a", "bob", unit="tank", tags="L"),
        report("R1", 300, "b", "zoe", tags="pH"), ev("hint_opened", 300, hint_id="h", team="b", user="zoe", cost=2.0),
    ]  # fmt: skip
    first = json.dumps(score_exercise(events), sort_keys=False)
    rng = random.Random(4)
    for _ in range(5):
        shuffled = events[:]
        rng.shuffle(shuffled)
        assert json.dumps(score_exercise(shuffled), sort_keys=False) == first
    assert format_teams(score_exercise(events)) == format_teams(json.loads(first))


@pytest.mark.parametrize("run_id", [None, "nope"])
def test_no_team_no_scores(run_id: str | None) -> None:
    out = score_exercise([started(), fault("drift", 100)], run_id=run_id)
    assert out["teams"] == []
    assert "no team reported" in format_teams(out)
