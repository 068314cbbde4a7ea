"""A scenario's exercise blocks checked against the scenario itself and the plant.

:mod:`config_schema.exercise` checks the shape of ``candidate_causes``, ``hints`` and
``scoring``; here, what they name must exist: an answer's fault is a fault id of the
scenario, units are the scenario's, tags are the unit's, causes are candidate causes, a
candidate's ``fault_kind`` is a kind of the catalogue. Each problem comes with the key path
it is at, so :func:`twin.faults.scenarios.load_scenario` names the file's line.

Examples
--------
>>> from twin.faults.scenarios import Scenario
>>> s = Scenario.model_validate({"title": {"en": "t", "fr": "t"}, "units": ["mps-pa"], "duration_s": 60,
...     "candidate_causes": [{"id": "gremlin", "label": {"en": "g", "fr": "g"}, "fault_kind": "gremlins"}],
...     "scoring": {"answers": [{"fault": "nope", "unit": "mps-pa", "causes": ["gremlin"]}]}})
>>> for path, message in exercise_problems(s):
...     print(dotted(path), "->", message[:35])
candidate_causes[0].fault_kind -> unknown fault kind 'gremlins'; kind
scoring.answers[0].fault -> unknown fault id 'nope'; the scenar
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from config_schema.exercise import CandidateCause, HintSpec, ScoringSpec
from twin.faults.base import FaultBase, PlantTargets
from twin.faults.catalog import FAULT_TYPES


class Scenario(Protocol):
    """What the checks read of a :class:`twin.faults.scenarios.Scenario` (which calls them)."""

    @property
    def units(self) -> list[str]: ...

    @property
    def duration_s(self) -> float: ...

    @property
    def faults(self) -> Sequence[FaultBase]: ...

    @property
    def candidate_causes(self) -> list[CandidateCause]: ...

    @property
    def hints(self) -> list[HintSpec]: ...

    @property
    def scoring(self) -> ScoringSpec | None: ...


KeyPath = tuple[str | int, ...]
Problem = tuple[KeyPath, str]


def dotted(path: KeyPath) -> str:
    """``scoring.answers[0].fault`` from ``("scoring", "answers", 0, "fault")``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _listing(names: Sequence[str]) -> str:
    return ", ".join(names) or "none"


def exercise_problems(scenario: Scenario, plant: PlantTargets | None = None) -> list[Problem]:
    """Every reference of the exercise blocks that names nothing; empty when all is well."""
    return list(_problems(scenario, plant))


def _problems(s: Scenario, plant: PlantTargets | None) -> Iterator[Problem]:
    kinds = sorted(FAULT_TYPES)
    causes = [c.id for c in s.candidate_causes]
    for i, c in enumerate(s.candidate_causes):
        if c.fault_kind is not None and c.fault_kind not in FAULT_TYPES:
            yield (
                ("candidate_causes", i, "fault_kind"),
                f"unknown fault kind {c.fault_kind!r}; kinds: {_listing(kinds)}",
            )
        if causes.index(c.id) != i:
            yield ("candidate_causes", i, "id"), f"cause id {c.id!r} is used twice"
    hint_ids = [h.id for h in s.hints]
    for i, h in enumerate(s.hints):
        if hint_ids.index(h.id) != i:
            yield ("hints", i, "id"), f"hint id {h.id!r} is used twice"
        if h.at_s is not None and h.at_s > s.duration_s:
            yield ("hints", i, "at_s"), f"at {h.at_s} s is after the scenario's end ({s.duration_s} s)"
    if s.scoring is None:
        return
    faults = [f.id for f in s.faults if f.id]
    no_ids = "" if faults else " (give each fault an 'id')"
    for i, a in enumerate(s.scoring.answers):
        at: KeyPath = ("scoring", "answers", i)
        if a.fault not in faults:
            yield (*at, "fault"), f"unknown fault id {a.fault!r}; the scenario's fault ids: {_listing(faults)}{no_ids}"
        yield from _unit_tags(s, plant, at, a.unit, [(("tags", j), t) for j, t in enumerate(a.tags)])
        for j, cause in enumerate(a.causes):
            if cause not in causes:
                yield (*at, "causes", j), f"unknown cause {cause!r}; candidate causes: {_listing(causes)}"
    for i, t in enumerate(s.scoring.time_in_limits):
        at = ("scoring", "time_in_limits", i)
        yield from _unit_tags(s, plant, at, t.unit, [(("tag",), t.tag)])
        if t.fault is not None and t.fault not in faults:
            yield (*at, "fault"), f"unknown fault id {t.fault!r}; the scenario's fault ids: {_listing(faults)}{no_ids}"
    for i, k in enumerate(s.scoring.kpis):
        yield from _unit_tags(s, plant, ("scoring", "kpis", i), k.unit, [(("tag",), k.tag)])


def _unit_tags(
    s: Scenario, plant: PlantTargets | None, at: KeyPath, unit: str, tags: list[tuple[KeyPath, str]]
) -> Iterator[Problem]:
    if unit not in s.units:
        yield (*at, "unit"), f"unit {unit!r} is not one of the scenario's units: {_listing(s.units)}"
        return
    if plant is None or unit not in plant.units:
        return
    known = plant.units[unit].tags
    for where, tag in tags:
        if tag not in known:
            yield (*at, *where), f"unit {unit!r} has no tag {tag!r}; its tags: {_listing(known)}"


__all__ = ["dotted", "exercise_problems"]
