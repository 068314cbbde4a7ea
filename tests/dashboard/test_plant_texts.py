"""Tag descriptions, rule meanings and alarm messages in French and English, from the real models,
the real ``config/detectors.yaml`` and the real alarm state machine."""

from __future__ import annotations

from pathlib import Path

import pytest

from analytics.detectors import DetectorPoint, parse_detector
from analytics.detectors.file import load_detectors
from analytics.detectors.registry import REGISTRY
from analytics.monitoring_alarms import DetectorAlarms
from dashboard.i18n import catalogue
from dashboard.plant_texts import alarm_message, rule_label, tag_description
from models.registry import UNIT_TYPES, params_class, unit_class

ROOT = Path(__file__).resolve().parents[2]


def _specs() -> list[tuple[str, str, str]]:
    out = []
    for unit_type in UNIT_TYPES:
        cls = unit_class(unit_type)
        out += [(unit_type, s.name, s.description) for s in cls(params_class(cls)()).tag_specs()]
    return out


def test_every_model_tag_has_a_description_in_both_languages() -> None:
    """A new tag in a model needs ``tag.<unit_type>.<tag>`` in dashboard/locale/*/dashboard.po."""
    missing = [
        f"tag.{u}.{name}" for u, name, _ in _specs() if set(catalogue().get(f"tag.{u}.{name}", {})) < {"fr", "en"}
    ]
    assert missing == []
    french = {tag_description(u, name, "fr", d) for u, name, d in _specs()}
    english = {d for _, _, d in _specs()}
    assert len(french - english) > 150  # really translated, not copied


def test_every_rule_of_every_detector_method_is_translated() -> None:
    rules = {rule for registration in REGISTRY.values() for rule in registration.config.rule_texts}
    assert {r for r in rules if f"rule.{r}" not in catalogue()} == set()
    assert rule_label("C+", "fr") == "CUSUM haut au-dessus de h (la moyenne a augmenté)"
    assert rule_label("unknown-rule", "fr") == "unknown-rule"


def test_configured_detectors_have_french_alarm_messages() -> None:
    detectors = load_detectors(ROOT / "config" / "detectors.yaml").detectors
    described = [d.name for d in detectors if d.description]
    assert described and all(f"detector.{name}" in catalogue() for name in described)


@pytest.mark.parametrize(
    ("description", "fr_raised", "en_cleared"),
    [
        (
            "",
            "Dérive EWMA sur B101_level : limit (point au-delà des limites de contrôle)",
            "EWMA drift on B101_level: back to normal",
        ),
        (
            "Level B101 drifts away from its 15 cm target",
            "Le niveau B101 s'écarte de sa cible de 15 cm : limit (point au-delà des limites de contrôle)",
            "Level B101 drifts away from its 15 cm target: back to normal",
        ),
    ],
)
def test_alarm_events_read_in_the_readers_language(description: str, fr_raised: str, en_cleared: str) -> None:
    name = "level-ewma" if description else "lvl"
    cfg = parse_detector(
        {"name": name, "unit": "u", "tag": "B101_level", "method": "ewma", "mean": 0.0, "sigma": 1.0,
         "clear_after_s": 5, "description": description}
    )  # fmt: skip
    alarms = DetectorAlarms("lab", [cfg])
    alarms.on_point(cfg, DetectorPoint(10**9, 3.0, 2.0, 0.0, -1.0, 1.0, True, ("limit",)))
    alarms.on_point(cfg, DetectorPoint(7 * 10**9, 0.0, 0.1, 0.0, -1.0, 1.0))
    cleared, raised = list(alarms.recent)[:2]
    assert (raised["kind"], cleared["kind"]) == ("raised", "cleared")
    assert alarm_message(raised, "fr") == fr_raised
    assert alarm_message(cleared, "en") == en_cleared
    # The English rendering is the message analytics writes to the historian.
    assert alarm_message(cleared, "en") == cleared["message"]
    view = alarms.view(name)
    assert alarm_message(view, "en") == view["message"]
    assert alarm_message(view, "fr") != view["message"]
