"""A classroom of team plants: dashboard callback latency and where the CPU goes, at ×1 and ×10.

``gmp-twin run --teams 12`` runs as a child process (the default plant's five units per team,
a temporary data directory, free ports), with one student account per team and an
instructor. After a warm-up, simulated browsers post to Dash's ``/_dash-update-component`` as
the real pages do, each at its page's tick:

- one student per team on the station page (``/``: P&ID, tag table, loop charts, every second),
  and every other student-team on the bioreactor page's faceplates (every second);
- the instructor on the classroom page (``/classroom``: every team's card, every 2 s) and on
  the instructor console of one team (``/instructor?team=…``, every second).

The request bodies are built from the app itself: the callbacks from ``/_dash-dependencies``
and each page's layout from Dash's page-routing callback (the component ids and their values,
pattern-matching ids expanded), as the browser builds them; a store an answer updates is sent
back with the next tick. Latency is the HTTP round trip; p95 per callback and over all.

CPU: the child's CPU time (``/proc``) over the measured window, and ``py-spy record`` samples
of its threads (non-blocking, idle excluded), each sample counted for the innermost frame of a
known part (:data:`PARTS`): simulation (models, runtime, OPC UA server), bridge (plc_bridge,
the OPC UA client), historian (backends, outbox), monitoring (analytics), dashboard (Dash,
Flask, the API, uvicorn). Also: the simulated speed each team's clock reached (a plant that
cannot keep up falls behind its ×N) and the bridge's outbox backlog.

Goal: p95 ≤ 200 ms at ×1 with 12 teams on the 2-core development machine.

Run: ``python -m bench classroom [--quick]`` (``--quick``: 2 teams, short windows, for a smoke
run), or ``python -m bench.bench_classroom --teams 12 --measure-s 60``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
PLANT = REPO / "config" / "plant.yaml"
GOAL_P95_MS = 200.0
SPEEDS = (1.0, 10.0)
INSTRUCTOR = "bench-instructor"
PY_SPY = Path(sys.executable).with_name("py-spy")
#: Where a py-spy sample counts: the innermost frame whose file path holds one of these parts.
#: Frames of shared libraries (asyncio, numpy, asyncua's encoders) count for their caller.
#: The web side: Dash, Flask, the API, uvicorn, logins and their audit records.
DASHBOARD_MARKS = (
    "/dashboard/", "/dash/", "/flask/", "/werkzeug/", "/plotly/", "/a2wsgi/", "/starlette/", "/fastapi/",
    "/uvicorn/", "/h11/", "/pydantic/", "/babel/", "/access/", "/audit/",
)  # fmt: skip
PARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("simulation", ("/models/", "/twin/", "/asyncua/server/")),
    ("bridge", ("/plc_bridge/", "/asyncua/client/")),
    ("historian", ("/historian/",)),
    ("monitoring", ("/analytics/",)),
    ("dashboard", DASHBOARD_MARKS),
)


#: Innermost frames of a thread that waits: the event loop's select, an idle worker, a lock.
WAITS = (
    "Selector.select (", "_worker (/", "Condition.wait (", "Event.wait (", "Queue.get (", "SimpleQueue.get (",
    "Thread._wait_for_tstate_lock (", "time.sleep (",
)  # fmt: skip


# -- the child process ------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_port_block(n: int) -> int:
    """A base port with ``n`` consecutive free ports (the team plants' OPC UA servers: base, base+1...)."""
    for _ in range(200):
        base = secrets.randbelow(20_000) + 30_000
        ok = True
        for port in range(base, base + n):
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    ok = False
                    break
        if ok:
            return base
    raise RuntimeError(f"no block of {n} free ports")


@dataclass
class Accounts:
    """The instructor and one student per team (name -> password)."""

    instructor: str
    students: dict[str, tuple[str, str]]  # team -> (name, password)


def make_accounts(workdir: Path, teams: Sequence[str]) -> Accounts:
    """Write the users file the child opens (``data/users.yaml``), as ``gmp-twin users add`` would."""
    from access import UserStore
    from audit import Actor, AuditTrail

    data = workdir / "data"
    data.mkdir(parents=True, exist_ok=True)
    actor = Actor("cli:bench", "admin", "cli")
    audit = AuditTrail(data / "audit.sqlite")
    try:
        store = UserStore(data / "users.yaml", audit=audit)
        instructor = secrets.token_urlsafe(18)
        store.add(INSTRUCTOR, "instructor", actor=actor, password=instructor, display_name="Bench")
        students = {}
        for team in teams:
            name, password = f"bench-{team}", secrets.token_urlsafe(18)
            store.add(name, "student", actor=actor, password=password, team=team)
            students[team] = (name, password)
    finally:
        audit.close()
    return Accounts(instructor, students)


def _environment() -> dict[str, str]:
    # Only the run's own settings: a developer's GMP_TWIN_* must not leak in.
    env = {k: v for k, v in os.environ.items() if not k.startswith("GMP_TWIN_")}
    env.update(
        GMP_TWIN_PLANT=str(PLANT),
        GMP_TWIN_DETECTORS=str(REPO / "config" / "detectors.yaml"),
        GMP_TWIN_SCENARIOS=str(REPO / "config" / "scenarios"),
        OPENBLAS_NUM_THREADS="1",
        OMP_NUM_THREADS="1",
    )
    return env


@dataclass
class Child:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


@contextlib.contextmanager
def classroom_process(workdir: Path, teams: int, speed: float) -> Iterator[Child]:
    """``gmp-twin run --teams N --speed S`` in ``workdir`` on free ports; stopped on exit."""
    http_port, opcua_base = free_port(), free_port_block(teams)
    log = workdir / "gmp-twin.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gmp_twin", "run", "--teams", str(teams), "--speed", f"{speed:g}",
             "--http-port", str(http_port), "--opcua-port", str(opcua_base)],
            cwd=workdir, env=_environment(), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    child = Child(f"http://127.0.0.1:{http_port}", process, log)
    try:
        deadline = time.monotonic() + 240
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gmp-twin run exited ({process.returncode}):\n{log.read_text()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{child.url}/api/health", timeout=2).status_code in (200, 503):
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"gmp-twin run did not answer in 240 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield child
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


# -- Dash requests as the browser builds them ---------------------------------------------------
def split_outputs(output: str) -> list[tuple[str, str]]:
    """``..a.b...c.d..`` (or ``a.b``) -> ``[(id, prop), ...]``; an id may be a JSON dict.

    >>> split_outputs('..pid.figure...{"loop":["ALL"],"type":"loop-value"}.children..')
    [('pid', 'figure'), ('{"loop":["ALL"],"type":"loop-value"}', 'children')]
    """
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    return [tuple(part.rsplit(".", 1)) for part in parts]  # type: ignore[misc]


def walk_layout(node: Any, found: dict[str, dict[str, Any]]) -> None:
    """Every component with an id in a Dash layout JSON: ``json id -> props``."""
    if isinstance(node, list):
        for item in node:
            walk_layout(item, found)
        return
    if not isinstance(node, dict) or "props" not in node:
        return
    props = node["props"]
    if "id" in props:
        id_ = props["id"]
        found[json.dumps(id_, sort_keys=True, separators=(",", ":")) if isinstance(id_, dict) else id_] = props
    for value in props.values():
        if isinstance(value, dict | list):
            walk_layout(value, found)


def _matches(pattern: dict[str, Any], candidate: str) -> bool:
    if not candidate.startswith("{"):
        return False
    concrete = json.loads(candidate)
    if set(concrete) != set(pattern):
        return False
    return all(isinstance(v, list) or concrete[k] == v for k, v in pattern.items())


@dataclass
class DashCall:
    """One callback of one page, with the values its next request sends."""

    name: str
    page: str
    spec: dict[str, Any]
    components: dict[str, dict[str, Any]]
    tick: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def _expand(self, id_: str, prop: str, with_value: bool) -> Any:
        if not id_.startswith("{"):
            item: dict[str, Any] = {"id": id_, "property": prop}
            if with_value:
                item["value"] = self._value(id_, prop)
            return item
        pattern = json.loads(id_)
        items = []
        for candidate in sorted(c for c in self.components if _matches(pattern, c)):
            item = {"id": json.loads(candidate), "property": prop}
            if with_value:
                item["value"] = self._value(candidate, prop)
            items.append(item)
        return items

    def _value(self, id_: str, prop: str) -> Any:
        if prop == "n_intervals":
            return self.tick
        if prop == "id":
            return json.loads(id_) if id_.startswith("{") else id_
        return self.components.get(id_, {}).get(prop)

    def body(self) -> dict[str, Any]:
        outputs = [self._expand(i, p, False) for i, p in split_outputs(self.spec["output"])]
        inputs = [self._expand(d["id"], d["property"], True) for d in self.spec["inputs"]]
        state = [self._expand(d["id"], d["property"], True) for d in self.spec["state"]]
        first = self.spec["inputs"][0]
        return {
            "output": self.spec["output"],
            "outputs": outputs if self.spec["output"].startswith("..") else outputs[0],
            "inputs": inputs,
            "state": state,
            "changedPropIds": [f"{first['id']}.{first['property']}"],
        }

    def absorb(self, answer: dict[str, Any]) -> None:
        """Keep what the answer changed (a store, a cursor) for the next request, as the browser does."""
        for id_, props in answer.get("response", {}).items():
            for prop, value in props.items():
                self.components.setdefault(id_, {})[prop] = value


async def page_components(client: httpx.AsyncClient, deps: list[dict[str, Any]], page: str) -> dict[str, Any]:
    """A page's layout through Dash's page-routing callback (as the browser gets it): id -> props."""
    routing = next(d for d in deps if "_pages_content.children" in d["output"])
    path, _, query = page.partition("?")
    body = {
        "output": routing["output"],
        "outputs": [{"id": i, "property": p} for i, p in split_outputs(routing["output"])],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": path},
            {"id": "_pages_location", "property": "search", "value": f"?{query}" if query else ""},
        ],
        "state": [],
        "changedPropIds": ["_pages_location.pathname"],
    }
    answer = await client.post("/_dash-update-component", json=body, headers={"Referer": f"{client.base_url}{page}"})
    answer.raise_for_status()
    found: dict[str, dict[str, Any]] = {}
    walk_layout(answer.json()["response"]["_pages_content"]["children"], found)
    return found


