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

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False
