"""One wrong node id out of 27: reported with file, line, node id and status; the 26 others keep
every value (counted per tag, not timed); the bad tag is retried alone and joins once it exists."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from conftest import free_port
from plain_opcua_server import node_of, plain_server, tagmap_text, until, write_tagmap

from historian.base import Point
from plc_bridge.bridge import Bridge
from plc_bridge.subscriptions import data_change_filter

ROUNDS = 12
BAD_NODE = 'ns=3;s="DB_Process"."Tag_Typo"'


class Sink:
    def __init__(self) -> None:
        self.points: list[Point] = []

    def put(self, points: list[Point]) -> None:
        self.points.extend(points)

    def values(self, tag: str) -> set[float]:
        return {float(p.fields["value"]) for p in self.points if p.tags.get("tag") == tag and "value" in p.fields}


async def test_one_bad_node_id_of_27_leaves_26_at_full_rate(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    port = free_port()
    nodes = [node_of(i) for i in range(26)]
    nodes.insert(13, BAD_NODE)  # tag13 is the typo
    async with plain_server(port, n=26) as plc:
        tagmap = write_tagmap(tmp_path / "kit1.yaml", tagmap_text(plc.endpoint, nodes, "namespace_uri: urn:test:plc"))
        sink = Sink()
        bridge = Bridge(tagmap, sink, tag_retry_min_s=0.2, tag_retry_max_s=0.4)
        stop = asyncio.Event()
        task = asyncio.create_task(bridge.run(stop))
        await until(lambda: bridge.stats.connected and len(bridge.stats.per_tag) == 26, what="26 tags flowing")
        # Rounds far apart compared with the 20 ms sampling: every value must arrive, per tag.
        for _ in range(ROUNDS):
            await plc.write_round()
            await asyncio.sleep(0.15)
        good = [f"tag{i:02d}" for i in range(27) if i != 13]
        await until(lambda: all(set(range(1, ROUNDS + 1)) <= sink.values(t) for t in good), what="every round")
        assert "tag13" in bridge.stats.failed_tags
        assert bridge.stats.failed_tags["tag13"]["status"] == "BadNodeIdUnknown"
        retries_before = bridge.stats.tag_retries
        await until(lambda: bridge.stats.tag_retries >= retries_before + 2, what="the bad tag retried on its own")
        assert bridge.stats.connects == 1  # the connection itself was never dropped for it

        # The PLC program gains the variable: the retry picks it up without a reconnect.
        await plc.add_variable(BAD_NODE)
        await until(lambda: "tag13" not in bridge.stats.failed_tags, what="the fixed tag monitored")
        await plc.write_round()
        await until(lambda: ROUNDS + 1 in sink.values("tag13"), what="a value of the fixed tag")
        stop.set()
        await task
    reports = [r.getMessage() for r in caplog.records if "BadNodeIdUnknown" in r.getMessage()]
    assert len(reports) == 1, reports  # once, not once per retry
    assert f"{tmp_path / 'kit1.yaml'}:" in reports[0]
    assert "tags[13].node" in reports[0]
    assert BAD_NODE in reports[0]
    assert plc.endpoint in reports[0]
    for t in good:
        assert set(range(1, ROUNDS + 1)) <= sink.values(t), t


def test_deadband_filters() -> None:
    from config_schema.tagmap import TagEntry

    absolute = data_change_filter(TagEntry(name="x", node="ns=2;s=x", deadband={"type": "absolute", "value": 2}))
    assert (absolute.DeadbandType, absolute.DeadbandValue) == (1, 2.0)
    plain = data_change_filter(TagEntry(name="x", node="ns=2;s=x"))
    assert plain.DeadbandType == 0
