"""`gmp-twin simulate --fault`: the catalogue's faults give the file a live faulty runtime publishes,
and a bad spec is refused naming the --fault and the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from gmp_twin.cli import main
from twin.faults.manager import FaultManager
from twin.plant import build_plant, load_plant
from twin.runtime import TwinRuntime
from twin.sensors import STATUS_SENSOR_FAILURE

REPO = Path(__file__).resolve().parents[2]
PLANT = str(REPO / "config" / "plant.yaml")

#: A controlled level whose transmitter drifts (the loop moves the real level), a stuck valve, a
#: frozen pressure transmitter that later fails, and a bad status on one setpoint.
FAULTS: list[dict[str, Any]] = [
    {"kind": "sensor_drift", "target": {"unit": "mps-pa", "tag": "B101_level"}, "magnitude": 60.0, "start_s": 20},
    {"kind": "valve_stuck", "target": {"unit": "mps-pa", "actuator": "V106"}, "start_s": 40, "duration_s": 30},
    {"kind": "sensor_dropout", "target": {"unit": "mps-pa", "tag": "B103_pressure"}, "start_s": 50},
    {"kind": "comm_status", "target": {"unit": "mps-pa", "tag": "level_sp"}, "status": "uncertain", "start_s": 90},
]


def _simulate(tmp_path: Path, name: str, *extra: str) -> int:
    return main(["simulate", "--plant", PLANT, "--quiet", "--out", str(tmp_path / name), *extra])


@pytest.mark.parametrize("processes", ["1", "2"])
def test_a_faulty_file_equals_a_live_runtime_with_the_same_faults(tmp_path: Path, processes: str) -> None:
    specs = [json.dumps({**f, "target": {k: v for k, v in f["target"].items() if k != "unit"}}) for f in FAULTS]
    args = ["--unit", "mps-pa", "--duration", "120s", "--dt", "0.1", "--seed", "4", "--processes", processes]
    assert _simulate(tmp_path, "f.parquet", *args, *(a for s in specs for a in ("--fault", s))) == 0
    frame = pd.read_parquet(tmp_path / "f.parquet")

    runtime = TwinRuntime(build_plant(load_plant(PLANT), seed=4), seed=4, dt_s=0.1)
    manager = FaultManager(runtime)
    for f in FAULTS:
        manager.inject(f)
    rows = []
    for _ in range(120):
        for _ in range(10):
            runtime.step()
        rows.append(runtime.readings("mps-pa"))
    for tag in ("B101_level", "B102_flow", "B103_pressure", "level_out", "V106_position", "tank102_volume"):
        live = np.array([float(r[tag][0]) for r in rows])
        np.testing.assert_allclose(frame[tag].to_numpy(dtype=float), live, rtol=0, atol=1e-12, err_msg=tag)
    for tag in ("B101_level", "B103_pressure", "level_sp"):
        live_status = [r[tag][1] for r in rows]
        assert frame[f"{tag}__status"].tolist() == live_status, tag
    assert frame["B103_pressure__status"].iloc[-1] == STATUS_SENSOR_FAILURE
    # The drift reached the loop: the real level moved while the reading followed the setpoint.
    assert abs(frame["tank102_volume"].iloc[-1] - frame["tank102_volume"].iloc[15]) > 0.1

    meta = json.loads((tmp_path / "f.parquet.meta.json").read_text())
    timeline = {f["kind"]: f for f in meta["faults"]}
    assert timeline["valve_stuck"]["started_s"] == pytest.approx(40.0) and timeline["valve_stuck"]["state"] == "ended"
    assert timeline["valve_stuck"]["ended_s"] == pytest.approx(70.0)
    assert timeline["sensor_drift"]["spec"]["magnitude"] == 60.0
    assert meta["status_codes"][str(STATUS_SENSOR_FAILURE)] == "BadSensorFailure"


def test_a_process_fault_on_the_bioreactor_changes_the_batch(tmp_path: Path) -> None:
    base = ["--unit", "bioreactor-1", "--duration", "20h", "--dt", "10", "--resolution", "10min"]
    assert _simulate(tmp_path, "ok.csv", *base) == 0
    assert _simulate(tmp_path, "weak.csv", *base, "--fault", "{kind: feed_concentration, magnitude: -0.2}") == 0
    ok, weak = pd.read_csv(tmp_path / "ok.csv"), pd.read_csv(tmp_path / "weak.csv")
    assert weak["biomass"].iloc[-1] < ok["biomass"].iloc[-1]
    assert (weak["feed_flow"] - ok["feed_flow"]).abs().max() < 0.01  # the pump ran as before


def test_faults_from_a_file_and_from_a_scenario(tmp_path: Path) -> None:
    (tmp_path / "faults.yaml").write_text(
        "- {kind: sensor_bias, target: {tag: B101_level}, magnitude: 2}\n"
        "- {kind: pump_wear, magnitude: 0.3, start_s: 30}\n"
    )
    args = ["--unit", "mps-pa", "--duration", "60s"]
    assert _simulate(tmp_path, "a.csv", *args, "--fault", f"@{tmp_path / 'faults.yaml'}") == 0
    meta = json.loads((tmp_path / "a.csv.meta.json").read_text())
    assert [f["kind"] for f in meta["faults"]] == ["sensor_bias", "pump_wear"]
    scenario = REPO / "config" / "scenarios" / "pat-raman-drift.yaml"
    args = ["--unit", "bioreactor-1", "--duration", "1h", "--dt", "10", "--resolution", "60s"]
    assert _simulate(tmp_path, "b.csv", *args, "--fault", f"@{scenario}") == 0
    assert json.loads((tmp_path / "b.csv.meta.json").read_text())["faults"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("{kind: sensor_wobble, target: {tag: B101_level}}", "--fault #1 '{kind: sensor_wobble"),
        ("{kind: sensor_wobble, target: {tag: B101_level}}", "unknown fault kind 'sensor_wobble'; kinds for mps-pa"),
        ("{kind: sensor_bias, target: {tag: nope}, magnitude: 1}", "no measurement 'nope'; measurements: B101_level"),
        ("{kind: sensor_bias, target: {tag: B101_level}}", "'magnitude' is required"),
        ("{kind: sensor_bias, target: {tagg: B101_level}, magnitude: 1}", "target.tagg: Extra inputs are not"),
        ("{kind: sensor_bias, target: {tag: B101_level}, magnitude: 1, start: 5}", "start: Extra inputs"),
        ("{kind: leak, magnitude: 1e6}", "outside its physical range"),
        ("{kind: sensor_bias, target: {unit: dryer-1, tag: x}, magnitude: 1}", "not the simulated unit 'mps-pa'"),
        ("{kind: comm_session_drop}", "a file has no OPC UA sessions; inject it in `gmp-twin run`"),
        ("{kind: fouling, magnitude: 0.2}", "mps_pa units support"),
        ("sensor_bias", "a fault is a mapping with kind and target"),
        ("{kind: [", "not YAML"),
        ("@/nonexistent/faults.yaml", "cannot read /nonexistent/faults.yaml"),
    ],
)
def test_a_bad_fault_spec_names_the_flag_and_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], spec: str, message: str
) -> None:
    assert _simulate(tmp_path, "x.csv", "--unit", "mps-pa", "--duration", "10s", "--fault", spec) == 2
    err = capsys.readouterr().err
    assert message in err and "--fault #1" in err
    assert not (tmp_path / "x.csv").exists()


def test_fault_help_lists_the_kinds_of_the_unit(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--plant", PLANT, "--unit", "line-1", "--fault", "help"]) == 0
    out = capsys.readouterr().out
    assert "jam: target machine: filler, capper, labeller, checkweigher, cartoner" in out
    assert "comm_frozen_timestamp" not in out and "fouling" not in out
