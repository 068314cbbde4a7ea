"""Logins, lockouts, password changes, tokens and signatures over a real users file and audit trail."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from argon2 import extract_parameters

from access import REFUSED, Authenticator, LoginGuard, LoginRefused, UserStore
from access.auth import _dummy_hash
from audit import Actor, AuditTrail, AuditUnavailable, verify

ADMIN = Actor("cli:root", "admin", "cli")
ALICE_PW = "alice-long-password-1"
BOB_PW = "bob-long-password-22"
CLIENT = "127.0.0.1:53422"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class World:
    store: UserStore
    trail: AuditTrail
    auth: Authenticator
    clock: FakeClock

    def records(self, action: str | None = None) -> list:
        return [r for r in self.trail.records() if action is None or r.action == action]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    trail = AuditTrail(tmp_path / "audit.sqlite", busy_timeout_s=0.2)
    store = UserStore(tmp_path / "users.yaml", trail)
    store.add("alice", "instructor", actor=ADMIN, password=ALICE_PW, display_name="Alice Martin")
    store.add("bob", "student", actor=ADMIN, password=BOB_PW, must_change_password=True)
    clock = FakeClock()
    guard = LoginGuard(max_failures=3, window_s=900, lockout_s=600, clock=clock)
    yield World(store, trail, Authenticator(store, trail, guard), clock)
    trail.close()


def test_login_returns_the_principal_and_is_audited(world: World) -> None:
    p = world.auth.login("alice", ALICE_PW, via="http", client=CLIENT)
    assert (p.name, p.role, p.display_name, p.via, p.client) == ("alice", "instructor", "Alice Martin", "http", CLIENT)
    assert not p.must_change_password
    assert world.auth.login("bob", BOB_PW, via="opcua", client="opc.tcp 127.0.0.1:5 session 1").must_change_password
    (login, _) = world.records("login")
    assert (login.user, login.role, login.via, login.client, login.result) == (
        "alice",
        "instructor",
        "http",
        CLIENT,
        "ok",
    )
    world.auth.logout(p)
    (logout,) = world.records("logout")
    assert logout.user == "alice" and logout.object == "user:alice"


@pytest.mark.parametrize(
    ("name", "password", "why"),
    [
        ("alice", "wrong-password-123", "wrong password"),
        ("mallory", ALICE_PW, "unknown user"),
        ("carol", "", "unknown user"),
    ],
)
def test_a_refusal_never_says_which_part_was_wrong_but_the_audit_does(
    world: World, name: str, password: str, why: str
) -> None:
    with pytest.raises(LoginRefused) as caught:
        world.auth.login(name, password, via="http", client=CLIENT)
    assert str(caught.value) == REFUSED == "unknown user or wrong password"
    (failed,) = world.records("login.failed")
    assert (failed.user, failed.client, failed.result, failed.status) == (name, CLIENT, "refused", "401")
    assert failed.detail == f"login refused: {why}"


def test_a_disabled_user_is_refused_like_a_wrong_password(world: World) -> None:
    world.store.set_disabled("alice", True, actor=ADMIN)
    with pytest.raises(LoginRefused, match=f"^{REFUSED}$"):
        world.auth.login("alice", ALICE_PW, via="opcua", client="opc.tcp 10.0.0.2:4000 session 7")
    (failed,) = world.records("login.failed")
    assert failed.detail == "login refused: disabled user" and failed.status == "BadUserAccessDenied"


def test_unknown_names_cost_one_argon2_verify_with_the_same_parameters(world: World) -> None:
    alice = world.store.get("alice")
    assert alice is not None
    assert extract_parameters(_dummy_hash()) == extract_parameters(alice.password_hash)


def test_lockout_refuses_even_the_right_password_until_it_ends(world: World) -> None:
    for _ in range(2):
        with pytest.raises(LoginRefused, match=REFUSED):
            world.auth.login("alice", "guess-guess-guess", via="http", client=CLIENT)
    with pytest.raises(LoginRefused, match="too many failed logins: try again in 10 min") as locked:
        world.auth.login("alice", "guess-guess-guess", via="http", client=CLIENT)
    assert locked.value.retry_after_s == 600
    world.clock.now = 300
    with pytest.raises(LoginRefused, match="try again in 5 min"):
        world.auth.login("alice", ALICE_PW, via="http", client="10.9.9.9:1")  # right password, other machine
    assert len(world.records("login.failed")) == 4  # each failure audited, the refused right one too
    (lock,) = world.records("login.locked")
    assert lock.user == "alice" and lock.status == "429" and "locked out for 600 s" in lock.detail
    world.clock.now = 600
    assert world.auth.login("alice", ALICE_PW, via="http", client=CLIENT).name == "alice"
    assert verify(world.trail.path).ok


def test_change_password_checks_the_old_one_and_the_strength_and_clears_must_change(world: World) -> None:
    with pytest.raises(LoginRefused, match=REFUSED):
        world.auth.change_password("bob", "not-bobs-password", "a-brand-new-password", client=CLIENT)
    with pytest.raises(ValueError, match="too short"):
        world.auth.change_password("bob", BOB_PW, "short", client=CLIENT)
    with pytest.raises(ValueError, match="default, example or common"):
        world.auth.change_password("bob", BOB_PW, "bob-example-password", client=CLIENT)
    world.auth.change_password("bob", BOB_PW, "a-brand-new-password", client=CLIENT)
    assert not world.auth.login("bob", "a-brand-new-password", via="http", client=CLIENT).must_change_password
    (change,) = world.records("password.change")
    assert (change.user, change.client, change.result, change.new) == (
        "bob",
        CLIENT,
        "ok",
        {"must_change_password": False},
    )
    assert [r.detail for r in world.records("login.failed")] == ["password change refused: wrong password"]


def test_tokens_give_a_principal_until_revoked(world: World) -> None:
    token = world.store.create_token("alice", actor=ADMIN, label="script")
    p = world.auth.principal_for_token(token, client=CLIENT)
    assert p is not None and (p.name, p.role, p.via) == ("alice", "instructor", "http")
    assert world.auth.principal_for_token("gmpt_123456_nope", client=CLIENT) is None
    world.store.revoke_token("alice", token.split("_")[1], actor=ADMIN)
    assert world.auth.principal_for_token(token, client=CLIENT) is None


def test_sign_needs_the_password_again_and_a_known_meaning(world: World) -> None:
    alice = world.auth.login("alice", ALICE_PW, via="dash", client=CLIENT)
    sig = world.auth.sign(alice, ALICE_PW, "approved")
    assert (sig.user, sig.printed_name, sig.meaning) == ("alice", "Alice Martin", "approved")
    assert sig.signed_at.endswith("Z") and "Alice Martin (alice)" in sig.manifestation()
    with pytest.raises(ValueError, match="unknown signature meaning 'ok'"):
        world.auth.sign(alice, ALICE_PW, "ok")
    with pytest.raises(LoginRefused, match=REFUSED):
        world.auth.sign(alice, "not-the-password", "reviewed")
    (failed,) = world.records("signature.failed")
    assert (failed.user, failed.via, failed.result) == ("alice", "dash", "refused")
    assert (
        world.auth.sign(world.auth.login("bob", BOB_PW, via="http", client=CLIENT), BOB_PW, "performed").printed_name
        == "bob"
    )


def test_failed_signatures_count_towards_the_lockout(world: World) -> None:
    alice = world.auth.login("alice", ALICE_PW, via="http", client=CLIENT)
    for _ in range(2):
        with pytest.raises(LoginRefused):
            world.auth.sign(alice, "nope-nope-nope", "approved")
    with pytest.raises(LoginRefused, match="too many failed logins"):
        world.auth.login("alice", "nope-nope-nope", via="http", client=CLIENT)


def test_no_unrecorded_session_when_the_audit_trail_cannot_be_written(world: World) -> None:
    blocker = sqlite3.connect(world.trail.path)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(AuditUnavailable):
            world.auth.login("alice", ALICE_PW, via="http", client=CLIENT)
        with pytest.raises(LoginRefused, match=REFUSED):  # a failure is still refused (and logged)
            world.auth.login("alice", "wrong-password-123", via="http", client=CLIENT)
    finally:
        blocker.rollback()
        blocker.close()
