"""Live OEE of every machine whose tag map reports PackML states and production counters.

A machine ``M`` is found in a tag map by four tags: ``M_state`` (kind ``state``, the PackML
state as an OPC 30060 number) and the cumulative counters ``M_produced``, ``M_good`` and
``M_rejected``. Each machine gets an :class:`~analytics.oee.OeeAccumulator` fed with
those samples in time order; :meth:`OeeTracker.point` gives the ``oee`` historian point.

Two optional tags add detail:

* ``M_speed_sp`` — the top of its range (``hi``) is taken as the nameplate rate in units per
  minute, the ideal rate performance needs (an ``oee:`` entry of the detectors file wins);
* ``M_stop_reason`` — a numeric stop cause; its codes are named by the tag's description
  (``"... : 0 none, 1 starved, 4 jam"``) and the breakdowns are split by those names.

Examples
--------
>>> from config_schema.tagmap import TagMap
>>> tm = TagMap.model_validate({"endpoint": "opc.tcp://h:4840", "site": "s", "unit": "line",
...     "tags": [{"name": n, "node": f"ns=2;s={n}", "kind": k} for n, k in
...              [("filler_state", "state"), ("filler_produced", "state"),
...               ("filler_good", "state"), ("filler_rejected", "state")]]})
>>> [(m.unit, m.machine) for m in find_machines([tm])]
[('line', 'filler')]
>>> tr = OeeTracker("s", "line", "filler", ideal_rate_per_min=60.0)
>>> for t, tag, v in [(0, "filler_state", 4), (0, "filler_produced", 0), (0, "filler_good", 0),
...                   (0, "filler_rejected", 0), (60, "filler_produced", 50), (60, "filler_good", 48),
...                   (60, "filler_rejected", 2)]:
...     tr.feed(tag, t * 1_000_000_000, v)
>>> r = tr.report(60 * 1_000_000_000)
>>> round(r.performance, 3), round(r.quality, 3)
(0.833, 0.96)
"""

from __future__ import annotations

import math
import re
from collections import deque
from dataclasses import dataclass
from typing import Any

from analytics.oee import Counts, OeeAccumulator, OeeReport, PackMLState
from config_schema.tagmap import TagMap
from historian.base import Point

NS_PER_S = 1_000_000_000
COUNTERS = ("produced", "good", "rejected")


@dataclass(frozen=True)
class MachineTags:
    """A machine found in a tag map, with what its optional tags tell."""

    unit: str
    machine: str
    ideal_rate_per_min: float | None = None
    stop_reasons: dict[int, str] | None = None

    @property
    def tags(self) -> list[str]:
        extra = [f"{self.machine}_stop_reason"] if self.stop_reasons is not None else []
        return [f"{self.machine}_state", *(f"{self.machine}_{c}" for c in COUNTERS), *extra]


def reason_names(description: str) -> dict[int, str]:
    """Codes named in a description, after its first colon.

    >>> reason_names("filler stop reason: 0 none, 1 starved, 3 micro-stop, 4 jam")
    {0: 'none', 1: 'starved', 3: 'micro-stop', 4: 'jam'}
    >>> reason_names("no codes here")
    {}
    """
    _, colon, codes = description.partition(":")
    if not colon:
        return {}
    return {int(n): name.strip() for n, name in re.findall(r"(\d+)\s+([A-Za-z][\w -]*?)\s*(?:,|;|$)", codes)}


def find_machines(tagmaps: list[TagMap]) -> list[MachineTags]:
    """Machines with ``<machine>_state`` (kind ``state``) and the three counters."""
    found = []
    for tm in tagmaps:
        names = tm.by_name()
        for tag in tm.tags:
            if tag.kind != "state" or not tag.name.endswith("_state"):
                continue
            machine = tag.name.removesuffix("_state")
            if not machine or not all(f"{machine}_{c}" in names for c in COUNTERS):
                continue
            speed = names.get(f"{machine}_speed_sp")
            reason = names.get(f"{machine}_stop_reason")
            found.append(
                MachineTags(
                    tm.unit,
                    machine,
                    ideal_rate_per_min=speed.hi if speed is not None and speed.hi else None,
                    stop_reasons=reason_names(reason.description) if reason is not None else None,
                )
            )
    return found


