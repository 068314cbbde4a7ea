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


class SensorFeedback:
    """What a unit's own control logic reads from the sensors it uses: the true value, unless faulty.

    Most measurements only feed the historian and the students, so a sensor fault changes
    the reading, not the process. A few feed the unit's logic (the load probe that starts an
    autoclave's hold, the NIR prediction that ends drying): the unit reads those through this
    object, so a miscalibrated probe changes what the process does, as on a real plant.

    Parameters
    ----------
    tags : Mapping[str, bool]
        Tag -> whether the unit's ``read()`` already returns the value its logic saw (an
        analyser the model simulates itself). For those the fault layer must not add the
        error a second time to the published reading.

    Examples
    --------
    >>> fb = SensorFeedback({"load_temperature": False})
    >>> fb("load_temperature", 118.0)
    118.0
    >>> fb.set("load_temperature", offset=3.0); fb("load_temperature", 118.0)
    121.0
    >>> fb.set("load_temperature", held=100.0); fb("load_temperature", 118.0)
    100.0
    >>> fb.clear("load_temperature"); fb("load_temperature", 118.0)
    118.0
    """

    def __init__(self, tags: Mapping[str, bool]) -> None:
        self.tags = dict(tags)
        self._errors: dict[str, _SensorError] = {}

    def __call__(self, tag: str, true_value: float) -> float:
        err = self._errors.get(tag)
        if err is None:
            return true_value
        if err.held is not None:
            return err.held
        return true_value * err.gain + err.offset

    def set(self, tag: str, *, gain: float = 1.0, offset: float = 0.0, held: float | None = None) -> None:
        if tag not in self.tags:
            raise KeyError(f"{tag!r} does not feed the unit's logic; feedback tags: {', '.join(self.tags) or 'none'}")
        self._errors[tag] = _SensorError(gain, offset, held)

    def clear(self, tag: str | None = None) -> None:
        for key in [tag] if tag else list(self._errors):
            self._errors.pop(key, None)

    def snapshot(self) -> dict[str, dict[str, float | None]]:
        return {k: {"gain": e.gain, "offset": e.offset, "held": e.held} for k, e in self._errors.items()}

    def restore(self, snap: Mapping[str, Mapping[str, float | None]] | None) -> None:
        self._errors = {}
        for tag, e in (snap or {}).items():
            held = e.get("held")
            self._errors[tag] = _SensorError(float(e["gain"] or 1.0), float(e["offset"] or 0.0), held)
