"""The twin's OPC UA server secured: endpoints by bind address, certificates, tokens, no clear password.

Real asyncua servers on free ports with a real PKI folder, real asyncua clients with their own
certificates, a real users file and audit trail (``tests/people.py``), and a TCP relay that
records every byte on the wire.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from asyncua import Client, ua
from asyncua.crypto import security_policies
from conftest import free_port
from cryptography import x509
from people import PASSWORDS, People

from access import ClientCertificate, load_users
from access.users_file import write_users
from models.mps_pa import MpsPaStation
from pki import Pki, thumbprint
from twin.clock import SimClock
from twin.faults.service import TwinControl
from twin.opcua_security import InsecureBindRefused, ServerSecurity, plan_security
from twin.opcua_server import NAMESPACE_URI, TwinOpcUaServer
from twin.runtime import TwinRuntime

POLICIES = {
    "Basic256Sha256": security_policies.SecurityPolicyBasic256Sha256,
    "Aes128Sha256RsaOaep": security_policies.SecurityPolicyAes128Sha256RsaOaep,
    "Aes256Sha256RsaPss": security_policies.SecurityPolicyAes256Sha256RsaPss,
}
SIGN_AND_ENCRYPT = ua.MessageSecurityMode.SignAndEncrypt


@dataclass
class SecureTwin:
    port: int
    pki: Pki
    control: TwinControl
    server: TwinOpcUaServer
    people: People
    url: str = ""

    def __post_init__(self) -> None:
        self.url = f"opc.tcp://127.0.0.1:{self.port}/"


@contextlib.asynccontextmanager
async def secure_twin(
    root: Path, people: People, host: str = "0.0.0.0", insecure: bool = False
) -> AsyncIterator[SecureTwin]:
    port = free_port()
    runtime = TwinRuntime({"mps-pa": MpsPaStation()}, clock=SimClock(speed=10.0), seed=1)
    control = TwinControl(runtime, site="lab", audit=people.audit)
    pki = Pki(root / "server-pki")
    server = TwinOpcUaServer(
        f"opc.tcp://{host}:{port}/",
        control=control,
        authenticator=people.authenticator,
        allow_anonymous=True,  # bound beyond loopback, anonymous is refused anyway
        security=ServerSecurity(pki, insecure=insecure),
    )
    async with server:
        for name, slot in runtime.slots.items():
            await server.add_unit(name, slot.unit.unit_type, slot.specs, runtime.readings(name))
        await server.start()
        yield SecureTwin(port, pki, control, server, people)


@pytest.fixture
async def twin(tmp_path: Path, people: People) -> AsyncIterator[SecureTwin]:
    async with secure_twin(tmp_path, people) as made:
        yield made


def client_pki(root: Path, name: str = "client") -> tuple[Pki, Path, Path]:
    """A client's own PKI folder and certificate (+ key)."""
    pki = Pki(root / f"{name}-pki")
    cert, key = pki.ensure_own(f"urn:gmp-twin-tests:{name}", ["localhost"], name=name)
    return pki, cert, key


async def secure_client(
    url: str, cert: Path, key: Path, policy: str = "Basic256Sha256", mode: ua.MessageSecurityMode = SIGN_AND_ENCRYPT
) -> Client:
    client = Client(url, timeout=30)
    client.application_uri = f"urn:gmp-twin-tests:{cert.stem}"
    await client.set_security(POLICIES[policy], str(cert), str(key), mode=mode)
    return client


async def write_level_sp(client: Client, value: float) -> None:
    ns = await client.get_namespace_index(NAMESPACE_URI)
    node = client.get_node(ua.NodeId("mps-pa.level_sp", ns))
    await node.write_value(ua.DataValue(ua.Variant(value, ua.VariantType.Double)))


def opcua_logins(people: People) -> list[tuple[str, str]]:
    return [
        (r.user, r.action)
        for r in people.audit.query(newest_first=False)
        if r.via == "opcua" and r.action.startswith(("login", "logout"))
    ]


