"""Plant files: valid ones build, invalid ones name the file, line and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from config_schema.files import ConfigError
from twin.plant import build_plant, load_plant

REPO = Path(__file__).resolve().parents[2]


def test_default_plant_builds() -> None:
    units = build_plant(load_plant(REPO / "config" / "plant.yaml"))
    assert list(units) == ["mps-pa", "bioreactor-1", "line-1", "autoclave-1", "dryer-1"]
    assert {u.unit_type for u in units.values()} == {
        "mps_pa",
        "bioreactor",
        "filling_line",
        "autoclave",
        "fluid_bed_dryer",
    }


def test_unknown_unit_type_lists_allowed(tmp_path: Path) -> None:
    path = tmp_path / "plant.yaml"
    path.write_text("site: lab\nunits:\n  - name: r1\n    type: rocket\n")
    with pytest.raises(
        ConfigError,
        match=r"plant.yaml:4: 'units\[0\].type': unknown unit type 'rocket'; allowed: autoclave, bioreactor, "
        r"filling_line, fluid_bed_dryer, mps_pa",
    ):
        load_plant(path)


def test_unknown_parameter_and_bad_initial_write(tmp_path: Path) -> None:
    path = tmp_path / "plant.yaml"
    path.write_text("site: lab\nunits:\n  - name: s\n    type: mps_pa\n    params: {tank_colour_m: 1}\n")
    with pytest.raises(
        ConfigError, match=r"plant.yaml:5: 'units\[0\].params': unknown parameter.*tank_colour_m.*allowed:"
    ):
        load_plant(path)
    path.write_text("site: lab\nunits:\n  - name: s\n    type: mps_pa\n    initial: {level_sp: 400}\n")
    with pytest.raises(ConfigError, match=r"plant.yaml: units\[0\]: unit 's': initial level_sp: .*allowed range"):
        build_plant(load_plant(path))


def test_duplicate_unit_names(tmp_path: Path) -> None:
    path = tmp_path / "plant.yaml"
    path.write_text("site: lab\nunits:\n  - {name: a, type: mps_pa}\n  - {name: a, type: mps_pa}\n")
    with pytest.raises(ConfigError, match="duplicate unit name"):
        load_plant(path)
