"""Training scenarios: timed scripts of faults and setpoint changes, from ``config/scenarios/*.yaml``.

A scenario names the units it needs, its faults (each with its own ``start_s``, ``ramp_s`` and
``duration_s``, counted from the scenario's start), timed ``actions`` (writes, as an operator
or a recipe would make them) and a ``duration_s`` after which it ends and clears what is
left. A ``hidden`` scenario (an escape game) keeps its faults out of student views.

The file is checked against the plant: a unit that the plant does not have, a tag, actuator,
disturbance or machine that the unit does not have, or a magnitude outside the physical range
stops loading with the file, the line and the valid options. So does an exercise block that
names nothing (:mod:`twin.exercises.scenario_checks`): an answer's fault id, unit, tag or
cause, a candidate cause's fault kind, a time-in-limits or KPI tag.

Examples
--------
>>> s = Scenario.model_validate({
...     "title": {"en": "Level sensor bias", "fr": "Biais du capteur de niveau"},
...     "units": ["mps-pa"], "duration_s": 600,
...     "faults": [{"kind": "sensor_bias", "target": {"unit": "mps-pa", "tag": "B101_level"},
...                 "magnitude": 1.5, "start_s": 60}]})
>>> s.faults[0].kind, s.hidden
('sensor_bias', False)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from audit import AuditTrail
from config_schema.exercise import CandidateCause, HintSpec, ScoringSpec, Text
from config_schema.files import ConfigError, load_yaml_model, load_yaml_with_lines
from twin.exercises.entries import ManualEntry, write_entry
from twin.exercises.scenario_checks import KeyPath, dotted, exercise_problems
from twin.faults.base import PlantTargets
from twin.faults.catalog import Fault
from twin.faults.manager import FaultManager

SCENARIO_DIR = Path("config/scenarios")


class Write(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    unit: str
    tag: str
    value: float


class Action(BaseModel):
    """A timed write (an operator or recipe action), or a manual entry, during the scenario."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    at_s: float = Field(ge=0, description="seconds after the scenario starts")
    write: Write | None = None
    #: A value typed in by hand, maybe back-dated (data-integrity exercises, twin.exercises.entries).
    entry: ManualEntry | None = None
    note: str = ""

    @model_validator(mode="after")
    def _one(self) -> Action:
        if (self.write is None) == (self.entry is None):
            raise ValueError("an action is either a 'write' or an 'entry'")
        return self


def _plant(info: ValidationInfo) -> PlantTargets | None:
    plant = (info.context or {}).get("plant")
    return plant if isinstance(plant, PlantTargets) else None


