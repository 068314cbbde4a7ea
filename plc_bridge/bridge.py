"""The bridge: OPC UA subscriptions on a tag map -> durable outbox -> historian.

The bridge does not know whether it reads the twin or a real kit. It connects, resolves
the tag map's namespace URI to an index (again at every reconnect, because a PLC reload
may renumber namespaces), splits the tags over subscriptions of at most
``max_items_per_subscription`` items, and turns every data change into a ``process``
point keyed by its SourceTimestamp.

Losses are counted, never hidden:

- a server-side queue overflow (the Overflow info bit on a value) counts one dropped
  notification per flagged value;
- the time the bridge was disconnected is written to the historian as a ``data_gap``
  event, since the values of that window are gone.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from asyncua import Client, ua
from asyncua.common.subscription import DataChangeNotif

from config_schema.tagmap import TagEntry, TagMap
from historian.base import Point

log = logging.getLogger(__name__)

#: StatusCode bits (OPC UA Part 4, 7.39): InfoType = DataValue and its Overflow bit.
_INFOTYPE_DATAVALUE = 0x400
_OVERFLOW = 0x80


class PointSink(Protocol):
    """Where the bridge puts points (the durable outbox)."""

    def put(self, points: Sequence[Point]) -> None: ...


class WriteRefused(PermissionError):
    """The tag map does not allow this write."""


@dataclass
class BridgeStats:
    """Counters reported by ``/api/health`` and the benchmarks."""

    connected: bool = False
    connects: int = 0
    connect_failures: int = 0
    notifications: int = 0
    dropped_notifications: int = 0
    last_error: str | None = None
    last_notification_wall: float | None = None
    gaps: int = 0
    latest: dict[str, tuple[float | None, int, int]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "connected": self.connected,
            "connects": self.connects,
            "connect_failures": self.connect_failures,
            "notifications": self.notifications,
            "dropped_notifications": self.dropped_notifications,
            "data_gaps": self.gaps,
            "last_error": self.last_error,
        }


def _time_ns(ts: datetime | None) -> int:
    if ts is None:
        return time.time_ns()
    return int(ts.timestamp() * 1_000_000) * 1000


class _Handler:
    """asyncua callback handler (callback mode never drops on the client side)."""

    def __init__(self, bridge: Bridge, tags_by_handle: dict[ua.NodeId, TagEntry]) -> None:
        self.bridge = bridge
        self.tags = tags_by_handle

    def datachange_notification(self, node: Any, val: Any, data: DataChangeNotif) -> None:
        tag = self.tags.get(node.nodeid)
        if tag is not None:
            self.bridge._on_value(tag, data.monitored_item.Value)

    def status_change_notification(self, status: Any) -> None:
        log.warning("subscription status change: %s", status)


class Bridge:
    """Collects a tag map's values into a point sink.

    Parameters
    ----------
    tagmap : TagMap
        What to read (and the only tags that could ever be written).
    sink : PointSink
        Usually the durable :class:`historian.outbox.Outbox`.
    endpoint : str, optional
        Overrides ``tagmap.endpoint`` (``GMP_TWIN_OPCUA_ENDPOINT`` in docker-compose).
    backoff_min_s, backoff_max_s : float
        Reconnect backoff: doubles from min to max, with jitter.
    flush_period_s : float
        Notifications are batched into the sink at this period (one disk transaction each).
    username, password : str, optional
        A UserName identity for servers that refuse anonymous sessions (the twin in production).
        Until encrypted endpoints exist (next issue), the server decides whether the password
        is encrypted: asyncua encrypts it only with the server's certificate.
    """

    def __init__(
        self,
        tagmap: TagMap,
        sink: PointSink,
        endpoint: str | None = None,
        backoff_min_s: float = 0.5,
        backoff_max_s: float = 30.0,
        flush_period_s: float = 0.05,
        request_timeout_s: float = 4.0,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self.tagmap = tagmap
        self._username = username
        self._password = password
        self.sink = sink
        self.endpoint = endpoint or tagmap.endpoint
        self.backoff_min_s = backoff_min_s
        self.backoff_max_s = backoff_max_s
        self.flush_period_s = flush_period_s
        self.request_timeout_s = request_timeout_s
        self.stats = BridgeStats()
        self._pending: list[Point] = []
        self._client: Client | None = None
        self._node_ids: dict[str, ua.NodeId] = {}
        self._tag_names = tagmap.by_name()
        self._base_tags = {"site": tagmap.site, "unit": tagmap.unit, "source": tagmap.source}

    # -- values -----------------------------------------------------------------------
    def _on_value(self, tag: TagEntry, dv: ua.DataValue) -> None:
        status = dv.StatusCode.value if dv.StatusCode is not None else 0
        if status & _INFOTYPE_DATAVALUE and status & _OVERFLOW:
            self.stats.dropped_notifications += 1
        raw = dv.Value.Value if dv.Value is not None else None
        fields: dict[str, float | int] = {"status": int(status)}
        value: float | None = None
        if isinstance(raw, bool | int | float):
            value = float(raw)
            fields["value"] = value
        time_ns = _time_ns(dv.SourceTimestamp or dv.ServerTimestamp)
        self._pending.append(Point("process", {**self._base_tags, "tag": tag.name}, fields, time_ns))
        self.stats.notifications += 1
        self.stats.last_notification_wall = time.time()
        self.stats.latest[tag.name] = (value, int(status), time_ns)

    def flush(self) -> None:
        """Move batched notifications into the sink (one transaction)."""
        if self._pending:
            batch, self._pending = self._pending, []
            self.sink.put(batch)

    def _event(self, kind: str, time_ns: int, **fields: float | int | str) -> None:
        self._pending.append(
            Point("event", {"site": self.tagmap.site, "unit": self.tagmap.unit, "kind": kind}, fields, time_ns)
        )

    # -- connection -------------------------------------------------------------------
    async def _resolve(self, client: Client) -> dict[str, ua.NodeId]:
        ns_index: int | None = None
        if self.tagmap.namespace_uri:
            try:
                ns_index = await client.get_namespace_index(self.tagmap.namespace_uri)
            except ValueError:
                raise ConnectionError(
                    f"{self.endpoint}: the server has no namespace {self.tagmap.namespace_uri!r}; "
                    "check namespace_uri in the tag map"
                ) from None
        resolved = {}
        for tag in self.tagmap.tags:
            node_id = tag.node_id
            if ns_index is not None:
                node_id = ua.NodeId(node_id.Identifier, ns_index, node_id.NodeIdType)
            resolved[tag.name] = node_id
        return resolved

    async def _subscribe(self, client: Client, node_ids: dict[str, ua.NodeId]) -> None:
        settings = self.tagmap.subscription
        by_node = {node_ids[t.name]: t for t in self.tagmap.tags}
        names = list(node_ids)
        step = settings.max_items_per_subscription
        for start in range(0, len(names), step):
            chunk = [client.get_node(node_ids[n]) for n in names[start : start + step]]
            sub = await client.create_subscription(settings.publishing_interval_ms, _Handler(self, by_node))
            # Trigger on timestamps too: a value re-sent unchanged (heartbeat) proves it is current.
            # asyncua's public subscribe_data_change takes no filter, hence the low-level call.
            results = await sub._subscribe(
                chunk,
                mfilter=ua.DataChangeFilter(Trigger=ua.DataChangeTrigger.StatusValueTimestamp),
                queuesize=settings.queue_size,
                sampling_interval=settings.sampling_interval_ms,
            )
            for node, result in zip(chunk, results if isinstance(results, list) else [results], strict=True):
                if isinstance(result, ua.StatusCode):
                    raise ConnectionError(
                        f"{self.endpoint}: cannot monitor {node.nodeid.to_string()} ({result.name}); "
                        "check the node id in the tag map"
                    )

    async def run(self, stop: asyncio.Event) -> None:
        """Connect, collect, and reconnect with backoff until ``stop`` is set."""
        flusher = asyncio.create_task(self._flush_loop(stop))
        backoff = self.backoff_min_s
        disconnected_since: int | None = None
        try:
            while not stop.is_set():
                lost = asyncio.Event()
                client = Client(self.endpoint, timeout=self.request_timeout_s, watchdog_intervall=1.0)
                client.name = client.description = "gmp-twin bridge"
                client.session_timeout = 600_000  # what servers grant anyway; avoids a warning
                if self._username:
                    client.set_user(self._username)
                    client.set_password(self._password or "")

                async def on_lost(exc: Exception, lost: asyncio.Event = lost) -> None:
                    self.stats.last_error = f"connection lost: {exc!r}"
                    lost.set()

                client.connection_lost_callback = on_lost
                try:
                    await asyncio.wait_for(client.connect(), timeout=self.request_timeout_s * 2)
                    try:
                        self._node_ids = await self._resolve(client)
                        await self._subscribe(client, self._node_ids)
                    except BaseException:
                        await client.disconnect()
                        raise
                except (OSError, TimeoutError, ConnectionError, ua.UaError) as exc:
                    self.stats.connect_failures += 1
                    self.stats.connected = False
                    self.stats.last_error = f"{self.endpoint}: {str(exc) or type(exc).__name__}"
                    delay = backoff * random.uniform(0.8, 1.2)
                    log.warning("OPC UA %s unreachable (%s); retrying in %.1f s", self.endpoint, exc, delay)
                    backoff = min(backoff * 2, self.backoff_max_s)
                    try:
                        await asyncio.wait_for(stop.wait(), timeout=delay)
                    except TimeoutError:
                        pass
                    continue
                self._client = client
                self.stats.connected = True
                self.stats.connects += 1
                backoff = self.backoff_min_s
                now = time.time_ns()
                if disconnected_since is not None:
                    self.stats.gaps += 1
                    self._event(
                        "data_gap",
                        now,
                        start_ns=disconnected_since,
                        duration_s=(now - disconnected_since) / 1e9,
                        message=f"no data from {self.endpoint} for {(now - disconnected_since) / 1e9:.1f} s",
                    )
                    disconnected_since = None
                log.info("bridge connected to %s (%d tags)", self.endpoint, len(self._node_ids))
                stop_wait = asyncio.create_task(stop.wait())
                lost_wait = asyncio.create_task(lost.wait())
                await asyncio.wait({stop_wait, lost_wait}, return_when=asyncio.FIRST_COMPLETED)
                stop_wait.cancel()
                lost_wait.cancel()
                self.stats.connected = False
                self._client = None
                if lost.is_set():
                    disconnected_since = time.time_ns()
                    log.warning("connection to %s lost; reconnecting", self.endpoint)
                try:
                    await asyncio.wait_for(client.disconnect(), timeout=2.0)
                except Exception:
                    log.debug("disconnect after loss failed", exc_info=True)
        finally:
            await asyncio.sleep(0)  # let pending datachange tasks run
            self.flush()
            flusher.cancel()

    async def _flush_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await asyncio.sleep(self.flush_period_s)
            try:
                self.flush()
            except Exception:
                log.exception("could not put points into the outbox")

    # -- writes ---------------------------------------------------------------------
    async def write(self, tag: str, value: float) -> None:
        """Write a tag on the server, only when the tag map allows it."""
        entry = self._tag_names.get(tag)
        if entry is None:
            raise KeyError(f"unknown tag {tag!r}; the tag map lists {', '.join(self._tag_names)}")
        if not self.tagmap.allow_writes:
            raise WriteRefused(
                f"writes are disabled for {self.endpoint}: set allow_writes: true in the tag map "
                "to let the bridge write to this PLC"
            )
        if not entry.writable:
            raise WriteRefused(f"tag {tag!r} is a {entry.kind}, not writable")
        if self._client is None:
            raise ConnectionError(f"not connected to {self.endpoint}")
        node = self._client.get_node(self._node_ids[tag])
        variant = (
            ua.Variant(bool(value), ua.VariantType.Boolean)
            if entry.kind == "mode"
            else ua.Variant(float(value), ua.VariantType.Double)
        )
        await node.write_value(variant)
