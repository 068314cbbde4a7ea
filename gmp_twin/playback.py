"""Play a scenario headless, as fast as the CPU allows, with the live detectors watching.

``gmp-twin scenario run NAME`` builds the units the scenario needs from the plant file,
starts the scenario at time zero, steps the plant to the scenario's end and feeds every
reading of the watched tags to the same :class:`~analytics.monitoring.MonitoringService` code
the live dashboard runs. The ground truth (fault and scenario events) and the detector
alarms are written to a JSON-lines file that ``gmp-twin score --file`` reads; it is also the
quickest way for an instructor to check that an exercise is solvable before class.

A *script* of :class:`ScriptedAction` plays a team: at its simulated time each action files a
deviation report, opens a hint or writes a tag as a student of ``team``, through the same
:class:`~twin.faults.service.TwinControl` methods the dashboard calls; the result's events
then hold the reports, hints, limits and KPI events that ``gmp-twin score`` scores.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from analytics.detectors import DetectorsFile
from analytics.monitoring import MonitoringService
from audit import Actor
from historian.base import Historian, Point
from historian.codec import decode_point, encode_point
from twin.clock import SimClock
from twin.faults.scenarios import Scenario
from twin.faults.service import TwinControl, new_run_id
from twin.plant import PlantConfig, build_plant, plant_tagmaps, unit_steps
from twin.runtime import TwinRuntime, due_readings

_BAD = 0x80000000
NS_PER_S = 1_000_000_000


class _ListQueue:
    """The monitoring service's point queue, in memory (nothing to make durable offline)."""

    path = Path("(memory)")

    def __init__(self) -> None:
        self.points: list[Point] = []

    def put(self, points: Sequence[Point]) -> None:
        self.points.extend(points)

    async def run_writer(self, historian: Historian, stop_event: Any) -> None:  # pragma: no cover - unused offline
        return None

    async def flush(self, historian: Historian, timeout: float = 10.0) -> int:  # noqa: ASYNC109
        return 0

    def stats(self) -> dict[str, Any]:
        return {"pending": 0}


@dataclass(frozen=True)
class ScriptedAction:
    """What a scripted team does at ``at_s`` simulated seconds after the scenario's start.

    ``op``: ``report`` (``args`` = a deviation report, see
    :meth:`twin.faults.service.TwinControl.report_deviation`), ``open_hint`` (``args`` =
    ``{"hint_id": ...}``) or ``write`` (``args`` = ``{"unit", "tag", "value", "reason"?}``).
    ``user`` is the student acting (in the play's ``team``).
    """

    at_s: float
    op: Literal["report", "open_hint", "write"]
    args: dict[str, Any] = field(default_factory=dict)
    user: str = "bot"


def _run_action(control: TwinControl, action: ScriptedAction, team: str) -> None:
    actor = Actor(action.user, "student", "cli")
    if action.op == "report":
        control.report_deviation(dict(action.args), actor=actor, team=team)
    elif action.op == "open_hint":
        control.open_hint(team, str(action.args["hint_id"]), actor=actor)
    elif action.op == "write":
        a = action.args
        control.write_tag(
            str(a["unit"]), str(a["tag"]), float(a["value"]), actor=actor, reason=str(a.get("reason", ""))
        )
    else:  # pragma: no cover - the Literal keeps it out
        raise ValueError(f"unknown scripted op {action.op!r}: report, open_hint or write")


