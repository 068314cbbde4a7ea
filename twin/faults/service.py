"""The one service layer behind every instructor control: HTTP API, OPC UA methods, dashboard.

:class:`TwinControl` owns the fault manager and the scenario runner of a running plant and
decides what a role may see: an instructor sees every fault; a student sees only faults
that are not hidden, and nothing at all of a hidden scenario's faults. Callers authenticate
(session, API token, OPC UA identity) and pass the :class:`audit.Actor`; this layer never
trusts a role it was not told.

Every change goes through here and into the audit trail (:class:`audit.AuditTrail`), accepted
or refused: who, what (old → new), when (UTC and simulated), why, and the result. When the
trail cannot be written the change is refused (:class:`audit.AuditUnavailable`). Tag writes
follow the plant file's :class:`twin.access_policy.AccessPolicy` (operator-writable tags,
GMP-critical tags that need a reason); actions it marks need an electronic signature.

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
import contextlib
import math
import re
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from audit import Actor, AuditTrail, Change, Signature, audited
from models.unit import TagSpec
from twin.access_policy import DEFAULT_SIGNED, AccessPolicy
from twin.exercises.control import ExerciseMethods
from twin.exercises.desk import ExerciseDesk
from twin.faults.catalog import FAULT_TYPES
from twin.faults.manager import EventSink, FaultManager
from twin.faults.scenarios import SCENARIO_DIR, Scenario, ScenarioRunner, load_library, load_scenario

if TYPE_CHECKING:
    from twin.runtime import TwinRuntime

Role = Literal["instructor", "student"]
T = TypeVar("T")
SYSTEM = Actor.system()
#: A scenario name is a file stem of the library, never a path.
_SCENARIO_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,79}$")


def new_run_id() -> str:
    """``run-20261121-142501``: a run id readable by a person, unique per second."""
    return time.strftime("run-%Y%m%d-%H%M%S", time.gmtime())


class TwinControl(ExerciseMethods):
    """Faults, scenarios, the clock and the exercise of one running plant, by role.

    The exercise methods (``report_deviation``, ``reports``, ``hints``, ``push_hint``,
    ``open_hint``, ``end_exercise``, ``exercise_state``) are
    :class:`twin.exercises.control.ExerciseMethods`'.

    Parameters
    ----------
    runtime : TwinRuntime
    site, run_id : str
        Tags of the ground-truth events.
    sink : EventSink, optional
        Where events go (a durable outbox).
    scenario_dir : Path
        The scenario library.
    audit : AuditTrail, optional
        Where every change is recorded; ``None`` records nothing (tests, playback).
    policy : AccessPolicy, optional
        Who may write which tag; default: students the setpoints, nothing GMP-critical.
    team, class_run : str
        A team's own plant in classroom mode: its team and the class's run id (on every event);
        empty: one plant every team shares.
    """

    def __init__(
        self,
        runtime: TwinRuntime,
        site: str = "",
        run_id: str | None = None,
        sink: EventSink | None = None,
        scenario_dir: str | Path = SCENARIO_DIR,
        audit: AuditTrail | None = None,
        policy: AccessPolicy | None = None,
        team: str = "",
        class_run: str = "",
    ) -> None:
        self.runtime = runtime
        self.team = team
        self.class_run = class_run
        self.audit = audit
        self.policy = policy or AccessPolicy.build(
            {name: slot.specs for name, slot in runtime.slots.items()}, {}, {}, DEFAULT_SIGNED
        )
        self.run_id = run_id or new_run_id()
        self.manager = FaultManager(runtime, site=site, run_id=self.run_id, sink=sink, team=team, class_run=class_run)
        self.runner = ScenarioRunner(self.manager)
        self.runner.audit = audit  # a scenario's manual entries (twin.exercises.entries) go there
        self.exercise = ExerciseDesk(self.manager, self.runner)
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

    # -- audit --------------------------------------------------------------------------------
    def audited(self, actor: Actor, action: str, obj: str, **fields: Any) -> contextlib.AbstractContextManager[Change]:
        """Record a change (accepted or refused) around its body; refuse it when the trail is down."""
        return audited(self.audit, actor, action, obj, **fields)

    def _check_signature(self, action: str, actor: Actor, signature: Signature | None, change: Change) -> None:
        """Part 11 §11.200: the actions the plant file marks need the acting person's signature."""
        if not self.policy.needs_signature(action) or actor.role == "system":
            return
        if signature is None:
            change.status = "SignatureRequired"
            raise PermissionError(f"{action} needs an electronic signature: your password again and a meaning")
        if actor.user not in (signature.user, "local-console"):
            change.status = "SignatureRequired"
            raise PermissionError(f"{action}: the signature is {signature.user}'s, not {actor.user}'s")

    # -- tag writes ---------------------------------------------------------------------------
    def write_tag(
        self, unit: str, tag: str, value: float, *, actor: Actor = SYSTEM, reason: str = ""
    ) -> dict[str, Any]:
        """Write a setpoint, mode or output as ``actor`` (OPC UA, HTTP and dashboard alike).

        ``PermissionError`` when the role may not write the tag or a GMP-critical write has no
        reason; ``ValueError`` / ``KeyError`` when the unit refuses the value or the tag. Refusals
        are audited as such.
        """
        old = self.call(self._current, unit, tag)
        with self.audited(actor, "tag.write", f"{unit}.{tag}", unit=unit, old=old, new=value, reason=reason) as ch:
            if not self.policy.may_write(actor.role if actor.role != "system" else "admin", unit, tag):
                ch.status = "BadUserAccessDenied"
                allowed = ", ".join(self.policy.operator_tags(unit)) or "none"
                raise PermissionError(
                    f"{actor.user} ({actor.role}) may not write {unit}.{tag}; a student may write: {allowed}"
                )
            if self.policy.needs_reason(unit, tag) and not reason.strip():
                ch.status = "BadUserAccessDenied"
                raise PermissionError(f"{unit}.{tag} is GMP-critical: give a reason with the write")
            try:
                self.call(self.runtime.write, unit, tag, value)
            except ValueError:
                ch.status = "BadOutOfRange"
                raise
            except KeyError:
                ch.status = "BadNodeIdUnknown"
                raise
            ch.status = "Good"
        return {"unit": unit, "tag": tag, "old": old, "new": value, "reason": reason, "user": actor.user}

    def _current(self, unit: str, tag: str) -> float | None:
        slot = self.runtime.slots.get(unit)
        value = slot.unit.read().get(tag) if slot is not None else None
        return None if value is None else float(value)

    def tag_specs(self) -> dict[str, list[TagSpec]]:
        """Every unit's tag metadata, in plant order (what the dashboard's operate page offers)."""
        return {name: list(slot.specs) for name, slot in self.runtime.slots.items()}

    def read_setting(self, unit: str, tag: str) -> float | None:
        """The present value of a writable tag (setpoint, mode, output); ``KeyError`` for any other.

        Writable tags only: a measurement's model value would show a hidden sensor fault.
        """
        if (unit, tag) not in self.policy.writable:
            raise KeyError(f"{unit}.{tag} is not a writable tag of the plant")
        return self.call(self._current, unit, tag)

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

    def inject(self, fault: dict[str, Any], hidden: bool = False, *, actor: Actor = SYSTEM) -> dict[str, Any]:
        """Inject a fault (plain data, validated); ``ValueError`` lists the valid options."""
        unit = str((fault.get("target") or {}).get("unit", "")) if isinstance(fault.get("target"), dict) else ""
        with self.audited(actor, "fault.inject", f"fault:{fault.get('kind', '?')}", unit=unit, new=fault) as ch:
            view = self.call(lambda: self.manager.inject(fault, hidden=hidden).view(self._now()))
            ch.new = {**fault, "id": view["id"], "hidden": hidden}
        return view

    def clear(self, fault_id: str, *, actor: Actor = SYSTEM) -> dict[str, Any]:
        with self.audited(actor, "fault.clear", f"fault:{fault_id}") as ch:
            view = self.call(lambda: self.manager.clear(fault_id).view(self._now()))
            ch.new = view.get("state")
        return view

    def clear_all(self, *, actor: Actor = SYSTEM) -> list[str]:
        with self.audited(actor, "fault.clear_all", "faults") as ch:
            cleared = self.call(self.manager.clear_all)
            ch.new = cleared
        return cleared

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
        """A scenario of the library by file stem; ``KeyError`` for any other name (never a path)."""
        path = self.scenario_dir / f"{name}.yaml"
        if not _SCENARIO_NAME.match(name) or path.resolve().parent != self.scenario_dir.resolve():
            raise KeyError(f"no scenario {name!r}: give the name of a file in the library (letters, digits, - and _)")
        if not path.is_file():
            names = ", ".join(p.stem for p in sorted(self.scenario_dir.glob("*.yaml")))
            raise KeyError(f"no scenario {name!r} in {self.scenario_dir}; scenarios: {names}")
        return load_scenario(path, self.manager.targets)

    def start_scenario(
        self,
        name: str,
        hidden: bool | None = None,
        *,
        actor: Actor = SYSTEM,
        signature: Signature | None = None,
        speed: float | None = None,
    ) -> dict[str, Any]:
        """Start a scenario of the library at its own clock ``speed`` (or the one given)."""
        with self.audited(
            actor, "scenario.start", f"scenario:{name}", new={"hidden": hidden, "speed": speed}, signature=signature
        ) as ch:
            self._check_signature("scenario.start", actor, signature, ch)
            if speed is not None and not (0 < speed < math.inf):
                raise ValueError(f"speed: a positive number of times real time, not {speed}")
            scenario = self.scenario(name)
            pace = scenario.speed if speed is None else speed

            def start() -> None:
                self.runner.start(scenario, hidden, speed=pace)
                self.runtime.set_speed(pace)

            self.call(start)
            ch.new = {"hidden": hidden, "speed": pace}
        return self.scenario_state("instructor") or {}

    def stop_scenario(self, *, actor: Actor = SYSTEM, signature: Signature | None = None) -> dict[str, Any] | None:
        current = self.scenario_state("instructor")
        name = current["name"] if current else "none"
        with self.audited(actor, "scenario.stop", f"scenario:{name}", signature=signature) as ch:
            self._check_signature("scenario.stop", actor, signature, ch)
            self.call(self.runner.stop)
            ch.new = (self.scenario_state("instructor") or {}).get("state")
        return self.scenario_state("instructor")

    def hide_scenario(self, hidden: bool, *, actor: Actor = SYSTEM) -> dict[str, Any] | None:
        current = self.scenario_state("instructor")
        name = current["name"] if current else "none"
        with self.audited(actor, "scenario.hide", f"scenario:{name}", new={"hidden": hidden}):
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

    def set_clock(
        self, speed: float | None = None, paused: bool | None = None, *, actor: Actor = SYSTEM
    ) -> dict[str, Any]:
        before = self.clock()
        old = {"speed": before["speed"], "paused": before["paused"]}
        new = {k: ("max" if k == "speed" and v is not None and math.isinf(v) else v)
               for k, v in (("speed", speed), ("paused", paused)) if v is not None}  # fmt: skip
        with self.audited(actor, "clock.set", "clock", old=old, new=new):
            self._apply_clock(speed, paused)
        return self.clock()

    def _apply_clock(self, speed: float | None, paused: bool | None) -> None:
        def apply() -> None:
            if speed is not None:
                self.runtime.set_speed(speed)
            if paused is True:
                self.runtime.pause()
            elif paused is False:
                self.runtime.resume()

        self.call(apply)

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
