"""French and English labels of the ISA-101 pass: tables, quality, alarm groups (merged into ``dashboard.i18n``)."""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "description": {"fr": "Description", "en": "Description"},
    "count": {"fr": "Occurrences", "en": "Count"},
    "first_seen": {"fr": "Première", "en": "First"},
    "last_seen": {"fr": "Dernière", "en": "Last"},
    "no_rows": {"fr": "Aucune ligne", "en": "No rows"},
    "no_events": {"fr": "Aucun événement", "en": "No event"},
    "events": {"fr": "Événements", "en": "Events"},
    "quality": {"fr": "Qualité", "en": "Quality"},
    "quality_bad": {"fr": "mauvaise", "en": "bad"},
    "quality_uncertain": {"fr": "incertaine", "en": "uncertain"},
    "time_sim_axes": {"fr": "Axes en heure simulée", "en": "Axes in simulated time"},
    "newest_point": {"fr": "Dernier point", "en": "Newest point"},
    "menu": {"fr": "Menu", "en": "Menu"},
    "oee_produced": {"fr": "produites", "en": "produced"},
    "oee_good": {"fr": "bonnes", "en": "good"},
    "oee_rejected": {"fr": "rebutées", "en": "rejected"},
}
