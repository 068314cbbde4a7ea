"""Deadbands on the twin's OPC UA subscriptions: absolute and percent, as a PLC applies them.

A client's ``DataChangeFilter`` (OPC 10000-4 §7.22.2, OPC 10000-8 §7.2) is checked when its
monitored item is created or modified, and then applied to every value:

- ``Absolute``: a value is reported when ``|last reported − value| > deadband``;
- ``Percent``: the same with ``deadband / 100 × (EURange.High − EURange.Low)``, on variables
  that have an ``EURange`` property (the plant's AnalogItems);
- the deadband is ignored when the status changes, and when the trigger is ``Status`` only;
  ``StatusValueTimestamp`` with a deadband behaves as ``StatusValue`` (as the standard says).

A filter the server cannot honour is refused for that item only, with the standard code:

===================================  ===================================================
``BadDeadbandFilterInvalid``          negative deadband, percent outside 0–100, percent on
                                      a variable without ``EURange``, unknown deadband type
``BadFilterNotAllowed``               a deadband on a non-numeric variable (the switches),
                                      a data-change filter on another attribute than Value
``BadMonitoredItemFilterUnsupported``  any other filter (``AggregateFilter``)
===================================  ===================================================

asyncua 2.1 compares an absolute deadband with the previous *sample* (so a slow ramp is never
reported), ignores percent deadbands with a warning, and accepts every filter. Its
``MonitoredItemService`` (one per subscription) is replaced by :class:`DeadbandItemService`,
a subclass overriding four of its methods, as each subscription is created
(:func:`install_deadbands`); asyncua is pinned below 2.2 in ``pyproject.toml``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

from asyncua import ua
from asyncua.server.address_space import AddressSpace
from asyncua.server.monitored_item_service import MonitoredItemData, MonitoredItemService, MonitoredItemValues

log = logging.getLogger(__name__)

#: The decoded class (``ua.DataChangeFilter`` is a subclass of it with defaults for clients).
DataChangeFilter = ua.uaprotocol_auto.DataChangeFilter
_NUMBER = ua.NodeId(ua.ObjectIds.Number)
_HAS_SUBTYPE = ua.NodeId(ua.ObjectIds.HasSubtype)
_HAS_PROPERTY = ua.NodeId(ua.ObjectIds.HasProperty)


class _Values(MonitoredItemValues):
    """asyncua's sample pair, plus the last value reported and the deadband in value units."""

    def __init__(self) -> None:
        super().__init__()
        self.reported: ua.DataValue | None = None
        self.deadband: float | None = None  # None: no deadband (or not applicable)


def is_number(aspace: AddressSpace, data_type: ua.NodeId) -> bool:
    """Whether ``data_type`` is ``Number`` or one of its subtypes (Double, Int32...)."""
    seen: set[ua.NodeId] = set()
    current: ua.NodeId | None = data_type
    while current is not None and current not in seen:
        if current == _NUMBER:
            return True
        seen.add(current)
        node = aspace.get(current)
        parents = (
            [r.NodeId for r in node.references if r.ReferenceTypeId == _HAS_SUBTYPE and not r.IsForward] if node else []
        )
        current = parents[0] if parents else None
    return False


def eu_range(aspace: AddressSpace, node_id: ua.NodeId) -> ua.Range | None:
    """The ``EURange`` property's value of a variable, or None."""
    node = aspace.get(node_id)
    if node is None:
        return None
    for ref in node.references:
        if ref.ReferenceTypeId == _HAS_PROPERTY and ref.IsForward and ref.BrowseName.Name == "EURange":
            value = aspace.read_attribute_value(ref.NodeId, ua.AttributeIds.Value).Value
            return value.Value if value is not None and isinstance(value.Value, ua.Range) else None
    return None


def check_filter(aspace: AddressSpace, item: ua.ReadValueId, flt: Any) -> tuple[int, float | None]:
    """(status code, deadband in value units or None) for a monitored item's filter.

    Parameters
    ----------
    aspace : AddressSpace
        The server's address space (data types, ``EURange``).
    item : ua.ReadValueId
        What is monitored.
    flt : ua.DataChangeFilter, other filter, or None
        The requested filter.
    """
    if flt is None:
        return ua.StatusCodes.Good, None
    if not isinstance(flt, DataChangeFilter):
        return ua.StatusCodes.BadMonitoredItemFilterUnsupported, None
    if item.AttributeId != ua.AttributeIds.Value:
        return ua.StatusCodes.BadFilterNotAllowed, None
    kind, value = flt.DeadbandType, flt.DeadbandValue
    if kind == ua.DeadbandType.None_:
        return ua.StatusCodes.Good, None
    if kind not in (ua.DeadbandType.Absolute, ua.DeadbandType.Percent) or not math.isfinite(value) or value < 0:
        return ua.StatusCodes.BadDeadbandFilterInvalid, None
    data_type = aspace.read_attribute_value(item.NodeId, ua.AttributeIds.DataType).Value
    if data_type is None or not isinstance(data_type.Value, ua.NodeId) or not is_number(aspace, data_type.Value):
        return ua.StatusCodes.BadFilterNotAllowed, None
    if kind == ua.DeadbandType.Absolute:
        return ua.StatusCodes.Good, float(value)
    rng = eu_range(aspace, item.NodeId)
    if value > 100 or rng is None:
        return ua.StatusCodes.BadDeadbandFilterInvalid, None
    return ua.StatusCodes.Good, value / 100.0 * abs(rng.High - rng.Low)