async def dash_call(client: httpx.AsyncClient, name: str, page: str, output_part: str) -> DashCall:
    """The callback of ``page`` whose output names ``output_part``, ready to post."""
    deps = (await client.get("/_dash-dependencies")).raise_for_status().json()
    spec = next((d for d in deps if output_part in d["output"]), None)
    if spec is None:
        raise RuntimeError(f"no callback with output {output_part!r} (is the page registered?)")
    return DashCall(name, page, spec, await page_components(client, deps, page))


async def login(url: str, name: str, password: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=url, timeout=30)
    answer = await client.post("/api/session", json={"username": name, "password": password})
    answer.raise_for_status()
    return client


async def poll(client: httpx.AsyncClient, call: DashCall, period_s: float, until: float, offset_s: float) -> None:
    """Post ``call`` every ``period_s`` until ``until`` (monotonic), timing each round trip."""
    await asyncio.sleep(offset_s)  # browsers do not tick in step
    headers = {"Referer": f"{client.base_url}{call.page}"}
    while time.monotonic() < until:
        started = time.monotonic()
        call.tick += 1
        try:
            t0 = time.perf_counter()
            answer = await client.post("/_dash-update-component", json=call.body(), headers=headers)
            ms = (time.perf_counter() - t0) * 1000
            if answer.status_code == 200:
                call.latencies_ms.append(ms)
                call.absorb(answer.json())
            elif answer.status_code == 204:  # PreventUpdate: still a served callback
                call.latencies_ms.append(ms)
            else:
                call.errors[str(answer.status_code)] = call.errors.get(str(answer.status_code), 0) + 1
        except httpx.HTTPError as exc:
            call.errors[type(exc).__name__] = call.errors.get(type(exc).__name__, 0) + 1
        await asyncio.sleep(max(0.0, period_s - (time.monotonic() - started)))


def percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def _summary(values: Sequence[float]) -> dict[str, Any]:
    return {
        "requests": len(values),
        "p50_ms": None if not values else round(statistics.median(values), 1),
        "p95_ms": None if not values else round(percentile(values, 95) or 0.0, 1),
        "max_ms": None if not values else round(max(values), 1),
    }


# -- CPU --------------------------------------------------------------------------------------
def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def part_of(stack: str) -> str:
    """The part a collapsed py-spy stack (``root;...;leaf``) counts for: its innermost known frame.

    >>> part_of("run (asyncio/base_events.py:1);step (/r/twin/runtime.py:9);rhs (/r/models/bio.py:3)")
    'simulation'
    >>> part_of("run (asyncio/base_events.py:1);_run_once (asyncio/base_events.py:2)")
    'other'
    """
    for frame in reversed(stack.split(";")):
        for part, marks in PARTS:
            if any(mark in frame for mark in marks):
                return part
    return "other"


def waiting(stack: str) -> bool:
    """A sample of a thread that waits (py-spy's idle test misses some in non-blocking mode).

    >>> waiting("run (asyncio/base_events.py:1);EpollSelector.select (/usr/lib/selectors.py:468)")
    True
    """
    leaf = stack.rsplit(";", 1)[-1]
    return any(mark in leaf for mark in WAITS)


