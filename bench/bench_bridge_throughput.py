"""Bridge throughput at 0 loss: thousands of OPC UA variables -> bridge -> outbox -> historian.

Every part runs in its own process, as on a site:

- **server**: an OPC UA server with N ``Double`` variables: node-opcua (``NODE_SERVER_JS``,
  installed by the tests' helper) or, when node is missing or ``GMP_TWIN_BENCH_SERVER=asyncua``,
  the same server in asyncua (which saturates near 9,000 values/s on two cores). Variable ``i`` changes at
  ``RATES_HZ[i % 4]`` (1, 2, 5 or 10 Hz, phases spread over 100 ms ticks) and *counts up*
  (1, 2, 3...), each write with its own SourceTimestamp. It reports how many values it
  published per variable, so a stored series must be exactly ``1..n_i``: loss is counted
  exactly (expected − distinct values stored), not estimated.
- **raw**: a bare asyncua subscription client (same subscription settings, callback mode,
  no outbox, no historian) that only counts notifications: the ceiling of any asyncua client.
- **bridge**: the real :class:`plc_bridge.bridge.Bridge` on a tag map built in code, the
  durable :class:`historian.outbox.Outbox` and a real historian (SQLite file, or InfluxDB
  1.x when Debian's ``influxd`` is on PATH). Scale-out: 2 bridge processes, each with half
  of the variables, into the same historian.

Per phase: the clients subscribe, the server counts for ``duration_s``, then the clients
run until every published value arrived (or nothing arrived for ``stall_s``). Figures:
``values_per_s`` = values stored / (last commit − first publish), ``lost`` = expected −
distinct values found in the historian afterwards, latency = historian commit wall time −
SourceTimestamp (same machine, same clock), ``cpu_s`` per process (≈ wall time means the
process saturated one core). ``load_1m`` is the machine's load average at the phase start.

Run: ``python -m bench bridge_throughput [--quick]``. A child process is this module run
as ``python -m bench.bench_bridge_throughput server|raw|bridge ...``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np

REPO = Path(__file__).resolve().parents[1]
NAMESPACE_URI = "urn:gmp-twin:bench:throughput"
RATES_HZ = (1, 2, 5, 10)
TICK_S = 0.1
#: Subscription settings of both clients (queue of 50: 10 s of a 5 Hz tag at 1 s publishing).
SUBSCRIPTION = {
    "publishing_interval_ms": 200.0,
    "sampling_interval_ms": 0.0,
    "queue_size": 50,
    "max_items_per_subscription": 1000,
}
GOAL = {"values_per_s": 20_000, "lost": 0, "p95_ms": 1000.0}

# The same counting server in node-opcua (V8): asyncua's own server saturates one core near
# 9,000 values/s here, below what the clients are asked to take.
NODE_SERVER_JS = r"""
// usage: node bench-counting-server.js PORT N NAMESPACE_URI ; commands on stdin: reset | go SECONDS
const readline = require("readline");
const { OPCUAServer, MessageSecurityMode, SecurityPolicy, DataType, Variant, StatusCodes } = require("node-opcua");
const [port, n, uri] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]];
const RATES = [1, 2, 5, 10], TICK_MS = 100;
const say = (o) => process.stdout.write(JSON.stringify(o) + "\n");
async function main() {
  const big = 1000000;
  const server = new OPCUAServer({
    port, hostname: "127.0.0.1", resourcePath: "/",
    securityPolicies: [SecurityPolicy.None], securityModes: [MessageSecurityMode.None], allowAnonymous: true,
    serverCapabilities: {
      maxMonitoredItems: big, maxMonitoredItemsPerSubscription: big, maxSubscriptionsPerSession: 1000,
      operationLimits: { maxMonitoredItemsPerCall: big, maxNodesPerRead: big, maxNodesPerBrowse: big },
    },
  });
  await server.initialize();
  const ns = server.engine.addressSpace.registerNamespace(uri);
  const folder = ns.addFolder(server.engine.addressSpace.rootFolder.objects, { browseName: "bench" });
  const vars = [], periods = [];
  for (let i = 0; i < n; i++) {
    const name = "v" + String(i).padStart(5, "0");
    vars.push(ns.addVariable({
      componentOf: folder, browseName: name, nodeId: "s=" + name, dataType: "Double", minimumSamplingInterval: 0,
      value: { dataType: DataType.Double, value: 0 },
    }));
    periods.push(Math.round(1000 / (RATES[i % RATES.length] * TICK_MS)));
  }
  const cycle = periods.reduce((a, b) => { const g = (x, y) => (y ? g(y, x % y) : x); return (a * b) / g(a, b); }, 1);
  const due = [];
  for (let k = 0; k < cycle; k++) due.push([...Array(n).keys()].filter((i) => (k + i) % periods[i] === 0));
  // SourceTimestamp = the tick's scheduled time: distinct per variable even when a late tick is
  // caught up in the same millisecond (the historian keys a value by tag + timestamp).
  const write = (i, value, when) =>
    vars[i].setValueFromSource(new Variant({ dataType: DataType.Double, value }), StatusCodes.Good, new Date(when));
  await server.start();
  say({ ready: true });
  const lines = readline.createInterface({ input: process.stdin });
  lines.on("close", async () => { await server.shutdown(0); process.exit(0); });
  lines.on("line", (line) => {
    const [cmd, arg] = line.trim().split(/\s+/);
    if (cmd === "reset") {
      const now = Date.now();
      for (let i = 0; i < n; i++) write(i, 0, now);
      say({ reset: true });
      return;
    }
    const durationMs = Number(arg) * 1000, counts = new Array(n).fill(0);
    const t0 = Date.now(), cpu0 = process.cpuUsage(), start = performance.now();
    let tick = 0, maxLag = 0;
    const step = () => {
      while (tick * TICK_MS < durationMs && start + tick * TICK_MS <= performance.now()) {
        maxLag = Math.max(maxLag, performance.now() - (start + tick * TICK_MS));
        for (const i of due[tick % cycle]) write(i, ++counts[i], t0 + tick * TICK_MS);
        tick++;
      }
      if (tick * TICK_MS < durationMs) {
        setTimeout(step, Math.max(0, start + tick * TICK_MS - performance.now()));
        return;
      }
      const cpu = process.cpuUsage(cpu0);
      say({ t0_ns: t0 * 1e6, elapsed_s: (performance.now() - start) / 1000, max_lag_s: maxLag / 1000,
            cpu_s: (cpu.user + cpu.system) / 1e6, counts });
    };
    step();
  });
}
main().catch((err) => { process.stderr.write(String(err.stack || err) + "\n"); process.exit(1); });
"""


def _cpu_s() -> float:
    use = resource.getrusage(resource.RUSAGE_SELF)
    return round(use.ru_utime + use.ru_stime, 2)


def _node(i: int) -> str:
    return f"v{i:05d}"


def offered_per_s(n: int) -> float:
    """Values per second the server publishes for ``n`` variables.

    >>> offered_per_s(4)
    18.0
    """
    return float(sum(RATES_HZ[i % len(RATES_HZ)] for i in range(n)))


# -- server process ---------------------------------------------------------------------


async def _serve(port: int, n: int) -> None:
    from asyncua import Server, ua

    server = Server()
    await server.init()
    server.set_endpoint(f"opc.tcp://127.0.0.1:{port}/")
    server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
    idx = await server.register_namespace(NAMESPACE_URI)
    folder = await server.nodes.objects.add_folder(idx, "bench")
    ids = [(await folder.add_variable(ua.NodeId(_node(i), idx), _node(i), 0.0)).nodeid for i in range(n)]
    # Each variable is due every `period` ticks, at its own phase, so every tick carries a share.
    periods = [round(1 / (RATES_HZ[i % len(RATES_HZ)] * TICK_S)) for i in range(n)]
    cycle = int(np.lcm.reduce(periods)) if periods else 1
    due = [[i for i in range(n) if (k + i) % periods[i] == 0] for k in range(cycle)]
    aspace = server.iserver.aspace
    value_attr = ua.AttributeIds.Value
    reader = await _stdin_reader()
    async with server:
        _say({"ready": True})
        while line := (await reader.readline()).decode().split():
            if line[0] == "reset":  # counters back to 0 (no subscriber is connected then)
                zero = ua.DataValue(ua.Variant(0.0, ua.VariantType.Double), SourceTimestamp=datetime.now(UTC))
                for nid in ids:
                    await aspace.write_attribute_value(nid, value_attr, zero)
                _say({"reset": True})
                continue
            duration = float(line[1])
            counts = [0] * n
            t0 = time.time_ns()
            cpu0 = _cpu_s()
            start = time.monotonic()
            tick, max_lag = 0, 0.0
            while (due_at := start + tick * TICK_S) < start + duration:
                lag = time.monotonic() - due_at
                if lag < 0:
                    await asyncio.sleep(-lag)
                max_lag = max(max_lag, lag)
                for i in due[tick % cycle]:
                    counts[i] += 1
                    now = datetime.now(UTC)
                    dv = ua.DataValue(
                        ua.Variant(float(counts[i]), ua.VariantType.Double), SourceTimestamp=now, ServerTimestamp=now
                    )
                    await aspace.write_attribute_value(ids[i], value_attr, dv)
                tick += 1
                await asyncio.sleep(0)
            elapsed = time.monotonic() - start
            _say(
                {
                    "t0_ns": t0,
                    "elapsed_s": round(elapsed, 3),
                    "max_lag_s": round(max_lag, 3),
                    "cpu_s": round(_cpu_s() - cpu0, 2),
                    "counts": counts,
                }
            )


# -- client processes ---------------------------------------------------------------------


async def _stdin_reader() -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


def _say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


@dataclass
class _Progress:
    """What a client saw of the counting values (value > 0): count and time of the last one."""

    count: int = 0
    last_ns: int = 0


async def _until_done(reader: asyncio.StreamReader, progress: _Progress, ready: Any, stall_s: float) -> bool:
    """Say ready, wait for ``expect K``, then until K values arrived or none came for ``stall_s``."""
    while not ready():  # noqa: ASYNC110 - polls counters that asyncua callbacks update
        await asyncio.sleep(0.05)
    _say({"ready": True})
    expected = int((await reader.readline()).decode().split()[1])
    seen, seen_at = progress.count, time.monotonic()
    while progress.count < expected:
        await asyncio.sleep(0.05)
        if progress.count != seen:
            seen, seen_at = progress.count, time.monotonic()
        elif time.monotonic() - seen_at > stall_s:
            return False
    return True


async def _raw(endpoint: str, first: int, n: int, stall_s: float, workdir: Path) -> None:
    """The ceiling: asyncua's cheapest loss-free mode (iterator, unbounded queue, as the bridge uses)."""
    from asyncua import Client, ua
    from asyncua.common.subscription import DataChangeEvent, Subscription

    progress = _Progress()
    initial = overflows = 0
    arrivals: list[int] = []  # notification wall time − SourceTimestamp: the floor of the bridge's latency

    async def count(sub: Subscription) -> None:
        """Counts every notification (the initial 0s too), the counting values, and Overflow flags."""
        nonlocal initial, overflows
        async for event in sub:
            if not isinstance(event, DataChangeEvent):
                continue
            initial += 1
            dv = event.data.monitored_item.Value
            status = dv.StatusCode
            if status is not None and status.value & 0x480 == 0x480:  # InfoType DataValue + Overflow
                overflows += 1
            if event.value:
                now = time.time_ns()
                progress.count += 1
                progress.last_ns = now
                arrivals.append(now - int(dv.SourceTimestamp.timestamp() * 1e6) * 1000)

    reader = await _stdin_reader()
    async with Client(endpoint, timeout=30) as client:
        idx = await client.get_namespace_index(NAMESPACE_URI)
        step = int(SUBSCRIPTION["max_items_per_subscription"])
        pumps = []
        for s in range(first, first + n, step):
            sub = await client.create_subscription(SUBSCRIPTION["publishing_interval_ms"], None, queue_maxsize=0)
            pumps.append(asyncio.create_task(count(sub)))
            nodes = [client.get_node(ua.NodeId(_node(i), idx)) for i in range(s, min(s + step, first + n))]
            await sub._subscribe(
                nodes,
                queuesize=int(SUBSCRIPTION["queue_size"]),
                sampling_interval=SUBSCRIPTION["sampling_interval_ms"],
            )
        cpu0 = _cpu_s()
        complete = await _until_done(reader, progress, lambda: initial >= n, stall_s)
        for pump in pumps:
            pump.cancel()
    np.save(workdir / "latency_ns.npy", np.asarray(arrivals, np.int64))
    _say(
        {
            "received": progress.count,
            "last_ns": progress.last_ns,
            "complete": complete,
            "cpu_s": _cpu_s() - cpu0,
            "dropped_notifications": overflows,
        }
    )


