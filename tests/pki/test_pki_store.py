"""The PKI folder: own certificate, trust lists, and the validator the server and bridge use."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from asyncua.common.utils import ServiceError
from asyncua.ua import StatusCodes
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from pki import Pki, thumbprint


def test_own_certificate_is_generated_once_with_uri_and_host_names(tmp_path: Path) -> None:
    pki = Pki(tmp_path / "pki")
    cert_path, key_path = pki.ensure_own("urn:lab-pc:gmp-twin", ["lab-pc", "192.168.1.20", "localhost"])
    assert {p.relative_to(pki.root).parts[0] for p in pki.root.iterdir()} == {"own", "trusted", "rejected", "issuers"}
    assert cert_path == pki.root / "own" / "certs" / "gmp-twin.der"
    assert key_path.stat().st_mode & 0o077 == 0  # the key is readable by its owner only
    cert = x509.load_der_x509_certificate(cert_path.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.UniformResourceIdentifier) == ["urn:lab-pc:gmp-twin"]
    assert san.get_values_for_type(x509.DNSName) == ["lab-pc", "localhost"]
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["192.168.1.20"]
    first = thumbprint(cert_path.read_bytes())
    assert pki.ensure_own("urn:lab-pc:gmp-twin", ["lab-pc"]) == (cert_path, key_path)
    assert thumbprint(cert_path.read_bytes()) == first  # not regenerated
    pki.ensure_own("urn:other-pc:gmp-twin", ["other-pc"])  # a new ApplicationUri: new certificate, same key
    assert thumbprint(cert_path.read_bytes()) != first


def _peer(tmp_path: Path, name: str) -> bytes:
    cert, _ = Pki(tmp_path / f"{name}-pki").ensure_own(f"urn:test:{name}", ["localhost"], name=name)
    return cert.read_bytes()


async def test_validator_files_an_unknown_peer_then_trust_and_reject_move_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pki = Pki(tmp_path / "pki")
    der = _peer(tmp_path, "kit1")
    check = pki.validator(peer="server")
    caplog.set_level(logging.WARNING, logger="pki.store")
    with pytest.raises(ServiceError) as refused:
        await check(x509.load_der_x509_certificate(der), None)
    assert refused.value.code == StatusCodes.BadCertificateUntrusted
    [info] = pki.rejected()
    assert info.thumbprint == thumbprint(der) and info.application_uri == "urn:test:kit1"
    assert info.path.name == f"kit1[{info.thumbprint}].der"
    [line] = [r.getMessage() for r in caplog.records]
    assert "untrusted OPC UA server certificate 'kit1'" in line
    assert info.thumbprint in line and str(info.path) in line
    assert f"gmp-twin pki trust {info.thumbprint[:16]} --pki {pki.root}" in line

    trusted = pki.trust(info.thumbprint[:6].lower())  # a prefix, any case
    assert pki.rejected() == [] and [i.sha256 for i in pki.trusted()] == [trusted.sha256]
    await check(der)  # DER bytes work as well
    assert pki.is_trusted(der)

    pki.distrust("sha1:" + info.thumbprint[:8])
    assert pki.trusted() == [] and len(pki.rejected()) == 1
    with pytest.raises(ServiceError):
        await check(der)


def test_trust_a_pem_file_and_refuse_unknown_or_ambiguous_prefixes(tmp_path: Path) -> None:
    pki = Pki(tmp_path / "pki")
    der = _peer(tmp_path, "plc")
    pem = tmp_path / "plc.pem"
    pem.write_bytes(x509.load_der_x509_certificate(der).public_bytes(Encoding.PEM))
    info = pki.trust(str(pem))
    assert info.sha256 == pki.trusted()[0].sha256 and pki.is_trusted(der)
    with pytest.raises(LookupError, match="no certificate with thumbprint FFFF"):
        pki.trust("FFFF")
    # 17 certificates (one key, new ApplicationUri each): two share a first hex digit
    peer = Pki(tmp_path / "many")
    for n in range(17):
        cert, _ = peer.ensure_own(f"urn:test:many{n}", ["localhost"], name="many")
        pki.reject(cert.read_bytes())
    firsts = [i.thumbprint[0] for i in pki.rejected()]
    shared = next(c for c in firsts if firsts.count(c) > 1)
    with pytest.raises(LookupError, match=f"thumbprint {shared}... matches {firsts.count(shared)} certificates"):
        pki.trust(shared)
    with pytest.raises(LookupError, match="give a thumbprint"):
        pki.trust("sha1:")
