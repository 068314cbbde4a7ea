"""Shared fixtures: free ports and a real InfluxDB 1.x server (Debian's ``influxd``).

The tests use the real thing where it can run here (see DESIGN.md), so the InfluxDB 1.x
tests start Debian's ``influxd`` in a temporary directory instead of mocking HTTP.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

INFLUXD_MISSING = (
    "Debian's InfluxDB 1.x server `influxd` is not on PATH: run `make test` (it installs Debian's influxdb)"
)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now.

    The port is released before returning, so a race with another process is possible
    but harmless for tests on one machine.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class InfluxdServer:
    """A real ``influxd`` (1.x) in ``root`` listening on ``127.0.0.1:http_port``.

    It can be stopped and started again on the same port and data directory, which is what
    the "historian down" tests need.

    Parameters
    ----------
    root : Path
        Directory for the config file, meta, data and WAL directories and the log.
    http_port : int, optional
        HTTP API port; a free one when omitted.
    """

    def __init__(self, root: Path, http_port: int | None = None) -> None:
        binary = shutil.which("influxd")
        if binary is None:
            pytest.fail(INFLUXD_MISSING, pytrace=False)
        self.binary = binary
        self.root = root
        self.http_port = http_port or free_port()
        self.rpc_port = free_port()
        self.url = f"http://127.0.0.1:{self.http_port}"
        self.config = root / "influxdb.conf"
        self.log = root / "influxd.log"
        self._proc: subprocess.Popen[bytes] | None = None
        root.mkdir(parents=True, exist_ok=True)
        # Everything the server writes stays in root; no monitor database, no usage
        # reporting, quiet logs (the HTTP access log would dominate the file).
        self.config.write_text(
            f"""reporting-disabled = true
bind-address = "127.0.0.1:{self.rpc_port}"

[meta]
  dir = "{root / "meta"}"
  logging-enabled = false

[data]
  dir = "{root / "data"}"
  wal-dir = "{root / "wal"}"
  query-log-enabled = false

[monitor]
  store-enabled = false

[continuous_queries]
  enabled = false

[subscriber]
  enabled = false

[http]
  bind-address = "127.0.0.1:{self.http_port}"
  log-enabled = false
  pprof-enabled = false

[logging]
  level = "warn"
  suppress-logo = true
"""
        )

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 20.0) -> None:
        """Start ``influxd`` and wait until ``/ping`` answers 204."""
        if self.running:
            return
        with self.log.open("ab") as log:
            self._proc = subprocess.Popen(
                [self.binary, "run", "-config", str(self.config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                pytest.fail(
                    f"influxd exited with code {self._proc.returncode}; log:\n"
                    + self.log.read_text(errors="replace")[-4000:],
                    pytrace=False,
                )
            with contextlib.suppress(OSError, urllib.error.URLError):
                with urllib.request.urlopen(f"{self.url}/ping", timeout=0.5) as resp:
                    if resp.status == 204:
                        return
            time.sleep(0.05)
        self.stop()
        pytest.fail(f"influxd did not answer {self.url}/ping within {timeout} s", pytrace=False)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and wait for the process to exit."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout)


@pytest.fixture(scope="session")
def influxdb1(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL (``http://127.0.0.1:<port>``) of a real InfluxDB 1.x server for the session.

    Tests should use their own database name so they do not see each other's points.
    """
    server = InfluxdServer(tmp_path_factory.mktemp("influxdb1"))
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def influxd_factory(tmp_path: Path) -> Iterator[Callable[..., InfluxdServer]]:
    """Make private ``InfluxdServer`` instances (not started) for start / stop tests.

    Call it as ``influxd_factory(http_port=None)``; every server is stopped after the test.
    """
    servers: list[InfluxdServer] = []

    def make(http_port: int | None = None) -> InfluxdServer:
        server = InfluxdServer(tmp_path / f"influxd{len(servers)}", http_port)
        servers.append(server)
        return server

    try:
        yield make
    finally:
        for server in servers:
            server.stop()


def chromium(window: str = "1400,1400") -> Any:
    """A headless Debian Chromium driven by Selenium (one setup for every browser test:
    :func:`gmp_twin.browser.headless_chromium`, which ``make screenshots`` uses too)."""
    from gmp_twin.browser import headless_chromium

    return headless_chromium(window)


@contextlib.asynccontextmanager
async def serving(runtime: Any, port: int) -> AsyncIterator[str]:
    """Serve ``runtime``'s units on a real twin OPC UA server at ``port`` and run it; yield the endpoint."""
    import asyncio

    from twin.opcua_server import TwinOpcUaServer

    endpoint = f"opc.tcp://127.0.0.1:{port}/"
    stop = asyncio.Event()
    async with TwinOpcUaServer(endpoint, on_write=runtime.write) as server:
        for name, slot in runtime.slots.items():
            await server.add_unit(name, slot.unit.unit_type, slot.specs, runtime.readings(name))
        runtime.publishers.append(server.publish)
        await server.start()
        task = asyncio.create_task(runtime.run(stop))
        try:
            yield endpoint
        finally:
            stop.set()
            await task


@pytest.fixture
def people(tmp_path: Path) -> Iterator[Any]:
    """Named users (``tests/people.py``: sam, ines, ada) over a real users file and audit trail."""
    from people import make_people

    made = make_people(tmp_path)
    yield made
    made.close()