async def _bridge(endpoint: str, first: int, n: int, url: str, workdir: Path, stall_s: float) -> None:
    from config_schema.tagmap import SubscriptionSettings, TagEntry, TagMap
    from historian import Point, open_historian
    from historian.outbox import Outbox
    from historian.proxy import HistorianProxy
    from plc_bridge.bridge import Bridge

    progress = _Progress()
    latencies: list[np.ndarray] = []

    class Timed(HistorianProxy):
        """Notes when the counting values were committed (one numpy pass per batch)."""

        async def write(self, points: Sequence[Point]) -> None:
            await self.inner.write(points)
            now = time.time_ns()
            # Counting values only: the initial 0 of each variable and events are not published values.
            ts = np.fromiter(
                (p.time_ns for p in points if p.measurement == "process" and p.fields.get("value")), np.int64
            )
            if ts.size:
                latencies.append(now - ts)
                progress.count += int(ts.size)
                progress.last_ns = now

    tagmap = TagMap(
        endpoint=endpoint,
        site="bench",
        unit="bench",
        namespace_uri=NAMESPACE_URI,
        subscription=SubscriptionSettings.model_validate(SUBSCRIPTION),
        tags=[TagEntry(name=_node(i), node=f"ns=2;s={_node(i)}") for i in range(first, first + n)],
    )
    reader = await _stdin_reader()
    stop = asyncio.Event()
    outbox = Outbox(workdir / "outbox.sqlite", site="bench")
    async with Timed(open_historian(url)) as historian:
        bridge = Bridge(tagmap, outbox)
        tasks = [asyncio.create_task(bridge.run(stop)), asyncio.create_task(outbox.run_writer(historian, stop))]
        cpu0 = _cpu_s()
        complete = await _until_done(reader, progress, lambda: bridge.stats.notifications >= n, stall_s)
        stop.set()
        await asyncio.gather(*tasks)
        pending = await outbox.flush(historian, timeout=30)
        outbox.close()
    lat = np.concatenate(latencies) if latencies else np.zeros(0, np.int64)
    np.save(workdir / "latency_ns.npy", lat)
    _say(
        {
            "committed": progress.count,
            "last_ns": progress.last_ns,
            "complete": complete,
            "cpu_s": _cpu_s() - cpu0,
            "notifications": bridge.stats.notifications,
            "dropped_notifications": bridge.stats.dropped_notifications,
            "outbox_dropped": outbox.dropped_total,
            "outbox_pending": pending,
        }
    )


