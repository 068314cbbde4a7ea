"""node-opcua, an independent client, on the twin's Basic256Sha256 SignAndEncrypt endpoint.

The twin is bound to 0.0.0.0 (no None endpoint); node-opcua presents its own certificate,
trusted through the PKI API, and logs in as the student and as the instructor. Its own trust
list holds the twin's certificate (``automaticallyAcceptUnknownCertificate: false``).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from node_opcua import install_node_secure_client, run_node_secure_client
from people import PASSWORDS, People
from test_opcua_security import opcua_logins, secure_twin

from pki import Pki

APP_URI = "urn:gmp-twin-tests:node-client"


@pytest.fixture(scope="module")
def node_secure_client() -> Path:
    return install_node_secure_client()


async def test_node_opcua_student_and_instructor_over_signandencrypt(
    node_secure_client: Path, tmp_path: Path, people: People
) -> None:
    node_pki = Pki(tmp_path / "node-pki")
    cert_der, key_pem = node_pki.ensure_own(APP_URI, ["localhost"], name="node-client")
    cert_pem = cert_der.with_suffix(".pem")
    cert_pem.write_bytes(x509.load_der_x509_certificate(cert_der.read_bytes()).public_bytes(Encoding.PEM))
    async with secure_twin(tmp_path, people) as twin:
        server_cert, _ = twin.pki.own_paths()
        node_pki.add_trusted(server_cert.read_bytes())  # node-opcua's trusted/certs
        common = {"cert_pem": cert_pem, "key_pem": key_pem, "pki_dir": node_pki.root, "application_uri": APP_URI}

        # Not trusted by the twin yet: refused, and filed for `gmp-twin pki trust`.
        refused = await run_node_secure_client(
            node_secure_client, twin.url, "sam", PASSWORDS["sam"], level_sp=12.0, **common
        )
        assert "error" in refused, refused
        assert [i.application_uri for i in twin.pki.rejected()] == [APP_URI]
        twin.pki.trust(twin.pki.rejected()[0].thumbprint)

        unit = twin.control.runtime.slots["mps-pa"].unit
        for user, value in (("sam", 12.0), ("ines", 9.5)):
            started = time.perf_counter()
            result = await run_node_secure_client(
                node_secure_client, twin.url, user, PASSWORDS[user], level_sp=value, **common
            )
            print(f"node-opcua {user}: {result} in {time.perf_counter() - started:.2f} s (node start included)")
            assert result == {"channel": {"mode": "SignAndEncrypt", "policy": "Basic256Sha256"}, "write": "Good"}, (
                result
            )
            assert unit.read()["level_sp"] == value
        wrong = await run_node_secure_client(
            node_secure_client, twin.url, "ines", "not-the-password", level_sp=1.0, **common
        )
        assert wrong.get("error") == "BadUserAccessDenied", wrong
    assert opcua_logins(people) == [
        ("sam", "login"),
        ("sam", "logout"),
        ("ines", "login"),
        ("ines", "logout"),
        ("ines", "login.failed"),
    ]
