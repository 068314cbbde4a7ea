"""``gmp-twin golden build|score|show`` on the dryer (a drying batch simulates in a fraction of a
second): simulated reference batches on two processes, recorded ones from CSV files and from a
real SQLite historian, and the one-line errors of bad flags."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics.golden import GoldenModel
from gmp_twin.cli import main
from gmp_twin.golden_batches import PROFILES, BatchSpec, run_batch
from historian import open_historian
from historian.base import Point
from twin.plant import load_plant

REPO = Path(__file__).resolve().parents[2]
PLANT = REPO / "config" / "plant.yaml"
P = PROFILES["fluid_bed_dryer"]
TAGS = tuple(dict.fromkeys([*P.variables, P.maturity, P.clock[0], "phase"]))
NS = 1_000_000_000


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["golden", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("golden") / "dryer-1.npz"
    assert main(["golden", "build", "--unit", "dryer-1", "--batches", "8", "--workers", "2", "--out", str(out)]) == 0
    return out


def test_build_stores_the_model_and_its_summary(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = GoldenModel.load(built)
    assert model.unit == "dryer-1" and model.n_batches == 8 and model.maturity == "drying_time"
    assert model.active == ("phase", [1.0]) and model.units[model.variables.index("nir_lod")] == "%"
    info = model.info
    assert info["source"] == "simulated" and info["seeds"] == [1, 8] and info["dt_s"] == 1.0
    assert any(v.startswith("initial_lod_pct: sd 0.5") for v in info["variability"])
    assert info["shown"][0] == "nir_lod"
    summary = json.loads(built.with_suffix(".json").read_text())
    assert summary["n_components"] == model.n_components
    code, out, _ = run(capsys, "show", "--model", str(built))
    assert code == 0 and "golden batch of dryer-1 (fluid_bed_dryer), 8 reference batches" in out
    assert "maturity drying_time (min)" in out and "cross-validation" in out


def test_score_says_when_a_batch_left_its_envelope(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "score", "--model", str(built), "--seed", "101")
    assert code == 0 and "stayed inside its golden envelope" in out, out
    code, out, _ = run(capsys, "score", "--model", str(built), "--param", "initial_lod_pct=24", "--json")
    result = json.loads(out)
    assert code == 0 and result["alarms"] >= 1 and result["left_envelope_fraction"] < 0.3, result
    assert "ENV" in result["first_alarm"] and result["batch"] == "seed 101, initial_lod_pct=24"


def test_bad_flags_get_one_clear_line(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = [
        (["build", "--unit", "dryer-9"], "no unit named 'dryer-9'; units: mps-pa"),
        (["build", "--unit", "line-1"], "a golden batch is built for batch units"),
        (["build", "--unit", "dryer-1", "--tags", "nir_lod,wetness"], "dryer-1 has no 'wetness'"),
        (["build", "--unit", "dryer-1", "--batches", "2"], "at least 3 reference batches"),
        (["build", "--unit", "dryer-1", "--historian", "sqlite:///x.sqlite"], "--historian needs --start and --end"),
        (["score", "--model", str(built), "--disturbance", "heater_failure"], "write name=value"),
        (["score", "--model", str(built.parent / "none.npz")], "gmp-twin golden build --unit"),
        (["build", "--unit", "dryer-1", "--from-csv", "missing.csv"], "--from-csv missing.csv: no such file"),
    ]
    for argv, needle in cases:
        code, _, err = run(capsys, *argv)
        lines = err.strip().splitlines()
        assert code == 2 and needle in lines[-1], (argv, err)


def _readings(seeds: range) -> list[dict[str, np.ndarray]]:
    cfg = next(u for u in load_plant(PLANT).units if u.name == "dryer-1").model_dump()
    return [run_batch(BatchSpec(cfg, s, 1.0, None, 1.0, P.window_s, TAGS, readings=True)) for s in seeds]


def test_build_from_recorded_csv_files_with_several_batches_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = _readings(range(21, 27))
    files = []
    for i in range(0, 6, 2):  # two drying batches one after the other in each file
        a, b = runs[i], runs[i + 1]
        frame = pd.concat([pd.DataFrame(a), pd.DataFrame({**b, "time_s": b["time_s"] + a["time_s"][-1]})])
        path = tmp_path / f"dryer-{i}.csv"
        frame.to_csv(path, index=False)
        files.append(str(path))
    out = tmp_path / "from-csv.npz"
    code, _, err = run(capsys, "build", "--unit", "dryer-1", "--from-csv", *files, "--out", str(out))
    assert code == 0, err
    model = GoldenModel.load(out)
    assert model.n_batches == 6 and model.info["source"] == "csv" and len(model.info["files"]) == 3
    frame = pd.read_csv(files[0]).drop(columns=["nir_lod"])
    frame.to_csv(tmp_path / "short.csv", index=False)
    code, _, err = run(capsys, "build", "--unit", "dryer-1", "--from-csv", str(tmp_path / "short.csv"))
    assert code == 2 and "no column 'nir_lod'" in err


def test_build_from_a_historian_range(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs = _readings(range(31, 36))
    t0 = 1_800_000_000 * NS
    points, offset = [], 0.0
    for r in runs:
        stamps = t0 + np.round((r["time_s"] + offset) * NS).astype(np.int64)
        for tag in TAGS:
            tags = {"site": "lab", "unit": "dryer-1", "tag": tag, "source": "sim"}
            points += [
                Point("process", tags, {"value": float(v), "status": 0}, int(s))
                for s, v in zip(stamps, r[tag], strict=True)
            ]
        offset += r["time_s"][-1] + 600.0  # ten idle minutes between batches (no samples)
    url = f"sqlite:///{tmp_path}/h.sqlite"

    async def write() -> None:
        async with open_historian(url) as historian:
            await historian.write(points)

    asyncio.run(write())
    out = tmp_path / "from-historian.npz"
    start, end = "2027-01-15T08:00:00Z", "2027-01-15T14:00:00Z"
    code, _, err = run(capsys, "build", "--unit", "dryer-1", "--historian", url, "--site", "lab", "--start", start,
                       "--end", end, "--out", str(out))  # fmt: skip
    assert code == 0, err
    model = GoldenModel.load(out)
    assert model.n_batches == 5 and model.info["source"] == "historian"
