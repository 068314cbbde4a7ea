"""The detectors file: every mistake stops start-up with the file, the line and the fix."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from analytics.detectors import (
    REGISTRY,
    DetectorBase,
    DetectorsFile,
    LiveDetector,
    build_detector,
    load_detectors,
    parse_detector,
)
from config_schema.files import ConfigError
from config_schema.tagmap import load_tagmap
from gmp_twin.roles import load_monitoring_config
from gmp_twin.settings import Settings
from twin.plant import build_plant, load_plant, plant_tagmaps

REPO = Path(__file__).resolve().parents[2]
SIM_TAGMAP = REPO / "config/tagmaps/mps-pa-sim.yaml"
GMP_TWIN = str(Path(sys.executable).with_name("gmp-twin"))


@pytest.fixture(scope="module")
def units() -> dict[str, list[str]]:
    tm = load_tagmap(SIM_TAGMAP)
    return {tm.unit: [t.name for t in tm.tags]}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "detectors.yaml"
    path.write_text(text.lstrip("\n"))
    return path


def error_of(path: Path, units: dict[str, list[str]]) -> str:
    with pytest.raises(ConfigError) as info:
        load_detectors(path, units)
    return str(info.value)


def test_shipped_default_file_is_valid_for_the_simulated_station(units: dict[str, list[str]]) -> None:
    plant = load_plant(REPO / "config/plant.yaml")
    tagmaps = plant_tagmaps(plant, build_plant(plant), "opc.tcp://127.0.0.1:4840")
    config = load_detectors(REPO / "config/detectors.yaml", {tm.unit: [t.name for t in tm.tags] for tm in tagmaps})
    methods = {d.method for d in config.detectors}
    assert methods == {"shewhart", "ewma", "cusum", "pca", "golden"}
    watched = {tag for d in config.detectors if d.unit == "mps-pa" for tag in d.watched}
    assert watched <= {"B101_level", "B102_flow", "B103_pressure", "B104_temperature", "level_out"}
    # The temperature heats 20 -> 30 °C after start: no fixed-mean chart on it.
    for d in config.detectors:
        if "B104_temperature" in d.watched:
            assert d.method == "pca" and d.warmup_s >= 600


def test_unknown_tag_names_it_with_file_line_and_the_valid_tags(tmp_path: Path, units: dict[str, list[str]]) -> None:
    path = write(
        tmp_path,
        """
detectors:
  - name: level
    unit: mps-pa
    method: ewma
    tag: B101_levle
    mean: 15.0
    sigma: 0.1
""",
    )
    message = error_of(path, units)
    assert message.startswith(f"{path}:5: 'detectors[0].tag': unknown tag 'B101_levle' in unit 'mps-pa'")
    assert "valid tags: B101_level, B102_flow, B103_pressure" in message


def test_unknown_pca_tag_and_unknown_unit(tmp_path: Path, units: dict[str, list[str]]) -> None:
    path = write(
        tmp_path,
        """
detectors:
  - name: loops
    unit: mps-pa
    method: pca
    tags: [B101_level, B999_nothing]
    reference_s: 60
  - name: other
    unit: mps-pb
    method: cusum
    tag: B101_level
    mean: 1
    sigma: 1
