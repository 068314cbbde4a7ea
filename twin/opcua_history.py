"""HistoryRead of the plant's variables, served from the historian, as a SCADA reads the past.

The twin's OPC UA server answers HistoryRead (OPC 10000-11) for every plant tag from the
historian the bridge fills (:meth:`historian.Historian.query_range`, the ``process``
measurement, SourceTimestamp = the row's time, StatusCode = its ``status``):

- **raw** (``ReadRawModifiedDetails``, ``IsReadModified`` false): forward when
  ``StartTime < EndTime`` (``StartTime ≤ t < EndTime``, oldest first), backward when
  ``StartTime > EndTime`` (``EndTime ≤ t ≤ StartTime``, newest first), or backward from
  ``EndTime`` with an unspecified ``StartTime`` (then ``NumValuesPerNode`` bounds it). At most
  ``NumValuesPerNode`` values (0: no limit) and :attr:`HistorianHistory.page` per call; more
  are left behind a continuation point (the next value's time; asyncua's stateless scheme,
  so a backward read with an unspecified start gets no continuation point: ask with both
  times). ``ReturnBounds`` is not honoured (no bounding values are added).
- **processed** (``ReadProcessedDetails``): ``Average``, ``Minimum``, ``Maximum``, ``Count``,
  ``Start``, ``End``, ``Range`` per ``ProcessingInterval``, computed over the raw samples of
  each interval whose status is good (no interpolation, no bounds, no partial-interval
  rules of OPC 10000-13); an interval without data is ``BadNoData``; any other aggregate
  is ``BadAggregateNotSupported``.
- a node that is not a plant tag: ``BadHistoryOperationUnsupported``; ``ReadAtTime`` and
  modified reads: ``BadHistoryOperationUnsupported``; the historian down:
  ``BadResourceUnavailable`` for that node.

asyncua 2.1's ``HistoryStorageInterface`` (``history_manager.set_storage``) cannot answer a
status per node nor a processed read, so :func:`install_history` replaces the
``read_history`` method of the server's history manager instead (asyncua is pinned below 2.2).
The historian downsamples a range holding more raw samples than asked for, so raw reads go
through windows of at most :data:`CHUNK_NS`, found by a coarse probe (only windows that hold
data are read): raw up to 16 kHz per tag.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from asyncua import ua
from asyncua.common.utils import Buffer

from historian import Historian
from historian.base import HistorianError, Sample

log = logging.getLogger(__name__)

NS_PER_S = 1_000_000_000
#: Longest window read as raw samples in one query.
CHUNK_NS = 60 * NS_PER_S
#: Samples per query above which the historian would downsample (never reached in CHUNK_NS below 16 kHz).
RAW_CAP = 1_000_000
#: Buckets of the coarse probe that finds where a long range holds data.
PROBE = 1_000
_EPOCH = ua.get_win_epoch()
_UNIX = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
#: Good, with the DataValue info type and its HistorianCalculated bit (OPC 10000-4 §7.39.1).
CALCULATED = ua.StatusCodes.Good | 0x400 | 0x01


@dataclass(frozen=True, slots=True)
class HistoryTag:
    """Where a node's history lives: historian ``unit`` and ``tag``; Boolean or Double values."""

    unit: str
    tag: str
    boolean: bool = False


#: Node id -> its history (None: the node has none).
Resolver = Callable[[ua.NodeId], HistoryTag | None]


def _ns(t: datetime | None) -> int | None:
    """ns since the Unix epoch (exact, no float); None for an unspecified time (None or the OPC UA minimum)."""
    if t is None or t <= _EPOCH:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return (t - _UNIX) // _US * 1000