# -- orchestration -------------------------------------------------------------------------


class _Child:
    """A child process speaking one JSON object per stdout line; its stderr goes to a file."""

    def __init__(self, proc: asyncio.subprocess.Process, log: Path) -> None:
        self.proc, self.log = proc, log

    @classmethod
    async def start(cls, log: Path, *args: str, argv: Sequence[str] | None = None) -> _Child:
        """This module run as a child with ``args``, or the command ``argv``."""
        command = argv or [sys.executable, "-m", "bench.bench_bridge_throughput", *args]
        with log.open("ab") as err:
            proc = await asyncio.create_subprocess_exec(
                *command,
                cwd=REPO,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=err,
                limit=2**26,
            )
        return cls(proc, log)

    async def send(self, line: str) -> None:
        assert self.proc.stdin
        self.proc.stdin.write(line.encode() + b"\n")
        await self.proc.stdin.drain()

    async def receive(self, timeout: float) -> dict[str, Any]:  # noqa: ASYNC109 - a deadline per message
        assert self.proc.stdout
        deadline = time.monotonic() + timeout
        while True:
            line = await asyncio.wait_for(self.proc.stdout.readline(), max(deadline - time.monotonic(), 0.01))
            if not line:
                await self.proc.wait()
                tail = self.log.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"child exited ({self.proc.returncode}); stderr tail:\n{tail}")
            if line.startswith(b"{"):  # node-opcua prints its warnings on stdout
                message: dict[str, Any] = json.loads(line)
                return message

    async def close(self) -> None:
        if self.proc.returncode is None:
            if self.proc.stdin:
                self.proc.stdin.close()
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()


