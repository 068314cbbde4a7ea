"""The simulation clock: simulated time, its speed against the wall, pause and step.

Simulated time maps to absolute timestamps by an epoch fixed at start, so that in real
time (speed 1) OPC UA SourceTimestamps are close to wall time, and an accelerated run
produces a consistent, gap-free time axis.

Examples
--------
>>> clock = SimClock(epoch_ns=0, speed=10.0)
>>> clock.advance(1.5)
>>> clock.sim_time_s, clock.now_ns()
(1.5, 1500000000)
>>> clock.pause(); clock.paused
True

A new run starts at the wall clock, or just after the historian's newest point when an earlier
run (accelerated) left data ahead of the wall: a run never writes behind an earlier one.

>>> S = 1_000_000_000
>>> run_start_ns(wall_ns=100 * S, newest_ns=None) == 100 * S
True
>>> run_start_ns(wall_ns=100 * S, newest_ns=8_980 * S) == 8_981 * S
True
>>> clock.start_at(50 * S); clock.now_ns() == 50 * S, clock.sim_time_s
(True, 1.5)
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field


@dataclass
class SimClock:
    """Simulated time in seconds since the start of the run.

    Parameters
    ----------
    epoch_ns : int
        Absolute time (ns since the Unix epoch, UTC) of simulated time zero.
    speed : float
        Simulated seconds per wall second; ``math.inf`` runs as fast as possible.
    """

    epoch_ns: int = field(default_factory=time.time_ns)
    speed: float = 1.0
    sim_time_s: float = 0.0
    paused: bool = False

    def __post_init__(self) -> None:
        self.set_speed(self.speed)

    def set_speed(self, speed: float) -> None:
        if not (speed > 0 or math.isinf(speed)):
            raise ValueError(f"speed must be > 0 (or inf for as fast as possible), got {speed}")
        self.speed = speed

    def advance(self, dt_s: float) -> None:
        self.sim_time_s += dt_s

    def now_ns(self) -> int:
        """Absolute timestamp of the current simulated instant."""
        return self.epoch_ns + round(self.sim_time_s * 1e9)

    def start_at(self, time_ns: int) -> None:
        """Move the epoch so that the current simulated instant is ``time_ns`` (simulated time unchanged)."""
        self.epoch_ns = time_ns - round(self.sim_time_s * 1e9)

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False


#: A new run starts this long after the newest stored point (a clear step on the time axis).
RUN_GAP_NS = 1_000_000_000


def run_start_ns(wall_ns: int, newest_ns: int | None) -> int:
    """The first timestamp of a new run: ``wall_ns``, or just after ``newest_ns`` if that is later.

    An accelerated run stamps its values ahead of the wall clock. A run started after it at
    wall time would write behind those values: every "latest value" would stay the old run's,
    and a live view or a detector reading forward in time would wait for the wall clock to
    catch up (hours). Resuming after the newest point keeps one monotonic timeline per
    historian; the dashboard then says it shows simulated time (:mod:`dashboard.time_basis`).
    """
    if newest_ns is None or newest_ns < wall_ns:
        return wall_ns
    return newest_ns + RUN_GAP_NS
