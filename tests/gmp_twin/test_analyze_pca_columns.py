"""``gmp-twin analyze pca --all-columns`` works on every CSV ``gmp-twin simulate`` writes.

Each unit of the shipped plant is simulated for an hour (10-s rows); the PCA drops and
reports its constant setpoints, its clocks (``time_s``, ``batch_time``...), its counters and
step codes, and fits on what is left. Also: ``--keep``, ``--exclude``, a constant column
that moves in the data, and the errors they give.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gmp_twin.cli import main

UNITS = ["mps-pa", "bioreactor-1", "line-1", "autoclave-1", "dryer-1"]


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GMP_TWIN_LANG", "en")


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("sim")
    files = {}
    for unit in UNITS:
        path = out / f"{unit}.csv"
        argv = ["simulate", "--unit", unit, "--duration", "1h", "--resolution", "10s", "--out", str(path), "--quiet"]
        code = main(argv)
        assert code == 0 and path.exists(), unit
        files[unit] = path
    return files


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["analyze", "pca", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize("unit", UNITS)
def test_all_columns_works_on_every_simulate_csv(
    capsys: pytest.CaptureFixture[str], simulated: dict[str, Path], unit: str
) -> None:
    csv = str(simulated[unit])
    d = run_json(capsys, "--reference", csv, "--data", csv, "--all-columns")
    dropped = d["dropped_columns"]
    assert dropped["time_s"] == "time"
    assert "time_s" not in d["variables"] and len(d["variables"]) >= 2
    assert d["component_rule"] == "parallel" and 1 <= d["n_components"] < len(d["variables"])
    assert any(n.startswith("dropped time column(s) time_s") for n in d["notes"])
    assert d["false_alarm"]["expected"] == pytest.approx(0.01)
    if unit == "bioreactor-1":
        assert dropped["batch_time"] == "time" and dropped["feed_total"] == "counter"
        assert dropped["temperature_sp"] == "constant"
    if unit == "line-1":
        assert dropped["filler_produced"] == "counter" and dropped["filler_state"] == "step"
    if unit == "dryer-1":
        assert dropped["phase"] == "step" and dropped["drying_time"] == "time"


def test_keep_exclude_and_the_summary(capsys: pytest.CaptureFixture[str], simulated: dict[str, Path]) -> None:
    csv = str(simulated["bioreactor-1"])
    d = run_json(capsys, "--reference", csv, "--data", csv, "--keep", "feed_total", "--exclude", "biomass")
    assert "feed_total" in d["variables"] and "biomass" not in d["variables"]
    assert any("kept column(s) feed_total as asked" in n for n in d["notes"])
    assert any("left out column(s) biomass (--exclude)" in n for n in d["notes"])
    code, out, err = run(capsys, "--reference", csv, "--data", csv, "--normal", csv)
    assert code == 0, err
    assert "components chosen by parallel analysis" in out and "limits from: T²" in out
    assert "false-alarm rate to expect from the alarm: at most 1.0 % of normal rows (each limit at 0.50 %)" in out
    assert "observed on the normal data" in out
    assert "note: dropped time column(s) time_s, batch_time" in out


def test_a_constant_reference_column_that_moves_in_the_data_is_reported(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, simulated: dict[str, Path]
) -> None:
    lines = simulated["mps-pa"].read_text().splitlines()
    head = lines[0].split(",")
    j = head.index("level_sp")
    moved = [lines[0]]
    for i, line in enumerate(lines[1:]):
        cells = line.split(",")
        if i >= 100:
            cells[j] = str(float(cells[j]) + 5.0)  # someone changed the setpoint
        moved.append(",".join(cells))
    data = tmp_path / "moved.csv"
    data.write_text("\n".join(moved) + "\n")
    d = run_json(capsys, "--reference", str(simulated["mps-pa"]), "--data", str(data))
    assert any(n.startswith("column level_sp is constant in the reference but changes in") for n in d["notes"])
    assert any("first at data row 101" in n for n in d["notes"])


def test_bad_column_flags_name_the_column(capsys: pytest.CaptureFixture[str], simulated: dict[str, Path]) -> None:
    csv = str(simulated["mps-pa"])
    code, _, err = run(capsys, "--reference", csv, "--data", csv, "--exclude", "nope")
    assert code == 2 and "--exclude nope: no such column" in err
    code, _, err = run(capsys, "--reference", csv, "--data", csv, "--column", "time_s", "--column", "level_sp")
    assert code == 2 and "PCA needs at least 2" in err and "level_sp (constant)" in err
    code, _, err = run(capsys, "--reference", csv, "--data", csv, "--signal", "spe", "--alpha-per-limit")
    assert code == 2 and "--alpha-per-limit applies to --signal either only" in err
