"""Every writable node and every method found by browsing the real address space has a declared rule,
and each role gets exactly what the rule says.

The default plant (five units, ``config/plant.yaml``: its operator-writable and GMP-critical tags)
is served on a real asyncua server; an asyncua client browses it as anonymous, then writes every
writable node and calls every method as anonymous, student, instructor and admin. A node or a
method that the plant policy or ``METHOD_ROLES`` does not know fails the test by name.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from asyncua import Client, Node, ua
from conftest import free_port
from people import PASSWORDS, People

from access import at_least
from twin.access_policy import AccessPolicy
from twin.faults.service import TwinControl
from twin.opcua_methods import METHOD_ROLES
from twin.opcua_server import NAMESPACE_URI, TwinOpcUaServer
from twin.plant import build_plant, load_plant, plant_policy, unit_steps
from twin.runtime import TwinRuntime

REPO = Path(__file__).resolve().parents[2]
ROLES = {"anonymous": None, "student": "sam", "instructor": "ines", "admin": "ada"}


@dataclass
class Served:
    endpoint: str
    policy: AccessPolicy
    control: TwinControl

    def url(self, role: str) -> str:
        user = ROLES[role]
        host = self.endpoint.removeprefix("opc.tcp://")
        return self.endpoint if user is None else f"opc.tcp://{user}:{PASSWORDS[user]}@{host}"


@pytest.fixture
async def served(people: People) -> AsyncIterator[Served]:
    cfg = load_plant(REPO / "config/plant.yaml")
    units = build_plant(cfg)
    policy = plant_policy(cfg, units)
    runtime = TwinRuntime(units, unit_dt_s=unit_steps(cfg))
    control = TwinControl(runtime, site=cfg.site, audit=people.audit, policy=policy)
    control.bind_loop(asyncio.get_running_loop())
    endpoint = f"opc.tcp://127.0.0.1:{free_port()}/"
    server = TwinOpcUaServer(endpoint, control=control, authenticator=people.authenticator, allow_anonymous=True)
    async with server:
        for name, slot in runtime.slots.items():
            await server.add_unit(name, slot.unit.unit_type, slot.specs, runtime.readings(name))
        await server.start()
        yield Served(endpoint, policy, control)


async def _walk(node: Node, found: dict[str, list[Node]], depth: int = 0) -> None:
    for child in await node.get_children(refs=ua.ObjectIds.HierarchicalReferences):
        cls = await child.read_node_class()
        if cls == ua.NodeClass.Method:
            found["methods"].append(child)
        elif cls == ua.NodeClass.Variable:
            access = await child.read_attribute(ua.AttributeIds.AccessLevel)
            if access.Value.Value & ua.AccessLevel.CurrentWrite.mask:
                found["writable"].append(child)
        elif cls == ua.NodeClass.Object and depth < 4:
            await _walk(child, found, depth + 1)


async def test_every_writable_node_and_method_has_a_rule_and_each_role_gets_it(served: Served, people: People) -> None:
    async with Client(served.url("anonymous")) as client:
        ns = await client.get_namespace_index(NAMESPACE_URI)
        found: dict[str, list[Node]] = {"methods": [], "writable": []}
        await _walk(client.nodes.objects, found)
        ours = {n.nodeid.Identifier: n for n in found["writable"] if n.nodeid.NamespaceIndex == ns}
        methods = {str(m.nodeid.Identifier): m for m in found["methods"] if m.nodeid.NamespaceIndex == ns}

    declared = {f"{unit}.{tag}" for unit, tag in served.policy.writable}
    assert set(ours) == declared, f"writable nodes without a rule: {sorted(set(ours) - declared)}"
    names = {identifier.rsplit(".", 1)[-1] for identifier in methods}
    assert names <= set(METHOD_ROLES), f"methods without a declared role: {sorted(names - set(METHOD_ROLES))}"
    assert len(ours) == 61 and {"InjectFault", "StopScenario", "WriteWithReason"} <= names

    for role in ROLES:
        async with Client(served.url(role)) as client:
            for identifier in sorted(ours):
                unit, tag = identifier.split(".", 1)
                node = client.get_node(ua.NodeId(identifier, ns))
                value = await node.read_data_value()
                result = await client.uaclient.write_attributes(
                    [node.nodeid], [ua.DataValue(value.Value)], ua.AttributeIds.Value
                )
                allowed = served.policy.may_write(role, unit, tag) and not served.policy.needs_reason(unit, tag)
                denied = result[0].value == ua.StatusCodes.BadUserAccessDenied
                assert denied != allowed, (role, identifier, result[0])
            for identifier, method in sorted(methods.items()):
                name = identifier.rsplit(".", 1)[-1]
                parent = ua.NodeId(identifier.rsplit(".", 1)[0], ns)
                request = ua.CallMethodRequest(ObjectId=parent, MethodId=method.nodeid, InputArguments=[])
                try:  # the ruleset refuses a whole Call request it may not serve (a ServiceFault)
                    [answer] = await client.uaclient.call([request])
                    denied = answer.StatusCode.value == ua.StatusCodes.BadUserAccessDenied
                except ua.uaerrors.BadUserAccessDenied:
                    denied = True
                may = role != "anonymous" and at_least(role, METHOD_ROLES[name])
                assert denied != may, (role, name, answer.StatusCode)

    # Every refusal is in the trail: a refused call as access.denied, a refused write as tag.write.
    records = people.audit.query(limit=100_000)
    # (A few writes of the current value are refused by the unit itself, e.g. an output in auto.)
    refused = [r for r in records if r.result == "refused" and r.status == "BadUserAccessDenied"]
    assert {r.user for r in refused if r.action == "access.denied"} == {"anonymous", "sam"}
    critical = {f"{unit}.{tag}" for unit, tag in served.policy.critical}
    for user in ("ines", "ada"):
        assert {r.object for r in refused if r.user == user and r.action == "tag.write"} == critical
    assert all(r.via == "opcua" for r in refused)
