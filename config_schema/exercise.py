"""The exercise part of a scenario file: candidate causes, hints and the ``scoring:`` block.

A scenario (``config/scenarios/*.yaml``, :mod:`twin.faults.scenarios`) becomes a scored
exercise with three optional blocks, checked here for their shape; whether their units, tags,
fault ids and fault kinds exist is checked against the plant and the scenario by
:mod:`twin.faults.scenarios` (the error names the file and the line).

- ``candidate_causes``: what a team may pick as the suspected cause of a deviation report
  (the list the form offers), each with FR/EN text and, when it is a fault of the catalogue,
  its ``fault_kind``. Decoys are welcome: a cause no fault has.
- ``hints``: texts an instructor or a timed rule (``at_s``) pushes to the teams; opening one
  costs ``cost`` points, shown before it is opened.
- ``scoring``: the answer key (one :class:`Answer` per fault to find), the points for
  detection delay, the penalties (false report, hint, out-of-bounds warning), the
  time-in-limits tasks (:class:`LimitTask`, a CPP kept within its NOR while a fault is
  active) and measured goals (:class:`KpiGoal`: the line's OEE gain, a changeover time, F0).

The whole block travels with the run: the ``scenario_started`` event carries it as JSON, so
``gmp-twin score`` needs nothing but the events. :mod:`analytics.exercise_scoring` computes
the scores from the events; the event kinds and their fields are listed in :data:`EVENT_FIELDS`.

Examples
--------
>>> spec = ScoringSpec.model_validate({
...     "answers": [{"fault": "drift", "unit": "bioreactor-1", "tags": ["pH"], "causes": ["ph-probe-drift"]}],
...     "time_in_limits": [{"unit": "bioreactor-1", "tag": "temperature", "lo": 36.5, "hi": 37.5, "weight": 2}]})
>>> a = spec.answers[0]
>>> (a.points.unit, a.points.tag, a.points.cause), spec.detection.full_s, spec.false_report
((20.0, 10.0, 30.0), 600.0, 10.0)
>>> spec.max_points()
150.0
>>> Classification.__args__
('minor', 'major', 'critical')
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: A cause or hint id: short, lower case (it appears in events and CSV exports).
ID_PATTERN = r"^[a-z0-9][a-z0-9\-_]{0,59}$"
#: A team name (users file ``team:``, ``gmp-twin run --teams``): ``team-1``, ``blue``...
TEAM_PATTERN = r"^[a-z0-9][a-z0-9\-]{0,30}$"

Classification = Literal["minor", "major", "critical"]
#: Impact on the batch a report declares (bioreactor, dryer, autoclave batches).
BatchImpact = Literal["none", "possible", "confirmed", "not_applicable"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    """A text in both interface languages."""

    en: str = Field(min_length=1)
    fr: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.fr if lang == "fr" else self.en


class CandidateCause(_Strict):
    """A suspected cause a team may pick in a deviation report."""

    id: str = Field(pattern=ID_PATTERN)
    label: Text
    #: The fault kind of the catalogue it names (``sensor_drift``...); ``None``: a cause outside
    #: the catalogue (an operator error, a raw-material lot...).
    fault_kind: str | None = None


class HintSpec(_Strict):
    """A hint of the scenario; pushed at ``at_s`` (seconds after start) or by an instructor."""

    id: str = Field(pattern=ID_PATTERN)
    text: Text
    cost: float = Field(5.0, ge=0, description="points taken from the team that opens it")
    at_s: float | None = Field(None, ge=0, description="push it to every team at this time; None: on demand")


class AnswerPoints(_Strict):
    """Points for the parts of a report that are right."""

    unit: float = Field(20.0, ge=0)
    tag: float = Field(10.0, ge=0, description="at least one of the answer's tags named")
    cause: float = Field(30.0, ge=0, description="a cause of the answer's 'causes' picked")
    start: float = Field(10.0, ge=0, description="declared start within 'start_tolerance_s' of the fault's")


class Answer(_Strict):
    """One fault to find: what a right report names."""

    fault: str = Field(min_length=1, description="the fault's id in the scenario's 'faults'")
    unit: str
    tags: list[str] = Field(default_factory=list, description="tags that show it (any one counts)")
    causes: list[str] = Field(default_factory=list, description="candidate cause ids accepted as right")
    classification: Classification | None = Field(None, description="the right GMP classification (bonus 5)")
    points: AnswerPoints = Field(default_factory=AnswerPoints)
    start_tolerance_s: float = Field(900.0, gt=0)


class DetectionPoints(_Strict):
    """Points for reporting quickly: ``points`` up to ``full_s`` after the fault's start, then linearly
    down to 0 at ``zero_s``."""

    points: float = Field(40.0, ge=0)
    full_s: float = Field(600.0, ge=0)
    zero_s: float = Field(3600.0, gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> DetectionPoints:
        if self.zero_s <= self.full_s:
            raise ValueError(f"detection.zero_s ({self.zero_s}) must be greater than full_s ({self.full_s})")
        return self


class LimitTask(_Strict):
    """Keep a CPP within its NOR while a fault is active (a recovery task)."""

    unit: str
    tag: str
    lo: float
    hi: float
    weight: float = Field(1.0, gt=0)
    points: float = Field(20.0, ge=0, description="points at 100 % time in limits, times weight")
    #: Which fault's active time counts; ``None``: any fault of the scenario.
    fault: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> LimitTask:
        if self.hi <= self.lo:
            raise ValueError(f"{self.unit}.{self.tag}: hi ({self.hi}) must be greater than lo ({self.lo})")
        return self


class KpiGoal(_Strict):
    """A measured result: a tag's value over the exercise, scored against a target.

    ``measure``: ``final`` (last value), ``gain`` (last minus the value at ``from_s``), ``min``,
    ``max`` or ``mean`` (over ``from_s`` .. end). Full ``points`` when the value reaches ``target``
    in the ``better`` direction, 0 at ``baseline``, linear between.
    """

    name: str = Field(pattern=ID_PATTERN)
    label: Text
    unit: str
    tag: str
    measure: Literal["final", "gain", "min", "max", "mean"] = "final"
    from_s: float = Field(0.0, ge=0)
    better: Literal["higher", "lower"] = "higher"
    baseline: float
    target: float
    points: float = Field(40.0, ge=0)

    @model_validator(mode="after")
    def _direction(self) -> KpiGoal:
        if (self.target > self.baseline) != (self.better == "higher") or self.target == self.baseline:
            raise ValueError(
                f"kpi {self.name}: target {self.target} must be {'above' if self.better == 'higher' else 'below'} "
                f"baseline {self.baseline} when better is {self.better!r}"
            )
        return self


class ScoringSpec(_Strict):
    """The ``scoring:`` block of a scenario (see the module docstring)."""

    answers: list[Answer] = Field(default_factory=list)
    detection: DetectionPoints = Field(default_factory=DetectionPoints)
    false_report: float = Field(10.0, ge=0, description="penalty for a report that matches no fault")
    classification_bonus: float = Field(5.0, ge=0)
    out_of_bounds_penalty: float = Field(2.0, ge=0, description="per warning of a time-in-limits task")
    time_in_limits: list[LimitTask] = Field(default_factory=list)
    kpis: list[KpiGoal] = Field(default_factory=list)

    def max_points(self) -> float:
        """The most a team can score (no penalty, everything found at once)."""
        total = 0.0
        for a in self.answers:
            p = a.points
            total += p.unit + p.tag + p.cause + p.start + self.detection.points
            total += self.classification_bonus if a.classification else 0.0
        total += sum(t.points * t.weight for t in self.time_in_limits)
        total += sum(k.points for k in self.kpis)
        return total


#: The exercise events (``event`` points, tag ``kind``) and their fields, besides ``run_id`` and,
#: on a team's own plant (classroom mode), ``team`` and ``class_run``. Times: the point's
#: ``time_ns`` is the plant clock when it happened (the simulated time base of the charts).
EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    # existing, extended: scoring / candidate_causes / hints as JSON strings, title_en, title_fr
    "scenario_started": ("scenario", "hidden", "duration_s", "scoring", "candidate_causes", "hints", "speed"),
    # tags: unit = the reported unit
    "deviation_reported": (
        "report_id", "team", "user", "unit", "tags", "start_ns", "cause", "cause_text", "action",
        "classification", "impact", "supersedes", "scenario",
    ),
    "hint_pushed": ("hint_id", "team", "cost", "by", "text_en", "text_fr"),
    "hint_opened": ("hint_id", "team", "user", "cost"),
    "limits_warning": ("team", "unit", "tag", "value", "lo", "hi"),
    "limits_result": ("team", "unit", "tag", "in_s", "out_s", "lo", "hi", "weight", "points"),
    "kpi_result": ("team", "name", "unit", "tag", "value"),
    "exercise_ended": ("scenario", "signed_by", "meaning", "revealed"),
}  # fmt: skip
