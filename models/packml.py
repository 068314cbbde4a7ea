"""PackML state machine (ISA-TR88.00.02-2015) with OPC 30060 state numbers and PackTags-like counters.

States use the **OPC 30060 numbering** (the OPC UA PackML companion specification):
Stopped 0, Resetting 1, Idle 2, Starting 3, Execute 4, Completing 5, Complete 6, Aborting 7,
Aborted 8, Stopping 9, Clearing 10, Suspending 11, Suspended 12, Unsuspending 13, Holding 14,
Held 15, Unholding 16. (PackTags v3 ``StateCurrent`` numbers them differently — Clearing 1,
Stopped 2, … — and is *not* used here.) Commands carry the PackTags ``CntrlCmd`` numbers
(Reset 1, Start 2, Stop 3, Hold 4, Unhold 5, Suspend 6, Unsuspend 7, Abort 8, Clear 9,
Complete 10); unit modes the PackTags ``UnitMode`` numbers (Production 1, Maintenance 2,
Manual 3).

Arcs (only these; :data:`COMMAND_ARCS` and :data:`SC_ARCS` are the whole table)
------------------------------------------------------------------------------
* Commands: Reset (Stopped, Complete → Resetting), Start (Idle → Starting), Suspend (Execute →
  Suspending), Unsuspend (Suspended → Unsuspending), Hold (Execute → Holding, plus the 2015
  model's Hold arcs from Starting, Suspending, Suspended, Unsuspending and Unholding, which OPC
  UA PackML lists as transitions StartingToHolding … UnholdingToHolding), Unhold (Held →
  Unholding), Complete (Execute → Completing: the command form of Execute's own state complete,
  OPC UA method ``ToComplete``), Stop (every state of the Running super-state — Resetting,
  Idle, Starting, Execute, Completing, Complete, Suspending, Suspended, Unsuspending, Holding,
  Held, Unholding — → Stopping), Abort (every state except Aborting and Aborted → Aborting),
  Clear (Aborted → Clearing).
* State complete (SC) of the acting states: Resetting → Idle, Starting → Execute, Completing →
  Complete, Suspending → Suspended, Unsuspending → Execute, Holding → Held, Unholding →
  Execute, Stopping → Stopped, Clearing → Stopped, Aborting → Aborted, and Execute → Completing
  (production done).

An illegal command raises :class:`IllegalCommandError` (a ``ValueError``) naming the state and
the commands allowed there; :meth:`PackMLStateMachine.try_command` is the non-raising form
(returns ``False``). Acting states complete by themselves after a duration (``durations``;
``math.inf`` = only on an explicit :meth:`~PackMLStateMachine.state_complete`); Execute never
completes by itself. The unit mode may change only where the machine is at rest: Stopped,
Idle, Aborted (TR88 leaves this to the machine builder; this is the common convention).

Examples
--------
>>> sm = PackMLStateMachine(durations={PackMLState.RESETTING: 2.0, PackMLState.STARTING: 1.0})
>>> sm.state
<PackMLState.STOPPED: 0>
>>> sm.command(PackMLCommand.RESET)
<PackMLState.RESETTING: 1>
>>> sm.advance(2.0); sm.state
<PackMLState.IDLE: 2>
>>> sm.command("start")
<PackMLState.STARTING: 3>
>>> sm.advance(1.0); sm.state, sm.state_time_s[PackMLState.STARTING]
(<PackMLState.EXECUTE: 4>, 1.0)
>>> sm.command("Unhold")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
models.packml.IllegalCommandError: Unhold is not allowed in state Execute (4); allowed there: Stop, Hold, Suspend, ...
>>> sm.counters.count(good=3, rejected=1); sm.counters
PackTags(produced=4, good=3, rejected=1)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any


class PackMLState(IntEnum):
    """PackML states, OPC 30060 numbering (not PackTags v3 ``StateCurrent``)."""

    STOPPED = 0
    RESETTING = 1
    IDLE = 2
    STARTING = 3
    EXECUTE = 4
    COMPLETING = 5
    COMPLETE = 6
    ABORTING = 7
    ABORTED = 8
    STOPPING = 9
    CLEARING = 10
    SUSPENDING = 11
    SUSPENDED = 12
    UNSUSPENDING = 13
    HOLDING = 14
    HELD = 15
    UNHOLDING = 16

    @property
    def title(self) -> str:
        """Display name, e.g. ``"Execute"``."""
        return self.name.title()

    @classmethod
    def parse(cls, value: int | str | PackMLState) -> PackMLState:
        """A state from its OPC 30060 number or its name (any case).

        >>> PackMLState.parse("held"), PackMLState.parse("4"), PackMLState.parse(12)
        (<PackMLState.HELD: 15>, <PackMLState.EXECUTE: 4>, <PackMLState.SUSPENDED: 12>)
        """
        if isinstance(value, cls):
            return value
        text = str(value).strip()
        try:
            number = float(text)
        except ValueError:
            key = text.upper().replace(" ", "").replace("_", "").replace("-", "")
            for s in cls:
                if s.name == key:
                    return s
            raise ValueError(
                f"unknown PackML state {value!r}; use a name ({', '.join(s.name.title() for s in cls)}) "
                "or its OPC 30060 number 0-16"
            ) from None
        if number.is_integer() and 0 <= number <= 16:
            return cls(int(number))
        raise ValueError(f"unknown PackML state number {value!r}; OPC 30060 numbers are 0-16")


class PackMLCommand(IntEnum):
    """PackML commands, PackTags ``CntrlCmd`` numbering (0 = no command)."""

    RESET = 1
    START = 2
    STOP = 3
    HOLD = 4
    UNHOLD = 5
    SUSPEND = 6
    UNSUSPEND = 7
    ABORT = 8
    CLEAR = 9
    COMPLETE = 10

    @classmethod
    def parse(cls, value: int | float | str | PackMLCommand) -> PackMLCommand:
        """A command from its number or its name (any case).

        >>> PackMLCommand.parse("unhold"), PackMLCommand.parse(2.0)
        (<PackMLCommand.UNHOLD: 5>, <PackMLCommand.START: 2>)
        """
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            try:
                return cls[value.strip().upper()]
            except KeyError:
                pass
        elif float(value).is_integer() and int(value) in cls._value2member_map_:
            return cls(int(value))
        allowed = ", ".join(f"{c.value} {c.name.title()}" for c in cls)
        raise ValueError(f"unknown PackML command {value!r}; allowed: {allowed}")


class PackMLMode(IntEnum):
    """Unit modes, PackTags ``UnitMode`` numbering."""

    PRODUCTION = 1
    MAINTENANCE = 2
    MANUAL = 3


S, C = PackMLState, PackMLCommand

#: The Running super-state: where Stop is allowed.
RUNNING_STATES: frozenset[PackMLState] = frozenset({
    S.RESETTING, S.IDLE, S.STARTING, S.EXECUTE, S.COMPLETING, S.COMPLETE, S.SUSPENDING,
    S.SUSPENDED, S.UNSUSPENDING, S.HOLDING, S.HELD, S.UNHOLDING,
})  # fmt: skip

#: Acting states: they end by a state complete (SC). Execute's SC is "production done".
ACTING_STATES: frozenset[PackMLState] = frozenset({
    S.RESETTING, S.STARTING, S.EXECUTE, S.COMPLETING, S.ABORTING, S.STOPPING, S.CLEARING,
    S.SUSPENDING, S.UNSUSPENDING, S.HOLDING, S.UNHOLDING,
})  # fmt: skip

#: Wait states: left only by a command.
WAIT_STATES: frozenset[PackMLState] = frozenset(S) - ACTING_STATES

#: State-complete arcs of the acting states.
SC_ARCS: Mapping[PackMLState, PackMLState] = {
    S.RESETTING: S.IDLE, S.STARTING: S.EXECUTE, S.EXECUTE: S.COMPLETING, S.COMPLETING: S.COMPLETE,
    S.SUSPENDING: S.SUSPENDED, S.UNSUSPENDING: S.EXECUTE, S.HOLDING: S.HELD, S.UNHOLDING: S.EXECUTE,
    S.STOPPING: S.STOPPED, S.CLEARING: S.STOPPED, S.ABORTING: S.ABORTED,
}  # fmt: skip


def _command_arcs() -> dict[tuple[PackMLState, PackMLCommand], PackMLState]:
    arcs = {
        (S.STOPPED, C.RESET): S.RESETTING,
        (S.COMPLETE, C.RESET): S.RESETTING,
        (S.IDLE, C.START): S.STARTING,
        (S.EXECUTE, C.SUSPEND): S.SUSPENDING,
        (S.SUSPENDED, C.UNSUSPEND): S.UNSUSPENDING,
        (S.HELD, C.UNHOLD): S.UNHOLDING,
        (S.EXECUTE, C.COMPLETE): S.COMPLETING,
        (S.ABORTED, C.CLEAR): S.CLEARING,
    }
    for s in (S.EXECUTE, S.STARTING, S.SUSPENDING, S.SUSPENDED, S.UNSUSPENDING, S.UNHOLDING):
        arcs[(s, C.HOLD)] = S.HOLDING
    for s in RUNNING_STATES:
        arcs[(s, C.STOP)] = S.STOPPING
    for s in S:
        if s not in (S.ABORTING, S.ABORTED):
            arcs[(s, C.ABORT)] = S.ABORTING
    return arcs


#: Command arcs: ``(state, command) → next state``; any pair not listed is illegal.
COMMAND_ARCS: Mapping[tuple[PackMLState, PackMLCommand], PackMLState] = _command_arcs()

#: States where the unit mode may change (the machine is at rest).
MODE_CHANGE_STATES: frozenset[PackMLState] = frozenset({S.STOPPED, S.IDLE, S.ABORTED})

#: Default durations of the acting states, seconds (Execute has none: it ends on SC/Complete).
DEFAULT_DURATIONS_S: Mapping[PackMLState, float] = {
    S.RESETTING: 2.0, S.STARTING: 3.0, S.COMPLETING: 2.0, S.ABORTING: 1.0, S.STOPPING: 2.0,
    S.CLEARING: 2.0, S.SUSPENDING: 0.5, S.UNSUSPENDING: 0.5, S.HOLDING: 0.5, S.UNHOLDING: 1.0,
}  # fmt: skip

# Fast lookup tables indexed by state number / [state][command].
_NEXT: list[list[int]] = [[-1] * 11 for _ in range(17)]
for (_s, _c), _n in COMMAND_ARCS.items():
    _NEXT[_s][_c] = int(_n)
_ALLOWED: list[tuple[PackMLCommand, ...]] = [tuple(c for c in C if _NEXT[s][c] >= 0) for s in range(17)]


class IllegalCommandError(ValueError):
    """A command that has no arc from the current state."""


@dataclass
class PackTags:
    """Cumulative production counters, like PackTags ``ProdProcessedCount`` / ``ProdDefectiveCount``.

    ``produced = good + rejected`` always holds: :meth:`count` is the only way to add.
    """

    produced: int = 0
    good: int = 0
    rejected: int = 0

    def count(self, good: int = 0, rejected: int = 0) -> None:
        """Add ``good`` and ``rejected`` items (both ≥ 0)."""
        if good < 0 or rejected < 0:
            raise ValueError("counters only increase: good and rejected must be >= 0")
        self.good += good
        self.rejected += rejected
        self.produced += good + rejected


def _state(value: int | str | PackMLState) -> PackMLState:
    if isinstance(value, str):
        try:
            return S[value.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown PackML state {value!r}; use one of {', '.join(s.title for s in S)}") from None
    return S(int(value))


class PackMLStateMachine:
    """One machine's PackML state, unit mode, state timers and counters.

    Parameters
    ----------
    state : PackMLState or str
        Initial state (default Stopped).
    mode : PackMLMode
        Initial unit mode (default Production).
    durations : mapping, optional
        Seconds each acting state lasts before its SC (overrides of
        :data:`DEFAULT_DURATIONS_S`; ``0`` = passes through at once, ``math.inf`` = waits for
        :meth:`state_complete`). Keys are states or state names.
    t0 : float
        Initial clock, seconds.

    Attributes
    ----------
    t : float
        The machine's clock (simulated seconds); moved by :meth:`advance` / :meth:`advance_to`.
    entered_t : float
        When the current state was entered.
    state_time_s : list of float
        Cumulative seconds spent in each state (index = OPC 30060 number), up to ``t``.
    transitions : int
        Number of state changes so far.
    counters : PackTags
        Produced / good / rejected.
    on_change : callable or None
        ``on_change(t, old, new)`` after every state change (not part of a snapshot).

    Examples
    --------
    Acting states with zero duration pass through at once; the time bookkeeping stays exact.

    >>> sm = PackMLStateMachine("Execute", durations={"Suspending": 0.0, "Unsuspending": 4.0})
    >>> sm.command("Suspend"); sm.advance(10.0); sm.command("Unsuspend")
    <PackMLState.SUSPENDED: 12>
    <PackMLState.UNSUSPENDING: 13>
    >>> sm.sc_due, sm.advance_to(14.0), sm.state
    (14.0, None, <PackMLState.EXECUTE: 4>)
    >>> sm.state_time_s[PackMLState.SUSPENDED], sm.state_time_s[PackMLState.UNSUSPENDING]
    (10.0, 4.0)
    """

    def __init__(
        self,
        state: PackMLState | str = S.STOPPED,
        mode: PackMLMode = PackMLMode.PRODUCTION,
        durations: Mapping[PackMLState, float] | Mapping[str, float] | None = None,
        t0: float = 0.0,
    ) -> None:
        self._dur = [math.inf] * 17
        for s, d in DEFAULT_DURATIONS_S.items():
            self._dur[s] = d
        for key, d in (durations or {}).items():
            s = _state(key)
            if s not in ACTING_STATES or s == S.EXECUTE:
                raise ValueError(f"only acting states other than Execute have a duration, not {s.title}")
            if not (d >= 0.0):
                raise ValueError(f"duration of {s.title} must be >= 0 s, got {d!r}")
            self._dur[s] = float(d)
        self._state = int(_state(state))
        self.mode = PackMLMode(mode)
        self.t = float(t0)
        self.entered_t = float(t0)
        self.state_time_s: list[float] = [0.0] * 17
        self.transitions = 0
        self.counters = PackTags()
        self.on_change: Callable[[float, PackMLState, PackMLState], None] | None = None

    # -- queries -------------------------------------------------------------------------
    @property
    def state(self) -> PackMLState:
        """Current state."""
        return S(self._state)

    @property
    def state_number(self) -> int:
        """Current state as its OPC 30060 number (fast, no enum)."""
        return self._state

    @property
    def durations(self) -> dict[PackMLState, float]:
        """Duration of each acting state (Execute excluded), seconds."""
        return {S(s): self._dur[s] for s in ACTING_STATES if s != S.EXECUTE}

    @property
    def sc_due(self) -> float:
        """Clock time at which the current acting state completes by itself (``inf`` = never)."""
        return self.entered_t + self._dur[self._state]

    @property
    def time_in_state_s(self) -> float:
        return self.t - self.entered_t

    def allowed_commands(self) -> tuple[PackMLCommand, ...]:
        """Commands with an arc from the current state."""
        return _ALLOWED[self._state]

    def can(self, command: PackMLCommand | int | str) -> bool:
        return _NEXT[self._state][PackMLCommand.parse(command)] >= 0

    # -- transitions ---------------------------------------------------------------------
    def _enter(self, new: int) -> None:
        old = self._state
        self.state_time_s[old] += self.t - self.entered_t
        self._state = new
        self.entered_t = self.t
        self.transitions += 1
        if self.on_change is not None:
            self.on_change(self.t, S(old), S(new))

    def command(self, command: PackMLCommand | int | str) -> PackMLState:
        """Apply a command at the current clock; return the new state.

        Raises
        ------
        IllegalCommandError
            The command has no arc from the current state (the message lists those that do).
        """
        cmd = PackMLCommand.parse(command)
        new = _NEXT[self._state][cmd]
        if new < 0:
            allowed = ", ".join(c.name.title() for c in _ALLOWED[self._state]) or "nothing"
            raise IllegalCommandError(
                f"{cmd.name.title()} is not allowed in state {S(self._state).title} ({self._state}); "
                f"allowed there: {allowed}"
            )
        self._enter(new)
        self.advance_to(self.t)  # zero-duration acting states pass through
        return S(self._state)

    def try_command(self, command: PackMLCommand | int | str) -> bool:
        """Like :meth:`command` but return ``False`` (and change nothing) when illegal."""
        cmd = PackMLCommand.parse(command)
        if _NEXT[self._state][cmd] < 0:
            return False
        self.command(cmd)
        return True

    def state_complete(self) -> PackMLState:
        """Signal SC of the current acting state now (Execute → Completing included).

        Raises
        ------
        IllegalCommandError
            In a wait state (Stopped, Idle, Complete, Aborted, Suspended, Held), which only a
            command leaves.
        """
        nxt = SC_ARCS.get(S(self._state))
        if nxt is None:
            raise IllegalCommandError(f"{S(self._state).title} is a wait state: no state complete, only a command")
        self._enter(int(nxt))
        self.advance_to(self.t)
        return S(self._state)

    def advance(self, dt: float) -> None:
        """Move the clock by ``dt`` seconds, completing acting states whose duration ran out."""
        self.advance_to(self.t + dt)

    def advance_to(self, t: float) -> None:
        """Move the clock to ``t`` (not backwards), completing due acting states at their exact times."""
        if t < self.t:
            raise ValueError(f"time went backwards ({t} < {self.t})")
        dur = self._dur
        while True:
            due = self.entered_t + dur[self._state]
            if due > t:
                break
            self.t = due
            self._enter(int(SC_ARCS[S(self._state)]))
        self.t = t

    def set_mode(self, mode: PackMLMode | int) -> None:
        """Change the unit mode; only at rest (Stopped, Idle, Aborted)."""
        new = PackMLMode(int(mode))
        if new != self.mode and S(self._state) not in MODE_CHANGE_STATES:
            raise IllegalCommandError(
                f"unit mode can change only in Stopped, Idle or Aborted, not in {S(self._state).title}"
            )
        self.mode = new

    def closed_state_times(self) -> list[float]:
        """:attr:`state_time_s` including the running time of the current state."""
        out = list(self.state_time_s)
        out[self._state] += self.t - self.entered_t
        return out

    # -- persistence ---------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """Whole state as JSON-able data (``inf`` durations as ``None``)."""
        return {
            "state": self._state, "mode": int(self.mode), "t": self.t, "entered_t": self.entered_t,
            "state_time_s": list(self.state_time_s), "transitions": self.transitions,
            "counters": [self.counters.produced, self.counters.good, self.counters.rejected],
            "durations": [None if math.isinf(d) else d for d in self._dur],
        }  # fmt: skip

    def restore(self, snap: dict[str, Any]) -> None:
        """Restore a state produced by :meth:`snapshot`.

        >>> a = PackMLStateMachine("Idle"); _ = a.command("Start"); a.advance(1.0)
        >>> b = PackMLStateMachine(); b.restore(a.snapshot()); b.state, b.t, b.sc_due
        (<PackMLState.STARTING: 3>, 1.0, 3.0)
        """
        self._state = int(S(int(snap["state"])))
        self.mode = PackMLMode(int(snap["mode"]))
        self.t = float(snap["t"])
        self.entered_t = float(snap["entered_t"])
        self.state_time_s = [float(v) for v in snap["state_time_s"]]
        self.transitions = int(snap["transitions"])
        produced, good, rejected = (int(v) for v in snap["counters"])
        self.counters = PackTags(produced, good, rejected)
        self._dur = [math.inf if d is None else float(d) for d in snap["durations"]]

    def __repr__(self) -> str:
        return f"PackMLStateMachine({S(self._state).title}, {self.mode.name.title()}, t={self.t:g})"


__all__ = [
    "ACTING_STATES", "COMMAND_ARCS", "DEFAULT_DURATIONS_S", "MODE_CHANGE_STATES", "RUNNING_STATES",
    "SC_ARCS", "WAIT_STATES", "IllegalCommandError", "PackMLCommand", "PackMLMode", "PackMLState",
    "PackMLStateMachine", "PackTags",
]  # fmt: skip