# -- endpoints ---------------------------------------------------------------------------------
async def test_bound_beyond_loopback_offers_only_secure_endpoints_without_anonymous(twin: SecureTwin) -> None:
    client = Client(twin.url, timeout=30)
    endpoints = await client.connect_and_get_server_endpoints()
    offered = {(e.SecurityPolicyUri.rsplit("#", 1)[-1], e.SecurityMode.name) for e in endpoints}
    assert offered == {
        (policy, mode)
        for policy in ("Basic256Sha256", "Aes128_Sha256_RsaOaep", "Aes256_Sha256_RsaPss")
        for mode in ("Sign", "SignAndEncrypt")
    }
    tokens = {t.TokenType for e in endpoints for t in e.UserIdentityTokens}
    assert tokens == {ua.UserTokenType.UserName, ua.UserTokenType.Certificate}
    cert = endpoints[0].ServerCertificate
    assert twin.pki.trusted()[0].thumbprint == thumbprint(cert)  # its own certificate, trusted for the bridge


async def test_loopback_and_insecure_offer_none_and_anonymous(tmp_path: Path, people: People) -> None:
    for host, insecure in (("127.0.0.1", False), ("0.0.0.0", True)):
        async with secure_twin(tmp_path / host, people, host=host, insecure=insecure) as made:
            async with Client(made.url, timeout=30) as client:  # policy None, anonymous
                assert await client.nodes.server_state.read_value() == ua.ServerState.Running
            # A None channel ignores the client certificate a client sends anyway (node-opcua does).
            _, cert, _ = client_pki(tmp_path / host, "unknown")
            client = Client(made.url, timeout=30)
            client.user_certificate = x509.load_der_x509_certificate(cert.read_bytes())  # in CreateSession
            async with client:
                assert await client.nodes.server_state.read_value() == ua.ServerState.Running
            assert made.pki.rejected() == []
            assert made.server.security_plan is not None and made.server.security_plan.allow_anonymous


def test_beyond_loopback_without_certificate_refuses_to_start() -> None:
    with pytest.raises(InsecureBindRefused, match="--insecure"):
        plan_security("opc.tcp://0.0.0.0:4840/", ServerSecurity(), allow_anonymous=True)
    assert plan_security("opc.tcp://0.0.0.0:4840/", ServerSecurity(insecure=True), True).allow_none


# -- sessions ----------------------------------------------------------------------------------
@pytest.mark.parametrize("policy", sorted(POLICIES))
async def test_student_and_instructor_over_every_encrypted_policy(
    twin: SecureTwin, tmp_path: Path, policy: str
) -> None:
    _, cert, key = client_pki(tmp_path)
    twin.pki.add_trusted(cert.read_bytes())
    for user, value in (("sam", 11.0), ("ines", 9.5)):
        client = await secure_client(twin.url, cert, key, policy)
        client.set_user(user)
        client.set_password(PASSWORDS[user])
        async with client:
            assert client.security_policy.Mode == SIGN_AND_ENCRYPT
            await write_level_sp(client, value)
        assert twin.control.runtime.slots["mps-pa"].unit.read()["level_sp"] == value
    assert opcua_logins(twin.people) == [("sam", "login"), ("sam", "logout"), ("ines", "login"), ("ines", "logout")]


async def test_none_channel_is_refused_by_the_server_itself(twin: SecureTwin, monkeypatch: pytest.MonkeyPatch) -> None:
    # asyncua's client already refuses (no None endpoint offered)...
    client = Client(twin.url, timeout=30)
    client.set_user("ines")
    client.set_password(PASSWORDS["ines"])
    with pytest.raises(ua.UaError, match="No matching endpoints"):
        await client.connect()
    with contextlib.suppress(Exception):
        await client.disconnect()
    # ...and a client that skips that check is refused at ActivateSession (asyncua 2.1 would accept it).
    pretend = ua.EndpointDescription(
        UserIdentityTokens=[
            ua.UserTokenPolicy(PolicyId="username", TokenType=ua.UserTokenType.UserName, SecurityPolicyUri=""),
            ua.UserTokenPolicy(PolicyId="anonymous", TokenType=ua.UserTokenType.Anonymous),
        ]
    )
    monkeypatch.setattr(Client, "find_endpoint", staticmethod(lambda *args, **kwargs: pretend))
    for user in ("ines", None):
        client = Client(twin.url, timeout=30)
        if user:
            client.set_user(user)
            client.set_password(PASSWORDS[user])
        with pytest.raises(ua.UaStatusCodeError) as refused:
            await client.connect()
        # anonymous is not even a token type beyond loopback; a login is refused for its channel
        expected = ua.uaerrors.BadSecurityModeRejected if user else ua.uaerrors.BadIdentityTokenRejected
        assert isinstance(refused.value, expected), refused.value
        with contextlib.suppress(Exception):
            await client.disconnect()
    assert ("ines", "login") not in opcua_logins(twin.people)


