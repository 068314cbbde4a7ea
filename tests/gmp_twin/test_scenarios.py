"""The shipped scenario library: every file validates and plays to its end, accelerated.

Each scenario runs headless on the units it needs with the default detectors watching (the
same code as the live monitoring service). A scenario that names the detectors expected to
flag it must be flagged by one of them: an exercise whose fault nobody can see is a bug.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from analytics.detectors import DetectorsFile, load_detectors
from analytics.scoring import score_events
from config_schema.files import ConfigError
from gmp_twin.playback import play, read_events
from historian.sqlite import SqliteHistorian
from twin.faults.manager import plant_targets
from twin.faults.scenarios import load_library, load_scenario, scenario_files
from twin.plant import PlantConfig, build_plant, load_plant, unit_steps
from twin.runtime import TwinRuntime

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "config" / "scenarios"
FILES = scenario_files(LIBRARY)


@pytest.fixture(scope="module")
def plant() -> PlantConfig:
    return load_plant(ROOT / "config" / "plant.yaml")


@pytest.fixture(scope="module")
def targets(plant: PlantConfig) -> object:
    return plant_targets(TwinRuntime(build_plant(plant), unit_dt_s=unit_steps(plant)))


@pytest.fixture(scope="module")
def detectors(targets: object) -> DetectorsFile:
    units = {name: list(u.tags) for name, u in targets.units.items()}  # type: ignore[attr-defined]
    return load_detectors(ROOT / "config" / "detectors.yaml", units)


def test_library_covers_every_unit_and_has_a_hidden_exercise(plant: PlantConfig, targets: object) -> None:
    library = load_library(LIBRARY, targets)  # type: ignore[arg-type]
    assert len(library) >= 8
    covered = {u for s in library.values() for f in s.faults for u in [f.target.unit]}
    assert covered == {u.name for u in plant.units}
    assert any(s.hidden for s in library.values())
    families = {f.family for s in library.values() for f in s.faults}
    assert families == {"sensor", "actuator", "process", "line", "comm"}


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_scenario_plays_to_its_end(path: Path, plant: PlantConfig, targets: object, detectors: DetectorsFile) -> None:
    scenario = load_scenario(path, targets)  # type: ignore[arg-type]
    result = play(scenario, plant, detectors, seed=1)
    kinds = [p.tags["kind"] for p in result.events]
    assert kinds[0] == "scenario_started"
    assert "scenario_ended" in kinds
    assert result.sim_s >= scenario.duration_s
    started = {p.fields["fault_id"] for p in result.events if p.tags["kind"] == "fault_started"}
    closed = {p.fields["fault_id"] for p in result.events if p.tags["kind"] in ("fault_ended", "fault_cleared")}
    assert started == {f.id for f in scenario.faults}  # every fault went live
    assert closed == started  # and nothing is left active after the end
    assert all(p.fields["hidden"] == scenario.hidden for p in result.events if p.tags["kind"].startswith("fault_"))
    report = score_events(result.events)
    if scenario.detectors:
        flagged = {d for f in report["faults"] for d in f["detectors"]}
        assert flagged & set(scenario.detectors), f"{scenario.name}: none of {scenario.detectors} flagged a fault"
        assert report["false_alarms"] <= 1


def test_missing_unit_names_file_and_line(tmp_path: Path, targets: object) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "title: {en: x, fr: x}\n"
        "units: [mps-pa, reactor-9]\n"
        "duration_s: 60\n"
        "faults:\n"
        "  - kind: sensor_bias\n"
        "    target: {unit: reactor-9, tag: T}\n"
        "    magnitude: 1\n"
    )
    with pytest.raises(ConfigError) as err:
        load_scenario(path, targets)  # type: ignore[arg-type]
    text = str(err.value)
    assert f"{path}:2:" in text and "unknown unit 'reactor-9'" in text and "bioreactor-1" in text
    assert f"{path}:5:" in text  # the fault item that names it


def test_bad_fault_in_a_scenario_lists_the_options(tmp_path: Path, targets: object) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "title: {en: x, fr: x}\n"
        "units: [bioreactor-1]\n"
        "duration_s: 60\n"
        "faults:\n"
        "  - kind: fouling\n"
        "    target: {unit: bioreactor-1, parameter: sparger}\n"
        "    magnitude: 0.5\n"
        "  - kind: contamination\n"
        "    target: {unit: bioreactor-1}\n"
        "    magnitude: 3\n"
    )
    with pytest.raises(ConfigError) as err:
        load_scenario(path, targets)  # type: ignore[arg-type]
    text = str(err.value)
    assert "valid for fouling: fouling.jacket, fouling.kla" in text
    assert "magnitude 3.0 outside its physical range 0 to 1" in text


def test_score_cli_on_a_file_and_on_the_historian(tmp_path: Path, plant: PlantConfig, detectors: object) -> None:
    scenario = load_scenario(LIBRARY / "level-sensor-bias.yaml")
    result = play(scenario, plant, detectors, seed=2)  # type: ignore[arg-type]
    events_file = result.write(tmp_path / "run.jsonl")
    assert read_events(events_file) == sorted(result.events, key=lambda p: p.time_ns)
    cli = [sys.executable, "-m", "gmp_twin"]
    out = subprocess.run([*cli, "score", "--file", str(events_file), "--json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["faults"][0]["detected"] and report["faults"][0]["delay_s"] < 120

    # The same events in a historian, found by their run id.
    import asyncio

    url = f"sqlite:///{tmp_path / 'h.sqlite'}"

    async def store() -> None:
        async with SqliteHistorian(str(tmp_path / "h.sqlite")) as historian:
            await historian.write(result.events)

    asyncio.run(store())
    out = subprocess.run(
        [*cli, "score", "--run", result.run_id, "--historian", url, "--lang", "en"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert "level-ewma" in out.stdout and "1/1 faults detected" in out.stdout
    missing = subprocess.run([*cli, "score", "--run", "nope", "--historian", url], capture_output=True, text=True)
    assert missing.returncode == 2 and "no events of run 'nope'" in missing.stderr
