"""Alarm messages on the dashboard use the detectors file's own French and English description."""

from __future__ import annotations

from analytics.detectors import DetectorBase, parse_detector
from analytics.detectors.live import DetectorPoint
from analytics.monitoring_alarms import DetectorAlarms
from dashboard.plant_texts import alarm_message


def _entry(name: str, description: object) -> DetectorBase:
    return parse_detector(
        {"name": name, "unit": "u", "tag": "B101_level", "method": "ewma", "mean": 15.0, "sigma": 0.1,
         "description": description}
    )  # fmt: skip


def _alarms(cfg: DetectorBase) -> DetectorAlarms:
    alarms = DetectorAlarms("lab", [cfg])
    alarms.on_point(cfg, DetectorPoint(10**9, 16.0, 16.0, 15.0, 14.7, 15.3, True, ("limit",)))
    return alarms


def test_the_files_french_wins_over_the_catalogue() -> None:
    # level-ewma also has a catalogue text (detector.level-ewma): a school's edit of the file must show.
    cfg = _entry("level-ewma", {"fr": "Niveau du bac de l'école hors cible", "en": "School tank level off target"})
    alarms = _alarms(cfg)
    raised, view = alarms.recent[0], alarms.view("level-ewma")
    assert alarm_message(raised, "fr").startswith("Niveau du bac de l'école hors cible : limit (")
    assert alarm_message(view, "en") == view["message"] == "School tank level off target"
    assert alarm_message(view, "fr") == "Niveau du bac de l'école hors cible"


def test_a_plain_description_shows_as_written_in_both_languages() -> None:
    alarms = _alarms(_entry("school-lvl", "Niveau bac 1"))
    raised = alarms.recent[0]
    assert alarm_message(raised, "fr").startswith("Niveau bac 1 : limit (")
    assert alarm_message(raised, "en").startswith("Niveau bac 1: limit (")
