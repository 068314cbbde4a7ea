"""A scripted team played offline: its reports, hint openings and writes land among the run's events."""

from __future__ import annotations

import yaml

from gmp_twin.playback import ScriptedAction, play
from historian.base import Point
from twin.faults.scenarios import Scenario
from twin.plant import PlantConfig

SCENARIO = """\
name: scripted
title: {en: Level bias, fr: Biais de niveau}
units: [mps-pa]
duration_s: 300
speed: 10
faults:
  - {id: zero-shift, kind: sensor_bias, target: {unit: mps-pa, tag: B101_level}, magnitude: 4.0, start_s: 60}
candidate_causes:
  - {id: level-bias, label: {en: Level transmitter bias, fr: Biais du transmetteur}, fault_kind: sensor_bias}
hints:
  - {id: look, text: {en: Look at the level, fr: Regardez le niveau}, cost: 4, at_s: 30}
scoring:
  answers: [{fault: zero-shift, unit: mps-pa, tags: [B101_level], causes: [level-bias]}]
  time_in_limits: [{unit: mps-pa, tag: B101_level, lo: 13.0, hi: 17.0}]
  kpis:
    - {name: level, label: {en: Level, fr: Niveau}, unit: mps-pa, tag: level_sp,
       baseline: 15, target: 10, better: lower}
"""


def _kinds(events: list[Point]) -> list[str]:
    return [p.tags["kind"] for p in sorted(events, key=lambda p: p.time_ns)]


def test_a_script_reports_opens_hints_and_writes_as_a_student_of_its_team() -> None:
    scenario = Scenario.model_validate(yaml.safe_load(SCENARIO))
    plant = PlantConfig.model_validate({"site": "lab", "units": [{"name": "mps-pa", "type": "mps_pa"}]})
    script = [
        ScriptedAction(90, "report", {"unit": "mps-pa", "tags": ["B101_level"], "start_ns": 0, "cause": "level-bias",
                                      "action": "manual", "classification": "major"}, user="bob"),
        ScriptedAction(40, "open_hint", {"hint_id": "look"}, user="eve"),
        ScriptedAction(100, "write", {"unit": "mps-pa", "tag": "level_sp", "value": 13.5}),
    ]  # fmt: skip
    result = play(scenario, plant, seed=3, sample_s=5.0, epoch_ns=0, team="team-4", script=script)
    kinds = _kinds(result.events)
    assert kinds.index("hint_pushed") < kinds.index("hint_opened") < kinds.index("deviation_reported")
    by_kind = {p.tags["kind"]: p for p in result.events}
    report = by_kind["deviation_reported"]
    assert (report.fields["team"], report.fields["user"], report.time_ns) == ("team-4", "bob", 90 * 10**9)
    assert by_kind["hint_opened"].fields["user"] == "eve"
    limits = by_kind["limits_result"].fields
    # The bias lifts the reading above 17 cm until the level loop, which regulates on the reading,
    # pulls it back to the setpoint; the setpoint written at 100 s keeps it inside [13, 17].
    assert limits["in_s"] + limits["out_s"] == 240 and limits["in_s"] > limits["out_s"] > 5
    assert by_kind["kpi_result"].fields["value"] == 13.5  # the written setpoint, as published
    assert kinds[-1] == "scenario_ended"
