"""Deviation reports (déclarations d'écart): what a team files, checked, numbered and never edited.

A report names the unit and the tags where the team saw the deviation, when it started, the
suspected cause (a candidate cause of the scenario or a free text), the immediate action, the
GMP classification and the impact on the batch. Once filed it cannot change: a later report
``supersedes`` it, and only the newest of a chain is scored.

Examples
--------
>>> r = ReportIn.model_validate({"unit": "mps-pa", "tags": ["B101_level"], "start_ns": 5,
...     "cause": "level-sensor-bias", "action": "switched to manual", "classification": "minor"})
>>> r.start_time_ns(), r.impact
(5, 'not_applicable')
>>> ReportIn.model_validate({"unit": "u", "tags": ["t"], "start": "2026-01-01T10:00:00",
...     "cause_text": "?", "action": "a", "classification": "minor"})
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for ReportIn
...
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from config_schema.exercise import BatchImpact, CandidateCause, Classification

NS_PER_S = 1_000_000_000


class ReportIn(BaseModel):
    """A deviation report as a team submits it (API body, dashboard form, scripted team)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    unit: str = Field(min_length=1)
    tags: list[str] = Field(min_length=1, description="the tags that show the deviation")
    start: AwareDatetime | None = Field(None, description="when it started (ISO 8601 with a time zone)")
    start_ns: int | None = Field(None, ge=0, description="when it started, ns since the epoch (instead of start)")
    cause: str = Field("", description="a candidate cause id of the scenario")
    cause_text: str = Field("", max_length=2000, description="the suspected cause in free text")
    action: str = Field(min_length=1, max_length=2000, description="the immediate action taken")
    classification: Classification
    impact: BatchImpact = "not_applicable"
    impact_text: str = Field("", max_length=2000)
    supersedes: str | None = Field(None, description="the id of an earlier report of the team it replaces")

    @model_validator(mode="after")
    def _complete(self) -> ReportIn:
        if (self.start is None) == (self.start_ns is None):
            raise ValueError("give the deviation's start: either 'start' (ISO date-time with zone) or 'start_ns'")
        if not self.cause.strip() and not self.cause_text.strip():
            raise ValueError("give the suspected cause: 'cause' (a candidate cause id) or 'cause_text' (free text)")
        if not self.action.strip():
            raise ValueError("'action': say what immediate action the team took")
        return self

    def start_time_ns(self) -> int:
        if self.start_ns is not None:
            return self.start_ns
        assert self.start is not None  # the validator requires one of them
        return round(self.start.timestamp() * NS_PER_S)


def parse_report(data: Any) -> ReportIn:
    """``data`` as a :class:`ReportIn`; ``ValueError`` in one line naming each wrong field.

    >>> parse_report({"unit": "mps-pa", "tags": [], "action": "x", "classification": "major"})
    Traceback (most recent call last):
    ...
    ValueError: invalid report: tags: List should have at least 1 item after validation, not 0
    """
    try:
        return ReportIn.model_validate(data)
    except ValidationError as exc:
        parts = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"])
            message = str(err["msg"]).removeprefix("Value error, ")
            parts.append(f"{where}: {message}" if where else message)
        raise ValueError("invalid report: " + "; ".join(parts)) from None


@dataclass(frozen=True)
class ExerciseScope:
    """What a report may name: the plant's units with their tags, and the scenario's candidate causes."""

    units: Mapping[str, Sequence[str]]
    causes: Sequence[CandidateCause] = ()
    scenario: str = ""


def check_report(report: ReportIn, scope: ExerciseScope, now_ns: int) -> None:
    """``ValueError`` naming the wrong field and listing the valid choices."""
    if report.unit not in scope.units:
        raise ValueError(f"unit: unknown unit {report.unit!r}; units: {', '.join(scope.units)}")
    tags = scope.units[report.unit]
    unknown = [t for t in report.tags if t not in tags]
    if unknown:
        raise ValueError(f"tags: {report.unit} has no tag {', '.join(unknown)}; its tags: {', '.join(tags)}")
    ids = [c.id for c in scope.causes]
    if report.cause and report.cause not in ids:
        raise ValueError(f"cause: unknown cause {report.cause!r}; candidate causes: {', '.join(ids) or 'none'}")
    if report.start_time_ns() > now_ns:
        raise ValueError("start: the deviation cannot start after the plant's present time")


@dataclass
class ReportBook:
    """The reports of one plant, numbered ``R1``, ``R2``... for the whole run (never reused)."""

    reports: list[dict[str, Any]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def file(
        self, report: ReportIn, *, team: str, user: str, now_ns: int, sim_s: float, scenario: str
    ) -> dict[str, Any]:
        """Store ``report`` and return its view; ``ValueError`` for a wrong ``supersedes``."""
        if report.supersedes is not None:
            earlier = [r["report_id"] for r in self.reports if r["team"] == team]
            if report.supersedes not in earlier:
                raise ValueError(
                    f"supersedes: {report.supersedes!r} is no earlier report of {team}; "
                    f"its reports: {', '.join(earlier) or 'none'}"
                )
        start_ns = report.start_time_ns()
        view = {
            "report_id": f"R{next(self._ids)}",
            "team": team,
            "user": user,
            "time_ns": now_ns,
            "sim_s": round(sim_s, 3),
            "scenario": scenario,
            **report.model_dump(exclude={"start", "start_ns"}),
            "start_ns": start_ns,
            "start": datetime.fromtimestamp(start_ns / NS_PER_S, UTC).isoformat(),
        }
        self.reports.append(view)
        return dict(view)

    def of(self, team: str | None) -> list[dict[str, Any]]:
        """Reports of ``team`` (``None``: every team), oldest first."""
        return [dict(r) for r in self.reports if team is None or r["team"] == team]

    def clear(self) -> None:
        """A new exercise starts (the numbering goes on)."""
        self.reports.clear()


def report_fields(view: Mapping[str, Any]) -> dict[str, float | int | str | bool]:
    """The ``deviation_reported`` event's fields (lists comma-joined, no ``None``)."""
    return {
        "report_id": view["report_id"], "team": view["team"], "user": view["user"], "unit": view["unit"],
        "tags": ",".join(view["tags"]), "start_ns": int(view["start_ns"]), "cause": view["cause"],
        "cause_text": view["cause_text"], "action": view["action"], "classification": view["classification"],
        "impact": view["impact"], "impact_text": view["impact_text"], "supersedes": view["supersedes"] or "",
        "scenario": view["scenario"],
        "message": f"{view['team']}: deviation {view['report_id']} on {view['unit']} ({view['user']})",
    }  # fmt: skip


__all__ = ["ExerciseScope", "ReportBook", "ReportIn", "check_report", "report_fields"]
