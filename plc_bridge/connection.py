"""Open an OPC UA client the way a tag map says: security policy, trust, identity.

One factory for the bridge and for ``gmp-twin tagmap --browse``. It turns the server's
refusals that retrying cannot fix (a policy it does not offer, a wrong password, a server
certificate nobody trusted, a client certificate the server did not trust) into one
:class:`ConnectionRefusedByPolicy` whose message names the tag map file, the field and the
endpoint, and says what to change. Transport failures stay plain ``OSError`` /
``TimeoutError`` / ``ConnectionError``: the caller retries those.

Credentials never reach a log line or a message: endpoints are shown through
:func:`describe`, which drops any ``user:password@`` part.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from pathlib import Path
from urllib.parse import unquote, urlsplit

from asyncua import Client, ua
from asyncua.crypto import cert_gen, security_policies
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from config_schema.tagmap import TagMap, TagMapIdentity, TagMapSecurity
from pki.store import Pki, thumbprint

__all__ = [
    "ConnectionRefusedByPolicy",
    "ServerCertificateUntrusted",
    "describe",
    "open_client",
    "url_credentials",
]

log = logging.getLogger(__name__)

#: Where the bridge's PKI folder is when the caller gives none (Settings ``pki`` default).
DEFAULT_PKI = Path("data/pki")

_USER_REFUSED = {
    ua.StatusCodes.BadUserAccessDenied,
    ua.StatusCodes.BadIdentityTokenRejected,
    ua.StatusCodes.BadIdentityTokenInvalid,
    ua.StatusCodes.BadUserSignatureInvalid,
}
_POLICY_REFUSED = {ua.StatusCodes.BadSecurityModeRejected, ua.StatusCodes.BadSecurityPolicyRejected}
_CLIENT_CERT_REFUSED = {
    ua.StatusCodes.BadCertificateUntrusted,
    ua.StatusCodes.BadCertificateInvalid,
    ua.StatusCodes.BadSecurityChecksFailed,
    ua.StatusCodes.BadCertificateUriInvalid,
    ua.StatusCodes.BadCertificateUseNotAllowed,
    ua.StatusCodes.BadCertificateTimeInvalid,
}


class _HideIdentityTokens(logging.Filter):
    """asyncua logs every request at DEBUG, ActivateSession's user token included.

    Over a SignAndEncrypt channel the token's password is not encrypted again (the channel is),
    so that debug line would show it in clear: it is replaced by the request's type only.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        if any(isinstance(a, ua.ActivateSessionRequest | ua.ActivateSessionParameters) for a in args):
            record.args = tuple(
                "ActivateSessionRequest(identity token hidden)"
                if isinstance(a, ua.ActivateSessionRequest | ua.ActivateSessionParameters)
                else a
                for a in args
            )
        return True


def _hide_identity_tokens() -> None:
    target = logging.getLogger("asyncua.client.ua_client.UASocketProtocol")
    if not any(isinstance(f, _HideIdentityTokens) for f in target.filters):
        target.addFilter(_HideIdentityTokens())


class ConnectionRefusedByPolicy(ConnectionError):
    """The server refused the connection for a reason a retry will not fix.

    The message names the tag map file (and line), the field to change and the endpoint.
    """


class ServerCertificateUntrusted(ConnectionRefusedByPolicy):
    """The server's certificate is not trusted (yet): its thumbprint and where it was filed."""

    def __init__(self, message: str, thumbprint: str, path: Path | None = None) -> None:
        super().__init__(message)
        self.thumbprint = thumbprint
        self.path = path


def describe(endpoint: str) -> str:
    """The endpoint without any ``user:password@`` part, for logs and errors.

    >>> describe("opc.tcp://opcuser:s3cret@plc.local:4840/path")
    'opc.tcp://plc.local:4840/path'
    >>> describe("opc.tcp://127.0.0.1:4840")
    'opc.tcp://127.0.0.1:4840'
    """
    parts = urlsplit(endpoint)
    if "@" not in parts.netloc:
        return endpoint
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def url_credentials(endpoint: str) -> tuple[str | None, str | None]:
    """``(user, password)`` written in an endpoint URL (the old way; still accepted).

    >>> url_credentials("opc.tcp://op%40lab:p%3Aw@h:4840")
    ('op@lab', 'p:w')
    """
    parts = urlsplit(endpoint)
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    return user, password


