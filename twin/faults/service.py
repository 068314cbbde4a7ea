"""The one service layer behind every instructor control: HTTP API, OPC UA methods, dashboard.

:class:`TwinControl` owns the fault manager and the scenario runner of a running plant and
decides what a role may see: an instructor sees every fault; a student sees only faults
that are not hidden, and nothing at all of a hidden scenario's faults. Callers authenticate
(bearer token, OPC UA user identity, instructor mode); this layer never trusts a role it
was not told.

The runtime steps on the event loop thread. Dash callbacks run in worker threads, so a
call from another thread is marshalled onto the loop (:meth:`TwinControl.call`), and
faults never change while a model step is half done.

Examples
--------
>>> from twin.plant import PlantConfig, build_plant
>>> from twin.runtime import TwinRuntime
>>> cfg = PlantConfig.model_validate({"site": "lab", "units": [{"name": "mps-pa", "type": "mps_pa"}]})
>>> control = TwinControl(TwinRuntime(build_plant(cfg)), site="lab", run_id="demo")
>>> f = control.inject({"kind": "sensor_bias", "target": {"unit": "mps-pa", "tag": "B101_level"}, "magnitude": 2})
>>> f["id"], f["state"]
('F1', 'pending')
>>> [x["id"] for x in control.faults("student")]
['F1']
>>> control.clear("F1")["state"]
'cleared'
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from twin.faults.catalog import FAULT_TYPES
from twin.faults.manager import EventSink, FaultManager
from twin.faults.scenarios import SCENARIO_DIR, Scenario, ScenarioRunner, load_library, load_scenario

if TYPE_CHECKING:
    from twin.runtime import TwinRuntime

Role = Literal["instructor", "student"]
T = TypeVar("T")


def new_run_id() -> str:
    """``run-20261121-142501``: a run id readable by a person, unique per second."""
    return time.strftime("run-%Y%m%d-%H%M%S", time.gmtime())


class TwinControl:
    """Faults, scenarios and the clock of one running plant, by role.

    Parameters
    ----------
    runtime : TwinRuntime
    site, run_id : str
        Tags of the ground-truth events.
    sink : EventSink, optional
        Where events go (a durable outbox).
    scenario_dir : Path
        The scenario library.
    """

    def __init__(
        self,
        runtime: TwinRuntime,
        site: str = "",
        run_id: str | None = None,
        sink: EventSink | None = None,
        scenario_dir: str | Path = SCENARIO_DIR,
    ) -> None:
        self.runtime = runtime
        self.run_id = run_id or new_run_id()
        self.manager = FaultManager(runtime, site=site, run_id=self.run_id, sink=sink)
        self.runner = ScenarioRunner(self.manager)
        self.scenario_dir = Path(scenario_dir)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.RLock()

    # -- threading ------------------------------------------------------------------------------
    def bind_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """The loop the runtime steps on; calls from other threads are run there."""
        self._loop = loop

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` on the runtime's loop thread (directly when already there)."""
        loop = self._loop
        if loop is None or not loop.is_running() or _on_loop(loop):
            with self._lock:
                return fn(*args, **kwargs)

        async def job() -> T:
            return fn(*args, **kwargs)

        return asyncio.run_coroutine_threadsafe(job(), loop).result(timeout=15)

    # -- faults -------------------------------------------------------------------------------
    def catalog(self) -> dict[str, Any]:
        """Fault kinds (family, needed target field, magnitude meaning) and each unit's targets."""
        kinds = {
            name: {
                "family": cls.family,
                "needs": cls.needs,
                "magnitude": cls.magnitude_help,
                "needs_magnitude": cls.needs_magnitude,
            }
            for name, cls in sorted(FAULT_TYPES.items())
        }
        units = {
            name: {
                "type": u.unit_type,
                "measurements": {k: list(v) for k, v in u.measurements.items()},
                "tags": list(u.tags),
                "actuators": u.actuators,
                "disturbances": {k: {"lo": lo, "hi": hi, "unit": unit} for k, (lo, hi, unit) in u.disturbances.items()},
                "machines": list(u.machines),
            }
            for name, u in self.manager.targets.units.items()
        }
        return {"kinds": kinds, "units": units}

    def inject(self, fault: dict[str, Any], hidden: bool = False) -> dict[str, Any]:
        """Inject a fault (plain data, validated); ``ValueError`` lists the valid options."""
        return self.call(lambda: self.manager.inject(fault, hidden=hidden).view(self._now()))

    def clear(self, fault_id: str) -> dict[str, Any]:
        return self.call(lambda: self.manager.clear(fault_id).view(self._now()))

    def clear_all(self) -> list[str]:
        return self.call(self.manager.clear_all)

    def faults(self, role: Role, live_only: bool = False) -> list[dict[str, Any]]:
        """Faults a role may see: students never see hidden ones, nor instructors' notes."""
        views = self.call(self.manager.views, role == "instructor", live_only)
        if role != "instructor":
            for v in views:
                v.pop("note", None)
                v.get("fault", {}).pop("note", None)
        return views

    # -- scenarios ----------------------------------------------------------------------------
    def scenarios(self, lang: str = "en") -> list[dict[str, Any]]:
        library = load_library(self.scenario_dir, self.manager.targets)
        usable = [s for s in library.values() if set(s.units) <= set(self.manager.targets.units)]
        return [s.summary(lang) for s in usable]

    def scenario(self, name: str) -> Scenario:
        path = self.scenario_dir / f"{name}.yaml"
        if not path.is_file():
            names = ", ".join(p.stem for p in sorted(self.scenario_dir.glob("*.yaml")))
            raise KeyError(f"no scenario {name!r} in {self.scenario_dir}; scenarios: {names}")
        return load_scenario(path, self.manager.targets)

    def start_scenario(self, name: str, hidden: bool | None = None) -> dict[str, Any]:
        scenario = self.scenario(name)
        self.call(self.runner.start, scenario, hidden)
        return self.scenario_state("instructor") or {}

    def stop_scenario(self) -> dict[str, Any] | None:
        self.call(self.runner.stop)
        return self.scenario_state("instructor")

    def hide_scenario(self, hidden: bool) -> dict[str, Any] | None:
        self.call(self.runner.set_hidden, hidden)
        return self.scenario_state("instructor")

    def scenario_state(self, role: Role) -> dict[str, Any] | None:
        """The current scenario; students see its title and briefing, not its faults when hidden."""
        view = self.call(self.runner.view)
        if view is None:
            return None
        if role != "instructor" and view["hidden"]:
            view = {k: view[k] for k in ("name", "title", "briefing", "units", "state", "elapsed_s", "hidden")}
        return view

    # -- clock --------------------------------------------------------------------------------
    def clock(self) -> dict[str, Any]:
        c = self.runtime.clock
        return {
            "sim_time_s": round(c.sim_time_s, 3),
            "speed": "max" if math.isinf(c.speed) else c.speed,
            "paused": c.paused,
            "run_id": self.run_id,
        }

    def set_clock(self, speed: float | None = None, paused: bool | None = None) -> dict[str, Any]:
        def apply() -> None:
            if speed is not None:
                self.runtime.set_speed(speed)
            if paused is True:
                self.runtime.pause()
            elif paused is False:
                self.runtime.resume()

        self.call(apply)
        return self.clock()

    def status(self, role: Role) -> dict[str, Any]:
        return {
            "clock": self.clock(),
            "scenario": self.scenario_state(role),
            "faults": self.faults(role, live_only=True),
        }

    def _now(self) -> float:
        return self.runtime.clock.sim_time_s


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


__all__: Sequence[str] = ["Role", "TwinControl", "new_run_id"]
