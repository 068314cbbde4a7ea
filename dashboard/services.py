"""What one process offers its API and dashboard: the historian, the tag maps and the optional services.

One typed object, built by :mod:`gmp_twin.roles` and shared by the FastAPI routers (through
:data:`dashboard.api.deps.ServicesDep`) and the Dash pages (through
:class:`dashboard.context.DashContext`). A service a role does not run is ``None``: the API
then answers 503 with the reason, a page shows a notice.

Examples
--------
>>> services = Services(historian=None, tagmaps=[])  # type: ignore[arg-type]
>>> services.site, services.monitoring, services.clock_runtime() is None
('', None, True)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from analytics.monitoring import MonitoringService
from audit import AuditTrail
from config_schema.tagmap import TagMap
from dashboard.auth.gate import Gate
from historian.base import Historian
from twin.faults.service import TwinControl
from twin.runtime import TwinRuntime

#: A component's health as a dict (``ok`` plus its counters), for ``GET /api/health``.
HealthProvider = Callable[[], dict[str, Any]]


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
    """

    historian: Historian
    tagmaps: list[TagMap]
    health: dict[str, HealthProvider] = field(default_factory=dict)
    monitoring: MonitoringService | None = None
    control: TwinControl | None = None
    runtime: TwinRuntime | None = None
    gate: Gate | None = None
    audit: AuditTrail | None = None

    @property
    def site(self) -> str:
        """The site of the first tag map (``""`` without any)."""
        return self.tagmaps[0].site if self.tagmaps else ""

    def clock_runtime(self) -> TwinRuntime | None:
        """The runtime whose clock the instructor drives: ``runtime``, or else the control service's."""
        if self.runtime is not None:
            return self.runtime
        return self.control.runtime if self.control is not None else None