class OeeTracker:
    """Streaming OEE of one machine, plus its recent PackML state timeline."""

    def __init__(
        self,
        site: str,
        unit: str,
        machine: str,
        ideal_rate_per_min: float | None = None,
        small_stop_s: float = 300.0,
        timeline_size: int = 500,
        stop_reasons: dict[int, str] | None = None,
    ) -> None:
        self.site, self.unit, self.machine = site, unit, machine
        self.stop_reasons = stop_reasons or {}
        self.acc = OeeAccumulator(machine, ideal_rate_per_min=ideal_rate_per_min, small_stop_s=small_stop_s)
        self._counts: dict[str, float] = {}
        self._state: PackMLState | None = None
        self.last_ns: int | None = None
        #: ``(start_ns, state name)`` of the latest state changes.
        self.timeline: deque[tuple[int, str]] = deque(maxlen=timeline_size)
        self.bad_values = 0

    def feed(self, tag: str, time_ns: int, value: float) -> None:
        """One sample of the machine's state or counter tags (time order)."""
        if self.last_ns is not None and time_ns < self.last_ns:
            return  # late sample: the accumulator only goes forward
        t = time_ns / NS_PER_S
        what = tag.removeprefix(f"{self.machine}_")
        try:
            if what == "state":
                if not math.isfinite(value):
                    raise ValueError(f"state {value}")
                state = PackMLState.parse(round(value))
                if state is not self._state:  # heartbeats repeat the state: only changes matter
                    self.acc.update(state, None, t)
                    self._state = state
                    self.timeline.append((time_ns, state.name.title()))
            elif what == "stop_reason":
                code = round(value)
                if code:  # 0 = none; the cause belongs to the stop episode the state opened
                    self.acc.update(None, None, t, cause=self.stop_reasons.get(code, f"reason {code}"))
            elif what in COUNTERS:
                if self._counts.get(what) != value:
                    self._counts[what] = value
                    if len(self._counts) == len(COUNTERS):
                        self.acc.update(None, Counts(*(self._counts[c] for c in COUNTERS)), t)
            else:
                return
        except ValueError:
            self.bad_values += 1  # unknown state number, negative counter...
            return
        self.last_ns = time_ns

    def report(self, time_ns: int | None = None) -> OeeReport | None:
        """The OEE from the first sample up to ``time_ns`` (``None`` before any data)."""
        if self.last_ns is None or self._state is None:
            return None
        end = max(time_ns or self.last_ns, self.last_ns)
        return self.acc.report(end / NS_PER_S)

    def point(self, time_ns: int) -> Point | None:
        """The ``oee`` point at ``time_ns`` (fields that are unknown are left out)."""
        r = self.report(time_ns)
        if r is None:
            return None
        fields: dict[str, float | int | str] = {
            k: float(v)
            for k, v in (
                ("availability", r.availability),
                ("performance", r.performance),
                ("quality", r.quality),
                ("oee", r.oee),
            )
            if v is not None and math.isfinite(v)
        }
        fields.update(pbt_s=r.pbt_s, apt_s=r.apt_s, produced=r.produced, good=r.good, rejected=r.rejected)
        fields["state"] = self._state.name.title() if self._state is not None else ""
        return Point("oee", {"site": self.site, "unit": self.unit, "machine": self.machine}, fields, time_ns)

    def view(self) -> dict[str, Any]:
        """JSON-ready state for the dashboard and the API."""
        r = self.report()
        return {
            "unit": self.unit,
            "machine": self.machine,
            "state": self._state.name.title() if self._state is not None else None,
            "report": None if r is None else r.to_dict(),
            "timeline": [{"time_ns": t, "state": s} for t, s in self.timeline],
            "end_ns": self.last_ns,
        }
