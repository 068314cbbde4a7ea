"""The role gate of the HTTP side: who is asking, and may they.

Every request resolves to one :class:`access.Principal`, in this order:

1. ``Authorization: Bearer gmpt_…``: a per-user API token (``gmp-twin users token NAME``);
2. the signed session cookie of a login (``/login``);
3. with the local console switched on (``--local-console``), a browser on this machine:
   ``local-console``, with instructor rights, audited under that name;
4. otherwise ``anonymous``.

Access levels, lowest first: ``public`` (anyone: health, the login page), ``account`` (a
logged-in person's own account, e.g. changing a one-time password), ``viewer`` (anyone
logged in; anonymous visitors too when ``anonymous_view`` is on), ``student``, ``instructor``,
``admin``. A refusal is audited (``access.denied``) with who, what and the level needed.

Examples
--------
>>> from access import Principal
>>> allowed("viewer", Principal("anonymous", "anonymous"), anonymous_view=True)
True
>>> allowed("student", Principal("anonymous", "anonymous"), anonymous_view=True)
False
>>> allowed("instructor", Principal("bob", "student")), allowed("instructor", Principal("root", "admin"))
(False, True)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Literal

from access import ANONYMOUS, Authenticator, LoginRefused, Principal, at_least
from audit import AuditTrail, AuditUnavailable, Signature
from dashboard.auth.sessions import SessionStore

log = logging.getLogger(__name__)

Level = Literal["public", "account", "viewer", "student", "instructor", "admin"]
LEVELS: tuple[Level, ...] = ("public", "account", "viewer", "student", "instructor", "admin")
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
LOCAL_CONSOLE = "local-console"


def allowed(level: str, principal: Principal, anonymous_view: bool = False) -> bool:
    """Whether ``principal`` reaches ``level`` (a user who must change the password reaches none but public)."""
    if level == "public":
        return True
    if level == "account":  # one's own account: also before the one-time password is changed
        return principal.role not in ("anonymous",) and principal.via != "local-console"
    if principal.must_change_password:
        return False
    if level == "viewer":
        return principal.role != "anonymous" or anonymous_view
    return at_least(principal.role, level)


@dataclass
class Gate:
    """Logins, sessions and the role checks of one HTTP server.

    Parameters
    ----------
    authenticator : Authenticator
        Users, passwords, tokens and the failed-login guard (shared with OPC UA).
    sessions : SessionStore
        The signed-cookie sessions.
    audit : AuditTrail or None
        Where logins, logouts and refusals are recorded.
    anonymous_view : bool
        Visitors without a login may view (read only).
    local_console : bool
        Browsers on this machine act as the instructor ``local-console`` without a login.
    """

    authenticator: Authenticator
    sessions: SessionStore
    audit: AuditTrail | None = None
    anonymous_view: bool = False
    local_console: bool = False

    def principal(
        self, *, cookie: str | None, authorization: str | None, host: str, port: int | None = None
    ) -> Principal:
        """Who sends this request (see the module docstring for the order)."""
        client = f"{host}:{port}" if port else host
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() == "bearer" and token:
            found = self.authenticator.principal_for_token(token.strip(), client=client)
            return found or Principal("invalid-token", "anonymous", via="http", client=client)
        session = self.sessions.principal(cookie)
        if session is not None:
            return Principal(
                session.name,
                session.role,
                display_name=session.display_name,
                via="http",
                client=client,
                must_change_password=session.must_change_password,
                team=session.team,
            )
        if self.local_console and host in LOOPBACK:
            return Principal(
                LOCAL_CONSOLE, "instructor", display_name="local console", via="local-console", client=client
            )
        return Principal(ANONYMOUS.name, "anonymous", via="http", client=client)

    def allows(self, level: str, principal: Principal) -> bool:
        return allowed(level, principal, self.anonymous_view)

    def deny(self, principal: Principal, what: str, level: str, via: str = "http") -> None:
        """Record a refusal; a trail that is down is logged, the refusal stands anyway."""
        log.warning("refused %s to %s (%s): needs %s", what, principal.name, principal.role, level)
        if self.audit is None:
            return
        try:
            self.audit.append(
                principal.actor(via),  # type: ignore[arg-type]
                "access.denied",
                what,
                result="refused",
                status="403" if principal.role != "anonymous" else "401",
                detail=f"needs {level}; {principal.name} is {principal.role}",
            )
        except AuditUnavailable:
            log.exception("audit trail unavailable while recording a refusal")

    # -- logins ---------------------------------------------------------------------------------
    def login(self, name: str, password: str, host: str, port: int | None = None) -> tuple[Principal, str]:
        """Check the password (rate-limited, audited); returns the principal and the session cookie.

        Raises :class:`access.LoginRefused` with a message that never says which part was wrong.
        """
        client = f"{host}:{port}" if port else host
        principal = self.authenticator.login(name, password, via="http", client=client)
        return principal, self.sessions.open(principal)

    def sign(self, principal: Principal, password: str, meaning: str, signer: str = "") -> Signature:
        """The electronic signature of a person (Part 11 §11.50, §11.200), for the API and the console.

        A logged-in user signs as themselves (``signer`` empty or their own name). The local
        console is not a person: ``signer`` names the instructor who signs. The password is
        checked first (a wrong one is refused the same way for an unknown name), then the role.

        Raises
        ------
        LoginRefused
            Wrong password or lockout (audited ``signature.failed``).
        PermissionError
            No signer named at the local console, another user named, or a signer below instructor.
        """
        if principal.via != "local-console":
            if signer.strip() not in ("", principal.name):
                raise PermissionError(f"{principal.name} cannot sign for {signer.strip()}")
            return self.authenticator.sign(principal, password, meaning)
        name = signer.strip()
        if not name:
            raise PermissionError("the local console is not a person: give the signer's user name")
        entry = self.authenticator.store.get(name)
        role = entry.role if entry is not None else "anonymous"
        person = Principal(
            name, role, entry.display_name if entry else "", via="local-console", client=principal.client
        )
        signature = self.authenticator.sign(person, password, meaning)
        if not at_least(role, "instructor"):
            self.deny(person, "signature", "instructor", via="local-console")
            raise PermissionError(f"{name} is {role}: only an instructor signs this")
        return signature

    def logout(self, cookie: str | None) -> Principal | None:
        principal = self.sessions.close(cookie)
        if principal is not None:
            self.authenticator.logout(principal)
        return principal

    def change_password(self, principal: Principal, old: str, new: str) -> str:
        """Change the logged-in user's password; every session of the user ends; returns a fresh cookie."""
        self.authenticator.change_password(principal.name, old, new, client=principal.client)
        self.sessions.close_user(principal.name)
        return self.sessions.open(replace(principal, must_change_password=False))


__all__ = ["LEVELS", "LOCAL_CONSOLE", "Gate", "Level", "LoginRefused", "allowed"]
