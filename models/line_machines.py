"""Discrete-event core of the filling and packaging line: machines, buffers, events.

:class:`LineCore` is what :class:`models.filling_line.FillingLine` steps; it holds no tag
logic. Each machine is a PackML state machine (:mod:`models.packml`) plus the "virtual PLC"
scan below; each buffer is a FIFO of unit fill weights (grams) with a capacity.

Events
------
Every machine has a next-event time (its cycle end, the SC of an acting state, the end of a
stop or of a changeover, or ``inf`` while it waits for a neighbour). ``run_until(t_end)``
repeatedly takes the machine with the earliest event (ties: the upstream machine first),
moves its PackML clock there and runs its scan until nothing changes; a machine that puts a
unit into an empty buffer wakes a starved neighbour downstream, one that takes a unit from a
full buffer wakes a blocked neighbour upstream. Events are exact in time: ``dt`` only sets
how often the caller looks.

Scan of a machine in Execute (Production mode)
----------------------------------------------
1. A unit whose cycle ended is *done*: the filler fills it (``N(mean, sd)`` with the mean
   drifting linearly since the last changeover), the checkweigher weighs it (true weight +
   scale noise, through :attr:`LineCore.scale`: a faulty scale rejects on its wrong reading)
   and flags it when outside ``target ± tolerance``.
2. Failures come due at a cycle end (run-time clocks drawn from exponential distributions):
   a **jam** puts the machine in Held (internal cause) for a lognormal time and scraps the
   unit with a probability (a reject of that machine); a **micro-stop** does the same for a
   few seconds, without scrap.
3. The done unit leaves: a flagged unit goes to the reject bin (a reject), otherwise into
   the output buffer (a good unit). A full buffer means *blocked*: Suspend, the unit stays in.
4. An empty machine ends its lot when the upstream machine has finished it and all its units
   have been taken (Complete → changeover); otherwise it takes the next unit, or, with an
   empty input buffer, is *starved*: Suspend. Suspended machines unsuspend by themselves when
   the cause is gone, Held ones unhold when the stop time is over.

A unit inside a machine whose cycle was interrupted (Hold, Stop...) restarts its cycle when
the machine is back in Execute. Abort scraps the unit in the machine.

Faults
------
Set through :class:`models.filling_line.FillingLine`'s disturbances, they act from the
current clock time and leave the nominal path untouched (no extra random draws at nominal):

* :meth:`LineCore.set_speed_factor`: the machine cycles at a fraction of its speed setpoint;
  the cycle under way is stretched or shortened from now on.
* :meth:`LineCore.set_microstop_factor`: factor on the micro-stop rate; the run time left to
  the next micro-stop is rescaled by the rate ratio (exponential clocks are memoryless, so it
  stays exponential at the new rate without a new draw).
* ``Machine.reject_p``: extra probability that a unit is rejected at the machine's cycle end.
* :meth:`LineCore.set_supply_loss`, :meth:`LineCore.set_outfeed_loss`: the infeed (outfeed)
  passes at most ``(1 − f)`` × the filler's (last machine's) speed setpoint, nothing at
  ``f = 1``: the filler waits for containers, and past ``starved_delay_s`` goes
  Suspended/starved; the last machine waits for room and goes Suspended/blocked.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import numpy as np

from models.packml import PackMLCommand, PackMLMode, PackMLState, PackMLStateMachine

_EXECUTE, _SUSPENDED, _HOLDING, _HELD, _COMPLETE, _IDLE = 4, 12, 14, 15, 6, 2
_INF = math.inf


class StopReason(IntEnum):
    """Why a machine is not producing (the ``<machine>_stop_reason`` tag)."""

    NONE = 0
    STARVED = 1
    BLOCKED = 2
    MICRO_STOP = 3
    JAM = 4
    CHANGEOVER = 5
    COMMAND = 6
    ABORT = 7


@dataclass(frozen=True)
class MachineSpec:
    """Resolved parameters of one machine (see :class:`models.filling_line.FillingLineParams`)."""

    name: str
    speed_upm: float
    rated_speed_upm: float
    microstops_per_h: float
    jams_per_h: float
    changeover_s: float


class Machine:
    """Run-time state of one machine of the line."""

    __slots__ = (
        "auto", "changeover", "changeover_s", "cycle_end", "cycle_epoch", "done", "dwell", "finished_lots", "index",
        "jams_per_h", "microstops_per_h", "name", "psm", "reason", "reject", "reject_p", "released_in_lot",
        "spec", "speed_factor", "speed_upm", "t_next", "taken_in_lot", "ttf_jam", "ttf_micro", "unit",
        "wait_until", "waiting",
    )  # fmt: skip

    def __init__(self, spec: MachineSpec, index: int, psm: PackMLStateMachine) -> None:
        self.spec = spec
        self.name = spec.name
        self.index = index
        self.psm = psm
        self.speed_upm = spec.speed_upm
        self.microstops_per_h = spec.microstops_per_h
        self.jams_per_h = spec.jams_per_h
        #: Median internal setup time of the next changeovers (an SMED exercise writes it).
        self.changeover_s = spec.changeover_s
        self.unit: float | None = None  # fill weight of the unit inside (0.0 before filling)
        self.done = False
        self.reject = False
        self.cycle_end = _INF
        self.cycle_epoch = -1
        self.t_next = 0.0
        self.reason = StopReason.NONE
        self.dwell = _INF
        self.ttf_micro = _INF
        self.ttf_jam = _INF
        self.auto = False
        self.changeover = False
        self.taken_in_lot = 0
        self.released_in_lot = 0
        self.finished_lots: deque[int] = deque()
        #: Waiting in Execute for a unit (STARVED) or for room (BLOCKED) until ``wait_until``.
        self.waiting = StopReason.NONE
        self.wait_until = _INF
        #: Faults: fraction of the speed setpoint the machine runs at, extra reject probability.
        self.speed_factor = 1.0
        self.reject_p = 0.0

    def snapshot(self) -> dict[str, Any]:
        f = _enc
        return {
            "psm": self.psm.snapshot(), "speed_upm": self.speed_upm, "microstops_per_h": self.microstops_per_h,
            "jams_per_h": self.jams_per_h, "unit": self.unit, "done": self.done, "reject": self.reject,
            "cycle_end": f(self.cycle_end), "cycle_epoch": self.cycle_epoch, "t_next": f(self.t_next),
            "reason": int(self.reason), "dwell": f(self.dwell), "ttf_micro": f(self.ttf_micro),
            "ttf_jam": f(self.ttf_jam), "auto": self.auto, "changeover": self.changeover,
            "taken_in_lot": self.taken_in_lot, "released_in_lot": self.released_in_lot,
            "finished_lots": list(self.finished_lots), "waiting": int(self.waiting),
            "wait_until": f(self.wait_until), "speed_factor": self.speed_factor, "reject_p": self.reject_p,
            "changeover_s": self.changeover_s,
        }  # fmt: skip

    def restore(self, snap: dict[str, Any]) -> None:
        d = _dec
        self.psm.restore(snap["psm"])
        self.speed_upm = float(snap["speed_upm"])
        self.microstops_per_h = float(snap["microstops_per_h"])
        self.jams_per_h = float(snap["jams_per_h"])
        self.unit = None if snap["unit"] is None else float(snap["unit"])
        self.done, self.reject = bool(snap["done"]), bool(snap["reject"])
        self.cycle_end, self.cycle_epoch = d(snap["cycle_end"]), int(snap["cycle_epoch"])
        self.t_next, self.reason, self.dwell = d(snap["t_next"]), StopReason(snap["reason"]), d(snap["dwell"])
        self.ttf_micro, self.ttf_jam = d(snap["ttf_micro"]), d(snap["ttf_jam"])
        self.auto, self.changeover = bool(snap["auto"]), bool(snap["changeover"])
        self.taken_in_lot, self.released_in_lot = int(snap["taken_in_lot"]), int(snap["released_in_lot"])
        self.finished_lots = deque(int(v) for v in snap["finished_lots"])
        self.waiting, self.wait_until = StopReason(snap["waiting"]), d(snap["wait_until"])
        # Snapshots from before fault injection: no fault.
        self.speed_factor = float(snap.get("speed_factor", 1.0))
        self.reject_p = float(snap.get("reject_p", 0.0))
        self.changeover_s = float(snap.get("changeover_s", self.spec.changeover_s))


def _edge_interval(m: Machine, loss: float) -> float:
    """Seconds between containers through an infeed/outfeed that lost ``loss`` of ``m``'s speed (inf at 1)."""
    return 60.0 / (m.speed_upm * (1.0 - loss)) if loss < 1.0 else _INF


