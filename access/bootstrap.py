"""First start (an instructor account with a generated password) and the production checks.

The embedded default stays one command: the first ``gmp-twin run`` creates the users file
with an ``instructor`` whose generated password the caller prints once, the way Jupyter
prints its token. Production mode instead refuses to start until the users file is sound.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from pathlib import Path

from access.passwords import WEAK_PASSWORDS, is_weak_hash
from access.store import UserStore
from audit.record import Actor
from config_schema.files import ConfigError

log = logging.getLogger(__name__)

FIRST_USER = "instructor"


def first_start(store: UserStore, *, actor: Actor) -> tuple[str, str] | None:
    """Create the users file with an ``instructor`` if there is no users file yet.

    Returns
    -------
    tuple of (str, str) or None
        ``(name, password)`` for the caller to print once; None when the file existed (or
        another process created it at the same moment).
    """
    if store.exists():
        return None
    try:
        password = store.add(FIRST_USER, "instructor", actor=actor, display_name="Instructor")
    except ValueError:
        if store.exists() and store.get(FIRST_USER) is not None:
            return None  # another process won the race
        raise
    log.info("created %s with the user %r", store.path, FIRST_USER)
    return FIRST_USER, password


def production_problems(store: UserStore) -> list[str]:
    """Why production mode must not start with this users file; empty when it may.

    Checks that the file exists and is valid, that an enabled instructor or admin exists,
    and that no enabled user has a default or example password (one argon2 verify per user
    and weak password: a few seconds for a class).
    """
    fix_add = f"`gmp-twin users add NAME --role instructor --users {store.path}`"
    if not store.exists():
        return [f"{store.path}: no users file; create the first account with {fix_add}"]
    try:
        users = [u for u in store.users() if not u.disabled]
    except ConfigError as exc:
        return [str(exc)]
    problems = []
    if not any(u.role in ("instructor", "admin") for u in users):
        problems.append(f"{store.path}: no enabled instructor or admin; add one with {fix_add}")
    started = time.perf_counter()
    cache = _checked_path(store)
    known_strong = _read_checked(cache)
    strong: set[str] = set()
    for user in users:
        key = _key(user.password_hash)
        if key in known_strong:
            strong.add(key)
        elif is_weak_hash(user.password_hash):
            problems.append(
                f"{store.path}: user {user.name!r} has a default or example password; "
                f"set a new one with `gmp-twin users passwd {user.name}`"
            )
        else:
            strong.add(key)
    _write_checked(cache, strong)
    log.info("checked %d users for weak passwords in %.1f s", len(users), time.perf_counter() - started)
    return problems


# A class of 30 costs 15 argon2 verifies per user (~1 min on 2 cores): remember the hashes
# already found strong, keyed by the weak list too, so adding a weak password re-checks all.
def _checked_path(store: UserStore) -> Path:
    return store.path.with_name(store.path.name + ".checked")


def _key(encoded: str) -> str:
    weak = "\n".join(sorted(WEAK_PASSWORDS))
    return hashlib.sha256(f"{weak}\n{encoded}".encode()).hexdigest()


def _read_checked(path: Path) -> set[str]:
    try:
        return set(json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return set()


def _write_checked(path: Path, keys: set[str]) -> None:
    try:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(sorted(keys)))
        os.replace(tmp, path)
    except OSError:
        log.warning("cannot write %s: the weak-password check will run again next start", path)
