"""PackML state machine: only the standard's arcs, exhaustively over states × commands."""

from __future__ import annotations

import json
import math

import pytest

from analytics.oee import PackMLState as OeePackMLState
from models.packml import (
    COMMAND_ARCS,
    IllegalCommandError,
    PackMLCommand,
    PackMLMode,
    PackMLState,
    PackMLStateMachine,
    PackTags,
)

# The arcs of ISA-TR88.00.02-2015 as listed by OPC UA PackML (its transition objects), written
# out here independently of the module: (state, command) -> next state.
RUNNING = [
    "Resetting",
    "Idle",
    "Starting",
    "Execute",
    "Completing",
    "Complete",
    "Suspending",
    "Suspended",
    "Unsuspending",
    "Holding",
    "Held",
    "Unholding",
]
EXPECTED: dict[tuple[str, str], str] = {
    ("Stopped", "Reset"): "Resetting",
    ("Complete", "Reset"): "Resetting",
    ("Idle", "Start"): "Starting",
    ("Execute", "Suspend"): "Suspending",
    ("Suspended", "Unsuspend"): "Unsuspending",
    ("Execute", "Hold"): "Holding",
    ("Starting", "Hold"): "Holding",
    ("Suspending", "Hold"): "Holding",
    ("Suspended", "Hold"): "Holding",
    ("Unsuspending", "Hold"): "Holding",
    ("Unholding", "Hold"): "Holding",
    ("Held", "Unhold"): "Unholding",
    ("Execute", "Complete"): "Completing",
    ("Aborted", "Clear"): "Clearing",
    **{(s, "Stop"): "Stopping" for s in RUNNING},
    **{(s, "Abort"): "Aborting" for s in [*RUNNING, "Stopped", "Stopping", "Clearing"]},
}
SC_EXPECTED = {
    "Resetting": "Idle", "Starting": "Execute", "Completing": "Complete", "Suspending": "Suspended",
    "Unsuspending": "Execute", "Holding": "Held", "Unholding": "Execute", "Stopping": "Stopped",
    "Clearing": "Stopped", "Aborting": "Aborted",
}  # fmt: skip
WAIT = ["Stopped", "Idle", "Complete", "Aborted", "Suspended", "Held"]


def st(name: str) -> PackMLState:
    return PackMLState[name.upper()]


def test_opc_30060_numbering_matches_the_oee_module() -> None:
    assert [(s.name, s.value) for s in PackMLState] == [(s.name, s.value) for s in OeePackMLState]
    assert [s.value for s in PackMLState] == list(range(17))
    assert (PackMLState.STOPPED, PackMLState.EXECUTE, PackMLState.HELD) == (0, 4, 15)


@pytest.mark.parametrize("state", list(PackMLState), ids=lambda s: s.title)
@pytest.mark.parametrize("command", list(PackMLCommand), ids=lambda c: c.name.title())
def test_every_state_and_command(state: PackMLState, command: PackMLCommand) -> None:
    sm = PackMLStateMachine(state, durations={s: math.inf for s in SC_EXPECTED})
    key = (state.title, command.name.title())
    if key in EXPECTED:
        assert sm.can(command)
        assert sm.command(command) == st(EXPECTED[key])
        assert sm.transitions == 1
    else:
        assert not sm.can(command)
        with pytest.raises(IllegalCommandError, match=f"{command.name.title()} is not allowed in state {state.title}"):
            sm.command(command)
        assert sm.state == state and sm.transitions == 0
        assert sm.try_command(command) is False and sm.state == state


def test_table_has_exactly_the_standard_arcs() -> None:
    got = {(s.title, c.name.title()): n.title for (s, c), n in COMMAND_ARCS.items()}
    assert got == EXPECTED
    assert len(EXPECTED) == 8 + 6 + 12 + 15


def test_illegal_command_message_lists_allowed_commands() -> None:
    sm = PackMLStateMachine("Held")
    msg = r"Start is not allowed in state Held \(15\); allowed there: Stop, Unhold, Abort"
    with pytest.raises(ValueError, match=msg):
        sm.command("Start")


@pytest.mark.parametrize("state", list(SC_EXPECTED))
def test_acting_states_complete_after_their_duration(state: str) -> None:
    sm = PackMLStateMachine(state, durations={state: 2.5})
    sm.advance(2.0)
    assert sm.state == st(state)
    sm.advance(0.5)
    assert sm.state == st(SC_EXPECTED[state])
    assert sm.state_time_s[st(state)] == 2.5