async def test_anonymous_refused_over_an_encrypted_channel(twin: SecureTwin, tmp_path: Path) -> None:
    _, cert, key = client_pki(tmp_path)
    twin.pki.add_trusted(cert.read_bytes())
    client = await secure_client(twin.url, cert, key)
    with pytest.raises(ua.uaerrors.BadIdentityTokenRejected):
        await client.connect()
    with contextlib.suppress(Exception):
        await client.disconnect()


async def test_untrusted_client_certificate_is_filed_then_trusted(
    twin: SecureTwin, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _, cert, key = client_pki(tmp_path, "newcomer")
    caplog.set_level(logging.WARNING, logger="pki.store")
    client = await secure_client(twin.url, cert, key)
    client.set_user("sam")
    client.set_password(PASSWORDS["sam"])
    with pytest.raises(ua.uaerrors.BadCertificateUntrusted):
        await client.connect()
    with contextlib.suppress(Exception):
        await client.disconnect()
    thumb = thumbprint(cert.read_bytes())
    [rejected] = twin.pki.rejected()
    assert rejected.thumbprint == thumb and rejected.path.parent == twin.pki.root / "rejected" / "certs"
    lines = [r.getMessage() for r in caplog.records if r.name == "pki.store"]
    assert len(lines) == 1, lines
    assert thumb in lines[0] and str(rejected.path) in lines[0]
    assert f"gmp-twin pki trust {thumb[:16]} --pki {twin.pki.root}" in lines[0]

    twin.pki.trust(thumb[:10])  # what `gmp-twin pki trust` does (tests/pki/test_pki_cli.py runs the command)
    client = await secure_client(twin.url, cert, key)
    client.set_user("sam")
    client.set_password(PASSWORDS["sam"])
    async with client:
        await write_level_sp(client, 10.5)
    assert twin.pki.rejected() == []


async def test_x509_user_token_logs_in_the_mapped_user(twin: SecureTwin, tmp_path: Path) -> None:
    _, cert, key = client_pki(tmp_path)
    twin.pki.add_trusted(cert.read_bytes())
    _, user_cert, user_key = client_pki(tmp_path, "ines-card")
    sha256 = hashlib.sha256(user_cert.read_bytes()).hexdigest()

    async def connect_with_user_cert() -> None:
        client = await secure_client(twin.url, cert, key)
        await client.load_client_certificate(str(user_cert))
        await client.load_private_key(str(user_key))
        async with client:
            await write_level_sp(client, 8.5)

    with pytest.raises(ua.uaerrors.BadUserAccessDenied):
        await connect_with_user_cert()  # not mapped to anyone yet
    users = load_users(twin.people.users_path)
    ines = next(u for u in users.users if u.name == "ines")
    ines.certificates.append(ClientCertificate(sha256_fingerprint=sha256, subject="CN=ines-card"))
    write_users(twin.people.users_path, users)
    await connect_with_user_cert()
    assert twin.control.runtime.slots["mps-pa"].unit.read()["level_sp"] == 8.5
    records = [r for r in twin.people.audit.query(newest_first=False) if r.via == "opcua"]
    assert [(r.user, r.action) for r in records if "login" in r.action or r.action == "tag.write"] == [
        (f"x509:{sha256[:16]}", "login.failed"),
        ("ines", "login"),
        ("ines", "tag.write"),
    ]


# -- the password on the wire ------------------------------------------------------------------
@dataclass
class Relay:
    """A TCP relay that keeps every byte the client sends."""

    target_port: int
    sent: bytearray = field(default_factory=bytearray)
    port: int = 0

    async def serve(self) -> asyncio.Server:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)

            async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter, keep: bool) -> None:
                with contextlib.suppress(ConnectionError):
                    while data := await src.read(65536):
                        if keep:
                            self.sent.extend(data)
                        dst.write(data)
                        await dst.drain()
                dst.close()

            await asyncio.gather(pump(reader, up_writer, True), pump(up_reader, writer, False))

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        return server


