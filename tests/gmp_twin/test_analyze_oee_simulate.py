"""``gmp-twin analyze oee`` reads what ``gmp-twin simulate --unit line-1`` writes (both real CLI runs)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from gmp_twin.cli import main

REPO = Path(__file__).resolve().parents[2]
MACHINES = ["filler", "capper", "labeller", "checkweigher", "cartoner"]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gmp_twin", *args], cwd=REPO, capture_output=True, text=True, timeout=300
    )


def test_oee_of_a_simulated_line(tmp_path: Path) -> None:
    data = tmp_path / "line.csv"
    made = _cli("simulate", "--unit", "line-1", "--duration", "1h", "--out", str(data), "--quiet")
    assert made.returncode == 0, made.stderr
    done = _cli("analyze", "oee", "--states", str(data), "--line", ",".join(MACHINES), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert list(report["machines"]) == MACHINES
    with data.open() as f:
        rows = list(csv.DictReader(f))
    first, last = rows[0], rows[-1]
    for machine, r in report["machines"].items():
        # Cumulative counters: the whole hour's output, judged at the machine's speed setpoint.
        produced = float(last[f"{machine}_produced"]) - float(first[f"{machine}_produced"])
        assert r["produced"] == produced > 0, machine
        assert 0 < r["oee"] <= 1 and r["ideal_rate_per_min"] == float(last[f"{machine}_speed_sp"]), (machine, r)
    assert 0 < report["line"]["oee"] <= 1


def test_a_plain_states_file_still_needs_its_columns(tmp_path: Path) -> None:
    bad = tmp_path / "states.csv"
    bad.write_text("time,machine\n0,filler\n")
    done = _cli("analyze", "oee", "--states", str(bad))
    assert done.returncode != 0 and "timestamp,machine,state" in done.stderr


def test_oee_of_a_measured_only_parquet_line_file_equals_the_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same run as Parquet with only what the plant measures: the same OEE as its CSV (in-process runs)."""
    reports = []
    for name, extra in (("line.csv", []), ("line.parquet", ["--measured-only"])):
        data = tmp_path / name
        assert main(["simulate", "--unit", "line-1", "--duration", "30min", "--out", str(data), "--quiet", *extra]) == 0
        capsys.readouterr()
        assert main(["analyze", "oee", "--states", str(data), "--line", ",".join(MACHINES), "--json"]) == 0
        reports.append(json.loads(capsys.readouterr().out))
    assert "fill_weight_mean" in json.loads((tmp_path / "line.parquet.meta.json").read_text())["dropped_columns"]
    csv_r, pq_r = reports
    for m in MACHINES:
        assert pq_r["machines"][m]["oee"] == pytest.approx(csv_r["machines"][m]["oee"], abs=1e-9), m
        assert pq_r["machines"][m]["produced"] == csv_r["machines"][m]["produced"], m


def test_a_simulate_file_of_another_unit_says_what_oee_needs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "bio.csv"
    args = ["--duration", "10min", "--dt", "10", "--resolution", "1min", "--out", str(data), "--quiet"]
    assert main(["simulate", "--unit", "dryer-1", *args]) == 0
    assert main(["analyze", "oee", "--states", str(data)]) != 0
    err = capsys.readouterr().err
    assert "a `gmp-twin simulate` file of dryer-1 (fluid_bed_dryer)" in err
    assert "gmp-twin simulate --unit line-1" in err
