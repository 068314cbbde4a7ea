"""What every simulated unit offers the twin runtime: tag metadata and a step.

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

from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

TagKind = Literal["measurement", "switch", "setpoint", "mode", "output", "state"]

#: Kinds a client may write. ``output`` is a controller output, honoured in manual mode.
WRITABLE_KINDS: frozenset[str] = frozenset({"setpoint", "mode", "output"})


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

    def __post_init__(self) -> None:
        if (
            self.nor is not None
            and self.par is not None
            and not (self.par[0] <= self.nor[0] < self.nor[1] <= self.par[1])
        ):
            raise ValueError(f"{self.name}: NOR {self.nor} must lie inside PAR {self.par}")

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
