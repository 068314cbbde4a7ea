"""The exercise methods of :class:`twin.faults.service.TwinControl`: teams, roles and the audit trail.

A mixin so that the service layer stays one file per idea: these methods decide who may do
what (a report needs a team; on a team's own plant, that team; ending needs an instructor's
signature), record every attempt in the audit trail, and hand the work to the plant's
:class:`twin.exercises.desk.ExerciseDesk` on the runtime's loop.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from audit import Actor, Change, Signature
from twin.exercises.desk import ExerciseDesk
from twin.exercises.reports import parse_report

if TYPE_CHECKING:
    from twin.faults.scenarios import ScenarioRunner

T = TypeVar("T")
Role = Literal["instructor", "student"]
_INSTRUCTING = ("instructor", "admin", "system")


class ExerciseMethods:
    """Deviation reports, hints, the signed end and the exercise's state, by role and team."""

    exercise: ExerciseDesk
    runner: ScenarioRunner
    team: str
    class_run: str
    run_id: str

    if TYPE_CHECKING:

        def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T: ...

        def audited(
            self, actor: Actor, action: str, obj: str, **fields: Any
        ) -> contextlib.AbstractContextManager[Change]: ...

        def faults(self, role: Role, live_only: bool = False) -> list[dict[str, Any]]: ...

    def _exercise_team(self, team: str | None, change: Change) -> str:
        """The team a student acts for; ``PermissionError`` when none, or another plant's."""
        if not team:
            change.status = "BadUserAccessDenied"
            raise PermissionError(
                "you are in no team, so you cannot take part in the exercise; ask your instructor to put you in one"
            )
        if self.team and team != self.team:
            change.status = "BadUserAccessDenied"
            raise PermissionError(f"this is {self.team}'s plant; you are in {team}")
        return team

    def _push_team(self, team: str | None) -> str:
        if self.team:
            if team and team != self.team:
                raise ValueError(f"team: this is {self.team}'s plant, not {team}'s")
            return self.team
        return team or ""

    def report_deviation(self, report: dict[str, Any], *, actor: Actor, team: str) -> dict[str, Any]:
        """File a deviation report for ``team`` (see :class:`twin.exercises.reports.ReportIn`).

        ``ValueError`` (invalid: names the field and the valid choices), ``PermissionError`` (no
        team, another team's plant), :class:`twin.exercises.errors.ExerciseClosed` (no exercise
        running). Stored as a ``deviation_reported`` event and the audit record ``deviation.report``.
        """
        unit = str(report.get("unit", "")) if isinstance(report, dict) else ""
        with self.audited(actor, "deviation.report", f"team:{team or '-'}", unit=unit, new=report) as ch:
            who = self._exercise_team(team, ch)
            parsed = parse_report(report)
            view = self.call(self.exercise.report, parsed, team=who, user=actor.user)
            ch.new = view
        return view

    def reports(self, team: str | None) -> list[dict[str, Any]]:
        """The exercise's reports of ``team`` (``None``: every team), oldest first."""
        return self.call(self.exercise.book.of, team)

    def hints(self, team: str, role: Role) -> list[dict[str, Any]]:
        """Hints pushed to ``team`` (an instructor's ``""``: all); texts once opened, or for instructors."""
        instructor = role == "instructor"
        if not team and not instructor:
            return []
        return self.call(self.exercise.hints.views, team or None, instructor)

    def push_hint(
        self,
        team: str | None,
        *,
        actor: Actor,
        hint_id: str | None = None,
        text: dict[str, str] | None = None,
        cost: float | None = None,
    ) -> list[dict[str, Any]]:
        """Push a scenario hint (``hint_id``) or a free ``text`` with its ``cost`` to ``team`` (None: every team)."""
        new = {"team": team, "hint_id": hint_id, "text": text, "cost": cost}
        with self.audited(actor, "hint.push", f"hint:{hint_id or 'text'}", new=new) as ch:
            if actor.role not in _INSTRUCTING:
                ch.status = "BadUserAccessDenied"
                raise PermissionError(f"{actor.user} ({actor.role}) may not push hints: instructors do")
            who = self._push_team(team)
            view = self.call(self.exercise.push_hint, who, by=actor.user, hint_id=hint_id, text=text, cost=cost)
            ch.new = {**new, "team": who, "hint_id": view["id"], "cost": view["cost"]}
        return [view]

    def open_hint(self, team: str, hint_id: str, *, actor: Actor) -> dict[str, Any]:
        """Open a hint pushed to ``team`` (its cost is taken once); returns it with its text."""
        with self.audited(actor, "hint.open", f"hint:{hint_id}") as ch:
            who = self._exercise_team(team, ch)
            view = self.call(self.exercise.open_hint, who, hint_id, user=actor.user)
            ch.new = {"team": who, "cost": view["cost"]}
        return view

    def end_exercise(self, *, actor: Actor, signature: Signature | None) -> dict[str, Any]:
        """End the exercise with the instructor's electronic signature and reveal its faults."""
        with self.audited(actor, "exercise.end", "exercise", signature=signature) as ch:
            if actor.role not in _INSTRUCTING:
                ch.status = "BadUserAccessDenied"
                raise PermissionError(f"{actor.user} ({actor.role}) may not end the exercise: instructors do")
            if signature is None:
                ch.status = "SignatureRequired"
                raise PermissionError(
                    "ending the exercise needs an electronic signature: your password again and a meaning"
                )
            if actor.user not in (signature.user, "local-console"):
                ch.status = "SignatureRequired"
                raise PermissionError(f"exercise.end: the signature is {signature.user}'s, not {actor.user}'s")
            result = self.call(self.exercise.end, signed_by=signature.user, meaning=signature.meaning)
            ch.new = result
        return result

    def exercise_state(self, role: Role, team: str) -> dict[str, Any] | None:
        """The running (or last) exercise as ``role`` of ``team`` may see it; ``None`` without one.

        Students never see the faults or the answers of a hidden scenario before its signed end.
        """
        return self.call(self._exercise_view, role, team)

    def _exercise_view(self, role: Role, team: str) -> dict[str, Any] | None:
        current = self.runner.current
        if current is None:
            return None
        desk = self.exercise
        s = current.scenario
        instructor = role == "instructor"
        clock = desk.manager.runtime.clock
        seen = instructor or not current.hidden or desk.revealed
        of_team = team or None if instructor else team
        view: dict[str, Any] = {
            "scenario": s.name,
            "title": s.title.model_dump(),
            "briefing": s.briefing.model_dump() if s.briefing else None,
            "state": current.state,
            "elapsed_s": round(clock.sim_time_s - current.started_s, 3),
            "duration_s": s.duration_s,
            "speed": clock.speed if clock.speed != float("inf") else "max",
            "hidden": current.hidden,
            "revealed": desk.revealed,
            "team": team,
            "candidate_causes": [{"id": c.id, "label": c.label.model_dump()} for c in s.candidate_causes],
            "warnings": [w for w in desk.warnings if of_team is None or w["team"] in ("", of_team)],
            "hints": desk.hints.views(of_team, instructor) if (of_team or instructor) else [],
            "reports": desk.book.of(of_team) if (of_team or instructor) else [],
            "run_id": self.run_id,
            "class_run": self.class_run,
        }
        if seen:
            view["faults"] = [f for f in desk.manager.views(True) if f.get("scenario") == s.name]
            if not instructor:
                for f in view["faults"]:
                    f.pop("note", None)
                    f.get("fault", {}).pop("note", None)
        if instructor or desk.revealed:
            view["scoring"] = s.scoring.model_dump(mode="json") if s.scoring else None
        if instructor:  # the scenario's hints an instructor may push, with their text and cost
            view["hint_specs"] = [h.model_dump(mode="json") for h in s.hints]
        return view


__all__ = ["ExerciseMethods", "Role"]
