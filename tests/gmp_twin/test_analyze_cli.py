"""``gmp-twin analyze spc|pca|oee`` on small CSV / .dat files written in tmp_path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gmp_twin.cli import main


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    """The summaries checked here are the English ones (test_analyze_lang.py checks French)."""
    monkeypatch.setenv("GMP_TWIN_LANG", "en")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["analyze", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def one_line_error(code: int, err: str, *needles: str) -> None:
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gmp-twin analyze"), err
    for n in needles:
        assert n in lines[0], (n, lines[0])


def write_csv(path: Path, header: list[str], rows: Any) -> Path:
    lines = [",".join(header)] + [",".join(str(v) for v in r) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


# ----------------------------------------------------------------------------- spc


@pytest.fixture
def spc_csv(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    temp = rng.normal(50, 2, 80)
    temp[50:] += 8  # a 4-sigma shift at row index 50
    press = rng.normal(10, 1, 80)
    rows = [[f"t{i}", f"{temp[i]:.4f}", f"{press[i]:.4f}"] for i in range(80)]
    return write_csv(tmp_path / "process.csv", ["time", "temp", "press"], rows)


def test_spc_json_per_column(capsys: pytest.CaptureFixture[str], spc_csv: Path) -> None:
    d = run_json(
        capsys,
        "spc",
        "--data",
        str(spc_csv),
        "--column",
        "temp",
        "--column",
        "press",
        "--method",
        "shewhart",
        "--mean",
        "50",
        "--sigma",
        "2",
        "--rules",
        "we",
    )
    assert d["rules"] == "we" and set(d["columns"]) == {"temp", "press"}
    temp = d["columns"]["temp"]
    assert len(temp["statistic"]) == len(temp["ucl"]) == 80
    assert temp["ucl"][0] == pytest.approx(56.0) and temp["first_alarm"] is not None
    assert any(50 <= r < 55 for r in temp["alarm_rows"])
    assert temp["alarms"][0]["rules"]  # which rule fired
    assert temp["first_alarm"] == temp["alarm_rows"][0]


def test_spc_ewma_and_cusum_summaries(capsys: pytest.CaptureFixture[str], spc_csv: Path) -> None:
    code, out, _ = run(
        capsys,
        "spc",
        "--data",
        str(spc_csv),
        "--all-columns",
        "--drop-non-numeric",
        "--method",
        "ewma",
        "--reference-rows",
        "40",
        "--lambda",
        "0.2",
    )
    assert code == 0 and "ewma chart" in out and "temp" in out and "dropped non-numeric column 'time'" in out
    d = run_json(
        capsys,
        "spc",
        "--data",
        str(spc_csv),
        "--column",
        "temp",
        "--method",
        "cusum",
        "--reference-rows",
        "40",
        "--k",
        "0.5",
        "--h",
        "4",
    )
    assert any(50 <= r < 60 for r in d["columns"]["temp"]["alarm_rows"])  # soon after the shift


def test_spc_errors_are_one_line(capsys: pytest.CaptureFixture[str], spc_csv: Path, tmp_path: Path) -> None:
    code, _, err = run(
        capsys, "spc", "--data", str(spc_csv), "--all-columns", "--method", "shewhart", "--reference-rows", "20"
    )
    one_line_error(code, err, "process.csv", "'time'", "--drop-non-numeric")
    code, _, err = run(capsys, "spc", "--data", str(spc_csv), "--column", "temp", "--method", "shewhart")
    one_line_error(code, err, "--mean", "--reference-rows")
    code, _, err = run(
        capsys, "spc", "--data", str(spc_csv), "--column", "nope", "--method", "ewma", "--reference-rows", "20"
    )
    one_line_error(code, err, "no column 'nope'", "temp")
    const = write_csv(tmp_path / "const.csv", ["a"], [[1.0]] * 10)
    code, _, err = run(
        capsys, "spc", "--data", str(const), "--all-columns", "--method", "shewhart", "--reference-rows", "5"
    )
    one_line_error(code, err, "const.csv", "'a'", "constant")


def test_spc_missing_values(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rows: list[list[object]] = [[x] for x in np.random.default_rng(1).normal(0, 1, 30).round(3)]
    rows[7] = [""]
    f = write_csv(tmp_path / "gaps.csv", ["x"], rows)
    code, _, err = run(
        capsys, "spc", "--data", str(f), "--all-columns", "--method", "shewhart", "--mean", "0", "--sigma", "1"
    )
    one_line_error(code, err, "gaps.csv", "row(s) 8", "--drop-missing")
    d = run_json(
        capsys,
        "spc",
        "--data",
        str(f),
        "--all-columns",
        "--method",
        "shewhart",
        "--mean",
        "0",
        "--sigma",
        "1",
        "--drop-missing",
    )
    assert d["columns"]["x"]["skipped_rows"] == [7] and d["columns"]["x"]["statistic"][7] is None
    assert any("missing" in n for n in d["notes"])


# ----------------------------------------------------------------------------- pca

NAMES = ["flow", "temp", "press", "level", "speed"]


def process(n: int, rng: np.random.Generator) -> np.ndarray:
    mixing = np.array([[1.0, 0.8, 0.0, 0.5, 0.7], [0.0, 0.6, 1.0, -0.5, 0.0]])
    return 10 + rng.normal(size=(n, 2)) @ mixing + 0.2 * rng.normal(size=(n, 5))


@pytest.fixture
def pca_files(tmp_path: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(4)
    test = process(60, rng)
    test[40:, 3] += 1.5  # level sensor drift from index 40
    ref = write_csv(tmp_path / "ref.csv", NAMES, process(400, rng).round(5))
    # The test file has its columns in another order and an extra text column.
    order = [4, 0, 1, 2, 3]
    rows = [[f"b{i}", *test[i, order].round(5)] for i in range(60)]
    data = write_csv(tmp_path / "test.csv", ["batch", *[NAMES[j] for j in order]], rows)
    return ref, data


def test_pca_json(capsys: pytest.CaptureFixture[str], pca_files: tuple[Path, Path]) -> None:
    ref, data = pca_files
    d = run_json(capsys, "pca", "--reference", str(ref), "--data", str(data), "--components", "2", "--drop-non-numeric")
    assert d["variables"] == NAMES and d["n_components"] == 2
    assert len(d["t2"]) == len(d["spe"]) == len(d["rows"]) == 60
    assert set(d["limits"]) == {"t2", "spe", "combined"}
    assert sum(d["spe_alarm"][40:]) >= 18 and d["first_alarm"] is not None
    late = [a for a in d["alarms"] if a["row"] >= 40 and a["spe_alarm"]]
    assert late and all(a["spe_top"][0]["variable"] == "level" for a in late)
    assert any("dropped non-numeric column 'batch'" in n for n in d["notes"])


def test_pca_summary_empirical_and_lags(capsys: pytest.CaptureFixture[str], pca_files: tuple[Path, Path]) -> None:
    ref, data = pca_files
    code, out, err = run(
        capsys,
        "pca",
        "--reference",
        str(ref),
        "--data",
        str(data),
        "--variance",
        "0.9",
        "--limits",
        "empirical",
        "--lags",
        "1",
        "--drop-non-numeric",
    )
    assert code == 0, err
    assert "lags 1" in out and "empirical" in out and "level" in out and "first alarm at data row" in out
    assert "cross-validation" in out


def test_pca_dat_files_without_header(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rng = np.random.default_rng(8)
    ref, test = process(300, rng), process(20, rng)
    np.savetxt(tmp_path / "ref.dat", ref.T)  # stored one variable per line, as TEP d00.dat
    np.savetxt(tmp_path / "test.dat", test)
    code, _, err = run(capsys, "pca", "--reference", str(tmp_path / "ref.dat"), "--data", str(tmp_path / "test.dat"))
    one_line_error(code, err, "test.dat", "--transpose-reference")
    d = run_json(
        capsys,
        "pca",
        "--reference",
        str(tmp_path / "ref.dat"),
        "--transpose-reference",
        "--data",
        str(tmp_path / "test.dat"),
        "--components",
        "2",
    )
    assert d["variables"] == ["x1", "x2", "x3", "x4", "x5"] and len(d["t2"]) == 20


def test_pca_bad_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    x = process(50, rng)
    x[:, 2] = 3.0
    const = write_csv(tmp_path / "const.csv", NAMES, x.round(4))
    code, out, err = run(capsys, "pca", "--reference", str(const), "--data", str(const))
    assert code == 0, err  # a constant column is dropped and reported, not an error
    assert "note: dropped constant column(s) press" in out
    code, _, err = run(capsys, "pca", "--reference", str(const), "--data", str(const), "--drop-constant")
    assert code == 0, err  # the old flag is still accepted
    short = write_csv(tmp_path / "short.csv", NAMES, process(4, rng).round(4))
    code, _, err = run(capsys, "pca", "--reference", str(short), "--data", str(short))
    one_line_error(code, err, "short.csv", "more rows than variables")
    other = write_csv(tmp_path / "other.csv", ["a", "b"], [[1, 2], [3, 4]])
    code, _, err = run(capsys, "pca", "--reference", str(const), "--data", str(other), "--drop-constant")
    one_line_error(code, err, "other.csv", "flow")
    code, _, err = run(capsys, "pca", "--reference", str(tmp_path / "absent.csv"), "--data", str(other))
    one_line_error(code, err, "absent.csv", "not found")


# ----------------------------------------------------------------------------- oee

# The worked example of tests/twin/test_oee.py as CSV files (OEE = 2 s x 4950 / 14 400 s = 0.6875).
STATES = """timestamp,machine,state,cause
2024-05-02T06:00:00Z,filler,Idle,
2024-05-02T06:14:00Z,filler,Starting,
2024-05-02T06:15:00Z,filler,4,
2024-05-02T07:30:00Z,filler,Held,jam
2024-05-02T07:32:00Z,filler,Execute,
2024-05-02T08:30:00Z,filler,HELD,motor
2024-05-02T08:50:00Z,filler,Unholding,
2024-05-02T08:51:00Z,filler,Execute,
2024-05-02T09:30:00Z,filler,Suspended,
2024-05-02T09:40:00Z,filler,Execute,
2024-05-02T09:55:00Z,filler,Completing,
2024-05-02T09:56:00Z,filler,Complete,
"""
COUNTS = """timestamp,machine,produced,good,rejected
2024-05-02T06:15:00Z,filler,0,0,0
2024-05-02T06:20:00Z,filler,100,88,12
2024-05-02T10:00:00Z,filler,5000,4950,50
"""


@pytest.fixture
def oee_files(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "states.csv").write_text(STATES)
    (tmp_path / "counts.csv").write_text(COUNTS)
    return tmp_path / "states.csv", tmp_path / "counts.csv"


def test_oee_worked_example(capsys: pytest.CaptureFixture[str], oee_files: tuple[Path, Path]) -> None:
    states, counts = oee_files
    d = run_json(capsys, "oee", "--states", str(states), "--counts", str(counts), "--ideal-rate", "30")
    r = d["machines"]["filler"]
    assert r["oee"] == pytest.approx(0.6875)
    assert r["availability"] == pytest.approx(11220 / 14400)
    assert r["losses"]["breakdowns_by_cause"] == {"motor": 1260.0}
    assert r["losses"]["startup_losses_s"] == pytest.approx(24.0)
    assert r["mtbf_s"] == pytest.approx(5610.0) and r["mttr_s"] == pytest.approx(1260.0)
    assert r["start"] == "2024-05-02T06:00:00Z" and d["line"] is None
    code, out, _ = run(capsys, "oee", "--states", str(states), "--counts", str(counts), "--ideal-rate", "filler=30")
    assert code == 0 and "OEE 68.8 %" in out and "motor" in out


def test_oee_without_rate_and_with_periods(
    capsys: pytest.CaptureFixture[str], oee_files: tuple[Path, Path], tmp_path: Path
) -> None:
    states, counts = oee_files
    code, out, _ = run(capsys, "oee", "--states", str(states), "--counts", str(counts))
    assert code == 0 and "performance n/a" in out and "--ideal-rate" in out
    periods = tmp_path / "periods.csv"
    periods.write_text(
        "name,start,end\nam,2024-05-02T06:00:00Z,2024-05-02T08:00:00Z\npm,2024-05-02T08:00:00Z,2024-05-02T10:00:00Z\n"
    )
    d = run_json(
        capsys, "oee", "--states", str(states), "--counts", str(counts), "--ideal-rate", "30", "--periods", str(periods)
    )
    am, pm = d["periods"]["am"]["filler"], d["periods"]["pm"]["filler"]
    assert am["pbt_s"] == pm["pbt_s"] == 7200
    assert am["produced"] + pm["produced"] == pytest.approx(5000)


def test_oee_bad_files(capsys: pytest.CaptureFixture[str], oee_files: tuple[Path, Path], tmp_path: Path) -> None:
    states, counts = oee_files
    bad = tmp_path / "bad_states.csv"
    bad.write_text("timestamp,machine,state\n0,m,Execute\n60,m,Running\n")
    code, _, err = run(capsys, "oee", "--states", str(bad))
    one_line_error(code, err, "bad_states.csv", "row 2", "Running")
    code, _, err = run(capsys, "oee", "--states", str(counts))
    one_line_error(code, err, "counts.csv", "'state'", "timestamp,machine,state")
    incons = tmp_path / "incons.csv"
    incons.write_text("timestamp,machine,produced,good,rejected\n2024-05-02T06:15:00Z,filler,10,5,1\n")
    code, _, err = run(capsys, "oee", "--states", str(states), "--counts", str(incons))
    one_line_error(code, err, "incons.csv", "produced != good + rejected")
    code, _, err = run(capsys, "oee", "--states", str(states), "--ideal-rate", "fast")
    one_line_error(code, err, "--ideal-rate", "items per minute")


def test_installed_command_in_a_subprocess(oee_files: tuple[Path, Path], tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "gmp-twin"
    if not exe.exists():
        pytest.skip(f"{exe} not installed (pip install -e .)")
    states, counts = oee_files
    ok = subprocess.run(
        [str(exe), "analyze", "oee", "--states", str(states), "--counts", str(counts), "--ideal-rate", "30", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["machines"]["filler"]["oee"] == pytest.approx(0.6875)
    bad = subprocess.run(
        [str(exe), "analyze", "pca", "--reference", str(tmp_path / "nope.csv"), "--data", str(counts)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and bad.stdout == ""
    assert len(bad.stderr.strip().splitlines()) == 1 and "nope.csv" in bad.stderr
