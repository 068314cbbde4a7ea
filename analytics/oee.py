"""OEE (TRS) per ISO 22400-2 from PackML state durations and production counters.

Definitions (ISO 22400-2, as given in OPC UA for MachineTool, Annex C)::

    availability = APT / PBT                 (actual production time / planned busy time)
    performance  = PRI × PQ / APT            (planned run time per item × produced quantity)
    quality      = GQ / PQ                   (good quantity / produced quantity)
    OEE          = availability × performance × quality = PRI × GQ / PBT

PRI is ``60 / ideal_rate_per_min`` seconds per item. Without an ideal rate, performance
and OEE are ``None`` (unknown), never guessed.

Mapping of PackML states to ISO 22400 times
-------------------------------------------
PackML states use the OPC 30060 numbering (:class:`PackMLState`; PackTags v3
``StateCurrent`` numbers them differently). The default :data:`DEFAULT_STATE_MAP`:

=================================================  ======  =========================================
States                                             Time    Why
=================================================  ======  =========================================
Execute (4)                                        APT     producing
Suspending, Suspended, Unsuspending (11, 12, 13)   ADET    delay with an external cause: starved or
                                                           blocked by a neighbour machine
Holding, Held, Unholding (14, 15, 16)              ADOT    down with an internal cause (a fault of
                                                           the machine itself, material jam...)
Aborting, Aborted, Clearing (7, 8, 10)             ADOT    emergency stop / fault and its clearing
Stopping, Stopped, Resetting, Idle, Starting,      AUST    not producing for a planned, non-fault
Completing, Complete (9, 0, 1, 2, 3, 5, 6)                 reason: changeover, set-up, start-up
                                                           sequence, waiting for the start command
=================================================  ======  =========================================

PBT = APT + ADET + ADOT + AUST. Planned downtime (PDOT: breaks, no order, planned
maintenance) is not a PackML state: map a state to ``"PDOT"`` with ``state_map`` (for
example Stopped during breaks) to leave its time out of PBT.

Six big losses (seconds, they add up: ``PBT − losses = PRI × GQ``)
--------------------------------------------------------------------
- *breakdowns*: ADOT time of stop episodes of at least ``small_stop_s`` (by cause);
- *starved_blocked*: ADET time of such long episodes (external; not a loss of the machine
  itself but counted in its availability, as ISO 22400 does);
- *setup*: AUST time (changeover, adjustment);
- *small_stops*: stop episodes (consecutive ADOT/ADET states) shorter than ``small_stop_s``;
- *reduced_speed*: ``APT − PRI × PQ`` (negative when the ideal rate is too low);
- *process_defects*: ``PRI × rejects`` outside the start-up window;
- *startup_losses*: ``PRI × rejects`` counted within ``startup_window_s`` after a start
  (Starting → Execute).

Under ISO 22400 availability = APT/PBT, so small stops lower availability (Nakajima's
classic split puts them in performance); the breakdown above says where each second went.

Failures (for MTBF/MTTR) are the long stop episodes with ADOT time. As in ISO 22400-2,
``MTBF = APT / (FE + 1)`` (operating time split into FE + 1 intervals by FE failures) and
``MTTR = breakdown time / FE``.

Counters
--------
``Counts(produced, good, rejected)``: cumulative by default (like PackTags
``ProdProcessedCount``): the first sample is the baseline, each increment is attributed to the
interval ending at its sample; a decrease is a counter reset (the new value is the
increment, noted in the report). With ``cumulative_counts=False`` every sample is an
increment.

Examples
--------
One hour: 50 min in Execute, a 4-minute jam (Held, a small stop), a 6-minute changeover;
1,000 items at an ideal 24/min, 20 rejected.

>>> acc = OeeAccumulator("filler", ideal_rate_per_min=24.0)
>>> _ = acc.update("Execute", Counts(0, 0, 0), t=0.0)
>>> _ = acc.update("Held", None, t=1800.0, cause="jam")
>>> _ = acc.update("Execute", None, t=2040.0)
>>> _ = acc.update("Complete", Counts(1000, 980, 20), t=3240.0)
>>> r = acc.report(t=3600.0)
>>> round(r.availability, 4), round(r.performance, 4), r.quality, round(r.oee, 4)
(0.8333, 0.8333, 0.98, 0.6806)
>>> r.losses.small_stops_s, r.losses.setup_s, r.losses.reduced_speed_s
(240.0, 360.0, 500.0)
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, NamedTuple, Self

from models.packml import PackMLState

TimeCategory = Literal["APT", "ADET", "ADOT", "AUST", "PDOT"]
_STOP: frozenset[str] = frozenset({"ADOT", "ADET"})


DEFAULT_STATE_MAP: Mapping[PackMLState, TimeCategory] = {
    PackMLState.EXECUTE: "APT",
    PackMLState.SUSPENDING: "ADET",
    PackMLState.SUSPENDED: "ADET",
    PackMLState.UNSUSPENDING: "ADET",
    PackMLState.HOLDING: "ADOT",
    PackMLState.HELD: "ADOT",
    PackMLState.UNHOLDING: "ADOT",
    PackMLState.ABORTING: "ADOT",
    PackMLState.ABORTED: "ADOT",
    PackMLState.CLEARING: "ADOT",
    PackMLState.STOPPING: "AUST",
    PackMLState.STOPPED: "AUST",
    PackMLState.RESETTING: "AUST",
    PackMLState.IDLE: "AUST",
    PackMLState.STARTING: "AUST",
    PackMLState.COMPLETING: "AUST",
    PackMLState.COMPLETE: "AUST",
}


class Counts(NamedTuple):
    """Production counters of one machine (cumulative or per interval)."""

    produced: float
    good: float
    rejected: float


@dataclass(frozen=True)
class SixBigLosses:
    """Loss times in seconds; see the module docstring for each definition."""

    breakdowns_s: float
    breakdowns_by_cause: dict[str, float]
    setup_s: float
    small_stops_s: float
    starved_blocked_s: float
    reduced_speed_s: float | None
    process_defects_s: float | None
    startup_losses_s: float | None


@dataclass(frozen=True)
class OeeReport:
    """OEE of one machine over ``[start_s, end_s]`` (seconds; ``None`` = undefined)."""

    machine: str
    start_s: float
    end_s: float
    pbt_s: float
    apt_s: float
    adet_s: float
    adot_s: float
    aust_s: float
    pdot_s: float
    produced: float
    good: float
    rejected: float
    ideal_rate_per_min: float | None
    availability: float | None
    performance: float | None
    quality: float | None
    oee: float | None
    losses: SixBigLosses
    failures: int
    mtbf_s: float | None
    mttr_s: float | None
    state_time_s: dict[str, float]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


def _ratio(num: float, den: float) -> float | None:
    return num / den if den > 0 else None


@dataclass
class _Episode:
    start: float
    cause: str | None
    adot_s: float = 0.0
    adet_s: float = 0.0


class OeeAccumulator:
    """Streaming OEE of one machine from PackML states and counters.

    Parameters
    ----------
    machine : str
        Name used in the report.
    ideal_rate_per_min : float, optional
        Ideal (nameplate) rate in items per minute; ``None`` = performance unknown.
    small_stop_s : float
        Stop episodes shorter than this are small stops (default 300 s = 5 min).
    startup_window_s : float
        Rejects within this time after a start count as start-up losses (default 300 s).
    cumulative_counts : bool
        Counters are cumulative (default) or per-interval increments.
    state_map : mapping, optional
        Overrides of :data:`DEFAULT_STATE_MAP` (state → ``"APT"``, ``"ADET"``, ``"ADOT"``,
        ``"AUST"`` or ``"PDOT"``).

    Notes
    -----
    ``update(state, counts, t)`` says: at time ``t`` (seconds, non-decreasing) the counters
    read ``counts`` and, from ``t`` on, the machine is in ``state``. Time since the previous
    update belongs to the previous state; counter increments belong to the interval ending
    at ``t``. Either argument may be ``None``.
    """

    def __init__(
        self,
        machine: str = "",
        ideal_rate_per_min: float | None = None,
        small_stop_s: float = 300.0,
        startup_window_s: float = 300.0,
        cumulative_counts: bool = True,
        state_map: Mapping[PackMLState, TimeCategory] | None = None,
    ) -> None:
        self.machine = machine
        self.ideal_rate_per_min = ideal_rate_per_min
        self.small_stop_s = small_stop_s
        self.startup_window_s = startup_window_s
        self.cumulative_counts = cumulative_counts
        self.state_map = state_map
        if ideal_rate_per_min is not None and not ideal_rate_per_min > 0:
            raise ValueError(f"ideal_rate_per_min must be > 0, got {ideal_rate_per_min}")
        self._map: dict[PackMLState, TimeCategory] = {**DEFAULT_STATE_MAP, **(state_map or {})}
        bad = {k: v for k, v in self._map.items() if v not in ("APT", "ADET", "ADOT", "AUST", "PDOT")}
        if bad:
            raise ValueError(f"state_map values must be APT, ADET, ADOT, AUST or PDOT; got {bad}")
        self._reset()

    def _reset(self) -> None:
        self._t0: float | None = None
        self._t: float | None = None
        self._state: PackMLState | None = None
        self._by_state: dict[PackMLState, float] = defaultdict(float)
        self._episode: _Episode | None = None
        self._small = self._starved = self._repair = 0.0
        self._by_cause: dict[str, float] = defaultdict(float)
        self._failures = 0
        self._last_start: float | None = None
        self._last_counts: Counts | None = None
        self._produced = self._good = self._rejected = self._rejected_startup = 0.0
        self.notes: list[str] = []

    @property
    def state(self) -> PackMLState | None:
        """The current state (``None`` before the first one)."""
        return self._state

    def update(
        self,
        state: int | str | PackMLState | None,
        counts: Counts | Sequence[float] | None,
        t: float,
        cause: str | None = None,
    ) -> Self:
        """Record the state from ``t`` on and the counters at ``t``; returns ``self``."""
        if self._t is not None and t < self._t:
            raise ValueError(f"{self.machine}: time went backwards ({t} < {self._t}); sort by time")
        if self._t0 is None:
            self._t0 = t
        if self._t is not None and self._state is not None:
            dt = t - self._t
            self._by_state[self._state] += dt
            if self._episode is not None:
                if self._map[self._state] == "ADOT":
                    self._episode.adot_s += dt
                else:
                    self._episode.adet_s += dt
        self._t = t
        if counts is not None:
            self._count(Counts(*(float(c) for c in counts)), t)
        if state is not None:
            self._enter(PackMLState.parse(state), t, cause)
        elif cause and self._episode is not None and self._episode.cause is None:
            self._episode.cause = cause
        return self

    def _enter(self, new: PackMLState, t: float, cause: str | None) -> None:
        if self._map[new] in _STOP:
            if self._episode is None:
                self._episode = _Episode(t, cause)
            elif cause and self._episode.cause is None:
                self._episode.cause = cause
        elif self._episode is not None:
            self._close(self._episode)
            self._episode = None
        if new is PackMLState.EXECUTE and self._state is PackMLState.STARTING:
            self._last_start = t
        self._state = new

    def _close(self, ep: _Episode) -> None:
        if ep.adot_s + ep.adet_s < self.small_stop_s:
            self._small += ep.adot_s + ep.adet_s
            return
        self._starved += ep.adet_s
        if ep.adot_s > 0:
            self._failures += 1
            self._repair += ep.adot_s
            self._by_cause[ep.cause or "unspecified"] += ep.adot_s

    def _count(self, c: Counts, t: float) -> None:
        if any(not math.isfinite(v) or v < 0 for v in c):
            raise ValueError(f"{self.machine}: counters must be finite and >= 0, got {tuple(c)} at t={t}")
        if self.cumulative_counts:
            last, self._last_counts = self._last_counts, c
            if last is None:  # the first sample is the baseline
                return
            d = [now - before if now >= before else now for now, before in zip(c, last, strict=True)]
            if any(now < before for now, before in zip(c, last, strict=True)):
                self.notes.append(f"counter reset at t={t}: the new value was taken as the increment")
            inc = Counts(*d)
        else:
            inc = c
        self._produced += inc.produced
        self._good += inc.good
        self._rejected += inc.rejected
        if self._last_start is not None and t - self._last_start <= self.startup_window_s:
            self._rejected_startup += inc.rejected

    def report(self, t: float | None = None) -> OeeReport:
        """OEE from the first update up to ``t`` (default: the last update)."""
        if self._t0 is None or self._t is None:
            raise ValueError(f"{self.machine}: no data yet")
        end = self._t if t is None else t
        if end < self._t:
            raise ValueError(f"{self.machine}: report time {end} is before the last update {self._t}")
        by_state = dict(self._by_state)
        small, starved, repair, failures = self._small, self._starved, self._repair, self._failures
        by_cause = dict(self._by_cause)
        if self._state is not None:  # the open interval, without changing the accumulator
            dt = end - self._t
            by_state[self._state] = by_state.get(self._state, 0.0) + dt
            if self._episode is not None:
                ep = _Episode(self._episode.start, self._episode.cause, self._episode.adot_s, self._episode.adet_s)
                if self._map[self._state] == "ADOT":
                    ep.adot_s += dt
                else:
                    ep.adet_s += dt
                if ep.adot_s + ep.adet_s < self.small_stop_s:
                    small += ep.adot_s + ep.adet_s
                else:
                    starved += ep.adet_s
                    if ep.adot_s > 0:
                        failures += 1
                        repair += ep.adot_s
                        key = ep.cause or "unspecified"
                        by_cause[key] = by_cause.get(key, 0.0) + ep.adot_s
        cat: dict[str, float] = dict.fromkeys(("APT", "ADET", "ADOT", "AUST", "PDOT"), 0.0)
        for s, d in by_state.items():
            cat[self._map[s]] += d
        notes = list(self.notes)
        pbt = cat["APT"] + cat["ADET"] + cat["ADOT"] + cat["AUST"]
        apt = cat["APT"]
        pri = 60.0 / self.ideal_rate_per_min if self.ideal_rate_per_min else None
        if abs(self._produced - self._good - self._rejected) > 1e-9 * max(1.0, self._produced):
            notes.append(
                f"produced ({self._produced:g}) != good + rejected "
                f"({self._good:g} + {self._rejected:g}); quality uses good / produced"
            )
        availability = _ratio(apt, pbt)
        quality = _ratio(self._good, self._produced)
        performance = _ratio(pri * self._produced, apt) if pri is not None else None
        oee = None
        if availability is not None and performance is not None and quality is not None:
            oee = availability * performance * quality
        if pri is None:
            notes.append("no ideal rate: performance and OEE unknown (give ideal_rate_per_min)")
        elif performance is not None and performance > 1 + 1e-9:
            notes.append(f"performance {performance:.3f} > 1: the ideal rate is below the real rate")
        losses = SixBigLosses(
            breakdowns_s=repair,
            breakdowns_by_cause=by_cause,
            setup_s=cat["AUST"],
            small_stops_s=small,
            starved_blocked_s=starved,
            reduced_speed_s=apt - pri * self._produced if pri is not None else None,
            process_defects_s=pri * (self._rejected - self._rejected_startup) if pri is not None else None,
            startup_losses_s=pri * self._rejected_startup if pri is not None else None,
        )
        return OeeReport(
            machine=self.machine,
            start_s=self._t0,
            end_s=end,
            pbt_s=pbt,
            apt_s=apt,
            adet_s=cat["ADET"],
            adot_s=cat["ADOT"],
            aust_s=cat["AUST"],
            pdot_s=cat["PDOT"],
            produced=self._produced,
            good=self._good,
            rejected=self._rejected,
            ideal_rate_per_min=self.ideal_rate_per_min,
            availability=availability,
            performance=performance,
            quality=quality,
            oee=oee,
            losses=losses,
            failures=failures,
            mtbf_s=apt / (failures + 1),
            mttr_s=repair / failures if failures else None,
            state_time_s={s.name.title(): d for s, d in sorted(by_state.items())},
            notes=notes,
        )


# ----------------------------------------------------------------------------- logs


@dataclass(frozen=True)
class StateChange:
    """A state log row: from ``t`` (seconds) on, ``machine`` is in ``state``."""

    t: float
    machine: str
    state: PackMLState
    cause: str | None = None


@dataclass(frozen=True)
class CountSample:
    """A counter log row of ``machine`` at ``t`` (seconds)."""

    t: float
    machine: str
    counts: Counts


def oee_from_logs(
    states: Iterable[StateChange],
    counts: Iterable[CountSample] = (),
    *,
    start: float | None = None,
    end: float | None = None,
    ideal_rate_per_min: float | Mapping[str, float] | None = None,
    **options: Any,
) -> dict[str, OeeReport]:
    """OEE per machine over ``[start, end]`` from a state log and a counter log.

    The state in force at ``start`` is the last change at or before it; time before a
    machine's first known state is not counted (noted in the report). Cumulative counters
    are interpolated linearly at ``start`` and ``end`` when a range boundary falls between
    two samples (so a shift or a batch gets its share of a counter sampled coarsely; not
    across a counter reset); per-interval counts are attributed to their sample time.
    ``end`` defaults to the last timestamp of both logs. ``options`` go to
    :class:`OeeAccumulator`.

    >>> log = [StateChange(0, "m1", PackMLState.EXECUTE), StateChange(600, "m1", PackMLState.SUSPENDED)]
    >>> r = oee_from_logs(log, end=800.0)["m1"]
    >>> r.availability, r.losses.small_stops_s, r.performance is None
    (0.75, 200.0, True)
    >>> c = [CountSample(0, "m1", Counts(0, 0, 0)), CountSample(800, "m1", Counts(400, 400, 0))]
    >>> oee_from_logs(log, c, start=0.0, end=400.0)["m1"].produced
    200.0
    """
    state_rows = sorted(states, key=lambda s: s.t)
    count_rows = sorted(counts, key=lambda c: c.t)
    times = [s.t for s in state_rows] + [c.t for c in count_rows]
    if not state_rows:
        raise ValueError("the state log is empty")
    t_end = max(times) if end is None else end
    t_start = min(times) if start is None else start
    if t_end < t_start:
        raise ValueError(f"end ({t_end}) is before start ({t_start})")
    cumulative = options.get("cumulative_counts", True)
    machines = list(dict.fromkeys(s.machine for s in state_rows))
    out: dict[str, OeeReport] = {}
    for m in machines:
        rate = ideal_rate_per_min.get(m) if isinstance(ideal_rate_per_min, Mapping) else ideal_rate_per_min
        acc = OeeAccumulator(m, rate, **options)
        mine = [c for c in count_rows if c.machine == m]
        interpolated: list[float] = []
        if cumulative:
            mine, interpolated = _interpolate_bounds(mine, t_start, t_end)
        events: list[tuple[float, int, StateChange | CountSample]] = [
            (s.t, 1, s) for s in state_rows if s.machine == m
        ] + [(c.t, 0, c) for c in mine]
        events.sort(key=lambda e: (e[0], e[1]))
        # Carry the state and counter baseline in force at the start of the range.
        before_state = [e[2] for e in events if e[0] <= t_start and isinstance(e[2], StateChange)]
        before_count = [e[2] for e in events if e[0] <= t_start and isinstance(e[2], CountSample)]
        if before_state:
            bs = before_state[-1]
            acc.update(bs.state, before_count[-1].counts if before_count else None, t_start, bs.cause)
        elif before_count:
            acc.update(None, before_count[-1].counts, t_start)
        for t, _, ev in events:
            if t <= t_start or t > t_end:
                continue
            if isinstance(ev, StateChange):
                acc.update(ev.state, None, t, ev.cause)
            else:
                acc.update(None, ev.counts, t)
        acc.notes.extend(f"counters interpolated at t={t:g} (between samples)" for t in interpolated)
        if acc.state is None:
            continue
        first_known = next(e[0] for e in events if isinstance(e[2], StateChange))
        if first_known > t_start:
            acc.notes.append(
                f"no state known before t={first_known}: {first_known - t_start:g} s from the range start not counted"
            )
        out[m] = acc.report(t_end)
    return out


def _interpolate_bounds(samples: list[CountSample], start: float, end: float) -> tuple[list[CountSample], list[float]]:
    """Add linearly interpolated cumulative samples at ``start`` and ``end`` if inside."""
    out, done = list(samples), []
    for t in (start, end):
        before = [c for c in samples if c.t < t]
        after = [c for c in samples if c.t > t]
        if not before or not after or any(c.t == t for c in samples):
            continue
        a, b = before[-1], after[0]
        if any(y < x for x, y in zip(a.counts, b.counts, strict=True)):
            continue  # a counter reset in between: no meaningful interpolation
        w = (t - a.t) / (b.t - a.t)
        out.append(
            CountSample(t, a.machine, Counts(*(x + w * (y - x) for x, y in zip(a.counts, b.counts, strict=True))))
        )
        done.append(t)
    out.sort(key=lambda c: c.t)
    return out, done


@dataclass(frozen=True)
class LineOee:
    """OEE of a line: end-of-line good output at the bottleneck's ideal rate.

    ``oee = PRI_bottleneck × GQ_end / PBT_end`` where *end* is the last machine of the line
    and the bottleneck the machine with the lowest ideal rate; availability and quality
    are the end machine's, performance is what makes ``A × P × Q = OEE``. This is the
    customer's view (what leaves the line, against what the slowest machine could do), not
    a product or a minimum of machine OEEs.
    """

    end_machine: str
    bottleneck: str
    ideal_rate_per_min: float
    availability: float | None
    performance: float | None
    quality: float | None
    oee: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def line_oee(reports: Sequence[OeeReport]) -> LineOee:
    """Line OEE from machine reports in line order (last = end of line).

    >>> a = OeeAccumulator("a", 30.0).update("Execute", Counts(0, 0, 0), 0).update(None, Counts(500, 500, 0), 1200)
    >>> b = OeeAccumulator("b", 20.0).update("Execute", Counts(0, 0, 0), 0).update(None, Counts(380, 370, 10), 1200)
    >>> line = line_oee([a.report(), b.report()])
    >>> line.bottleneck, round(line.oee, 4)
    ('b', 0.925)
    """
    if not reports:
        raise ValueError("no machine reports")
    rated = [r for r in reports if r.ideal_rate_per_min]
    end = reports[-1]
    if not rated:
        return LineOee(end.machine, "", 0.0, end.availability, None, end.quality, None)
    neck = min(rated, key=lambda r: r.ideal_rate_per_min or math.inf)
    rate = float(neck.ideal_rate_per_min or 0.0)
    oee = _ratio(60.0 / rate * end.good, end.pbt_s)
    perf = oee / (end.availability * end.quality) if oee is not None and end.availability and end.quality else None
    return LineOee(end.machine, neck.machine, rate, end.availability, perf, end.quality, oee)


def oee_by_period(
    states: Sequence[StateChange],
    counts: Sequence[CountSample],
    periods: Mapping[str, tuple[float, float]],
    **kwargs: Any,
) -> dict[str, dict[str, OeeReport]]:
    """OEE per named period (shift, batch...) and machine: ``{period: {machine: report}}``."""
    return {name: oee_from_logs(states, counts, start=a, end=b, **kwargs) for name, (a, b) in periods.items()}
