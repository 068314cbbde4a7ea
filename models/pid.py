"""A discrete PID controller as found in a PLC's function-block library.

Parallel form with derivative on measurement, output limits, conditional-integration
anti-windup, auto/manual mode with bumpless transfer in both directions and a fixed-step
``update(pv, dt)``. The controller never sees wall time: the caller passes ``dt``.

The error is ``setpoint - pv`` (reverse acting: the output rises when the measurement is
below the setpoint, right for a pump filling a tank or a heater). For a direct-acting loop
(e.g. cooling) use negative gains.

Examples
--------
>>> pid = Pid(PidTuning(kp=2.0, ki=0.5), setpoint=10.0)
>>> pid.update(8.0, dt=1.0)  # P: 2*2 = 4, I: 0.5*2*1 = 1
5.0
>>> pid.set_auto(False); pid.set_output(30.0); pid.update(8.0, dt=1.0)
30.0
>>> pid.set_auto(True); pid.update(8.0, dt=1.0)  # bumpless: continues from 30, I adds 1
31.0
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from models.params import check_fields


def pid_step(
    kp: float, ki: float, kd: float, out_min: float, out_max: float, filter_s: float, setpoint: float, auto: bool,
    output: float, integral: float, last_pv: float, has_last: bool, d_term: float, init_next: bool, pv: float,
    dt: float,
) -> tuple[float, float, float, float, bool]:  # fmt: skip
    """One update of :class:`Pid` on a good measurement, as a function of plain values.

    Returns ``(output, integral, last_pv, d_term, init_next)``. :meth:`Pid.update` calls it,
    and so does the bioreactor's compiled batch loop (:mod:`models.bioreactor_core`): floats
    and branches only.

    >>> pid_step(2.0, 0.5, 0.0, 0.0, 100.0, 0.0, 10.0, True, 0.0, 0.0, 0.0, False, 0.0, False, 8.0, 1.0)
    (5.0, 1.0, 8.0, 0.0, False)
    """
    if not auto:  # manual: the output holds; the derivative restarts from this measurement
        return output, integral, pv, 0.0, init_next
    error = setpoint - pv
    p_term = kp * error
    if init_next or not has_last:
        d = 0.0
    else:
        d_raw = -kd * (pv - last_pv) / dt
        if filter_s > 0.0:
            alpha = dt / (filter_s + dt)
            d = d_term + alpha * (d_raw - d_term)
        else:
            d = d_raw
    if init_next:
        # Bumpless: the integral absorbs the difference to the current output.
        integral = output - p_term
    step = ki * error * dt
    candidate = integral + step
    # Conditional integration: integrate at most up to the point where the output reaches the
    # limit the error pushes towards, never further (and never backwards).
    if step > 0.0:
        room = out_max - p_term - d
        if candidate > room:
            candidate = max(integral, room)
    elif step < 0.0:
        room = out_min - p_term - d
        if candidate < room:
            candidate = min(integral, room)
    # Clamp to the limits (as min(max(out, out_min), out_max), without two calls per update).
    out = p_term + candidate + d
    if out_min > out:
        out = out_min
    if out_max < out:
        out = out_max
    return out, candidate, pv, d, False


@dataclass(frozen=True)
class PidTuning:
    """Tuning and limits of a :class:`Pid` (parallel form).

    Parameters
    ----------
    kp : float
        Proportional gain, output units per PV unit.
    ki : float
        Integral gain, output units per (PV unit · s). ``0`` disables integral action.
    kd : float
        Derivative gain, output units · s per PV unit, acting on the measurement only
        (no derivative kick on setpoint steps).
    out_min, out_max : float
        Output limits, e.g. 0 and 100 % for a pump speed.
    derivative_filter_s : float
        Time constant of the first-order filter on the derivative term; ``0`` = unfiltered.

    Examples
    --------
    >>> PidTuning(kp=1.0, out_min=10.0, out_max=0.0)
    Traceback (most recent call last):
    ...
    ValueError: out_min (10.0) must be below out_max (0.0)
    """

    kp: float
    ki: float = 0.0
    kd: float = 0.0
    out_min: float = 0.0
    out_max: float = 100.0
    derivative_filter_s: float = 0.0

    def __post_init__(self) -> None:
        # Gains may be negative (a direct-acting loop), limits anywhere; the filter is a time.
        check_fields(self, signed=("kp", "ki", "kd", "out_min", "out_max"), got=True)
        if not self.out_min < self.out_max:
            raise ValueError(f"out_min ({self.out_min}) must be below out_max ({self.out_max})")

    def check_limits(self, name: str, lo: float, hi: float, unit: str = "%") -> None:
        """Refuse output limits outside what the actuator named ``name`` can do.

        Examples
        --------
        >>> PidTuning(kp=1.0, out_max=120.0).check_limits("level_tuning", 0.0, 100.0)
        Traceback (most recent call last):
        ...
        ValueError: level_tuning: output limits must lie within 0-100 %
        """
        if self.out_min < lo or self.out_max > hi:
            raise ValueError(f"{name}: output limits must lie within {lo:g}-{hi:g} {unit}")


class Pid:
    """PID controller with auto/manual mode, anti-windup and bumpless transfer.

    Parameters
    ----------
    tuning : PidTuning
        Gains and limits; may be replaced later (``pid.tuning = replace(...)``).
    setpoint : float
        Initial setpoint, in PV units.
    auto : bool
        Start in automatic (``True``) or manual mode.
    output : float
        Initial output, clipped to the output limits: the manual output, and the initial
        integral term in auto (so a loop started at its steady state does not bump).

    Notes
    -----
    * **Anti-windup** by conditional integration (clamping): the integral advances only
      as far as needed for the output to reach the limit the error pushes towards; it
      never winds beyond that point, so it leaves saturation as soon as the error turns.
    * **Bumpless transfer.** Auto → manual: the manual output starts at the last automatic
      output. Manual → auto: at the next :meth:`update` the integral is set so that the
      first automatic output equals the manual output (then the integral action of that
      step is added), and the derivative history restarts from the current measurement.
    * In manual mode :meth:`update` still records the measurement, so the derivative has
      no spike when the loop goes back to auto.

    Examples
    --------
    Anti-windup: a long saturation does not delay the reaction when the error reverses.

    >>> pid = Pid(PidTuning(kp=0.1, ki=0.5, out_max=10.0), setpoint=50.0)
    >>> for _ in range(1000):
    ...     _ = pid.update(0.0, dt=1.0)
    >>> pid.output, pid.integral  # the integral stops at 10 - P, not at 0.5 * 50 * 1000
    (10.0, 5.0)
    >>> pid.setpoint = 0.0
    >>> pid.update(5.0, dt=1.0)  # P = -0.5, I = 5 - 2.5 = 2.5
    2.0
    """

    def __init__(self, tuning: PidTuning, setpoint: float = 0.0, *, auto: bool = True, output: float = 0.0) -> None:
        self.tuning = tuning
        self.setpoint = float(setpoint)
        self._auto = bool(auto)
        self._output = min(max(float(output), tuning.out_min), tuning.out_max)
        self._integral = self._output
        self._last_pv: float | None = None
        self._d_term = 0.0
        self._init_on_next_update = False

    # -- mode and output -------------------------------------------------------------------
    @property
    def auto(self) -> bool:
        """``True`` in automatic mode, ``False`` in manual."""
        return self._auto

    def set_auto(self, auto: bool) -> None:
        """Switch mode; both directions are bumpless (see the class notes)."""
        auto = bool(auto)
        if auto and not self._auto:
            self._init_on_next_update = True
        self._auto = auto

    @property
    def output(self) -> float:
        """Last output (automatic) or the manual output."""
        return self._output

    @property
    def integral(self) -> float:
        """Current integral term, in output units."""
        return self._integral

    def set_output(self, value: float) -> None:
        """Set the manual output.

        Raises
        ------
        RuntimeError
            In automatic mode (switch to manual first).
        ValueError
            If ``value`` is not finite or outside the output limits.
        """
        if self._auto:
            raise RuntimeError("controller is in auto mode; switch to manual to set the output")
        value = float(value)
        lo, hi = self.tuning.out_min, self.tuning.out_max
        if not (math.isfinite(value) and lo <= value <= hi):
            raise ValueError(f"output {value!r} outside the limits [{lo}, {hi}]")
        self._output = value

    # -- the algorithm ---------------------------------------------------------------------
    def update(self, pv: float | None, dt: float) -> float:
        """Advance the controller by ``dt`` seconds with measurement ``pv``; return the output.

        ``pv`` is what the transmitter shows (a unit reads it through its
        :class:`~models.disturbances.SensorFeedback`). ``None`` is a failed transmitter (status
        Bad): the output is held where it is, as a PLC's PID block does on a bad PV, and the
        loop resumes bumplessly from there when the measurement comes back.

        Examples
        --------
        >>> pid = Pid(PidTuning(kp=2.0, ki=0.5), setpoint=10.0)
        >>> pid.update(8.0, dt=1.0), pid.update(None, dt=1.0), pid.update(None, dt=1.0)
        (5.0, 5.0, 5.0)
        >>> pid.update(8.0, dt=1.0)  # P 4 plus the integral (1), plus this step's 1
        6.0
        """
        if not dt > 0.0:
            raise ValueError(f"dt must be > 0, got {dt!r}")
        if pv is None:
            if self._auto:  # back on a good PV: the integral absorbs the held output
                self._init_on_next_update = True
            return self._output
        t = self.tuning
        last = self._last_pv
        out, self._integral, self._last_pv, self._d_term, self._init_on_next_update = pid_step(
            t.kp, t.ki, t.kd, t.out_min, t.out_max, t.derivative_filter_s, self.setpoint, self._auto,
            self._output, self._integral, 0.0 if last is None else last, last is not None, self._d_term,
            self._init_on_next_update, pv, dt,
        )  # fmt: skip
        self._output = out
        return out

    # -- persistence -----------------------------------------------------------------------
    def as_row(self) -> tuple[float, ...]:
        """Tuning and state as the floats of :func:`pid_step` (a compiled loop's controller row).

        >>> Pid(PidTuning(kp=2.0), setpoint=10.0).as_row()
        (2.0, 0.0, 0.0, 0.0, 100.0, 0.0, 10.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        """
        t, last = self.tuning, self._last_pv
        return (
            t.kp, t.ki, t.kd, t.out_min, t.out_max, t.derivative_filter_s, self.setpoint, float(self._auto),
            self._output, self._integral, 0.0 if last is None else last, float(last is not None), self._d_term,
            float(self._init_on_next_update),
        )  # fmt: skip

    def load_row(self, row: Any) -> None:
        """Take back the state of a row made by :meth:`as_row` and advanced by :func:`pid_step`."""
        self._output, self._integral, self._d_term = float(row[8]), float(row[9]), float(row[12])
        self._last_pv = float(row[10]) if row[11] > 0.5 else None
        self._init_on_next_update = bool(row[13] > 0.5)

    def snapshot(self) -> dict[str, Any]:
        """Whole controller state (tuning included) as plain JSON-able data."""
        return {
            "tuning": asdict(self.tuning),
            "setpoint": self.setpoint,
            "auto": self._auto,
            "output": self._output,
            "integral": self._integral,
            "last_pv": self._last_pv,
            "d_term": self._d_term,
            "init_on_next_update": self._init_on_next_update,
        }

    def restore(self, snap: dict[str, Any]) -> None:
        """Restore a state produced by :meth:`snapshot`.

        Examples
        --------
        >>> a = Pid(PidTuning(kp=1.0, ki=0.1), setpoint=5.0)
        >>> _ = a.update(1.0, 0.5)
        >>> b = Pid(PidTuning(kp=0.0))
        >>> b.restore(a.snapshot())
        >>> a.update(2.0, 0.5) == b.update(2.0, 0.5)
        True
        """
        self.tuning = PidTuning(**snap["tuning"])
        self.setpoint = float(snap["setpoint"])
        self._auto = bool(snap["auto"])
        self._output = float(snap["output"])
        self._integral = float(snap["integral"])
        last_pv = snap["last_pv"]
        self._last_pv = None if last_pv is None else float(last_pv)
        self._d_term = float(snap["d_term"])
        self._init_on_next_update = bool(snap["init_on_next_update"])

    def __repr__(self) -> str:
        mode = "auto" if self._auto else "manual"
        return f"Pid({self.tuning!r}, setpoint={self.setpoint!r}, {mode}, output={self._output!r})"
