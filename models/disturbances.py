"""Where faults reach a model: named disturbances and actuator hooks.

A unit declares, as data, the disturbances it understands (``DISTURBANCES``: fouling of a
jacket, a leak, a growth inhibitor, pump wear...) and the actuators whose effective position
a fault may take over (``ACTUATORS``). The fault layer (``twin.faults``) only sets values
here; the model reads them in its step, so a cleared fault (nominal value) restores the
nominal physics exactly.

Examples
--------
>>> spec = Disturbance("Jacket fouling: fraction of heat transfer lost", "-", 0.0, 0.9)
>>> d = Disturbances({"fouling.jacket": spec})
>>> d["fouling.jacket"]
0.0
>>> d.set("fouling.jacket", 0.3)
>>> d["fouling.jacket"]
0.3
>>> d.set("fouling.jacket", 2.0)
Traceback (most recent call last):
...
ValueError: disturbance fouling.jacket: 2.0 outside its physical range 0.0 to 0.9 (-)
>>> d.reset("fouling.jacket"); d["fouling.jacket"]
0.0

A stuck valve keeps its position whatever the controller asks:

>>> a = ActuatorHooks({"valve": "Jacket valve"})
>>> a("valve", 40.0)
40.0
>>> a.set("valve", stuck=True)
>>> a("valve", 80.0)
40.0
>>> a.clear("valve"); a("valve", 80.0)
80.0

A sticking valve (deadband) only moves when the command has moved far enough:

>>> a.set("valve", deadband=5.0)
>>> a("valve", 83.0), a("valve", 86.0)
(80.0, 86.0)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Disturbance:
    """One disturbance a model understands.

    Parameters
    ----------
    description : str
        What it does, in English, with the meaning of its value.
    unit : str
        Unit of the value (``"-"`` for a fraction).
    lo, hi : float
        Physical range of the value; a fault outside it is refused.
    nominal : float
        The value with no fault (0 for a loss fraction, 1 for a gain).
    """

    description: str
    unit: str
    lo: float
    hi: float
    nominal: float = 0.0


class Disturbances:
    """Current values of a unit's disturbances, at their nominal values until a fault sets them."""

    def __init__(self, specs: Mapping[str, Disturbance]) -> None:
        self.specs = dict(specs)
        self._values = {name: spec.nominal for name, spec in self.specs.items()}

    def __getitem__(self, name: str) -> float:
        return self._values[name]

    def check(self, name: str, value: float) -> None:
        """Raise ``KeyError``/``ValueError`` naming the valid names or the range."""
        if name not in self.specs:
            raise KeyError(f"unknown disturbance {name!r}; valid: {', '.join(sorted(self.specs)) or 'none'}")
        spec = self.specs[name]
        if not spec.lo <= value <= spec.hi:
            raise ValueError(
                f"disturbance {name}: {value} outside its physical range {spec.lo} to {spec.hi} ({spec.unit})"
            )

    def set(self, name: str, value: float) -> None:
        self.check(name, value)
        self._values[name] = float(value)

    def reset(self, name: str | None = None) -> None:
        """Back to nominal (one disturbance, or all of them)."""
        for key in [name] if name else list(self.specs):
            self._values[key] = self.specs[key].nominal

    def active(self) -> dict[str, float]:
        return {k: v for k, v in self._values.items() if v != self.specs[k].nominal}

    def snapshot(self) -> dict[str, float]:
        return dict(self._values)

    def restore(self, snap: Mapping[str, float] | None) -> None:
        self.reset()
        for key, value in (snap or {}).items():
            if key in self.specs:
                self._values[key] = float(value)


@dataclass
class _ActuatorFault:
    stuck: bool = False
    deadband: float = 0.0


class ActuatorHooks:
    """Effective positions of a unit's actuators: the command, unless a fault holds it.

    The model calls ``hooks(name, command)`` where the command becomes physical and uses the
    value returned. A stuck actuator returns its last position; a sticking one (deadband)
    moves only when the command is more than ``deadband`` away from where it stands.
    """

    def __init__(self, names: Mapping[str, str]) -> None:
        #: Actuator name -> description.
        self.names = dict(names)
        self._faults: dict[str, _ActuatorFault] = {}
        self._position: dict[str, float] = {}

    def __call__(self, name: str, command: float) -> float:
        fault = self._faults.get(name)
        last = self._position.get(name)
        if fault is None or last is None:
            out = command
        elif fault.stuck or abs(command - last) <= fault.deadband:
            out = last
        else:
            out = command
        self._position[name] = out
        return out

    def position(self, name: str) -> float | None:
        """Last effective position (``None`` before the first step)."""
        return self._position.get(name)

    def set(self, name: str, *, stuck: bool = False, deadband: float = 0.0) -> None:
        if name not in self.names:
            raise KeyError(f"unknown actuator {name!r}; valid: {', '.join(sorted(self.names)) or 'none'}")
        if deadband < 0:
            raise ValueError(f"actuator {name}: deadband must be >= 0, got {deadband}")
        self._faults[name] = _ActuatorFault(stuck=stuck, deadband=deadband)

    def clear(self, name: str | None = None) -> None:
        for key in [name] if name else list(self._faults):
            self._faults.pop(key, None)

    def active(self) -> dict[str, dict[str, Any]]:
        return {k: {"stuck": f.stuck, "deadband": f.deadband} for k, f in self._faults.items()}

    def snapshot(self) -> dict[str, Any]:
        return {"faults": self.active(), "position": dict(self._position)}

    def restore(self, snap: Mapping[str, Any] | None) -> None:
        self._faults.clear()
        self._position = {}
        if not snap:
            return
        for name, f in snap.get("faults", {}).items():
            self._faults[name] = _ActuatorFault(stuck=bool(f["stuck"]), deadband=float(f["deadband"]))
        self._position = {k: float(v) for k, v in snap.get("position", {}).items()}


