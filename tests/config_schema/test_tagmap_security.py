"""Tag map security:, identity:, sampling_ms and deadband: accepted forms, and errors naming file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from config_schema.files import ConfigError
from config_schema.tagmap import load_tagmap

HEAD = """\
endpoint: opc.tcp://plc.local:4840
site: lab
unit: kit1
"""
TAGS = """\
tags:
  - {name: B101_level, node: 'ns=3;s="DB_Process"."B101_Level"', sampling_ms: 100, deadband: {type: percent, value: 1}}
  - {name: B102_flow, node: 'ns=3;s="DB_Process"."B102_Flow"', deadband: {type: absolute, value: 0.2}}
"""


def load(tmp_path: Path, middle: str) -> object:
    path = tmp_path / "kit1.yaml"
    path.write_text(HEAD + middle + TAGS)
    return load_tagmap(path)


def test_full_secure_map(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tm = load(
        tmp_path,
        """\
security:
  policy: Basic256Sha256
  mode: SignAndEncrypt
  certificate: data/pki/own/certs/bridge.der
  private_key: data/pki/own/private/bridge.pem
  server_trust: "sha1:ab:12:AB:12:ab:12:AB:12:ab:12:AB:12:ab:12:AB:12:ab:12:AB:12"
identity:
  kind: username
  username: opcuser
  password_env: KIT1_OPCUA_PASSWORD
""",
    )
    assert tm.security.secure and tm.security.pinned_thumbprint == "AB12" * 10  # type: ignore[attr-defined]
    monkeypatch.setenv("KIT1_OPCUA_PASSWORD", "pw")
    assert tm.identity.password() == "pw"  # type: ignore[attr-defined]
    assert tm.tags[0].sampling_ms == 100 and tm.tags[0].deadband.type == "percent"  # type: ignore[attr-defined]
    assert tm.tag_where("B102_flow") == f"{tmp_path / 'kit1.yaml'}:16: tags[1].node"  # type: ignore[attr-defined]


def test_password_file_and_missing_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "secret").write_text("s3cret\n")
    tm = load(tmp_path, f"identity: {{kind: username, username: u, password_file: {tmp_path / 'secret'}}}\n")
    assert tm.identity.password() == "s3cret"  # type: ignore[attr-defined]
    tm = load(tmp_path, "identity: {kind: username, username: u, password_env: NOT_SET_ANYWHERE}\n")
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    with pytest.raises(LookupError, match="NOT_SET_ANYWHERE is not set"):
        tm.identity.password()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("middle", "line", "expected"),
    [
        ("security: {policy: Basic256Sha256, mode: None}\n", 4, "policy None goes with mode None"),
        ("security: {policy: Basic128Rsa15, mode: Sign}\n", 4, "'security.policy'"),
        ("security: {policy: Basic256Sha256, mode: Sign, server_trust: always}\n", 4, "tofu (trust on first use)"),
        ("identity: {kind: username}\n", 4, "kind username needs username"),
        ("identity: {kind: anonymous, username: u}\n", 4, "only go with kind username"),
        ("identity: {kind: username, username: u, password: pw}\n", 4, "'password': unknown key"),
        ("security_policy: Basic256Sha256\n", 4, "'security_policy': unknown key"),
    ],
)
def test_errors_name_file_line_and_fix(tmp_path: Path, middle: str, line: int, expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        load(tmp_path, middle)
    assert f"kit1.yaml:{line}" in str(err.value)
    assert expected in str(err.value)


def test_deadband_bounds(tmp_path: Path) -> None:
    path = tmp_path / "kit1.yaml"
    path.write_text(HEAD + "tags:\n  - {name: x, node: 'ns=2;s=x', deadband: {type: percent, value: 150}}\n")
    with pytest.raises(ConfigError, match=r"kit1.yaml:5.*0..100"):
        load_tagmap(path)