@pytest.mark.parametrize("state", [*WAIT, "Execute"])
def test_wait_states_and_execute_never_complete_by_themselves(state: str) -> None:
    sm = PackMLStateMachine(state)
    sm.advance(1e6)
    assert sm.state == st(state) and sm.transitions == 0


@pytest.mark.parametrize("state", WAIT)
def test_state_complete_is_refused_in_wait_states(state: str) -> None:
    with pytest.raises(IllegalCommandError, match="wait state"):
        PackMLStateMachine(state).state_complete()


def test_execute_state_complete_goes_to_completing() -> None:
    sm = PackMLStateMachine("Execute", durations={"Completing": math.inf})
    assert sm.state_complete() == PackMLState.COMPLETING
    assert sm.state_complete() == PackMLState.COMPLETE


def test_full_cycle_and_exact_time_bookkeeping() -> None:
    sm = PackMLStateMachine(durations={"Resetting": 1.0, "Starting": 2.0, "Completing": 3.0})
    changes: list[tuple[float, PackMLState, PackMLState]] = []
    sm.on_change = lambda t, a, b: changes.append((t, a, b))
    sm.command("Reset")
    sm.advance(5.0)  # Resetting 1 s, Idle 4 s
    sm.command("Start")
    sm.advance(10.0)  # Starting 2 s, Execute 8 s
    sm.command("Complete")
    sm.advance(4.0)  # Completing 3 s, Complete 1 s
    assert sm.state == PackMLState.COMPLETE
    times = sm.closed_state_times()
    assert sum(times) == pytest.approx(19.0)
    assert times[PackMLState.IDLE] == 4.0 and times[PackMLState.EXECUTE] == 8.0 and times[PackMLState.COMPLETE] == 1.0
    assert [(t, b.title) for t, _, b in changes] == [
        (0.0, "Resetting"), (1.0, "Idle"), (5.0, "Starting"), (7.0, "Execute"), (15.0, "Completing"),
        (18.0, "Complete"),
    ]  # fmt: skip


def test_zero_durations_pass_through_at_once() -> None:
    sm = PackMLStateMachine("Held", durations={"Unholding": 0.0})
    assert sm.command("Unhold") == PackMLState.EXECUTE
    assert sm.transitions == 2


def test_modes_change_only_at_rest() -> None:
    sm = PackMLStateMachine("Stopped")
    sm.set_mode(PackMLMode.MAINTENANCE)
    assert sm.mode == PackMLMode.MAINTENANCE
    for state in PackMLState:
        other = PackMLStateMachine(state)
        if state.title in ("Stopped", "Idle", "Aborted"):
            other.set_mode(PackMLMode.MANUAL)
            assert other.mode == PackMLMode.MANUAL
        else:
            with pytest.raises(IllegalCommandError, match="unit mode can change only"):
                other.set_mode(PackMLMode.MANUAL)
            assert other.mode == PackMLMode.PRODUCTION
    assert [m.value for m in PackMLMode] == [1, 2, 3]


def test_command_parsing_and_bad_input() -> None:
    assert PackMLCommand.parse("  suspend ") == PackMLCommand.SUSPEND
    assert PackMLCommand.parse(10) == PackMLCommand.COMPLETE
    with pytest.raises(ValueError, match="unknown PackML command 11"):
        PackMLCommand.parse(11)
    with pytest.raises(ValueError, match="unknown PackML command 'jog'"):
        PackMLCommand.parse("jog")
    with pytest.raises(ValueError, match="duration of Resetting must be >= 0"):
        PackMLStateMachine(durations={"Resetting": -1.0})
    with pytest.raises(ValueError, match="only acting states"):
        PackMLStateMachine(durations={"Idle": 1.0})
    with pytest.raises(ValueError, match="time went backwards"):
        PackMLStateMachine(t0=5.0).advance_to(4.0)


def test_counters_add_up() -> None:
    c = PackTags()
    c.count(good=5)
    c.count(rejected=2)
    c.count(good=1, rejected=1)
    assert (c.produced, c.good, c.rejected) == (9, 6, 3)
    with pytest.raises(ValueError, match="only increase"):
        c.count(good=-1)


def test_snapshot_restore_continues_identically() -> None:
    a = PackMLStateMachine("Idle", durations={"Starting": 3.0})
    a.command("Start")
    a.advance(1.0)
    a.counters.count(good=3, rejected=1)
    b = PackMLStateMachine()
    b.restore(json.loads(json.dumps(a.snapshot())))
    for sm in (a, b):
        sm.advance(2.5)
        sm.command("Suspend")
    assert a.snapshot() == b.snapshot()
    assert b.state == PackMLState.SUSPENDING and b.counters == PackTags(4, 3, 1)
