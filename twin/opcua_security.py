"""Security of the twin's OPC UA server: endpoints, certificates and which tokens go where.

The rules (issue #12), decided by :func:`plan_security` from the bind address:

==========================  ======================================  ====================================
bound to                    endpoints (security policy, mode)       identity tokens
==========================  ======================================  ====================================
loopback (127.0.0.1, ::1)   None, and with a PKI folder             anonymous (if allowed), UserName,
                            Basic256Sha256, Aes128_Sha256_RsaOaep,  X.509 (with a PKI folder)
                            Aes256_Sha256_RsaPss, Sign and
                            SignAndEncrypt
beyond (0.0.0.0, an IP)     the secure ones only (needs a PKI       UserName and X.509; no anonymous
                            folder); no None                        (whatever ``allow_anonymous`` says)
beyond with ``insecure``    as loopback                             as loopback
==========================  ======================================  ====================================

A UserName password never crosses the network in clear when the server has a certificate:
over SignAndEncrypt the whole message is encrypted, over Sign the token is encrypted with the
channel's policy, and over None (loopback only) asyncua encrypts the token with the first
SignAndEncrypt policy (``EncryptionAlgorithm`` rsa-oaep / rsa-oaep-sha256).

asyncua 2.1 accepts a session over a None secure channel even when no None endpoint is
offered (the channel starts as None for GetEndpoints); :class:`ChannelGuard` closes that hole:
the user manager asks it, at ActivateSession, whether the session's channel is secure.

A client's application certificate must be in the PKI folder's ``trusted/certs``; an unknown
one is filed under ``rejected/certs`` with one log line naming its thumbprint and the
``gmp-twin pki trust`` command (:meth:`pki.Pki.validator`); a None channel's client
certificate is not judged (it secures nothing; node-opcua sends one anyway). The certificates
in the folder's ``own/certs`` are trusted too: the twin's own tag maps (``gmp-twin run``, the
``bridge`` role) always connect Basic256Sha256 SignAndEncrypt, unless ``--insecure``, and a
bridge sharing the folder is trusted with no step, wherever the twin binds. A bridge with its
own folder (another machine, another container) needs one ``gmp-twin pki trust`` on each side.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from asyncua import Server, ua

from pki import Pki, Validator
from twin.opcua_users import current_session

log = logging.getLogger(__name__)

#: Every secure endpoint asyncua 2.1 serves, strongest first (Basic128Rsa15 / Basic256 are deprecated).
SECURE_POLICIES: tuple[ua.SecurityPolicyType, ...] = (
    ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt,
    ua.SecurityPolicyType.Basic256Sha256_Sign,
    ua.SecurityPolicyType.Aes256Sha256RsaPss_SignAndEncrypt,
    ua.SecurityPolicyType.Aes256Sha256RsaPss_Sign,
    ua.SecurityPolicyType.Aes128Sha256RsaOaep_SignAndEncrypt,
    ua.SecurityPolicyType.Aes128Sha256RsaOaep_Sign,
)


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` only accepts connections from this machine.

    Examples
    --------
    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("localhost")
    (True, True, True)
    >>> is_loopback("0.0.0.0"), is_loopback("192.168.1.20"), is_loopback("plc.school.lan")
    (False, False, False)
    """
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def application_uri(hostname: str | None = None) -> str:
    """The twin server's ApplicationUri, ``urn:<host>:gmp-twin`` (unique per machine, as OPC UA asks)."""
    return f"urn:{hostname or socket.gethostname()}:gmp-twin"


@dataclass(frozen=True)
class ServerSecurity:
    """How to secure the server: its PKI folder, and whether None is allowed beyond loopback.

    Attributes
    ----------
    pki : Pki or None
        The PKI folder (own certificate generated at first start, trusted/rejected clients);
        None: no certificate, so only policy None, which is refused beyond loopback.
    insecure : bool
        ``--insecure``: offer None and anonymous beyond loopback too (a lab on an isolated network).
    """

    pki: Pki | None = None
    insecure: bool = False


@dataclass(frozen=True)
class SecurityPlan:
    """What :func:`configure_security` sets up (also logged at start)."""

    host: str
    loopback: bool
    policies: tuple[ua.SecurityPolicyType, ...]
    tokens: tuple[type, ...]

    @property
    def allow_none(self) -> bool:
        """Whether the None security policy is offered (and sessions over it accepted)."""
        return ua.SecurityPolicyType.NoSecurity in self.policies

    @property
    def allow_anonymous(self) -> bool:
        return ua.AnonymousIdentityToken in self.tokens

    def describe(self) -> str:
        """One line for the log: policies and tokens."""
        names = ", ".join(p.name for p in self.policies)
        tokens = ", ".join(t.__name__.removesuffix("IdentityToken") for t in self.tokens)
        return f"security policies {names}; identity tokens {tokens}"


class InsecureBindRefused(ValueError):
    """Bound beyond loopback without a certificate and without ``--insecure``."""


