"""The docker-compose services' entry points, run here as separate processes.

Docker does not run on this machine, so the containers cannot start. What can be checked
is run for real: each service's command with the environment written in
docker-compose.yml. Only what a container network would provide is substituted: host
names (``twin``, ``influxdb``) become 127.0.0.1 with free ports, ``/app`` is the
repository, ``/data`` a temporary directory, and the InfluxDB 2.x historian (not
installable here) becomes the real InfluxDB 1.x of the test fixture. The InfluxDB 2.x URL
of the file is still parsed by ``open_historian``.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import free_port

from historian import open_historian

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SECRETS = {"GMP_TWIN_INFLUXDB_TOKEN": "test-token-not-a-secret", "INFLUXDB_ADMIN_PASSWORD": "x" * 12}


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error} substitution."""

    def sub(match: re.Match[str]) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3)
        if name in env and env[name] != "":
            return env[name]
        if op == ":?":
            raise KeyError(f"{name}: {arg}")
        return arg or ""

    return re.sub(r"\$\{([A-Z0-9_]+)(?:(:-|:\?)([^}]*))?\}", sub, value)


def service(compose: dict[str, Any], name: str, env: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    svc = compose["services"][name]
    environment = {k: interpolate(str(v), env) for k, v in svc.get("environment", {}).items()}
    return list(svc["command"]), environment


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def test_compose_refuses_to_start_without_secrets(compose: dict[str, Any]) -> None:
    with pytest.raises(KeyError, match="GMP_TWIN_INFLUXDB_TOKEN"):
        service(compose, "bridge", {})
    with pytest.raises(KeyError, match="INFLUXDB_ADMIN_PASSWORD"):
        service(compose, "influxdb", {"GMP_TWIN_INFLUXDB_TOKEN": "t"})


def test_compose_historian_url_is_valid_influxdb2(compose: dict[str, Any]) -> None:
    _, env = service(compose, "bridge", SECRETS)
    os.environ.setdefault("GMP_TWIN_INFLUXDB_TOKEN", SECRETS["GMP_TWIN_INFLUXDB_TOKEN"])
    historian = open_historian(env["GMP_TWIN_HISTORIAN"])
    assert type(historian).__name__ == "InfluxDB2Historian"


def test_roles_as_separate_processes(compose: dict[str, Any], influxdb1: str, tmp_path: Path) -> None:
    opc_port, http_port = free_port(), free_port()
    influx = f"influxdb1://{influxdb1.removeprefix('http://')}/compose"
    procs: list[subprocess.Popen[bytes]] = []
    logs: list[Path] = []

    def start(name: str) -> None:
        command, env = service(compose, name, SECRETS)
        for key, value in list(env.items()):
            value = value.replace("/app/", f"{REPO}/").replace("/data/", f"{tmp_path}/")
            value = value.replace("opc.tcp://twin:4840", f"opc.tcp://127.0.0.1:{opc_port}")
            env[key] = value
        if "GMP_TWIN_HISTORIAN" in env:
            assert env["GMP_TWIN_HISTORIAN"].startswith("influxdb2://influxdb:8086")
            env["GMP_TWIN_HISTORIAN"] = influx  # no InfluxDB 2.x here: the 1.x fixture stands in
        if name == "twin":
            env["GMP_TWIN_OPCUA_PORT"] = str(opc_port)
        if name == "dashboard":
            env["GMP_TWIN_HTTP_PORT"] = str(http_port)
        assert command[0] == "gmp-twin"
        log = tmp_path / f"{name}.log"
        logs.append(log)
        with log.open("wb") as out:
            procs.append(
                subprocess.Popen(
                    [str(BIN / "gmp-twin"), *command[1:]],
                    cwd=tmp_path,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env={**os.environ, **env},
                )
            )

    try:
        for name in ("twin", "bridge", "dashboard"):
            start(name)
        deadline = time.monotonic() + 60
        fresh: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            for proc, log in zip(procs, logs, strict=True):
                assert proc.poll() is None, log.read_text()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/api/tags", timeout=2) as resp:
                    tags = json.loads(resp.read())
                fresh = [t for t in tags if t["age_s"] is not None and t["age_s"] < 2.0]
                if len(fresh) == len(tags):
                    break
            except OSError:
                pass
            time.sleep(0.5)
        assert fresh and len(fresh) == len(tags), [log.read_text() for log in logs]
        assert (tmp_path / "outbox.sqlite").exists()  # GMP_TWIN_OUTBOX=/data/outbox.sqlite was honoured
        assert (tmp_path / "events-outbox.sqlite").exists()  # the twin's fault events have their own
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        codes = [proc.wait(timeout=30) for proc in procs]
    assert codes == [0, 0, 0], [log.read_text() for log in logs]
