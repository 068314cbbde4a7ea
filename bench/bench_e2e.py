"""End-to-end latency: a value change in the twin -> its row committed in the historian.

The whole real path runs in one process, as in ``gmp-twin run``: the runtime publishes to
the asyncua server, the bridge reads it over OPC UA TCP, puts points into the durable
outbox, and the outbox writer commits them to the historian. Each measurement sample is
timed at two points: when the runtime publishes it (wall clock) and when the historian
write that contains it returns. They are joined on (tag, SourceTimestamp).

Backends: the embedded SQLite always; InfluxDB 1.x when Debian's ``influxd`` is on PATH
(started in a temporary directory, as the tests do).
"""

from __future__ import annotations

import asyncio
import importlib.util
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from config_schema.tagmap import tagmap_for_unit
from historian import Historian, Point, open_historian
from historian.outbox import Outbox
from historian.proxy import HistorianProxy
from models.mps_pa import MpsPaStation
from plc_bridge.bridge import Bridge
from twin.opcua_server import NAMESPACE_URI, TwinOpcUaServer
from twin.runtime import TwinRuntime
from twin.sensors import Reading

REPO = Path(__file__).resolve().parents[1]


def _key(tag: str, time_ns: int) -> tuple[str, int]:
    # OPC UA DateTime has 100 ns resolution and asyncua rounds through datetime (1 µs);
    # samples are 200 ms apart, so joining on the millisecond is exact.
    return tag, round(time_ns / 1e6)


class TimedHistorian(HistorianProxy):
    """Delegates to a real backend and notes when each ``process`` point was committed."""

    def __init__(self, inner: Historian) -> None:
        super().__init__(inner)
        self.committed: dict[tuple[str, int], int] = {}

    async def write(self, points: Sequence[Point]) -> None:
        await self.inner.write(points)
        now = time.time_ns()
        for p in points:
            if p.measurement == "process":
                self.committed.setdefault(_key(p.tags["tag"], p.time_ns), now)


async def _measure(url: str, workdir: Path, duration_s: float, port: int) -> dict[str, Any]:
    runtime = TwinRuntime({"mps-pa": MpsPaStation()}, seed=0)
    published: dict[tuple[str, int], int] = {}
    measurements = {s.name for s in runtime.slots["mps-pa"].specs if s.kind == "measurement"}

    async def note(unit: str, readings: dict[str, Reading], time_ns: int) -> None:
        now = time.time_ns()
        for tag in readings:
            if tag in measurements:
                published[_key(tag, time_ns)] = now

    tagmap = tagmap_for_unit(
        "mps-pa",
        runtime.slots["mps-pa"].specs,
        endpoint=f"opc.tcp://127.0.0.1:{port}",
        site="bench",
        namespace_uri=NAMESPACE_URI,
    )
    historian = TimedHistorian(open_historian(url))
    stop = asyncio.Event()
    async with historian, TwinOpcUaServer(f"opc.tcp://127.0.0.1:{port}/", on_write=runtime.write) as server:
        slot = runtime.slots["mps-pa"]
        await server.add_unit("mps-pa", "mps_pa", slot.specs, runtime.readings("mps-pa"))
        runtime.publishers += [note, server.publish]
        await server.start()
        outbox = Outbox(workdir / "outbox.sqlite")
        bridge = Bridge(tagmap, outbox)
        tasks = [
            asyncio.create_task(c) for c in (runtime.run(stop), bridge.run(stop), outbox.run_writer(historian, stop))
        ]
        await asyncio.sleep(duration_s)
        stop.set()
        await asyncio.gather(*tasks)
        await outbox.flush(historian, timeout=10)
        outbox.close()
    lat_ms = np.array([(historian.committed[k] - t) / 1e6 for k, t in published.items() if k in historian.committed])
    return {
        "historian": url.split(":", 1)[0],
        "samples": int(lat_ms.size),
        "published": len(published),
        "p50_ms": round(float(np.percentile(lat_ms, 50)), 1),
        "p95_ms": round(float(np.percentile(lat_ms, 95)), 1),
        "p99_ms": round(float(np.percentile(lat_ms, 99)), 1),
        "max_ms": round(float(lat_ms.max()), 1),
        "notifications_per_s": round(bridge.stats.notifications / duration_s, 1),
        "dropped_notifications": bridge.stats.dropped_notifications,
    }


def _influxd() -> Any:
    """The tests' InfluxdServer helper (one implementation for tests and benchmarks)."""
    spec = importlib.util.spec_from_file_location("gmp_tests_conftest", REPO / "tests" / "conftest.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(quick: bool = False) -> dict[str, Any]:
    duration = 10.0 if quick else 30.0
    conf = _influxd()
    results: dict[str, Any] = {"duration_s": duration, "path": "runtime -> OPC UA TCP -> bridge -> outbox -> historian"}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        results["sqlite"] = asyncio.run(_measure(f"sqlite:///{work}/h.sqlite", work, duration, conf.free_port()))
        if shutil.which("influxd"):
            server = conf.InfluxdServer(work / "influxd")
            server.start()
            try:
                url = f"influxdb1://{server.url.removeprefix('http://')}/bench"
                (work / "o1").mkdir()
                results["influxdb1"] = asyncio.run(_measure(url, work / "o1", duration, conf.free_port()))
            finally:
                server.stop()
        else:
            results["influxdb1"] = {"skipped": "influxd not on PATH (make test installs Debian's influxdb)"}
    return results


if __name__ == "__main__":
    import json

    json.dump(run(quick="--quick" in sys.argv), sys.stdout, indent=2)
