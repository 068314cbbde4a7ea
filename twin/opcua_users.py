"""OPC UA identities: the people of the users file on the twin's OPC UA server, and what each may do.

The users file is the one HTTP uses (:mod:`access`): a UserName token is checked by
:meth:`access.Authenticator.login` (argon2, failed-login lockout, every failure audited),
``via="opcua"``, with the session as the client (``"opc.tcp 127.0.0.1:53422 session i=12"``).
A refused login gets ``BadUserAccessDenied`` and no detail about which part was wrong.

What a session may do (the checks themselves live where the action is):

==============  =========================================================================
anonymous       browse, read, subscribe; every Write is refused (audited), no Call at all
student         also writes what the plant file marks operator-writable, and may call
                ``Twin/Operator/WriteWithReason``
instructor      also writes every writable tag and calls the ``Twin/Instructor`` methods
admin           as instructor
==============  =========================================================================

A user whose password is a one-time password (``must_change_password``) logs in read-only:
writes and calls are refused, with the reason in the log and the audit trail, until the
password is changed over HTTP (the dashboard's login page).

Two asyncua 2.1 hooks (asyncua is pinned, see ``pyproject.toml``) carry it:

- :class:`TwinUserManager` checks the token at ActivateSession and gives the session a
  :class:`TwinUser` holding the :class:`access.Principal`. It learns which session is
  being activated from the connection's task (:meth:`TwinUserManager.attach`), and records
  the logout when the session closes.
- :class:`TwinRuleset` is consulted by asyncua for every request of a session, before the
  request is decoded. It refuses address-space changes to everyone, and a Call to anyone whose
  role is too low for the method (audited ``access.denied``); it also records the caller, so a
  method handler can check again (:func:`caller`).

X.509 identity tokens (offered when the server has a certificate, :mod:`twin.opcua_security`)
log in the user whose users-file ``certificates`` list the token certificate's SHA-256
fingerprint (:meth:`access.UserStore.user_for_certificate`), audited ``login`` (or
``login.failed``) like a UserName login; asyncua has checked that the client holds its key.
When the server refuses policy None (bound beyond loopback), every ActivateSession over a None
channel is refused with ``BadSecurityModeRejected`` (:class:`twin.opcua_security.ChannelGuard`).
"""

from __future__ import annotations

import contextvars
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from asyncua import ua
from asyncua.common.utils import Buffer, ServiceError
from asyncua.crypto import uacrypto
from asyncua.crypto.permission_rules import USER_TYPES, PermissionRuleset, User, UserRole
from asyncua.ua.ua_binary import struct_from_binary

from access import ANONYMOUS, Authenticator, LoginRefused, Principal
from audit import Actor, AuditTrail, AuditUnavailable

log = logging.getLogger(__name__)

#: Why a session that logged in with a one-time password may not change anything yet.
MUST_CHANGE = (
    "logged in with a one-time password: the OPC UA session is read-only; change the password "
    "on the dashboard's login page, then connect again"
)
ANONYMOUS_READ_ONLY = "anonymous OPC UA sessions are read-only: log in with a user name and password"


@dataclass
class TwinUser(User):
    """An asyncua session user carrying the twin's :class:`access.Principal`.

    asyncua's own ``role`` is ``UserRole.User`` for a login and ``UserRole.Anonymous`` otherwise,
    never ``Admin`` (which would allow address-space changes and skip the access-level checks).
    """

    principal: Principal = ANONYMOUS

    @property
    def read_only(self) -> bool:
        """Anonymous, or a one-time password not yet changed: no writes, no calls."""
        return self.principal.role == "anonymous" or self.principal.must_change_password

    def actor(self) -> Actor:
        """Who the audit trail records for this session."""
        return self.principal.actor("opcua")


def refusal(principal: Principal, needed: str | None) -> str | None:
    """Why ``principal`` may not call a method needing role ``needed`` (None: any logged-in user).

    Returns None when the call is allowed.

    Examples
    --------
    >>> refusal(Principal("sam", "student", via="opcua"), "instructor")
    'sam (student) may not call an instructor method'
    >>> refusal(Principal("ines", "instructor", via="opcua"), "instructor") is None
    True
    """
    if principal.role == "anonymous":
        return ANONYMOUS_READ_ONLY
    if principal.must_change_password:
        return MUST_CHANGE
    if needed is not None and not principal.may(needed):
        return f"{principal.name} ({principal.role}) may not call an {needed} method"
    return None


#: The user of the request being served on this connection's task (set by the ruleset).
_caller: contextvars.ContextVar[User | None] = contextvars.ContextVar("gmp_twin_opcua_caller", default=None)
#: The session created or re-activated on this connection's task (set by TwinUserManager.attach).
_session: contextvars.ContextVar[Any] = contextvars.ContextVar("gmp_twin_opcua_session", default=None)
#: The X.509 identity token certificate asyncua has just verified on this connection's task.
_x509: contextvars.ContextVar[bytes | None] = contextvars.ContextVar("gmp_twin_opcua_x509", default=None)