def _enc(x: float) -> float | None:
    return None if math.isinf(x) else x


def _dec(x: float | None) -> float:
    return _INF if x is None else float(x)


@dataclass(frozen=True)
class LossModel:
    """Random-loss and quality settings shared by the machines (see the line parameters)."""

    cycle_time_cv: float
    microstop_median_s: float
    microstop_sigma_log: float
    jam_median_s: float
    jam_sigma_log: float
    jam_scrap_probability: float
    changeover_sigma_log: float
    lot_size_units: int
    fill_sd_g: float
    fill_drift_g_per_h: float
    checkweigher_sd_g: float
    starved_delay_s: float = 5.0
    blocked_delay_s: float = 5.0


class LineCore:
    """Machines in series with buffers between them; see the module docstring.

    Parameters
    ----------
    specs : list of MachineSpec
        Machines in line order: the first fills (infinite supply of empty containers), the
        one named ``checkweigher`` weighs and rejects, the last delivers to the outfeed.
    capacities : list of int
        Buffer capacities, one fewer than machines.
    losses : LossModel
    durations : dict
        PackML acting-state durations, seconds.
    rng : numpy.random.Generator
    fill_target_g, tolerance_g : float
        Fill-weight target and checkweigher tolerance (writable while running).
    autostart : bool
        Machines start in Execute (automatic restart after changeovers) or in Stopped.
    """

    def __init__(
        self,
        specs: list[MachineSpec],
        capacities: list[int],
        losses: LossModel,
        durations: dict[PackMLState, float],
        rng: np.random.Generator,
        fill_target_g: float,
        tolerance_g: float,
        autostart: bool,
    ) -> None:
        if len(capacities) != len(specs) - 1:
            raise ValueError("one buffer between each pair of machines")
        self.losses = losses
        self.rng = rng
        self.t = 0.0
        self.fill_target_g = fill_target_g
        self.tolerance_g = tolerance_g
        #: What the checkweigher's logic reads from its scale (the unit's sensor feedback).
        self.scale: Callable[[float], float] = _as_weighed
        self.capacities = list(capacities)
        self.buffers: list[deque[float]] = [deque() for _ in capacities]
        state = PackMLState.EXECUTE if autostart else PackMLState.STOPPED
        self.machines = [Machine(s, i, PackMLStateMachine(state, durations=durations)) for i, s in enumerate(specs)]
        self.entered = 0
        self.out = 0
        self.lots = 0
        self.last_weight_g = fill_target_g
        self.adjust_t = 0.0  # last filler adjustment (changeover): the drift restarts there
        #: Changeover time at the line's end: the last carton of a lot left at ``lot_end_t``
        #: (-1: no changeover under way); ``last_changeover_s`` runs to the next lot's first carton.
        self.lot_end_t = -1.0
        self.last_changeover_s = 0.0
        self._cw = next((m.index for m in self.machines if m.name == "checkweigher"), -1)
        # Infeed / outfeed limits (faults): fraction of the supply (outfeed) lost, 0 = unlimited
        # (the nominal), and when the next container can pass.
        self.supply_loss = self.outfeed_loss = 0.0
        self.supply_next = self.outfeed_next = 0.0
        for m in self.machines:
            m.auto = autostart
            m.ttf_micro = self._draw_ttf(m.microstops_per_h)
            m.ttf_jam = self._draw_ttf(m.jams_per_h)

    # -- random draws ----------------------------------------------------------------------
    def _draw_ttf(self, per_h: float) -> float:
        return self.rng.exponential(3600.0 / per_h) if per_h > 0.0 else _INF

    def _lognormal(self, median: float, sigma: float) -> float:
        return median * math.exp(sigma * self.rng.standard_normal()) if sigma > 0.0 else median

    def fill_mean_g(self, t: float | None = None) -> float:
        """The filler's current mean fill weight (target plus drift since the last changeover)."""
        t = self.t if t is None else t
        return self.fill_target_g + self.losses.fill_drift_g_per_h * (t - self.adjust_t) / 3600.0

    # -- the event loop --------------------------------------------------------------------
    def run_until(self, t_end: float) -> None:
        """Process every event up to and including ``t_end``; the clock ends at ``t_end``."""
        ms = self.machines
        while True:
            best = None
            tn = _INF
            for m in ms:
                if m.t_next < tn:
                    tn = m.t_next
                    best = m
            if best is None or tn > t_end:
                break
            if tn > self.t:
                self.t = tn
            self._handle(best, self.t)
        self.t = t_end
        for m in ms:
            m.psm.advance_to(t_end)

    def _handle(self, m: Machine, t: float) -> None:
        psm = m.psm
        psm.advance_to(t)
        for _ in range(64):  # a scan settles in a few passes; the bound only guards against a bug
            s = psm.state_number
            if s == _EXECUTE:
                m.reason = StopReason.NONE
                changed = self._execute(m, t)
            elif s == _SUSPENDED:
                changed = self._suspended(m)
            elif s == _HELD:
                changed = t >= psm.entered_t + m.dwell and psm.try_command(PackMLCommand.UNHOLD)
            elif s == _COMPLETE:
                changed = m.changeover and t >= psm.entered_t + m.dwell
                if changed:
                    m.changeover = False
                    if m.index == 0:
                        self.adjust_t = t
                    psm.command(PackMLCommand.RESET)
            elif s == _IDLE:
                changed = m.auto and psm.try_command(PackMLCommand.START)
            else:
                changed = False
            if not changed:
                break
        m.t_next = self._next_time(m)

    def _next_time(self, m: Machine) -> float:
        psm = m.psm
        s = psm.state_number
        if s == _EXECUTE:
            if m.unit is not None and not m.done and m.cycle_epoch == psm.transitions:
                return m.cycle_end
            return min(m.wait_until, self._edge_due(m, m.waiting)) if m.waiting else _INF
        if s == _HELD or (s == _COMPLETE and m.changeover):
            return psm.entered_t + m.dwell
        if s == _SUSPENDED:
            return min(psm.sc_due, self._edge_due(m, m.reason))
        return psm.sc_due

    def _edge_due(self, m: Machine, why: StopReason) -> float:
        """When the infeed next has a container for a starved filler, or the outfeed room for a
        blocked last machine (``inf`` otherwise); buffers wake their neighbours themselves."""
        if why == StopReason.STARVED and m.index == 0:
            return self.supply_next
        if why == StopReason.BLOCKED and m.index == len(self.buffers):
            return self.outfeed_next
        return _INF

    def _execute(self, m: Machine, t: float) -> bool:
        """Scan of a machine in Execute; ``True`` if it changed state."""
        psm = m.psm
        if psm.mode != PackMLMode.PRODUCTION:
            return False  # dry cycling: no product taken in Maintenance or Manual mode
        if m.unit is not None:
            if not m.done:
                if m.cycle_epoch != psm.transitions:
                    self._start_cycle(m, t)  # interrupted cycle: start it again
                    return False
                if t < m.cycle_end:
                    return False
                m.done = True
                self._operate(m, t)
                if m.reject_p and self.rng.random() < m.reject_p:  # reject surge (fault): no draw at nominal
                    m.reject = True
                if m.ttf_jam <= 0.0:
                    m.ttf_jam = self._draw_ttf(m.jams_per_h)
                    if self.rng.random() < self.losses.jam_scrap_probability:
                        self._scrap(m)
                    return self._stop(
                        m, StopReason.JAM, self._lognormal(self.losses.jam_median_s, self.losses.jam_sigma_log)
                    )
                if m.ttf_micro <= 0.0:
                    m.ttf_micro = self._draw_ttf(m.microstops_per_h)
                    return self._stop(
                        m,
                        StopReason.MICRO_STOP,
                        self._lognormal(self.losses.microstop_median_s, self.losses.microstop_sigma_log),
                    )
            if m.unit is not None and not self._release(m, t):
                return self._wait(m, StopReason.BLOCKED, self.losses.blocked_delay_s, t)
        # Empty: end of lot, next unit, or starved.
        if self._lot_ended(m):
            self._complete_lot(m, t)
            return True
        i = m.index
        if i == 0:
            if self.supply_loss:  # infeed limited by a fault (0.0 = unlimited supply)
                if t < self.supply_next:
                    return self._wait(m, StopReason.STARVED, self.losses.starved_delay_s, t)
                self.supply_next = t + _edge_interval(m, self.supply_loss)
            m.unit = 0.0
            self.entered += 1
        else:
            buf = self.buffers[i - 1]
            if not buf:
                return self._wait(m, StopReason.STARVED, self.losses.starved_delay_s, t)
            was_full = len(buf) >= self.capacities[i - 1]
            m.unit = buf.popleft()
            if was_full:
                self._wake(self.machines[i - 1], StopReason.BLOCKED, t)
        m.taken_in_lot += 1
        m.waiting = StopReason.NONE
        self._start_cycle(m, t)
        return False

    def _wait(self, m: Machine, why: StopReason, delay: float, t: float) -> bool:
        """Wait in Execute up to ``delay`` for a unit or for room, then Suspend (starved/blocked)."""
        if m.waiting != why or m.cycle_epoch != m.psm.transitions:
            m.waiting = why
            m.wait_until = t + delay
            m.cycle_epoch = m.psm.transitions
        if t < m.wait_until:
            return False
        m.waiting = StopReason.NONE
        m.psm.command(PackMLCommand.SUSPEND)
        m.reason = why
        return True

    def _start_cycle(self, m: Machine, t: float) -> None:
        cycle = 60.0 / (m.speed_upm * m.speed_factor)
        cv = self.losses.cycle_time_cv
        if cv > 0.0:
            cycle *= max(0.5, 1.0 + cv * self.rng.standard_normal())
        m.cycle_end = t + cycle
        m.cycle_epoch = m.psm.transitions
        m.ttf_micro -= cycle
        m.ttf_jam -= cycle

    def _operate(self, m: Machine, t: float) -> None:
        """What the machine does to a unit at the end of its cycle."""
        if m.index == 0:
            m.unit = self.fill_mean_g(t) + self.losses.fill_sd_g * self.rng.standard_normal()
        elif m.index == self._cw and m.unit is not None:
            reading = self.scale(m.unit + self.losses.checkweigher_sd_g * self.rng.standard_normal())
            self.last_weight_g = reading
            m.reject = abs(reading - self.fill_target_g) > self.tolerance_g

    def _release(self, m: Machine, t: float) -> bool:
        """Pass the done unit on; ``False`` if the output buffer is full (blocked)."""
        c = m.psm.counters
        if m.reject:  # checkweigher: out of tolerance, into the reject bin
            m.reject = False
            c.rejected += 1
        else:
            i = m.index
            if i < len(self.buffers):
                buf = self.buffers[i]
                if len(buf) >= self.capacities[i]:
                    return False
                buf.append(m.unit)  # type: ignore[arg-type]
                if len(buf) == 1:
                    self._wake(self.machines[i + 1], StopReason.STARVED, t)
            else:
                if self.outfeed_loss:  # outfeed limited by a fault (0.0 = unlimited)
                    if t < self.outfeed_next:
                        return False
                    self.outfeed_next = t + _edge_interval(m, self.outfeed_loss)
                self.out += 1
                if self.lot_end_t >= 0.0:  # the first carton of the new lot ends the changeover
                    self.last_changeover_s = t - self.lot_end_t
                    self.lot_end_t = -1.0
            c.good += 1
            m.released_in_lot += 1
        c.produced += 1
        m.unit = None
        m.done = False
        m.waiting = StopReason.NONE
        return True

    def _scrap(self, m: Machine) -> None:
        if m.unit is not None:
            m.psm.counters.count(rejected=1)
            m.unit = None
            m.done = False
            m.reject = False

    def _stop(self, m: Machine, reason: StopReason, dwell: float) -> bool:
        m.psm.command(PackMLCommand.HOLD)
        m.reason = reason
        m.dwell = dwell
        return True

    def _suspended(self, m: Machine) -> bool:
        i = m.index
        if m.reason == StopReason.STARVED:
            ok = (self.t >= self.supply_next if i == 0 else bool(self.buffers[i - 1])) or self._lot_ended(m)
        elif m.reason == StopReason.BLOCKED:
            ok = self.t >= self.outfeed_next if i >= len(self.buffers) else len(self.buffers[i]) < self.capacities[i]
        else:
            return False  # suspended by command: waits for Unsuspend
        return ok and m.psm.try_command(PackMLCommand.UNSUSPEND)

    def _wake(self, m: Machine, reason: StopReason, t: float) -> None:
        s = m.psm.state_number
        if m.t_next > t and ((s == _SUSPENDED and m.reason == reason) or (s == _EXECUTE and m.waiting == reason)):
            m.t_next = t

    # -- lots and changeovers --------------------------------------------------------------
    def _lot_ended(self, m: Machine) -> bool:
        if m.index == 0:
            size = self.losses.lot_size_units
            return m.changeover or (size > 0 and m.taken_in_lot >= size)
        up = self.machines[m.index - 1]
        return bool(up.finished_lots) and m.taken_in_lot >= up.finished_lots[0]

    def _complete_lot(self, m: Machine, t: float) -> None:
        if m.index > 0:
            self.machines[m.index - 1].finished_lots.popleft()
        if m.index < len(self.machines) - 1:
            m.finished_lots.append(m.released_in_lot)
            self._wake(self.machines[m.index + 1], StopReason.STARVED, t)
        else:
            self.lots += 1
            self.lot_end_t = t
        m.taken_in_lot = m.released_in_lot = 0
        m.changeover = True
        m.dwell = self._lognormal(m.changeover_s, self.losses.changeover_sigma_log)
        m.reason = StopReason.CHANGEOVER
        m.psm.command(PackMLCommand.COMPLETE)

    def request_changeover(self) -> None:
        """End the current lot: the filler completes after its current unit, the others after draining.

        Raises
        ------
        ValueError
            A changeover is already requested or under way at the filler.
        """
        filler = self.machines[0]
        if filler.changeover:
            raise ValueError("a changeover is already requested or under way at the filler")
        filler.changeover = True  # read by _lot_ended; stays set during its setup
        if filler.t_next > self.t and filler.psm.state_number == _EXECUTE and filler.unit is None:
            filler.t_next = self.t

    def set_capacity(self, i: int, capacity: int) -> None:
        """Resize buffer ``i`` (0-based) now; units above a smaller capacity drain downstream first.

        A machine blocked by the old, smaller capacity is woken (it goes on when there is room).
        """
        if capacity < 1:
            raise ValueError(f"buffer{i + 1} capacity must be >= 1 unit, got {capacity}")
        self.capacities[i] = capacity
        self._wake(self.machines[i], StopReason.BLOCKED, self.t)

    # -- operator commands and faults --------------------------------------------------------
    def command(self, m: Machine, cmd: PackMLCommand) -> None:
        """Apply an operator command to ``m`` now; raises ``IllegalCommandError`` if no arc."""
        psm = m.psm
        psm.advance_to(self.t)
        if not psm.can(cmd):
            psm.command(cmd)  # raises with the allowed commands
        if cmd == PackMLCommand.ABORT:
            self._scrap(m)
        psm.command(cmd)
        m.waiting = StopReason.NONE
        if cmd in (PackMLCommand.STOP, PackMLCommand.ABORT):
            m.auto = False
            m.reason = StopReason.ABORT if cmd == PackMLCommand.ABORT else StopReason.COMMAND
            m.changeover = False
        elif cmd in (PackMLCommand.HOLD, PackMLCommand.SUSPEND, PackMLCommand.COMPLETE):
            m.reason = StopReason.COMMAND
            m.dwell = _INF
            m.changeover = False
        elif cmd == PackMLCommand.START:
            m.auto = True
        elif cmd == PackMLCommand.RESET:
            m.changeover = False
        m.t_next = self.t
        self._handle(m, self.t)

    def jam(self, m: Machine, duration_s: float) -> None:
        """Jam ``m`` now for ``duration_s`` seconds (Held, cause jam).

        Allowed where PackML allows Hold: Execute, and Starting, Suspending, Suspended,
        Unsuspending, Unholding (the 2015 model's Hold arcs); a ``ValueError`` elsewhere.
        """
        if not duration_s > 0.0:
            raise ValueError(f"jam duration_s must be > 0 s, got {duration_s!r}")
        m.psm.advance_to(self.t)
        if not m.psm.can(PackMLCommand.HOLD):
            raise ValueError(f"{m.name} cannot jam in state {m.psm.state.title} (no Hold arc there)")
        m.waiting = StopReason.NONE
        self._stop(m, StopReason.JAM, float(duration_s))
        m.t_next = self.t
        self._handle(m, self.t)

    def clear_jam(self, m: Machine) -> None:
        """End a jam of ``m`` now: it unholds as if its stop time were over (nothing if not jammed)."""
        psm = m.psm
        psm.advance_to(self.t)
        s = psm.state_number
        if m.reason != StopReason.JAM or s not in (_HOLDING, _HELD):
            return
        m.dwell = self.t - psm.entered_t if s == _HELD else 0.0
        m.t_next = self.t
        self._handle(m, self.t)

    def set_speed_factor(self, m: Machine, factor: float) -> None:
        """Speed loss: ``m`` cycles at ``factor`` × its speed setpoint; the cycle under way is rescaled now."""
        if not 0.0 < factor <= 1.0:
            raise ValueError(f"{m.name}: speed factor must be within (0, 1], got {factor!r}")
        old = m.speed_factor
        if factor == old:
            return
        m.speed_factor = factor
        if m.unit is not None and not m.done and m.cycle_epoch == m.psm.transitions and m.cycle_end > self.t:
            left = m.cycle_end - self.t
            extra = left * (old / factor - 1.0)
            m.cycle_end += extra
            m.ttf_micro -= extra  # the run-time clocks were charged the cycle as drawn
            m.ttf_jam -= extra
            m.t_next = self._next_time(m)

    def set_microstop_factor(self, m: Machine, factor: float) -> None:
        """Micro-stop rate of ``m`` = ``factor`` × its nominal rate; the run time left is rescaled."""
        if not factor >= 0.0:
            raise ValueError(f"{m.name}: micro-stop factor must be >= 0, got {factor!r}")
        rate = m.spec.microstops_per_h * factor
        old = m.microstops_per_h
        if rate == old:
            return
        m.microstops_per_h = rate
        if rate <= 0.0:
            m.ttf_micro = _INF
        elif old > 0.0:
            m.ttf_micro *= old / rate
        else:  # from a zero rate (after a factor of 0): no clock to rescale, so one draw
            m.ttf_micro = self._draw_ttf(rate)

    def _edge_next(self, m: Machine, old: float, new: float, due: float) -> float:
        """When the next container passes the infeed/outfeed of ``m`` after its loss went ``old`` → ``new``."""
        if not 0.0 <= new <= 1.0:
            raise ValueError(f"{m.name}: fraction lost must be within 0-1, got {new!r}")
        if new == 0.0:
            return min(due, self.t)
        if new == 1.0:
            return _INF
        if old == 1.0:  # restarting after a total loss: the first container after one interval
            return self.t + _edge_interval(m, new)
        return due

    def set_supply_loss(self, fraction: float) -> None:
        """Starved infeed: at most ``(1 − fraction)`` × the filler's speed setpoint arrives (none at 1)."""
        filler = self.machines[0]
        if fraction == self.supply_loss:
            return
        self.supply_next = self._edge_next(filler, self.supply_loss, fraction, self.supply_next)
        self.supply_loss = fraction
        self._wake(filler, StopReason.STARVED, self.t)

    def set_outfeed_loss(self, fraction: float) -> None:
        """Blocked outfeed: at most ``(1 − fraction)`` × the last machine's speed setpoint leaves (none at 1)."""
        last = self.machines[-1]
        if fraction == self.outfeed_loss:
            return
        self.outfeed_next = self._edge_next(last, self.outfeed_loss, fraction, self.outfeed_next)
        self.outfeed_loss = fraction
        self._wake(last, StopReason.BLOCKED, self.t)

    # -- bookkeeping -----------------------------------------------------------------------
    def wip(self) -> int:
        """Units inside the line: in buffers and in machines."""
        return sum(len(b) for b in self.buffers) + sum(m.unit is not None for m in self.machines)

    def rejected(self) -> int:
        return sum(m.psm.counters.rejected for m in self.machines)

    def snapshot(self) -> dict[str, Any]:
        return {
            "t": self.t, "rng": self.rng.bit_generator.state, "fill_target_g": self.fill_target_g,
            "tolerance_g": self.tolerance_g, "capacities": self.capacities,
            "buffers": [list(b) for b in self.buffers], "entered": self.entered, "out": self.out,
            "lots": self.lots, "last_weight_g": self.last_weight_g, "adjust_t": self.adjust_t,
            "changeover": [self.lot_end_t, self.last_changeover_s],
            "machines": [m.snapshot() for m in self.machines],
            "supply": [self.supply_loss, _enc(self.supply_next)],
            "outfeed": [self.outfeed_loss, _enc(self.outfeed_next)],
        }  # fmt: skip

    def restore(self, snap: dict[str, Any]) -> None:
        self.t = float(snap["t"])
        self.rng.bit_generator.state = snap["rng"]
        self.fill_target_g, self.tolerance_g = float(snap["fill_target_g"]), float(snap["tolerance_g"])
        self.capacities = [int(c) for c in snap["capacities"]]
        self.buffers = [deque(float(w) for w in b) for b in snap["buffers"]]
        self.entered, self.out, self.lots = int(snap["entered"]), int(snap["out"]), int(snap["lots"])
        self.last_weight_g, self.adjust_t = float(snap["last_weight_g"]), float(snap["adjust_t"])
        self.lot_end_t, self.last_changeover_s = (float(v) for v in snap.get("changeover", [-1.0, 0.0]))
        for m, s in zip(self.machines, snap["machines"], strict=True):
            m.restore(s)
        # Snapshots from before fault injection: unlimited infeed and outfeed.
        self.supply_loss, self.supply_next = (_dec(v) for v in snap.get("supply", [0.0, 0.0]))
        self.outfeed_loss, self.outfeed_next = (_dec(v) for v in snap.get("outfeed", [0.0, 0.0]))


__all__ = ["LineCore", "LossModel", "Machine", "MachineSpec", "StopReason"]


def _as_weighed(weight_g: float) -> float:
    """A healthy scale: the checkweigher reads what it weighed."""
    return weight_g