class Scenario(BaseModel):
    """One scenario file (see the module docstring and ``config/scenarios/``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field("", pattern=r"^[a-z0-9\-]*$", max_length=60, description="default: the file name")
    title: Text
    description: Text | None = None
    #: What students are asked to do (shown to them even when the faults are hidden).
    briefing: Text | None = None
    units: list[str] = Field(min_length=1, description="plant units the scenario uses")
    hidden: bool = Field(False, description="faults invisible to students (escape game)")
    duration_s: float = Field(gt=0, le=30 * 86400, description="simulated seconds from start to end")
    speed: float = Field(1.0, gt=0, description="suggested clock speed (× real time)")
    faults: list[Fault] = Field(default_factory=list)
    actions: list[Action] = Field(default_factory=list)
    #: Detector names expected to flag the faults (for the instructor's review).
    detectors: list[str] = Field(default_factory=list)
    #: The exercise (config_schema.exercise): causes a report may pick, hints, and the scoring.
    candidate_causes: list[CandidateCause] = Field(default_factory=list)
    hints: list[HintSpec] = Field(default_factory=list)
    scoring: ScoringSpec | None = None

    @field_validator("units")
    @classmethod
    def _units_known(cls, units: list[str], info: ValidationInfo) -> list[str]:
        plant = _plant(info)
        if plant is not None:
            for unit in units:
                if unit not in plant.units:
                    raise ValueError(f"unknown unit {unit!r}; the plant has: {', '.join(plant.units)}")
        return units

    @field_validator("actions")
    @classmethod
    def _writes_known(cls, actions: list[Action], info: ValidationInfo) -> list[Action]:
        plant = _plant(info)
        for i, action in enumerate(actions):
            w = action.write
            if plant is None or w is None:
                continue
            if w.unit not in plant.units:
                raise ValueError(f"actions[{i}]: unknown unit {w.unit!r}; the plant has: {', '.join(plant.units)}")
            if w.tag not in plant.units[w.unit].tags:
                raise ValueError(f"actions[{i}]: unit {w.unit!r} has no tag {w.tag!r}")
        return actions

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        used = {f.target.unit for f in self.faults} | {(a.write or a.entry).unit for a in self.actions}  # type: ignore[union-attr]
        missing = sorted(used - set(self.units))
        if missing:
            raise ValueError(f"faults or actions use unit(s) {', '.join(missing)} not listed in 'units'; add them")
        ids = [f.id for f in self.faults if f.id]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate fault id(s) {', '.join(dupes)}")
        for i, f in enumerate(self.faults):
            if f.start_s >= self.duration_s:
                raise ValueError(f"faults[{i}] starts at {f.start_s} s, after the scenario's end ({self.duration_s} s)")
        for i, a in enumerate(self.actions):
            if a.at_s > self.duration_s:
                raise ValueError(f"actions[{i}] at {a.at_s} s is after the scenario's end ({self.duration_s} s)")
        return self

    def summary(self, lang: str = "en") -> dict[str, Any]:
        return {
            "name": self.name,
            "title": getattr(self.title, lang),
            "briefing": getattr(self.briefing, lang) if self.briefing else "",
            "units": self.units,
            "hidden": self.hidden,
            "duration_s": self.duration_s,
            "speed": self.speed,
            "faults": len(self.faults),
        }


def load_scenario(path: str | Path, plant: PlantTargets | None = None) -> Scenario:
    """Load and check one scenario file; :class:`ConfigError` names the file and line."""
    path = Path(path)
    scenario = load_yaml_model(path, Scenario, context={"plant": plant} if plant else None)
    problems = exercise_problems(scenario, plant)
    if problems:
        _, lines = load_yaml_with_lines(path)
        raise ConfigError("\n".join(f"{path}:{_line(lines, where)}: {dotted(where)}: {msg}" for where, msg in problems))
    if not scenario.name:
        scenario = scenario.model_copy(update={"name": path.stem})
    return scenario


def _line(lines: dict[KeyPath, int], where: KeyPath) -> int:
    # The deepest part of the path the file has a line for (a default value has none).
    for n in range(len(where), -1, -1):
        if where[:n] in lines:
            return lines[where[:n]]
    return 1


def scenario_files(directory: str | Path = SCENARIO_DIR) -> list[Path]:
    return sorted(Path(directory).glob("*.yaml"))


def load_library(directory: str | Path = SCENARIO_DIR, plant: PlantTargets | None = None) -> dict[str, Scenario]:
    """Every scenario of a directory by name; all errors of all files in one ``ConfigError``."""
    out: dict[str, Scenario] = {}
    errors = []
    for path in scenario_files(directory):
        try:
            scenario = load_scenario(path, plant)
        except ConfigError as exc:
            errors.append(str(exc))
            continue
        if scenario.name in out:
            errors.append(f"{path}: scenario name {scenario.name!r} is used twice; rename one")
        out[scenario.name] = scenario
    if errors:
        raise ConfigError("\n".join(errors))
    return out


@dataclass
class RunningScenario:
    """A scenario started on a plant."""

    scenario: Scenario
    started_s: float
    hidden: bool
    fault_ids: list[str] = field(default_factory=list)
    done_actions: int = 0
    state: str = "running"  # running | ended | stopped


class ScenarioRunner:
    """Plays scenarios on a :class:`FaultManager`'s plant, on the simulation clock."""

    def __init__(self, manager: FaultManager) -> None:
        self.manager = manager
        self.current: RunningScenario | None = None
        #: Where a scenario's manual entries are recorded (set by TwinControl; None: not recorded).
        self.audit: AuditTrail | None = None
        #: Called with the scenario just started (before its faults), and with one stopping or
        #: ending (before its faults are cleared): the exercise desk.
        self.on_start: list[Callable[[RunningScenario], None]] = []
        self.on_stop: list[Callable[[RunningScenario], None]] = []
        manager.on_update.append(self.update)
        manager.scenarios = self

    def start(self, scenario: Scenario, hidden: bool | None = None, speed: float | None = None) -> RunningScenario:
        """Start ``scenario`` now; a scenario still running is stopped first.

        ``speed`` is the clock speed it runs at (the ``scenario_started`` event records it;
        the caller sets the clock); default: the scenario's own.
        """
        for unit in scenario.units:
            if unit not in self.manager.targets.units:
                raise ValueError(f"scenario {scenario.name}: this plant has no unit {unit!r}")
        if self.current is not None and self.current.state == "running":
            self.stop(reason="replaced")
        now = self.manager.runtime.clock.sim_time_s
        hide = scenario.hidden if hidden is None else hidden
        running = RunningScenario(scenario, now, hide)
        self.current = running
        self.manager.emit(",".join(scenario.units), "scenario_started", started_fields(scenario, hide, speed))
        for hook in self.on_start:
            hook(running)
        for fault in scenario.faults:
            active = self.manager.inject(fault, hidden=hide, scenario=scenario.name)
            running.fault_ids.append(active.id)
        self.update(now)
        return running

    def stop(self, reason: str = "stopped") -> RunningScenario | None:
        running = self.current
        if running is None or running.state != "running":
            return running
        for hook in self.on_stop:
            hook(running)
        self.manager.clear_all(scenario=running.scenario.name, reason=reason)
        running.state = "stopped" if reason != "ended" else "ended"
        self.manager.emit(
            ",".join(running.scenario.units), f"scenario_{running.state}",
            {"scenario": running.scenario.name, "hidden": running.hidden,
             "message": f"scenario {running.scenario.name} {running.state}"},
        )  # fmt: skip
        return running

    def set_hidden(self, hidden: bool) -> None:
        running = self.current
        if running is None:
            raise ValueError("no scenario has been started")
        running.hidden = hidden
        for fid in running.fault_ids:
            if fid in self.manager.faults:
                self.manager.faults[fid].hidden = hidden

    def update(self, now_s: float) -> None:
        running = self.current
        if running is None or running.state != "running":
            return
        elapsed = now_s - running.started_s
        eps = 0.5 * self.manager.runtime.dt_s
        actions = running.scenario.actions
        while running.done_actions < len(actions) and actions[running.done_actions].at_s <= elapsed + eps:
            action = actions[running.done_actions]
            running.done_actions += 1
            if action.entry is not None:
                write_entry(self.manager, action.entry, running.scenario.name, self.audit)
            elif action.write is not None:
                self.manager.runtime.write(action.write.unit, action.write.tag, action.write.value)
        if elapsed >= running.scenario.duration_s - eps:
            self.stop(reason="ended")

    def view(self) -> dict[str, Any] | None:
        running = self.current
        if running is None:
            return None
        now = self.manager.runtime.clock.sim_time_s
        return {
            **running.scenario.summary(),
            "hidden": running.hidden,
            "state": running.state,
            "elapsed_s": round(now - running.started_s, 3),
            "fault_ids": list(running.fault_ids),
        }

    def snapshot(self) -> dict[str, Any] | None:
        r = self.current
        if r is None:
            return None
        return {
            "scenario": r.scenario.model_dump(mode="json"), "started_s": r.started_s, "hidden": r.hidden,
            "fault_ids": r.fault_ids, "done_actions": r.done_actions, "state": r.state,
        }  # fmt: skip

    def restore(self, snap: dict[str, Any] | None) -> None:
        if not snap:
            self.current = None
            return
        scenario = Scenario.model_validate(snap["scenario"])
        self.current = RunningScenario(
            scenario, float(snap["started_s"]), bool(snap["hidden"]), list(snap["fault_ids"]),
            int(snap["done_actions"]), str(snap["state"]),
        )  # fmt: skip


def started_fields(scenario: Scenario, hidden: bool, speed: float | None) -> dict[str, float | int | str | bool]:
    """The ``scenario_started`` event's fields: the exercise travels with the run (JSON strings)."""
    return {
        "scenario": scenario.name,
        "hidden": hidden,
        "duration_s": scenario.duration_s,
        "speed": float(scenario.speed if speed is None else speed),
        "title_en": scenario.title.en,
        "title_fr": scenario.title.fr,
        "scoring": scenario.scoring.model_dump_json() if scenario.scoring is not None else "",
        "candidate_causes": json.dumps([c.model_dump(mode="json") for c in scenario.candidate_causes]),
        "hints": json.dumps([h.model_dump(mode="json") for h in scenario.hints]),
        "message": f"scenario {scenario.name} started",
    }


def scenario_names(scenarios: Iterable[Scenario]) -> list[str]:
    return [s.name for s in scenarios]
