"""A scenario on a live runtime: paused with the clock, saved in a snapshot, resumed from it."""

from __future__ import annotations

from pathlib import Path

from historian.base import Point
from twin.faults.scenarios import load_scenario
from twin.faults.service import TwinControl
from twin.plant import PlantConfig, build_plant
from twin.runtime import TwinRuntime

ROOT = Path(__file__).resolve().parents[2]


def _control(events: list[Point]) -> TwinControl:
    cfg = PlantConfig.model_validate({"site": "lab", "units": [{"name": "mps-pa", "type": "mps_pa"}]})
    runtime = TwinRuntime(build_plant(cfg, seed=1), seed=1)
    return TwinControl(runtime, site="lab", run_id="resume", sink=events.extend, scenario_dir=ROOT / "config/scenarios")


def _steps(control: TwinControl, seconds: float) -> None:
    for _ in range(round(seconds / control.runtime.dt_s)):
        control.runtime.step()


def test_scenario_resumes_from_a_snapshot_and_ends_on_time(tmp_path: Path) -> None:
    events: list[Point] = []
    first = _control(events)
    state = first.start_scenario("level-sensor-bias")
    assert state["state"] == "running" and state["fault_ids"] == ["zero-shift"]
    _steps(first, 3100)  # the bias started at 3000 s
    assert first.faults("instructor")[0]["state"] == "active"
    path = first.runtime.save_snapshot(tmp_path / "mid.json")

    resumed_events: list[Point] = []
    second = _control(resumed_events)
    second.runtime.load_snapshot(path)
    assert second.scenario_state("instructor")["elapsed_s"] == 3100.0  # type: ignore[index]
    level = second.runtime.readings("mps-pa")["B101_level"][0]
    assert level - second.runtime.slots["mps-pa"].unit.read()["B101_level"] > 0.6  # the bias is back
    second.runtime.pause()  # pausing stops the script with the clock: nothing is stepped
    second.runtime.resume()
    _steps(second, 1101)  # the fault ends at 4200 s (the update before the step after it)
    assert second.faults("instructor")[0]["state"] == "ended"
    _steps(second, 1200)  # the scenario ends at 5400 s
    kinds = [p.tags["kind"] for p in resumed_events]
    assert kinds == ["fault_ended", "scenario_ended"]
    assert second.scenario_state("instructor")["state"] == "ended"  # type: ignore[index]


def test_hidden_scenario_shows_students_only_its_briefing() -> None:
    events: list[Point] = []
    cfg = PlantConfig.model_validate(
        {"site": "lab", "units": [{"name": "mps-pa", "type": "mps_pa"}, {"name": "bioreactor-1", "type": "bioreactor"}]}
    )
    runtime = TwinRuntime(build_plant(cfg), unit_dt_s={"bioreactor-1": 1.0})
    control = TwinControl(runtime, sink=events.extend, scenario_dir=ROOT / "config/scenarios")
    control.start_scenario("escape-game-quality-deviation")
    student = control.scenario_state("student")
    assert student is not None and "fault_ids" not in student and student["briefing"]
    assert control.faults("student") == []
    assert len(control.faults("instructor")) == 2
    assert all(p.fields.get("hidden") is True for p in events if p.tags["kind"].startswith("fault_"))
    control.hide_scenario(False)  # the debrief: the instructor reveals it
    assert len(control.faults("student")) == 2
    assert load_scenario(ROOT / "config/scenarios/escape-game-quality-deviation.yaml").hidden
