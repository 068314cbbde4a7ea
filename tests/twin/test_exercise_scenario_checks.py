"""A scenario's exercise blocks that name nothing fail to load, naming the file and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from config_schema.files import ConfigError
from twin.faults.manager import plant_targets
from twin.faults.scenarios import load_library, load_scenario
from twin.plant import PlantConfig, build_plant
from twin.runtime import TwinRuntime

GOOD = """\
title: {en: Level bias, fr: Biais de niveau}
units: [mps-pa]
duration_s: 600
faults:
  - {id: zero-shift, kind: sensor_bias, target: {unit: mps-pa, tag: B101_level}, magnitude: 2, start_s: 60}
candidate_causes:
  - {id: level-bias, label: {en: Level bias, fr: Biais}, fault_kind: sensor_bias}
hints:
  - {id: look, text: {en: Look, fr: Regardez}, at_s: 30}
scoring:
  answers:
    - fault: zero-shift
      unit: mps-pa
      tags: [B101_level]
      causes: [level-bias]
  time_in_limits:
    - {unit: mps-pa, tag: B101_level, lo: 13, hi: 17, fault: zero-shift}
  kpis:
    - {name: level, label: {en: L, fr: N}, unit: mps-pa, tag: level_sp, baseline: 15, target: 10, better: lower}
"""

#: (what to replace in GOOD, by what, the line the error names, what the error says)
BAD = [
    ("fault: zero-shift\n", "fault: zero-shfit\n", 12, "scoring.answers[0].fault: unknown fault id 'zero-shfit'; "
     "the scenario's fault ids: zero-shift"),
    ("tags: [B101_level]", "tags: [B101_level, pH]", 14, "scoring.answers[0].tags[1]: unit 'mps-pa' has no tag 'pH'"),
    ("causes: [level-bias]", "causes: [level-drift]", 15, "scoring.answers[0].causes[0]: unknown cause 'level-drift'; "
     "candidate causes: level-bias"),
    ("      unit: mps-pa\n", "      unit: dryer-1\n", 13, "scoring.answers[0].unit: unit 'dryer-1' is not one of"),
    ("fault_kind: sensor_bias", "fault_kind: sensor_biass", 7, "candidate_causes[0].fault_kind: unknown fault kind "
     "'sensor_biass'; kinds: "),
    ("tag: B101_level, lo", "tag: B999, lo", 17, "scoring.time_in_limits[0].tag: unit 'mps-pa' has no tag 'B999'"),
    ("fault: zero-shift}", "fault: F1}", 17, "scoring.time_in_limits[0].fault: unknown fault id 'F1'"),
    ("tag: level_sp", "tag: level_spp", 19, "scoring.kpis[0].tag: unit 'mps-pa' has no tag 'level_spp'"),
    ("at_s: 30", "at_s: 700", 9, "hints[0].at_s: at 700.0 s is after the scenario's end (600.0 s)"),
]  # fmt: skip


@pytest.fixture(scope="module")
def plant() -> object:
    cfg = PlantConfig.model_validate({"site": "lab", "units": [{"name": "mps-pa", "type": "mps_pa"}]})
    return plant_targets(TwinRuntime(build_plant(cfg)))


def test_a_good_exercise_loads(tmp_path: Path, plant: object) -> None:
    path = tmp_path / "good.yaml"
    path.write_text(GOOD)
    scenario = load_scenario(path, plant)  # type: ignore[arg-type]
    assert scenario.scoring is not None and scenario.scoring.answers[0].fault == "zero-shift"


@pytest.mark.parametrize(("old", "new", "line", "message"), BAD, ids=[b[3].split(":")[0] for b in BAD])
def test_a_reference_to_nothing_names_the_file_line_and_choices(
    tmp_path: Path, plant: object, old: str, new: str, line: int, message: str
) -> None:
    assert old in GOOD
    path = tmp_path / "bad.yaml"
    path.write_text(GOOD.replace(old, new, 1))
    with pytest.raises(ConfigError) as err:
        load_scenario(path, plant)  # type: ignore[arg-type]
    assert str(err.value).startswith(f"{path}:{line}: {message}")


def test_tags_are_checked_only_against_a_plant_but_fault_ids_always(tmp_path: Path) -> None:
    path = tmp_path / "noplant.yaml"
    path.write_text(GOOD.replace("tags: [B101_level]", "tags: [pH]"))
    assert load_scenario(path).scoring is not None  # no plant: a tag cannot be checked
    path.write_text(GOOD.replace("fault: zero-shift\n", "fault: nope\n"))
    with pytest.raises(ConfigError, match=r"noplant.yaml:12: scoring.answers\[0\].fault"):
        load_scenario(path)


def test_the_library_lists_every_bad_file(tmp_path: Path, plant: object) -> None:
    (tmp_path / "a.yaml").write_text(GOOD.replace("causes: [level-bias]", "causes: [x]"))
    (tmp_path / "b.yaml").write_text(GOOD.replace("tag: level_sp", "tag: nope"))
    with pytest.raises(ConfigError) as err:
        load_library(tmp_path, plant)  # type: ignore[arg-type]
    assert "a.yaml:15:" in str(err.value) and "b.yaml:19:" in str(err.value)
