"""A detector's ``description``: a plain string (still valid) or ``{fr: ..., en: ...}``, from real YAML files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from analytics.detectors import DetectorBase, load_detectors
from analytics.detectors.base import LocalText
from analytics.detectors.live import DetectorPoint
from analytics.monitoring_alarms import DetectorAlarms
from config_schema.files import ConfigError

ROOT = Path(__file__).resolve().parents[2]
UNITS = {"mps-pa": ["B101_level"]}
ENTRY = """detectors:
  - name: lvl
    unit: mps-pa
    tag: B101_level
    method: ewma
    mean: 15
    sigma: 0.1
"""


def _load(tmp_path: Path, description: str) -> DetectorBase:
    path = tmp_path / "detectors.yaml"
    path.write_text(ENTRY + description, encoding="utf-8")
    return load_detectors(path, UNITS).detectors[0]


def _raised(cfg: DetectorBase) -> dict[str, Any]:
    alarms = DetectorAlarms("lab", [cfg])
    alarms.on_point(cfg, DetectorPoint(10**9, 16.0, 16.0, 15.0, 14.7, 15.3, True, ("limit",)))
    return alarms.recent[0]


def test_a_plain_string_still_loads_and_reads_the_same_in_both_languages(tmp_path: Path) -> None:
    cfg = _load(tmp_path, "    description: Level B101 drifts\n")
    assert cfg.description == "Level B101 drifts"
    assert cfg.description_in("fr") == cfg.description_in("en") == "Level B101 drifts"
    raised = _raised(cfg)
    assert raised["message"] == "Level B101 drifts: limit (point beyond the control limits)"
    params = raised["message_params"]
    assert params["description"] == "Level B101 drifts" and "description_fr" not in params


def test_no_description_keeps_the_generated_message(tmp_path: Path) -> None:
    cfg = _load(tmp_path, "")
    assert cfg.description_in("fr") == ""
    assert str(_raised(cfg)["message"]).startswith("EWMA drift on B101_level")


def test_both_languages(tmp_path: Path) -> None:
    cfg = _load(tmp_path, "    description:\n      fr: Le niveau dérive\n      en: The level drifts\n")
    assert cfg.description == LocalText(fr="Le niveau dérive", en="The level drifts")
    raised = _raised(cfg)
    assert str(raised["message"]).startswith("The level drifts: ")  # the historian keeps English
    params = raised["message_params"]
    assert params["description_fr"] == "Le niveau dérive"
    assert params["description_en"] == params["description"] == "The level drifts"


@pytest.mark.parametrize(
    ("description", "message"),
    [
        ("    description: {fr: Le niveau dérive}\n", "detectors.yaml:8: 'detectors[0].description.en': required"),
        ("    description: {fr: a, en: b, de: c}\n", "detectors.yaml:8: 'de': unknown key (allowed keys: fr, en)"),
        (
            "    description: [a, b]\n",
            "detectors.yaml:8: 'detectors[0].description': give a text or {fr: ..., en: ...}",
        ),
        ("    description: {fr: '', en: b}\n", "detectors.yaml:8: 'detectors[0].description.fr'"),
    ],
)
def test_a_wrong_description_names_the_line_and_the_fix(tmp_path: Path, description: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, description)
    assert message in str(info.value)


def test_the_default_file_has_every_description_in_both_languages() -> None:
    detectors = load_detectors(ROOT / "config" / "detectors.yaml").detectors
    assert detectors and all(isinstance(d.description, LocalText) for d in detectors)
    level = next(d for d in detectors if d.name == "level-ewma")
    assert level.description_in("fr") == "Le niveau B101 s'écarte de sa cible de 15 cm"
    assert level.description_in("en") == "Level B101 drifts away from its 15 cm target"
