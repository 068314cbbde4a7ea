"""The users file and its store: validation errors with file and line, atomic locked writes,
reload on change, API tokens, and every change audited in a real audit trail."""

from __future__ import annotations

import sqlite3
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from access import UserStore, hash_password, verify_password
from access.store import token_digest
from audit import Actor, AuditTrail, AuditUnavailable
from config_schema.files import ConfigError

ADMIN = Actor("cli:root", "admin", "cli")
PW = "correct-horse-battery"


@pytest.fixture
def trail(tmp_path: Path) -> Iterator[AuditTrail]:
    audit = AuditTrail(tmp_path / "audit.sqlite", busy_timeout_s=0.2)
    yield audit
    audit.close()


def _records(trail: AuditTrail) -> list[tuple[str, str, str, str]]:
    return [(r.action, r.object, r.user, r.result) for r in trail.records()]


def test_add_writes_an_argon2_hash_never_the_password_mode_0600(tmp_path: Path) -> None:
    store = UserStore(tmp_path / "data" / "users.yaml")
    assert not store.exists() and store.users() == []
    assert store.add("alice", "instructor", actor=ADMIN, password=PW, display_name="Alice Martin") == PW
    text = store.path.read_text()
    assert PW not in text and "$argon2id$" in text
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    alice = store.get("ALICE")  # case-insensitive lookup
    assert alice is not None and alice.role == "instructor" and alice.display_name == "Alice Martin"
    assert alice.created.endswith("Z") and verify_password(PW, alice.password_hash)
    assert not list(store.path.parent.glob(".users.yaml.*.tmp"))  # no temporary file left behind


def test_add_generates_a_password_when_none_is_given(tmp_path: Path) -> None:
    store = UserStore(tmp_path / "users.yaml")
    password = store.add("bob", "student", actor=ADMIN, must_change_password=True)
    bob = store.get("bob")
    assert bob is not None and bob.must_change_password and verify_password(password, bob.password_hash)


@pytest.mark.parametrize(
    ("name", "role", "message"),
    [
        ("Alice", "student", "user 'Alice' already exists"),
        ("bad name", "student", "invalid user name 'bad name'"),
        ("carol", "teacher", "invalid role 'teacher'"),
    ],
)
def test_add_refusals_are_audited_and_leave_the_file_alone(
    tmp_path: Path, trail: AuditTrail, name: str, role: str, message: str
) -> None:
    store = UserStore(tmp_path / "users.yaml", trail)
    store.add("alice", "instructor", actor=ADMIN, password=PW)
    before = store.path.read_bytes()
    with pytest.raises(ValueError, match=message):
        store.add(name, role, actor=ADMIN, password=PW)
    assert store.path.read_bytes() == before
    assert _records(trail) == [
        ("user.add", "user:alice", "cli:root", "ok"),
        ("user.add", f"user:{name}", "cli:root", "refused"),
    ]


def test_every_change_is_audited_with_old_and_new_values_and_no_secret(tmp_path: Path, trail: AuditTrail) -> None:
    store = UserStore(tmp_path / "users.yaml", trail)
    store.add("sam", "student", actor=ADMIN, password=PW, display_name="Sam Martin")
    store.set_role("sam", "instructor", actor=ADMIN)
    store.set_disabled("sam", True, actor=ADMIN)
    store.set_disabled("sam", False, actor=ADMIN)
    store.set_password("sam", "another-long-password", actor=ADMIN, must_change_password=True)
    token = store.create_token("sam", actor=ADMIN, label="grading")
    token_id = token.split("_")[1]
    store.revoke_token("sam", token_id, actor=ADMIN)
    records = list(trail.records())
    assert [(r.action, r.old, r.new) for r in records] == [
        ("user.add", None, {"role": "student", "display_name": "Sam Martin", "must_change_password": False}),
        ("user.role", "student", "instructor"),
        ("user.disable", False, True),
        ("user.enable", True, False),
        ("user.passwd", None, {"must_change_password": True}),
        ("token.create", None, {"id": token_id, "label": "grading"}),
        ("token.revoke", {"id": token_id}, None),
    ]
    assert all(r.object == "user:sam" and r.via == "cli" and r.result == "ok" for r in records)
    dumped = repr([r.as_dict() for r in records])
    assert "$argon2" not in dumped and token not in dumped and PW not in dumped
    sam = store.get("sam")
    assert sam is not None and sam.role == "instructor" and not sam.disabled and sam.must_change_password


def test_changes_of_an_unknown_user_are_refused(tmp_path: Path, trail: AuditTrail) -> None:
    store = UserStore(tmp_path / "users.yaml", trail)
    store.add("sam", "student", actor=ADMIN, password=PW)
    with pytest.raises(ValueError, match="no user 'nobody'"):
        store.set_role("nobody", "admin", actor=ADMIN)
    with pytest.raises(ValueError, match="has no token 'abcdef'"):
        store.revoke_token("sam", "abcdef", actor=ADMIN)
    assert [r.result for r in trail.records()] == ["ok", "refused", "refused"]


def test_an_unwritable_audit_trail_refuses_the_change_and_the_file_is_unchanged(
    tmp_path: Path, trail: AuditTrail
) -> None:
    store = UserStore(tmp_path / "users.yaml", trail)
    store.add("sam", "student", actor=ADMIN, password=PW)
    before = store.path.read_bytes()
    blocker = sqlite3.connect(trail.path)  # another process holding the write lock
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(AuditUnavailable, match=str(trail.path)):
            store.add("alice", "instructor", actor=ADMIN, password=PW)
        with pytest.raises(AuditUnavailable):
            store.set_role("sam", "admin", actor=ADMIN)
    finally:
        blocker.rollback()
        blocker.close()
    assert store.path.read_bytes() == before
    assert store.get("alice") is None and _records(trail) == [("user.add", "user:sam", "cli:root", "ok")]


