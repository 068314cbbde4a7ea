"""Logins, logouts, password changes and electronic signatures, throttled and audited.

One :class:`Authenticator` serves OPC UA, HTTP and the dashboard. A refusal never says
which part was wrong (unknown user, wrong password and disabled account read the same, and
cost the same time: an unknown name still pays one argon2 verify, of a dummy hash). The
audit record of a refusal does say why, for the instructors and admins who read the trail.
"""

from __future__ import annotations

import functools
import logging
import math
import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from access.guard import LoginGuard
from access.passwords import check_strength, hash_password, verify_password
from access.roles import Principal
from access.store import UserStore
from access.users_file import UserEntry
from audit.record import MEANINGS, Actor, Signature, Via
from audit.trail import AuditUnavailable

if TYPE_CHECKING:
    from audit.trail import AuditTrail

log = logging.getLogger(__name__)

#: The only message of a refused login that is not a lockout.
REFUSED = "unknown user or wrong password"
#: Longest user name kept in an audit record of a failed login (what was typed may be anything).
_MAX_TYPED_NAME = 80


class LoginRefused(Exception):
    """A login, password change or signature was refused; ``str()`` is safe to show the user.

    Attributes
    ----------
    retry_after_s : float
        Seconds until a lockout ends (0 when not locked), e.g. for an HTTP ``Retry-After``.
    """

    def __init__(self, message: str = REFUSED, *, retry_after_s: float = 0.0) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


def locked_message(seconds: float) -> str:
    """``"too many failed logins: try again in N min"`` (N rounded up, at least 1)."""
    return f"too many failed logins: try again in {max(1, math.ceil(seconds / 60))} min"


@functools.cache
def _dummy_hash() -> str:
    # Verified for unknown names so that they cost what a known name costs.
    return hash_password(secrets.token_urlsafe(16))


def _utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Authenticator:
    """Checks passwords against a :class:`UserStore`, throttles failures, audits each outcome.

    Parameters
    ----------
    store : UserStore
        The users; give it the same audit trail so that password changes are recorded.
    audit : AuditTrail or None
        Where logins, failures, lockouts and logouts are recorded; None records nothing.
    guard : LoginGuard, optional
        Failure counters; a default :class:`LoginGuard` (5 failures, 15 min) when omitted.
    """

    def __init__(self, store: UserStore, audit: AuditTrail | None, guard: LoginGuard | None = None) -> None:
        self.store = store
        self.audit = audit
        self.guard = guard if guard is not None else LoginGuard()

    # -- audit helpers ------------------------------------------------------------------------
    def _record(self, actor: Actor, action: str, *, strict: bool = False, **fields: Any) -> None:
        if self.audit is None:
            return
        try:
            self.audit.append(actor, action, f"user:{actor.user}", **fields)
        except AuditUnavailable:
            if strict:
                raise
            log.exception("could not record %s of %s", action, actor.user)

    @staticmethod
    def _status(via: str, locked: bool) -> str:
        if via == "opcua":
            return "BadUserAccessDenied"
        return "429" if locked else "401"

    def _verify(
        self, name: str, password: str, *, via: Via, client: str, failed_action: str, purpose: str
    ) -> UserEntry:
        """The enabled user ``name`` if ``password`` is right; else audit, count and raise LoginRefused."""
        typed = name[:_MAX_TYPED_NAME]
        left = self.guard.locked(name, client)
        if left > 0:
            actor = Actor(typed, "anonymous", via, client)
            detail = f"{purpose} refused: locked out, {left:.0f} s left"
            self._record(actor, failed_action, result="refused", status=self._status(via, True), detail=detail)
            raise LoginRefused(locked_message(left), retry_after_s=left)
        user = self.store.get(name)
        encoded = user.password_hash if user is not None else _dummy_hash()
        right = verify_password(password, encoded)
        if user is not None and right and not user.disabled:
            self.guard.succeeded(name, client)
            return user
        why = "unknown user" if user is None else ("disabled user" if user.disabled else "wrong password")
        just_locked = self.guard.failed(name, client)
        actor = Actor(typed, user.role if user is not None else "anonymous", via, client)
        status = self._status(via, False)
        self._record(actor, failed_action, result="refused", status=status, detail=f"{purpose} refused: {why}")
        if just_locked:
            left = self.guard.locked(name, client)
            detail = f"locked out for {left:.0f} s after repeated failures ({purpose})"
            self._record(actor, "login.locked", result="refused", status=self._status(via, True), detail=detail)
            raise LoginRefused(locked_message(left), retry_after_s=left)
        raise LoginRefused()

    # -- public -------------------------------------------------------------------------------
    def login(self, name: str, password: str, *, via: Via, client: str) -> Principal:
        """Check ``name`` / ``password``; return the principal, audited ``login``.

        Raises
        ------
        LoginRefused
            Unknown user, wrong password, disabled account (all the same message) or a lockout;
            audited ``login.failed`` (and ``login.locked`` by the failure that locks).
        AuditUnavailable
            The successful login could not be recorded: no unrecorded session is opened.
        """
        user = self._verify(name, password, via=via, client=client, failed_action="login.failed", purpose="login")
        principal = Principal(
            user.name, user.role, user.display_name, via, client, user.must_change_password, user.team
        )
        self._record(principal.actor(), "login", strict=True)
        return principal

    def logout(self, principal: Principal) -> None:
        """Record the end of a session (``logout``)."""
        self._record(principal.actor(), "logout")

    def principal_for_token(self, token: str, *, client: str) -> Principal | None:
        """The principal of an API token (``gmpt_...``), or None for an unknown, revoked or disabled one."""
        user = self.store.user_for_token(token)
        if user is None:
            return None
        return Principal(user.name, user.role, user.display_name, "http", client, user.must_change_password, user.team)

    def change_password(self, name: str, old: str, new: str, *, client: str, via: Via = "http") -> None:
        """Change one's own password: ``old`` is checked like a login, ``new`` must be strong.

        Clears ``must_change_password``; audited ``password.change`` (through the store's trail).

        Raises
        ------
        LoginRefused
            ``old`` is wrong (counts towards the lockout, audited ``login.failed``).
        ValueError
            ``new`` is too weak or equals ``old``.
        """
        user = self._verify(name, old, via=via, client=client, failed_action="login.failed", purpose="password change")
        check_strength(new, name=user.name)
        if new == old:
            raise ValueError("the new password must differ from the current one")
        actor = Actor(user.name, user.role, via, client)
        self.store.set_password(user.name, new, actor=actor, must_change_password=False, action="password.change")

    def sign(self, principal: Principal, password: str, meaning: str) -> Signature:
        """An electronic signature (21 CFR 11.200): the signer types their password again.

        Parameters
        ----------
        principal : Principal
            The logged-in signer.
        password : str
            Their password, re-entered.
        meaning : str
            One of :data:`audit.record.MEANINGS` (``reviewed``, ``approved``, ``performed``).

        Raises
        ------
        ValueError
            Unknown meaning.
        LoginRefused
            Wrong password or lockout; audited ``signature.failed``, counts towards the lockout.
        """
        if meaning not in MEANINGS:
            raise ValueError(f"unknown signature meaning {meaning!r}; meanings: {', '.join(MEANINGS)}")
        user = self._verify(
            principal.name,
            password,
            via=principal.via,
            client=principal.client,
            failed_action="signature.failed",
            purpose="signature",
        )
        return Signature(user.name, user.display_name or user.name, meaning, _utc_now())