@dataclass
class PlaybackResult:
    """What an offline scenario run produced."""

    run_id: str
    scenario: str
    sim_s: float
    wall_s: float
    events: list[Point] = field(default_factory=list)

    @property
    def speedup(self) -> float:
        return self.sim_s / self.wall_s if self.wall_s > 0 else math.inf

    def write(self, path: str | Path) -> Path:
        """Events as JSON lines (the outbox's point encoding), oldest first."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as fh:
            for point in sorted(self.events, key=lambda p: p.time_ns):
                fh.write(encode_point(point) + "\n")
        return path


def read_events(path: str | Path) -> list[Point]:
    """Events of a file written by :meth:`PlaybackResult.write` (or exported from a historian)."""
    path = Path(path)
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append(decode_point(line))
        except (ValueError, TypeError, json.JSONDecodeError) as exc:
            raise ValueError(
                f"{path}:{n}: not an event line ({exc}); expected the output of `gmp-twin scenario run`"
            ) from None
    return out


def subplant(plant: PlantConfig, units: Sequence[str]) -> PlantConfig:
    """The plant file restricted to ``units`` (a scenario only steps what it needs)."""
    cfg = PlantConfig.model_validate(
        {"site": plant.site, "units": [u.model_dump() for u in plant.units if u.name in set(units)]}
    )
    cfg._source = plant._source
    return cfg


def playback_epoch_ns(now_ns: int | None = None) -> int:
    """Time zero of an offline run: the start of the current UTC day.

    A wall-clock epoch would put the detectors' windows at a different phase on every run,
    and the same scenario would score differently (issue #10).

    >>> playback_epoch_ns(86_400 * NS_PER_S + 5)
    86400000000000
    """
    now = time.time_ns() if now_ns is None else now_ns
    return now - now % (86_400 * NS_PER_S)


def play(
    scenario: Scenario,
    plant: PlantConfig,
    detectors: DetectorsFile | None = None,
    seed: int = 0,
    sample_s: float = 1.0,
    progress: Callable[[float], None] | None = None,
    epoch_ns: int | None = None,
    team: str = "",
    script: Sequence[ScriptedAction] = (),
) -> PlaybackResult:
    """Run ``scenario`` to its end on the units it needs; return events and alarms.

    Parameters
    ----------
    scenario : Scenario
    plant : PlantConfig
        The plant file (only the scenario's units are built).
    detectors : DetectorsFile, optional
        Live detectors; those on other units are left out.
    seed : int
        Run seed (sensor noise, random line events).
    sample_s : float
        Simulated seconds between two readings handed to the detectors (the live bridge
        samples at the publish period, 0.2 s of wall time).
    progress : callable, optional
        Called with the fraction done.
    epoch_ns : int, optional
        Absolute time of the scenario's time zero; default :func:`playback_epoch_ns`.
    team : str
        The team the script acts for (its reports and hints carry it).
    script : sequence of ScriptedAction
        A team's actions, each run at its simulated time (a report needs ``team``).

    Notes
    -----
    The result depends only on the scenario, the plant, the detectors and the seed: time
    zero sits on a whole UTC day, so the detectors' windows (aligned on the epoch) cut the
    same samples however fast or slowly, and whenever, the run is played.
    """
    cfg = subplant(plant, scenario.units)
    units = build_plant(cfg, seed=seed)
    clock = SimClock(epoch_ns=playback_epoch_ns() if epoch_ns is None else epoch_ns, speed=math.inf)
    runtime = TwinRuntime(units, clock=clock, seed=seed, unit_dt_s=unit_steps(cfg))
    events: list[Point] = []
    run_id = f"{new_run_id()}-{scenario.name}"
    control = TwinControl(runtime, site=plant.site, run_id=run_id, sink=events.extend)
    tagmaps = plant_tagmaps(cfg, units, endpoint="opc.tcp://offline:4840")
    config = None
    if detectors is not None:
        config = detectors.model_copy(
            update={
                "detectors": [d for d in detectors.detectors if d.unit in units],
                "oee": [o for o in detectors.oee if o.unit in units],
            }
        )
    queue = _ListQueue()
    monitor = MonitoringService(_NoHistorian(), tagmaps, config, queue, site=plant.site, start_ns=0)
    watched = monitor.watched()
    every = max(1, round(sample_s / runtime.dt_s))
    total_steps = math.ceil(scenario.duration_s / runtime.dt_s - 1e-9)
    pending = sorted(script, key=lambda a: a.at_s)
    wall0 = time.perf_counter()
    control.runner.start(scenario)
    for k in range(1, total_steps + 1):
        runtime.step()
        while pending and pending[0].at_s <= runtime.clock.sim_time_s + 0.5 * runtime.dt_s:
            _run_action(control, pending.pop(0), team)
        if k % every == 0:
            now_ns = runtime.clock.now_ns()
            for unit, tags in watched.items():
                readings = runtime.readings(unit)
                slot = runtime.slots[unit]
                due = due_readings(slot, readings, runtime.clock.sim_time_s, runtime.heartbeat_s)
                series = {tag: [(now_ns, float(due[tag][0]), bool(due[tag][1] & _BAD))] for tag in tags if tag in due}
                monitor.feed(unit, series)
        if progress is not None and k % 10_000 == 0:
            progress(k / total_steps)
    runtime.step()  # the scenario ends exactly at duration_s: one more update closes it
    wall = time.perf_counter() - wall0
    alarms = [p for p in queue.points if p.measurement == "event"]
    # A scenario's manual entries (twin.exercises.entries) also write process points: not events.
    truth = [p for p in events if p.measurement == "event"]
    return PlaybackResult(run_id, scenario.name, runtime.clock.sim_time_s, wall, truth + alarms)


class _NoHistorian(Historian):
    """Offline runs hand samples to the monitoring service directly; it never reads or writes."""

    url = "offline:"

    async def write(self, points: Sequence[Point]) -> None:  # pragma: no cover - never called
        raise RuntimeError("offline run: no historian")

    async def ping(self) -> bool:  # pragma: no cover
        return False

    async def latest(
        self, site: str | None = None, unit: str | None = None, source: str | None = None
    ) -> Any:  # pragma: no cover
        return {}

    async def _query_range(self, query: Any) -> Any:  # pragma: no cover
        raise RuntimeError("offline run: no historian")

    async def _events(self, query: Any) -> list[Point]:  # pragma: no cover
        return []
