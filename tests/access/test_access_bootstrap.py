"""First start and the production-mode checks, over real users files."""

from __future__ import annotations

from pathlib import Path

import pytest

from access import UserStore, check_strength, first_start, generate_password, production_problems, verify_password
from access.passwords import WEAK_PASSWORDS, is_weak_hash
from audit import Actor

ADMIN = Actor("cli:root", "admin", "cli")


def test_first_start_creates_one_instructor_once(tmp_path: Path) -> None:
    store = UserStore(tmp_path / "data" / "users.yaml")
    created = first_start(store, actor=ADMIN)
    assert created is not None
    name, password = created
    user = store.get(name)
    assert name == "instructor" and user is not None and user.role == "instructor"
    assert verify_password(password, user.password_hash)
    check_strength(password)  # the generated password passes our own rules
    assert first_start(store, actor=ADMIN) is None
    assert [u.name for u in store.users()] == ["instructor"]


def test_the_old_example_passwords_are_weak() -> None:
    assert {"alice-example-password", "bob-example-password"} <= WEAK_PASSWORDS
    for password in ("alice-example-password", "changeme", "Instructor"):
        with pytest.raises(ValueError):
            check_strength(password)
    with pytest.raises(ValueError, match="default, example or common"):
        check_strength("samantha.dupont", name="Samantha.Dupont")


def test_production_refuses_a_missing_users_file(tmp_path: Path) -> None:
    store = UserStore(tmp_path / "users.yaml")
    (problem,) = production_problems(store)
    assert f"{store.path}: no users file" in problem and "gmp-twin users add NAME --role instructor" in problem


def test_production_refuses_a_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    path.write_text("users:\n  - name: ana\n    role: student\n    password_hash: plain\n")
    (problem,) = production_problems(UserStore(path))
    assert f"{path}:4:" in problem and "not an argon2 hash" in problem


def test_production_names_each_weak_password_user_and_a_missing_instructor(tmp_path: Path) -> None:
    store = UserStore(tmp_path / "users.yaml")
    store.add("bob", "student", actor=ADMIN, password="bob-example-password")
    store.add("ana", "student", actor=ADMIN, password=generate_password())
    store.add("old", "instructor", actor=ADMIN, password="changeme")
    store.set_disabled("old", True, actor=ADMIN)  # disabled: cannot log in, not a problem
    problems = production_problems(store)
    assert problems == [
        f"{store.path}: no enabled instructor or admin; add one with "
        f"`gmp-twin users add NAME --role instructor --users {store.path}`",
        f"{store.path}: user 'bob' has a default or example password; set a new one with `gmp-twin users passwd bob`",
    ]


def test_production_accepts_a_sound_file(tmp_path: Path) -> None:
    store = UserStore(tmp_path / "users.yaml")
    first_start(store, actor=ADMIN)
    assert production_problems(store) == []


def test_is_weak_hash_finds_the_example_password_among_hashes() -> None:
    from access import hash_password

    assert is_weak_hash(hash_password("alice-example-password"))


def test_production_remembers_strong_hashes_and_rechecks_a_changed_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import access.bootstrap as bootstrap

    store = UserStore(tmp_path / "users.yaml")
    first_start(store, actor=ADMIN)
    store.add("ana", "student", actor=ADMIN, password=generate_password())
    checked: list[str] = []
    monkeypatch.setattr(bootstrap, "is_weak_hash", lambda h: checked.append(h) or is_weak_hash(h))
    assert production_problems(store) == []
    assert len(checked) == 2
    assert production_problems(store) == []
    assert len(checked) == 2  # both remembered as strong: no argon2 verify this time
    store.set_password("ana", "changeme", actor=ADMIN)
    problems = production_problems(store)
    assert len(checked) == 3 and "user 'ana' has a default or example password" in problems[0]
