"""`gmp-twin simulate`: same data as a live runtime, deterministic, CSV and Parquet."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gmp_twin.cli import main
from twin.plant import build_plant, load_plant
from twin.runtime import TwinRuntime

REPO = Path(__file__).resolve().parents[2]
PLANT = str(REPO / "config" / "plant.yaml")


def simulate(tmp_path: Path, name: str, *extra: str) -> pd.DataFrame:
    out = tmp_path / name
    assert main(["simulate", "--plant", PLANT, "--unit", "mps-pa", "--quiet", "--out", str(out), *extra]) == 0
    return pd.read_parquet(out) if out.suffix == ".parquet" else pd.read_csv(out)


def test_file_equals_a_live_runtime_with_the_same_seed(tmp_path: Path) -> None:
    frame = simulate(tmp_path, "a.parquet", "--duration", "120s", "--dt", "0.1", "--resolution", "1s", "--seed", "4")
    runtime = TwinRuntime(build_plant(load_plant(PLANT), seed=4), seed=4, dt_s=0.1)
    rows = []
    for _ in range(120):
        for _ in range(10):
            runtime.step()
        rows.append({k: float(v) for k, (v, _s) in runtime.readings("mps-pa").items()})
    live = pd.DataFrame(rows)
    assert len(frame) == 120
    np.testing.assert_allclose(frame["time_s"], np.arange(1, 121))
    for tag in ("B101_level", "B102_flow", "B103_pressure", "B104_temperature", "level_out", "S115_closed"):
        np.testing.assert_allclose(frame[tag].to_numpy(dtype=float), live[tag].to_numpy(), rtol=0, atol=1e-12)


def test_same_seed_identical_other_seed_differs(tmp_path: Path) -> None:
    a = simulate(tmp_path, "a.csv", "--duration", "10min", "--seed", "1")
    b = simulate(tmp_path, "b.csv", "--duration", "10min", "--seed", "1")
    c = simulate(tmp_path, "c.csv", "--duration", "10min", "--seed", "2")
    pd.testing.assert_frame_equal(a, b)
    assert not a["B101_level"].equals(c["B101_level"])
    assert len(a) == 600


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--unit", "nope", "--duration", "1h", "--out", "x.csv"], "no unit named 'nope'; units: mps-pa"),
        (["--unit", "mps-pa", "--duration", "2x", "--out", "x.csv"], "bad duration '2x'"),
        (["--unit", "mps-pa", "--duration", "1h", "--out", "x.xlsx"], "use a .csv or .parquet"),
        (["--unit", "mps-pa", "--duration", "1h", "--speed", "-3", "--out", "x.csv"], "must be > 0"),
    ],
)
def test_bad_arguments_exit_2_with_a_clear_message(tmp_path: Path, args: list[str], message: str) -> None:
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("gmp-twin")), "simulate", "--plant", PLANT, *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert message in proc.stderr
