"""The pages read each unit from the source its tag map names: a twin in shadow beside a kit
writes the kit's tags too (``source = sim``), and the kit's pages must still show the kit.

A real SQLite historian on its own loop and thread, as in ``gmp-twin run``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from config_schema.tagmap import TagEntry, TagMap, sources_by_unit
from dashboard.data import HistorianGateway
from historian import Point, open_historian

SITE, UNIT, T0 = "lab", "station-1", 1_700_000_000_000_000_000


def _tagmap(source: str) -> TagMap:
    level = TagEntry(name="level", node="ns=3;s=level")
    return TagMap(
        endpoint="opc.tcp://kit:4840", site=SITE, unit=UNIT, source=source, namespace_uri="urn:x", tags=[level]
    )


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[HistorianGateway]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    opened = open_historian(f"sqlite:///{tmp_path}/h.sqlite")
    historian = asyncio.run_coroutine_threadsafe(opened.__aenter__(), loop).result(10)
    points = []
    for i in range(10):
        for source, level in (("plc", 15.0 + i), ("sim", 40.0 + i)):
            tags = {"site": SITE, "unit": UNIT, "tag": "level", "source": source}
            # The twin's point comes last at every time: the one an unfiltered page would show.
            points.append(Point("process", tags, {"value": level, "status": 0}, T0 + i * 10**9 + (source == "sim")))
    asyncio.run_coroutine_threadsafe(historian.write(points), loop).result(10)
    sources = sources_by_unit([_tagmap("plc"), _tagmap("sim")])  # the kit, and a twin in shadow beside it
    yield HistorianGateway(historian, loop, sources=sources)
    asyncio.run_coroutine_threadsafe(opened.__aexit__(None, None, None), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


def test_a_kit_page_reads_the_kit_not_the_twin_in_shadow(gateway: HistorianGateway) -> None:
    assert gateway.latest(SITE, UNIT)["level"].value == 24.0
    series = gateway.range(SITE, UNIT, ["level"], T0, T0 + 20 * 10**9, 100).series["level"]
    assert [s.value for s in series] == [15.0 + i for i in range(10)]


def test_a_page_that_names_the_source_gets_it(gateway: HistorianGateway) -> None:
    assert gateway.latest(SITE, UNIT, source="sim")["level"].value == 49.0
    series = gateway.range(SITE, UNIT, ["level"], T0, T0 + 20 * 10**9, 100, source="sim").series["level"]
    assert [s.value for s in series] == [40.0 + i for i in range(10)]


def test_a_unit_without_a_tag_map_is_read_from_every_source(gateway: HistorianGateway) -> None:
    gateway.sources.clear()
    assert gateway.latest(SITE, UNIT)["level"].value == 49.0  # the newest of both
    assert len(gateway.range(SITE, UNIT, ["level"], T0, T0 + 20 * 10**9, 100).series["level"]) == 20