def _time(time_ns: int) -> datetime:
    """The datetime of ``time_ns`` (microseconds: OPC UA keeps 100 ns, asyncua's datetime 1 µs)."""
    return _UNIX + timedelta(microseconds=time_ns // 1000)


def _bad(status: int) -> ua.HistoryReadResult:
    return ua.HistoryReadResult(StatusCode=ua.StatusCode(status))


def _data_value(sample: Sample, boolean: bool) -> ua.DataValue:
    variant = (
        ua.Variant(bool(sample.value), ua.VariantType.Boolean)
        if boolean
        else ua.Variant(float(sample.value), ua.VariantType.Double)
    )
    return ua.DataValue(variant, StatusCode=ua.StatusCode(int(sample.status)), SourceTimestamp=_time(sample.time_ns))


class HistorianHistory:
    """HistoryRead of plant tags from a historian (see the module docstring).

    Parameters
    ----------
    resolver : Resolver
        Which historian series a node id reads (None: not a plant tag).
    historian : Historian, optional
        Set later with :attr:`historian`; without one every read is ``BadHistoryOperationUnsupported``.
    site : str, optional
        ``site`` tag of the series (None: any site).
    page : int
        Values per node per call before a continuation point.
    """

    def __init__(
        self, resolver: Resolver, historian: Historian | None = None, site: str | None = None, page: int = 10_000
    ) -> None:
        self.resolver = resolver
        self.historian = historian
        self.site = site
        self.page = page

    async def read_history(self, params: ua.HistoryReadParameters) -> list[ua.HistoryReadResult]:
        """asyncua's HistoryRead service: one result per node, each with its own status."""
        details = params.HistoryReadDetails
        results = []
        for i, rv in enumerate(params.NodesToRead):
            try:
                results.append(await self._read_one(details, rv, i))
            except HistorianError as exc:
                log.warning("HistoryRead of %s: the historian failed: %s", rv.NodeId.to_string(), exc)
                results.append(_bad(ua.StatusCodes.BadResourceUnavailable))
        return results

    async def _read_one(self, details: Any, rv: ua.HistoryReadValueId, index: int) -> ua.HistoryReadResult:
        where = self.resolver(rv.NodeId)
        if where is None or self.historian is None:
            return _bad(ua.StatusCodes.BadHistoryOperationUnsupported)
        if isinstance(details, ua.ReadRawModifiedDetails) and not details.IsReadModified:
            return await self._raw_result(details, rv, where)
        if isinstance(details, ua.ReadProcessedDetails):
            return await self._processed_result(details, where, index)
        return _bad(ua.StatusCodes.BadHistoryOperationUnsupported)

    # -- raw --------------------------------------------------------------------------------
    async def _raw_result(
        self, details: ua.ReadRawModifiedDetails, rv: ua.HistoryReadValueId, where: HistoryTag
    ) -> ua.HistoryReadResult:
        start, end = _ns(details.StartTime), _ns(details.EndTime)
        if rv.ContinuationPoint:  # asyncua's scheme: the next value's time replaces StartTime
            start = _ns(ua.ua_binary.Primitives.DateTime.unpack(Buffer(rv.ContinuationPoint)))
        limit = details.NumValuesPerNode or math.inf
        if start is None and end is None:
            return _bad(ua.StatusCodes.BadInvalidTimestampArgument)
        if (start is None or end is None) and not details.NumValuesPerNode:
            return _bad(ua.StatusCodes.BadInvalidTimestampArgument)  # an open end needs a count
        want = int(min(limit, self.page))
        if start is not None and (end is None or start <= end):  # forward
            samples = await self._raw(where, start, end if end is not None else _now_bound(), want + 1, True)
        elif start is not None:  # backward from StartTime down to EndTime, both included
            samples = await self._raw(where, end or 0, start + 1, want + 1, False)
        else:  # backward from EndTime (included), the start left open
            samples = await self._raw(where, 0, (end or 0) + 1, want + 1, False)
        page = samples[:want]
        cont = None
        # More values than returned: a continuation point, unless the read was open-ended and
        # got its count (asyncua's stateless points cannot resume an open-start read).
        if len(samples) > want and start is not None and (end is not None or want < limit):
            cont = ua.ua_binary.Primitives.DateTime.pack(_time(samples[want].time_ns))
        data = ua.HistoryData(DataValues=[_data_value(s, where.boolean) for s in page])
        return ua.HistoryReadResult(StatusCode=ua.StatusCode(), ContinuationPoint=cont, HistoryData=data)

    async def _query(self, where: HistoryTag, start: int, stop: int, max_points: int) -> list[Sample]:
        assert self.historian is not None
        result = await self.historian.query_range(where.unit, [where.tag], start, stop, max_points, site=self.site)
        return result.series.get(where.tag, [])

    async def _raw(self, where: HistoryTag, start: int, stop: int, want: int, forward: bool) -> list[Sample]:
        """Raw samples in ``[start, stop)``, at most ``want``, oldest first (or newest first)."""
        if stop - start <= CHUNK_NS:
            got = await self._query(where, start, stop, RAW_CAP)
            return got[:want] if forward else got[::-1][:want]
        # A coarse probe: bucket (or raw) times show which parts of the range hold data.
        width = max(1, -(-(stop - start) // PROBE))
        windows: list[list[int]] = []
        for sample in await self._query(where, start, stop, PROBE):
            a, b = max(start, sample.time_ns), min(stop, sample.time_ns + width)
            if windows and a <= windows[-1][1] and (b - windows[-1][0] <= CHUNK_NS or width > CHUNK_NS):
                windows[-1][1] = max(windows[-1][1], b)  # overlapping (raw probe) or adjacent and short
            else:
                windows.append([a, b])
        out: list[Sample] = []
        for a, b in windows if forward else reversed(windows):
            out += await self._raw(where, a, b, want - len(out), forward)
            if len(out) >= want:
                break
        return out

    # -- processed --------------------------------------------------------------------------
    async def _processed_result(
        self, details: ua.ReadProcessedDetails, where: HistoryTag, index: int
    ) -> ua.HistoryReadResult:
        start, end = _ns(details.StartTime), _ns(details.EndTime)
        aggregates = details.AggregateType or []
        if start is None or end is None or start >= end or details.ProcessingInterval < 0:
            return _bad(ua.StatusCodes.BadInvalidTimestampArgument)
        if index >= len(aggregates):
            return _bad(ua.StatusCodes.BadAggregateListMismatch)
        function = AGGREGATES.get(aggregates[index])
        if function is None:
            return _bad(ua.StatusCodes.BadAggregateNotSupported)
        interval = round(details.ProcessingInterval * 1e6) or end - start  # ms -> ns; 0: one interval
        if (end - start) // interval > self.page:
            return _bad(ua.StatusCodes.BadTooManyOperations)
        samples = [s for s in await self._raw(where, start, end, RAW_CAP, True) if s.status < 0x40000000]
        values = []
        i = 0
        for t0 in range(start, end, interval):
            bucket = []
            while i < len(samples) and samples[i].time_ns < t0 + interval:
                bucket.append(samples[i])
                i += 1
            ts = _time(t0)
            if not bucket:
                values.append(ua.DataValue(StatusCode=ua.StatusCode(ua.StatusCodes.BadNoData), SourceTimestamp=ts))
                continue
            status = ua.StatusCode(CALCULATED)
            values.append(
                ua.DataValue(ua.Variant(function(bucket), ua.VariantType.Double), StatusCode=status, SourceTimestamp=ts)
            )
        return ua.HistoryReadResult(StatusCode=ua.StatusCode(), HistoryData=ua.HistoryData(DataValues=values))


def _now_bound() -> int:
    """An open forward read ends now (plus a day: accelerated runs stamp ahead of the wall)."""
    return round(datetime.now(UTC).timestamp() * NS_PER_S) + 86_400 * NS_PER_S


def _values(bucket: Sequence[Sample]) -> list[float]:
    return [s.value for s in bucket]


#: Supported aggregates: function of one interval's good raw samples (oldest first).
AGGREGATES: dict[ua.NodeId, Callable[[Sequence[Sample]], float]] = {
    ua.NodeId(ua.ObjectIds.AggregateFunction_Average): lambda b: sum(_values(b)) / len(b),
    ua.NodeId(ua.ObjectIds.AggregateFunction_Minimum): lambda b: min(_values(b)),
    ua.NodeId(ua.ObjectIds.AggregateFunction_Maximum): lambda b: max(_values(b)),
    ua.NodeId(ua.ObjectIds.AggregateFunction_Count): lambda b: float(len(b)),
    ua.NodeId(ua.ObjectIds.AggregateFunction_Start): lambda b: b[0].value,
    ua.NodeId(ua.ObjectIds.AggregateFunction_End): lambda b: b[-1].value,
    ua.NodeId(ua.ObjectIds.AggregateFunction_Range): lambda b: max(_values(b)) - min(_values(b)),
}


def install_history(iserver: Any, history: HistorianHistory) -> None:
    """Serve the HistoryRead service of asyncua's ``InternalServer`` by ``history``."""
    iserver.history_manager.read_history = history.read_history


__all__ = ["AGGREGATES", "CHUNK_NS", "HistorianHistory", "HistoryTag", "Resolver", "install_history"]