@dataclass(frozen=True)
class _Plan:
    duration_s: float
    stall_s: float
    setup_timeout_s: float


def _stored(url: str, n: int) -> list[int]:
    """Distinct counting values stored per variable (SQLite file or InfluxDB 1.x)."""
    found = [0] * n
    if url.startswith("sqlite:///"):
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            rows = conn.execute(
                "SELECT tag, COUNT(DISTINCT value) FROM process WHERE value > 0 GROUP BY tag"
            ).fetchall()
    else:
        host, db = url.removeprefix("influxdb1://").split("/")
        resp = httpx.post(
            f"http://{host}/query",
            params={"db": db},
            data={"q": 'SELECT COUNT(DISTINCT("value")) FROM "process" WHERE "value" > 0 GROUP BY "tag"'},
            timeout=120,
        )
        resp.raise_for_status()
        series = resp.json()["results"][0].get("series", [])
        rows = [(s["tags"]["tag"], s["values"][0][1]) for s in series]
    for tag, count in rows:
        found[int(tag[1:])] = int(count)
    return found


async def _phase(
    server: _Child, endpoint: str, kind: str, n: int, processes: int, url: str, work: Path, plan: _Plan
) -> dict[str, Any]:
    work = work / f"{kind}-{url.split(':', 1)[0] or 'raw'}-{n}-{processes}"
    load = os.getloadavg()[0]
    await server.send("reset")
    await server.receive(plan.setup_timeout_s)
    share = -(-n // processes)
    children = []
    for k in range(processes):
        first, count = k * share, min(share, n - k * share)
        cwd = work / str(k)
        cwd.mkdir(parents=True)
        args = [kind, endpoint, str(first), str(count), str(plan.stall_s), "--workdir", str(cwd)]
        children.append(
            await _Child.start(work.parent / "children.log", *args, *(["--url", url] if kind == "bridge" else []))
        )
    try:
        for child in children:
            await child.receive(plan.setup_timeout_s)
        await server.send(f"go {plan.duration_s}")
        published = await server.receive(plan.duration_s * 20 + plan.setup_timeout_s)
        counts: list[int] = published.pop("counts")
        for k, child in enumerate(children):
            await child.send(f"expect {sum(counts[k * share : (k + 1) * share])}")
        done = [await child.receive(plan.duration_s * 20 + plan.stall_s * 4 + 60) for child in children]
    finally:
        for child in children:
            await child.close()
    expected = sum(counts)
    t0 = published["t0_ns"]
    last = max(d["last_ns"] for d in done) or t0
    span_s = max((last - t0) / 1e9, 1e-9)
    result: dict[str, Any] = {
        "processes": processes,
        "load_1m": round(load, 2),
        "published": expected,
        "server": published,
        "cpu_s": [round(d["cpu_s"], 2) for d in done],
    }
    lat_ms = np.concatenate([np.load(work / str(k) / "latency_ns.npy") for k in range(processes)])
    lat_ms = lat_ms / 1e6
    p95 = round(float(np.percentile(lat_ms, 95)), 1) if lat_ms.size else None
    if kind == "raw":
        received = sum(d["received"] for d in done)
        return result | {
            "received": received,
            "values_per_s": round(received / span_s),
            "lost": expected - received,
            # Arrival in the client, not a commit: the floor under the bridge's latency.
            "arrival_p50_ms": round(float(np.percentile(lat_ms, 50)), 1) if lat_ms.size else None,
            "arrival_p95_ms": p95,
            "dropped_notifications": sum(d["dropped_notifications"] for d in done),
        }
    stored = _stored(url, n)
    lost = sum(max(0, c - s) for c, s in zip(counts, stored, strict=True))
    return result | {
        "stored": sum(stored),
        "values_per_s": round(sum(stored) / span_s),
        "lost": lost,
        "p50_ms": round(float(np.percentile(lat_ms, 50)), 1) if lat_ms.size else None,
        "p95_ms": p95,
        "max_ms": round(float(lat_ms.max()), 1) if lat_ms.size else None,
        "dropped_notifications": sum(d["dropped_notifications"] for d in done),
        "outbox_dropped": sum(d["outbox_dropped"] for d in done),
        "pass": bool(sum(stored) / span_s >= GOAL["values_per_s"] and lost == 0 and p95 is not None and p95 <= 1000),
    }


async def _size(
    n: int, backends: dict[str, str], scale_out: bool, work: Path, plan: _Plan, node_script: Path | None
) -> dict[str, Any]:
    port = _conftest().free_port()
    endpoint = f"opc.tcp://127.0.0.1:{port}/"
    node_argv = ["node", str(node_script), str(port), str(n), NAMESPACE_URI] if node_script else None
    server = await _Child.start(work / "server.log", "server", str(port), str(n), argv=node_argv)
    out: dict[str, Any] = {"variables": n, "offered_per_s": offered_per_s(n)}
    try:
        await server.receive(plan.setup_timeout_s + n / 200)
        out["raw"] = await _phase(server, endpoint, "raw", n, 1, "", work, plan)
        for name, base in backends.items():
            legs = [1, 2] if scale_out else [1]
            for processes in legs:
                url = f"{base}{name}-{n}-{processes}"
                if base.startswith("sqlite"):
                    url += ".sqlite"
                key = name if processes == 1 else f"{name}_2_processes"
                leg = await _phase(server, endpoint, "bridge", n, processes, url, work, plan)
                leg["ratio_to_raw"] = round(leg["values_per_s"] / max(out["raw"]["values_per_s"], 1), 3)
                out[key] = leg
    finally:
        await server.close()
    return out


def _conftest(name: str = "conftest") -> Any:
    """A module of the tests' helpers (free_port, InfluxdServer, node-opcua): one implementation."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"gmp_tests_{name}", REPO / "tests" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(quick: bool = False) -> dict[str, Any]:
    """Measure; ``quick``: 200 variables for 3 s (a smoke run), else 2k/5k/10k for 20 s each."""
    sizes = (200,) if quick else (2000, 5000, 10_000)
    plan = _Plan(duration_s=3.0 if quick else 20.0, stall_s=10.0 if quick else 15.0, setup_timeout_s=120.0)
    results: dict[str, Any] = {
        "goal": GOAL,
        "duration_s": plan.duration_s,
        "rates_hz": RATES_HZ,
        "subscription": SUBSCRIPTION,
        "cpu_count": os.cpu_count(),
        "load_1m_start": round(os.getloadavg()[0], 2),
        "path": "asyncua server process -> OPC UA TCP -> Bridge -> Outbox (SQLite) -> historian",
    }
    node_script = None
    if os.environ.get("GMP_TWIN_BENCH_SERVER", "node-opcua") == "node-opcua":
        import pytest

        try:
            node_script = _conftest("node_opcua").install_node_server(NODE_SERVER_JS, "bench-counting-server.js")
        except (Exception, pytest.skip.Exception) as exc:  # skip: node or npm missing, or offline
            results["server_note"] = f"node-opcua unavailable ({exc}); asyncua's server used"
    results["server"] = "node-opcua 2.182.2" if node_script else "asyncua (Python)"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        backends = {"sqlite": f"sqlite:///{work}/"}
        influxd = None
        if shutil.which("influxd"):
            influxd = _conftest().InfluxdServer(work / "influxd")
            influxd.start()
            backends["influxdb1"] = f"influxdb1://{influxd.url.removeprefix('http://')}/"
        else:
            results["influxdb1"] = {"skipped": "influxd not on PATH (make test installs Debian's influxdb)"}
        try:
            for n in sizes:
                print(f"  bridge_throughput: {n} variables ...", file=sys.stderr, flush=True)
                results[str(n)] = asyncio.run(_size(n, backends, n == sizes[-1], work, plan, node_script))
        finally:
            if influxd is not None:
                influxd.stop()
    results["load_1m_end"] = round(os.getloadavg()[0], 2)
    return results


def _main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_bridge_throughput")
    parser.add_argument("role", choices=["server", "raw", "bridge", "run"])
    parser.add_argument("args", nargs="*")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--url")
    parser.add_argument("--quick", action="store_true")
    ns = parser.parse_args(argv)
    if ns.role == "run":
        json.dump(run(quick=ns.quick), sys.stdout, indent=2)
    elif ns.role == "server":
        asyncio.run(_serve(int(ns.args[0]), int(ns.args[1])))
    else:
        endpoint, first, n, stall = ns.args[0], int(ns.args[1]), int(ns.args[2]), float(ns.args[3])
        if ns.role == "raw":
            asyncio.run(_raw(endpoint, first, n, stall, ns.workdir))
        else:
            asyncio.run(_bridge(endpoint, first, n, ns.url, ns.workdir, stall))


if __name__ == "__main__":
    _main(sys.argv[1:])
