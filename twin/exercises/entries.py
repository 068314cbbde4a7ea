"""Manual entries a scenario makes: the faked, back-dated record of a data-integrity exercise.

A scenario action may be an ``entry`` instead of a ``write`` (:class:`twin.faults.scenarios.Action`):
at its time somebody "types in" a value, as a paper reading copied into the system. It goes
where a real manual entry goes, so students find it where an inspector would look:

* the historian: a ``process`` point of the unit's tag with ``source = manual`` (its own
  series), stamped with the time the entry **claims** (``backdate_s`` before it was made),
  plus a ``manual_entry`` event stamped when it was **really** written, naming who and the
  claimed time;
* the audit trail: an ``entry.manual`` record by the person the entry names (who may be
  nobody in the users file), its new value holding the value and the claimed time. The trail
  is hash-chained, so it cannot be back-dated: the record's own time and simulated time are
  when it was written, which is the tell-tale (ALCOA+: contemporaneous, attributable).

An honest entry has ``backdate_s: 0`` and a real person: a decoy the students must not flag.

Examples
--------
>>> e = ManualEntry.model_validate({"unit": "bioreactor-1", "tag": "ph", "value": 6.5, "backdate_s": 3600,
...                                 "user": "p.durand"})
>>> e.user, e.claimed_ns(now_ns=7_200_000_000_000)
('p.durand', 3600000000000)
>>> ManualEntry.model_validate({"unit": "u", "tag": "t", "value": 1, "user": "Nobody Here"})
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for ManualEntry
user
  String should match pattern '^[A-Za-z0-9._@\\-]{1,60}$' ...
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from audit import Actor, AuditTrail, AuditUnavailable
from historian.base import Point

if TYPE_CHECKING:
    from twin.faults.manager import FaultManager

log = logging.getLogger(__name__)

NS_PER_S = 1_000_000_000
#: The ``source`` tag of a manually entered value (its own series in the historian).
MANUAL_SOURCE = "manual"


class ManualEntry(BaseModel):
    """A value somebody enters by hand, claiming it was read ``backdate_s`` before they typed it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    unit: str
    tag: str
    value: float
    backdate_s: float = Field(0.0, ge=0, description="how long before it was written the entry claims to be")
    user: str = Field(pattern=r"^[A-Za-z0-9._@\-]{1,60}$", description="who the entry says typed it")
    role: str = Field("student", description="the role the audit record shows")
    reason: str = Field("", description="the comment typed with it (the audit record's reason)")

    @field_validator("tag")
    @classmethod
    def _known(cls, tag: str, info: ValidationInfo) -> str:
        plant = (info.context or {}).get("plant")
        unit = info.data.get("unit")
        units = getattr(plant, "units", None)
        if isinstance(units, dict) and unit is not None:
            if unit not in units:
                raise ValueError(f"entry: unknown unit {unit!r}; the plant has: {', '.join(units)}")
            if tag not in units[unit].tags:
                raise ValueError(f"entry: unit {unit!r} has no tag {tag!r}")
        return tag

    def claimed_ns(self, now_ns: int) -> int:
        """The time the entry claims, when it is written at ``now_ns``."""
        return now_ns - round(self.backdate_s * NS_PER_S)


def _iso(time_ns: int) -> str:
    return datetime.fromtimestamp(time_ns / NS_PER_S, tz=UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def write_entry(manager: FaultManager, entry: ManualEntry, scenario: str, audit: AuditTrail | None) -> None:
    """Write ``entry`` now: the back-dated historian point, the ``manual_entry`` event, the audit record.

    Without an audit trail (a headless playback) only the historian side is written; an audit
    trail that cannot be written loses the record (logged), never the run.
    """
    now_ns = manager.runtime.clock.now_ns()
    claimed = entry.claimed_ns(now_ns)
    point = Point(
        "process",
        {"site": manager.site, "unit": entry.unit, "tag": entry.tag, "source": MANUAL_SOURCE},
        {"value": float(entry.value), "status": 0},
        claimed,
    )
    for sink in manager.sinks:
        sink([point])
    manager.emit(
        entry.unit, "manual_entry",
        {"tag": entry.tag, "value": float(entry.value), "user": entry.user, "claimed_ns": claimed,
         "claimed": _iso(claimed), "scenario": scenario, "message": f"manual entry {entry.unit}.{entry.tag}"},
    )  # fmt: skip
    if audit is None:
        return
    try:
        audit.append(
            Actor(entry.user, entry.role, "dash"), "entry.manual", f"{entry.unit}.{entry.tag}", unit=entry.unit,
            new={"value": float(entry.value), "time": _iso(claimed)}, reason=entry.reason,
        )  # fmt: skip
    except AuditUnavailable as exc:
        log.warning("manual entry %s.%s: audit trail unavailable (%s)", entry.unit, entry.tag, exc)


__all__ = ["MANUAL_SOURCE", "ManualEntry", "write_entry"]
