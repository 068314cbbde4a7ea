"""The twin's OPC UA server: the virtual PLC every client (and the bridge) talks to.

Address space: ``Objects/Plant/<unit>/<tag>``, node ids ``ns=<idx>;s=<unit>.<tag>`` in the
namespace ``urn:gmp-twin:plant``. Analog tags are ``AnalogItemType`` with ``EURange`` and
``EngineeringUnits`` (UNECE codes); switches and modes are Booleans. Setpoints, modes and
controller outputs are writable; a client write is validated by the unit itself and
rejected with ``BadOutOfRange`` (or ``BadTypeMismatch``) when the unit refuses it, so a
student sees at once why a setpoint of 500 cm was not taken.

Values carry the simulation clock as SourceTimestamp.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from asyncua import Server, ua
from asyncua.common.instantiate_util import instantiate
from asyncua.server.address_space import NodeData

from models.unit import TagSpec
from twin.engineering_units import eu_information
from twin.sensors import Reading

log = logging.getLogger(__name__)

NAMESPACE_URI = "urn:gmp-twin:plant"

#: Called with (unit, tag, value) for a client write; raises ValueError/KeyError to refuse it.
WriteHandler = Callable[[str, str, float], None]


def _ua_time(time_ns: int) -> datetime:
    return datetime.fromtimestamp(time_ns / 1e9, UTC)


class TwinOpcUaServer:
    """An asyncua server exposing the units of the twin.

    Parameters
    ----------
    endpoint : str
        e.g. ``"opc.tcp://127.0.0.1:4840/"``.
    on_write : WriteHandler
        Applies a client write to the simulation, raising to refuse it.
    """

    def __init__(self, endpoint: str, on_write: WriteHandler, server_name: str = "gmp-twin") -> None:
        self.endpoint = endpoint
        self.on_write = on_write
        self.server = Server()
        self.server_name = server_name
        self.ns = 0
        self._nodes: dict[tuple[str, str], ua.NodeId] = {}
        self._specs: dict[tuple[str, str], TagSpec] = {}
        # DataValues we publish ourselves; the setter lets these through unvalidated.
        self._own_values: set[int] = set()
        self._plant: Any = None

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
        self.server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        self.ns = await self.server.register_namespace(NAMESPACE_URI)
        self._plant = await self.server.nodes.objects.add_folder(
            ua.NodeId("Plant", self.ns), ua.QualifiedName("Plant", self.ns)
        )
        return self

    async def start(self) -> None:
        await self.server.start()
        log.info("OPC UA server listening on %s (namespace %s = %s)", self.endpoint, self.ns, NAMESPACE_URI)

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self.server.stop()
        except Exception:  # stop() on a never-started server
            log.debug("OPC UA server stop failed", exc_info=True)

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
