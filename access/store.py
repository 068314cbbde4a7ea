"""The users file as a live store: read by the running twin, changed by the CLI, audited.

:class:`UserStore` reloads the file when it changes on disk (a ``gmp-twin users`` command run
while the twin runs takes effect at the next login) and changes it under an ``fcntl`` lock
file, atomically, one audited change at a time. Every change goes through
:meth:`audit.trail.AuditTrail.change`: the trail is checked writable *before* the file is
written, so with an unwritable trail the change is refused (:class:`audit.trail.AuditUnavailable`)
and the file stays as it was.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import logging
import os
import re
import secrets
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from access.passwords import generate_password, hash_password
from access.roles import ROLES
from access.users_file import (
    NAME_PATTERN,
    TEAM_OR_NONE,
    ApiToken,
    ClientCertificate,
    ConfigError,
    UserEntry,
    UsersFile,
    load_users,
    write_users,
)

if TYPE_CHECKING:
    from audit.record import Actor
    from audit.trail import AuditTrail

log = logging.getLogger(__name__)

TOKEN_PREFIX = "gmpt_"
_Stamp = tuple[int, int, int]


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _field(name: str, attr: str) -> Callable[[UsersFile], Any]:
    """Picks ``attr`` of user ``name`` (None when there is no such user), for audit old values."""

    def pick(data: UsersFile) -> Any:
        user = data.get(name)
        return getattr(user, attr) if user is not None else None

    return pick


def _checked_team(team: str) -> str:
    if not re.fullmatch(TEAM_OR_NONE, team):
        raise ValueError(f"invalid team {team!r}: lower-case letters, digits and '-' (e.g. team-1), at most 31")
    return team


def token_digest(token: str) -> str:
    """SHA-256 hex digest of a whole API token (what the users file stores)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class UserStore:
    """The users file at ``path``, reloaded when it changes, changed atomically and audited.

    Parameters
    ----------
    path : str or Path
        The users file; it may not exist yet (:meth:`exists` is then False).
    audit : AuditTrail or None
        Where every change is recorded; None records nothing (tests, tools).

    Notes
    -----
    Entries returned by :meth:`get` and :meth:`users` are frozen pydantic models. A file that
    becomes invalid while the twin runs (a bad hand edit) is reported at ERROR and the last
    valid content keeps serving logins; a change is refused until the file is fixed.
    """

    def __init__(self, path: str | Path, audit: AuditTrail | None = None) -> None:
        self.path = Path(path)
        self.audit = audit
        self._lock_path = self.path.with_name(self.path.name + ".lock")
        self._mutex = threading.RLock()
        self._data = UsersFile()
        self._stamp: _Stamp | None = None
        self._bad_stamp: _Stamp | None = None
        self._loaded = False

    # -- reading ------------------------------------------------------------------------------
    def _stat(self) -> _Stamp | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _current(self) -> UsersFile:
        """The file's content, reloaded when its mtime, size or inode changed."""
        with self._mutex:
            stamp = self._stat()
            if self._loaded and stamp == self._stamp:
                return self._data
            if stamp is None:
                self._data, self._stamp, self._loaded = UsersFile(), None, True
                return self._data
            if stamp == self._bad_stamp:
                return self._data
            try:
                data = load_users(self.path)
            except ConfigError:
                if not self._loaded:
                    raise
                self._bad_stamp = stamp
                log.exception("the users file changed but is invalid; the previous version stays in use")
                return self._data
            self._data, self._stamp, self._loaded, self._bad_stamp = data, stamp, True, None
            log.debug("loaded %d users from %s", len(data.users), self.path)
            return data

    def exists(self) -> bool:
        """Whether the users file exists."""
        return self.path.is_file()

    def get(self, name: str) -> UserEntry | None:
        """The user called ``name`` (case-insensitive), or None."""
        return self._current().get(name)

    def users(self) -> list[UserEntry]:
        """Every user, in file order."""
        return list(self._current().users)

    def user_for_token(self, token: str) -> UserEntry | None:
        """The enabled user owning API token ``token``, or None.

        Every stored digest is compared in constant time (``hmac.compare_digest``), so the
        time taken does not tell how close a guess was or which token matched.
        """
        if not token.startswith(TOKEN_PREFIX) or token.count("_") < 2:
            return None
        digest = token_digest(token)
        found: UserEntry | None = None
        for user in self._current().users:
            for stored in user.tokens:
                if hmac.compare_digest(stored.sha256, digest):
                    found = user
        return found if found is not None and not found.disabled else None

    def user_for_certificate(self, sha256_fingerprint: str) -> UserEntry | None:
        """The enabled user mapped to the client certificate with this SHA-256 fingerprint."""
        wanted = sha256_fingerprint.replace(":", "").strip().lower()
        for user in self._current().users:
            if not user.disabled and any(hmac.compare_digest(c.sha256_fingerprint, wanted) for c in user.certificates):
                return user
        return None

    # -- changing -----------------------------------------------------------------------------
    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    @contextlib.contextmanager
    def _edit(
        self, actor: Actor, action: str, obj: str, *, new: Any = None, old_of: Callable[[UsersFile], Any] | None = None
    ) -> Iterator[UsersFile]:
        """Yield a copy of the file to change; audit, then write it when the body returns.

        ``old_of`` picks the audit record's old value from the file as read under the lock.
        The body raises ``ValueError`` to refuse (audited as refused when there is a trail).
        """
        with self._mutex, self._file_lock():
            # Under the lock, always from disk: never overwrite another process's change.
            data = load_users(self.path) if self.exists() else UsersFile()
            copy = data.model_copy(deep=True)
            old = old_of(data) if old_of is not None else None
            audited = (
                self.audit.change(actor, action, obj, old=old, new=new)
                if self.audit is not None
                else contextlib.nullcontext()
            )
            with audited:
                yield copy
                write_users(self.path, copy)
            self._data, self._stamp, self._loaded, self._bad_stamp = copy, self._stat(), True, None
            log.info("%s %s by %s", action, obj, actor.user)

    def _require(self, data: UsersFile, name: str) -> int:
        for i, user in enumerate(data.users):
            if user.name.lower() == name.lower():
                return i
        raise ValueError(f"no user {name!r} in {self.path}; see `gmp-twin users list`")

    def _replace(self, data: UsersFile, name: str, **changes: Any) -> UserEntry:
        i = self._require(data, name)
        data.users[i] = data.users[i].model_copy(update=changes)
        return data.users[i]

    def add(
        self,
        name: str,
        role: str,
        *,
        actor: Actor,
        password: str | None = None,
        display_name: str = "",
        must_change_password: bool = False,
        team: str = "",
    ) -> str:
        """Add a user; return its password (a generated one when ``password`` is None).

        The password's strength is the caller's business (the CLI runs
        :func:`access.passwords.check_strength`); audited as ``user.add`` (never the password).

        Raises
        ------
        ValueError
            Invalid name or role, or the name exists already (case-insensitive).
        """
        password = password if password is not None else generate_password()
        encoded = hash_password(password)  # slow: before taking the lock
        new: dict[str, Any] = {"role": role, "display_name": display_name, "must_change_password": must_change_password}
        if team:
            new["team"] = team
        with self._edit(actor, "user.add", f"user:{name}", new=new) as data:
            if not re.fullmatch(NAME_PATTERN, name):
                raise ValueError(f"invalid user name {name!r}: 1-64 characters among A-Z a-z 0-9 _ . @ -")
            if role not in ROLES:
                raise ValueError(f"invalid role {role!r}; roles: {', '.join(ROLES)}")
            if data.get(name) is not None:
                raise ValueError(f"user {name!r} already exists in {self.path}")
            data.users.append(
                UserEntry(
                    name=name,
                    role=role,  # checked against ROLES above
                    display_name=display_name,
                    password_hash=encoded,
                    must_change_password=must_change_password,
                    created=_now(),
                    team=_checked_team(team),
                )
            )
        return password

    def set_password(
        self, name: str, password: str, *, actor: Actor, must_change_password: bool = False, action: str = "user.passwd"
    ) -> None:
        """Set a new password (audited as ``action``; the password itself never is)."""
        encoded = hash_password(password)
        new = {"must_change_password": must_change_password}
        with self._edit(actor, action, f"user:{name}", new=new) as data:
            self._replace(data, name, password_hash=encoded, must_change_password=must_change_password)

    def set_disabled(self, name: str, disabled: bool, *, actor: Actor) -> None:
        """Disable (no login, no token, no certificate) or enable a user; audited ``user.disable|enable``."""
        action = "user.disable" if disabled else "user.enable"
        with self._edit(actor, action, f"user:{name}", new=disabled, old_of=_field(name, "disabled")) as data:
            self._replace(data, name, disabled=disabled)

    def set_team(self, name: str, team: str, *, actor: Actor) -> None:
        """Put a user in a team (``""``: in no team); audited ``user.team``."""
        with self._edit(actor, "user.team", f"user:{name}", new=team, old_of=_field(name, "team")) as data:
            self._replace(data, name, team=_checked_team(team))

    def set_role(self, name: str, role: str, *, actor: Actor) -> None:
        """Change a user's role; audited ``user.role`` with old and new role."""
        with self._edit(actor, "user.role", f"user:{name}", new=role, old_of=_field(name, "role")) as data:
            if role not in ROLES:
                raise ValueError(f"invalid role {role!r}; roles: {', '.join(ROLES)}")
            self._replace(data, name, role=role)

    def create_token(self, name: str, *, actor: Actor, label: str = "") -> str:
        """Create an API token ``gmpt_<id>_<secret>``; return it (shown once, only its SHA-256 is kept)."""
        token_id = secrets.token_hex(6)
        token = f"{TOKEN_PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
        entry = ApiToken(id=token_id, sha256=token_digest(token), label=label, created=_now())
        with self._edit(actor, "token.create", f"user:{name}", new={"id": token_id, "label": label}) as data:
            i = self._require(data, name)
            self._replace(data, name, tokens=[*data.users[i].tokens, entry])
        return token

    def add_certificate(self, name: str, sha256_fingerprint: str, subject: str = "", *, actor: Actor) -> None:
        """Let an X.509 client certificate log in as ``name`` (OPC UA); audited ``user.cert_add``."""
        cert = ClientCertificate(sha256_fingerprint=sha256_fingerprint, subject=subject)
        with self._edit(actor, "user.cert_add", f"user:{name}", new=cert.model_dump()) as data:
            i = self._require(data, name)
            for user in data.users:
                if any(c.sha256_fingerprint == cert.sha256_fingerprint for c in user.certificates):
                    raise ValueError(
                        f"this certificate already logs in as {user.name!r}; "
                        f"remove it there first (`gmp-twin users cert {user.name} --remove ...`)"
                    )
            self._replace(data, name, certificates=[*data.users[i].certificates, cert])

    def remove_certificate(self, name: str, fingerprint_prefix: str, *, actor: Actor) -> None:
        """Stop a client certificate logging in as ``name``; audited ``user.cert_remove``."""
        wanted = fingerprint_prefix.replace(":", "").strip().lower()
        with self._edit(actor, "user.cert_remove", f"user:{name}", old_of=lambda _: {"sha256": wanted}) as data:
            certs = data.users[self._require(data, name)].certificates
            kept = [c for c in certs if not (wanted and c.sha256_fingerprint.startswith(wanted))]
            if len(certs) - len(kept) != 1:
                known = ", ".join(c.sha256_fingerprint[:16] for c in certs) or "none"
                raise ValueError(
                    f"{len(certs) - len(kept)} certificates of {name!r} start with {fingerprint_prefix!r}; "
                    f"give a prefix that matches exactly one (certificates: {known})"
                )
            self._replace(data, name, certificates=kept)

    def revoke_token(self, name: str, token_id: str, *, actor: Actor) -> None:
        """Revoke the API token ``token_id`` of ``name``; audited ``token.revoke``."""
        with self._edit(actor, "token.revoke", f"user:{name}", old_of=lambda _: {"id": token_id}) as data:
            tokens = data.users[self._require(data, name)].tokens
            kept = [t for t in tokens if t.id != token_id]
            if len(kept) == len(tokens):
                ids = ", ".join(t.id for t in tokens) or "none"
                raise ValueError(f"user {name!r} has no token {token_id!r} (tokens: {ids})")
            self._replace(data, name, tokens=kept)
