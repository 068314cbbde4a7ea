"""``gmp-twin users ...`` as a user runs it: real subprocesses, a real users file and audit trail."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

from access import UserStore, verify_password
from audit import AuditTrail, verify


def _cli(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "GMP_TWIN_USERS": str(tmp_path / "users.yaml"),
        "GMP_TWIN_AUDIT": str(tmp_path / "audit.sqlite"),
    }
    return subprocess.run(
        [sys.executable, "-m", "gmp_twin", "users", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )


def _actions(tmp_path: Path) -> list[tuple[str, str, str]]:
    trail = AuditTrail(tmp_path / "audit.sqlite")
    try:
        return [(r.action, r.object, r.result) for r in trail.records()]
    finally:
        trail.close()


def test_add_list_passwd_role_disable_token(tmp_path: Path) -> None:
    added = _cli(tmp_path, "add", "ines", "--role", "instructor", "--display-name", "Inès Dupont")
    assert added.returncode == 0, added.stderr
    password = re.search(r"one-time password .*: (\S+)$", added.stdout, re.M)
    assert password is not None
    store = UserStore(tmp_path / "users.yaml")
    ines = store.get("ines")
    assert ines is not None and ines.must_change_password and verify_password(password.group(1), ines.password_hash)

    weak = _cli(tmp_path, "passwd", "ines", "--password-stdin", stdin="changeme\n")
    assert weak.returncode == 2 and "password too short" in weak.stderr
    ok = _cli(tmp_path, "passwd", "ines", "--password-stdin", stdin="a-long-new-password\n")
    assert ok.returncode == 0 and "password of ines changed" in ok.stdout
    ines = store.get("ines")
    assert (
        ines is not None
        and not ines.must_change_password
        and verify_password("a-long-new-password", ines.password_hash)
    )
    assert "a-long-new-password" not in ok.stdout + ok.stderr

    token = _cli(tmp_path, "token", "ines", "--label", "grading")
    assert token.returncode == 0, token.stderr
    secret = token.stdout.split()[-1]
    found = store.user_for_token(secret)
    assert found is not None and found.name == "ines"
    assert _cli(tmp_path, "role", "ines", "admin").returncode == 0
    assert _cli(tmp_path, "disable", "ines").returncode == 0

    listed = _cli(tmp_path, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    (row,) = json.loads(listed.stdout)
    assert (row["name"], row["role"], row["display_name"], row["disabled"]) == ("ines", "admin", "Inès Dupont", True)
    assert "password_hash" not in row and "sha256" not in row["tokens"][0] and row["tokens"][0]["label"] == "grading"
    assert "$argon2" not in listed.stdout

    missing = _cli(tmp_path, "enable", "nobody")
    assert missing.returncode == 2 and "no user 'nobody'" in missing.stderr
    assert _actions(tmp_path) == [
        ("user.add", "user:ines", "ok"),
        ("user.passwd", "user:ines", "ok"),
        ("token.create", "user:ines", "ok"),
        ("user.role", "user:ines", "ok"),
        ("user.disable", "user:ines", "ok"),
        ("user.enable", "user:nobody", "refused"),
    ]
    trail = AuditTrail(tmp_path / "audit.sqlite")
    try:
        assert {r.user for r in trail.records()} == {f"cli:{_os_user()}"}
    finally:
        trail.close()
    assert verify(tmp_path / "audit.sqlite").ok


def _os_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def test_import_roster_writes_a_0600_sheet_and_never_prints_the_passwords(tmp_path: Path) -> None:
    roster = tmp_path / "2B.csv"
    roster.write_text("nom;prénom\nDupont;Élodie\nMartin;Jean\nMartin;Jean\nLima;Ana\n", encoding="utf-8")
    sheet = tmp_path / "credentials.html"
    url = "http://twin.lycee.example:8050/login"
    first = _cli(tmp_path, "import", str(roster), "--role", "student", "--sheet", str(sheet), "--url", url)
    assert first.returncode == 0, first.stderr
    assert "line 2: 'Élodie Dupont' -> elodie.dupont" in first.stdout
    assert "4 created, 0 skipped" in first.stdout and str(sheet) in first.stdout
    assert stat.S_IMODE(sheet.stat().st_mode) == 0o600
    html = sheet.read_text(encoding="utf-8")
    passwords = re.findall(r"<dd><code>(\w{4}-\w{4}-\w{4}-\w{4})</code></dd>", html)
    assert len(passwords) == 4 and html.count('class="card"') == 4 and html.count(url) == 4
    assert "Mot de passe provisoire / One-time password" in html and "Élodie Dupont" in html
    assert not any(p in first.stdout + first.stderr for p in passwords)

    store = UserStore(tmp_path / "users.yaml")
    names = ["elodie.dupont", "jean.martin", "jean.martin-2", "ana.lima"]
    assert [u.name for u in store.users()] == names
    for name, password in zip(names, passwords, strict=True):
        user = store.get(name)
        assert user is not None and user.role == "student" and user.must_change_password
        assert verify_password(password, user.password_hash)

    again = _cli(tmp_path, "import", str(roster), "--role", "student")
    assert again.returncode == 0, again.stderr
    assert "0 created, 4 skipped" in again.stdout and "jean.martin-2 exists already: skipped" in again.stdout
    assert [u.name for u in UserStore(tmp_path / "users.yaml").users()] == names
    actions = _actions(tmp_path)
    assert actions.count(("user.add", "user:elodie.dupont", "ok")) == 1
    assert [a for a in actions if a[0] == "user.import"] == [("user.import", "roster:2B.csv", "ok")] * 2


def test_a_corrupt_users_file_is_reported_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "users.yaml").write_text("users:\n  - name: ana\n    role: student\n    pasword_hash: x\n")
    out = _cli(tmp_path, "list")
    assert out.returncode == 2
    assert f"{tmp_path / 'users.yaml'}:4: 'pasword_hash': unknown key" in out.stderr


def test_cert_maps_a_client_certificate_to_a_user_and_removes_it(tmp_path: Path) -> None:
    """`users cert NAME --add FILE` writes the SHA-256 fingerprint the OPC UA server matches; audited."""
    import hashlib
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    assert _cli(tmp_path, "add", "ines", "--role", "instructor").returncode == 0
    assert _cli(tmp_path, "add", "sam", "--role", "student").returncode == 0
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ines-card")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    pem = tmp_path / "ines-card.pem"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    sha256 = hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()

    added = _cli(tmp_path, "cert", "ines", "--add", str(pem))
    assert added.returncode == 0, added.stderr
    assert "CN=ines-card" in added.stdout and "logs in as ines" in added.stdout
    store = UserStore(tmp_path / "users.yaml")
    found = store.user_for_certificate(sha256)
    assert found is not None and found.name == "ines"

    twice = _cli(tmp_path, "cert", "sam", "--add", str(pem))
    assert twice.returncode == 2 and "already logs in as 'ines'" in twice.stderr
    not_a_cert = tmp_path / "notes.txt"
    not_a_cert.write_text("hello")
    bad = _cli(tmp_path, "cert", "sam", "--add", str(not_a_cert))
    assert bad.returncode == 2 and f"{not_a_cert}: not an X.509 certificate" in bad.stderr

    removed = _cli(tmp_path, "cert", "ines", "--remove", sha256[:12])
    assert removed.returncode == 0, removed.stderr
    assert UserStore(tmp_path / "users.yaml").user_for_certificate(sha256) is None
    actions = [a for a in _actions(tmp_path) if a[0].startswith("user.cert")]
    assert actions == [
        ("user.cert_add", "user:ines", "ok"),
        ("user.cert_add", "user:sam", "refused"),
        ("user.cert_remove", "user:ines", "ok"),
    ]