def test_tokens_store_only_a_digest_and_are_revocable(tmp_path: Path) -> None:
    store = UserStore(tmp_path / "users.yaml")
    store.add("sam", "student", actor=ADMIN, password=PW)
    token = store.create_token("sam", actor=ADMIN, label="script")
    prefix, token_id, secret = token.split("_", 2)
    assert prefix == "gmpt" and len(secret) >= 40
    text = store.path.read_text()
    assert secret not in text and token_digest(token) in text
    found = store.user_for_token(token)
    assert found is not None and found.name == "sam"
    for wrong in (token[:-1] + ("A" if token[-1] != "A" else "B"), f"gmpt_{token_id}_x", "gmpt_", "Bearer x", ""):
        assert store.user_for_token(wrong) is None
    store.set_disabled("sam", True, actor=ADMIN)
    assert store.user_for_token(token) is None  # a disabled user's token does nothing
    store.set_disabled("sam", False, actor=ADMIN)
    store.revoke_token("sam", token_id, actor=ADMIN)
    assert store.user_for_token(token) is None


def test_the_store_reloads_when_another_process_changes_the_file(tmp_path: Path) -> None:
    twin = UserStore(tmp_path / "users.yaml")
    cli = UserStore(tmp_path / "users.yaml")
    assert twin.get("sam") is None
    cli.add("sam", "student", actor=ADMIN, password=PW)
    assert twin.get("sam") is not None  # the twin sees the CLI's change without a restart
    cli.set_role("sam", "instructor", actor=ADMIN)
    sam = twin.get("sam")
    assert sam is not None and sam.role == "instructor"


def test_concurrent_writers_lose_no_change(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    errors: list[BaseException] = []

    def add_users(prefix: str) -> None:
        store = UserStore(path)  # one store each: only the fcntl lock file serialises them
        try:
            for i in range(3):
                store.add(f"{prefix}{i}", "student", actor=ADMIN, password=PW)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=add_users, args=(p,)) for p in ("a", "b", "c")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(u.name for u in UserStore(path).users()) == [f"{p}{i}" for p in "abc" for i in range(3)]


def test_certificates_map_to_enabled_users(tmp_path: Path) -> None:
    fingerprint = "ab" * 32
    colons = ":".join(["AB"] * 32)
    path = tmp_path / "users.yaml"
    users = [
        {"name": "plc-gw", "role": "student", "password_hash": hash_password(PW)},
        {
            "name": "ines",
            "role": "instructor",
            "password_hash": hash_password(PW),
            "certificates": [{"sha256_fingerprint": colons, "subject": "CN=ines"}],
        },
    ]
    path.write_text(yaml.safe_dump({"users": users}))
    store = UserStore(path)
    found = store.user_for_certificate(fingerprint)
    assert found is not None and found.name == "ines"
    assert found.certificates[0].sha256_fingerprint == fingerprint  # stored normalised
    assert store.user_for_certificate("cd" * 32) is None


_GOOD = (
    f"  - name: alice\n    role: instructor\n    password_hash: '{'$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA'}'\n"
)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("users:\n  - name: alice\n    role: [instructor\n", 4, "not valid YAML"),
        ("users:\n" + _GOOD + "    colour: red\n", 5, "'colour': unknown key"),
        ("users:\n" + _GOOD + _GOOD.replace("alice", "Alice"), 1, "duplicate user name 'Alice' (lines 2 and 5)"),
        ("users:\n  - name: bob\n    role: student\n    password_hash: 'scrypt$16384$8$1$x$y'\n", 4, "not an argon2"),
        ("users:\n  - name: bob smith\n    role: student\n", 2, "'users[0].name': String should match"),
    ],
)
def test_a_corrupt_users_file_names_the_file_and_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "users.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        UserStore(path).users()
    assert f"{path}:{line}: " in str(caught.value)
    assert message in str(caught.value)


def test_a_bad_edit_while_running_keeps_the_last_good_users_and_refuses_changes(tmp_path: Path) -> None:
    store = UserStore(tmp_path / "users.yaml")
    store.add("sam", "student", actor=ADMIN, password=PW)
    assert store.get("sam") is not None
    store.path.write_text(store.path.read_text() + "  - name: [broken\n")
    assert store.get("sam") is not None  # logins keep working on the last valid content
    with pytest.raises(ConfigError, match=r"users\.yaml:\d+: not valid YAML"):
        store.add("alice", "instructor", actor=ADMIN, password=PW)  # never overwrite a hand edit


def test_team_is_set_audited_and_checked(tmp_path: Path) -> None:
    trail = AuditTrail(tmp_path / "audit.sqlite")
    store = UserStore(tmp_path / "users.yaml", audit=trail)
    store.add("sam", "student", actor=ADMIN, password=PW, team="team-1")
    assert store.get("sam").team == "team-1"
    store.set_team("sam", "team-2", actor=ADMIN)
    assert store.get("sam").team == "team-2"
    with pytest.raises(ValueError, match="invalid team"):
        store.set_team("sam", "Team 3", actor=ADMIN)
    assert store.get("sam").team == "team-2"
    teams = [(r.old, r.new, r.result) for r in trail.records() if r.action == "user.team"]
    assert teams[0] == ("team-1", "team-2", "ok") and teams[1][2] != "ok"
