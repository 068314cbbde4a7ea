"""Communication faults: what OPC UA publishes goes wrong while the plant runs on.

A bad or uncertain status on the readings, SourceTimestamps frozen at the fault's start (a
PLC whose clock stopped), or every session dropped and the server down for a while.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from asyncua.ua import StatusCodes

from twin.faults.base import FaultBase, FaultContext, UnitTargets
from twin.sensors import Reading

#: OPC UA status codes of ``comm_status``.
COMM_STATUS: dict[str, int] = {
    "bad": StatusCodes.Bad,
    "bad_no_communication": StatusCodes.BadNoCommunication,
    "uncertain": StatusCodes.Uncertain,
    "uncertain_last_usable": StatusCodes.UncertainLastUsableValue,
}


class CommFault(FaultBase):
    """A fault on the publishing of one unit's tags (``target.tag``, or all of them)."""

    family = "comm"
    needs_magnitude = False

    def tags(self, tags: Iterable[str]) -> list[str]:
        """The tags it acts on, among ``tags``."""
        return [self.target.tag] if self.target.tag else list(tags)

    def check_unit(self, unit: UnitTargets) -> None:
        t = self.target
        if t.tag is not None and t.tag not in unit.tags:
            raise ValueError(f"{self.kind_name()}: {t.unit} has no tag {t.tag!r}; tags: {', '.join(unit.tags)}")


class CommStatus(CommFault):
    kind: Literal["comm_status"] = "comm_status"
    magnitude_help = "none: see 'status'"
    reading_stage = 1  # over whatever the sensor faults made of the value
    status: Literal["bad", "uncertain", "bad_no_communication", "uncertain_last_usable"] = "bad"

    def apply_readings(self, readings: dict[str, Reading], ctx: FaultContext) -> None:
        code = COMM_STATUS[self.status]
        for tag in self.tags(readings):
            if tag in readings:
                readings[tag] = (readings[tag][0], code)


class CommFrozenTimestamp(CommFault):
    kind: Literal["comm_frozen_timestamp"] = "comm_frozen_timestamp"
    magnitude_help = "none: SourceTimestamp stays at the fault's start while values go on"

    def frozen_tags(self, tags: Iterable[str]) -> list[str]:
        return self.tags(tags)


class CommSessionDrop(CommFault):
    kind: Literal["comm_session_drop"] = "comm_session_drop"
    magnitude_help = "none: the OPC UA server closes every session and is down for duration_s (default 5 s)"

    def on_start(self, ctx: FaultContext) -> None:
        ctx.drop_sessions(self.duration_s or 5.0)
