"""Autoclave cycles found in the historian: start, end, F0, the load's lowest hold temperature, pass/fail.

Works on the stored series of ``phase``, ``f0``, ``cycle_ok`` and ``load_temperature`` (each a
list of ``(time_ns, value)``, possibly downsampled by bucket means, and not aligned: the twin
publishes by exception). A cycle starts when ``phase`` leaves idle/complete/aborted for a
running phase (1 pre-vacuum … 5 drying) and ends on complete (6) or aborted (7). Its F0 is the
largest F0 seen from its start to the next cycle's start (F0 is cumulative in a cycle and held
afterwards); it passes when ``cycle_ok`` reads 1 after its end (the model's verdict: F0 reached
and the load never below the hold temperature during the hold).

Examples
--------
>>> M = 60_000_000_000  # one minute in ns
>>> phase = [(0, 0), (1 * M, 1), (5 * M, 2), (10 * M, 3), (25 * M, 4), (27 * M, 6), (40 * M, 1), (45 * M, 7)]
>>> f0 = [(0, 0), (20 * M, 9.0), (26 * M, 18.5), (30 * M, 18.5), (41 * M, 0.0), (44 * M, 1.2)]
>>> ok = [(0, 0), (27 * M, 1), (40 * M, 0)]
>>> load = [(10 * M, 121.2), (18 * M, 122.4), (24 * M, 122.5)]
>>> [(c.number, c.outcome, c.f0, c.hold_min_load) for c in find_cycles(phase, f0, ok, load)]
[(1, 'pass', 18.5, 121.2), (2, 'aborted', 1.2, None)]
>>> find_cycles(phase[:4], f0, ok, load)[0].outcome
'running'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Series = Sequence[tuple[int, float]]

RUNNING = frozenset({1, 2, 3, 4, 5})
HOLD, COMPLETE, ABORTED = 3, 6, 7
Outcome = Literal["pass", "fail", "aborted", "running"]


@dataclass(frozen=True)
class Cycle:
    """One sterilisation cycle as stored.

    Attributes
    ----------
    number : int
        1-based, in the window's order.
    start_ns, end_ns : int, int or None
        Start, and end (``None`` while it runs).
    f0 : float or None
        F0 reached, minutes.
    hold_min_load : float or None
        Lowest load temperature during the hold, °C.
    outcome : str
        ``pass``, ``fail``, ``aborted`` or ``running``.
    """

    number: int
    start_ns: int
    end_ns: int | None
    f0: float | None
    hold_min_load: float | None
    outcome: Outcome


def _phase(value: float) -> int | None:
    return None if value != value else round(value)


def _between(series: Series, start: int, stop: int | None) -> list[float]:
    return [v for t, v in series if t >= start and (stop is None or t < stop) and v == v]


def phase_runs(phase: Series) -> list[tuple[int, int | None, int | None]]:
    """``(start_ns, end_ns, final phase)`` of each run through the running phases.

    >>> phase_runs([(0, 0), (1, 1), (2, 3), (3, 6), (4, 2)])
    [(1, 3, 6), (4, None, None)]
    """
    runs: list[tuple[int, int | None, int | None]] = []
    start: int | None = None
    for t, v in phase:
        p = _phase(v)
        if p in RUNNING and start is None:
            start = t
        elif p in (COMPLETE, ABORTED, 0) and start is not None:
            runs.append((start, t, p))
            start = None
    if start is not None:
        runs.append((start, None, None))
    return runs


def find_cycles(phase: Series, f0: Series, cycle_ok: Series, load: Series = ()) -> list[Cycle]:
    """Every cycle whose start lies in the series, oldest first (see the module docstring)."""
    runs = phase_runs(phase)
    cycles = []
    for i, (start, end, final) in enumerate(runs):
        next_start = runs[i + 1][0] if i + 1 < len(runs) else None
        f0_values = _between(f0, start, next_start)
        hold = [(t, _phase(v)) for t, v in phase if t >= start and (end is None or t < end)]
        hold_loads: list[float] = []
        for j, (t, p) in enumerate(hold):
            if p == HOLD:
                stop = hold[j + 1][0] if j + 1 < len(hold) else end
                hold_loads += _between(load, t, stop)
        outcome: Outcome
        if end is None:
            outcome = "running"
        elif final != COMPLETE:
            outcome = "aborted"
        else:
            verdict = _between(cycle_ok, end, next_start)
            outcome = "pass" if verdict and max(verdict) >= 0.5 else "fail"
        cycles.append(
            Cycle(
                number=i + 1,
                start_ns=start,
                end_ns=end,
                f0=max(f0_values) if f0_values else None,
                hold_min_load=min(hold_loads) if hold_loads else None,
                outcome=outcome,
            )
        )
    return cycles
