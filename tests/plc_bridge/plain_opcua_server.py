"""A small PLC-like asyncua server for the bridge tests: N variables, optional security and users.

Not the twin: a server the bridge knows nothing about, with S7-style quoted string node ids,
values written in numbered rounds (round k writes k to every variable), so a test counts
what arrived instead of timing it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from asyncua import Server, ua
from asyncua.crypto.permission_rules import User, UserRole

from config_schema.tagmap import TagMap
from pki.store import Pki

NAMESPACE = "urn:test:plc"


def node_of(i: int) -> str:
    return f'ns=3;s="DB_Process"."Tag{i:02d}"'


class _Users:
    def __init__(self, users: dict[str, str]) -> None:
        self.users = users

    def get_user(self, iserver: Any, username: str | None = None, password: str | None = None, certificate: Any = None):  # type: ignore[no-untyped-def]
        if username is not None and self.users.get(username) == password:
            return User(role=UserRole.User, name=username)
        return None


@dataclass
class PlainServer:
    server: Server
    port: int
    variables: list[Any]
    ns: int
    certificate: Path | None = None
    rounds: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        return f"opc.tcp://127.0.0.1:{self.port}"

    async def write_round(self) -> None:
        """Round k: every variable takes the value k, SourceTimestamp now."""
        self.rounds += 1
        now = datetime.now(UTC)
        for var in self.variables:
            await var.write_value(
                ua.DataValue(ua.Variant(float(self.rounds), ua.VariantType.Double), SourceTimestamp=now)
            )

    async def add_variable(self, node_id: str) -> None:
        """Create a variable later (a PLC program download that adds it)."""
        folder = self.extra["folder"]
        nid = ua.NodeId.from_string(node_id)
        nid = ua.NodeId(nid.Identifier, self.ns, nid.NodeIdType)
        var = await folder.add_variable(nid, nid.Identifier, 0.0)
        self.variables.append(var)


@contextlib.asynccontextmanager
async def plain_server(
    port: int,
    n: int = 3,
    *,
    secure_pki: Path | None = None,
    users: dict[str, str] | None = None,
) -> AsyncIterator[PlainServer]:
    """Serve ``n`` variables; with ``secure_pki`` only Basic256Sha256 SignAndEncrypt is offered."""
    server = Server(user_manager=_Users(users) if users is not None else None)
    await server.init()
    server.set_endpoint(f"opc.tcp://127.0.0.1:{port}")
    server.set_server_name("plain test PLC")
    cert_path = None
    if secure_pki is not None:
        uri = "urn:test:plain-plc"
        await server.set_application_uri(uri)
        cert_path, key_path = Pki(secure_pki).ensure_own(uri, ["127.0.0.1", "localhost"], name="plc")
        await server.load_certificate(str(cert_path))
        await server.load_private_key(str(key_path))
        server.set_security_policy([ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt])
    if users is not None:
        server.set_identity_tokens([ua.UserNameIdentityToken])
    # The test namespace gets index 3, as on an S7-1500 (asyncua has 0 and 1).
    while len(await server.get_namespace_array()) < 3:
        await server.register_namespace(f"{NAMESPACE}:pad")
    ns = await server.register_namespace(NAMESPACE)
    folder = await server.nodes.objects.add_folder(ua.NodeId("DB_Process", ns), "DB_Process")
    variables = []
    for i in range(n):
        nid = ua.NodeId.from_string(node_of(i))
        var = await folder.add_variable(ua.NodeId(nid.Identifier, ns, nid.NodeIdType), f"Tag{i:02d}", 0.0)
        variables.append(var)
    async with server:
        yield PlainServer(server, port, variables, ns, cert_path, extra={"folder": folder})


def tagmap_text(endpoint: str, nodes: list[str], extra: str = "") -> str:
    """A tag map YAML for ``nodes`` (one tag ``tagNN`` each), with optional extra top-level blocks."""
    lines = [f"endpoint: {endpoint}", "site: lab", "unit: kit1", "source: plc"]
    lines += [
        "subscription: {publishing_interval_ms: 50, sampling_interval_ms: 20, queue_size: 100}",
        extra.rstrip(),
        "tags:",
    ]
    for i, node in enumerate(nodes):
        lines += [f"  - name: tag{i:02d}", f"    node: '{node}'"]
    return "\n".join(line for line in lines if line) + "\n"


def write_tagmap(path: Path, text: str) -> TagMap:
    from config_schema.tagmap import load_tagmap

    path.write_text(text)
    return load_tagmap(path)


async def until(predicate: Any, limit_s: float = 30.0, what: str = "condition") -> None:
    """Poll ``predicate`` (generous bound: the machine is shared)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)