def cpu_shares(raw: str) -> dict[str, Any]:
    """Shares of the py-spy samples per part, from ``py-spy record --format raw`` output.

    Samples of waiting threads (:func:`waiting`) are left out; ``other_top`` lists the innermost
    frames of the samples no part claims (the event loop's own work, GC...).

    >>> cpu_shares("a (/r/twin/x.py:1) 3\\nb (/usr/asyncio/events.py:2) 1\\n")["share"]["simulation"]
    0.75
    """
    counts: dict[str, int] = {}
    other: dict[str, int] = {}
    waits = 0
    for line in raw.splitlines():
        stack, _, n = line.rpartition(" ")
        if not stack or not n.isdigit():
            continue
        if waiting(stack):
            waits += int(n)
            continue
        part = part_of(stack)
        counts[part] = counts.get(part, 0) + int(n)
        if part == "other":
            leaf = re.sub(r"\(.*/", "(", stack.split(";")[-1])  # the file's name, not its path
            other[leaf] = other.get(leaf, 0) + int(n)
    total = sum(counts.values())
    order = [name for name, _ in PARTS] + ["other"]
    top = sorted(other.items(), key=lambda item: -item[1])[:5]
    return {
        "samples": total,
        "waiting_samples_left_out": waits,
        "share": {part: round(counts.get(part, 0) / total, 3) if total else None for part in order},
        "other_top": {leaf: round(n / total, 3) for leaf, n in top} if total else {},
    }


