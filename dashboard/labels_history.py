"""French and English labels of history, export and batch reports (merged into ``dashboard.i18n``)."""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "range": {"fr": "Période", "en": "Time range"},
    "range_15m": {"fr": "15 dernières min", "en": "Last 15 min"},
    "range_1h": {"fr": "Dernière heure", "en": "Last hour"},
    "range_8h": {"fr": "8 dernières heures", "en": "Last 8 hours"},
    "range_24h": {"fr": "24 dernières heures", "en": "Last 24 hours"},
    "range_run": {"fr": "Essai en cours", "en": "This run"},
    "range_custom": {"fr": "Personnalisée", "en": "Custom"},
    "range_from": {"fr": "Du", "en": "From"},
    "range_to": {"fr": "au", "en": "to"},
    "range_format": {"fr": "AAAA-MM-JJ HH:MM", "en": "YYYY-MM-DD HH:MM"},
    "export_csv": {"fr": "Exporter en CSV", "en": "Export as CSV"},
}