class _Where:
    """Names fields as ``file:line: field`` when a tag map is known, else by field name."""

    def __init__(self, tagmap: TagMap | None) -> None:
        self.tagmap = tagmap

    def __call__(self, *path: str | int) -> str:
        if self.tagmap is not None:
            return self.tagmap.where(*path)
        return ".".join(str(p) for p in path)


async def open_client(
    endpoint: str,
    security: TagMapSecurity | None,
    identity: TagMapIdentity | None,
    *,
    pki: Pki | None = None,
    timeout_s: float = 4.0,
    tagmap: TagMap | None = None,
    username: str | None = None,
    password: str | None = None,
    name: str = "gmp-twin bridge",
    watchdog_interval_s: float = 1.0,
) -> Client:
    """A connected asyncua client (the caller disconnects it).

    Parameters
    ----------
    endpoint : str
        ``opc.tcp://[user:password@]host:port[/path]``; URL credentials are the last resort.
    security, identity : optional
        The tag map's ``security:`` and ``identity:`` blocks (``None``: policy None, anonymous
        unless ``username`` or URL credentials are given).
    pki : Pki, optional
        The PKI folder for the client certificate and the trusted server certificates
        (default ``data/pki``).
    tagmap : TagMap, optional
        Only to name its file and lines in messages.
    username, password : str, optional
        A user name identity given outside the tag map (``GMP_TWIN_OPCUA_USERNAME``); the
        tag map's ``identity:`` wins when it is set.

    Raises
    ------
    ConnectionRefusedByPolicy
        Policy or mode not offered, identity refused, certificate not trusted (either side).
    OSError, TimeoutError, ConnectionError
        The server could not be reached (retry later).
    """
    _hide_identity_tokens()
    where = _Where(tagmap)
    shown = describe(endpoint)
    url_user, url_password = url_credentials(endpoint)
    client = Client(shown, timeout=timeout_s, watchdog_intervall=watchdog_interval_s)
    client.name = client.description = name
    client.session_timeout = 600_000  # what servers grant anyway; avoids a warning
    secure = security is not None and security.secure
    endpoint_desc: ua.EndpointDescription | None = None
    own_cert: tuple[Path, Path] | None = None
    if secure:
        assert security is not None
        pki = pki or _default_pki()
        endpoint_desc = await _pick_endpoint(shown, security, where, timeout_s)
        server_der = _first_cert(endpoint_desc.ServerCertificate)
        _check_server_trust(server_der, security, pki, shown, where, tagmap)
        own_cert = await _own_certificate(client, security, pki)
        policy = getattr(security_policies, "SecurityPolicy" + security.policy.replace("_", ""))
        await client.set_security(
            policy,
            str(own_cert[0]),
            str(own_cert[1]),
            server_certificate=server_der,
            mode=ua.MessageSecurityMode[security.mode],
        )
    kind, user, secret = _identity(identity, username, password, url_user, url_password, where)
    if kind == "username":
        client.set_user(user or "")
        client.set_password(secret or "")
    elif kind == "certificate":
        assert identity is not None
        if identity.certificate is not None and identity.private_key is not None:
            cert_path, key_path = identity.certificate, identity.private_key
        else:
            if own_cert is None:
                own_cert = await _own_certificate(client, security, pki or _default_pki())
            cert_path, key_path = own_cert
        await client.load_client_certificate(str(cert_path))
        await client.load_private_key(key_path)
    try:
        await asyncio.wait_for(client.connect(), timeout=timeout_s * 2)
    except ua.UaStatusCodeError as exc:
        raise await _explain(exc, client, shown, security, kind, user, where, own_cert, timeout_s) from None
    except (OSError, TimeoutError):
        raise
    except ua.UaError as exc:
        if "No matching endpoints" not in str(exc):
            raise
        # The session's endpoint list has no such policy/mode (a secure-only server, no security: block).
        raise await _explain(
            ua.UaStatusCodeError(ua.StatusCodes.BadSecurityPolicyRejected),
            client,
            shown,
            security,
            kind,
            user,
            where,
            own_cert,
            timeout_s,
        ) from None
    return client


def _default_pki() -> Pki:
    return Pki(DEFAULT_PKI)


