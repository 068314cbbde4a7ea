"""French and English labels of the time basis and runs (merged into ``dashboard.i18n``)."""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "tb_wall": {"fr": "Heure réelle", "en": "Wall-clock time"},
    "tb_simulated": {"fr": "Heure simulée", "en": "Simulated time"},
    "tb_max": {"fr": "vitesse max", "en": "max speed"},
    "tb_paused": {"fr": "en pause", "en": "paused"},
    "tb_ahead": {"fr": "en avance de {duration}", "en": "{duration} ahead"},
    "tb_behind": {"fr": "en retard de {duration}", "en": "{duration} behind"},
}