def current_session() -> Any:
    """The session being created or activated on this connection's task (None outside)."""
    return _session.get()


def caller() -> TwinUser | None:
    """The session user of the client request being served; None outside a client request."""
    user = _caller.get()
    return user if isinstance(user, TwinUser) else None


def session_client(session: Any) -> str:
    """``"opc.tcp <peer host:port> session <session id>"`` for the audit trail."""
    if session is None:
        return "opc.tcp ?"
    peer = getattr(session, "name", None)
    host = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) and len(peer) >= 2 else str(peer or "?")
    session_id = getattr(session, "session_id", None)
    return f"opc.tcp {host} session {session_id.to_string() if session_id is not None else '?'}"


class TwinUserManager:
    """asyncua user manager: UserName tokens through the :class:`access.Authenticator`.

    Parameters
    ----------
    authenticator : Authenticator or None
        The users file's logins; None: no UserName login exists (only anonymous sessions).
    allow_anonymous : bool
        Whether an anonymous session is accepted (read-only).
    """

    def __init__(self, authenticator: Authenticator | None, allow_anonymous: bool = True) -> None:
        self.authenticator = authenticator
        self.allow_anonymous = allow_anonymous
        #: Set by :func:`twin.opcua_security.configure_security` when None channels are refused.
        self.channel_guard: Any = None

    def attach(self, iserver: Any) -> None:
        """Learn which session each connection creates or re-activates, and when it closes.

        asyncua's ``get_user`` is not told the session; a connection's requests are served one
        after the other on one task, so the session created (or looked up on reconnect) there is
        kept in a context variable that ``get_user`` reads at the following ActivateSession.
        """
        create: Callable[..., Any] = iserver.create_session
        lookup: Callable[[ua.NodeId], Any] = iserver.lookup_external_session

        def create_session(name: Any, user: User = User(role=UserRole.Anonymous), external: bool = False) -> Any:  # noqa: B008 (asyncua's own default)
            session = create(name, user=user, external=external)
            if external:
                _session.set(session)
                self._record_logout(session)
            return session

        def lookup_external_session(auth_token: ua.NodeId) -> Any:
            session = lookup(auth_token)
            if session is not None:
                _session.set(session)
            return session

        verify_x509: Callable[..., bytes] = iserver.verify_x509_token

        def verify_x509_token(isession: Any, token: ua.X509IdentityToken, signature: ua.SignatureData) -> bytes:
            data = verify_x509(isession, token, signature)  # raises unless the client signed with its key
            _x509.set(data)  # get_user, called next, is told only "certificate=": this says which kind
            return data

        iserver.create_session = create_session
        iserver.lookup_external_session = lookup_external_session
        iserver.verify_x509_token = verify_x509_token

    def _record_logout(self, session: Any) -> None:
        close = session.close_session
        closed = False

        async def close_session(delete_subs: bool = True) -> None:
            nonlocal closed
            user = session.user
            await close(delete_subs)
            if closed:
                return
            closed = True
            if self.authenticator is not None and isinstance(user, TwinUser) and user.principal.role != "anonymous":
                self.authenticator.logout(user.principal)

        session.close_session = close_session

    def get_user(
        self, iserver: Any, username: str | None = None, password: str | None = None, certificate: Any = None
    ) -> User | None:
        # ``certificate`` is the channel's client certificate, or the X.509 token's certificate
        # (then ``_x509`` holds it too): only the latter is an identity.
        session = _session.get()
        client = session_client(session)
        token_certificate = _x509.get()
        _x509.set(None)
        if self.channel_guard is not None and not self.channel_guard.secure(session):
            log.warning(
                "OPC UA session refused (%s): security policy None is not offered beyond loopback; "
                "connect with Basic256Sha256 Sign or SignAndEncrypt",
                client,
            )
            raise ServiceError(ua.StatusCodes.BadSecurityModeRejected)
        if token_certificate is not None:
            return self._certificate_login(token_certificate, client)
        if username is None:
            if not self.allow_anonymous:
                log.warning("OPC UA anonymous session refused (%s): anonymous access is off", client)
                return None
            return TwinUser(
                role=UserRole.Anonymous, name=None, principal=Principal("anonymous", "anonymous", "", "opcua", client)
            )
        if self.authenticator is None:
            log.warning("OPC UA login refused for %r (%s): no users file is configured", username[:80], client)
            return None
        try:
            principal = self.authenticator.login(username, password or "", via="opcua", client=client)
        except LoginRefused as exc:
            log.warning("OPC UA login refused for %r (%s): %s", username[:80], client, exc)
            return None
        except AuditUnavailable:
            log.exception("OPC UA login of %r refused: the audit trail cannot record it", username[:80])
            return None
        if principal.must_change_password:
            log.warning("OPC UA session of %s (%s) is read-only: %s", principal.name, client, MUST_CHANGE)
        else:
            log.info("OPC UA session of %s (%s), %s", principal.name, principal.role, client)
        return TwinUser(role=UserRole.User, name=principal.name, principal=principal)

    def _certificate_login(self, data: bytes, client: str) -> User | None:
        """The users-file user mapped to the X.509 token's certificate, audited like a password login."""
        der = uacrypto.der_from_x509(uacrypto.x509_from_der(data))  # the first of a chain
        sha256 = hashlib.sha256(der).hexdigest()
        auth = self.authenticator
        user = auth.store.user_for_certificate(sha256) if auth is not None else None
        if user is None or auth is None:
            why = "no users file" if auth is None else "certificate mapped to no enabled user"
            log.warning("OPC UA certificate login refused (%s): sha256 %s, %s", client, sha256, why)
            if auth is not None and auth.audit is not None:
                try:
                    auth.audit.append(
                        Actor("x509:" + sha256[:16], "anonymous", "opcua", client),
                        "login.failed",
                        f"certificate:{sha256}",
                        result="refused",
                        status="BadUserAccessDenied",
                        detail=f"login refused: {why}",
                    )
                except AuditUnavailable:
                    log.exception("could not record the refused certificate login")
            return None
        # No one-time password is involved: the mapping itself was set up by an admin.
        principal = Principal(user.name, user.role, user.display_name, "opcua", client, team=user.team)
        if auth.audit is not None:
            try:
                auth.audit.append(
                    principal.actor(), "login", f"user:{user.name}", detail=f"X.509 certificate sha256 {sha256}"
                )
            except AuditUnavailable:
                log.exception("OPC UA certificate login of %s refused: the audit trail cannot record it", user.name)
                return None
        log.info("OPC UA session of %s (%s) by certificate, %s", principal.name, principal.role, client)
        return TwinUser(role=UserRole.User, name=principal.name, principal=principal)