@dataclass
class _SensorError:
    gain: float = 1.0
    offset: float = 0.0
    held: float | None = None
    failed: bool = False

    def apply(self, value: float) -> float:
        return self.held if self.held is not None else value * self.gain + self.offset


class SensorFeedback:
    """What a unit's own control logic reads from the sensors it uses: the true value, unless faulty.

    Every controller regulates on its measurement, and a sequencer decides on what its probes
    show, so a unit reads those sensors through this object: a drifting, biased or stuck
    transmitter moves the real process, as on a plant (a pH probe reading high makes the
    controller add less base: the real pH falls while the reading stays on its setpoint).
    Sensors that only feed the historian and the students are not here: a fault there
    changes the reading, not the process.

    Several faults may act on one sensor at once: each is kept under its own key and they
    apply in the order they were set, as the fault layer applies them to the published reading
    (a held value replaces what came before it; a later bias or gain acts on it).

    Parameters
    ----------
    tags : Mapping[str, bool]
        Tag -> whether the unit's ``read()`` already returns the value its logic saw (an
        analyser the model simulates itself). For those the fault layer must not add the
        error a second time to the published reading; for the others ``read()`` returns the
        true value and the fault layer adds the error to the reading once.

    Examples
    --------
    >>> fb = SensorFeedback({"load_temperature": False})
    >>> fb("load_temperature", 118.0), fb.active
    (118.0, False)
    >>> fb.set("load_temperature", offset=3.0); fb("load_temperature", 118.0), fb.active
    (121.0, True)
    >>> fb.set("load_temperature", held=100.0); fb("load_temperature", 118.0)
    100.0
    >>> fb.clear("load_temperature"); fb("load_temperature", 118.0)
    118.0

    Two faults on one sensor (a stuck transmitter, then a bias on top of it), and a failed one
    that a controller must not trust (``measure`` gives ``None``: the PID holds its output):

    >>> fb.set("load_temperature", held=100.0, key="F1")
    >>> fb.set("load_temperature", offset=2.0, key="F2"); fb("load_temperature", 118.0)
    102.0
    >>> fb.clear("load_temperature", key="F1"); fb("load_temperature", 118.0)
    120.0
    >>> fb.set("load_temperature", held=100.0, failed=True, key="F3")
    >>> fb.measure("load_temperature", 118.0) is None, fb("load_temperature", 118.0)
    (True, 100.0)
    """

    def __init__(self, tags: Mapping[str, bool]) -> None:
        self.tags = dict(tags)
        self._errors: dict[str, dict[str, _SensorError]] = {}

    @property
    def active(self) -> bool:
        """Whether any sensor the logic reads is faulty (the units skip the look-ups when not)."""
        return bool(self._errors)

    def __call__(self, tag: str, true_value: float) -> float:
        errors = self._errors.get(tag)
        if errors is None:
            return true_value
        value = true_value
        for err in errors.values():
            value = err.apply(value)
        return value

    def failed(self, tag: str) -> bool:
        """Whether the sensor reports a failure (status Bad): a controller holds its output."""
        errors = self._errors.get(tag)
        return errors is not None and any(e.failed for e in errors.values())

    def measure(self, tag: str, true_value: float) -> float | None:
        """What a controller reads: the sensor's value, or ``None`` while it has failed."""
        if tag not in self._errors:
            return true_value
        return None if self.failed(tag) else self(tag, true_value)

    def set(
        self,
        tag: str,
        *,
        gain: float = 1.0,
        offset: float = 0.0,
        held: float | None = None,
        failed: bool = False,
        key: str = "",
    ) -> None:
        """Set the error of fault ``key`` on ``tag`` (replacing that fault's previous one)."""
        if tag not in self.tags:
            raise KeyError(f"{tag!r} does not feed the unit's logic; feedback tags: {', '.join(self.tags) or 'none'}")
        errors = self._errors.setdefault(tag, {})
        err = errors.get(key)
        if err is None:
            errors[key] = _SensorError(gain, offset, held, failed)
        else:  # in place: the fault keeps its place in the order
            err.gain, err.offset, err.held, err.failed = gain, offset, held, failed

    def clear(self, tag: str | None = None, *, key: str | None = None) -> None:
        """Remove the errors of ``tag`` (all tags when ``None``), or only fault ``key``'s."""
        for name in [tag] if tag else list(self._errors):
            errors = self._errors.get(name)
            if errors is None:
                continue
            if key is None:
                errors.clear()
            else:
                errors.pop(key, None)
            if not errors:
                del self._errors[name]

    def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        return {
            tag: [{"key": k, "gain": e.gain, "offset": e.offset, "held": e.held, "failed": e.failed}
                  for k, e in errors.items()]
            for tag, errors in self._errors.items()
        }  # fmt: skip

    def restore(self, snap: Mapping[str, Any] | None) -> None:
        """Restore :meth:`snapshot` output (also the older one-error-per-tag form)."""
        self._errors = {}
        for tag, items in (snap or {}).items():
            for e in [items] if isinstance(items, Mapping) else items:
                gain, offset, held = e.get("gain"), e.get("offset"), e.get("held")
                self._errors.setdefault(tag, {})[str(e.get("key", ""))] = _SensorError(
                    1.0 if gain is None else float(gain),
                    0.0 if offset is None else float(offset),
                    None if held is None else float(held),
                    bool(e.get("failed", False)),
                )
