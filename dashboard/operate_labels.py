"""French and English labels of the operate page (merged into ``dashboard.i18n``)."""

from __future__ import annotations

OPERATE_LABELS: dict[str, dict[str, str]] = {
    "operate": {"fr": "Conduite", "en": "Operate"},
    "operate_title": {"fr": "Conduite — consignes et modes", "en": "Operate — setpoints and modes"},
    "op_unit": {"fr": "Équipement", "en": "Unit"},
    "op_tag": {"fr": "Variable (★ : motif obligatoire, BPF)", "en": "Tag (★: reason required, GMP)"},
    "op_value": {"fr": "Nouvelle valeur", "en": "New value"},
    "op_reason": {"fr": "Motif", "en": "Reason"},
    "op_write": {"fr": "Écrire", "en": "Write"},
    "op_pick": {"fr": "Choisissez un équipement et une variable.", "en": "Pick a unit and a tag."},
    "op_current": {"fr": "Valeur actuelle", "en": "Current value"},
    "op_range": {"fr": "plage", "en": "range"},
    "op_reason_required": {
        "fr": "paramètre critique : un motif est obligatoire",
        "en": "critical parameter: a reason is required",
    },
    "op_written": {"fr": "Écrit", "en": "Written"},
}