def plan_security(endpoint: str, security: ServerSecurity, allow_anonymous: bool) -> SecurityPlan:
    """Decide the endpoints and tokens for a server listening on ``endpoint``.

    Raises
    ------
    InsecureBindRefused
        Bound beyond loopback with no PKI folder and not ``insecure``: it could offer nothing.

    Examples
    --------
    >>> plan_security("opc.tcp://127.0.0.1:4840/", ServerSecurity(), True).describe()
    'security policies NoSecurity; identity tokens Anonymous, UserName'
    >>> from pki import Pki
    >>> plan = plan_security("opc.tcp://0.0.0.0:4840/", ServerSecurity(Pki("data/pki")), True)
    >>> plan.allow_none, plan.allow_anonymous, ua.UserNameIdentityToken in plan.tokens
    (False, False, True)
    """
    host = urlparse(endpoint).hostname or ""
    loopback = is_loopback(host)
    open_ok = loopback or security.insecure
    policies: list[ua.SecurityPolicyType] = [ua.SecurityPolicyType.NoSecurity] if open_ok else []
    if security.pki is not None:
        policies.extend(SECURE_POLICIES)
    if not policies:
        raise InsecureBindRefused(
            f"the OPC UA server binds {host or endpoint}, beyond loopback, without a certificate: give it a PKI "
            "folder (GMP_TWIN_PKI, default data/pki) or start with --insecure on an isolated network"
        )
    tokens: list[type] = []
    if allow_anonymous and open_ok:
        tokens.append(ua.AnonymousIdentityToken)
    tokens.append(ua.UserNameIdentityToken)
    if security.pki is not None:
        tokens.append(ua.X509IdentityToken)
    return SecurityPlan(host, loopback, tuple(policies), tuple(tokens))


class ChannelGuard:
    """Tells whether a session's secure channel is signed or encrypted (asyncua 2.1 internals).

    asyncua's user manager is not told the channel; the session being activated is looked up
    among the server's connections (``Server.bserver.clients``). A session found on no
    connection, or on two with different security, counts as not secure.
    """

    def __init__(self, server: Server) -> None:
        self.server = server

    def modes(self, session: Any) -> list[ua.MessageSecurityMode]:
        """The security modes of the connections carrying ``session``."""
        bserver = self.server.bserver
        found = []
        for protocol in list(bserver.clients) if bserver is not None else []:
            processor = getattr(protocol, "processor", None)
            if processor is None or session is None or processor.session is not session:
                continue
            found.append(processor._connection.security_policy.Mode)  # asyncua 2.1: the channel's policy
        return found

    def secure(self, session: Any) -> bool:
        """Whether every connection carrying ``session`` has a Sign or SignAndEncrypt channel."""
        modes = self.modes(session)
        return bool(modes) and all(m != ua.MessageSecurityMode.None_ for m in modes)

    def open(self, session: Any) -> bool:
        """Whether ``session`` is known to be carried by None channels only."""
        modes = self.modes(session)
        return bool(modes) and all(m == ua.MessageSecurityMode.None_ for m in modes)


def client_certificate_check(pki: Pki, guard: ChannelGuard) -> Validator:
    """The server's client-certificate check: the PKI folder's, except on a None channel.

    A None channel does not use the client's certificate (OPC UA Part 4, CreateSession), yet
    clients such as node-opcua send one (to encrypt the password): it is then not judged.
    """
    check = pki.validator(peer="client")

    async def validate(cert: Any, app_description: Any = None) -> None:
        if guard.open(current_session()):
            return
        await check(cert, app_description)

    return validate


async def configure_security(
    server: Server, user_manager: Any, ruleset: Any, endpoint: str, security: ServerSecurity, allow_anonymous: bool
) -> SecurityPlan:
    """Set ``server``'s endpoints, certificate, client-certificate check and tokens.

    Call after ``server.init()`` and ``set_endpoint``, before ``start()``.

    Parameters
    ----------
    server : asyncua.Server
    user_manager : twin.opcua_users.TwinUserManager
        Told whether sessions over a None channel are refused, and how to check a channel.
    ruleset : asyncua PermissionRuleset
        The per-request ruleset (kept: ``set_security_policy`` takes both).
    endpoint, security, allow_anonymous
        See :func:`plan_security`.
    """
    plan = plan_security(endpoint, security, allow_anonymous)
    guard = ChannelGuard(server)
    if security.pki is not None:
        uri = application_uri()
        hostnames = [plan.host, socket.gethostname(), socket.getfqdn(), "localhost", "127.0.0.1"]
        hostnames = [h for h in hostnames if h and h not in ("0.0.0.0", "::")]
        cert_path, key_path = security.pki.ensure_own(uri, hostnames)
        await server.set_application_uri(uri)
        await server.load_certificate(str(cert_path))
        await server.load_private_key(str(key_path))
        # For a bridge sharing the folder that checks only trusted/ (it is this installation).
        security.pki.add_trusted(cert_path.read_bytes())
        server.set_certificate_validator(client_certificate_check(security.pki, guard))
    server.set_security_policy(list(plan.policies), permission_ruleset=ruleset)
    server.set_identity_tokens(list(plan.tokens))
    user_manager.channel_guard = None if plan.allow_none else guard
    if not plan.loopback and plan.allow_none:
        log.warning("OPC UA server bound to %s with --insecure: policy None and anonymous sessions offered", plan.host)
    log.info("OPC UA %s", plan.describe())
    return plan


__all__ = [
    "SECURE_POLICIES",
    "ChannelGuard",
    "InsecureBindRefused",
    "SecurityPlan",
    "ServerSecurity",
    "application_uri",
    "client_certificate_check",
    "configure_security",
    "is_loopback",
    "plan_security",
]
