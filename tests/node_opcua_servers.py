"""node-opcua stand-ins for a real kit's PLC: an S7-1500-like and a CODESYS-like OPC UA server.

Independent (non-Python) servers the browse and bridge tests run against, as a class would meet
them on a school network:

- ``s7``: namespace ``http://www.siemens.com/simatic-s7-opcua`` at index 3, data blocks under
  ``Objects/PLC_1/DataBlocksGlobal``, quoted string node ids (``ns=3;s="DB_Process"."B101_Level"``),
  analog items with EURange and EngineeringUnits, setpoints and modes writable;
- ``codesys``: symbol paths ``ns=4;s=|var|CODESYS Control for Linux SL.Application.GVL.<var>``
  under ``Objects/DeviceSet/...``, plain variables (no EURange), as CODESYS exposes them.

Each offers ONE endpoint (Basic256Sha256, ``SignAndEncrypt`` by default) and requires a user name
and password unless ``anonymous`` is set. Client certificates are accepted automatically (a real
PLC needs them trusted once in TIA Portal / CODESYS; that step is not what these tests check).

Every variable gets a new value every ``period_ms`` with the publication time as SourceTimestamp
(ms). The server logs every value it published: :meth:`StandIn.freeze` stops publishing and
:meth:`StandIn.stop` ends the server; both return the log ``{node id: [[ms, value], ...]}``, the
count a bridge is compared with.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from asyncua import Client as AsyncClient
from asyncua import ua
from conftest import free_port
from node_opcua import install_node_server

from pki.store import thumbprint

Flavor = Literal["s7", "codesys"]
S7_URI = "http://www.siemens.com/simatic-s7-opcua"
CODESYS_URI = "CODESYSSPV3/3S/IecVarAccess"
CODESYS_DEVICE = "CODESYS Control for Linux SL"
PASSWORD_ENV = "STANDIN_OPCUA_PASSWORD"

SERVER_JS = r"""
// usage: node server.js CONFIG_JSON  (password in $STANDIN_OPCUA_PASSWORD)
// prints READY <port> when listening; SIGUSR1 freezes the values and writes the log; SIGTERM writes it and exits.
const fs = require("fs");
const {
  OPCUAServer, OPCUACertificateManager, SecurityPolicy, MessageSecurityMode, DataType, Variant,
  StatusCodes, standardUnits, makeEUInformation,
} = require("node-opcua");

const cfg = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const password = process.env.STANDIN_OPCUA_PASSWORD || "";
const units = {
  cm: standardUnits.centimetre, mbar: standardUnits.millibar, degC: standardUnits.degree_celsius,
  pct: standardUnits.percent, lmin: makeEUInformation("L2", "l/min", "litre per minute"),
};

// [browse name, type, writable, unit key or null, [lo, hi]]
const S7 = {
  DB_Process: [
    ["B101_Level", "Double", false, "cm", [0, 30]], ["B102_Flow", "Double", false, "lmin", [0, 10]],
    ["B103_Pressure", "Double", false, "mbar", [0, 400]], ["B104_Temperature", "Double", false, "degC", [0, 100]],
    ["B113_Min", "Boolean", false], ["B114_Max", "Boolean", false], ["S111_Overflow", "Boolean", false],
    ["S112_Overflow", "Boolean", false], ["S115_Closed", "Boolean", false], ["S116_Open", "Boolean", false],
    ["P101_Speed", "Float", false, "pct", [0, 100]], ["V102_Position", "Float", false, "pct", [0, 100]],
    ["Heartbeat", "Int32", false], ["Recipe_Name", "String", false],
  ],
  DB_Control: [
    ["Level_SP", "Double", true, "cm", [0, 28]], ["Level_Mode", "Boolean", true],
    ["Level_Out", "Double", true, "pct", [0, 100]], ["Flow_Setpoint", "Double", true, "lmin", [0, 10]],
    ["Flow_Mode", "Boolean", true], ["Flow_Out", "Double", true, "pct", [0, 100]],
    ["Pressure_SP", "Double", true, "mbar", [0, 400]], ["Pressure_Mode", "Boolean", true],
    ["Pressure_Out", "Double", true, "pct", [0, 100]], ["Temperature_SP", "Double", true, "degC", [0, 70]],
    ["Temperature_Mode", "Boolean", true], ["V102_Cmd", "Boolean", true],
    ["V106_Opening", "Double", true, "pct", [0, 100]],
  ],
};
const CODESYS_GVL = [
  ["B101_level", "Double", false], ["B102_flow", "Double", false], ["B103_pressure", "Double", false],
  ["B104_temperature", "Double", false], ["S111", "Boolean", false], ["S112", "Boolean", false],
  ["S115", "Boolean", false], ["S116", "Boolean", false], ["LevelSetpoint", "Double", true],
  ["LevelMode", "Boolean", true], ["FlowSetpoint", "Double", true], ["FlowMode", "Boolean", true],
  ["iCycleCount", "Int16", false], ["sOperator", "String", false],
];