def _first_cert(der: bytes | None) -> bytes:
    # Servers may send a chain; the first certificate is theirs (outer SEQUENCE length, bytes 2:4).
    if not der:
        return b""
    length = int.from_bytes(der[2:4], "big") + 4
    return der[:length]


def _offered(endpoints: list[ua.EndpointDescription]) -> str:
    seen = []
    for ep in endpoints:
        label = f"{ep.SecurityPolicyUri.rpartition('#')[2]}/{ep.SecurityMode.name}"
        if label not in seen:
            seen.append(label)
    return ", ".join(seen) or "nothing"


async def _endpoints(shown: str, timeout_s: float) -> list[ua.EndpointDescription]:
    probe = Client(shown, timeout=timeout_s)
    return await asyncio.wait_for(probe.connect_and_get_server_endpoints(), timeout=timeout_s * 2)


async def _pick_endpoint(
    shown: str, security: TagMapSecurity, where: _Where, timeout_s: float
) -> ua.EndpointDescription:
    endpoints = await _endpoints(shown, timeout_s)
    policy_uri = getattr(security_policies, "SecurityPolicy" + security.policy.replace("_", "")).URI
    mode = ua.MessageSecurityMode[security.mode]
    for ep in endpoints:
        if ep.SecurityPolicyUri == policy_uri and ep.SecurityMode == mode:
            return ep
    raise ConnectionRefusedByPolicy(
        f"{where('security', 'policy')}: {shown} does not offer {security.policy}/{security.mode}; "
        f"it offers {_offered(endpoints)}. Set security.policy and security.mode to one of these."
    )


def _check_server_trust(
    der: bytes, security: TagMapSecurity, pki: Pki, shown: str, where: _Where, tagmap: TagMap | None
) -> None:
    thumb = thumbprint(der)
    field = where("security", "server_trust")
    pinned = security.pinned_thumbprint
    if pinned is not None:
        if thumb != pinned:
            raise ServerCertificateUntrusted(
                f"{field}: {shown} presented certificate sha1:{thumb}, not the pinned sha1:{pinned}. "
                f"If the server's certificate was renewed on purpose, pin the new one: server_trust: sha1:{thumb}",
                thumb,
            )
        return
    if security.server_trust == "tofu":
        _trust_on_first_use(der, thumb, pki, shown, field)
        return
    if pki.is_trusted(der):
        return
    info = pki.reject(der)
    file_hint = f" in {tagmap.file}" if tagmap is not None else ""
    raise ServerCertificateUntrusted(
        f"{field}: the server certificate of {shown} (thumbprint {thumb}) is not trusted; it was filed at "
        f"{info.path}. Trust it with `{pki.trust_hint(info)}` (or copy it into "
        f"{pki.root / 'trusted' / 'certs'}), or pin it with server_trust: sha1:{thumb}{file_hint}",
        thumb,
        info.path,
    )


def _trust_on_first_use(der: bytes, thumb: str, pki: Pki, shown: str, field: str) -> None:
    # The first certificate seen for an endpoint is remembered; a different one later is refused.
    record = pki.root / "tofu.json"
    seen: dict[str, str] = json.loads(record.read_text()) if record.exists() else {}
    known = seen.get(shown)
    if known == thumb:
        return
    if known is not None:
        raise ServerCertificateUntrusted(
            f"{field}: {shown} presented certificate {thumb}, but {known} was trusted on first use "
            f"(recorded in {record}). If the server's certificate was renewed on purpose, remove its line "
            "from that file; otherwise something else answers at this address.",
            thumb,
        )
    seen[shown] = thumb
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps(seen, indent=1, sort_keys=True))
    log.warning("%s: trusting %s's certificate %s on first use (recorded in %s)", field, shown, thumb, record)


async def _own_certificate(client: Client, security: TagMapSecurity | None, pki: Pki) -> tuple[Path, Path]:
    """The bridge's certificate and key: the tag map's (generated there when missing) or the PKI's."""
    host = socket.gethostname()
    if security is not None and security.certificate is not None and security.private_key is not None:
        cert, key = security.certificate, security.private_key
        if cert.exists() and key.exists():
            client.application_uri = _uri_of(cert) or client.application_uri
            return cert, key
        client.application_uri = f"urn:{host}:gmp-twin:bridge"
        key.parent.mkdir(parents=True, exist_ok=True)
        cert.parent.mkdir(parents=True, exist_ok=True)
        await cert_gen.setup_self_signed_certificate(
            key, cert, client.application_uri, host, [ExtendedKeyUsageOID.CLIENT_AUTH], {}
        )
        log.info("generated the bridge's certificate %s (thumbprint %s)", cert, thumbprint(cert.read_bytes()))
        return cert, key
    client.application_uri = f"urn:{host}:gmp-twin:bridge"
    cert, key = pki.ensure_own(client.application_uri, [host, "localhost"], name="bridge")
    client.application_uri = _uri_of(Path(cert)) or client.application_uri
    return Path(cert), Path(key)


