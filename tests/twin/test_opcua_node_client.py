"""An independent, non-Python client: node-opcua calls the instructor methods with a user name.

Optional: skipped when ``node``/``npm`` are missing or ``node-opcua-client`` cannot be
installed (offline). It is installed once, outside the repository, into
``$GMP_TWIN_NODE_OPCUA_DIR`` (default ``~/.cache/gmp-twin/node-opcua``).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from conftest import free_port

from models.mps_pa import MpsPaStation
from twin.clock import SimClock
from twin.faults.service import TwinControl
from twin.opcua_server import TwinOpcUaServer
from twin.opcua_users import load_users
from twin.runtime import TwinRuntime

NODE_OPCUA = "node-opcua-client@2.182.2"
BIAS = {"kind": "sensor_bias", "target": {"unit": "mps-pa", "tag": "B101_level"}, "magnitude": 3.0}

CLIENT_JS = r"""
// usage: node client.js ENDPOINT USER PASSWORD FAULT_JSON -> one JSON line
const { OPCUAClient, MessageSecurityMode, SecurityPolicy, UserTokenType, DataType } = require("node-opcua-client");

async function main() {
  const [endpoint, userName, password, faultJson] = process.argv.slice(2);
  const client = OPCUAClient.create({
    securityMode: MessageSecurityMode.None, securityPolicy: SecurityPolicy.None,
    endpointMustExist: false, connectionStrategy: { maxRetry: 0 },
  });
  await client.connect(endpoint);
  const out = {};
  try {
    const session = await client.createSession({ type: UserTokenType.UserName, userName, password });
    const ns = (await session.readNamespaceArray()).indexOf("urn:gmp-twin:plant");
    const call = (name, args) => session.call({
      objectId: `ns=${ns};s=Twin.Instructor`, methodId: `ns=${ns};s=Twin.Instructor.${name}`, inputArguments: args,
    });
    const inject = await call("InjectFault", [
      { dataType: DataType.String, value: faultJson }, { dataType: DataType.Boolean, value: false },
    ]);
    out.inject = { status: inject.statusCode.name, output: (inject.outputArguments || []).map((v) => v.value) };
    const list = await call("ListFaults", []);
    out.list = { status: list.statusCode.name, output: (list.outputArguments || []).map((v) => v.value) };
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
async def endpoint() -> AsyncIterator[tuple[str, TwinControl]]:
    port = free_port()
    runtime = TwinRuntime({"mps-pa": MpsPaStation()}, clock=SimClock(speed=10.0), seed=1)
    control = TwinControl(runtime, site="lab")
    users = load_users(instructor_password="node-instructor", student_password="node-student")
    url = f"opc.tcp://127.0.0.1:{port}/"
    async with TwinOpcUaServer(url, on_write=runtime.write, users=users, control=control) as server:
        for name, slot in runtime.slots.items():
            await server.add_unit(name, slot.unit.unit_type, slot.specs, runtime.readings(name))
        await server.start()
        yield url, control


async def _run(script: Path, url: str, user: str, password: str) -> dict[str, Any]:
    proc = await asyncio.create_subprocess_exec(
        "node", str(script), url, user, password, json.dumps(BIAS),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    lines = [line for line in out.decode().splitlines() if line.startswith("{")]
    assert lines, f"node-opcua printed no result; stderr: {err.decode()[-2000:]}"
    result: dict[str, Any] = json.loads(lines[-1])
    return result


async def test_node_opcua_instructor_injects_a_student_is_refused(
    node_client: Path, endpoint: tuple[str, TwinControl]
) -> None:
    url, control = endpoint
    instructor = await _run(node_client, url, "instructor", "node-instructor")
    assert instructor.get("error") is None, instructor
    assert instructor["inject"] == {"status": "Good", "output": ["F1"]}
    assert [f["id"] for f in json.loads(instructor["list"]["output"][0])] == ["F1"]
    assert [f["id"] for f in control.faults("instructor")] == ["F1"]

    student = await _run(node_client, url, "student", "node-student")
    assert "BadUserAccessDenied" in student["error"]
    wrong = await _run(node_client, url, "instructor", "wrong")
    assert "BadUserAccessDenied" in wrong["error"]
    assert len(control.faults("instructor")) == 1
