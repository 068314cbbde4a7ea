"""Every scenario of the library is played to its end twice, by a perfect and a guessing team.

Each team plays on its own plant (as in classroom mode): two plays with the same seed, whose
events are tagged with the team and one class run, then scored together by
:func:`analytics.exercise_scoring.score_exercise`. The perfect team names the right unit, tag,
cause, start and classification soon after each fault starts, and makes the right writes of
a KPI exercise; the guessing team reports late with wrong tags and decoy causes, opens every
hint it is pushed and makes wrong writes. The perfect team must score higher.
"""

from __future__ import annotations

import math
from datetime import datetime
from functools import cache
from typing import Any

import pytest

from analytics.exercise_scoring import score_exercise
from audit import AuditTrail
from gmp_twin.playback import ScriptedAction, play, subplant
from historian.base import Point
from twin.clock import SimClock
from twin.faults.scenarios import Scenario, load_library
from twin.faults.service import TwinControl
from twin.plant import PlantConfig, build_plant, load_plant, unit_steps
from twin.runtime import TwinRuntime

S = 1_000_000_000
EPOCH_NS = 1_800_000_000 * S  # a fixed time zero: both plays and the asserts share it
CLASS = "class-ci"
#: Units whose reports declare an impact on a batch.
BATCH_UNITS = ("bioreactor-1", "dryer-1", "autoclave-1")
#: The right writes of the KPI exercises (scenario -> (time s, unit, tag, value)).
KPI_WRITES: dict[str, list[tuple[float, str, str, float]]] = {
    "smed-changeover": [
        (1200.0, "line-1", "filler_changeover_sp", 7.5),
        (1200.0, "line-1", "capper_changeover_sp", 3.75),
        (1200.0, "line-1", "labeller_changeover_sp", 5.0),
        (1200.0, "line-1", "checkweigher_changeover_sp", 2.5),
        (1200.0, "line-1", "cartoner_changeover_sp", 6.25),
    ],
    "oee-improvement": [
        (3600.0, "line-1", "buffer2_capacity", 200.0),
        (3600.0, "line-1", "buffer3_capacity", 200.0),
        (3600.0, "line-1", "filler_speed_sp", 80.0),
        (3600.0, "line-1", "capper_speed_sp", 100.0),
        (3600.0, "line-1", "labeller_speed_sp", 100.0),
    ],
}
#: What a guessing team writes instead (a smaller buffer, a slower filler).
WRONG_WRITES: dict[str, list[tuple[float, str, str, float]]] = {
    "smed-changeover": [(1200.0, "line-1", "filler_changeover_sp", 60.0)],
    "oee-improvement": [(3600.0, "line-1", "buffer2_capacity", 10.0), (3600.0, "line-1", "filler_speed_sp", 60.0)],
}


@cache
def _plant() -> PlantConfig:
    return load_plant("config/plant.yaml")


@cache
def _library() -> dict[str, Scenario]:
    return load_library()


def _fault_starts(scenario: Scenario) -> dict[str, float]:
    return {f.id or "": f.start_s for f in scenario.faults}


def _impact(unit: str, right: bool) -> str:
    if unit not in BATCH_UNITS:
        return "not_applicable"
    return "possible" if right else "none"


def perfect_script(scenario: Scenario) -> list[ScriptedAction]:
    """The right report for every answer, a few minutes after its fault starts; the right writes."""
    spec = scenario.scoring
    assert spec is not None
    starts = _fault_starts(scenario)
    script = []
    for k, answer in enumerate(spec.answers):
        start_s = starts[answer.fault]
        at_s = min(start_s + min(300.0, spec.detection.full_s / 2), scenario.duration_s - 60.0)
        report = {
            "unit": answer.unit, "tags": answer.tags[:1], "start_ns": EPOCH_NS + round(start_s * S),
            "cause": answer.causes[0], "action": "quarantined the batch record, informed QA",
            "classification": answer.classification or "major", "impact": _impact(answer.unit, True),
        }  # fmt: skip
        script.append(ScriptedAction(at_s + k, "report", report, user=f"ana{k % 2}"))
    for at_s, unit, tag, value in KPI_WRITES.get(scenario.name, []):
        script.append(ScriptedAction(at_s, "write", {"unit": unit, "tag": tag, "value": value}, user="ana0"))
    return script


def guessing_script(scenario: Scenario) -> list[ScriptedAction]:
    """Late reports with a wrong tag and a decoy cause, every pushed hint opened, wrong writes."""
    spec = scenario.scoring
    assert spec is not None
    right = {c for a in spec.answers for c in a.causes}
    decoys = [c.id for c in scenario.candidate_causes if c.id not in right]
    answer_tags = {t for a in spec.answers for t in a.tags}
    script = []
    for k in range(max(1, len(spec.answers))):
        unit = scenario.units[-1 - k % len(scenario.units)]
        tags = [t for t in sorted(_unit_tags(unit)) if t not in answer_tags][:1]
        report = {
            "unit": unit, "tags": tags, "start_ns": EPOCH_NS, "cause": decoys[k % len(decoys)],
            "action": "none yet", "classification": "minor", "impact": _impact(unit, False),
        }  # fmt: skip
        script.append(ScriptedAction(scenario.duration_s * 0.95 + k, "report", report, user="bob"))
    for hint in scenario.hints:
        if hint.at_s is not None:
            script.append(ScriptedAction(hint.at_s + 1.0, "open_hint", {"hint_id": hint.id}, user="bob"))
    for at_s, unit, tag, value in WRONG_WRITES.get(scenario.name, []):
        script.append(ScriptedAction(at_s, "write", {"unit": unit, "tag": tag, "value": value}, user="bob"))
    return script


