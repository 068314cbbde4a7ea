"""The twin of one unit in shadow: its model stepped along the plant's timeline, fed the plant's inputs.

The model is built from the plant file (the same parameters as the simulated unit) and steps by
its ``dt_s``. It is not paced by a clock: it follows the timestamps of the plant's data, so it
shadows a real kit (1×), an accelerated twin or a recorded period (as fast as the CPU) alike.

*Inputs* are what an operator sets: setpoints, modes and the outputs of no control loop (a valve
command). Every change the plant reports is written into the model at the first step that starts
at or after its time, modes before setpoints before outputs at one instant. A write the model
refuses (a value outside its range) is counted in :attr:`ShadowTwin.refused`, never dropped
silently. The model's own controllers do the rest (a *closed-loop* shadow), so a change the
plant's controller hides (a worn pump it compensates) shows in the residual of that controller's
output. With ``feed_outputs`` the loops' outputs are written too (an *open-loop* shadow, fed with
the plant's actuator values): the change then shows in the controlled variable instead; an output
of a loop in auto is refused by the model and counted.

*Predictions* are the model's noise-free values of the predicted tags on a regular grid of
``publish_s``, written to the historian as ``source = sim`` points of the same site, unit and tag.

Examples
--------
>>> from models.mps_pa import MpsPaStation
>>> twin = ShadowTwin(MpsPaStation(), "mps-pa", "lab", dt_s=0.1, publish_s=1.0)
>>> twin.start(0)
>>> points = twin.advance([Change(2 * NS_PER_S, "level_sp", 12.0)], 5 * NS_PER_S)
>>> twin.time_ns // NS_PER_S, len(twin.last_grid["B101_level"][0])
(5, 6)
>>> twin.unit.read()["level_sp"], points[0].tags["source"]
(12.0, 'sim')
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from historian.base import Point
from models.unit import WRITABLE_KINDS, TagSpec, Unit

log = logging.getLogger(__name__)

NS_PER_S = 1_000_000_000
#: Order of the writes that share one timestamp: a mode switch first (to manual, so that an
#: output written with it is taken), then setpoints, then outputs.
_WRITE_ORDER = {"mode": 0, "setpoint": 1, "output": 2}


def default_predicted(specs: Sequence[TagSpec]) -> list[str]:
    """What the twin predicts by default: the instruments, and the outputs of its control loops.

    A loop's output is what a controller does about a change it hides (more pump speed for a worn
    pump); an output of no loop (a valve command) is an operator's input, not a prediction.

    >>> from models.mps_pa import MpsPaStation
    >>> default_predicted(MpsPaStation().tag_specs())[3:6]
    ['B104_temperature', 'level_out', 'flow_out']
    """
    return [s.name for s in specs if s.kind == "measurement" or (s.kind == "output" and s.loop)]


@dataclass(frozen=True, order=True)
class Change:
    """A value of an input tag reported by the plant at ``time_ns``."""

    time_ns: int
    tag: str
    value: float


class ShadowTwin:
    """One unit's model stepped along the plant's timeline.

    Parameters
    ----------
    unit : Unit
        The model (e.g. from :func:`twin.plant.build_unit`), in its initial state.
    name, site : str
        The historian's ``unit`` and ``site`` of the points it writes.
    dt_s : float
        Model step.
    publish_s : float
        Grid of the predictions (a whole number of steps).
    predicted : sequence of str, optional
        Tags to predict (default: :func:`default_predicted`).
    feed_outputs : bool
        Also write the control loops' outputs (an open-loop shadow, see the module docstring).
    """

    def __init__(
        self,
        unit: Unit,
        name: str,
        site: str,
        dt_s: float = 0.1,
        publish_s: float = 1.0,
        predicted: Sequence[str] | None = None,
        feed_outputs: bool = False,
    ) -> None:
        if not (dt_s > 0 and math.isfinite(dt_s)):
            raise ValueError(f"shadow twin dt_s must be > 0, got {dt_s!r}")
        every = round(publish_s / dt_s)
        if every < 1 or abs(every * dt_s - publish_s) > 1e-9:
            raise ValueError(f"--publish {publish_s:g} s must be a whole multiple of the model step {dt_s:g} s")
        self.unit = unit
        self.name = name
        self.site = site
        self.dt_s = dt_s
        self.dt_ns = round(dt_s * NS_PER_S)
        self.every = every
        specs = {s.name: s for s in unit.tag_specs()}
        self.specs = specs
        self.inputs = {
            n: s.kind
            for n, s in specs.items()
            if s.kind in WRITABLE_KINDS and (s.kind != "output" or not s.loop or feed_outputs)
        }
        if predicted is None:
            predicted = default_predicted(list(specs.values()))
        unknown = [t for t in predicted if t not in specs]
        if unknown:
            raise ValueError(
                f"unit {name!r} ({unit.unit_type}) has no tag {', '.join(map(repr, unknown))}; "
                f"its tags: {', '.join(specs)}"
            )
        self.predicted = list(predicted)
        self.time_ns: int | None = None
        self._steps = 0
        self._pending: list[Change] = []
        #: Input writes the model refused, by tag: (count, the last reason).
        self.refused: dict[str, tuple[int, str]] = {}
        #: Inputs applied, by tag (how many changes reached the model).
        self.applied_count: dict[str, int] = {}
        #: Plant times of the input changes applied since :meth:`start` (the caller drains it).
        self.changed_at: list[int] = []
        #: The prediction grid of the last :meth:`advance` (plus the grid point before it), per tag.
        self.last_grid: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._carry: tuple[int, dict[str, float]] | None = None

    @property
    def started(self) -> bool:
        return self.time_ns is not None

    def start(self, time_ns: int, initial: Iterable[Change] = ()) -> None:
        """Put the twin's time zero at ``time_ns`` (rounded down to the step) with the plant's inputs then."""
        self.time_ns = int(time_ns) - int(time_ns) % self.dt_ns
        self._steps = 0
        for change in sorted(initial, key=self._order):
            self._apply(change)
        self.changed_at.clear()  # the start's own values are not changes
        self._carry = None

    def _order(self, c: Change) -> tuple[int, int, str]:
        return (c.time_ns, _WRITE_ORDER.get(self.inputs.get(c.tag, ""), 3), c.tag)

    def _apply(self, change: Change) -> None:
        if change.tag not in self.inputs or not math.isfinite(change.value):
            return
        if self.unit.read().get(change.tag) == change.value:  # the model has it already
            return
        try:
            self.unit.write(change.tag, change.value)
        except (KeyError, ValueError) as exc:
            count, _ = self.refused.get(change.tag, (0, ""))
            self.refused[change.tag] = (count + 1, str(exc))
            return
        self.changed_at.append(change.time_ns)
        self.applied_count[change.tag] = self.applied_count.get(change.tag, 0) + 1

    def advance(self, changes: Iterable[Change], until_ns: int) -> list[Point]:
        """Step to the last grid point at or before ``until_ns``, applying ``changes`` on the way.

        Changes at or before the twin's current time are applied at once; later ones wait for
        their step (also across calls). Returns the ``sim`` points of the grid times passed
        (the start's own grid point included on the first call).
        """
        if self.time_ns is None:
            raise RuntimeError("shadow twin not started: call start() with the plant's first time")
        self._pending.extend(changes)
        self._pending.sort(key=self._order)
        grid_ns = self.dt_ns * self.every
        times: list[int] = []
        values: dict[str, list[float]] = {t: [] for t in self.predicted}
        if self._carry is None:  # the first grid point: the initial state
            self._record(times, values)
        target = self._steps + max(0, (int(until_ns) - self.time_ns) // self.dt_ns)
        n_steps = max(0, target - target % self.every - self._steps)  # stop on a grid point
        pending = self._pending
        i = 0
        for _ in range(n_steps):
            while i < len(pending) and pending[i].time_ns <= self.time_ns:
                self._apply(pending[i])
                i += 1
            self.unit.step(self.dt_s)
            self._steps += 1
            self.time_ns += self.dt_ns
            if self._steps % self.every == 0:
                self._record(times, values)
        while i < len(pending) and pending[i].time_ns <= self.time_ns:
            self._apply(pending[i])
            i += 1
        del pending[:i]
        self._grid(times, values, grid_ns)
        return self._points(times, values)

    def _record(self, times: list[int], values: dict[str, list[float]]) -> None:
        assert self.time_ns is not None
        reading = self.unit.read()
        times.append(self.time_ns)
        for tag in self.predicted:
            values[tag].append(float(reading.get(tag, math.nan)))

    def _grid(self, times: list[int], values: dict[str, list[float]], grid_ns: int) -> None:
        """Keep this call's grid, led by the previous call's last point (residuals interpolate across)."""
        lead_t: list[int] = []
        lead: dict[str, list[float]] = {t: [] for t in self.predicted}
        if self._carry is not None:
            lead_t = [self._carry[0]]
            lead = {t: [self._carry[1][t]] for t in self.predicted}
        all_t = np.asarray(lead_t + times, dtype=np.int64)
        self.last_grid = {t: (all_t, np.asarray(lead[t] + values[t], dtype=np.float64)) for t in self.predicted}
        if len(all_t):
            self._carry = (int(all_t[-1]), {t: float(self.last_grid[t][1][-1]) for t in self.predicted})

    def _points(self, times: list[int], values: dict[str, list[float]]) -> list[Point]:
        out = []
        base = {"site": self.site, "unit": self.name, "source": "sim"}
        for tag in self.predicted:
            tags = {**base, "tag": tag}
            for t, v in zip(times, values[tag], strict=True):
                if math.isfinite(v):
                    out.append(Point("process", tags, {"value": v, "status": 0}, t))
        return out
