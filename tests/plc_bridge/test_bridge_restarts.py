"""Restarts on both sides: a server stopped and started again on the same port (data again within
10 s even with a long backoff), and a bridge killed with SIGKILL then restarted (a data_gap event
covering the hole it left)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

from conftest import free_port
from plain_opcua_server import PlainServer, node_of, plain_server, tagmap_text, until, write_tagmap

from historian import open_historian
from historian.base import Point
from plc_bridge.bridge import Bridge

REPO = Path(__file__).resolve().parents[2]


class Sink:
    def __init__(self) -> None:
        self.points: list[Point] = []

    def put(self, points: list[Point]) -> None:
        self.points.extend(points)


@contextlib.asynccontextmanager
async def publishing(plc: PlainServer, period_s: float = 0.1) -> AsyncIterator[None]:
    async def loop() -> None:
        while True:
            await plc.write_round()
            await asyncio.sleep(period_s)

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_data_again_within_10_s_of_the_server_coming_back(tmp_path: Path) -> None:
    port = free_port()
    tagmap = write_tagmap(tmp_path / "kit1.yaml", tagmap_text(f"opc.tcp://127.0.0.1:{port}", [node_of(0), node_of(1)]))
    sink = Sink()
    # A 20 s backoff after the first failed attempt: without the probe, data would return >= 16 s late.
    bridge = Bridge(tagmap, sink, backoff_min_s=20.0, backoff_max_s=60.0, request_timeout_s=2.0, probe_period_s=0.5)
    stop = asyncio.Event()
    task = asyncio.create_task(bridge.run(stop))
    async with plain_server(port, n=2) as plc, publishing(plc):
        await until(lambda: bridge.stats.notifications > 5, what="first values")
    await until(lambda: bridge.stats.connect_failures >= 1, what="a failed reconnect (now in a 20 s backoff)")
    before = bridge.stats.notifications
    restarted = time.monotonic()
    async with plain_server(port, n=2) as plc, publishing(plc):
        await until(lambda: bridge.stats.notifications > before, limit_s=60, what="data after the restart")
        measured_s = time.monotonic() - restarted
        await until(lambda: bridge.stats.gaps == 1, what="the gap recorded")
    stop.set()
    await task
    print(f"data again {measured_s:.2f} s after the server restarted (target <= 10 s)")
    assert measured_s <= 10.0, measured_s
    assert bridge.stats.connects == 2
    gaps = [p for p in sink.points if p.measurement == "event" and p.tags["kind"] == "data_gap"]
    assert len(gaps) == 1 and gaps[0].fields["reason"] == "connection"
    process = sorted(p.time_ns for p in sink.points if p.measurement == "process")
    start, end = int(gaps[0].fields["start_ns"]), int(gaps[0].fields["end_ns"])
    assert start in process and end in process
    assert not [t for t in process if start < t < end]  # nothing inside the hole: it covers it exactly


def _bridge_process(tmp_path: Path, tagmap: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gmp_twin",
            "bridge",
            "--tagmap",
            str(tagmap),
            "--historian",
            f"sqlite:///{tmp_path / 'h.sqlite'}",
            "--outbox",
            str(tmp_path / "outbox.sqlite"),
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "bridge.log", "ab"),  # the child process owns it
    )


async def test_sigkill_then_restart_writes_a_gap_covering_the_hole(tmp_path: Path) -> None:
    port = free_port()
    tagmap_path = tmp_path / "kit1.yaml"
    write_tagmap(tagmap_path, tagmap_text(f"opc.tcp://127.0.0.1:{port}", [node_of(0), node_of(1)]))
    url = f"sqlite:///{tmp_path / 'h.sqlite'}"
    async with plain_server(port, n=2) as plc, publishing(plc):
        proc = _bridge_process(tmp_path, tagmap_path)
        try:
            async with open_historian(url) as historian:

                async def last_ns() -> int:
                    latest = await historian.latest(site="lab", unit="kit1")
                    return max((s.time_ns for s in latest.values()), default=0)

                deadline = time.monotonic() + 60
                while await last_ns() == 0:
                    assert time.monotonic() < deadline, (tmp_path / "bridge.log").read_text()
                    await asyncio.sleep(0.2)
                await asyncio.sleep(1.0)
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=10)
                await asyncio.sleep(3.0)  # the server keeps publishing; nobody collects
                proc = _bridge_process(tmp_path, tagmap_path)
                deadline = time.monotonic() + 60
                gaps: list[Point] = []
                while not gaps:
                    assert time.monotonic() < deadline, (tmp_path / "bridge.log").read_text()
                    await asyncio.sleep(0.3)
                    gaps = await historian.events(0, time.time_ns() + 10**10, kinds=["data_gap"])
                rows = await historian.query_range(
                    "kit1",
                    [f"tag{i:02d}" for i in range(2)],
                    0,
                    time.time_ns() + 10**10,
                    max_points=100_000,
                    site="lab",
                )
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    assert len(gaps) == 1
    start, end = int(gaps[0].fields["start_ns"]), int(gaps[0].fields["end_ns"])
    times = sorted(s.time_ns for samples in rows.series.values() for s in samples)
    assert start in times and end in times
    assert not [t for t in times if start < t < end]  # the event covers the hole, nothing was collected inside
    assert float(gaps[0].fields["duration_s"]) >= 2.5  # at least the 3 s the bridge was dead
    assert gaps[0].fields["reason"] == "start"
