"""The people side of a process: users file, audit trail, logins and the HTTP gate, from the settings.

- The audit trail (``--audit``, default ``data/audit.sqlite``) is opened first: nothing that
  changes the plant may run without it.
- The users file (``GMP_TWIN_USERS``, default ``data/users.yaml``) is shared by OPC UA and HTTP.
  In embedded mode its first start creates an ``instructor`` with a generated password, printed
  once (:func:`access.bootstrap.first_start`). Production mode refuses to start while the file
  has a weak or example password, no instructor, or no session secret.
"""

from __future__ import annotations

import getpass
import logging
import os
import secrets
import sys
from dataclasses import dataclass

from access import Authenticator, LoginGuard, UserStore
from access.bootstrap import first_start, production_problems
from audit import Actor, AuditTrail
from config_schema.files import ConfigError
from dashboard.auth.gate import Gate
from dashboard.auth.sessions import SessionStore
from gmp_twin.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Identity:
    """The audit trail, the users and the authenticator of one process."""

    audit: AuditTrail
    users: UserStore
    authenticator: Authenticator

    def close(self) -> None:
        self.audit.close()


def open_identity(settings: Settings, announce: bool = True, http: bool = True) -> Identity:
    """Open the audit trail and the users file; first start or production checks as the mode says.

    ``http``: this process serves the dashboard (then production needs a session secret).

    Raises :class:`ConfigError` (naming the file and the fix) when production mode must not start.
    """
    settings.audit.parent.mkdir(parents=True, exist_ok=True)
    audit = AuditTrail(settings.audit)
    try:
        audit.check_writable()
        users = UserStore(settings.users, audit=audit)
        guard = LoginGuard(max_failures=settings.login_max_failures, lockout_s=settings.login_lockout_s)
        if settings.mode == "production":
            problems = production_problems(users)
            if settings.local_console:
                problems.append("GMP_TWIN_LOCAL_CONSOLE: the local console bypass is for embedded mode only")
            if http and settings.session_secret is None:
                problems.append("GMP_TWIN_SESSION_SECRET: set a random secret of 32+ characters (no generated one)")
            if problems:
                raise ConfigError("production mode refuses to start:\n  " + "\n  ".join(problems))
        else:
            settings.users.parent.mkdir(parents=True, exist_ok=True)
            created = first_start(users, actor=Actor(f"cli:{_os_user()}", "admin", "cli"))
            if created and announce:
                name, password = created
                print(
                    f"\ngmp-twin: first start: created the {name!r} account in {settings.users}\n"
                    f"    user name: {name}\n    password:  {password}\n"
                    f"This password is shown once. Log in at http://{settings.http_host}:{settings.http_port}/login; "
                    f"change it with `gmp-twin users passwd {name}`, add people with `gmp-twin users add`.\n",
                    file=sys.stderr,
                    flush=True,
                )
        return Identity(audit, users, Authenticator(users, audit, guard))
    except BaseException:
        audit.close()
        raise


def session_secret(settings: Settings) -> str:
    """``GMP_TWIN_SESSION_SECRET``, or (embedded) a secret generated once into ``data/session-secret``."""
    if settings.session_secret is not None:
        return settings.session_secret.get_secret_value()
    path = settings.users.parent / "session-secret"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        secret = secrets.token_urlsafe(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secret)
        return secret


def make_gate(settings: Settings, identity: Identity) -> Gate:
    """The HTTP gate over the process's users, sessions and audit trail."""
    return Gate(
        identity.authenticator,
        SessionStore(session_secret(settings), max_age_s=settings.session_max_age_s),
        audit=identity.audit,
        anonymous_view=settings.anonymous_view,
        local_console=settings.local_console,
    )


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return str(os.getuid())


__all__ = ["Identity", "make_gate", "open_identity", "session_secret"]
