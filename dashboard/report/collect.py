"""Read what a batch report holds from the historian (and, for revealed faults, the live twin).

:func:`list_batches` finds the batches of a unit; :func:`collect` reads one batch: its phases,
its critical parameters (charted downsampled, excursions measured on every stored sample),
its alarms, the faults the reader may see, and the end-point values.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from config_schema.tagmap import TagEntry, TagMap
from dashboard.report.batches import (
    RULES,
    Batch,
    BatchRule,
    find_batches,
    id_start_ns,
    phase_table,
    value_at,
)
from dashboard.report.events import (
    ALARM_KINDS,
    FAULT_KINDS,
    SCENARIO_END_KINDS,
    AlarmRow,
    FaultRow,
    batch_alarms,
    batch_faults,
)
from dashboard.report.excursions import Excursion, excursion
from dashboard.services import PlantControl
from historian.base import Historian, Sample

log = logging.getLogger(__name__)

Series = list[tuple[int, float]]
_S = 1_000_000_000
#: Samples per detection tag before the historian downsamples (phases are published by exception).
DETECT_POINTS = 50_000
#: Points per chart.
CHART_POINTS = 800
#: How far before a batch a fault may have been injected and still act on it.
FAULT_LOOKBACK_S = 7 * 24 * 3600
_EVENT_LIMIT = 20_000


@dataclass
class CppData:
    """One critical parameter of a batch: its chart samples and its excursion."""

    tag: TagEntry
    samples: list[Sample]
    excursion: Excursion


@dataclass
class BatchReport:
    """Everything one report shows (rendered by :mod:`dashboard.report.render`)."""

    tagmap: TagMap
    batch: Batch
    end_ns: int
    phase_tag: str
    phases: list[tuple[int, int, int]]
    phase_series: Series
    cpps: list[CppData]
    alarms: list[AlarmRow]
    faults: list[FaultRow]
    end_values: dict[str, float | None] = field(default_factory=dict)
    instructor: bool = False


def rule_of(tm: TagMap) -> BatchRule | None:
    """The batch rule of a unit, when its type has batches and its tag map the phase tag."""
    rule = RULES.get(tm.unit_type or "")
    names = {tag.name for tag in tm.tags}
    return rule if rule is not None and rule.phase_tag in names else None


def _pairs(samples: Sequence[Sample]) -> Series:
    return [(s.time_ns, s.value) for s in samples]


async def _detect_series(
    historian: Historian, tm: TagMap, rule: BatchRule, start_ns: int, stop_ns: int
) -> dict[str, Series]:
    names = {tag.name for tag in tm.tags}
    tags = [t for t in rule.tags if t in names]
    result = await historian.query_range(tm.unit, tags, start_ns, stop_ns, DETECT_POINTS, tm.site)
    return {tag: _pairs(samples) for tag, samples in result.series.items()}


async def list_batches(historian: Historian, tm: TagMap, now_ns: int | None = None) -> list[Batch]:
    """Every batch of a unit in the historian, newest first."""
    rule = rule_of(tm)
    if rule is None:
        return []
    stop = (now_ns or time.time_ns()) + 365 * 24 * 3600 * _S  # a run ahead of the wall (speed x N) too
    series = await _detect_series(historian, tm, rule, 0, stop)
    return list(reversed(find_batches(tm.unit_type, series)))


async def find_batch(historian: Historian, tm: TagMap, batch: str) -> Batch | None:
    """The batch of a unit with id ``batch`` (``None`` when there is none)."""
    rule = rule_of(tm)
    try:
        start = id_start_ns(batch)
    except ValueError:
        return None
    if rule is None:
        return None
    series = await _detect_series(historian, tm, rule, start, start + 3650 * 24 * 3600 * _S)
    return next((b for b in find_batches(tm.unit_type, series) if b.batch_id == batch), None)


def _unhidden(control: PlantControl | None) -> frozenset[tuple[str, str]]:
    """``(run_id, fault_id)`` of the faults the live twin shows students (un-hidden ones)."""
    if control is None:
        return frozenset()
    try:
        return frozenset((control.run_id, str(f["id"])) for f in control.faults("student") if not f.get("hidden"))
    except Exception as exc:  # a twin out of reach reveals nothing more
        log.warning("faults of the live twin unavailable: %s", exc)
        return frozenset()


async def collect(
    historian: Historian,
    tm: TagMap,
    batch: Batch,
    *,
    instructor: bool,
    control: PlantControl | None = None,
    now_ns: int | None = None,
) -> BatchReport:
    """Read one batch's report data (a running batch up to the newest sample)."""
    rule = rule_of(tm)
    assert rule is not None, f"{tm.unit} has no batches"
    names = {tag.name for tag in tm.tags}
    start = batch.start_ns
    end = batch.end_ns
    if end is None:
        latest = await historian.latest(site=tm.site, unit=tm.unit)
        end = max((s.time_ns for s in latest.values()), default=now_ns or time.time_ns())
        end = max(end, start + _S)
    # Phases: the phase tag from just before the start (its value at the start) to the end.
    phase_raw = await historian.raw_range(tm.unit, rule.phase_tag, start, end + 1, tm.site)
    phase_series: Series = [(int(t), float(v)) for t, v in zip(phase_raw.time_ns, phase_raw.value, strict=True)]
    phases = phase_table(phase_series, start, end)
    cpps = []
    for tag in tm.tags:
        if not (tag.nor or tag.par):
            continue
        chart = await historian.query_range(tm.unit, [tag.name], start, end + 1, CHART_POINTS, tm.site)
        raw = await historian.raw_range(tm.unit, tag.name, start, end + 1, tm.site)
        when = tag.bands_when
        gate: Series = phase_series
        if when is not None and when[0] != rule.phase_tag and when[0] in names:
            other = await historian.raw_range(tm.unit, when[0], start, end + 1, tm.site)
            gate = [(int(t), float(v)) for t, v in zip(other.time_ns, other.value, strict=True)]
        exc = excursion(raw.time_ns, raw.value, end, tag.nor, tag.par, gate, None if when is None else when[1])
        cpps.append(CppData(tag, chart.series.get(tag.name, []), exc))
    events = await historian.events(start, end + 1, unit=tm.unit, kinds=ALARM_KINDS, limit=_EVENT_LIMIT)
    alarms = batch_alarms(events, start, end)
    fault_events = await historian.events(
        start - FAULT_LOOKBACK_S * _S, end + 1, unit=tm.unit, kinds=FAULT_KINDS, limit=_EVENT_LIMIT
    )
    # A scenario may end long after the batch: its end reveals the faults it hid.
    stop = max(now_ns or time.time_ns(), end) + 365 * 24 * 3600 * _S
    scenario_ends = await historian.events(start - FAULT_LOOKBACK_S * _S, stop, kinds=SCENARIO_END_KINDS)
    faults = batch_faults(
        [*fault_events, *scenario_ends], start, end, instructor=instructor, unhidden=_unhidden(control)
    )
    end_values: dict[str, float | None] = {}
    wanted = [t for t in rule.end_tags if t in names]
    if wanted:
        result = await historian.query_range(tm.unit, wanted, start, end + 1, DETECT_POINTS, tm.site)
        for name in wanted:
            value = value_at(_pairs(result.series.get(name, [])), end)
            end_values[name] = value if value is not None and math.isfinite(value) else None
    return BatchReport(
        tm, batch, end, rule.phase_tag, phases, phase_series, cpps, alarms, faults, end_values, instructor
    )
