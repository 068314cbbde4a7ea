"""Roles, principals and the failed-login guard (fake clock: no sleeps)."""

from __future__ import annotations

import pytest

from access import ANONYMOUS, Principal, at_least
from access.guard import LoginGuard, client_host


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("role", "needed", "expected"),
    [
        ("admin", "instructor", True),
        ("admin", "admin", True),
        ("instructor", "student", True),
        ("instructor", "admin", False),
        ("student", "instructor", False),
        ("anonymous", "student", False),
        ("anonymous", "anonymous", True),
        ("teacher", "anonymous", False),  # an unknown role ranks below anonymous
    ],
)
def test_at_least_ranks(role: str, needed: str, expected: bool) -> None:
    assert at_least(role, needed) is expected


def test_unknown_needed_role_is_an_error_not_a_grant() -> None:
    with pytest.raises(ValueError, match="unknown role 'instructr'"):
        at_least("admin", "instructr")


def test_principal_actor_carries_name_role_channel_and_client() -> None:
    p = Principal("ines", "instructor", "Inès Dupont", via="opcua", client="opc.tcp 127.0.0.1:50122 session ns=1;i=12")
    actor = p.actor()
    assert (actor.user, actor.role, actor.via, actor.client) == ("ines", "instructor", "opcua", p.client)
    assert p.actor(via="dash").via == "dash"
    assert not ANONYMOUS.may("student") and ANONYMOUS.may("anonymous")


@pytest.mark.parametrize(
    ("client", "host"),
    [
        ("127.0.0.1:53422", "127.0.0.1"),
        ("opc.tcp 10.0.0.5:50122 session ns=1;i=12", "10.0.0.5"),
        ("[::1]:8050", "::1"),
        ("::1", "::1"),
        ("testclient", "testclient"),
        ("", ""),
    ],
)
def test_client_host_drops_the_port(client: str, host: str) -> None:
    assert client_host(client) == host


def test_a_user_name_locks_after_max_failures_from_any_client_until_the_lockout_ends() -> None:
    clock = FakeClock()
    guard = LoginGuard(max_failures=3, window_s=60, lockout_s=300, clock=clock)
    assert not guard.failed("alice", "10.0.0.1:1000")
    assert not guard.failed("Alice", "10.0.0.2:1000")  # names are case-insensitive
    assert guard.locked("alice", "10.0.0.3:1") == 0.0
    assert guard.failed("alice", "10.0.0.3:1000")  # the third locks
    assert guard.locked("alice", "10.0.0.9:2000") == 300.0
    assert guard.locked("bob", "10.0.0.9:2000") == 0.0  # another name from another host is free
    clock.now += 120
    assert not guard.failed("alice", "10.0.0.1:1000")  # tries while locked do not extend the lock
    assert guard.locked("alice", "10.0.0.1:1") == 180.0
    clock.now += 180
    assert guard.locked("alice", "10.0.0.1:1") == 0.0


def test_failures_older_than_the_window_do_not_count() -> None:
    clock = FakeClock()
    guard = LoginGuard(max_failures=3, window_s=60, lockout_s=300, clock=clock)
    guard.failed("alice", "h1:1")
    guard.failed("alice", "h1:2")
    clock.now += 61
    assert not guard.failed("alice", "h1:3")  # the first two slid out of the window
    assert guard.locked("alice", "h1:3") == 0.0


def test_one_client_host_locks_after_its_own_limit_whatever_the_names() -> None:
    clock = FakeClock()
    guard = LoginGuard(max_failures=3, window_s=60, lockout_s=300, clock=clock, max_client_failures=4)
    results = [guard.failed(f"user{i}", f"10.0.0.7:{5000 + i}") for i in range(4)]  # new port each try
    assert results == [False, False, False, True]
    assert guard.locked("someone-else", "10.0.0.7:9999") == 300.0
    assert guard.locked("someone-else", "10.0.0.8:9999") == 0.0


def test_success_resets_the_name_but_not_the_client_host() -> None:
    clock = FakeClock()
    guard = LoginGuard(max_failures=2, window_s=60, lockout_s=300, clock=clock, max_client_failures=3)
    guard.failed("alice", "10.0.0.7:1")
    guard.succeeded("alice", "10.0.0.7:2")
    assert not guard.failed("alice", "10.0.0.7:3")  # alice starts again from zero...
    assert guard.failed("bob", "10.0.0.7:4")  # ...the host does not: its third failure locks it


def test_success_does_not_lift_a_lockout() -> None:
    clock = FakeClock()
    guard = LoginGuard(max_failures=1, window_s=60, lockout_s=300, clock=clock)
    assert guard.failed("alice", "h:1")
    guard.succeeded("alice", "h:1")
    assert guard.locked("alice", "h:1") == 300.0


def test_default_client_limit_is_four_times_the_name_limit() -> None:
    assert LoginGuard(max_failures=5).max_client_failures == 20
    with pytest.raises(ValueError):
        LoginGuard(max_failures=0)
