"""The twin's OPC UA server: the virtual PLC every client (and the bridge) talks to.

Address space: ``Objects/Plant/<unit>/<tag>``, node ids ``ns=<idx>;s=<unit>.<tag>`` in the
namespace ``urn:gmp-twin:plant``. Analog tags are ``AnalogItemType`` with ``EURange`` and
``EngineeringUnits`` (UNECE codes); switches and modes are Booleans. Setpoints, modes and
controller outputs are writable. Values carry the simulation clock as SourceTimestamp.

Identities (:mod:`twin.opcua_users`) come from the users file: anonymous sessions (unless
turned off) only browse, read and subscribe; students write the operator-writable tags;
instructors and admins every writable tag and the methods of ``Objects/Twin``
(:mod:`twin.opcua_methods`).

Every client write of a plant tag goes through :meth:`TwinControl.write_tag` as the session's
user, so it is audited, accepted or refused, with its status: ``BadUserAccessDenied`` (role,
plant-file policy, or a GMP-critical tag written without a reason: use
``Objects/Twin/Operator/WriteWithReason``), ``BadOutOfRange`` (the unit refuses the value),
``BadNodeIdUnknown``, ``BadTypeMismatch``, and ``BadResourceUnavailable`` when the audit trail
cannot be written (the value is then left unchanged: no change without its record). The
operations of one Write request are independent: one refused write does not fail the others.

Without a :class:`TwinControl` (tests, benchmarks) the server has no write policy and no audit:
every session writes the writable tags through ``on_write``.

Security (:mod:`twin.opcua_security`): with a PKI folder the server has a certificate and
Basic256Sha256 / Aes128_Sha256_RsaOaep / Aes256_Sha256_RsaPss endpoints (Sign, SignAndEncrypt);
policy None and anonymous sessions only when bound to loopback (or ``insecure``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from asyncua import Server, ua
from asyncua.crypto.permission_rules import User, UserRole

from access import Authenticator
from audit import AuditUnavailable
from historian import Historian
from models.unit import TagSpec
from twin.delegation import DelegationVerifier
from twin.engineering_units import eu_information
from twin.faults.service import TwinControl
from twin.opcua_deadband import install_deadbands
from twin.opcua_history import HistorianHistory, HistoryTag, install_history
from twin.opcua_methods import PARENT_NAME, TwinMethods, write_status
from twin.opcua_security import SecurityPlan, ServerSecurity, configure_security
from twin.opcua_users import MUST_CHANGE, TwinRuleset, TwinUser, TwinUserManager
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
    control : TwinControl, optional
        Client writes go through :meth:`TwinControl.write_tag` (policy, audit) and the methods
        of ``Objects/Twin`` are added over it (else call :meth:`add_methods`).
    authenticator : Authenticator, optional
        UserName logins and signatures from the users file; None: only anonymous sessions.
    allow_anonymous : bool
        Accept anonymous (read-only) sessions.
    on_write : WriteHandler, optional
        Without ``control`` only: applies a client write, raising ValueError/KeyError to refuse it.
    server_name : str
    security : ServerSecurity, optional
        PKI folder and ``insecure``; default: no certificate (policy None, loopback only).
    historian : Historian, optional
        HistoryRead of the plant tags is served from it (:mod:`twin.opcua_history`); their
        variables are then ``Historizing`` with the ``HistoryRead`` access level.
    site : str, optional
        ``site`` tag of the historian series (None: any).
    delegation : DelegationVerifier, optional
        Lets a dashboard of another process act for its logged-in people (``Twin/Service/Call``).
    namespace_uri : str, optional
        URI of the plant's namespace (a classroom's team plants: ``urn:gmp-twin:team-3``).
    """

    def __init__(
        self,
        endpoint: str,
        *,
        control: TwinControl | None = None,
        authenticator: Authenticator | None = None,
        allow_anonymous: bool = True,
        on_write: WriteHandler | None = None,
        server_name: str = "gmp-twin",
        security: ServerSecurity | None = None,
        historian: Historian | None = None,
        site: str | None = None,
        delegation: DelegationVerifier | None = None,
        namespace_uri: str = NAMESPACE_URI,
    ) -> None:
        self.endpoint = endpoint
        self.namespace_uri = namespace_uri
        self.delegation = delegation
        self.security = security if security is not None else ServerSecurity()
        self.security_plan: SecurityPlan | None = None
        self.on_write = on_write
        self.authenticator = authenticator
        self.allow_anonymous = allow_anonymous
        self.user_manager = TwinUserManager(authenticator, allow_anonymous=allow_anonymous)
        self.ruleset = TwinRuleset()
        self.server = Server(user_manager=self.user_manager)
        self.user_manager.attach(self.server.iserver)
        # asyncua's Write service, replaced by one that takes each operation on its own (one
        # refusal must not fail the request) and plant tags through TwinControl; asyncua 2.1
        # internals, pinned in pyproject.toml.
        service = self.server.iserver.attribute_service
        self._asyncua_write = service.write
        service.write = self._write
        # Deadbands and HistoryRead: two more asyncua 2.1 services completed (see their modules).
        install_deadbands(self.server.iserver)
        self.history = HistorianHistory(self._history_tag, historian, site=site)
        install_history(self.server.iserver, self.history)
        self.control = control
        self.server_name = server_name
        self.ns = 0
        self._nodes: dict[tuple[str, str], ua.NodeId] = {}
        self._specs: dict[tuple[str, str], TagSpec] = {}
        self._tags: dict[ua.NodeId, tuple[str, TagSpec]] = {}
        self._plant: Any = None
        #: Method node ids by name, once :meth:`add_methods` ran.
        self.methods: dict[str, ua.NodeId] = {}
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
        # Endpoints and tokens by bind address; the ruleset gates every request by role (methods).
        self.security_plan = await configure_security(
            self.server, self.user_manager, self.ruleset, self.endpoint, self.security, self.allow_anonymous
        )
        self.ns = await self.server.register_namespace(self.namespace_uri)
        self._plant = await self.server.nodes.objects.add_folder(
            ua.NodeId("Plant", self.ns), ua.QualifiedName("Plant", self.ns)
        )
        if self.control is not None:
            await self.add_methods(self.control)
        return self

    async def start(self) -> None:
        await self.server.start()
        log.info("OPC UA server listening on %s (namespace %s = %s)", self.endpoint, self.ns, self.namespace_uri)

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

    async def add_methods(self, control: TwinControl) -> ua.NodeId:
        """Create ``Objects/Twin/Instructor`` and ``Objects/Twin/Operator`` with their methods over ``control``.

        Returns the ``Twin`` object's node id; method ids are ``s=Twin.<Object>.<Name>``.
        """
        self.control = control
        self.ruleset.audit = control.audit
        methods = TwinMethods(control, self.authenticator, written=self._show, delegation=self.delegation)
        twin_id = ua.NodeId(PARENT_NAME, self.ns)
        twin = await self.server.nodes.objects.add_object(twin_id, ua.QualifiedName(PARENT_NAME, self.ns))
        about = {
            "Instructor": "Instructor controls: faults and scenarios (instructor or admin identity)",
            "Operator": "Operator actions: writes with a reason, for GMP-critical tags (student identity or above)",
            "Service": "The dashboard of another process acting for its logged-in people (signed requests)",
        }
        objects: dict[str, Any] = {}
        for spec in methods.specs:
            if spec.parent not in objects:
                obj_id = ua.NodeId(f"{PARENT_NAME}.{spec.parent}", self.ns)
                objects[spec.parent] = await twin.add_object(obj_id, ua.QualifiedName(spec.parent, self.ns))
                await _describe(objects[spec.parent], about[spec.parent])
            obj = objects[spec.parent]
            method_id = ua.NodeId(f"{obj.nodeid.Identifier}.{spec.name}", self.ns)
            node = await obj.add_method(
                method_id,
                ua.QualifiedName(spec.name, self.ns),
                methods.handler(spec),
                [a.argument() for a in spec.inputs],
                [a.argument() for a in spec.outputs],
            )
            await _describe(node, spec.description)
            self.methods[spec.name] = method_id
            self.ruleset.methods[method_id] = (spec.name, spec.needs)
        return twin_id

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
            self._nodes[(unit, spec.name)] = node_id
            self._specs[(unit, spec.name)] = spec
            self._tags[node_id] = (unit, spec)
            if self.history.historian is not None:
                await self._historizing(node)

    def source_node(self, unit: str, tag: str) -> ua.NodeId | None:
        """The variable of ``unit.tag`` (an alarm's SourceNode), None if the plant has no such tag."""
        return self._nodes.get((unit, tag))

    def _history_tag(self, node_id: ua.NodeId) -> HistoryTag | None:
        tag = self._tags.get(node_id)
        return HistoryTag(tag[0], tag[1].name, tag[1].is_boolean) if tag is not None else None

    async def _historizing(self, node: Any) -> None:
        """Mark a plant variable as historized: ``Historizing`` and the ``HistoryRead`` access bits."""
        await node.write_attribute(ua.AttributeIds.Historizing, ua.DataValue(ua.Variant(True, ua.VariantType.Boolean)))
        for attr in (ua.AttributeIds.AccessLevel, ua.AttributeIds.UserAccessLevel):
            level = (await node.read_attribute(attr)).Value.Value
            level |= ua.AccessLevel.HistoryRead.mask
            await node.write_attribute(attr, ua.DataValue(ua.Variant(level, ua.VariantType.Byte)))

    async def _add_analog(
        self, parent: Any, node_id: ua.NodeId, qname: ua.QualifiedName, spec: TagSpec, value: float
    ) -> Any:
        """An AnalogItemType variable with its EURange and EngineeringUnits properties.

        Built node by node: asyncua's ``instantiate`` of the type, then deleting the optional
        properties left empty, cost ~50 ms per variable (its delete scans every reference of the
        address space), about 8 s of start-up for the default plant's 174 analog tags.
        """
        item = ua.AddNodesItem()
        item.RequestedNewNodeId = node_id
        item.BrowseName = qname
        item.NodeClass = ua.NodeClass.Variable
        item.ParentNodeId = parent.nodeid
        item.ReferenceTypeId = ua.NodeId(ua.ObjectIds.HasComponent)
        item.TypeDefinition = ua.NodeId(ua.ObjectIds.AnalogItemType)
        attrs = ua.VariableAttributes()
        attrs.DisplayName = ua.LocalizedText(spec.name)
        attrs.DataType = ua.NodeId(ua.ObjectIds.Double)
        attrs.Value = ua.Variant(value, ua.VariantType.Double)
        attrs.ValueRank = ua.ValueRank.Scalar
        attrs.AccessLevel = ua.AccessLevel.CurrentRead.mask
        attrs.UserAccessLevel = ua.AccessLevel.CurrentRead.mask
        item.NodeAttributes = attrs
        (result,) = await parent.session.add_nodes([item])
        result.StatusCode.check()
        node = self.server.get_node(result.AddedNodeId)
        ident = node_id.Identifier
        await node.add_property(
            ua.NodeId(f"{ident}.EURange", node_id.NamespaceIndex),
            ua.QualifiedName("EURange", 0),
            ua.Range(Low=spec.lo, High=spec.hi),
            ua.VariantType.ExtensionObject,
            datatype=ua.ObjectIds.Range,
        )
        await node.add_property(
            ua.NodeId(f"{ident}.EngineeringUnits", node_id.NamespaceIndex),
            ua.QualifiedName("EngineeringUnits", 0),
            eu_information(spec.unit),
            ua.VariantType.ExtensionObject,
            datatype=ua.ObjectIds.EUInformation,
        )
        return node

    # -- client writes ----------------------------------------------------------------------
    async def _write(self, params: ua.WriteParameters, user: User = User(role=UserRole.Admin)) -> list[ua.StatusCode]:  # noqa: B008 (asyncua's own default)
        """asyncua's Write service, one operation at a time; plant tags by :meth:`_client_write`."""
        results: list[ua.StatusCode] = []
        for op in params.NodesToWrite:
            tag = self._tags.get(op.NodeId)
            if isinstance(user, TwinUser) and tag is not None and op.AttributeId == ua.AttributeIds.Value:
                results.append(ua.StatusCode(await self._client_write(user, *tag, op.Value)))
            elif isinstance(user, TwinUser) and user.read_only:
                results.append(ua.StatusCode(ua.StatusCodes.BadUserAccessDenied))
            else:  # other nodes and attributes, and the server's own writes: asyncua's checks
                try:
                    results += await self._asyncua_write(ua.WriteParameters(NodesToWrite=[op]), user=user)
                except ua.UaStatusCodeError as exc:
                    results.append(ua.StatusCode(exc.code))
        return results

    async def _client_write(self, user: TwinUser, unit: str, spec: TagSpec, dv: ua.DataValue) -> int:
        """Apply (or refuse, audited) one client write of ``unit.tag``; returns its status code."""
        want = ua.VariantType.Boolean if spec.is_boolean else ua.VariantType.Double
        variant = dv.Value
        if variant is None or variant.VariantType != want or variant.Value is None:
            got = variant.VariantType.name if variant is not None else "no value"
            return self._refuse(user, unit, spec, None, ua.StatusCodes.BadTypeMismatch, f"{got}, expected {want.name}")
        value = float(variant.Value)
        if self.control is None:
            status = self._bare_write(unit, spec, value)
        elif user.principal.must_change_password:
            status = self._refuse(user, unit, spec, value, ua.StatusCodes.BadUserAccessDenied, MUST_CHANGE)
        else:
            status = self._controlled_write(user, unit, spec, value)
        if status == ua.StatusCodes.Good:
            await self._show(unit, spec.name, value)
        return status

    def _controlled_write(self, user: TwinUser, unit: str, spec: TagSpec, value: float) -> int:
        assert self.control is not None
        who = f"{user.principal.name} ({user.principal.client})"
        try:
            self.control.write_tag(unit, spec.name, value, actor=user.actor())
        except AuditUnavailable:
            log.exception(
                "refused write %s.%s = %r by %s: the audit trail cannot record it", unit, spec.name, value, who
            )
            return ua.StatusCodes.BadResourceUnavailable
        except (PermissionError, ValueError, KeyError) as exc:
            log.warning("refused write %s.%s = %r by %s: %s", unit, spec.name, value, who, exc)
            if isinstance(exc, PermissionError) and self.control.policy.needs_reason(unit, spec.name):
                log.warning(
                    "%s.%s is GMP-critical: write it with Objects/Twin/Operator/WriteWithReason(tag, value, reason)",
                    unit,
                    spec.name,
                )
            return write_status(exc)
        log.info("%s wrote %s.%s = %r", who, unit, spec.name, value)
        return ua.StatusCodes.Good

    def _bare_write(self, unit: str, spec: TagSpec, value: float) -> int:
        """A write on a server without TwinControl: no policy, no audit (tests, benchmarks)."""
        if not spec.writable or self.on_write is None:
            return ua.StatusCodes.BadUserAccessDenied
        try:
            self.on_write(unit, spec.name, value)
        except (ValueError, KeyError) as exc:
            log.warning("refused client write %s.%s = %r: %s", unit, spec.name, value, exc)
            return ua.StatusCodes.BadOutOfRange
        log.info("client wrote %s.%s = %r", unit, spec.name, value)
        return ua.StatusCodes.Good

    def _refuse(self, user: TwinUser, unit: str, spec: TagSpec, value: Any, status: int, why: str) -> int:
        """Log and audit a write refused before it reaches TwinControl; returns ``status``."""
        name = ua.StatusCode(status).name
        log.warning("refused write %s.%s = %r by %s: %s (%s)", unit, spec.name, value, user.principal.name, why, name)
        audit = self.control.audit if self.control is not None else None
        if audit is not None:
            try:
                audit.append(
                    user.actor(), "tag.write", f"{unit}.{spec.name}", unit=unit, new=value,
                    result="refused", status=name, detail=why,
                )  # fmt: skip
            except AuditUnavailable:
                log.exception("could not record the refused write of %s.%s", unit, spec.name)
        return status

    async def _show(self, unit: str, tag: str, value: float) -> None:
        """Show a value just written on its node (the next publication carries the simulation time)."""
        spec = self._specs[(unit, tag)]
        variant = (
            ua.Variant(bool(value), ua.VariantType.Boolean)
            if spec.is_boolean
            else ua.Variant(float(value), ua.VariantType.Double)
        )
        now = datetime.now(UTC)
        # On the plant's clock, as every publication: a run ahead of the wall (accelerated, or
        # resumed after one) must not store the write hours behind its own values.
        source = _ua_time(self.control.runtime.clock.now_ns()) if self.control is not None else now
        await self.server.write_attribute_value(
            self._nodes[(unit, tag)], ua.DataValue(variant, SourceTimestamp=source, ServerTimestamp=max(now, source))
        )

    async def publish(self, unit: str, readings: dict[str, Reading], time_ns: int) -> None:
        """Write the current readings of a unit, stamped with the simulation time.

        SourceTimestamp is the simulation time of the readings. ServerTimestamp is
        ``max(wall clock, SourceTimestamp)``, so it is never earlier than SourceTimestamp:
        the runtime steps one publish period (0.2 s) ahead of the wall before it publishes,
        and an accelerated run's simulated time runs ahead of the wall (the virtual PLC's
        clock runs fast; both timestamps then carry simulated time). When simulated time lags
        the wall (paused, slowed down, a frozen-timestamp fault) ServerTimestamp is the wall
        clock, so a client sees how old the value is.
        """
        ts = _ua_time(time_ns)
        now = max(datetime.now(UTC), ts)
        for tag, (value, status) in readings.items():
            spec = self._specs[(unit, tag)]
            variant = (
                ua.Variant(bool(value), ua.VariantType.Boolean)
                if spec.is_boolean
                else ua.Variant(float(value), ua.VariantType.Double)
            )
            dv = ua.DataValue(variant, StatusCode=ua.StatusCode(status), SourceTimestamp=ts, ServerTimestamp=now)
            await self.server.write_attribute_value(self._nodes[(unit, tag)], dv)
