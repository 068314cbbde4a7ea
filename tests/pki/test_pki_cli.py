"""``gmp-twin pki list|trust|reject`` as a user runs them (subprocesses)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pki import Pki


def gmp_twin(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gmp_twin", *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_list_trust_reject(tmp_path: Path) -> None:
    pki = Pki(tmp_path / "pki")
    own, _ = pki.ensure_own("urn:lab:gmp-twin", ["localhost"])
    pki.add_trusted(own.read_bytes())
    peer, _ = Pki(tmp_path / "kit").ensure_own("urn:kit1:plc", ["kit1"], name="kit1")
    info = pki.reject(peer.read_bytes())
    root = str(pki.root)

    listed = gmp_twin("pki", "list", "--pki", root)
    assert listed.returncode == 0, listed.stderr
    own_thumb = pki.own()[0].thumbprint
    assert f"trusted (1):\n  {own_thumb}  O=gmp-twin,CN=gmp-twin  urn:lab:gmp-twin" in listed.stdout
    assert "(own)" in listed.stdout
    assert f"rejected (1):\n  {info.thumbprint}  O=gmp-twin,CN=kit1  urn:kit1:plc" in listed.stdout
    assert f"trust one with: gmp-twin pki trust {info.thumbprint[:16]} --pki {root}" in listed.stdout

    trusted = gmp_twin("pki", "trust", info.thumbprint[:16], "--pki", root)
    assert trusted.returncode == 0, trusted.stderr
    assert trusted.stdout.startswith(f"trusted {info.thumbprint} O=gmp-twin,CN=kit1 (urn:kit1:plc)")
    assert pki.is_trusted(peer.read_bytes()) and pki.rejected() == []

    again = gmp_twin("pki", "trust", info.thumbprint[:16], "--pki", root)
    assert again.returncode == 2 and "no certificate with thumbprint" in again.stderr

    rejected = gmp_twin("pki", "reject", info.thumbprint[:8], "--pki", root)
    assert rejected.returncode == 0, rejected.stderr
    assert [i.thumbprint for i in pki.rejected()] == [info.thumbprint]
    assert [i.thumbprint for i in pki.trusted()] == [own_thumb]

    from_file = gmp_twin("pki", "trust", str(peer), "--pki", root)  # a certificate file, e.g. from a PLC
    assert from_file.returncode == 0 and pki.is_trusted(peer.read_bytes())


def test_list_without_a_folder_says_where_it_looked(tmp_path: Path) -> None:
    result = gmp_twin("pki", "list", "--pki", str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert f"no PKI folder at {tmp_path / 'nowhere'}" in result.stderr