_SERVICE_TYPES = frozenset(ua.NodeId(t) for t in USER_TYPES)
_CALL = ua.NodeId(ua.ObjectIds.CallRequest_Encoding_DefaultBinary)


class TwinRuleset(PermissionRuleset):
    """Which requests a session may make: no address-space changes; calls by role.

    asyncua asks it for every request of a session (before the request is decoded), with
    the session's user and the raw request body. Writes are let through: each write is then
    checked, and audited, one by one (:class:`twin.opcua_server.TwinOpcUaServer`).

    Attributes
    ----------
    methods : dict
        Method node id -> (name, role needed), filled as the twin's methods are created.
        Other methods (asyncua's own) need a logged-in user.
    audit : AuditTrail or None
        Where refused calls are recorded (``access.denied``).
    """

    def __init__(self, audit: AuditTrail | None = None) -> None:
        self.methods: dict[ua.NodeId, tuple[str, str]] = {}
        self.audit = audit

    def check_validity(self, user: User | None, action_type_id: ua.NodeId, body: Buffer) -> bool:
        _caller.set(user)
        if action_type_id not in _SERVICE_TYPES:
            return False  # AddNodes, DeleteNodes, RegisterServer...: nobody over the network
        if not isinstance(user, TwinUser):
            return False  # a session that was never activated
        if action_type_id == _CALL:
            return self._may_call(user, body)
        return True

    def _may_call(self, user: TwinUser, body: Buffer) -> bool:
        params = struct_from_binary(ua.CallParameters, body.copy())  # copy: asyncua decodes body next
        refused = False
        for request in params.MethodsToCall or []:
            name, needed = self.methods.get(request.MethodId, (request.MethodId.to_string(), None))
            why = refusal(user.principal, needed)
            if why is not None:
                refused = True
                deny(self.audit, user, name, why)
        return not refused


def deny(audit: AuditTrail | None, user: TwinUser, method: str, why: str) -> None:
    """Log and audit (``access.denied``) a refused method call; the refusal stands even unrecorded."""
    log.warning("OPC UA call of %s refused to %s (%s): %s", method, user.principal.name, user.principal.client, why)
    if audit is None:
        return
    try:
        audit.append(
            user.actor(),
            "access.denied",
            f"method:{method}",
            result="refused",
            status="BadUserAccessDenied",
            detail=why,
        )
    except AuditUnavailable:
        log.exception("could not record the refused call of %s", method)


__all__ = [
    "MUST_CHANGE",
    "TwinRuleset",
    "TwinUser",
    "TwinUserManager",
    "caller",
    "current_session",
    "deny",
    "refusal",
    "session_client",
]
