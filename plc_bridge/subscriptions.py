"""The monitored items of one connection: one per tag, a failing tag retried on its own.

A tag map with one wrong node id must not stop the others. Items are created per tag with
the tag's own sampling interval and deadband; the server answers per item, so a tag it
refuses (``BadNodeIdUnknown``...) is reported once with the tag map file, line, node id and
status, and retried alone with its own backoff while the other tags keep flowing. A server
that refuses a deadband filter gets the tag again without it, with a logged warning.

Notifications are read with asyncua's iterator mode on an unbounded queue and handed to the
handler by one pump task per subscription. asyncua's callback mode creates one asyncio task
per value, which cost more CPU than the rest of the bridge together (py-spy, 5,000 tags at
22,500 values/s); its bounded iterator queue would drop values when the consumer falls behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from asyncua import Client, Node, ua
from asyncua.common.subscription import DataChangeEvent, StatusChangeEvent, Subscription

from config_schema.tagmap import TagEntry, TagMap

log = logging.getLogger(__name__)

#: Statuses meaning "this server does not do that filter" (OPC UA Part 4, 7.22.2).
FILTER_REFUSED = frozenset(
    {
        ua.StatusCodes.BadMonitoredItemFilterUnsupported,
        ua.StatusCodes.BadFilterNotAllowed,
        ua.StatusCodes.BadDeadbandFilterInvalid,
        ua.StatusCodes.BadMonitoredItemFilterInvalid,
    }
)


def data_change_filter(tag: TagEntry, with_deadband: bool = True) -> ua.DataChangeFilter:
    """The tag's DataChangeFilter.

    Without a deadband the trigger includes the timestamp, so a value re-sent unchanged (a
    heartbeat) proves it is current; with one, only status and value changes count (else the
    deadband would filter nothing).

    >>> from config_schema.tagmap import TagEntry
    >>> f = data_change_filter(TagEntry(name="x", node="ns=2;s=x", deadband={"type": "percent", "value": 0.5}))
    >>> (f.Trigger.name, f.DeadbandType, f.DeadbandValue)
    ('StatusValue', 2, 0.5)
    """
    if tag.deadband is None or not with_deadband:
        return ua.DataChangeFilter(Trigger=ua.DataChangeTrigger.StatusValueTimestamp)
    kind = ua.DeadbandType.Absolute if tag.deadband.type == "absolute" else ua.DeadbandType.Percent
    return ua.DataChangeFilter(
        Trigger=ua.DataChangeTrigger.StatusValue, DeadbandType=int(kind), DeadbandValue=tag.deadband.value
    )


@dataclass
class FailedTag:
    """A tag the server refused: why, how often, and when it is tried again."""

    tag: TagEntry
    status: str
    attempts: int
    next_try: float

    def as_dict(self) -> dict[str, Any]:
        return {"node": self.tag.node, "status": self.status, "attempts": self.attempts}


class TagSubscriptions:
    """Creates one connection's monitored items and retries the refused ones.

    Parameters
    ----------
    client : Client
        Connected.
    tagmap : TagMap
        For the settings, and the file and line in messages.
    node_ids : dict
        Tag name -> resolved node id.
    handler : object
        Called from the pump task: ``datachange_notification(node, value, data)`` and
        ``status_change_notification(status)``, as in asyncua's callback mode.
    endpoint : str
        The endpoint as shown in messages (without credentials).
    retry_min_s, retry_max_s : float
        Per-tag retry backoff (doubles from min to max).
    clock : callable
        Monotonic seconds (injected by tests).
    """

    def __init__(
        self,
        client: Client,
        tagmap: TagMap,
        node_ids: dict[str, ua.NodeId],
        handler: Any,
        endpoint: str,
        retry_min_s: float = 2.0,
        retry_max_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.tagmap = tagmap
        self.node_ids = node_ids
        self.handler = handler
        self.endpoint = endpoint
        self.retry_min_s = retry_min_s
        self.retry_max_s = retry_max_s
        self.clock = clock
        self.failed: dict[str, FailedTag] = {}
        self.monitored: set[str] = set()
        #: Tags whose deadband the server refused (collected without it).
        self.deadband_refused: set[str] = set()
        #: Tags the server would not take any DataChangeFilter for (no timestamp heartbeat then).
        self.filter_refused: set[str] = set()
        self._subs: list[tuple[Subscription, int]] = []
        self._pumps: list[asyncio.Task[None]] = []

    async def _subscription_with_room(self) -> tuple[int, Subscription]:
        step = self.tagmap.subscription.max_items_per_subscription
        for i, (sub, count) in enumerate(self._subs):
            if count < step:
                return i, sub
        # queue_maxsize=0: unbounded, so the client side never drops (the server's queue is the
        # only place a value can be lost, and it says so with the overflow bit).
        sub = await self.client.create_subscription(
            self.tagmap.subscription.publishing_interval_ms, None, queue_maxsize=0
        )
        self._subs.append((sub, 0))
        self._pumps.append(asyncio.create_task(self._pump(sub), name=f"opcua-pump-{len(self._subs)}"))
        return len(self._subs) - 1, sub

    async def _pump(self, sub: Subscription) -> None:
        """Hand every notification of ``sub`` to the handler, in order, until it is deleted."""
        async for event in sub:
            try:
                if isinstance(event, DataChangeEvent):
                    self.handler.datachange_notification(event.node, event.value, event.data)
                elif isinstance(event, StatusChangeEvent):
                    self.handler.status_change_notification(event.notification)
            except Exception:
                log.exception("%s: a notification could not be handled", self.endpoint)

    async def close(self, timeout_s: float = 2.0) -> None:
        """Delete the subscriptions and let the pumps hand over what is already queued."""
        for sub, _ in self._subs:
            with contextlib.suppress(Exception):
                # Also ends the iterator (a sentinel after the queued events), even when the
                # connection is gone.
                await asyncio.wait_for(sub.delete(), timeout_s)
        if self._pumps:
            _, late = await asyncio.wait(self._pumps, timeout=timeout_s)
            for task in late:
                task.cancel()
        self._subs, self._pumps = [], []

    def _request(self, sub: Subscription, tag: TagEntry) -> ua.MonitoredItemCreateRequest:
        settings = self.tagmap.subscription
        sampling = tag.sampling_ms if tag.sampling_ms is not None else settings.sampling_interval_ms
        node = Node(self.client.uaclient, self.node_ids[tag.name])
        # The private request builder keeps asyncua's client-handle bookkeeping; the public
        # subscribe_data_change takes neither a filter nor a per-item sampling interval.
        return sub._make_monitored_item_request(
            node,
            ua.AttributeIds.Value,
            None if tag.name in self.filter_refused else data_change_filter(tag, tag.name not in self.deadband_refused),
            settings.queue_size,
            ua.MonitoringMode.Reporting,
            sampling,
        )

    async def _create(self, tags: list[TagEntry]) -> list[tuple[TagEntry, int]]:
        """Create items for ``tags``; return the refused ones with their status code."""
        refused: list[tuple[TagEntry, int]] = []
        step = self.tagmap.subscription.max_items_per_subscription
        pending = list(tags)
        while pending:
            index, sub = await self._subscription_with_room()
            room = step - self._subs[index][1]
            chunk, pending = pending[:room], pending[room:]
            results = await sub.create_monitored_items([self._request(sub, t) for t in chunk])
            created = 0
            for tag, result in zip(chunk, results, strict=True):
                if isinstance(result, ua.StatusCode):
                    refused.append((tag, result.value))
                else:
                    created += 1
                    self.monitored.add(tag.name)
            self._subs[index] = (sub, self._subs[index][1] + created)
        return refused

    async def create_all(self) -> None:
        """Monitor every tag of the map; refused ones go to :attr:`failed`."""
        await self._settle(await self._create(list(self.tagmap.tags)))

    async def _settle(self, refused: list[tuple[TagEntry, int]]) -> None:
        """Retry with less filter where only the filter was refused; record the rest as failed."""
        again: list[tuple[TagEntry, int]] = []
        while refused:
            degrade = []
            for tag, code in refused:
                if code in FILTER_REFUSED and tag.name not in self.filter_refused:
                    degrade.append((tag, code))
                else:
                    again.append((tag, code))
            told: dict[tuple[str, str], list[str]] = {}
            for tag, code in degrade:
                if tag.deadband is not None and tag.name not in self.deadband_refused:
                    self.deadband_refused.add(tag.name)
                    what = f"the {tag.deadband.type} deadband"
                else:
                    self.filter_refused.add(tag.name)
                    what = "a data change filter"
                told.setdefault((what, ua.StatusCode(code).name), []).append(tag.name)
            for (what, status), names in told.items():
                # One line per refusal, not one per tag: a server refusing a filter refuses it for all.
                log.warning(
                    "%s: %s refused %s (%s) on %d tag(s): %s; collecting them without",
                    self.tagmap.tag_where(names[0]) if len(names) == 1 else self.tagmap.file,
                    self.endpoint,
                    what,
                    status,
                    len(names),
                    ", ".join(names[:10]) + (" ..." if len(names) > 10 else ""),
                )
            refused = await self._create([t for t, _ in degrade]) if degrade else []
        now = self.clock()
        for tag, code in again:
            status = ua.StatusCode(code).name
            previous = self.failed.get(tag.name)
            attempts = previous.attempts + 1 if previous else 1
            delay = min(self.retry_min_s * 2 ** (attempts - 1), self.retry_max_s)
            self.failed[tag.name] = FailedTag(tag, status, attempts, now + delay)
            if previous is None or previous.status != status:
                log.warning(
                    "%s: tag %s, node %s: %s on %s; the other tags keep flowing, this one is retried on its own "
                    "(check the node id, e.g. with `gmp-twin tagmap --browse`)",
                    self.tagmap.tag_where(tag.name),
                    tag.name,
                    tag.node,
                    status,
                    self.endpoint,
                )

    def _index(self, tag: TagEntry) -> int:
        return next(i for i, t in enumerate(self.tagmap.tags) if t.name == tag.name)

    async def retry_due(self) -> int:
        """Try again the failed tags whose time has come; return how many were tried."""
        now = self.clock()
        due = [f.tag for f in self.failed.values() if f.next_try <= now]
        if not due:
            return 0
        refused = await self._create(due)
        for tag in due:
            if tag.name in self.monitored:
                log.info("%s: tag %s is now monitored", self.tagmap.tag_where(tag.name), tag.name)
                self.failed.pop(tag.name, None)
        await self._settle(refused)
        return len(due)
