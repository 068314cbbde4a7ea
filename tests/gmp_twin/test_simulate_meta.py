"""`gmp-twin simulate`: the side-car ``<file>.meta.json`` (units, descriptions, run) and ``--measured-only``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from gmp_twin.cli import main
from gmp_twin.simulate_meta import PLANT_KNOWN, UNMEASURED, read_meta, unmeasured
from models.registry import UNIT_TYPES, unit_class

REPO = Path(__file__).resolve().parents[2]
PLANT = str(REPO / "config" / "plant.yaml")


@pytest.mark.parametrize("unit_type", sorted(UNIT_TYPES))
def test_every_state_tag_is_classified_once(unit_type: str) -> None:
    """A new ``state`` tag must be put in UNMEASURED or PLANT_KNOWN (never silently kept or dropped)."""
    specs = unit_class(unit_type)().tag_specs()
    states = {s.name for s in specs if s.kind == "state"}
    assert not UNMEASURED[unit_type] & PLANT_KNOWN[unit_type]
    assert states <= UNMEASURED[unit_type] | PLANT_KNOWN[unit_type], states - PLANT_KNOWN[unit_type]
    assert UNMEASURED[unit_type] <= states, "a listed tag the unit no longer has"
    assert set(unmeasured(unit_type, specs)) == UNMEASURED[unit_type]


def test_an_unknown_unit_type_is_an_error_naming_the_file() -> None:
    with pytest.raises(ValueError, match=r"gmp_twin/simulate_meta\.py"):
        unmeasured("rocket", [])


def test_side_car_describes_every_column_in_file_order(tmp_path: Path) -> None:
    out = tmp_path / "batch.csv"
    args = ["--unit", "bioreactor-1", "--duration", "1h", "--dt", "10", "--resolution", "60s", "--seed", "2"]
    assert main(["simulate", "--plant", PLANT, "--quiet", "--out", str(out), *args]) == 0
    frame = pd.read_csv(out)
    meta = read_meta(out)
    assert meta is not None and meta == json.loads((tmp_path / "batch.csv.meta.json").read_text())
    assert list(meta["columns"]) == list(frame.columns)
    assert meta["columns"]["do"]["unit"] == "%" and meta["columns"]["temperature"]["unit"] == "°C"
    assert meta["columns"]["time_s"]["unit"] == "s"
    status = meta["columns"]["do__status"]
    assert status == {"unit": "", "description": status["description"], "kind": "status", "of": "do"}
    assert status["description"].startswith("OPC UA status code of do (0 = Good")
    assert len(meta["columns"]["temperature"]["nor"]) == 2 and meta["columns"]["temperature"]["range"] == [0, 50]
    assert (meta["unit"], meta["unit_type"], meta["seed"], meta["rows"]) == ("bioreactor-1", "bioreactor", 2, 60)
    assert (meta["dt_s"], meta["resolution_s"], meta["duration_s"]) == (10.0, 60.0, 3600.0)
    assert meta["status_codes"]["0"] == "Good" and meta["faults"] == [] and not meta["measured_only"]


def test_measured_only_drops_the_model_states_and_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "m.parquet"
    args = ["--unit", "bioreactor-1", "--duration", "30min", "--dt", "10", "--resolution", "60s", "--measured-only"]
    assert main(["simulate", "--plant", PLANT, "--quiet", "--out", str(out), *args]) == 0
    frame = pd.read_parquet(out)
    meta = read_meta(out)
    assert meta is not None and meta["measured_only"]
    dropped = set(meta["dropped_columns"])
    assert dropped == UNMEASURED["bioreactor"]
    assert not dropped & set(frame.columns) and list(meta["columns"]) == list(frame.columns)
    assert {"biomass", "mu", "glucose", "titre", "kla"} <= dropped
    assert {"do", "ph", "glucose_pat", "feed_total", "do_sp", "do_out", "batch_time"} <= set(frame.columns)
    assert "left out 18 unmeasured states: biomass" in capsys.readouterr().err


def test_a_file_without_side_car_or_of_another_tool_has_no_meta(tmp_path: Path) -> None:
    plain = tmp_path / "x.csv"
    plain.write_text("a\n1\n")
    assert read_meta(plain) is None
    (tmp_path / "x.csv.meta.json").write_text('{"format": "other"}')
    assert read_meta(plain) is None
    (tmp_path / "x.csv.meta.json").write_text("{")
    with pytest.raises(ValueError, match=r"x\.csv\.meta\.json: not valid JSON"):
        read_meta(plain)
