"""What one process offers its API and dashboard: the historian, the tag maps and the optional services.

One typed object, built by :mod:`gmp_twin.roles` and shared by the FastAPI routers (through
:data:`dashboard.api.deps.ServicesDep`) and the Dash pages (through
:class:`dashboard.context.DashContext`). A service a role does not run is ``None``: the API
then answers 503 with the reason, a page shows a notice.

Examples
--------
>>> services = Services(historian=None, tagmaps=[])  # type: ignore[arg-type]
>>> services.site, services.monitoring, services.clock_runtime() is None, services.plant_control() is None
('', None, True, True)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from access import Principal
from analytics.monitoring import MonitoringService
from audit import Actor, AuditTrail, Signature
from config_schema.tagmap import TagMap
from dashboard.auth.gate import Gate
from historian.base import Historian
from models.unit import TagSpec
from twin.access_policy import AccessPolicy
from twin.faults.service import Role, TwinControl
from twin.runtime import TwinRuntime

#: A component's health as a dict (``ok`` plus its counters), for ``GET /api/health``.
HealthProvider = Callable[[], dict[str, Any]]


class PlantControl(Protocol):
    """Faults, scenarios, the clock and tag writes of the simulated plant, by role.

    Besides the changes, it tells the dashboard what the plant allows: the plant file's access
    policy (who may write which tag, which writes need a reason, which actions a signature),
    each unit's tag metadata, and a writable tag's present value (the operate page).

    :class:`twin.faults.service.TwinControl` in the process that runs the simulation;
    :class:`dashboard.remote_control.RemoteControl` in a dashboard-only process (the compose
    split), which calls the twin's OPC UA methods for the logged-in person. Every change names
    its ``actor``; the twin records it in the audit trail. Errors are the same on both:
    ``ValueError`` (invalid), ``KeyError`` (unknown), ``PermissionError`` (refused),
    :class:`audit.AuditUnavailable` (not recordable).
    """

    @property
    def run_id(self) -> str: ...

    @property
    def policy(self) -> AccessPolicy: ...

    def tag_specs(self) -> dict[str, list[TagSpec]]: ...

    def read_setting(self, unit: str, tag: str) -> float | None: ...

    def catalog(self) -> dict[str, Any]: ...

    def inject(self, fault: dict[str, Any], hidden: bool = False, *, actor: Actor = ...) -> dict[str, Any]: ...

    def clear(self, fault_id: str, *, actor: Actor = ...) -> dict[str, Any]: ...

    def clear_all(self, *, actor: Actor = ...) -> list[str]: ...

    def faults(self, role: Role, live_only: bool = False) -> list[dict[str, Any]]: ...

    def scenarios(self, lang: str = "en") -> list[dict[str, Any]]: ...

    def start_scenario(
        self, name: str, hidden: bool | None = None, *, actor: Actor = ..., signature: Signature | None = None
    ) -> dict[str, Any]: ...

    def stop_scenario(self, *, actor: Actor = ..., signature: Signature | None = None) -> dict[str, Any] | None: ...

    def hide_scenario(self, hidden: bool, *, actor: Actor = ...) -> dict[str, Any] | None: ...

    def scenario_state(self, role: Role) -> dict[str, Any] | None: ...

    def clock(self) -> dict[str, Any]: ...

    def set_clock(
        self, speed: float | None = None, paused: bool | None = None, *, actor: Actor = ...
    ) -> dict[str, Any]: ...

    def write_tag(
        self, unit: str, tag: str, value: float, *, actor: Actor = ..., reason: str = ""
    ) -> dict[str, Any]: ...

    # -- the exercise (twin.exercises.control.ExerciseMethods) --
    def report_deviation(self, report: dict[str, Any], *, actor: Actor, team: str) -> dict[str, Any]: ...

    def reports(self, team: str | None) -> list[dict[str, Any]]: ...

    def hints(self, team: str, role: Role) -> list[dict[str, Any]]: ...

    def push_hint(
        self,
        team: str | None,
        *,
        actor: Actor,
        hint_id: str | None = None,
        text: dict[str, str] | None = None,
        cost: float | None = None,
    ) -> list[dict[str, Any]]: ...

    def open_hint(self, team: str, hint_id: str, *, actor: Actor) -> dict[str, Any]: ...

    def end_exercise(self, *, actor: Actor, signature: Signature | None) -> dict[str, Any]: ...

    def exercise_state(self, role: Role, team: str) -> dict[str, Any] | None: ...


@dataclass
class Services:
    """The shared state of the API and dashboard of one process.

    Parameters
    ----------
    historian : Historian
        Where live and historical values are read (the same data the students see).
    tagmaps : list[TagMap]
        Tag metadata (units, ranges, kinds) of every unit shown.
    health : dict[str, HealthProvider]
        Component name -> callable returning its health dict (bridge, outbox, runtime, monitoring).
    monitoring : MonitoringService or None
        Live detectors, alarms and OEE (alarm list, SPC, PCA and OEE pages; ``/api/alarms``...).
    control : TwinControl or None
        Faults, scenarios and the clock of the simulation (instructor console, ``/api/faults``...);
        ``None`` in a dashboard-only process or beside a real kit.
    runtime : TwinRuntime or None
        The simulation itself (``/api/clock``, snapshots); when left out, the control service's.
    gate : Gate or None
        Logins, sessions and role checks; ``None``: no users, every caller an anonymous viewer.
    audit : AuditTrail or None
        The audit trail (the same one ``control`` records to).
    remote_control : PlantControl or None
        The twin of another process, driven over its OPC UA methods (the compose split's
        dashboard, :class:`dashboard.remote_control.RemoteControl`); used when ``control`` is None.
    classroom : Classroom or None
        One plant per team (``gmp-twin run --teams N``): the process's top-level Services then hold
        the shared parts, and each request sees its team's Services (:mod:`dashboard.classroom`).
    """

    historian: Historian
    tagmaps: list[TagMap]
    health: dict[str, HealthProvider] = field(default_factory=dict)
    monitoring: MonitoringService | None = None
    control: TwinControl | None = None
    runtime: TwinRuntime | None = None
    gate: Gate | None = None
    audit: AuditTrail | None = None
    remote_control: PlantControl | None = None
    classroom: Classroom | None = None

    @property
    def site(self) -> str:
        """The site of the first tag map (``""`` without any)."""
        return self.tagmaps[0].site if self.tagmaps else ""

    def clock_runtime(self) -> TwinRuntime | None:
        """The runtime whose clock the instructor drives: ``runtime``, or else the control service's."""
        if self.runtime is not None:
            return self.runtime
        return self.control.runtime if self.control is not None else None

    def plant_control(self) -> PlantControl | None:
        """Who drives faults, scenarios and the clock: the in-process ``control``, else ``remote_control``."""
        return self.control if self.control is not None else self.remote_control


