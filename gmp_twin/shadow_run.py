"""Run a twin in shadow beside a plant's data in the historian: live (following it) or over a past range.

The plant's values reach the historian as ``source = plc`` points, written by the bridge from a
real kit's OPC UA server (``gmp-twin run --no-twin --tagmap kit.yaml``). This loop reads them
back in rounds, feeds the inputs to a :class:`~gmp_twin.shadow_twin.ShadowTwin`, writes its
predictions as ``source = sim`` points of the same tags, and charts each tag's residual
(``plc − sim``) with :class:`~analytics.shadow_spc.ShadowMonitor`, whose reference and alarm
events go to the historian too.

- **Live** (no ``stop_ns``): the twin starts at the plant's newest value and, each round, steps up
  to the newest value seen in the *previous* round, so values still on their way (the bridge
  writes in batches) are not skipped. It runs until ``stop`` is set.
- **Replay** (``start_ns`` and ``stop_ns``): the twin steps through a recorded range in rounds of
  ``chunk_s`` of data time, as fast as the CPU allows.

Both read the same way and give the same result for the same data.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analytics.shadow import residuals
from analytics.shadow_spc import ShadowMonitor, ShadowSpcConfig
from gmp_twin.shadow_twin import NS_PER_S, Change, ShadowTwin
from historian.base import Historian, HistorianError, Point, Sample

log = logging.getLogger(__name__)

#: ``max_points`` that never downsamples a range.
_RAW = 2**62
#: Default smallest residual sigma, as a fraction of the tag's range (see :class:`ShadowRun`).
SIGMA_FLOOR = 1e-3
#: Status bit of a Bad OPC UA value: such a plant sample is not an input and has no residual.
_BAD = 0x80000000


@dataclass
class ShadowResult:
    """What a shadow run did (the CLI prints it; tests check it)."""

    run_id: str
    unit: str
    start_ns: int
    end_ns: int
    sim_points: int = 0
    events: list[Point] = field(default_factory=list)
    residuals: int = 0
    refused: dict[str, tuple[int, str]] = field(default_factory=dict)
    no_plant_data: list[str] = field(default_factory=list)
    state: dict[str, dict[str, Any]] = field(default_factory=dict)
    wall_s: float = 0.0

    @property
    def alarms(self) -> list[Point]:
        """The ``alarm_raised`` events."""
        return [p for p in self.events if p.tags.get("kind") == "alarm_raised"]


class ShadowRun:
    """One shadow run of one unit (see the module docstring).

    Parameters
    ----------
    historian : Historian
        Where the plant's ``plc`` values are and where ``sim`` points and events go.
    twin : ShadowTwin
        The unit's model, not started.
    config : ShadowSpcConfig
        Residual charts and alarms.
    run_id : str
        Written in the events.
    sigma_floors : dict, optional
        Per predicted tag, the smallest residual sigma: a residual change below a few of these is
        not worth an alarm (default 0.1 % of the tag's range: the heater output of a loop that
        lags the plant's by one publishing period through a setpoint change differs by 0.2 %).
    """

    def __init__(
        self,
        historian: Historian,
        twin: ShadowTwin,
        config: ShadowSpcConfig,
        run_id: str,
        sigma_floors: dict[str, float] | None = None,
    ) -> None:
        self.historian = historian
        self.twin = twin
        self.config = config
        self.run_id = run_id
        specs = twin.specs
        self.sigma_floors = sigma_floors or {
            t: max(SIGMA_FLOOR * (specs[t].hi - specs[t].lo), 1e-9) for t in twin.predicted
        }
        self.monitor: ShadowMonitor | None = None
        self._carry: dict[str, list[tuple[int, float]]] = {t: [] for t in twin.predicted}
        self._seen: set[str] = set()
        self._unwritten: list[Point] = []
        self.result: ShadowResult | None = None

    @property
    def site(self) -> str:
        return self.twin.site

    @property
    def unit(self) -> str:
        return self.twin.name

    def _tags(self) -> list[str]:
        return list(dict.fromkeys([*self.twin.inputs, *self.twin.predicted]))

    async def _plant(self, start_ns: int, stop_ns: int) -> dict[str, list[Sample]]:
        """The plant's samples of the twin's tags in ``[start_ns, stop_ns)``, every one."""
        if stop_ns <= start_ns:
            return {}
        result = await self.historian.query_range(
            self.unit, self._tags(), start_ns, stop_ns, max_points=_RAW, site=self.site, source="plc"
        )
        return result.series

    async def _head(self) -> int | None:
        latest = await self.historian.latest(site=self.site, unit=self.unit, source="plc")
        return max((s.time_ns for s in latest.values()), default=None)

    async def _initial(self, start_ns: int, lookback_s: float) -> list[Change]:
        """The plant's inputs at ``start_ns``: each input's last good value in the look-back before it."""
        series = await self._plant(start_ns - round(lookback_s * NS_PER_S), start_ns + 1)
        out = []
        for tag in self.twin.inputs:
            good = [s for s in series.get(tag, []) if not s.status & _BAD and math.isfinite(s.value)]
            if good:
                out.append(Change(start_ns, tag, good[-1].value))
        return out

    def _begin(self, start_ns: int, initial: list[Change]) -> None:
        self.twin.start(start_ns, initial)
        assert self.twin.time_ns is not None
        self.monitor = ShadowMonitor(
            self.site, self.unit, self.sigma_floors, start_ns=self.twin.time_ns, config=self.config, run_id=self.run_id
        )
        self.result = ShadowResult(self.run_id, self.unit, self.twin.time_ns, self.twin.time_ns)
        fields: dict[str, Any] = {
            "run_id": self.run_id,
            "unit_type": self.twin.unit.unit_type,
            "tags": ",".join(self.twin.predicted),
            "dt_s": self.twin.dt_s,
            "publish_s": self.twin.dt_s * self.twin.every,
            **{k: v for k, v in self.config.describe().items() if v is not None},
        }
        started = Point("event", {"site": self.site, "unit": self.unit, "kind": "shadow_started"}, fields, start_ns)
        self._unwritten.append(started)
        self.result.events.append(started)

    def _round(self, series: dict[str, list[Sample]], target_ns: int) -> list[Point]:
        """Feed one round of plant data (all of it up to ``target_ns``) to the twin and the charts."""
        assert self.monitor is not None and self.result is not None
        changes = [
            Change(s.time_ns, tag, s.value)
            for tag in self.twin.inputs
            for s in series.get(tag, [])
            if not s.status & _BAD and math.isfinite(s.value)
        ]
        out = self.twin.advance(changes, target_ns)
        for changed in self.twin.changed_at:
            self.monitor.hold(changed)
        self.twin.changed_at.clear()
        self.result.sim_points += len(out)
        grid_end = self.twin.time_ns
        assert grid_end is not None
        max_gap = 2 * self.twin.dt_ns * self.twin.every
        for tag in self.twin.predicted:
            samples = self._carry[tag] + [
                (s.time_ns, s.value if not s.status & _BAD else math.nan) for s in series.get(tag, [])
            ]
            if samples:
                self._seen.add(tag)
            ready = [x for x in samples if x[0] <= grid_end]
            self._carry[tag] = [x for x in samples if x[0] > grid_end]
            if not ready:
                continue
            grid_t, grid_v = self.twin.last_grid[tag]
            times, res = residuals(
                np.array([t for t, _ in ready], np.int64), np.array([v for _, v in ready]), grid_t, grid_v, max_gap
            )
            self.result.residuals += int(np.isfinite(res).sum())
            out.extend(self.monitor.add(tag, times, res))
        events = self.monitor.flush(grid_end)
        out.extend(events)
        self.result.events.extend(p for p in out if p.measurement == "event")
        self.result.end_ns = grid_end
        return out

    async def _write(self, points: Sequence[Point]) -> None:
        """Write (and retry next round what the historian refused to take now)."""
        self._unwritten.extend(points)
        if not self._unwritten:
            return
        try:
            await self.historian.write(self._unwritten)
        except HistorianError as exc:
            log.warning("shadow: %d points wait for the historian (%s)", len(self._unwritten), exc)
            return
        self._unwritten = []

    def _finish(self, wall0: float) -> ShadowResult:
        assert self.result is not None and self.monitor is not None
        self.result.refused = dict(self.twin.refused)
        self.result.no_plant_data = [t for t in self.twin.predicted if t not in self._seen]
        self.result.state = self.monitor.state()
        self.result.wall_s = time.perf_counter() - wall0
        return self.result

    async def replay(
        self, start_ns: int, stop_ns: int, chunk_s: float = 600.0, lookback_s: float = 3600.0
    ) -> ShadowResult:
        """Shadow the recorded range ``[start_ns, stop_ns)`` as fast as the CPU allows."""
        if stop_ns <= start_ns:
            raise ValueError("the shadow range is empty: --to must be after --from")
        wall0 = time.perf_counter()
        chunk = max(1, round(chunk_s * NS_PER_S))
        begin = None
        for probe in range(start_ns, stop_ns, chunk):  # the first plant value, one chunk at a time
            first = await self._plant(probe, min(probe + chunk, stop_ns))
            times = [s.time_ns for samples in first.values() for s in samples[:1]]
            if times:
                begin = min(times)
                break
        if begin is None:
            raise ValueError(
                f"no plant (source plc) values of unit {self.unit!r} at site {self.site!r} between the two times: "
                "check --unit, --site and the range (gmp-twin export --unit ... lists what is stored)"
            )
        self._begin(begin, await self._initial(begin, lookback_s))
        cursor = begin
        while cursor < stop_ns:
            target = min(cursor + chunk, stop_ns)
            series = await self._plant(cursor, target)
            await self._write(self._round(series, target - 1))
            cursor = target
        await self._write([])
        return self._finish(wall0)

    async def follow(
        self, stop: asyncio.Event, poll_s: float = 1.0, lookback_s: float = 3600.0, start_ns: int | None = None
    ) -> ShadowResult:
        """Shadow the plant live until ``stop`` is set (see the module docstring)."""
        wall0 = time.perf_counter()
        head = await self._head() if start_ns is None else start_ns
        if head is None:
            log.info("shadow: waiting for the plant's (source plc) values of unit %r at site %r", self.unit, self.site)
        while head is None:
            if await _wait(stop, poll_s):
                raise ValueError(f"stopped before any plant (source plc) value of unit {self.unit!r} arrived")
            head = await self._head()
        self._begin(head, await self._initial(head, lookback_s))
        cursor = head
        previous = head
        while not await _wait(stop, poll_s):
            newest = await self._head()
            if newest is None:
                continue
            target = min(previous, newest)  # a round's data are complete only one round later
            previous = newest
            if target < cursor:
                continue
            series = await self._plant(cursor, target + 1)
            await self._write(self._round(series, target))
            cursor = target + 1
        await self._write([])
        return self._finish(wall0)


async def _wait(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep ``seconds`` or until ``stop`` is set; True when it is set."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        return stop.is_set()
    return True
