"""The exercise of one plant: its reports, hints, limits and KPI trackers, and their events.

:class:`ExerciseDesk` hangs on a :class:`twin.faults.scenarios.ScenarioRunner`: a scenario's
start opens an exercise (fresh reports, hints and trackers), its end or stop writes the
``limits_result`` and ``kpi_result`` events, and the instructor's signed end reveals its
faults (``exercise_ended``). On every simulation update it pushes the scenario's timed hints
and samples the published readings the trackers need, once per simulated second.

It holds the logic only: roles, teams and the audit trail are
:class:`twin.faults.service.TwinControl`'s, which calls it on the runtime's loop.
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING, Any

from config_schema.exercise import HintSpec
from twin.exercises.errors import ExerciseClosed
from twin.exercises.hints import HintBoard
from twin.exercises.limits import KpiTracker, LimitTracker
from twin.exercises.reports import ExerciseScope, ReportBook, ReportIn, check_report, report_fields

if TYPE_CHECKING:
    from twin.faults.manager import FaultManager
    from twin.faults.scenarios import RunningScenario, ScenarioRunner

log = logging.getLogger(__name__)

#: Simulated seconds between two samples of the trackers.
SAMPLE_S = 1.0
#: OPC UA severity bit: a Bad reading is no measurement.
_BAD = 0x80000000


class ExerciseDesk:
    """Reports, hints and trackers of the running scenario of one plant.

    Parameters
    ----------
    manager : FaultManager
        Its events go out through the manager's sinks (with the plant's team / class run).
    runner : ScenarioRunner
        The scenario runner whose scenario is the exercise.
    """

    def __init__(self, manager: FaultManager, runner: ScenarioRunner) -> None:
        self.manager = manager
        self.runner = runner
        self.book = ReportBook()
        self.hints = HintBoard()
        self.limits: list[LimitTracker] = []
        self.kpis: list[KpiTracker] = []
        self.warnings: list[dict[str, Any]] = []
        #: The running scenario's faults were revealed by the instructor's signed end.
        self.revealed = False
        self._last_sample_s: float | None = None
        self._free_hints = 0
        runner.on_start.append(self._opened)
        runner.on_stop.append(self._closing)
        manager.on_update.append(self.update)

    # -- the exercise's life -------------------------------------------------------------------
    @property
    def running(self) -> RunningScenario | None:
        current = self.runner.current
        return current if current is not None and current.state == "running" else None

    def _opened(self, running: RunningScenario) -> None:
        self.book.clear()
        self.hints = HintBoard()
        self.warnings = []
        self.revealed = False
        scoring = running.scenario.scoring
        self.limits = [LimitTracker(t) for t in scoring.time_in_limits] if scoring else []
        self.kpis = [KpiTracker(k) for k in scoring.kpis] if scoring else []
        self._last_sample_s = running.started_s

    def _closing(self, running: RunningScenario) -> None:
        team = self.manager.team
        for t in self.limits:
            task = t.task
            self.manager.emit(task.unit, "limits_result", {
                "team": team, "tag": task.tag, "in_s": round(t.in_s, 3), "out_s": round(t.out_s, 3),
                "lo": task.lo, "hi": task.hi, "weight": task.weight, "points": task.points,
                "fraction": round(t.fraction, 4), "warnings": t.warnings, "scenario": running.scenario.name,
                "message": f"{task.unit}.{task.tag}: {t.fraction:.0%} of the time in [{task.lo}, {task.hi}]",
            })  # fmt: skip
        for k in self.kpis:
            value = k.value()
            if value is None:
                log.warning("kpi %s: no sample of %s.%s during the exercise", k.goal.name, k.goal.unit, k.goal.tag)
                continue
            self.manager.emit(k.goal.unit, "kpi_result", {
                "team": team, "name": k.goal.name, "tag": k.goal.tag, "value": float(value),
                "measure": k.goal.measure, "scenario": running.scenario.name,
                "message": f"{k.goal.name} ({k.goal.measure} of {k.goal.unit}.{k.goal.tag}) = {value:.4g}",
            })  # fmt: skip

    def end(self, *, signed_by: str, meaning: str) -> dict[str, Any]:
        """The instructor's signed end: stop (state ``ended``), reveal the faults, ``exercise_ended``."""
        current = self.runner.current
        if current is None:
            raise ExerciseClosed("no exercise to end: no scenario has been started")
        if self.revealed:
            raise ExerciseClosed(f"the exercise {current.scenario.name} has already been ended")
        if current.state == "running":
            self.runner.stop(reason="ended")
        self.runner.set_hidden(False)
        self.revealed = True
        self.manager.emit(",".join(current.scenario.units), "exercise_ended", {
            "scenario": current.scenario.name, "signed_by": signed_by, "meaning": meaning,
            "revealed": ",".join(current.fault_ids),
            "message": f"exercise {current.scenario.name} ended by {signed_by}",
        })  # fmt: skip
        return {"scenario": current.scenario.name, "state": current.state, "revealed": list(current.fault_ids)}

    # -- reports -------------------------------------------------------------------------------
    def _require_running(self) -> RunningScenario:
        running = self.running
        if running is None:
            current = self.runner.current
            why = "no scenario has been started" if current is None else f"{current.scenario.name} has {current.state}"
            raise ExerciseClosed(f"no exercise is running ({why}): reports and hints wait for the next one")
        return running

    def scope(self) -> ExerciseScope:
        running = self.runner.current
        units = {name: u.tags for name, u in self.manager.targets.units.items()}
        if running is None:
            return ExerciseScope(units)
        return ExerciseScope(units, running.scenario.candidate_causes, running.scenario.name)

    def report(self, report: ReportIn, *, team: str, user: str) -> dict[str, Any]:
        """File a report of ``team``: checked, stored, event ``deviation_reported``."""
        running = self._require_running()
        clock = self.manager.runtime.clock
        check_report(report, self.scope(), clock.now_ns())
        view = self.book.file(
            report, team=team, user=user, now_ns=clock.now_ns(), sim_s=clock.sim_time_s - running.started_s,
            scenario=running.scenario.name,
        )  # fmt: skip
        self.manager.emit(report.unit, "deviation_reported", report_fields(view))
        return view

    # -- hints ---------------------------------------------------------------------------------
    def push_hint(
        self, team: str, *, by: str, hint_id: str | None, text: dict[str, str] | None, cost: float | None
    ) -> dict[str, Any]:
        """Push a scenario hint (by id) or a free text to ``team`` (``""``: every team)."""
        running = self._require_running()
        if hint_id is not None and text is None:
            specs = {h.id: h for h in running.scenario.hints}
            if hint_id not in specs:
                raise ValueError(f"hint_id: no hint {hint_id!r} in {running.scenario.name}; its hints: "
                                 f"{', '.join(specs) or 'none'}")  # fmt: skip
            spec = specs[hint_id]
            return self._push(team, spec.id, spec.text.model_dump(), spec.cost if cost is None else cost, by)
        if text is None:
            raise ValueError("give a scenario hint's 'hint_id' or a free 'text' (and its 'cost')")
        if hint_id is None:
            self._free_hints += 1
            hint_id = f"instructor-{self._free_hints}"
        return self._push(team, hint_id, text, 5.0 if cost is None else cost, by)

    def _push(self, team: str, hint_id: str, text: dict[str, str], cost: float, by: str) -> dict[str, Any]:
        clock = self.manager.runtime.clock
        running = self._require_running()
        team = team or self.manager.team  # "every team" of a team's own plant is that team
        hint = self.hints.push(team, hint_id, text, cost, by=by, now_s=clock.sim_time_s - running.started_s)
        self.manager.emit(",".join(running.scenario.units), "hint_pushed", {
            "hint_id": hint.id, "team": team, "cost": hint.cost, "by": by, "text_en": hint.text["en"],
            "text_fr": hint.text["fr"], "scenario": running.scenario.name,
            "message": f"hint {hint.id} pushed to {team or 'every team'} by {by}",
        })  # fmt: skip
        return hint.view(None, instructor=True)

    def open_hint(self, team: str, hint_id: str, *, user: str) -> dict[str, Any]:
        running = self._require_running()
        first = not self.hints.was_opened(team, hint_id)
        clock = self.manager.runtime.clock
        view = self.hints.open(team, hint_id, user=user, now_s=clock.sim_time_s - running.started_s)
        if first:
            self.manager.emit(",".join(running.scenario.units), "hint_opened", {
                "hint_id": hint_id, "team": team, "user": user, "cost": view["cost"],
                "scenario": running.scenario.name, "message": f"{team}: hint {hint_id} opened by {user}",
            })  # fmt: skip
        return view

    # -- the simulation's pace -----------------------------------------------------------------
    def update(self, now_s: float) -> None:
        """Timed hints and tracker samples; called on every simulation update."""
        running = self.running
        if running is None:
            return
        elapsed = now_s - running.started_s
        eps = 0.5 * self.manager.runtime.dt_s
        for spec in running.scenario.hints:
            if spec.at_s is not None and spec.at_s <= elapsed + eps and spec.id not in self.hints.pushed_ids():
                self._push_timed(spec)
        if (self.limits or self.kpis) and self._last_sample_s is not None:
            dt = now_s - self._last_sample_s
            if dt >= SAMPLE_S - eps:
                self._last_sample_s = now_s
                self._sample(running, elapsed, dt)

    def _push_timed(self, spec: HintSpec) -> None:
        self._push("", spec.id, spec.text.model_dump(), spec.cost, "system")

    def _fault_active(self, running: RunningScenario, fault: str | None) -> bool:
        faults = self.manager.faults
        ids = running.fault_ids if fault is None else [fault]
        return any(fid in faults and faults[fid].state == "active" and faults[fid].scenario == running.scenario.name
                   for fid in ids)  # fmt: skip

    def _sample(self, running: RunningScenario, elapsed: float, dt: float) -> None:
        units = {t.task.unit for t in self.limits} | {k.goal.unit for k in self.kpis}
        readings = {u: self.manager.runtime.readings(u) for u in units if u in self.manager.runtime.slots}

        def value(unit: str, tag: str) -> float:
            reading = readings.get(unit, {}).get(tag)
            if reading is None or reading[1] & _BAD:
                return math.nan
            return float(reading[0])

        for t in self.limits:
            v = value(t.task.unit, t.task.tag)
            if t.sample(v, active=self._fault_active(running, t.task.fault), dt_s=dt):
                task = t.task
                fields: dict[str, float | int | str | bool] = {
                    "team": self.manager.team, "tag": task.tag, "value": round(v, 6), "lo": task.lo, "hi": task.hi,
                }  # fmt: skip
                self.warnings.append({**fields, "unit": task.unit, "sim_s": round(elapsed, 3)})
                self.manager.emit(task.unit, "limits_warning", {
                    **fields, "scenario": running.scenario.name,
                    "message": f"{task.unit}.{task.tag} = {v:.4g} left [{task.lo}, {task.hi}]",
                })  # fmt: skip
        for k in self.kpis:
            k.sample(value(k.goal.unit, k.goal.tag), elapsed_s=elapsed)


__all__ = ["SAMPLE_S", "ExerciseDesk"]
