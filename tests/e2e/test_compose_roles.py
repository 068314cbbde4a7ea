"""The docker-compose services' entry points, run here as separate processes.

Docker does not run on this machine, so the containers cannot start. What can be checked
is run for real: each service's command with the environment written in
docker-compose.yml. Only what a container network would provide is substituted: host
names (``twin``, ``influxdb``) become 127.0.0.1 with free ports, ``/app`` is the
repository, ``/data`` and the shared ``/people`` volume temporary directories, and the
InfluxDB 2.x historian (not installable here) becomes the real InfluxDB 1.x of the test
fixture. The InfluxDB 2.x URL of the file is still parsed by ``open_historian``.

The people side is run as the file's comments document it: the first step (``gmp-twin users
add NAME --role admin``, and the bridge's account) before the roles start in production mode.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml
from asyncua import ua
from asyncua.sync import Client
from conftest import free_port

from audit import verify
from historian import open_historian
from pki import Pki

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SECRETS = {
    "GMP_TWIN_INFLUXDB_TOKEN": "test-token-not-a-secret",
    "INFLUXDB_ADMIN_PASSWORD": "x" * 12,
    "GMP_TWIN_SESSION_SECRET": "session-secret-for-the-compose-test-0123",
    "GMP_TWIN_OPCUA_USERNAME": "bridge",
    "GMP_TWIN_OPCUA_PASSWORD": "bridge-reads-opcua-4471",
}
PEOPLE_ROLES = ("twin", "dashboard")


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
    for name in ("twin", "dashboard"):
        with pytest.raises(KeyError, match="GMP_TWIN_SESSION_SECRET"):
            service(compose, name, {**SECRETS, "GMP_TWIN_SESSION_SECRET": ""})
    for missing in ("GMP_TWIN_OPCUA_USERNAME", "GMP_TWIN_OPCUA_PASSWORD"):
        for name in ("bridge", "dashboard"):
            with pytest.raises(KeyError, match=missing):
                service(compose, name, {**SECRETS, missing: ""})
    with pytest.raises(KeyError, match="GRAFANA_ADMIN_PASSWORD"):
        service(compose, "grafana", SECRETS)


def test_env_example_has_no_usable_secret() -> None:
    example = dict(
        line.split("=", 1)
        for line in (REPO / ".env.example").read_text().splitlines()
        if "=" in line and line[0] != "#"
    )
    for key in (
        "INFLUXDB_ADMIN_PASSWORD",
        "GMP_TWIN_INFLUXDB_TOKEN",
        "GMP_TWIN_SESSION_SECRET",
        "GMP_TWIN_OPCUA_PASSWORD",
        "GRAFANA_ADMIN_PASSWORD",
    ):
        assert example[key] == "", key
    assert example["GMP_TWIN_PUBLISH_ADDRESS"] == "127.0.0.1"


def test_compose_publishes_on_loopback_by_default_and_people_are_shared(compose: dict[str, Any]) -> None:
    published = {name: svc.get("ports", []) for name, svc in compose["services"].items()}
    assert published == {
        "influxdb": ["${GMP_TWIN_PUBLISH_ADDRESS:-127.0.0.1}:8086:8086"],
        "twin": ["${GMP_TWIN_PUBLISH_ADDRESS:-127.0.0.1}:4840:4840"],
        "bridge": [],
        "dashboard": ["${GMP_TWIN_PUBLISH_ADDRESS:-127.0.0.1}:8050:8050"],
        "grafana": ["${GMP_TWIN_PUBLISH_ADDRESS:-127.0.0.1}:3000:3000"],
    }
    assert interpolate(published["twin"][0], {}) == "127.0.0.1:4840:4840"
    assert interpolate(published["twin"][0], {"GMP_TWIN_PUBLISH_ADDRESS": "0.0.0.0"}) == "0.0.0.0:4840:4840"
    for name in ("twin", "bridge", "dashboard"):
        _, env = service(compose, name, SECRETS)
        assert env["GMP_TWIN_MODE"] == "production", name
    _, twin = service(compose, "twin", SECRETS)
    assert twin["GMP_TWIN_OPCUA_ALLOW_ANONYMOUS"] == "false"
    for name in PEOPLE_ROLES:
        _, env = service(compose, name, SECRETS)
        assert (env["GMP_TWIN_USERS"], env["GMP_TWIN_AUDIT"]) == ("/people/users.yaml", "/people/audit.sqlite")
        assert "people:/people" in compose["services"][name]["volumes"], name
    assert "people" in compose["volumes"]
    for name in ("twin", "bridge", "dashboard"):  # one PKI folder: the twin, its bridge and the dashboard
        assert service(compose, name, SECRETS)[1]["GMP_TWIN_PKI"] == "/pki"
        assert "pki:/pki" in compose["services"][name]["volumes"], name
    assert "pki" in compose["volumes"]
    text = (REPO / "docker-compose.yml").read_text()
    assert "docker compose run --rm dashboard gmp-twin users add NAME --role admin" in text
    assert "INSTRUCTOR_TOKEN" not in text and "INSTRUCTOR_PASSWORD" not in text  # retired


def test_compose_historian_url_is_valid_influxdb2(compose: dict[str, Any]) -> None:
    _, env = service(compose, "bridge", SECRETS)
    os.environ.setdefault("GMP_TWIN_INFLUXDB_TOKEN", SECRETS["GMP_TWIN_INFLUXDB_TOKEN"])
    historian = open_historian(env["GMP_TWIN_HISTORIAN"])
    assert type(historian).__name__ == "InfluxDB2Historian"


def gmp_twin(args: list[str], env: dict[str, str], cwd: Path, stdin: str = "") -> str:
    proc = subprocess.run(
        [str(BIN / "gmp-twin"), *args], input=stdin, capture_output=True, text=True, cwd=cwd, env={**os.environ, **env},
        timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def http_json(opener: urllib.request.OpenerDirector, method: str, url: str, body: object = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with opener.open(request, timeout=5) as resp:
        return json.loads(resp.read())


def test_roles_as_separate_processes(compose: dict[str, Any], influxdb1: str, tmp_path: Path) -> None:
    opc_port, http_port = free_port(), free_port()
    influx = f"influxdb1://{influxdb1.removeprefix('http://')}/compose"
    (tmp_path / "people").mkdir()  # the shared `people` volume
    procs: list[subprocess.Popen[bytes]] = []
    logs: list[Path] = []

    def role_env(name: str) -> tuple[list[str], dict[str, str]]:
        command, env = service(compose, name, SECRETS)
        for key, value in list(env.items()):
            value = value.replace("/app/", f"{REPO}/").replace("/data/", f"{tmp_path}/")
            value = value.replace("/people/", f"{tmp_path}/people/")
            value = value.replace("opc.tcp://twin:4840", f"opc.tcp://127.0.0.1:{opc_port}")
            env[key] = f"{tmp_path}/pki" if value == "/pki" else value  # the shared pki volume
        if "GMP_TWIN_HISTORIAN" in env:
            assert env["GMP_TWIN_HISTORIAN"].startswith("influxdb2://influxdb:8086")
            env["GMP_TWIN_HISTORIAN"] = influx  # no InfluxDB 2.x here: the 1.x fixture stands in
        if name == "twin":
            env["GMP_TWIN_OPCUA_PORT"] = str(opc_port)
        if name == "dashboard":
            env["GMP_TWIN_HTTP_PORT"] = str(http_port)
        assert command[0] == "gmp-twin"
        return command, env

    def start(name: str) -> None:
        command, env = role_env(name)
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

    # Production mode: without a users file no role starts (exit code 2, naming the file and the fix).
    _, dashboard_env = role_env("dashboard")
    refused = subprocess.run(
        [str(BIN / "gmp-twin"), "twin"], capture_output=True, text=True, cwd=tmp_path,
        env={**os.environ, **role_env("twin")[1]}, timeout=60,
    )  # fmt: skip
    assert refused.returncode == 2 and "users" in refused.stderr, refused.stderr

    # The first step the compose file documents, run with the dashboard container's environment.
    added = gmp_twin(["users", "add", "alice", "--role", "admin"], dashboard_env, tmp_path)
    one_time = added.strip().splitlines()[-1].rsplit(" ", 1)[1]
    gmp_twin(["users", "add", "bridge", "--role", "student", "--password-stdin"], dashboard_env, tmp_path,
             stdin=SECRETS["GMP_TWIN_OPCUA_PASSWORD"] + "\n")  # fmt: skip

    try:
        for name in ("twin", "bridge", "dashboard"):
            start(name)
        base = f"http://127.0.0.1:{http_port}"
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        deadline = time.monotonic() + 60
        while True:
            for proc, log in zip(procs, logs, strict=True):
                assert proc.poll() is None, log.read_text()
            try:
                me = http_json(browser, "POST", f"{base}/api/session", {"username": "alice", "password": one_time})
                break
            except OSError:
                assert time.monotonic() < deadline, [log.read_text() for log in logs]
                time.sleep(0.5)
        assert me["must_change_password"] is True
        with pytest.raises(urllib.error.HTTPError) as forbidden:
            http_json(browser, "GET", f"{base}/api/tags")
        assert forbidden.value.code == 403
        change = {"old_password": one_time, "new_password": "alices-own-password-2024"}
        assert http_json(browser, "PUT", f"{base}/api/session/password", change)["changed"] is True
        with pytest.raises(urllib.error.HTTPError) as anonymous:
            urllib.request.urlopen(f"{base}/api/tags", timeout=5)
        assert anonymous.value.code == 401  # no anonymous viewing in production

        fresh: list[dict[str, Any]] = []
        tags: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            for proc, log in zip(procs, logs, strict=True):
                assert proc.poll() is None, log.read_text()
            tags = http_json(browser, "GET", f"{base}/api/tags")
            fresh = [t for t in tags if t["age_s"] is not None and t["age_s"] < 2.0]
            if len(fresh) == len(tags):
                break
            time.sleep(0.5)
        assert fresh and len(fresh) == len(tags), [log.read_text() for log in logs]  # the bridge logged in
        with pytest.raises(ua.UaError, match="No matching endpoints"):  # bound to 0.0.0.0: no policy None
            with Client(f"opc.tcp://127.0.0.1:{opc_port}", timeout=5) as none_client:
                none_client.get_namespace_array()
        # A certificate in the twin's PKI folder (own/: trusted), so only the anonymous identity is refused.
        cert, key = Pki(tmp_path / "pki").ensure_own("urn:compose-test", ["localhost"], name="test-client")
        anonymous_client = Client(f"opc.tcp://127.0.0.1:{opc_port}", timeout=5)
        anonymous_client.set_security_string(f"Basic256Sha256,SignAndEncrypt,{cert},{key}")
        with pytest.raises(ua.UaStatusCodeError) as no_anonymous:  # GMP_TWIN_OPCUA_ALLOW_ANONYMOUS=false
            with anonymous_client:
                anonymous_client.get_namespace_array()
        assert "Identity" in type(no_anonymous.value).__name__ or "Access" in type(no_anonymous.value).__name__, repr(
            no_anonymous.value
        )
        # The instructor functions work in the split: the dashboard drives the twin over OPC UA.
        fault = {"kind": "sensor_bias", "target": {"unit": "mps-pa", "tag": "B101_level"}, "magnitude": 3}
        made = http_json(browser, "POST", f"{base}/api/faults", fault)
        assert made["kind"] == "sensor_bias" and made["id"] == "F1"
        assert [f["id"] for f in http_json(browser, "GET", f"{base}/api/faults")] == ["F1"]
        assert http_json(browser, "GET", f"{base}/api/scenarios?lang=fr")  # the twin's library, in French
        clock = http_json(browser, "PUT", f"{base}/api/clock", {"speed": 2, "paused": False})
        assert clock["speed"] == 2 and clock["run_id"]
        assert http_json(browser, "GET", f"{base}/api/clock")["speed"] == 2
        assert http_json(browser, "DELETE", f"{base}/api/faults") == {"cleared": ["F1"]}
        assert (tmp_path / "outbox.sqlite").exists()  # GMP_TWIN_OUTBOX=/data/outbox.sqlite was honoured
        assert (tmp_path / "events-outbox.sqlite").exists()  # the twin's fault events have their own
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        codes = [proc.wait(timeout=30) for proc in procs]
    assert codes == [0, 0, 0], [log.read_text() for log in logs]

    # One audit trail for both processes: the CLI, the HTTP logins and the bridge's OPC UA login.
    trail = tmp_path / "people" / "audit.sqlite"
    assert verify(trail).ok
    out = gmp_twin(["audit", "export", "--format", "jsonl", "--audit", str(trail)], dashboard_env, tmp_path)
    records = [json.loads(line) for line in out.splitlines()]
    seen = {(r["action"], r["user"], r["via"]) for r in records}
    assert any(r["action"] == "user.add" and r["object"] == "user:bridge" and r["via"] == "cli" for r in records)
    assert ("login", "alice", "http") in seen and ("password.change", "alice", "http") in seen
    assert ("login", "bridge", "opcua") in seen
    # The twin recorded alice's changes as hers, made through the dashboard (not as the bridge account).
    for action in ("fault.inject", "clock.set", "fault.clear_all"):
        done = [r for r in records if r["action"] == action]
        assert [(r["user"], r["role"], r["result"]) for r in done] == [("alice", "admin", "ok")], action
        assert " via dashboard opc.tcp " in done[0]["client"], done[0]