@contextlib.contextmanager
def profiled(pid: int, seconds: float, workdir: Path) -> Iterator[dict[str, Any]]:
    """py-spy (when installed and allowed) sampling ``pid`` for ``seconds`` while the body runs."""
    result: dict[str, Any] = {}
    out = workdir / "py-spy.txt"
    spy = None
    if PY_SPY.exists() or shutil.which("py-spy"):
        exe = str(PY_SPY) if PY_SPY.exists() else "py-spy"
        spy = subprocess.Popen(
            [exe, "record", "--pid", str(pid), "--duration", str(max(1, int(seconds))), "--rate", "50",
             "--nonblocking", "--full-filenames", "--format", "raw", "--output", str(out)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
    try:
        yield result
    finally:
        if spy is None:
            result["skipped"] = "py-spy is not installed"
        else:
            try:
                _, err = spy.communicate(timeout=seconds + 60)
            except subprocess.TimeoutExpired:
                spy.kill()
                _, err = spy.communicate()
            if out.exists():
                result.update(cpu_shares(out.read_text()))
            else:
                result["skipped"] = f"py-spy failed: {err.decode(errors='replace')[-300:]}"


# -- one leg: N teams at ×S -------------------------------------------------------------------
async def _clock(client: httpx.AsyncClient, team: str) -> float:
    answer = await client.get("/api/clock", params={"team": team})
    answer.raise_for_status()
    return float(answer.json()["sim_time_s"])


async def _measure(child: Child, accounts: Accounts, teams: list[str], warmup_s: float, measure_s: float,
                   workdir: Path) -> dict[str, Any]:  # fmt: skip
    instructor = await login(child.url, INSTRUCTOR, accounts.instructor)
    students = {team: await login(child.url, *accounts.students[team]) for team in teams}
    clients = [instructor, *students.values()]
    try:
        await asyncio.sleep(warmup_s)
        # Student pages: the station for each team; the bioreactor faceplates as a second page.
        calls: list[tuple[httpx.AsyncClient, DashCall, float]] = []
        for k, team in enumerate(teams):
            client = students[team]
            if k % 2 == 0:
                calls.append((client, await dash_call(client, "student_station", "/?lang=fr", "pid.figure"), 1.0))
            else:
                page = "/units/bioreactor?lang=fr"
                calls.append((client, await dash_call(client, "student_bioreactor", page, "faceplates-"), 1.0))
        classroom = await dash_call(instructor, "instructor_classroom", "/classroom?lang=fr", '"cr-body"')
        last = teams[-1]
        console = await dash_call(instructor, "instructor_console", f"/instructor?team={last}&lang=fr", "ic-clock")
        calls += [(instructor, classroom, 2.0), (instructor, console, 1.0)]
        clocks0 = {team: await _clock(instructor, team) for team in teams}
        wall0, cpu0 = time.monotonic(), cpu_s(child.process.pid)
        until = wall0 + measure_s
        with profiled(child.process.pid, measure_s, workdir) as profile:
            async with asyncio.TaskGroup() as tg:
                for i, (client, call, period) in enumerate(calls):
                    tg.create_task(poll(client, call, period, until, offset_s=(i * 0.137) % period))
        wall = time.monotonic() - wall0
        used = cpu_s(child.process.pid) - cpu0
        clocks1 = {team: await _clock(instructor, team) for team in teams}
        health = (await instructor.get("/api/health")).json()
        # The classroom's callback as a student: refused by the server, whatever the browser shows.
        refused = await students[teams[0]].post("/_dash-update-component", json=classroom.body())
    finally:
        for client in clients:
            await client.aclose()
    by_name: dict[str, list[float]] = {}
    errors: dict[str, dict[str, int]] = {}
    for _, call, _ in calls:
        by_name.setdefault(call.name, []).extend(call.latencies_ms)
        for code, n in call.errors.items():
            errors.setdefault(call.name, {})[code] = errors.get(call.name, {}).get(code, 0) + n
    everything = [ms for values in by_name.values() for ms in values]
    speeds = [(clocks1[team] - clocks0[team]) / wall for team in teams]
    return {
        "callbacks": {name: _summary(values) for name, values in by_name.items()},
        "all": _summary(everything),
        "errors": errors,
        "cpu": {"cores_used": round(used / wall, 2), **profile, **_cores(profile, used / wall)},
        "sim_speed_reached": {"min": round(min(speeds), 2), "mean": round(statistics.mean(speeds), 2)},
        "outbox": _outbox(health),
        "student_on_classroom_callback": refused.status_code,
    }


def _cores(profile: dict[str, Any], cores: float) -> dict[str, Any]:
    """Each part's share as cores (the child's CPU time × its share of the samples)."""
    shares = profile.get("share")
    if not shares:
        return {}
    return {"cores": {part: None if share is None else round(share * cores, 3) for part, share in shares.items()}}


def _outbox(health: dict[str, Any]) -> Any:
    # The bridge's durable outbox: a growing backlog means the historian writer cannot keep up.
    found = _find(health, "pending")
    return {"pending_rows": found} if found is not None else None


def _find(node: Any, key: str) -> Any:
    if isinstance(node, dict):
        if key in node and isinstance(node[key], int | float):
            return node[key]
        for value in node.values():
            hit = _find(value, key)
            if hit is not None:
                return hit
    return None


def leg(teams: int, speed: float, warmup_s: float, measure_s: float) -> dict[str, Any]:
    """One run of ``teams`` team plants at ×``speed``: latency, CPU shares, the speed reached."""
    names = [f"team-{k}" for k in range(1, teams + 1)]
    with tempfile.TemporaryDirectory(prefix="gmp-twin-bench-classroom-") as tmp:
        workdir = Path(tmp)
        accounts = make_accounts(workdir, names)
        started = time.monotonic()
        with classroom_process(workdir, teams, speed) as child:
            startup_s = time.monotonic() - started
            try:
                result = asyncio.run(_measure(child, accounts, names, warmup_s, measure_s, workdir))
            except Exception as exc:
                raise RuntimeError(f"{exc}\n-- gmp-twin run's log:\n{child.log.read_text()[-4000:]}") from exc
    p95 = result["all"]["p95_ms"]
    return {
        "teams": teams,
        "speed": speed,
        "startup_s": round(startup_s, 1),
        "warmup_s": warmup_s,
        "measure_s": measure_s,
        **result,
        "pass": p95 is not None and p95 <= GOAL_P95_MS and not result["errors"],
    }


def run(
    quick: bool = False, teams: int | None = None, measure_s: float | None = None, speeds: Sequence[float] = SPEEDS
) -> dict[str, Any]:
    teams = teams or (2 if quick else 12)
    warmup_s = 5.0 if quick else 30.0
    measure_s = measure_s or (8.0 if quick else 60.0)
    legs = {f"x{speed:g}": leg(teams, speed, warmup_s, measure_s) for speed in speeds}
    at_1 = legs.get("x1", {"pass": False})
    return {
        "plant": str(PLANT.relative_to(REPO)),
        "teams": teams,
        "load_1m": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
        "goal": {"p95_ms": GOAL_P95_MS, "teams": 12, "speed": 1.0},
        **legs,
        "target": f"p95 <= {GOAL_P95_MS:g} ms at x1 with 12 teams",
        "pass": teams >= 12 and at_1["pass"],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_classroom", description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--teams", type=int, default=None)
    parser.add_argument("--measure-s", type=float, default=None)
    parser.add_argument(
        "--speeds", type=lambda text: tuple(float(v) for v in text.split(",")), default=SPEEDS,
        help="comma-separated clock speeds (default: 1,10)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    json.dump(run(args.quick, args.teams, args.measure_s, args.speeds), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
