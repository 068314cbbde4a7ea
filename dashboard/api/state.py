"""What the API needs at run time, injected by the process that serves it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from config_schema.tagmap import TagMap
from historian.base import Historian

HealthProvider = Callable[[], dict[str, Any]]


@dataclass
class ApiState:
    """Shared state of the API and dashboard of one process.

    Parameters
    ----------
    historian : Historian
        Where live and historical values are read (the same data the students see).
    tagmaps : list[TagMap]
        Tag metadata (units, ranges, kinds) of every unit shown.
    health : dict[str, HealthProvider]
        Component name -> callable returning its health dict (bridge, outbox, runtime).
    services : dict[str, Any]
        Named in-process services (monitoring, control) the routers call.
    """

    historian: Historian
    tagmaps: list[TagMap]
    health: dict[str, HealthProvider] = field(default_factory=dict)
    #: In-process services the API and dashboard may drive (e.g. "monitoring").
    services: dict[str, Any] = field(default_factory=dict)

    @property
    def site(self) -> str:
        return self.tagmaps[0].site if self.tagmaps else ""
