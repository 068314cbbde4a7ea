"""``gmp-twin analyze spc`` warns about autocorrelated or trending data, names the remedy and runs it.

The case of issue #15: dissolved oxygen of a normal bioreactor batch sampled every second
(lag-1 autocorrelation near 1, drifting as the culture grows) gave thousands of EWMA alarms
without a word of warning. Here a 40-minute batch is simulated at 1-s rows.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gmp_twin.cli import main

REF = "1200"


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GMP_TWIN_LANG", "en")


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bio") / "batch.csv"
    code = main(["simulate", "--unit", "bioreactor-1", "--duration", "40min", "--out", str(path), "--quiet"])
    assert code == 0
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["analyze", "spc", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def test_autocorrelated_column_is_warned_with_the_remedy(capsys: pytest.CaptureFixture[str], batch: Path) -> None:
    args = ("--data", str(batch), "--column", "do", "--column", "temperature", "--method", "ewma")
    d = run_json(capsys, *args, "--reference-rows", REF)
    do, temp = d["columns"]["do"], d["columns"]["temperature"]
    assert do["diagnosis"]["autocorrelated"] and do["diagnosis"]["lag1"] > 0.9
    assert do["warnings"] and "lag-1 autocorrelation" in do["warnings"][0]
    assert set(do["diagnosis"]["remedies"]) >= {"ar1", "ewma"}
    assert temp["diagnosis"]["autocorrelated"] is False and temp["warnings"] == []
    assert d["diagnosed_on"] == "reference"
    raw_alarms = len(do["alarm_rows"])
    assert raw_alarms > 0.3 * do["n_rows"]  # the chart cannot be trusted as it is
    code, out, err = run(capsys, *args, "--reference-rows", REF)
    assert code == 0, err
    assert "warning: do: lag-1 autocorrelation" in out and "remedy:" in out and "--residuals" in out
    assert "warning: temperature" not in out

    fixed = run_json(capsys, *args, "--reference-rows", REF, "--residuals", "ar1")
    res = fixed["columns"]["do"]
    assert fixed["residuals"] == "ar1" and res["residuals"]["model"] == "ar1"
    assert res["residuals"]["parameters"]["phi"] > 0.9
    # The residual chart is back near its designed rate (ARL0 370: ~6-7 alarms on 2400 rows).
    assert len(res["alarm_rows"]) <= 0.01 * res["n_rows"] < raw_alarms
    assert not any("NaN" in n for n in res["notes"])  # the first row has no residual: not a file's NaN
    code, out, err = run(capsys, *args, "--reference-rows", REF, "--residuals", "ewma")
    assert code == 0, err
    assert "residuals of an EWMA forecast" in out and "do: chart of the residuals of an EWMA forecast (λ" in out


def test_all_columns_skips_what_cannot_be_charted(capsys: pytest.CaptureFixture[str], batch: Path) -> None:
    d = run_json(capsys, "--data", str(batch), "--all-columns", "--method", "shewhart", "--reference-rows", REF)
    skipped = d["skipped_columns"]
    assert skipped["time_s"] == "time" and skipped["temperature_sp"] == "constant"
    assert skipped["feed_total"] == "counter"
    assert "do" in d["columns"] and "time_s" not in d["columns"]
    assert any(n.startswith("dropped constant column(s) ") and "temperature_sp" in n for n in d["notes"])


def test_residual_flags_are_checked(capsys: pytest.CaptureFixture[str], batch: Path) -> None:
    base = ("--data", str(batch), "--column", "do", "--method", "ewma")
    code, _, err = run(capsys, *base, "--residuals", "ar1", "--mean", "1", "--sigma", "1")
    assert code == 2 and "--reference-rows N" in err
    code, _, err = run(capsys, *base, "--residuals", "ar1", "--reference-rows", REF, "--mean", "1")
    assert code == 2 and "leave them out" in err
    code, out, err = run(capsys, *base, "--reference-rows", REF, "--lang", "fr")
    assert code == 0, err
    assert "avertissement\u00a0: do\u00a0: autocorrélation de décalage 1" in out and "remède\u00a0:" in out
