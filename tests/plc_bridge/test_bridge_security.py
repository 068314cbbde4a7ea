"""The bridge against a secure-only server (Basic256Sha256 SignAndEncrypt, user name required):
trust by PKI / pin / TOFU, identity from an environment variable or a secret file, and one clear
message (file, field, endpoint) for each refusal. Passwords never reach a log line or health."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest
from conftest import free_port
from plain_opcua_server import node_of, plain_server, tagmap_text, until, write_tagmap

from config_schema.tagmap import TagMap
from historian.urls import redact_all
from pki.store import Pki, thumbprint
from plc_bridge.bridge import Bridge
from plc_bridge.connection import ConnectionRefusedByPolicy, ServerCertificateUntrusted, describe, open_client

PASSWORD = "Tr0ub4dor-and-3"
SECURE = """\
security: {policy: Basic256Sha256, mode: SignAndEncrypt, server_trust: %s}
identity: {kind: username, username: opcuser, %s}
"""


class Sink:
    def __init__(self) -> None:
        self.points: list[object] = []

    def put(self, points: list[object]) -> None:
        self.points.extend(points)


def secure_map(tmp_path: Path, endpoint: str, trust: str = "pki", secret: str = "password_env: KIT1_PW") -> TagMap:
    return write_tagmap(tmp_path / "kit1.yaml", tagmap_text(endpoint, [node_of(0)], SECURE % (trust, secret)))


def no_secret_in_logs(caplog: pytest.LogCaptureFixture, *secrets: str) -> None:
    for secret in secrets:
        leaks = sorted({r.name for r in caplog.records if secret in f"{r.getMessage()} {r.exc_text or chr(32)}"})
        assert not leaks, leaks


async def test_secure_username_session_after_trusting_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("KIT1_PW", PASSWORD)
    port = free_port()
    bridge_pki = Pki(tmp_path / "bridge-pki")
    async with plain_server(port, n=1, secure_pki=tmp_path / "plc-pki", users={"opcuser": PASSWORD}) as plc:
        tagmap = secure_map(tmp_path, plc.endpoint)
        assert plc.certificate is not None
        server_thumb = thumbprint(plc.certificate.read_bytes())
        # First contact: the server's certificate is unknown -> one actionable refusal.
        with pytest.raises(ServerCertificateUntrusted) as err:
            await open_client(plc.endpoint, tagmap.security, tagmap.identity, pki=bridge_pki, tagmap=tagmap)
        msg = str(err.value)
        assert f"{tmp_path / 'kit1.yaml'}:" in msg and "security.server_trust" in msg
        assert server_thumb in msg and "gmp-twin pki trust" in msg and plc.endpoint in msg
        assert [c.thumbprint for c in bridge_pki.rejected()] == [server_thumb]
        assert err.value.path is not None and err.value.path.exists()

        bridge_pki.trust(server_thumb)
        sink = Sink()
        bridge = Bridge(tagmap, sink, pki=bridge_pki)
        stop = asyncio.Event()
        task = asyncio.create_task(bridge.run(stop))
        await until(lambda: bridge.stats.connected, what="a secure session")
        await plc.write_round()
        await until(lambda: bridge.stats.notifications >= 2, what="values over the secure channel")
        health = redact_all({"endpoint": bridge.endpoint, **bridge.stats.as_dict()})
        stop.set()
        await task
    assert (tmp_path / "bridge-pki" / "own" / "certs" / "bridge.der").exists()  # generated when absent
    assert PASSWORD not in json.dumps(health)
    no_secret_in_logs(caplog, PASSWORD)
    assert not [r for r in caplog.records if "plain-text password" in r.getMessage()]


@pytest.mark.parametrize("how", ["env", "file", "url"])
async def test_wrong_password_is_one_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, how: str
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "wrong-pw-4711"
    monkeypatch.setenv("KIT1_PW", wrong)
    (tmp_path / "secret").write_text(wrong + "\n")
    port = free_port()
    async with plain_server(port, n=1, secure_pki=tmp_path / "plc-pki", users={"opcuser": PASSWORD}) as plc:
        secret = {"env": "password_env: KIT1_PW", "file": f"password_file: {tmp_path / 'secret'}", "url": ""}[how]
        endpoint = f"opc.tcp://opcuser:{wrong}@127.0.0.1:{port}" if how == "url" else plc.endpoint
        tagmap = secure_map(tmp_path, endpoint, trust="tofu", secret=secret)
        bridge = Bridge(tagmap, Sink(), pki=Pki(tmp_path / "bridge-pki"), refused_retry_s=0.2)
        stop = asyncio.Event()
        task = asyncio.create_task(bridge.run(stop))
        await until(lambda: bridge.stats.connect_failures >= 3, what="three refused attempts")
        health = redact_all({"endpoint": bridge.endpoint, **bridge.stats.as_dict()})
        stop.set()
        await task
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR and r.name.startswith("plc_bridge")]
    assert len(errors) == 1, errors  # one message, not one per retry (and never "unreachable")
    assert f"{tmp_path / 'kit1.yaml'}:" in errors[0] and "identity.username" in errors[0]
    assert f"127.0.0.1:{port}" in errors[0] and "opcuser" in errors[0]
    assert bridge.stats.refused and not [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert wrong not in json.dumps(health)
    no_secret_in_logs(caplog, wrong)


async def test_policy_the_server_does_not_offer(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()
    async with plain_server(port, n=1, secure_pki=tmp_path / "plc-pki", users={"opcuser": PASSWORD}) as plc:
        tagmap = write_tagmap(tmp_path / "kit1.yaml", tagmap_text(plc.endpoint, [node_of(0)]))  # no security:
        with pytest.raises(ConnectionRefusedByPolicy) as err:
            await open_client(plc.endpoint, tagmap.security, tagmap.identity, tagmap=tagmap, timeout_s=2.0)
        msg = str(err.value)
        assert str(tmp_path / "kit1.yaml") in msg and "security.policy" in msg and plc.endpoint in msg
        assert "Basic256Sha256/SignAndEncrypt" in msg  # what it does offer

        tagmap = write_tagmap(
            tmp_path / "kit1.yaml",
            tagmap_text(plc.endpoint, [node_of(0)], "security: {policy: Aes256_Sha256_RsaPss, mode: Sign}"),
        )
        with pytest.raises(ConnectionRefusedByPolicy, match="does not offer Aes256_Sha256_RsaPss/Sign"):
            await open_client(plc.endpoint, tagmap.security, tagmap.identity, pki=Pki(tmp_path / "b"), tagmap=tagmap)


async def test_pinned_and_tofu_trust(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIT1_PW", PASSWORD)
    port = free_port()
    bridge_pki = Pki(tmp_path / "bridge-pki")
    async with plain_server(port, n=1, secure_pki=tmp_path / "plc-pki", users={"opcuser": PASSWORD}) as plc:
        assert plc.certificate is not None
        thumb = thumbprint(plc.certificate.read_bytes())
        pinned = secure_map(tmp_path, plc.endpoint, trust=f"sha1:{thumb}")
        client = await open_client(plc.endpoint, pinned.security, pinned.identity, pki=bridge_pki, tagmap=pinned)
        await client.disconnect()
        wrong_pin = secure_map(tmp_path, plc.endpoint, trust="sha1:" + "0" * 40)
        with pytest.raises(ServerCertificateUntrusted, match=thumb):
            await open_client(plc.endpoint, wrong_pin.security, wrong_pin.identity, pki=bridge_pki, tagmap=wrong_pin)
        tofu = secure_map(tmp_path, plc.endpoint, trust="tofu")
        for _ in range(2):  # first use records it, the second finds it
            client = await open_client(plc.endpoint, tofu.security, tofu.identity, pki=bridge_pki, tagmap=tofu)
            await client.disconnect()
    # Another server (another certificate) at the same address: TOFU refuses it.
    async with plain_server(port, n=1, secure_pki=tmp_path / "impostor-pki", users={"opcuser": PASSWORD}) as plc2:
        with pytest.raises(ServerCertificateUntrusted, match="trusted on first use"):
            await open_client(plc2.endpoint, tofu.security, tofu.identity, pki=bridge_pki, tagmap=tofu)


def test_describe_drops_credentials() -> None:
    assert describe(f"opc.tcp://opcuser:{PASSWORD}@plc:4840") == "opc.tcp://plc:4840"
    assert PASSWORD not in json.dumps(redact_all({"e": f"lost opc.tcp://u:{PASSWORD}@h:1 now"}))
