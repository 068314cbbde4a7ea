"""The bridge: OPC UA subscriptions on a tag map -> durable outbox -> historian.

The bridge does not know whether it reads the twin or a real kit. It connects, resolves
the tag map's namespace URI to an index (again at every reconnect, because a PLC reload
may renumber namespaces), splits the tags over subscriptions of at most
``max_items_per_subscription`` items, and turns every data change into a ``process``
point keyed by its SourceTimestamp.

How it connects (security policy, trust, identity) is :mod:`plc_bridge.connection`'s job;
which items it monitors, and the retry of a tag the server refused, is
:mod:`plc_bridge.subscriptions`'. A refusal a retry cannot fix (policy, password,
certificate) is logged once, clearly, and retried slowly (a ``gmp-twin pki trust`` is picked
up without a restart). A server that went away is probed cheaply (a TCP connect) between
backoff steps, so data flows again about a second after it listens again, however long the
outage lasted.

Losses are counted, never hidden:

- a server-side queue overflow (the Overflow info bit on a value) counts one dropped
  notification per flagged value;
- the time without data is written to the historian as a ``data_gap`` event, since the
  values of that window are gone: after a lost connection, and at start for the hole since
  the unit's last value in the historian (a bridge killed and restarted). A gap runs from
  the last value before the hole to the first newer value after it (SourceTimestamps, so
  the simulated clock of a twin running faster than real time is handled alike).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

from asyncua import Client, ua
from asyncua.common.subscription import DataChangeNotif

from config_schema.tagmap import TagEntry, TagMap
from historian.base import Historian, Point
from pki.store import Pki
from plc_bridge.connection import ConnectionRefusedByPolicy, describe, open_client
from plc_bridge.subscriptions import TagSubscriptions

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
    #: True while the server refuses us for a reason only a person can fix (see last_error).
    refused: bool = False
    #: Tag name -> {node, status, attempts} for the tags the server refused.
    failed_tags: dict[str, dict[str, Any]] = field(default_factory=dict)
    tag_retries: int = 0
    deadband_refused: list[str] = field(default_factory=list)
    per_tag: dict[str, int] = field(default_factory=dict)
    latest: dict[str, tuple[float | None, int, int]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "connected": self.connected,
            "connects": self.connects,
            "connect_failures": self.connect_failures,
            "refused": self.refused,
            "notifications": self.notifications,
            "dropped_notifications": self.dropped_notifications,
            "data_gaps": self.gaps,
            "failed_tags": self.failed_tags,
            "deadband_refused": self.deadband_refused,
            "last_error": self.last_error,
        }


def _time_ns(ts: datetime | None) -> int:
    if ts is None:
        return time.time_ns()
    return int(ts.timestamp() * 1_000_000) * 1000


def _host_port(endpoint: str) -> tuple[str, int]:
    parts = urlsplit(endpoint)
    return parts.hostname or "localhost", parts.port or 4840


async def _listening(host: str, port: int, timeout_s: float) -> bool:
    """Does anything accept a TCP connection there (a cheap probe, no OPC UA session)?"""
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout=timeout_s)
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True


class _Handler:
    """Receives the notifications of :class:`~plc_bridge.subscriptions.TagSubscriptions`' pumps."""

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
        A UserName identity for servers that refuse anonymous sessions (the twin in
        production), used when the tag map has no ``identity:`` block.
    pki : Pki, optional
        PKI folder for the bridge's certificate and the trusted servers (default ``data/pki``).
    historian : Historian, optional
        Where to look up the unit's last value at start, for the ``data_gap`` of a restart.
    probe_period_s : float
        While waiting out a backoff after the server went away, try a TCP connect this often
        and reconnect as soon as it listens again.
    refused_retry_s : float
        Retry period after a refusal (policy, password, certificate).
    tag_retry_min_s, tag_retry_max_s : float
        Backoff of a tag the server refused (unknown node id...), retried on its own.
    min_start_gap_s : float
        A hole at start shorter than this is not a gap (a quick restart).
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
        pki: Pki | None = None,
        historian: Historian | None = None,
        probe_period_s: float = 0.5,
        refused_retry_s: float = 30.0,
        tag_retry_min_s: float = 2.0,
        tag_retry_max_s: float = 60.0,
        min_start_gap_s: float = 1.0,
    ) -> None:
        self.tagmap = tagmap
        self._username = username
        self._password = password
        self._pki = pki
        self._historian = historian
        self.sink = sink
        # The URL may carry user:password@ (the old way): kept private, shown without it.
        self._endpoint = endpoint or tagmap.endpoint
        self.endpoint = describe(self._endpoint)
        self.probe_period_s = probe_period_s
        self.refused_retry_s = refused_retry_s
        self.tag_retry_min_s = tag_retry_min_s
        self.tag_retry_max_s = tag_retry_max_s
        self.min_start_gap_s = min_start_gap_s
        self._gap_start_ns: int | None = None
        self._gap_reason = ""
        self._last_data_ns: int | None = None
        self._items: TagSubscriptions | None = None
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
        self._point_tags: dict[str, dict[str, str]] = {}

    # -- values -----------------------------------------------------------------------
    def _on_value(self, tag: TagEntry, dv: ua.DataValue) -> None:
        # The hot path (tens of thousands of calls per second): no per-value dict merges.
        code = dv.StatusCode
        status = code.value if code is not None else 0
        if status & _INFOTYPE_DATAVALUE and status & _OVERFLOW:
            self.stats.dropped_notifications += 1
        variant = dv.Value
        raw = variant.Value if variant is not None else None
        value: float | None = None
        if isinstance(raw, bool | int | float):
            value = float(raw)
            fields: dict[str, float | int] = {"status": status, "value": value}
        else:
            fields = {"status": status}
        time_ns = _time_ns(dv.SourceTimestamp or dv.ServerTimestamp)
        if self._gap_start_ns is not None and time_ns > self._gap_start_ns:
            self._close_gap(time_ns)
        if self._last_data_ns is None or time_ns > self._last_data_ns:
            self._last_data_ns = time_ns
        name = tag.name
        tags = self._point_tags.get(name)
        if tags is None:
            # One tags mapping per tag, shared by its points (nothing downstream mutates it).
            tags = self._point_tags[name] = {**self._base_tags, "tag": name}
        self._pending.append(Point("process", tags, fields, time_ns))
        stats = self.stats
        stats.notifications += 1
        per_tag = stats.per_tag
        per_tag[name] = per_tag.get(name, 0) + 1
        stats.latest[name] = (value, status, time_ns)

    def flush(self) -> None:
        """Move batched notifications into the sink (one transaction)."""
        if self._pending:
            batch, self._pending = self._pending, []
            self.stats.last_notification_wall = time.time()
            self.sink.put(batch)

    def _event(self, kind: str, time_ns: int, **fields: float | int | str) -> None:
        self._pending.append(
            Point("event", {"site": self.tagmap.site, "unit": self.tagmap.unit, "kind": kind}, fields, time_ns)
        )

    # -- gaps -------------------------------------------------------------------------
    async def _open_start_gap(self) -> None:
        """At start: a gap opens at the unit's last value in the historian (if any)."""
        if self._historian is None:
            return
        try:
            latest = await self._historian.latest(site=self.tagmap.site, unit=self.tagmap.unit)
        except Exception as exc:
            log.warning(
                "%s: cannot read the last value of unit %s (%s); no start gap check",
                self.endpoint,
                self.tagmap.unit,
                exc,
            )
            return
        times = [s.time_ns for key, s in latest.items() if key.source == self.tagmap.source]
        if times:
            self._gap_start_ns = max(times)
            self._gap_reason = "start"

    def _close_gap(self, end_ns: int) -> None:
        start_ns, reason = self._gap_start_ns, self._gap_reason
        assert start_ns is not None
        self._gap_start_ns = None
        duration_s = (end_ns - start_ns) / 1e9
        if reason == "start" and duration_s < self.min_start_gap_s:
            return
        self.stats.gaps += 1
        why = "while the bridge was not running" if reason == "start" else f"from {self.endpoint} (connection lost)"
        log.warning("data gap of %.1f s for unit %s %s", duration_s, self.tagmap.unit, why)
        self._event(
            "data_gap",
            end_ns,
            start_ns=start_ns,
            end_ns=end_ns,
            duration_s=duration_s,
            reason=reason,
            message=f"no data {why} for {duration_s:.1f} s",
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

    async def _subscribe(self, client: Client, node_ids: dict[str, ua.NodeId]) -> TagSubscriptions:
        by_node = {node_ids[t.name]: t for t in self.tagmap.tags}
        items = TagSubscriptions(
            client,
            self.tagmap,
            node_ids,
            _Handler(self, by_node),
            self.endpoint,
            retry_min_s=self.tag_retry_min_s,
            retry_max_s=self.tag_retry_max_s,
        )
        await items.create_all()
        if len(items.failed) == len(self.tagmap.tags):
            await items.close()
            raise ConnectionError(
                f"{self.tagmap.file}: the server at {self.endpoint} refused every tag "
                f"({next(iter(items.failed.values())).status} for {self.tagmap.tags[0].node}); "
                "check namespace_uri and the node ids"
            )
        return items

    def _publish_item_stats(self) -> None:
        items = self._items
        if items is None:
            return
        self.stats.failed_tags = {name: f.as_dict() for name, f in items.failed.items()}
        self.stats.deadband_refused = sorted(items.deadband_refused)

    async def _retry_tags(self, lost: asyncio.Event) -> None:
        """Retry the refused tags on their own schedule while the connection holds."""
        while not lost.is_set():
            await asyncio.sleep(min(self.tag_retry_min_s, 1.0))
            items = self._items
            if items is None or not items.failed:
                continue
            try:
                self.stats.tag_retries += await items.retry_due()
            except (OSError, TimeoutError, ConnectionError, ua.UaError) as exc:
                log.debug("tag retry failed: %s", exc)
            self._publish_item_stats()

    async def _wait_backoff(self, stop: asyncio.Event, delay: float, probe: bool) -> None:
        """Wait ``delay`` (or until stop); with ``probe``, end early once the port listens again."""
        deadline = time.monotonic() + delay
        host, port = _host_port(self._endpoint)
        was_closed = False
        while not stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=min(remaining, self.probe_period_s) if probe else remaining)
            if not probe or stop.is_set():
                continue
            listening = await _listening(host, port, timeout_s=min(1.0, self.probe_period_s * 2))
            if listening and was_closed:
                log.info("%s listens again; reconnecting now", self.endpoint)
                return
            was_closed = was_closed or not listening

    async def run(self, stop: asyncio.Event) -> None:
        """Connect, collect, and reconnect with backoff until ``stop`` is set."""
        flusher = asyncio.create_task(self._flush_loop(stop))
        backoff = self.backoff_min_s
        reported: str | None = None
        await self._open_start_gap()
        try:
            while not stop.is_set():
                lost = asyncio.Event()

                async def on_lost(exc: Exception, lost: asyncio.Event = lost) -> None:
                    self.stats.last_error = f"connection lost: {describe(str(exc)) or type(exc).__name__}"
                    lost.set()

                try:
                    client = await open_client(
                        self._endpoint,
                        self.tagmap.security,
                        self.tagmap.identity,
                        pki=self._pki,
                        timeout_s=self.request_timeout_s,
                        tagmap=self.tagmap,
                        username=self._username,
                        password=self._password,
                    )
                    client.connection_lost_callback = on_lost
                    try:
                        self._node_ids = await self._resolve(client)
                        self._items = await self._subscribe(client, self._node_ids)
                    except BaseException:
                        await client.disconnect()
                        raise
                except ConnectionRefusedByPolicy as exc:
                    self.stats.connect_failures += 1
                    self.stats.connected = False
                    self.stats.refused = True
                    self.stats.last_error = str(exc)
                    if str(exc) != reported:  # one clear message, not one per retry
                        log.error("%s (retrying every %.0f s)", exc, self.refused_retry_s)
                        reported = str(exc)
                    await self._wait_backoff(stop, self.refused_retry_s, probe=False)
                    continue
                except (OSError, TimeoutError, ConnectionError, ua.UaError) as exc:
                    self.stats.connect_failures += 1
                    self.stats.connected = False
                    self.stats.refused = False
                    reason = str(exc) or type(exc).__name__
                    self.stats.last_error = f"{self.endpoint}: {reason}"
                    delay = backoff * random.uniform(0.8, 1.2)
                    log.warning("OPC UA %s unreachable (%s); retrying in %.1f s", self.endpoint, reason, delay)
                    backoff = min(backoff * 2, self.backoff_max_s)
                    await self._wait_backoff(stop, delay, probe=True)
                    continue
                self._client = client
                self.stats.connected = True
                self.stats.refused = False
                self.stats.connects += 1
                self._publish_item_stats()
                backoff = self.backoff_min_s
                reported = None
                ok = len(self._node_ids) - len(self._items.failed if self._items else {})
                log.info("bridge connected to %s (%d of %d tags)", self.endpoint, ok, len(self._node_ids))
                stop_wait = asyncio.create_task(stop.wait())
                lost_wait = asyncio.create_task(lost.wait())
                retrier = asyncio.create_task(self._retry_tags(lost))
                await asyncio.wait({stop_wait, lost_wait}, return_when=asyncio.FIRST_COMPLETED)
                for task in (stop_wait, lost_wait, retrier):
                    task.cancel()
                self.stats.connected = False
                self._client = None
                if self._items is not None:
                    await self._items.close()
                if lost.is_set():
                    if self._gap_start_ns is None:
                        self._gap_start_ns = self._last_data_ns or time.time_ns()
                        self._gap_reason = "connection"
                    log.warning("connection to %s lost; reconnecting", self.endpoint)
                try:
                    await asyncio.wait_for(client.disconnect(), timeout=2.0)
                except Exception:
                    log.debug("disconnect after loss failed", exc_info=True)
        finally:
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
        if entry.access == "read":
            raise WriteRefused(
                f"tag {tag!r} is read-only on the server ({self.tagmap.tag_where(tag)}: access: read, "
                "as browsed); the bridge does not try a write the PLC would refuse"
            )
        if self._client is None:
            raise ConnectionError(f"not connected to {self.endpoint}")
        if self._items is not None and tag not in self._items.monitored:
            raise ConnectionError(f"tag {tag!r} is not available on {self.endpoint} ({self.tagmap.tag_where(tag)})")
        node = self._client.get_node(self._node_ids[tag])
        variant = (
            ua.Variant(bool(value), ua.VariantType.Boolean)
            if entry.kind == "mode"
            else ua.Variant(float(value), ua.VariantType.Double)
        )
        await node.write_value(variant)
