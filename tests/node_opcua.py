"""node-opcua, the independent (non-Python) OPC UA client of the tests: installed once, one script.

``node-opcua-client`` is installed once, outside the repository, into
``$GMP_TWIN_NODE_OPCUA_DIR`` (default ``~/.cache/gmp-twin/node-opcua``); ``make test`` installs
Node.js and npm (``make system-deps``). Tests skip only when node/npm are missing or npm cannot
install the package (offline).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

NODE_OPCUA = "node-opcua-client@2.182.2"
NODE_OPCUA_SERVER = "node-opcua@2.182.2"  # the whole SDK: servers for the stand-in PLCs
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


def _installed(package: str) -> Path:
    """The folder whose ``node_modules`` holds ``package`` (``name@version``), installed once with npm.

    Skips the test when node/npm are missing or npm cannot install it (offline).
    """
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node/npm not on PATH")
    default = Path.home() / ".cache" / "gmp-twin" / "node-opcua"
    root = Path(os.environ.get("GMP_TWIN_NODE_OPCUA_DIR", default))
    if not (root / "node_modules" / package.rsplit("@", 1)[0]).is_dir():
        root.mkdir(parents=True, exist_ok=True)
        try:
            subprocess.run(
                ["npm", "install", "--prefix", str(root), "--no-audit", "--no-fund", package],
                check=True,
                capture_output=True,
                timeout=600,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            pytest.skip(f"cannot install {package} with npm: {exc}")
    return root


def install_node_client() -> Path:
    """The client script, next to an installed ``node-opcua-client`` (skips the test when impossible)."""
    script = _installed(NODE_OPCUA) / "gmp-twin-client.js"
    script.write_text(CLIENT_JS)
    return script


def install_node_server(js: str, name: str) -> Path:
    """A server script ``name`` holding ``js``, next to an installed ``node-opcua`` (server and client)."""
    script = _installed(NODE_OPCUA_SERVER) / name
    script.write_text(js)
    return script


async def run_script(args: list[str], timeout_s: float = 60) -> dict[str, Any]:
    """Run ``node ARGS``; its last JSON line (every script here prints one)."""
    proc = await asyncio.create_subprocess_exec(
        "node", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=timeout_s)
    lines = [line for line in out.decode().splitlines() if line.startswith("{")]
    assert lines, f"node-opcua printed no result; stderr: {err.decode()[-2000:]}"
    result: dict[str, Any] = json.loads(lines[-1])
    return result


async def run_node_client(script: Path, url: str, user: str, password: str, level_sp: float) -> dict[str, Any]:
    return await run_script([str(script), url, user, password, json.dumps(BIAS), str(level_sp)], timeout_s=60)


SECURE_CLIENT_JS = r"""
// usage: node secure-client.js ENDPOINT USER PASSWORD CERT.pem KEY.pem PKI_DIR APP_URI LEVEL_SP -> one JSON line
// Basic256Sha256 SignAndEncrypt with the client's own certificate; the server's certificate must
// be in PKI_DIR/trusted/certs (unknown ones are refused, not accepted automatically).
const {
  OPCUAClient, MessageSecurityMode, SecurityPolicy, UserTokenType, DataType, AttributeIds,
} = require("node-opcua-client");
const { OPCUACertificateManager } = require("node-opcua-certificate-manager");

const statusOf = (err) => (String(err.message || err).match(/Bad[A-Za-z]+/) || [String(err.message || err)])[0];

async function main() {
  const [endpoint, userName, password, certificateFile, privateKeyFile, rootFolder, applicationUri, levelSp] =
    process.argv.slice(2);
  const clientCertificateManager = new OPCUACertificateManager({
    rootFolder, automaticallyAcceptUnknownCertificate: false,
  });
  await clientCertificateManager.initialize();
  const client = OPCUAClient.create({
    applicationName: "gmp-twin-tests-node", applicationUri,
    securityMode: MessageSecurityMode.SignAndEncrypt, securityPolicy: SecurityPolicy.Basic256Sha256,
    certificateFile, privateKeyFile, clientCertificateManager,
    endpointMustExist: false, connectionStrategy: { maxRetry: 0 },
  });
  const out = {};
  try {
    await client.connect(endpoint);
    const session = await client.createSession({ type: UserTokenType.UserName, userName, password });
    out.channel = {
      mode: MessageSecurityMode[client.securityMode], policy: String(client.securityPolicy).split("#").pop(),
    };
    const ns = (await session.readNamespaceArray()).indexOf("urn:gmp-twin:plant");
    const status = await session.write({
      nodeId: `ns=${ns};s=mps-pa.level_sp`, attributeId: AttributeIds.Value,
      value: { value: { dataType: DataType.Double, value: Number(levelSp) } },
    });
    out.write = status.name;
    await session.close();
  } catch (err) {
    out.error = statusOf(err);
    out.detail = String(err.message || err).slice(0, 300);
  } finally {
    await client.disconnect();
  }
  console.log(JSON.stringify(out));
}
main().catch((err) => { console.log(JSON.stringify({ error: String(err.message || err) })); process.exit(1); });
"""


def install_node_secure_client() -> Path:
    """The Basic256Sha256 SignAndEncrypt client script (own certificate, trust list), next to ``node-opcua-client``."""
    script = install_node_client().parent / "gmp-twin-secure-client.js"
    script.write_text(SECURE_CLIENT_JS)
    return script


async def run_node_secure_client(
    script: Path,
    url: str,
    user: str,
    password: str,
    *,
    cert_pem: Path,
    key_pem: Path,
    pki_dir: Path,
    application_uri: str,
    level_sp: float,
) -> dict[str, Any]:
    """Run the secure client once; its JSON result (``channel``, ``write`` or ``error``)."""
    return await run_script(
        [str(script), url, user, password, str(cert_pem), str(key_pem), str(pki_dir), application_uri, str(level_sp)],
        timeout_s=90,
    )


HISTORY_JS = r"""
// usage: node history.js ENDPOINT TAG START_MS END_MS -> one JSON line (anonymous session)
const { OPCUAClient, MessageSecurityMode, SecurityPolicy } = require("node-opcua-client");

async function main() {
  const [endpoint, tag, start, end] = process.argv.slice(2);
  const client = OPCUAClient.create({
    securityMode: MessageSecurityMode.None, securityPolicy: SecurityPolicy.None,
    endpointMustExist: false, connectionStrategy: { maxRetry: 0 },
  });
  await client.connect(endpoint);
  const out = {};
  try {
    const session = await client.createSession();
    const ns = (await session.readNamespaceArray()).indexOf("urn:gmp-twin:plant");
    const result = await session.readHistoryValue(
      { nodeId: `ns=${ns};s=${tag}` }, new Date(Number(start)), new Date(Number(end)));
    const values = (result.historyData && result.historyData.dataValues) || [];
    out.status = result.statusCode.name;
    out.values = values.map((dv) => dv.value.value);
    out.times_ms = values.map((dv) => dv.sourceTimestamp.getTime());
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


async def run_node_history(url: str, tag: str, start_ms: int, end_ms: int) -> dict[str, Any]:
    """HistoryRead (raw) of ``unit.tag`` over ``[start_ms, end_ms)`` by node-opcua: status, values, times."""
    script = _installed(NODE_OPCUA) / "gmp-twin-history.js"
    script.write_text(HISTORY_JS)
    return await run_script([str(script), url, tag, str(start_ms), str(end_ms)], timeout_s=60)
