"""The twin's OPC UA server: the virtual PLC every client (and the bridge) talks to.

Address space: ``Objects/Plant/<unit>/<tag>``, node ids ``ns=<idx>;s=<unit>.<tag>`` in the
namespace ``urn:gmp-twin:plant``. Analog tags are ``AnalogItemType`` with ``EURange`` and
``EngineeringUnits`` (UNECE codes); switches and modes are Booleans. Setpoints, modes and
controller outputs are writable; a client write is validated by the unit itself and
rejected with ``BadOutOfRange`` (or ``BadTypeMismatch``) when the unit refuses it, so a
student sees at once why a setpoint of 500 cm was not taken.

Values carry the simulation clock as SourceTimestamp.

Identities (:mod:`twin.opcua_users`): anonymous sessions (unless turned off) and UserName
sessions of students browse, read, subscribe and write setpoints; only an instructor
identity may call the methods of ``Objects/Twin/Instructor`` (:mod:`twin.opcua_methods`).
The security policy is None, so a UserName token's password crosses the network in clear
(asyncua encrypts it only when the server has a certificate): use it on a trusted network.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from asyncua import Server, ua
from asyncua.common.instantiate_util import instantiate
from asyncua.server.address_space import NodeData

from models.unit import TagSpec
from twin.engineering_units import eu_information
from twin.faults.service import TwinControl
from twin.opcua_methods import OBJECT_NAME, PARENT_NAME, InstructorMethods
from twin.opcua_users import OpcUaUser, TwinRuleset, TwinUserManager
from twin.sensors import Reading

log = logging.getLogger(__name__)

NAMESPACE_URI = "urn:gmp-twin:plant"

#: Called with (unit, tag, value) for a client write; raises ValueError/KeyError to refuse it.
WriteHandler = Callable[[str, str, float], None]


def _ua_time(time_ns: int) -> datetime:
    return datetime.fromtimestamp(time_ns / 1e9, UTC)


async def _describe(node: Any, text: str) -> None:
    await node.write_attribute(
        ua.AttributeIds.Description, ua.DataValue(ua.Variant(ua.LocalizedText(text), ua.VariantType.LocalizedText))
    )


def _client_sessions(server: Server) -> list[Any]:
    """Every session of a network client: attached to a connection, or detached but kept
    alive for its subscriptions (asyncua's registry is private; read defensively)."""
    sessions = [p.processor.session for p in server.bserver.clients if p.processor and p.processor.session]
    registry = getattr(server.iserver, "_external_sessions", {})
    return sessions + list(registry.values())


class TwinOpcUaServer:
    """An asyncua server exposing the units of the twin.

    Parameters
    ----------
    endpoint : str
        e.g. ``"opc.tcp://127.0.0.1:4840/"``.
    on_write : WriteHandler
        Applies a client write to the simulation, raising to refuse it.
    server_name : str
    users : Mapping[str, OpcUaUser], optional
        UserName identities (:func:`twin.opcua_users.load_users`); none: only anonymous.
    allow_anonymous : bool
        Accept anonymous sessions (as students).
    control : TwinControl, optional
        Adds the instructor methods over it (else call :meth:`add_instructor_methods`).
    """

    def __init__(
        self,
        endpoint: str,
        on_write: WriteHandler,
        server_name: str = "gmp-twin",
        users: Mapping[str, OpcUaUser] | None = None,
        allow_anonymous: bool = True,
        control: TwinControl | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.on_write = on_write
        self.allow_anonymous = allow_anonymous
        self.user_manager = TwinUserManager(users or {}, allow_anonymous=allow_anonymous)
        self.ruleset = TwinRuleset(allow_anonymous=allow_anonymous)
        self.server = Server(user_manager=self.user_manager)
        self.control = control
        self.server_name = server_name
        self.ns = 0
        self._nodes: dict[tuple[str, str], ua.NodeId] = {}
        self._specs: dict[tuple[str, str], TagSpec] = {}
        # DataValues we publish ourselves; the setter lets these through unvalidated.
        self._own_values: set[int] = set()
        self._plant: Any = None
        #: Method node ids by name, once :meth:`add_instructor_methods` ran.
        self.instructor_methods: dict[str, ua.NodeId] = {}
        self._drop_lock = asyncio.Lock()
        self._drops: set[asyncio.Task[Any]] = set()
        self._closing = False

    async def __aenter__(self) -> TwinOpcUaServer:
        await self.server.init()
        self.server.set_endpoint(self.endpoint)
        self.server.set_server_name(self.server_name)
        await self.server.set_build_info(
            product_uri="urn:gmp-twin",
            manufacturer_name="gmp-twin",
            product_name="gmp-twin virtual PLC",
            software_version="0.1.0",
            build_number="0",
            build_date=datetime.now(UTC),
        )
        # Development profile: no security on loopback; production security is a later step.
        # The ruleset gates every request by role (instructor methods), the tokens which logins exist.
        self.server.set_security_policy([ua.SecurityPolicyType.NoSecurity], permission_ruleset=self.ruleset)
        tokens: list[type] = [ua.UserNameIdentityToken]
        if self.allow_anonymous:
            tokens.insert(0, ua.AnonymousIdentityToken)
        self.server.set_identity_tokens(tokens)
        self.ns = await self.server.register_namespace(NAMESPACE_URI)
        self._plant = await self.server.nodes.objects.add_folder(
            ua.NodeId("Plant", self.ns), ua.QualifiedName("Plant", self.ns)
        )
        if self.control is not None:
            await self.add_instructor_methods(self.control)
        return self

    async def start(self) -> None:
        await self.server.start()
        log.info("OPC UA server listening on %s (namespace %s = %s)", self.endpoint, self.ns, NAMESPACE_URI)

    async def __aexit__(self, *exc: object) -> None:
        self._closing = True
        drops = list(self._drops)
        for task in drops:  # a drop sleeping through its outage must not restart us
            task.cancel()
        await asyncio.gather(*drops, return_exceptions=True)
        try:
            await self.server.stop()
        except Exception:  # stop() on a never-started server
            log.debug("OPC UA server stop failed", exc_info=True)

    async def add_instructor_methods(self, control: TwinControl) -> ua.NodeId:
        """Create ``Objects/Twin/Instructor`` with the instructor methods over ``control``.

        Returns the object's node id (``s=Twin.Instructor``); method ids are ``s=Twin.Instructor.<Name>``.
        """
        self.control = control
        methods = InstructorMethods(control)
        twin = await self.server.nodes.objects.add_object(
            ua.NodeId(PARENT_NAME, self.ns), ua.QualifiedName(PARENT_NAME, self.ns)
        )
        obj_id = ua.NodeId(f"{PARENT_NAME}.{OBJECT_NAME}", self.ns)
        obj = await twin.add_object(obj_id, ua.QualifiedName(OBJECT_NAME, self.ns))
        await _describe(obj, "Instructor controls: faults and scenarios (instructor identity only)")
        for spec in methods.specs:
            method_id = ua.NodeId(f"{obj_id.Identifier}.{spec.name}", self.ns)
            node = await obj.add_method(
                method_id,
                ua.QualifiedName(spec.name, self.ns),
                methods.handler(spec),
                [a.argument() for a in spec.inputs],
                [a.argument() for a in spec.outputs],
            )
            await _describe(node, spec.description)
            self.instructor_methods[spec.name] = method_id
            self.ruleset.instructor_methods.add(method_id)
        return obj_id

    async def drop_sessions(self, outage_s: float) -> None:
        """A server restart: close every client connection and session, refuse connections
        for ``outage_s`` wall-clock seconds, then listen again.

        Registered on ``FaultManager.session_drop_handlers`` (fault ``comm_session_drop``).
        Clients must open a new session afterwards; their subscriptions are gone.
        """
        async with self._drop_lock:  # overlapping drops run one after the other
            bserver = self.server.bserver
            if bserver is None or self._closing:
                return
            task = asyncio.current_task()
            if task is not None:
                self._drops.add(task)
            try:
                sessions = {id(s): s for s in _client_sessions(self.server)}
                log.warning("OPC UA server drops %d session(s) and is down for %.1f s", len(sessions), outage_s)
                await bserver.stop()  # closes the listening socket and every client transport
                for session in sessions.values():
                    await session.close_session(True)
                await asyncio.sleep(max(0.0, outage_s))
                if not self._closing:
                    await bserver.start()
                    log.warning("OPC UA server listening again on %s", self.endpoint)
            finally:
                if task is not None:
                    self._drops.discard(task)

    def node_id(self, unit: str, tag: str) -> ua.NodeId:
        return self._nodes[(unit, tag)]

    async def add_unit(self, unit: str, unit_type: str, specs: list[TagSpec], initial: dict[str, Reading]) -> None:
        """Create the unit's object and one variable per tag."""
        obj = await self._plant.add_object(ua.NodeId(unit, self.ns), ua.QualifiedName(unit, self.ns))
        await obj.write_attribute(
            ua.AttributeIds.Description,
            ua.DataValue(ua.Variant(ua.LocalizedText(f"{unit_type} unit {unit}"), ua.VariantType.LocalizedText)),
        )
        for spec in specs:
            node_id = ua.NodeId(f"{unit}.{spec.name}", self.ns)
            qname = ua.QualifiedName(spec.name, self.ns)
            value, _status = initial[spec.name]
            if spec.is_boolean:
                node = await obj.add_variable(node_id, qname, bool(value), ua.VariantType.Boolean)
            else:
                node = await self._add_analog(obj, node_id, qname, spec, float(value))
            await node.write_attribute(
                ua.AttributeIds.Description,
                ua.DataValue(ua.Variant(ua.LocalizedText(spec.description), ua.VariantType.LocalizedText)),
            )
            if spec.writable:
                await node.set_writable(True)
                self.server.set_attribute_value_setter(node_id, self._make_setter(unit, spec))
            self._nodes[(unit, spec.name)] = node_id
            self._specs[(unit, spec.name)] = spec

    async def _add_analog(
        self, parent: Any, node_id: ua.NodeId, qname: ua.QualifiedName, spec: TagSpec, value: float
    ) -> Any:
        analog_type = self.server.get_node(ua.NodeId(ua.ObjectIds.AnalogItemType))
        created = await instantiate(
            parent,
            analog_type,
            nodeid=node_id,
            bname=qname,
            dname=ua.LocalizedText(spec.name),
            instantiate_optional=True,
        )
        node = created[0]
        await node.write_attribute(
            ua.AttributeIds.DataType, ua.DataValue(ua.Variant(ua.NodeId(ua.ObjectIds.Double), ua.VariantType.NodeId))
        )
        await node.write_value(ua.Variant(value, ua.VariantType.Double))
        eu_range = await node.get_child(ua.QualifiedName("EURange", 0))
        await eu_range.write_value(ua.Variant(ua.Range(Low=spec.lo, High=spec.hi), ua.VariantType.ExtensionObject))
        eu_info = await node.get_child(ua.QualifiedName("EngineeringUnits", 0))
        await eu_info.write_value(ua.Variant(eu_information(spec.unit), ua.VariantType.ExtensionObject))
        # Optional properties of AnalogItemType we do not fill would read as Null; drop them.
        for name in ("InstrumentRange", "ValuePrecision", "Definition"):
            try:
                child = await node.get_child(ua.QualifiedName(name, 0))
            except ua.UaError:
                continue
            await self.server.delete_nodes([child])
        return node

    def _make_setter(self, unit: str, spec: TagSpec) -> Callable[[NodeData, ua.AttributeIds, ua.DataValue], None]:
        def setter(node: NodeData, attr: ua.AttributeIds, dv: ua.DataValue) -> None:
            if id(dv) not in self._own_values:
                value = dv.Value.Value if dv.Value is not None else None
                if isinstance(value, bool):
                    value = float(value)
                if not isinstance(value, int | float):
                    raise ua.uaerrors.BadTypeMismatch()
                try:
                    self.on_write(unit, spec.name, float(value))
                except (ValueError, KeyError) as exc:
                    log.warning("refused client write %s.%s = %r: %s", unit, spec.name, value, exc)
                    raise ua.uaerrors.BadOutOfRange() from None
                log.info("client wrote %s.%s = %r", unit, spec.name, value)
            node.attributes[attr].value = dv
            node.attributes[attr].value_callback = None

        return setter

    async def publish(self, unit: str, readings: dict[str, Reading], time_ns: int) -> None:
        """Write the current readings of a unit, stamped with the simulation time."""
        ts = _ua_time(time_ns)
        now = datetime.now(UTC)
        for tag, (value, status) in readings.items():
            spec = self._specs[(unit, tag)]
            variant = (
                ua.Variant(bool(value), ua.VariantType.Boolean)
                if spec.is_boolean
                else ua.Variant(float(value), ua.VariantType.Double)
            )
            dv = ua.DataValue(variant, StatusCode=ua.StatusCode(status), SourceTimestamp=ts, ServerTimestamp=now)
            self._own_values.add(id(dv))
            try:
                await self.server.write_attribute_value(self._nodes[(unit, tag)], dv)
            finally:
                self._own_values.discard(id(dv))