def sees_every_team(principal: Principal) -> bool:
    """Whether ``principal`` may look at any team's plant (instructors and admins)."""
    return principal.may("instructor") and not principal.must_change_password


@dataclass
class Classroom:
    """The team plants of one process.

    Parameters
    ----------
    teams : dict[str, Services]
        Team name -> that team's Services, in the classroom's order (``team-1`` first).
    class_run : str
        The class run id; each team's run id is ``<class_run>-<team>``.
    """

    teams: dict[str, Services]
    class_run: str
    _empty: Services | None = field(default=None, init=False, repr=False, compare=False)

    def names(self) -> list[str]:
        """The team names, in order."""
        return list(self.teams)

    def first(self) -> Services:
        """The first team's Services (what an instructor sees without choosing)."""
        return next(iter(self.teams.values()))

    def empty(self) -> Services:
        """A plant with nothing in it (no tag maps, control or monitoring), for people in no team."""
        if self._empty is None:
            base = self.first()
            self._empty = Services(historian=base.historian, tagmaps=[], gate=base.gate, audit=base.audit)
        return self._empty

    def team_of(self, principal: Principal, requested: str | None) -> str | None:
        """The team whose plant ``principal`` sees (``None``: in no team of this classroom)."""
        if sees_every_team(principal):
            return requested if requested in self.teams else self.names()[0]
        return principal.team if principal.team in self.teams else None

    def services_for(self, principal: Principal, requested: str | None) -> Services:
        """The Services ``principal`` sees; ``requested`` counts for instructors and admins only.

        An unknown ``requested`` team (a stale cookie) falls back to the first team.
        """
        team = self.team_of(principal, requested)
        return self.teams[team] if team is not None else self.empty()
