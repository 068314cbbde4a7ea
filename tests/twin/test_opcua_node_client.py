"""An independent, non-Python client: node-opcua logs in as a student and as an instructor.

``node-opcua-client`` is installed once, outside the repository, into
``$GMP_TWIN_NODE_OPCUA_DIR`` (default ``~/.cache/gmp-twin/node-opcua``); ``make test`` installs
Node.js and npm (``make system-deps``). Skipped only when node/npm are missing or npm cannot
install the package (offline).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import free_port
from people import PASSWORDS, People, make_people

from audit import verify
from models.mps_pa import MpsPaStation
from twin.clock import SimClock
from twin.faults.service import TwinControl
from twin.opcua_server import TwinOpcUaServer
from twin.runtime import TwinRuntime

NODE_OPCUA = "node-opcua-client@2.182.2"
BIAS = {"kind": "sensor_bias", "target": {"unit": "mps-pa", "tag": "B101_level"}, "magnitude": 3.0}

CLIENT_JS = r"""
// usage: node client.js ENDPOINT USER PASSWORD FAULT_JSON LEVEL_SP -> one JSON line
const {
  OPCUAClient, MessageSecurityMode, SecurityPolicy, UserTokenType, DataType, AttributeIds,
} = require("node-opcua-client");

const statusOf = (err) => (String(err.message || err).match(/Bad[A-Za-z]+/) || [String(err.message || err)])[0];

async function main() {
  const [endpoint, userName, password, faultJson, levelSp] = process.argv.slice(2);
  const client = OPCUAClient.create({
    securityMode: MessageSecurityMode.None, securityPolicy: SecurityPolicy.None,
    endpointMustExist: false, connectionStrategy: { maxRetry: 0 },
  });
  await client.connect(endpoint);
  const out = {};
  try {
    const session = await client.createSession({ type: UserTokenType.UserName, userName, password });
    const ns = (await session.readNamespaceArray()).indexOf("urn:gmp-twin:plant");
    try {
      const status = await session.write({
        nodeId: `ns=${ns};s=mps-pa.level_sp`, attributeId: AttributeIds.Value,
        value: { value: { dataType: DataType.Double, value: Number(levelSp) } },
      });
      out.write = status.name;
    } catch (err) { out.write = statusOf(err); }
    try {
      const inject = await session.call({
        objectId: `ns=${ns};s=Twin.Instructor`, methodId: `ns=${ns};s=Twin.Instructor.InjectFault`,
        inputArguments: [{ dataType: DataType.String, value: faultJson }, { dataType: DataType.Boolean, value: false }],
      });
      out.inject = { status: inject.statusCode.name, output: (inject.outputArguments || []).map((v) => v.value) };
    } catch (err) { out.inject = { status: statusOf(err), output: [] }; }
    await session.close();
  } catch (err) {
    out.error = String(err.message || err);
  } finally {
    await client.disconnect();
  }
  console.log(JSON.stringify(out));
}
main().catch((err) => { console.log(JSON.stringify({ error: String(err.message || err) })); process.exit(1); });
"""


@pytest.fixture(scope="module")
def node_client(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The client script, next to an installed ``node-opcua-client``."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node/npm not on PATH")
    default = Path.home() / ".cache" / "gmp-twin" / "node-opcua"
    root = Path(os.environ.get("GMP_TWIN_NODE_OPCUA_DIR", default))
    if not (root / "node_modules" / "node-opcua-client").is_dir():
        root.mkdir(parents=True, exist_ok=True)
        try:
            subprocess.run(
                ["npm", "install", "--prefix", str(root), "--no-audit", "--no-fund", NODE_OPCUA],
                check=True,
                capture_output=True,
                timeout=600,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            pytest.skip(f"cannot install {NODE_OPCUA} with npm: {exc}")
    script = root / "gmp-twin-client.js"
    script.write_text(CLIENT_JS)
    return script


@pytest.fixture
def people(tmp_path: Path) -> Iterator[People]:
    p = make_people(tmp_path)
    yield p
    p.close()


@pytest.fixture
async def endpoint(people: People) -> AsyncIterator[tuple[str, TwinControl]]:
    port = free_port()
    runtime = TwinRuntime({"mps-pa": MpsPaStation()}, clock=SimClock(speed=10.0), seed=1)
    control = TwinControl(runtime, site="lab", audit=people.audit)
    url = f"opc.tcp://127.0.0.1:{port}/"
    server = TwinOpcUaServer(url, control=control, authenticator=people.authenticator, allow_anonymous=False)
    async with server:
        for name, slot in runtime.slots.items():
            await server.add_unit(name, slot.unit.unit_type, slot.specs, runtime.readings(name))
        await server.start()
        yield url, control


async def _run(script: Path, url: str, user: str, password: str, level_sp: float) -> dict[str, Any]:
    proc = await asyncio.create_subprocess_exec(
        "node", str(script), url, user, password, json.dumps(BIAS), str(level_sp),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    lines = [line for line in out.decode().splitlines() if line.startswith("{")]
    assert lines, f"node-opcua printed no result; stderr: {err.decode()[-2000:]}"
    result: dict[str, Any] = json.loads(lines[-1])
    return result


async def test_node_opcua_student_writes_a_setpoint_is_refused_a_fault_instructor_injects(
    node_client: Path, endpoint: tuple[str, TwinControl], people: People
) -> None:
    url, control = endpoint
    unit = control.runtime.slots["mps-pa"].unit
    student = await _run(node_client, url, "sam", PASSWORDS["sam"], 12.0)
    assert student == {"write": "Good", "inject": {"status": "BadUserAccessDenied", "output": []}}, student
    assert unit.read()["level_sp"] == 12.0
    assert control.faults("instructor") == []

    instructor = await _run(node_client, url, "ines", PASSWORDS["ines"], 9.5)
    assert instructor == {"write": "Good", "inject": {"status": "Good", "output": ["F1"]}}, instructor
    assert [f["id"] for f in control.faults("instructor")] == ["F1"]
    assert unit.read()["level_sp"] == 9.5

    wrong = await _run(node_client, url, "ines", "not-the-password", 1.0)
    assert "BadUserAccessDenied" in wrong["error"]
    assert len(control.faults("instructor")) == 1

    rows = [
        (r.user, r.action, r.object, r.old, r.new, r.status)
        for r in people.audit.query(newest_first=False)
        if r.via == "opcua"
    ]
    assert rows == [
        ("sam", "login", "user:sam", None, None, "Good"),
        ("sam", "tag.write", "mps-pa.level_sp", rows[1][3], 12.0, "Good"),
        ("sam", "access.denied", "method:InjectFault", None, None, "BadUserAccessDenied"),
        ("sam", "logout", "user:sam", None, None, "Good"),
        ("ines", "login", "user:ines", None, None, "Good"),
        ("ines", "tag.write", "mps-pa.level_sp", 12.0, 9.5, "Good"),
        ("ines", "fault.inject", "fault:sensor_bias", None, rows[6][4], "Good"),
        ("ines", "logout", "user:ines", None, None, "Good"),
        ("ines", "login.failed", "user:ines", None, None, "BadUserAccessDenied"),
    ]
    assert rows[6][4]["id"] == "F1"
    result = verify(people.audit.path)
    print(f"audit trail after the node-opcua sessions: {result}")
    assert result.ok and result.checked == len(people.audit.query(limit=10_000))
