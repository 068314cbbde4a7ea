"""The debrief's pure parts: a classroom's runs, who sees what, the time axes' items, the CSV, the charts."""

from __future__ import annotations

import csv
import io
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from access import Principal
from dashboard.debrief.access import DebriefRefused, check_team, runs_seen, teams_seen
from dashboard.debrief.actions import Action, clock_epoch
from dashboard.debrief.collect import RunInfo, Trend, build, only_team, runs_of
from dashboard.debrief.export import CSV_COLUMNS, to_csv
from dashboard.debrief.timeline import timeline_figure, trends_figure
from historian.base import FieldValue, Point

S = 1_000_000_000


def ev(kind: str, t_s: float, site: str = "lab", **fields: FieldValue) -> Point:
    return Point("event", {"site": site, "unit": "mps-pa", "kind": kind}, fields, int(t_s * S))


def classroom_events() -> list[Point]:
    team = {"team-1": {"run_id": "c1-team-1", "class_run": "c1", "team": "team-1"},
            "team-2": {"run_id": "c1-team-2", "class_run": "c1", "team": "team-2"}}  # fmt: skip
    return [
        ev("scenario_started", 10, scenario="old", **team["team-1"]),
        ev("scenario_started", 100, scenario="esc", title_fr="Énigme", **team["team-1"]),
        ev("scenario_started", 102, scenario="esc", **team["team-2"]),
        ev("fault_started", 110, fault_id="F1", fault_kind="leak", target="mps-pa", **team["team-1"]),
        ev("fault_started", 111, fault_id="F1", fault_kind="leak", target="mps-pa", **team["team-2"]),
        ev("alarm_raised", 130, site="lab-team-2", alarm_id="level", tag="B101_level"),
        ev("deviation_reported", 150, report_id="R1", user="lea", tags="B101_level", cause="leak", **team["team-1"]),
        ev("hint_opened", 160, hint_id="h1", user="max", cost=5.0, **team["team-2"]),
        ev("exercise_ended", 200, scenario="esc", **team["team-1"]),
    ]


def test_a_classroom_run_is_its_class_run_from_its_teams_latest_starts_and_ends_per_team() -> None:
    (run,) = runs_of(classroom_events())
    assert (run.run_id, run.scenario, run.title["fr"], run.start_ns) == ("c1", "esc", "Énigme", 100 * S)
    assert run.ended_for("team-1") and not run.ended_for("team-2")
    lea, max_ = Principal("lea", "student", team="team-1"), Principal("max", "student", team="team-2")
    assert teams_seen(lea, run) == ["team-1"]
    with pytest.raises(DebriefRefused, match="has not ended"):
        teams_seen(max_, run)
    assert runs_seen(lea, [run]) == [run] and runs_seen(max_, [run]) == []
    assert runs_seen(Principal("sam", "student"), [run]) == []
    assert check_team(Principal("ines", "instructor"), run, "team-2") == "team-2"
    with pytest.raises(DebriefRefused, match="own team's debrief"):
        check_team(lea, run, "team-2")


def test_each_team_axis_holds_its_own_faults_alarms_reports_and_actions() -> None:
    (run,) = runs_of(classroom_events())
    events = [p for p in classroom_events() if p.time_ns >= run.start_ns]
    action = Action("team-1", "lea", 170 * S, "tag.write", "mps-pa.level_sp", 15.0, 12.0, "ok")
    debrief = build(run, events, [action], {"teams": []}, ["team-1", "team-2"], site_teams={"lab-team-2": "team-2"})
    items = {(m.team, m.lane, m.label) for m in debrief.marks}
    assert items == {
        ("team-1", "fault", "F1 · leak"), ("team-2", "fault", "F1 · leak"),
        ("team-2", "alarm", "level"),  # the alarm of team-2's plant (its site), not team-1's
        ("team-1", "report", "R1"), ("team-1", "action", "level_sp"), ("team-2", "action", "? h1"),
    }  # fmt: skip
    mine = only_team(debrief, "team-1")
    assert {m.team for m in mine.marks} == {"team-1"} and [r["report_id"] for r in mine.reports] == ["R1"]
    assert [f["team"] for f in mine.faults] == ["team-1"] and mine.actions == [action]
    fig = timeline_figure(debrief, "en", ZoneInfo("UTC"))
    assert [a.text for a in fig.layout.annotations] == ["team-1", "team-2"]  # one time axis per team
    assert {tr.name for tr in fig.data if tr.name} >= {"team-1:report", "team-2:alarm", "team-1:action"}


def test_a_past_run_s_clock_epoch_comes_from_its_nearest_scenario_start_record() -> None:
    started = ev("scenario_started", 5000, scenario="esc")
    records = [
        SimpleNamespace(ts="1970-01-01T00:10:00Z", sim_time_s=40.0, object="scenario:esc", result="ok"),
        SimpleNamespace(ts="1970-01-01T01:20:00Z", sim_time_s=90.0, object="scenario:esc", result="ok"),
        SimpleNamespace(ts="1970-01-01T01:23:00Z", sim_time_s=95.0, object="scenario:esc", result="refused"),
        SimpleNamespace(ts="1970-01-01T01:23:00Z", sim_time_s=95.0, object="scenario:other", result="ok"),
    ]
    assert clock_epoch(started, records) == 5000 * S - 90 * S  # type: ignore[arg-type]
    assert clock_epoch(started, []) is None


def test_csv_has_one_row_per_item_and_the_charts_say_when_there_is_nothing() -> None:
    run = RunInfo("r1", "esc", {"en": "Esc", "fr": "Esc"}, 0, 100 * S, {"": 100 * S})
    score = {"teams": [{"team": "team-1", "rank": 1, "score": 42.5, "found": ["F1"], "missed": [],
                        "reports": [{"report_id": "R1", "user": "lea", "unit": "mps-pa", "tags": ["B101_level"],
                                     "cause": "leak", "matched_fault": "F1", "total": 42.5}],
                        "hints": [{"hint_id": "h1", "user": "lea", "cost": 5.0}]}]}  # fmt: skip
    events = [ev("deviation_reported", 50, report_id="R1", team="team-1", user="lea", run_id="r1")]
    rows = list(csv.DictReader(io.StringIO(to_csv(build(run, events, [], score)))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [(r["section"], r["item"], r["points"], r["time_utc"]) for r in rows] == [
        ("team", "", "42.5", ""),
        ("report", "R1", "42.5", "1970-01-01T00:00:50Z"),
        ("hint", "h1", "-5", ""),
    ]
    empty = trends_figure([], "team-1", "fr", ZoneInfo("UTC"), (0, S))
    assert empty.layout.annotations[0].text == "Aucune variable en défaut à tracer."
    two = trends_figure([Trend("mps-pa", "B101_level", [(0, 1.0), (S, 2.0)]), Trend("mps-pa", "flow", [])],
                        "team-1", "en", ZoneInfo("UTC"), (0, S))  # fmt: skip
    assert [tr.name for tr in two.data] == ["mps-pa.B101_level", "mps-pa.flow"]
