"""Done-when of issue #15 (PAT): a Raman model out of calibration is flagged Uncertain within
10 min of the lot change, as a real asyncua client reads it from the twin's OPC UA server.

The ``pat-raman-drift`` scenario of the library runs on a bioreactor through the real
:class:`TwinControl` (its fault: ``raman_out_of_calibration``, a new lot at 4 h). The plant is
stepped synchronously (1 s steps, no wall-clock pacing: deterministic) to 10 min before the lot
change; then the twin's OPC UA server serves it on a free port and, after every simulated
minute, the runtime publishes and the client reads ``glucose_pat`` and ``titre_pat``.
"""

from __future__ import annotations

from pathlib import Path

from asyncua import Client, ua
from conftest import free_port

from twin.faults.scenarios import load_scenario
from twin.faults.service import TwinControl
from twin.opcua_server import NAMESPACE_URI, TwinOpcUaServer
from twin.plant import PlantConfig, build_plant
from twin.runtime import TwinRuntime

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "config" / "scenarios" / "pat-raman-drift.yaml"
UNIT = "bioreactor-1"
PLANT = PlantConfig.model_validate({"site": "lab", "units": [{"name": UNIT, "type": "bioreactor"}]})
CALIBRATION = ua.StatusCodes.UncertainSensorCalibration


def _lot_change_s() -> float:
    fault = next(f for f in load_scenario(SCENARIO).faults if f.kind_name() == "raman_out_of_calibration")
    return fault.start_s


async def test_new_lot_is_read_uncertain_over_opc_ua_within_10_min_of_the_lot_change() -> None:
    lot_s = _lot_change_s()
    runtime = TwinRuntime(build_plant(PLANT, seed=1), dt_s=1.0, seed=1)
    control = TwinControl(runtime, site="lab", run_id="pat", sink=lambda _points: None, scenario_dir=SCENARIO.parent)
    control.start_scenario("pat-raman-drift")
    for _ in range(round(lot_s - 600)):
        runtime.step()

    endpoint = f"opc.tcp://127.0.0.1:{free_port()}/"
    reads: list[tuple[float, int, int, float]] = []  # (s after the lot change, glucose status, titre status, Q/limit)
    async with TwinOpcUaServer(endpoint, on_write=runtime.write) as server:
        slot = runtime.slots[UNIT]
        await server.add_unit(UNIT, slot.unit.unit_type, slot.specs, runtime.readings(UNIT))
        runtime.publishers.append(server.publish)
        await server.start()
        async with Client(endpoint) as client:
            ns = await client.get_namespace_index(NAMESPACE_URI)
            nodes = [
                client.get_node(ua.NodeId(f"{UNIT}.{tag}", ns))
                for tag in ("glucose_pat", "titre_pat", "glucose_pat_q", "glucose_pat_q_limit")
            ]
            for minute in range(25):  # from 10 min before to 15 min after the lot change
                for _ in range(60):
                    runtime.step()
                await runtime.publish()
                # raise_on_bad_status=False: asyncua raises on any status but Good by default.
                g, t, qv, ql = [await n.read_data_value(raise_on_bad_status=False) for n in nodes]
                since = runtime.clock.sim_time_s - lot_s
                assert round(since) == (minute + 1) * 60 - 600
                reads.append((since, g.StatusCode.value, t.StatusCode.value, qv.Value.Value / ql.Value.Value))

    before = [r for r in reads if r[0] < 0]
    after = [r for r in reads if r[0] >= 0]
    # Before the lot change the glucose prediction is Good and its spectrum inside the space.
    assert all(g == ua.StatusCodes.Good and ratio < 1.0 for _, g, _, ratio in before), before
    flagged = [s for s, g, _, _ in after if g == CALIBRATION]
    assert flagged, after
    assert flagged[0] <= 600, f"first flagged {flagged[0]:.0f} s after the lot change"
    # Once the lot is in, every later read stays flagged (both predictions come from that spectrum).
    later = [r for r in after if r[0] >= flagged[0]]
    assert all(g == CALIBRATION and ratio > 1.0 for _, g, _, ratio in later), later
    # Titre: out of the calibrated space too, unless already below its calibrated range (an
    # early batch's titre is about 0 g/l: predictions around 0 read UncertainUnderRange).
    assert all(t in (CALIBRATION, ua.StatusCodes.UncertainUnderRange) for _, _, t, _ in later), later
