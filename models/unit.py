"""What every simulated unit offers the twin runtime: tag metadata, a step, and its fault hooks.

A unit is a process model plus its local control (the "virtual PLC" logic). The runtime
only needs to know its tags, to step it by a fixed ``dt`` in simulated seconds, to read
the true (noise-free) value of every tag and to write the writable ones (setpoints,
modes, manual outputs). Units never see wall time, OPC UA or asyncio.

Examples
--------
>>> spec = TagSpec("B101_level", "Upper tank level", "cm", 0.0, 30.0, kind="measurement")
>>> spec.writable
False
>>> TagSpec("LIC_sp", "Level setpoint", "cm", 0.0, 30.0, kind="setpoint").writable
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from models.disturbances import ActuatorHooks, Disturbance, Disturbances, SensorFeedback

TagKind = Literal["measurement", "switch", "setpoint", "mode", "output", "state"]

#: Kinds a client may write. ``output`` is a controller output, honoured in manual mode.
WRITABLE_KINDS: frozenset[str] = frozenset({"setpoint", "mode", "output"})

#: ``(phase_tag, phase values)``: a tag's NOR/PAR hold only while ``phase_tag`` is one of the values.
BandsWhen = tuple[str, tuple[int, ...]]


def bands_hold(bands_when: BandsWhen | None, values: Mapping[str, float | None]) -> bool:
    """Whether a tag's NOR/PAR bands apply now, given the unit's latest ``values``.

    Bands without a phase condition always hold; with one, they hold only while the phase
    tag reads one of the listed values (an unknown phase: they do not).

    Examples
    --------
    >>> bands_hold(None, {})
    True
    >>> [bands_hold(("phase", (1,)), {"phase": p}) for p in (0.0, 1.0, 2.0, None)]
    [False, True, False, False]
    """
    if bands_when is None:
        return True
    phase_tag, phases = bands_when
    value = values.get(phase_tag)
    return value is not None and value == value and round(value) in phases


@dataclass(frozen=True)
class TagSpec:
    """Metadata of one tag of a unit.

    Parameters
    ----------
    name : str
        Tag name, unique within the unit, e.g. ``"B101_level"``.
    description : str
        Human-readable meaning (English; the dashboard translates).
    unit : str
        Engineering unit as printed, e.g. ``"cm"``, ``"l/min"``, ``"mbar"``, ``"°C"``.
    lo, hi : float
        Engineering range (OPC UA EURange) for display and sensor clipping.
    kind : TagKind
        ``measurement`` (analog sensor), ``switch`` (boolean sensor), ``setpoint``,
        ``mode`` (0 = manual, 1 = auto), ``output`` (actuator command) or ``state``
        (internal model state shown for teaching, never written).
    noise_sd : float
        Standard deviation of the additive sensor noise the runtime applies to
        measurements, in the tag's unit. Zero for everything that is not a sensor.
    loop : str or None
        Control loop the tag belongs to (``"level"``, ``"flow"``...), for grouping.
    nor, par : tuple of float or None
        Normal operating range and proven acceptable range (ICH Q8) of a critical process
        parameter or quality attribute; ``nor`` lies inside ``par``. The dashboard draws them
        as bands.
    states : dict of int to str or None
        For a discrete tag (PackML state, phase, mode, switch): the label key of each value
        (``{0: "state.mode.manual", 1: "state.mode.auto"}``); the dashboard shows the label,
        never the number. Keys live in the dashboard's catalogue; models stay language-free.
    bands_when : (str, tuple of int) or None
        ``(phase_tag, phase values)``: the NOR/PAR hold only in those phases of the unit
        (dryer: drying; autoclave: hold; bioreactor: fed-batch). ``None``: always.
    calibrated : tuple of float or None
        Range over which a soft sensor (PAT model) is calibrated; a prediction outside it is
        shown clipped to the range and flagged.
    """

    name: str
    description: str
    unit: str
    lo: float
    hi: float
    kind: TagKind = "measurement"
    noise_sd: float = 0.0
    loop: str | None = None
    nor: tuple[float, float] | None = None
    par: tuple[float, float] | None = None
    states: dict[int, str] | None = field(default=None, hash=False)
    bands_when: BandsWhen | None = None
    calibrated: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if (
            self.nor is not None
            and self.par is not None
            and not (self.par[0] <= self.nor[0] < self.nor[1] <= self.par[1])
        ):
            raise ValueError(f"{self.name}: NOR {self.nor} must lie inside PAR {self.par}")
        if self.calibrated is not None and not self.calibrated[0] < self.calibrated[1]:
            raise ValueError(f"{self.name}: calibrated range {self.calibrated} must be (low, high)")

    @property
    def critical(self) -> bool:
        """A critical parameter (it has a NOR or a PAR)."""
        return self.nor is not None or self.par is not None

    @property
    def writable(self) -> bool:
        return self.kind in WRITABLE_KINDS

    @property
    def is_boolean(self) -> bool:
        return self.kind in ("switch", "mode")


@runtime_checkable
class Unit(Protocol):
    """A simulated unit the runtime can step and expose over OPC UA."""

    #: Unit type, e.g. ``"mps_pa"``.
    unit_type: str

    def tag_specs(self) -> list[TagSpec]:
        """All tags of the unit, in display order."""
        ...

    def step(self, dt_s: float) -> None:
        """Advance the unit (process and its controllers) by ``dt_s`` simulated seconds."""
        ...

    def read(self) -> dict[str, float]:
        """True (noise-free) value of every tag, keyed by tag name."""
        ...

    def write(self, tag: str, value: float) -> None:
        """Write a writable tag; raise ``KeyError`` for unknown, ``ValueError`` for bad values."""
        ...

    def snapshot(self) -> dict[str, Any]:
        """Whole state as plain JSON-able data."""
        ...

    def restore(self, snap: dict[str, Any]) -> None:
        """Restore a state produced by :meth:`snapshot`."""
        ...


@runtime_checkable
class FaultHooks(Protocol):
    """Where faults reach a unit (:mod:`models.disturbances`); ``twin.faults`` only sets values here.

    A unit offers the hooks by having them: :class:`FaultHookDefaults` gives the optional
    ones (no machines to jam), so a unit declares only what it has. A unit without any
    hook offers faults nothing but its readings (:func:`fault_hooks`).

    Attributes
    ----------
    disturbances : Disturbances
        Named process, wear and line disturbances (fouling, leak, pump wear, speed loss...).
    actuators : ActuatorHooks
        Actuators whose effective position a fault may hold (stuck, deadband).
    feedback : SensorFeedback
        Sensors the unit's own logic reads (a sensor fault there changes the process).
    machines : tuple of str
        Machines a ``jam`` may stop (filling lines), in line order.
    """

    disturbances: Disturbances
    actuators: ActuatorHooks
    feedback: SensorFeedback

    @property
    def machines(self) -> tuple[str, ...]: ...

    def jam(self, machine: str, duration_s: float) -> None:
        """Jam ``machine`` now for ``duration_s`` seconds; ``ValueError`` when its state cannot Hold."""
        ...

    def clear_jam(self, machine: str) -> None:
        """End a jam of ``machine`` now (nothing if it is not jammed)."""
        ...


class FaultHookDefaults:
    """The optional :class:`FaultHooks` of a unit that has no machines: inherit it, set the rest.

    The unit still creates its own ``disturbances``, ``actuators`` and ``feedback`` in
    ``__init__`` with :func:`declare_fault_hooks` (empty ones when it has none), so no hook
    state is shared between units.

    Examples
    --------
    >>> class Tank(FaultHookDefaults):
    ...     def __init__(self) -> None:
    ...         declare_fault_hooks(self, {"leak": Disturbance("Leak", "l/min", 0.0, 5.0)})
    >>> isinstance(Tank(), FaultHooks), Tank().machines
    (True, ())
    >>> Tank().jam("filler", 60.0)
    Traceback (most recent call last):
    ...
    KeyError: "unknown machine 'filler'; machines: none"
    """

    disturbances: Disturbances
    actuators: ActuatorHooks
    feedback: SensorFeedback

    @property
    def machines(self) -> tuple[str, ...]:
        return ()

    def jam(self, machine: str, duration_s: float) -> None:
        raise KeyError(f"unknown machine {machine!r}; machines: none")

    def clear_jam(self, machine: str) -> None:
        raise KeyError(f"unknown machine {machine!r}; machines: none")


class NoFaultHooks(FaultHookDefaults):
    """The hooks of a unit that declares none: empty, so faults can target only its readings."""

    def __init__(self) -> None:
        declare_fault_hooks(self)


def declare_fault_hooks(
    unit: Any,
    disturbances: Mapping[str, Disturbance] | None = None,
    actuators: Mapping[str, str] | None = None,
    feedback: Mapping[str, bool] | None = None,
) -> None:
    """Give ``unit`` its own hook state (one line in each unit's ``__init__``).

    Parameters
    ----------
    disturbances : mapping, optional
        The unit's ``DISTURBANCES``: name -> :class:`~models.disturbances.Disturbance`.
    actuators : mapping, optional
        The unit's ``ACTUATORS``: actuator -> description.
    feedback : mapping, optional
        Sensors the unit's own logic reads -> whether the unit publishes what it read.

    Examples
    --------
    >>> class Pipe:
    ...     pass
    >>> pipe = Pipe()
    >>> declare_fault_hooks(pipe, actuators={"V1": "Valve V1, % open"})
    >>> sorted(pipe.actuators.names), pipe.disturbances.specs
    (['V1'], {})
    """
    unit.disturbances = Disturbances(dict(disturbances or {}))
    unit.actuators = ActuatorHooks(dict(actuators or {}))
    unit.feedback = SensorFeedback(dict(feedback or {}))


def fault_hooks(unit: object) -> FaultHooks:
    """``unit`` itself when it offers :class:`FaultHooks`, else empty hooks (:class:`NoFaultHooks`).

    Examples
    --------
    >>> fault_hooks(object()).disturbances.specs
    {}
    """
    return unit if isinstance(unit, FaultHooks) else NoFaultHooks()