async def through_relay(port: int, connect: Callable[[str], Awaitable[None]]) -> bytes:
    relay = Relay(port)
    server = await relay.serve()
    async with server:
        await connect(f"opc.tcp://127.0.0.1:{relay.port}/")
    return bytes(relay.sent)


async def test_the_password_never_crosses_the_wire_in_clear(
    tmp_path: Path, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="asyncua")
    secret = PASSWORDS["sam"].encode()
    _, cert, key = client_pki(tmp_path)
    async with (
        secure_twin(tmp_path / "lan", people) as lan,
        secure_twin(tmp_path / "lo", people, host="127.0.0.1") as lo,
    ):
        lan.pki.add_trusted(cert.read_bytes())

        async def over(mode: ua.MessageSecurityMode) -> Callable[[str], Awaitable[None]]:
            async def connect(url: str) -> None:
                client = await secure_client(url, cert, key, mode=mode)
                client.set_user("sam")
                client.set_password(PASSWORDS["sam"])
                async with client:
                    await write_level_sp(client, 10.0)

            return connect

        async def none_channel(url: str) -> None:  # loopback: None channel, the token itself is encrypted
            client = Client(url, timeout=30)
            client.set_user("sam")
            client.set_password(PASSWORDS["sam"])
            async with client:
                token = client.server_policy(ua.UserTokenType.UserName)
                assert token.SecurityPolicyUri != security_policies.SecurityPolicyNone.URI

        for mode in (ua.MessageSecurityMode.SignAndEncrypt, ua.MessageSecurityMode.Sign):
            wire = await through_relay(lan.port, await over(mode))
            assert b"sam" in wire or mode == SIGN_AND_ENCRYPT  # Sign: the user name is readable, not the password
            assert secret not in wire, mode
        wire = await through_relay(lo.port, none_channel)
        assert b"sam" in wire and secret not in wire
    assert not [r for r in caplog.records if "plain-text" in r.getMessage()]
    assert opcua_logins(people).count(("sam", "login")) == 3

    # The relay does see a clear password when there is one: a loopback server with no certificate.
    port = free_port()
    plain = TwinOpcUaServer(f"opc.tcp://127.0.0.1:{port}/", authenticator=people.authenticator)
    async with plain:
        await plain.start()

        async def clear(url: str) -> None:
            client = Client(url, timeout=30)
            client.set_user("sam")
            client.set_password(PASSWORDS["sam"])
            async with client:
                pass

        assert secret in await through_relay(port, clear)


async def test_no_password_in_the_debug_logs_of_server_or_bridge_client(
    twin: SecureTwin, tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """asyncua logs requests at DEBUG; over SignAndEncrypt the token itself is not encrypted again,
    so a debug line could carry the password. Both sides, in one process, at DEBUG."""
    from config_schema.tagmap import TagMapIdentity, TagMapSecurity
    from plc_bridge.connection import open_client  # the bridge's client factory (installs its log filter)

    _, cert, key = client_pki(tmp_path)
    twin.pki.add_trusted(cert.read_bytes())
    security = TagMapSecurity(policy="Basic256Sha256", mode="SignAndEncrypt", certificate=cert, private_key=key,
                              server_trust="pki")  # fmt: skip
    identity = TagMapIdentity(kind="username", username="sam", password_env="GMP_TWIN_TEST_SAM_PW")
    monkeypatch.setenv("GMP_TWIN_TEST_SAM_PW", PASSWORDS["sam"])
    # Earlier tests (the CLI) set asyncua's logger to WARNING: DEBUG on it explicitly, restored after.
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="asyncua")
    client = await open_client(twin.url, security, identity, pki=twin.pki)
    await write_level_sp(client, 12.0)
    await client.disconnect()
    assert twin.control.runtime.slots["mps-pa"].unit.read()["level_sp"] == 12.0
    assert "ActivateSession" in caplog.text or "activate" in caplog.text.lower()  # DEBUG really was on
    assert PASSWORDS["sam"] not in caplog.text