""",
    )
    message = error_of(path, units)
    assert f"{path}:5: 'detectors[0].tags': unknown tag 'B999_nothing' in unit 'mps-pa'" in message
    assert f"{path}:8: 'detectors[1].unit': unknown unit 'mps-pb'; units of the tag maps: mps-pa" in message


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "method: shewhart\n    tag: B102_flow\n    mean: 2\n    sigma: 0.05",
            "method 'shewhart' needs 'rules': we, nelson, none",
        ),
        (
            "method: ewma\n    tag: B102_flow\n    mean: 2\n    sigma: 0.05\n    k: 0.5",
            "'k' does not apply to method 'ewma' (only to cusum)",
        ),
        (
            "method: ewma\n    tag: B102_flow\n    lambda: 1.5\n    mean: 2\n    sigma: 0.1",
            "'detectors[0].lambda': Input should be less than or equal to 1",
        ),
        ("method: cusum\n    tag: B102_flow", "give the limits from exactly one source"),
        (
            "method: cusum\n    tag: B102_flow\n    mean: 2\n    sigma: 0.1\n    lsl: 1\n    usl: 3",
            "give the limits from exactly one source",
        ),
        ("method: pca\n    tags: [B101_level, B102_flow]", "method 'pca' needs 'reference_s'"),
        (
            "method: shewhart\n    tag: B102_flow\n    rules: [WE1, X9]\n    reference_s: 60",
            "unknown rule id(s) ['X9']",
        ),
        ("method: ewma\n    tag: B102_flow\n    mean: 2\n    sigma: 0.1\n    colour: red", "'colour': unknown key"),
    ],
)
def test_inconsistent_entries_say_what_to_fix(
    tmp_path: Path, units: dict[str, list[str]], body: str, expected: str
) -> None:
    path = write(tmp_path, f"detectors:\n  - name: d1\n    unit: mps-pa\n    {body}\n")
    message = error_of(path, units)
    assert message.startswith(f"{path}:"), message
    assert expected in message


def test_duplicate_names_are_refused(tmp_path: Path, units: dict[str, list[str]]) -> None:
    entry = "  - name: same\n    unit: mps-pa\n    method: ewma\n    tag: B102_flow\n    mean: 2\n    sigma: 0.1\n"
    path = write(tmp_path, "detectors:\n" + entry + entry)
    assert "duplicate detector name 'same' at detectors[1] (first at line 2)" in error_of(path, units)


def test_default_path_missing_means_no_detectors_but_a_given_one_must_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no config/detectors.yaml here
    tagmaps = [load_tagmap(SIM_TAGMAP)]
    assert load_monitoring_config(Settings(), tagmaps) is None
    with pytest.raises(ConfigError, match=r"missing\.yaml: file not found"):
        load_monitoring_config(Settings(detectors=tmp_path / "missing.yaml"), tagmaps)
    monkeypatch.setenv("GMP_TWIN_DETECTORS", str(tmp_path / "env.yaml"))
    with pytest.raises(ConfigError, match=r"env\.yaml: file not found"):
        load_monitoring_config(Settings(), tagmaps)
    path = write(tmp_path, "detectors: []\n")
    assert load_monitoring_config(Settings(detectors=path), tagmaps) == DetectorsFile()


def test_gmp_twin_run_stops_at_start_up_on_a_bad_detectors_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "detectors:\n  - name: x\n    unit: mps-pa\n    method: ewma\n    tag: nope\n    mean: 1\n    sigma: 1\n",
    )
    proc = subprocess.run(
        [GMP_TWIN, "run", "--detectors", str(path), "--tagmap", str(SIM_TAGMAP), "--http-port", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert proc.returncode == 2, proc.stderr
    assert f"gmp-twin: error: {path}:5: 'detectors[0].tag': unknown tag 'nope' in unit 'mps-pa'" in proc.stderr


def test_default_file_on_a_smaller_plant_keeps_the_detectors_of_its_units(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    station = [load_tagmap(SIM_TAGMAP)]
    config = load_monitoring_config(Settings(), station)  # the default file: absent units left out
    assert config is not None and {d.unit for d in config.detectors} == {"mps-pa"}
    assert "level-ewma" in {d.name for d in config.detectors}
    explicit = Settings(detectors=REPO / "config/detectors.yaml")  # a file the user named: strict
    with pytest.raises(ConfigError, match="unknown unit 'bioreactor-1'"):
        load_monitoring_config(explicit, station)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "method: foo\n    tag: B102_flow",
            ":4: 'detectors[0].method': Input should be 'shewhart', 'ewma', 'cusum', 'pca' or 'golden'",
        ),
        ("tag: B102_flow\n    mean: 2\n    sigma: 0.1", ":2: 'detectors[0].method': required field is missing; add it"),
        (
            "method: ewma\n    tag: B102_flow\n    mean: 2\n    sigma: 0.1\n    colour: red",
            "'colour': unknown key for method 'ewma' (allowed keys: name, unit, method, description,",
        ),
        (
            "method: pca\n    tags: [B101_level, B102_flow]\n    reference_s: 60\n    reset_on_alarm: false",
            "'reset_on_alarm' does not apply to method 'pca' (only to cusum, ewma, shewhart)",
        ),
        ("method: pca\n    reference_s: 60", "method 'pca' needs 'tags': two or more tags of the unit"),
        ("method: cusum\n    mean: 1\n    sigma: 1", "method 'cusum' needs 'tag'"),
    ],
)
def test_errors_of_the_method_union_name_the_field_not_the_union(
    tmp_path: Path, units: dict[str, list[str]], body: str, expected: str
) -> None:
    path = write(tmp_path, f"detectors:\n  - name: d1\n    unit: mps-pa\n    {body}\n")
    message = error_of(path, units)
    assert expected in message, message
    assert ".pca" not in message and ".ewma" not in message and ".cusum" not in message


def test_every_method_is_registered_once_with_its_model_and_live_detector(units: dict[str, list[str]]) -> None:
    config = load_detectors(REPO / "config/detectors.yaml")
    for method, registration in REGISTRY.items():
        assert registration.method == method
        assert issubclass(registration.config, DetectorBase) and issubclass(registration.detector, LiveDetector)
    for entry in config.detectors:
        assert type(entry) is REGISTRY[entry.method].config
        assert type(build_detector(entry)) is REGISTRY[entry.method].detector
    # The same entry, validated alone, is the same model.
    first = config.detectors[0].model_dump(by_alias=True, exclude_unset=True)
    assert parse_detector(first, units) == config.detectors[0]