class DeadbandItemService(MonitoredItemService):
    """asyncua's monitored items of one subscription, with filters checked and deadbands applied."""

    def _make_monitored_item_common(
        self, params: ua.MonitoredItemCreateRequest
    ) -> tuple[ua.MonitoredItemCreateResult, MonitoredItemData]:
        result, mdata = super()._make_monitored_item_common(params)
        mdata.mvalue = _Values()
        return result, mdata

    async def _create_data_change_monitored_item(
        self, params: ua.MonitoredItemCreateRequest
    ) -> ua.MonitoredItemCreateResult:
        status, deadband = check_filter(self.aspace, params.ItemToMonitor, params.RequestedParameters.Filter)
        if status != ua.StatusCodes.Good:
            log.info(
                "monitored item on %s refused: %s (filter %s)",
                params.ItemToMonitor.NodeId.to_string(),
                ua.StatusCode(status).name,
                params.RequestedParameters.Filter,
            )
            return ua.MonitoredItemCreateResult(StatusCode=ua.StatusCode(status))
        result = await super()._create_data_change_monitored_item(params)
        mdata = self._monitored_items.get(result.MonitoredItemId)
        if mdata is not None and isinstance(mdata.mvalue, _Values):
            mdata.mvalue.deadband = deadband
        return result

    def _modify_monitored_item(self, params: ua.MonitoredItemModifyRequest) -> ua.MonitoredItemModifyResult:
        mdata = self._monitored_items.get(params.MonitoredItemId)
        if mdata is None:  # asyncua's own answer to this case raises
            return ua.MonitoredItemModifyResult(StatusCode=ua.StatusCode(ua.StatusCodes.BadMonitoredItemIdInvalid))
        flt = params.RequestedParameters.Filter
        deadband = None
        if mdata.read_value_id is not None and mdata.where_clause_evaluator is None:  # a data-change item
            status, deadband = check_filter(self.aspace, mdata.read_value_id, flt)
            if status != ua.StatusCodes.Good:
                return ua.MonitoredItemModifyResult(StatusCode=ua.StatusCode(status))
        result = super()._modify_monitored_item(params)
        if flt is not None and isinstance(mdata.mvalue, _Values):
            mdata.mvalue.deadband = deadband
        return result

    def _is_deadband_exceeded(self, values: MonitoredItemValues, flt: ua.DataChangeFilter) -> bool:
        # Called once the trigger saw a change; True means the value is reported now.
        cur = values.get_current_datavalue()
        deadband = values.deadband if isinstance(values, _Values) else None
        last = values.reported if isinstance(values, _Values) else None
        report = (
            deadband is None
            or flt.Trigger == ua.DataChangeTrigger.Status
            or last is None
            or cur is None
            or last.StatusCode != cur.StatusCode
            or _exceeds(last, cur, deadband)
        )
        if report and isinstance(values, _Values):
            values.reported = cur
        return report


def _exceeds(last: ua.DataValue, cur: ua.DataValue, deadband: float) -> bool:
    a = last.Value.Value if last.Value is not None else None
    b = cur.Value.Value if cur.Value is not None else None
    if not isinstance(a, int | float) or not isinstance(b, int | float):
        return a != b
    return abs(float(b) - float(a)) > deadband


def install_deadbands(iserver: Any) -> None:
    """Give every subscription created from now on a :class:`DeadbandItemService`.

    ``iserver`` is the asyncua ``InternalServer`` (``Server.iserver``). The service is swapped
    right after asyncua creates the subscription, before it can hold any monitored item.
    """
    service = iserver.subscription_service
    create: Callable[..., Any] = service.create_subscription

    async def create_subscription(*args: Any, **kwargs: Any) -> ua.CreateSubscriptionResult:
        result = await create(*args, **kwargs)
        sub = service.subscriptions[result.SubscriptionId]
        sub.monitored_item_srv = DeadbandItemService(sub, service.aspace)
        return result

    service.create_subscription = create_subscription


__all__ = ["DeadbandItemService", "check_filter", "eu_range", "install_deadbands", "is_number"]