def _uri_of(path: Path) -> str | None:
    """The ApplicationUri (SAN URI) of a certificate file, if it has one."""
    der_or_pem = path.read_bytes()
    try:
        cert = (
            x509.load_pem_x509_certificate(der_or_pem)
            if der_or_pem.startswith(b"-----")
            else x509.load_der_x509_certificate(der_or_pem)
        )
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except (ValueError, x509.ExtensionNotFound):
        return None
    uris = san.value.get_values_for_type(x509.UniformResourceIdentifier)
    return uris[0] if uris else None


def _identity(
    identity: TagMapIdentity | None,
    username: str | None,
    password: str | None,
    url_user: str | None,
    url_password: str | None,
    where: _Where,
) -> tuple[str, str | None, str | None]:
    """(kind, user, password): the tag map's identity, else the given login, else the URL's."""
    if identity is not None:
        if identity.kind != "username":
            return identity.kind, None, None
        try:
            secret = identity.password()
        except LookupError as exc:
            field = "password_env" if identity.password_env else "password_file"
            raise ConnectionRefusedByPolicy(f"{where('identity', field)}: {exc}") from None
        if secret is None:
            secret = password if password is not None else url_password
        return "username", identity.username, secret
    if username:
        return "username", username, password if password is not None else url_password
    if url_user:
        return "username", url_user, url_password
    return "anonymous", None, None


async def _explain(
    exc: ua.UaStatusCodeError,
    client: Client,
    shown: str,
    security: TagMapSecurity | None,
    kind: str,
    user: str | None,
    where: _Where,
    own_cert: tuple[Path, Path] | None,
    timeout_s: float,
) -> Exception:
    """The refusal as a message a person can act on (never containing the password)."""
    code = exc.code
    name = ua.StatusCode(code).name
    if code in _USER_REFUSED:
        if kind == "anonymous":
            return ConnectionRefusedByPolicy(
                f"{where('identity', 'kind')}: {shown} refused an anonymous session ({name}); "
                "set identity: {kind: username, username: ..., password_env: ...} in the tag map"
            )
        if kind == "certificate":
            return ConnectionRefusedByPolicy(
                f"{where('identity', 'certificate')}: {shown} refused the X.509 user certificate ({name}); "
                "map that certificate to a user on the server"
            )
        return ConnectionRefusedByPolicy(
            f"{where('identity', 'username')}: {shown} refused user {user!r} ({name}): wrong user name or "
            "password? Check identity.username and the secret behind identity.password_env / password_file"
        )
    if code in _CLIENT_CERT_REFUSED and own_cert is not None:
        thumb = thumbprint(own_cert[0].read_bytes()) if own_cert[0].exists() else "?"
        return ConnectionRefusedByPolicy(
            f"{where('security', 'certificate')}: {shown} did not accept the bridge's certificate "
            f"{own_cert[0]} (thumbprint {thumb}, {name}); trust it on the server (the twin: "
            f"`gmp-twin pki trust {thumb[:16]}`; a PLC: its certificate manager)"
        )
    insecure = security is None or not security.secure
    if code in _POLICY_REFUSED or (insecure and code in _CLIENT_CERT_REFUSED):
        # Say what the server does offer: the usual cause is a secure-only PLC and no security: block.
        try:
            offered = _offered(await _endpoints(shown, timeout_s))
        except Exception:
            offered = "(could not list its endpoints)"
        policy = security.policy if security else "None"
        mode = security.mode if security else "None"
        return ConnectionRefusedByPolicy(
            f"{where('security', 'policy')}: {shown} refused {policy}/{mode} ({name}); it offers {offered}. "
            "Set security.policy and security.mode to one of these."
        )
    return ConnectionRefusedByPolicy(f"{where('security')}: {shown} refused the connection ({name})")
