"""``gmp-twin simulate --fault``: the catalogue's faults on an offline batch.

A spec is one fault of :mod:`twin.faults.catalog`, written as in a scenario file's
``faults:`` list: a YAML (or JSON) mapping with ``kind``, ``target``, ``magnitude``,
``start_s``, ``ramp_s``, ``duration_s`` and the kind's own fields. ``target.unit`` may be left
out: it is the simulated unit. Times are simulated seconds from the start of the batch.
``@FILE`` reads a YAML file holding one fault, a list of them, or a scenario (its ``faults``).

The faulty run steps the unit through the real runtime and fault manager
(:class:`twin.runtime.TwinRuntime`, :class:`twin.faults.manager.FaultManager`), as
``gmp-twin run`` does: disturbances, actuator and sensor-feedback hooks act on the process
before every step, and sensor and status faults rewrite the readings, so the file holds
what a live plant with the same seed and faults would publish.

Examples
--------
>>> spec = parse_fault_specs(["{kind: sensor_drift, target: {tag: ph}, magnitude: 0.1}"], "bioreactor-1")
>>> spec[0]["target"], spec[0]["magnitude"]
({'tag': 'ph', 'unit': 'bioreactor-1'}, 0.1)
>>> parse_fault_specs(["[1, 2"], "bioreactor-1")
Traceback (most recent call last):
...
ValueError: --fault #1 '[1, 2': not YAML (...); write a mapping such as '{kind: sensor_bias, ...}'
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from models.unit import TagSpec, Unit
from twin.faults.actuator_faults import ValveFault
from twin.faults.base import DisturbanceFault, FaultBase, Target, UnitTargets
from twin.faults.catalog import FAULT_TYPES, parse_fault
from twin.faults.comm_faults import CommFrozenTimestamp, CommSessionDrop, CommStatus
from twin.faults.line_faults import Jam
from twin.faults.manager import FaultManager, plant_targets
from twin.faults.sensor_faults import SensorFault
from twin.runtime import TwinRuntime
from twin.sensors import Reading

EXAMPLE = "'{kind: sensor_bias, target: {tag: ph}, magnitude: 0.2}'"
#: Kinds that act on OPC UA publishing only: nothing of them can reach a file.
NOT_IN_A_FILE: dict[str, str] = {
    CommFrozenTimestamp.kind_name(): "a file has no SourceTimestamps (its time is time_s)",
    CommSessionDrop.kind_name(): "a file has no OPC UA sessions",
}


def _load(text: str, where: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ValueError(f"{where}: not YAML ({first}); write a mapping such as {EXAMPLE}") from None


def parse_fault_specs(specs: Sequence[str], unit: str) -> list[dict[str, Any]]:
    """The ``--fault`` arguments as plain fault mappings, ``target.unit`` filled in (not yet validated).

    Raises
    ------
    ValueError
        Not YAML, not a mapping, or a file that cannot be read; the message names the ``--fault``.
    """
    out: list[dict[str, Any]] = []
    for i, spec in enumerate(specs, 1):
        where = f"--fault #{i} {spec!r}"
        if spec.startswith("@"):
            path = Path(spec[1:])
            try:
                data = _load(path.read_text(encoding="utf-8"), f"{where}: {path}")
            except OSError as exc:
                raise ValueError(f"{where}: cannot read {path} ({exc.strerror})") from None
            if isinstance(data, dict) and "faults" in data:
                data = data["faults"]  # a scenario file
            items = data if isinstance(data, list) else [data]
        else:
            items = [_load(spec, where)]
        for j, item in enumerate(items):
            label = where if len(items) == 1 else f"{where} item {j + 1}"
            if not isinstance(item, dict):
                raise ValueError(f"{label}: a fault is a mapping with kind and target, e.g. {EXAMPLE}")
            target = item.get("target", {})
            if not isinstance(target, dict):
                raise ValueError(f"{label}: 'target' must be a mapping, e.g. {{tag: ph}}")
            out.append({**item, "target": {**target, "unit": target.get("unit", unit)}, "_where": label})
    return out


def validate_faults(items: list[dict[str, Any]], unit_name: str, unit: Unit) -> list[FaultBase]:
    """Validate fault mappings against the unit; the error names the ``--fault`` and the field.

    Raises
    ------
    ValueError
        Unknown kind or field, bad target or magnitude, another unit, or a kind that cannot
        reach a file.
    """
    targets = _targets(unit_name, unit)
    faults = []
    for item in items:
        data = {k: v for k, v in item.items() if k != "_where"}
        where = item.get("_where", "--fault")
        other = data["target"]["unit"]
        if other != unit_name:
            raise ValueError(f"{where}: target.unit {other!r} is not the simulated unit {unit_name!r}")
        kind = data.get("kind")
        if kind in NOT_IN_A_FILE:
            raise ValueError(
                f"{where}: kind {kind}: {NOT_IN_A_FILE[kind]}; inject it in `gmp-twin run` or a scenario instead"
            )
        if kind not in FAULT_TYPES:
            valid = ", ".join(k for k in applicable_kinds(targets.units[unit_name]) if k not in NOT_IN_A_FILE)
            raise ValueError(f"{where}: unknown fault kind {kind!r}; kinds for {unit_name}: {valid}")
        try:
            faults.append(parse_fault(data, targets))
        except ValueError as exc:
            hint = ""
            if "Extra inputs are not permitted" in str(exc):
                fields = ", ".join(f for f in FAULT_TYPES[kind].model_fields if f != "kind")
                hint = f" ({kind} takes: {fields}; target takes: {', '.join(Target.model_fields)})"
            raise ValueError(f"{where}: {exc}{hint}") from None
    return faults


def _targets(name: str, unit: Unit) -> Any:
    return plant_targets(TwinRuntime({name: unit}))


def applicable_kinds(targets: UnitTargets) -> dict[str, str]:
    """Fault kinds that have a target on this unit -> what to give as target (for ``--fault help``)."""
    out: dict[str, str] = {}
    for kind, cls in FAULT_TYPES.items():
        if kind in NOT_IN_A_FILE:
            continue
        if issubclass(cls, SensorFault) and targets.measurements:
            out[kind] = "tag: " + ", ".join(targets.measurements)
        elif issubclass(cls, ValveFault) and targets.actuators:
            out[kind] = "actuator: " + ", ".join(targets.actuators)
        elif issubclass(cls, Jam) and targets.machines:
            out[kind] = "machine: " + ", ".join(targets.machines)
        elif issubclass(cls, DisturbanceFault):
            keys = [k for k in targets.disturbances if k == kind or k.startswith(kind + ".")]
            if keys:
                places = [k.split(".", 1)[1] for k in keys if "." in k]
                field = "machine" if cls.needs == "machine" else "parameter"
                out[kind] = f"{field}: {', '.join(places)}" if places else "(the unit)"
        elif issubclass(cls, CommStatus):
            out[kind] = "tag (optional): any tag; status: bad, uncertain, bad_no_communication, uncertain_last_usable"
    return out


def help_text(unit_name: str, unit: Unit) -> str:
    """What ``--fault help`` prints: each kind valid for the unit, its target and its magnitude."""
    kinds = applicable_kinds(_targets(unit_name, unit).units[unit_name])
    lines = [
        f"Faults for {unit_name} ({unit.unit_type}); give each as --fault '{{kind: ..., target: {{...}}, "
        "magnitude: ..., start_s: ..., ramp_s: ..., duration_s: ...}' (times in simulated seconds):"
    ]
    for kind, target in kinds.items():
        lines.append(f"  {kind}: target {target}; magnitude: {FAULT_TYPES[kind].magnitude_help}")
    lines.append(f"Example: --fault {EXAMPLE.replace('ph', next(iter(_measurements(unit)), 'TAG'))}")
    return "\n".join(lines)


def _measurements(unit: Unit) -> list[str]:
    return [s.name for s in unit.tag_specs() if s.kind == "measurement"]


class FaultedRun:
    """One unit stepped by a runtime with a fault manager: the faults act as in a live run.

    Parameters
    ----------
    name, unit : str, Unit
        The unit and its plant name.
    specs : list of TagSpec
        Its tags.
    dt_s : float
        Model step.
    sensor_seed : int
        The sensor layer's seed (as the runtime derives it for this unit in its plant).
    faults : list of FaultBase
        Validated faults, injected at time 0 (their ``start_s`` counts from the batch start).
    """

    def __init__(
        self, name: str, unit: Unit, specs: list[TagSpec], dt_s: float, sensor_seed: int, faults: list[FaultBase]
    ) -> None:
        self.name = name
        self.runtime = TwinRuntime({name: unit}, dt_s=dt_s)
        self.slot = self.runtime.slots[name]
        self.slot.sensors.seed = sensor_seed
        self.manager = FaultManager(self.runtime, run_id="simulate")
        for fault in faults:
            self.manager.inject(fault)
        all_tags = [s.name for s in specs]
        touched: list[str] = []
        for fault in faults:
            if fault.reading_stage is None:
                continue
            for tag in [fault.target.tag] if fault.target.tag else all_tags:
                if tag not in touched:
                    touched.append(tag)
        #: Tags whose published reading a fault may rewrite (their values come from the manager).
        self.touched = [t for t in all_tags if t in touched]
        # What the sensor layer needs to read those tags: a soft sensor's status reads its <tag>_ok flag.
        self._needs = [t for t in all_tags if t in touched or (t.endswith("_ok") and t[:-3] in touched)]
        self._reading_faults = [a for a in self.manager.faults.values() if a.fault.reading_stage is not None]

    def step(self) -> None:
        self.runtime.step()

    def readings(self, true: dict[str, float]) -> dict[str, Reading] | None:
        """The published readings of :attr:`touched` now (the sensor layer, then the faults), or
        ``None`` while no fault changes readings (the bulk sensor layer gives the same then)."""
        if not any(a.state == "active" for a in self._reading_faults):
            return None
        measured = self.slot.sensors.measure({t: true[t] for t in self._needs}, self.runtime.steps)
        return self.manager.apply_readings(self.name, measured, self.runtime.steps)

    def timeline(self) -> list[dict[str, Any]]:
        """Each fault: its spec and when it really started and ended (simulated seconds)."""
        return [
            {
                "id": a.id,
                "kind": a.fault.kind_name(),
                "description": a.fault.describe(),
                "started_s": a.started_s,
                "ended_s": a.ended_s,
                "state": a.state,
                "spec": a.fault.model_dump(mode="json", exclude_none=True),
            }
            for a in self.manager.faults.values()
        ]


def overrides_array(
    rows: list[dict[str, Reading] | None], tags: list[str]
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per tag: the values, statuses and which rows a fault rewrote (what replaces the bulk sensor layer)."""
    mask = np.array([r is not None for r in rows], dtype=bool)
    out = {}
    for t in tags:
        values = np.zeros(len(rows))
        codes = np.zeros(len(rows), dtype=np.int64)
        for i, r in enumerate(rows):
            if r is not None:
                values[i], codes[i] = float(r[t][0]), int(r[t][1])
        out[t] = (values, codes, mask)
    return out