const published = {};   // node id -> [[ms, value], ...]
const variables = [];   // [node id, UAVariable, type, index]

function addVar(ns, parent, nodeId, [name, type, writable, unit, range]) {
  const access = writable ? "CurrentRead | CurrentWrite" : "CurrentRead";
  const common = {
    componentOf: parent, browseName: name, nodeId: `s=${nodeId}`, dataType: type,
    accessLevel: access, userAccessLevel: access, minimumSamplingInterval: 50,
  };
  const v = unit
    ? ns.addAnalogDataItem({
      ...common, engineeringUnitsRange: { low: range[0], high: range[1] }, engineeringUnits: units[unit],
    })
    : ns.addVariable(common);
  const full = `ns=${ns.index};s=${nodeId}`;
  if (type !== "String") published[full] = [];
  variables.push([full, v, type, variables.length]);
}

function valueOf(type, step, index) {
  if (type === "Boolean") return (step + index) % 2 === 0;
  if (type === "Int32" || type === "Int16") return (step + index) % 30000;
  if (type === "String") return `recipe-${index}`;
  const v = 10 + index + 5 * Math.sin(step / 7 + index) + step * 1e-3;
  return type === "Float" ? Math.fround(v) : v;
}

async function main() {
  const certificateManager = new OPCUACertificateManager({
    rootFolder: cfg.pki, automaticallyAcceptUnknownCertificate: true,
  });
  const server = new OPCUAServer({
    port: cfg.port, hostname: "127.0.0.1", resourcePath: "", serverCertificateManager: certificateManager,
    securityPolicies: [SecurityPolicy.Basic256Sha256],
    securityModes: [cfg.mode === "Sign" ? MessageSecurityMode.Sign : MessageSecurityMode.SignAndEncrypt],
    allowAnonymous: !!cfg.anonymous,
    userManager: { isValidUser: (userName, pw) => userName === cfg.user && pw === password },
    serverInfo: {
      applicationUri: `urn:gmp-twin-tests:${cfg.flavor}-stand-in`, applicationName: { text: `${cfg.flavor} stand-in` },
    },
    buildInfo: { productName: `${cfg.flavor} stand-in`, manufacturerName: "gmp-twin tests" },
  });
  await server.initialize();
  const space = server.engine.addressSpace;
  const objects = space.rootFolder.objects;
  if (cfg.flavor === "s7") {
    space.registerNamespace("urn:gmp-twin-tests:s7-device");  // index 2
    const ns = space.registerNamespace(cfg.namespace);        // index 3
    const plc = ns.addObject({ organizedBy: objects, browseName: "PLC_1", nodeId: "s=PLC_1" });
    const dbs = ns.addObject({ componentOf: plc, browseName: "DataBlocksGlobal", nodeId: "s=DataBlocksGlobal" });
    for (const [db, vars] of Object.entries(S7)) {
      const obj = ns.addObject({ componentOf: dbs, browseName: db, nodeId: `s="${db}"` });
      for (const spec of vars) addVar(ns, obj, `"${db}"."${spec[0]}"`, spec);
    }
  } else {
    space.registerNamespace("http://opcfoundation.org/UA/DI/");       // index 2
    space.registerNamespace("http://PLCopen.org/OpcUa/IEC61131-3/");  // index 3
    const ns = space.registerNamespace(cfg.namespace);               // index 4
    const dev = cfg.device;
    const set = ns.addObject({ organizedBy: objects, browseName: "DeviceSet", nodeId: "s=|devset|" });
    const plc = ns.addObject({ componentOf: set, browseName: dev, nodeId: `s=|plc|${dev}` });
    const res = ns.addObject({ componentOf: plc, browseName: "Resources", nodeId: `s=|res|${dev}` });
    const app = ns.addObject({ componentOf: res, browseName: "Application", nodeId: `s=|appo|${dev}.Application` });
    const globals = ns.addObject({ componentOf: app, browseName: "GlobalVars", nodeId: `s=|gvls|${dev}.Application` });
    const gvl = ns.addObject({ componentOf: globals, browseName: "GVL", nodeId: `s=|vprop|${dev}.Application.GVL` });
    for (const spec of CODESYS_GVL) addVar(ns, gvl, `|var|${dev}.Application.GVL.${spec[0]}`, spec);
  }

  let step = 0;
  let frozen = false;
  const publish = () => {
    const now = new Date();
    for (const [full, v, type, index] of variables) {
      const value = valueOf(type, step, index);
      v.setValueFromSource(new Variant({ dataType: DataType[type], value }), StatusCodes.Good, now);
      if (full in published) published[full].push([now.getTime(), value]);
    }
    step += 1;
  };
  publish();
  const timer = setInterval(() => { if (!frozen) publish(); }, cfg.period_ms);
  const dump = () => fs.writeFileSync(cfg.log, JSON.stringify(published));
  process.on("SIGUSR1", () => { frozen = true; clearInterval(timer); dump(); console.log("FROZEN"); });
  process.on("SIGTERM", async () => {
    clearInterval(timer);
    if (!frozen) dump();
    await server.shutdown(0);
    process.exit(0);
  });
  await server.start();
  console.log(`READY ${server.endpoints[0].port}`);
}
main().catch((err) => { console.error(err); process.exit(1); });
"""


@dataclass
class StandIn:
    """A running node-opcua stand-in (see the module docstring)."""

    flavor: Flavor
    endpoint: str
    namespace_uri: str
    user: str
    password: str
    proc: subprocess.Popen[str]
    log: Path
    thumbprint: str = ""  # SHA-1 of the server certificate, as `gmp-twin pki list` shows it
    published: dict[str, list[list[Any]]] = field(default_factory=dict)

    def _signal_and_read(self, sig: int, timeout: float = 30.0) -> dict[str, list[list[Any]]]:
        before = self.log.stat().st_mtime_ns if self.log.exists() else 0
        self.proc.send_signal(sig)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.log.exists() and self.log.stat().st_mtime_ns != before:
                try:
                    self.published = json.loads(self.log.read_text())
                    return self.published
                except json.JSONDecodeError:  # still being written
                    pass
            time.sleep(0.1)
        raise AssertionError(f"the {self.flavor} stand-in wrote no published-value log")

    def freeze(self) -> dict[str, list[list[Any]]]:
        """Stop publishing new values; return every value published so far, per node id."""
        return self._signal_and_read(signal.SIGUSR1)

    def stop(self) -> dict[str, list[list[Any]]]:
        """End the server; return the published values (those of :meth:`freeze` if it was frozen)."""
        if self.proc.poll() is None:
            if not self.published:
                self._signal_and_read(signal.SIGTERM)
            else:
                self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        return self.published


def _server_thumbprint(endpoint: str) -> str:
    """SHA-1 of the certificate the server announces in GetEndpoints (no session needed)."""

    async def endpoints() -> list[ua.EndpointDescription]:
        return await AsyncClient(endpoint, timeout=10).connect_and_get_server_endpoints()

    # Its own thread and loop: callers may be inside a running event loop (async tests).
    with ThreadPoolExecutor(1) as pool:
        found = pool.submit(asyncio.run, endpoints()).result(timeout=60)
    return thumbprint(found[0].ServerCertificate)


@contextmanager
def stand_in(
    flavor: Flavor,
    work: Path,
    *,
    user: str = "opcuser",
    password: str = "kit-Pa55word",
    mode: Literal["Sign", "SignAndEncrypt"] = "SignAndEncrypt",
    anonymous: bool = False,
    period_ms: int = 500,
) -> Iterator[StandIn]:
    """Start a stand-in on a free port in ``work``; stopped (and its log read) on exit."""
    script = install_node_server(SERVER_JS, "gmp-twin-standin-server.js")
    work.mkdir(parents=True, exist_ok=True)
    port = free_port()
    namespace = S7_URI if flavor == "s7" else CODESYS_URI
    published_log = work / f"{flavor}-published.json"
    config = {
        "flavor": flavor, "port": port, "user": user, "mode": mode, "anonymous": anonymous,
        "period_ms": period_ms, "pki": str(work / f"{flavor}-pki"), "log": str(published_log),
        "namespace": namespace, "device": CODESYS_DEVICE,
    }  # fmt: skip
    config_file = work / f"{flavor}-standin.json"
    config_file.write_text(json.dumps(config))
    log = work / f"{flavor}-standin.log"
    with log.open("w") as out:  # a file, not a pipe: node-opcua's warnings must never block it
        proc = subprocess.Popen(
            ["node", str(script), str(config_file)],
            stdout=out, stderr=subprocess.STDOUT, text=True, env={**os.environ, PASSWORD_ENV: password},
        )  # fmt: skip
    deadline = time.monotonic() + 60  # node-opcua generates its certificate first: can take seconds
    while "READY" not in log.read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"{flavor} stand-in did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)
    server = StandIn(flavor, f"opc.tcp://127.0.0.1:{port}", namespace, user, password, proc, published_log)
    try:
        server.thumbprint = _server_thumbprint(server.endpoint)
        yield server
    finally:
        server.stop()
