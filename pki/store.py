"""A PKI folder of an OPC UA application: its own certificate, and whom it trusts.

The layout is the usual one (UaExpert, node-opcua, the OPC UA GDS)::

    <root>/own/certs/<name>.der        this application's certificate (generated at first use)
    <root>/own/private/<name>.pem      its private key (mode 0600)
    <root>/trusted/certs/*.der|pem     peers this application accepts
    <root>/rejected/certs/*.der        peers seen and refused, waiting for ``gmp-twin pki trust``
    <root>/issuers/certs/              CA certificates (kept for the layout; not used for trust yet)

A peer is trusted when its exact certificate is in ``trusted/certs`` (a self-signed
application certificate, as every OPC UA device makes by default) or in ``own/certs``: the
applications sharing one folder (the twin's server and its bridge, ``gmp-twin run``) are one
installation and trust each other. The folder is read again at every check, so
``gmp-twin pki trust`` takes effect without a restart.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import logging
import os
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from asyncua import ua
from asyncua.common.utils import ServiceError
from asyncua.crypto.cert_gen import dump_private_key_as_pem, generate_private_key, generate_self_signed_app_certificate
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, load_pem_private_key
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

log = logging.getLogger(__name__)

#: Validity of a generated application certificate (OPC UA devices commonly use 1 to 20 years).
OWN_CERT_DAYS = 5 * 365

#: ``validator()``'s callable: asyncua calls it with (certificate, ApplicationDescription).
Validator = Callable[..., Awaitable[None]]


def thumbprint(der: bytes) -> str:
    """The SHA-1 thumbprint of a DER certificate, upper-case hex, as UaExpert shows it.

    Examples
    --------
    >>> thumbprint(b"abc")
    'A9993E364706816ABA3E25717850C26C9CD0D89D'
    """
    return hashlib.sha1(der, usedforsecurity=False).hexdigest().upper()


@dataclass(frozen=True)
class CertInfo:
    """What ``gmp-twin pki list`` shows of one certificate."""

    thumbprint: str
    sha256: str
    subject: str
    application_uri: str
    not_after: str
    path: Path

    @classmethod
    def of(cls, der: bytes, path: Path) -> CertInfo:
        """Describe the DER certificate ``der`` stored at ``path``."""
        cert = x509.load_der_x509_certificate(der)
        try:
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            uris = san.get_values_for_type(x509.UniformResourceIdentifier)
        except x509.ExtensionNotFound:
            uris = []
        return cls(
            thumbprint=thumbprint(der),
            sha256=hashlib.sha256(der).hexdigest(),
            subject=cert.subject.rfc4514_string(),
            application_uri=uris[0] if uris else "",
            not_after=cert.not_valid_after_utc.isoformat(),
            path=path,
        )


def _der(data: bytes) -> bytes:
    """DER bytes of a certificate given as DER or PEM."""
    if data.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_certificate(data).public_bytes(Encoding.DER)
    x509.load_der_x509_certificate(data)  # raises ValueError when it is not a certificate
    return data


def read_certificate(path: str | Path) -> CertInfo:
    """Describe the certificate file ``path`` (PEM or DER).

    Raises
    ------
    ValueError
        Naming the file, when it is not a certificate.
    """
    path = Path(path)
    try:
        return CertInfo.of(_der(path.read_bytes()), path)
    except ValueError as exc:
        raise ValueError(f"{path}: not an X.509 certificate in PEM or DER ({exc})") from None


def _normalise(prefix: str) -> str:
    text = prefix.strip().upper()
    text = text.removeprefix("SHA1:")
    return text.replace(":", "").replace(" ", "")


def _file_stem(info_subject: str, thumb: str) -> str:
    cn = re.search(r"CN=([^,]+)", info_subject)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", cn.group(1) if cn else "cert").strip("_")[:40] or "cert"
    return f"{name}[{thumb}]"


class Pki:
    """A PKI folder with the usual layout: own/{certs,private}, trusted/certs, rejected/certs, issuers/certs.

    Parameters
    ----------
    root : str or Path
        The folder; its sub-folders are created when missing.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _dir(self, *parts: str) -> Path:
        path = self.root.joinpath(*parts)
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def trusted_dir(self) -> Path:
        return self._dir("trusted", "certs")

    @property
    def rejected_dir(self) -> Path:
        return self._dir("rejected", "certs")

    def ensure_layout(self) -> None:
        """Create the usual sub-folders."""
        for parts in (
            ("own", "certs"),
            ("own", "private"),
            ("trusted", "certs"),
            ("rejected", "certs"),
            ("issuers", "certs"),
        ):
            self._dir(*parts)

    # -- own certificate ------------------------------------------------------------------
    def own_paths(self, name: str = "gmp-twin") -> tuple[Path, Path]:
        """(certificate .der, private key .pem) of the application ``name`` (may not exist yet)."""
        return self.root / "own" / "certs" / f"{name}.der", self.root / "own" / "private" / f"{name}.pem"

    def ensure_own(self, application_uri: str, hostnames: list[str], *, name: str = "gmp-twin") -> tuple[Path, Path]:
        """This application's certificate and key, generated at the first call.

        The certificate is self-signed (RSA 2048, SHA-256), for client and server use, with
        ``application_uri`` as its SubjectAltName URI (OPC UA requires it to match the
        application's ApplicationUri) and ``hostnames`` as DNS or IP SubjectAltNames. An
        existing certificate whose URI differs is replaced (the key is kept).

        Returns
        -------
        tuple of Path
            (certificate .der, private key .pem).
        """
        self.ensure_layout()
        cert_path, key_path = self.own_paths(name)
        if key_path.is_file() and cert_path.is_file():
            info = CertInfo.of(cert_path.read_bytes(), cert_path)
            if info.application_uri == application_uri:
                return cert_path, key_path
            log.warning(
                "%s names %s, not %s: generating a new certificate", cert_path, info.application_uri, application_uri
            )
        if key_path.is_file():
            key = load_pem_private_key(key_path.read_bytes(), password=None)
        else:
            key = generate_private_key()
            key_path.touch(mode=0o600)
            key_path.write_bytes(dump_private_key_as_pem(key))
        sans: list[x509.GeneralName] = [x509.UniformResourceIdentifier(application_uri)]
        for host in dict.fromkeys(h for h in hostnames if h):
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                sans.append(x509.DNSName(host))
        cert = generate_self_signed_app_certificate(
            key,  # type: ignore[arg-type,unused-ignore]  # an RSA key: ours, generated above or earlier
            name,
            {"organizationName": "gmp-twin"},
            sans,
            extended=[ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH],
            days=OWN_CERT_DAYS,
        )
        cert_path.write_bytes(cert.public_bytes(Encoding.DER))
        log.info(
            "generated the OPC UA application certificate %s (thumbprint %s)",
            cert_path,
            thumbprint(cert_path.read_bytes()),
        )
        return cert_path, key_path

    # -- trust lists ----------------------------------------------------------------------
    @staticmethod
    def _list(folder: Path) -> list[CertInfo]:
        infos = []
        for path in sorted(folder.glob("*")):
            if path.suffix.lower() not in (".der", ".pem", ".crt", ".cer"):
                continue
            try:
                infos.append(CertInfo.of(_der(path.read_bytes()), path))
            except ValueError:
                log.warning("%s is not a certificate: ignored", path)
        return infos

    def trusted(self) -> list[CertInfo]:
        """The certificates in ``trusted/certs``."""
        return self._list(self.trusted_dir)

    def rejected(self) -> list[CertInfo]:
        """The certificates in ``rejected/certs``."""
        return self._list(self.rejected_dir)

    def own(self) -> list[CertInfo]:
        """The certificates in ``own/certs`` (this installation's applications)."""
        return self._list(self._dir("own", "certs"))

    def is_trusted(self, der: bytes) -> bool:
        """Whether this exact certificate is in ``trusted/certs`` or ``own/certs``."""
        wanted = hashlib.sha256(der).hexdigest()
        return any(info.sha256 == wanted for info in self.trusted() + self.own())

    def _store(self, der: bytes, folder: Path) -> CertInfo:
        info = CertInfo.of(der, folder)
        path = folder / f"{_file_stem(info.subject, info.thumbprint)}.der"
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(der)
            os.replace(tmp, path)
        return CertInfo.of(der, path)

    def reject(self, der: bytes) -> CertInfo:
        """File ``der`` under ``rejected/certs`` (its name includes the thumbprint)."""
        return self._store(_der(der), self.rejected_dir)

    def add_trusted(self, der: bytes) -> CertInfo:
        """Put ``der`` (DER or PEM) in ``trusted/certs`` and drop it from ``rejected/certs``."""
        der = _der(der)
        info = self._store(der, self.trusted_dir)
        for old in self.rejected():
            if old.sha256 == info.sha256:
                old.path.unlink(missing_ok=True)
        return info

    def _find(self, infos: list[CertInfo], thumbprint_prefix: str, where: str) -> CertInfo:
        prefix = _normalise(thumbprint_prefix)
        if not prefix:
            raise LookupError("give a thumbprint (or its first characters)")
        hits = {i.sha256: i for i in infos if i.thumbprint.startswith(prefix)}
        if not hits:
            raise LookupError(f"no certificate with thumbprint {prefix}... in {where}")
        if len(hits) > 1:
            raise LookupError(
                f"thumbprint {prefix}... matches {len(hits)} certificates in {where}: give more characters"
            )
        return next(iter(hits.values()))

    def trust(self, thumbprint_prefix: str) -> CertInfo:
        """Trust a rejected certificate (by thumbprint prefix), or a certificate file given by path.

        Raises
        ------
        LookupError
            No rejected certificate (or several) has that thumbprint prefix.
        """
        given = Path(thumbprint_prefix)
        if given.is_file():
            return self.add_trusted(given.read_bytes())
        found = self._find(self.rejected(), thumbprint_prefix, str(self.rejected_dir))
        return self.add_trusted(found.path.read_bytes())

    def distrust(self, thumbprint_prefix: str) -> CertInfo:
        """Move a trusted certificate (by thumbprint prefix) back to ``rejected/certs``."""
        found = self._find(self.trusted(), thumbprint_prefix, str(self.trusted_dir))
        der = _der(found.path.read_bytes())
        info = self.reject(der)
        for old in self.trusted():
            if old.sha256 == info.sha256:
                old.path.unlink(missing_ok=True)
        return info

    def trust_hint(self, info: CertInfo) -> str:
        """The command that trusts ``info``."""
        return f"gmp-twin pki trust {info.thumbprint[:16]} --pki {self.root}"

    # -- validation -----------------------------------------------------------------------
    def validator(self, *, peer: str = "peer") -> Validator:
        """An async certificate check for ``Server.set_certificate_validator`` / ``Client.certificate_validator``.

        Called with an ``x509.Certificate`` or DER bytes (and asyncua's ApplicationDescription,
        unused). A certificate not in ``trusted/certs`` is filed under ``rejected/certs`` with
        one log line (thumbprint, file, the ``gmp-twin pki trust`` command) and refused with
        ``BadCertificateUntrusted``; an expired one with ``BadCertificateTimeInvalid``.

        Parameters
        ----------
        peer : str
            Who presents the certificate, for the log line ("client", "server").
        """

        async def validate(cert: x509.Certificate | bytes, app_description: object = None) -> None:
            der = cert if isinstance(cert, bytes) else cert.public_bytes(Encoding.DER)
            parsed = x509.load_der_x509_certificate(der) if isinstance(cert, bytes) else cert
            if self.is_trusted(der):
                now = dt.datetime.now(dt.UTC)
                if not parsed.not_valid_before_utc <= now <= parsed.not_valid_after_utc:
                    log.warning("OPC UA %s certificate %s is out of its validity dates", peer, thumbprint(der))
                    raise ServiceError(ua.StatusCodes.BadCertificateTimeInvalid)
                return
            info = self.reject(der)
            cn = parsed.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
            log.warning(
                "untrusted OPC UA %s certificate %r (%s) thumbprint %s, saved as %s; to trust it: %s",
                peer,
                cn[0].value if cn else info.subject,
                info.application_uri or "no application URI",
                info.thumbprint,
                info.path,
                self.trust_hint(info),
            )
            raise ServiceError(ua.StatusCodes.BadCertificateUntrusted)

        return validate


__all__ = ["OWN_CERT_DAYS", "CertInfo", "Pki", "Validator", "thumbprint"]
