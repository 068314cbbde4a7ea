"""Batches found in the historian: dryer batches, bioreactor batches and autoclave cycles.

A unit type with batches names a *phase tag* and which of its values mean "running" and
"ended well" (:data:`RULES`). A batch starts when the phase tag enters a running value and
ends when it leaves them: on a completing value (``complete``, or the autoclave's ``pass`` /
``fail`` verdict), on any other (``stopped`` / ``aborted``), or not yet (``running``). Autoclave
cycles come from :func:`dashboard.autoclave_cycles.find_cycles` (F0 and the pass/fail verdict).

The series are lists of ``(time_ns, value)`` as stored (published by exception, so not
aligned). A batch's id is its start time in UTC (``YYYYMMDD-HHMMSS``): stable whatever window
it was found in, and unique per unit (two batches never start in the same second).

Examples
--------
>>> M = 60_000_000_000
>>> phase = [(0, 0), (1 * M, 1), (40 * M, 2), (70 * M, 1), (90 * M, 0), (95 * M, 1)]
>>> [(b.batch_id, b.outcome) for b in find_batches("fluid_bed_dryer", {"phase": phase})]
[('19700101-000100', 'complete'), ('19700101-011000', 'stopped'), ('19700101-013500', 'running')]
>>> steps = [(0, 1), (10 * M, 2), (20 * M, 0)]
>>> [(b.start_ns // M, b.end_ns // M, b.outcome) for b in find_batches("bioreactor", {"recipe_step": steps})]
[(0, 20, 'complete')]
>>> find_batches("mps_pa", {})
[]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from dashboard.autoclave_cycles import find_cycles

Series = Sequence[tuple[int, float]]
Outcome = Literal["complete", "pass", "fail", "aborted", "stopped", "running"]
_S = 1_000_000_000


@dataclass(frozen=True)
class BatchRule:
    """How a unit type's batches show in its tags.

    Attributes
    ----------
    phase_tag : str
        The tag whose value says the phase (or recipe step).
    running : frozenset of int
        Values while a batch runs.
    complete : frozenset of int
        Values a batch ends on when it ended well (any other value: stopped or aborted).
    end_tags : tuple of str
        Tags whose last value in the batch make its end-point (shown with the report).
    detect_tags : tuple of str
        Every tag the detection reads.
    """

    phase_tag: str
    running: frozenset[int]
    complete: frozenset[int]
    end_tags: tuple[str, ...] = ()
    detect_tags: tuple[str, ...] = ()

    @property
    def tags(self) -> tuple[str, ...]:
        return (self.phase_tag, *self.detect_tags)


#: Unit types with batches (models.dryer, models.bioreactor, models.autoclave).
RULES: dict[str, BatchRule] = {
    # 1 drying; 2 complete (end-point reached); 0 idle (stopped).
    "fluid_bed_dryer": BatchRule(
        "phase",
        frozenset({1}),
        frozenset({2}),
        end_tags=("nir_lod", "target_lod_sp", "drying_time", "water_evaporated", "product_temperature"),
    ),
    # Recipe steps 1..n; 0 once the last step has ended (the batch is done, ready to harvest).
    "bioreactor": BatchRule(
        "recipe_step",
        frozenset(range(1, 100)),
        frozenset({0}),
        end_tags=("titre_pat", "titre", "biomass", "volume", "batch_time"),
    ),
    # 1 pre-vacuum .. 5 drying; 6 complete; 7 aborted (and 0 idle).
    "autoclave": BatchRule(
        "phase",
        frozenset({1, 2, 3, 4, 5}),
        frozenset({6}),
        end_tags=("f0", "cycle_ok", "hold_temperature_sp", "hold_time_sp"),
        detect_tags=("f0", "cycle_ok"),
    ),
}


@dataclass(frozen=True)
class Batch:
    """One batch (or autoclave cycle) as stored.

    Attributes
    ----------
    batch_id : str
        Start time in UTC, ``YYYYMMDD-HHMMSS``.
    start_ns, end_ns : int, int or None
        Start and end (``None`` while it runs).
    outcome : str
        ``complete``, ``pass`` / ``fail`` (autoclave), ``stopped`` / ``aborted``, ``running``.
    f0 : float or None
        Autoclave: the F0 reached, minutes.
    """

    batch_id: str
    start_ns: int
    end_ns: int | None
    outcome: Outcome
    f0: float | None = None


def batch_id(start_ns: int) -> str:
    """The id of a batch started at ``start_ns``.

    >>> batch_id(1_764_770_400 * _S)
    '20251203-140000'
    """
    return datetime.fromtimestamp(start_ns // _S, UTC).strftime("%Y%m%d-%H%M%S")


def id_start_ns(batch: str) -> int:
    """The start second of a batch id (``ValueError`` for anything else).

    >>> id_start_ns("20251203-140000") == 1_764_770_400 * _S
    True
    """
    moment = datetime.strptime(batch, "%Y%m%d-%H%M%S").replace(tzinfo=UTC)
    return int(moment.timestamp()) * _S


def _value(v: float) -> int | None:
    return None if v != v else round(v)


def runs(phase: Series, running: frozenset[int]) -> list[tuple[int, int | None, int | None]]:
    """``(start_ns, end_ns, value it ended on)`` of each run through the ``running`` values.

    >>> runs([(0, 0), (1, 1), (2, 2), (3, 0), (4, 1)], frozenset({1, 2}))
    [(1, 3, 0), (4, None, None)]
    """
    found: list[tuple[int, int | None, int | None]] = []
    start: int | None = None
    for t, v in phase:
        p = _value(v)
        if p is None:
            continue  # a bad-quality sample says nothing about the phase
        if p in running and start is None:
            start = t
        elif p not in running and start is not None:
            found.append((start, t, p))
            start = None
    if start is not None:
        found.append((start, None, None))
    return found


def find_batches(unit_type: str | None, series: Mapping[str, Series]) -> list[Batch]:
    """Every batch whose start lies in ``series`` (tag -> samples), oldest first."""
    rule = RULES.get(unit_type or "")
    if rule is None:
        return []
    phase = series.get(rule.phase_tag, ())
    if unit_type == "autoclave":
        cycles = find_cycles(phase, series.get("f0", ()), series.get("cycle_ok", ()))
        return [Batch(batch_id(c.start_ns), c.start_ns, c.end_ns, c.outcome, c.f0) for c in cycles]
    batches = []
    for start, end, final in runs(phase, rule.running):
        outcome: Outcome = "running" if end is None else "complete" if final in rule.complete else "stopped"
        batches.append(Batch(batch_id(start), start, end, outcome))
    return batches


def phase_table(phase: Series, start_ns: int, end_ns: int) -> list[tuple[int, int, int]]:
    """``(value, start_ns, end_ns)`` of each phase between ``start_ns`` and ``end_ns``.

    A phase lasts until the next different value (repeated samples of one value merge).

    >>> phase_table([(0, 0), (5, 1), (7, 1), (9, 3), (12, 6)], 5, 12)
    [(1, 5, 9), (3, 9, 12)]
    """
    table: list[tuple[int, int, int]] = []
    current: tuple[int, int] | None = None  # (value, since)
    for t, v in phase:
        p = _value(v)
        if p is None or t > end_ns:
            continue
        t = max(t, start_ns)
        if current is None or p != current[0]:
            if current is not None and t > current[1]:
                table.append((current[0], current[1], t))
            current = (p, t)
    if current is not None and end_ns > current[1]:
        table.append((current[0], current[1], end_ns))
    return [row for row in table if row[2] > row[1]]


def value_at(series: Series, time_ns: int) -> float | None:
    """The last value of ``series`` at or before ``time_ns`` (``None`` before its first sample).

    >>> value_at([(0, 1.0), (10, 2.0)], 9), value_at([(0, 1.0), (10, 2.0)], 10), value_at([(5, 1.0)], 0)
    (1.0, 2.0, None)
    """
    found = None
    for t, v in series:
        if t > time_ns:
            break
        if v == v:
            found = v
    return found
