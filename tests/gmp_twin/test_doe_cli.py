"""``gmp-twin doe``: the result directory, the bioreactor's feed-scale factor, the same runs on
any number of processes, and clear errors for what it cannot do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analytics.doe_results import load_result, read_csv
from gmp_twin.cli import main

PLANT = str(Path(__file__).resolve().parents[2] / "config" / "plant.yaml")
QUICK = ["--grid", "11", "--draws", "200", "--quiet", "--lang", "en"]


def _doe(out: Path, *extra: str) -> int:
    return main(["doe", "--plant", PLANT, "--out", str(out), *QUICK, *extra])


def test_dryer_study_writes_every_file_and_its_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "dryer"
    assert _doe(out, "--unit", "dryer-1", "--jobs", "2") == 0
    printed = capsys.readouterr().out
    assert "Design: ccd, 11 runs" in printed and "Response models (quadratic, dof 5)" in printed
    summary = json.loads((out / "summary.json").read_text())
    for name in summary["files"]:
        assert (out / name).stat().st_size > 0, name
    assert (out / "design_space.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert summary["axes"] == ["inlet_temperature", "air_flow"]
    assert [s["text"] for s in summary["specs"]] == [
        "drying_time ≤ 30",
        "max_product_temperature ≤ 40",
        "final_lod ≤ 2.5",
    ]
    dt = summary["models"]["drying_time"]
    assert dt["transform"] == "log" and dt["r2"] > 0.9 and dt["q2"] > 0.5
    terms = {c["term"]: c for c in dt["coefficients"]}
    # Hotter and more air dry faster: both main effects negative and significant.
    assert terms["inlet_temperature"]["coefficient"] < 0 and terms["inlet_temperature"]["p_value"] < 0.01
    assert terms["air_flow"]["coefficient"] < 0 and terms["air_flow"]["p_value"] < 0.01
    runs = read_csv(out / "runs.csv")
    assert len(runs["run"]) == 11 and set(runs["ended"]) == {1.0}
    assert min(runs["inlet_temperature"]) == 50.0 and max(runs["air_flow"]) == 450.0
    assert "var:initial_lod_pct" in runs  # each batch's raw material, drawn per run
    grid = load_result(out)
    assert len(grid.grid["p_all"]) == 11 * 11
    _, _, p = grid.surface("p_all")
    assert p.shape == (11, 11)
    coefficients = read_csv(out / "coefficients.csv")
    assert len(coefficients["term"]) == 3 * 6


def test_runs_are_the_same_on_one_process_and_on_two(tmp_path: Path) -> None:
    common = ["--unit", "dryer-1", "--design", "lhs", "--runs", "8", "--model", "linear"]
    assert _doe(tmp_path / "one", *common, "--jobs", "1") == 0
    assert _doe(tmp_path / "two", *common, "--jobs", "2") == 0
    assert (tmp_path / "one" / "runs.csv").read_text() == (tmp_path / "two" / "runs.csv").read_text()
    assert (tmp_path / "one" / "design_space.csv").read_text() == (tmp_path / "two" / "design_space.csv").read_text()


def test_bioreactor_feed_scale_temperature_and_ph(tmp_path: Path) -> None:
    """A short batch (30 h at a 300 s step) keeps it quick; the feed scale drives the volume."""
    out = tmp_path / "bio"
    args = ["--unit", "bioreactor-1", "--design", "ff2", "--duration", "30h", "--dt", "300", "--variability", "none"]
    args += ["--factors", "feed_scale=0.8:1.2,temperature=23:27,ph=6.2:6.8", "--responses", "titre,final_volume"]
    args += ["--spec", "final_volume<=60.5", "--hold", "ph=6.4", "--jobs", "2"]
    assert _doe(out, *args) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["design"]["runs"] == 8 + 3 and summary["model"]["kind"] == "interaction"
    assert summary["held"] == {"ph": 6.4}
    assert summary["simulation"] == {"dt_s": 300.0, "max_duration_s": 30 * 3600.0}
    volume = {c["term"]: c for c in summary["models"]["final_volume"]["coefficients"]}
    assert volume["feed_scale"]["coefficient"] > 0 and volume["feed_scale"]["p_value"] < 0.01
    runs = read_csv(out / "runs.csv")
    assert set(runs["end_s"]) == {30 * 3600.0}
    assert summary["factors"][0]["acts_on"] == "feed_scale:recipe"


def test_autoclave_f0_design_space(tmp_path: Path) -> None:
    """F0 grows exponentially with the hold temperature: fitted on a log scale, it is nearly exact."""
    out = tmp_path / "autoclave"
    assert _doe(out, "--unit", "autoclave-1", "--jobs", "2") == 0
    summary = json.loads((out / "summary.json").read_text())
    f0 = summary["models"]["f0"]
    assert f0["transform"] == "log" and f0["r2"] > 0.99 and f0["q2"] > 0.9
    terms = {c["term"]: c["coefficient"] for c in f0["coefficients"]}
    assert terms["hold_temperature"] > 0 and terms["hold_time"] > 0
    # F0 >= 15 asks for heat, max load temperature <= 124 °C caps it: a band in between.
    assert 0.2 < summary["design_space"]["fraction"] < 0.9


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--unit", "dryer-9"], "no unit named 'dryer-9'"),
        (["--unit", "mps-pa"], "gmp-twin doe does not know unit type 'mps_pa' yet"),
        (["--unit", "dryer-1", "--factors", "colour=1:2"], "fluid_bed_dryer has no factor 'colour'"),
        (["--unit", "dryer-1", "--factors", "inlet_temperature=80:50"], "low 80.0 must be below high 50.0"),
        (["--unit", "dryer-1", "--factors", "inlet_temperature=50"], "use name=low:high"),
        (["--unit", "dryer-1", "--factors", "inlet_temperature=50:80"], "a design space needs at least 2 factors"),
        (["--unit", "dryer-1", "--spec", "final_lod=<2"], "--spec 'final_lod=<2': use name<=value"),
        (["--unit", "dryer-1", "--responses", "colour"], "fluid_bed_dryer has no response 'colour'"),
        (["--unit", "dryer-1", "--design", "ff2", "--model", "quadratic"], "use --model interaction"),
        (["--unit", "dryer-1", "--axes", "inlet_temperature,ntu"], "--axes inlet_temperature,ntu: ntu is not a factor"),
        (["--unit", "dryer-1", "--probability", "1.5"], "--probability 1.5: must be between 0 and 1"),
        (["--unit", "dryer-1", "--factors", "inlet_temperature=20:80,air_flow=200:450"],
         "inlet_temperature_sp = 20.0 is outside the allowed range"),
        (["--unit", "dryer-1", "--transform", "drying_time=sqrt"], "--transform drying_time=sqrt: use log or none"),
        (["--unit", "dryer-1", "--factors", "inlet_temperature=50:80,air_flow=200:450,initial_lod=18:22",
          "--hold", "initial_lod=25"], "--hold initial_lod=25: outside the factor's range 18-22"),
    ],
)  # fmt: skip
def test_bad_input_names_the_flag_and_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    assert _doe(tmp_path / "x", "--jobs", "1", *extra) == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert not (tmp_path / "x" / "summary.json").exists()