@cache
def _unit_tags(unit: str) -> frozenset[str]:
    cfg = subplant(_plant(), [unit])
    return frozenset(s.name for s in build_plant(cfg)[unit].tag_specs())


def _as_team(events: list[Point], team: str) -> list[Point]:
    """A play's events as a team plant's of the class run (``team``, ``class_run``, run id)."""
    out = []
    for p in events:
        if p.measurement != "event":
            continue
        fields: dict[str, Any] = {**p.fields, "class_run": CLASS, "run_id": f"{CLASS}-{team}"}
        fields["team"] = fields.get("team") or team
        out.append(Point(p.measurement, p.tags, fields, p.time_ns))
    return out


def play_teams(scenario: Scenario) -> tuple[dict[str, Any], list[Point]]:
    events: list[Point] = []
    for team, script in (("perfect", perfect_script(scenario)), ("guessing", guessing_script(scenario))):
        result = play(scenario, _plant(), seed=3, sample_s=60.0, epoch_ns=EPOCH_NS, team=team, script=script)
        assert result.sim_s >= scenario.duration_s
        events += _as_team(result.events, team)
    return score_exercise(events, run_id=CLASS), events


def test_every_scenario_has_an_exercise() -> None:
    for name, scenario in _library().items():
        assert scenario.briefing is not None, name
        assert scenario.candidate_causes and scenario.hints and scenario.scoring is not None, name
        spec = scenario.scoring
        ids = {f.id for f in scenario.faults}
        # Every fault to find has an answer; decoys (notes saying so) and repeats may have none.
        assert {a.fault for a in spec.answers} <= ids, name
        assert spec.answers or spec.kpis, name
        kinds = {c.fault_kind for c in scenario.candidate_causes if c.fault_kind}
        assert len(scenario.candidate_causes) > max(1, len(spec.answers)), f"{name}: add decoy causes"
        assert kinds, name


@pytest.mark.parametrize("name", sorted(load_library()))
def test_a_perfect_team_scores_more_than_a_guessing_team(name: str) -> None:
    scenario = _library()[name]
    scored, events = play_teams(scenario)
    assert any(p.tags.get("kind") == "scenario_ended" for p in events)
    teams = {t["team"]: t for t in scored["teams"]}
    perfect, guessing = teams["perfect"], teams["guessing"]
    assert perfect["score"] > guessing["score"], (perfect, guessing)
    assert perfect["rank"] == 1
    spec = scenario.scoring
    assert spec is not None
    assert sorted(perfect["found"]) == sorted(a.fault for a in spec.answers)
    assert all(r["points"]["cause"] > 0 for r in perfect["reports"])
    assert not any(r["points"]["cause"] for r in guessing["reports"])
    assert guessing["penalties"]["hints"] == sum(h.cost for h in scenario.hints if h.at_s is not None)
    if spec.kpis:
        kpis = {k["name"]: k for k in perfect["kpis"]}
        bad = {k["name"]: k for k in guessing["kpis"]}
        assert set(kpis) == {k.name for k in spec.kpis}, perfect["kpis"]
        for goal in spec.kpis:
            better = kpis[goal.name]["value"] > bad[goal.name]["value"]
            assert better == (goal.better == "higher"), (goal.name, kpis[goal.name], bad[goal.name])
        assert kpis["oee"]["points"] > 0


def test_the_back_dated_entry_is_in_the_historian_and_the_audit_trail(tmp_path: Any) -> None:
    scenario = _library()["data-integrity-escape"]
    cfg = subplant(_plant(), scenario.units)
    units = build_plant(cfg, seed=1)
    runtime = TwinRuntime(units, clock=SimClock(epoch_ns=EPOCH_NS, speed=math.inf), unit_dt_s=unit_steps(cfg))
    points: list[Point] = []
    trail = AuditTrail(tmp_path / "audit.sqlite", sim_time=lambda: runtime.clock.sim_time_s)
    control = TwinControl(runtime, site="ci", run_id="r", sink=points.extend, audit=trail)
    control.runner.start(scenario)
    while runtime.clock.sim_time_s < 7300:
        runtime.step()
    manual = [p for p in points if p.measurement == "process" and p.tags.get("source") == "manual"]
    assert [(p.tags["tag"], p.fields["value"], round((p.time_ns - EPOCH_NS) / S)) for p in manual] == [
        ("temperature", 25.0, 4200),
        ("ph", 6.5, 4800),  # claims 1 h 20 ...
    ]
    written = [p for p in points if p.tags.get("kind") == "manual_entry"]
    assert [(round((p.time_ns - EPOCH_NS) / S), p.fields["user"]) for p in written] == [
        (4200, "alice"),
        (7200, "night.shift"),
    ]
    records = trail.query(action="entry.manual", newest_first=False)
    assert [(r.user, r.object) for r in records] == [
        ("alice", "bioreactor-1.temperature"),
        ("night.shift", "bioreactor-1.ph"),
    ]
    claimed = [datetime.fromisoformat(r.new["time"]).timestamp() - EPOCH_NS / S for r in records]
    assert claimed == [pytest.approx(4200, abs=1), pytest.approx(4800, abs=1)]
    assert records[1].sim_time_s == pytest.approx(7200, abs=1.0)  # ... but was written at 2 h
