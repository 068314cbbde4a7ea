"""French and English labels of the dashboard (the training centres are French).

Examples
--------
>>> t("level", "fr"), t("level", "en")
('Niveau', 'Level')
>>> t("no-such-key", "fr")
'no-such-key'
"""

from __future__ import annotations

LANGS = ("fr", "en")

LABELS: dict[str, dict[str, str]] = {
    "title": {"fr": "Jumeau numérique — station Festo MPS PA", "en": "Digital twin — Festo MPS PA station"},
    "station": {"fr": "Station MPS PA", "en": "MPS PA station"},
    "critical_parameters": {"fr": "paramètres critiques (NOR / PAR)", "en": "critical parameters (NOR / PAR)"},
    "no_critical": {"fr": "Aucun paramètre critique déclaré", "en": "No critical parameter declared"},
    "band_nor": {"fr": "dans la plage normale (NOR)", "en": "within normal operating range (NOR)"},
    "band_par": {"fr": "hors NOR, dans la plage acceptable (PAR)", "en": "outside NOR, within PAR"},
    "band_out": {"fr": "HORS plage acceptable (PAR)", "en": "OUTSIDE proven acceptable range (PAR)"},
    "band_none": {"fr": "pas de valeur", "en": "no value"},
    "bioreactor": {"fr": "Bioréacteur", "en": "Bioreactor"},
    "dryer": {"fr": "Séchoir à lit fluidisé", "en": "Fluid-bed dryer"},
    "filling_line": {"fr": "Ligne de remplissage", "en": "Filling line"},
    "autoclave": {"fr": "Autoclave", "en": "Autoclave"},
    "level": {"fr": "Niveau", "en": "Level"},
    "flow": {"fr": "Débit", "en": "Flow"},
    "pressure": {"fr": "Pression", "en": "Pressure"},
    "temperature": {"fr": "Température", "en": "Temperature"},
    "setpoint": {"fr": "Consigne", "en": "Setpoint"},
    "measured": {"fr": "Mesure", "en": "Measured"},
    "output": {"fr": "Sortie régulateur (%)", "en": "Controller output (%)"},
    "auto": {"fr": "auto", "en": "auto"},
    "manual": {"fr": "manuel", "en": "manual"},
    "overview": {"fr": "Vue d'ensemble (P&ID)", "en": "Overview (P&ID)"},
    "loops": {"fr": "Boucles de régulation", "en": "Control loops"},
    "tags": {"fr": "Toutes les variables", "en": "All tags"},
    "tag": {"fr": "Variable", "en": "Tag"},
    "value": {"fr": "Valeur", "en": "Value"},
    "unit": {"fr": "Unité", "en": "Unit"},
    "status": {"fr": "Statut", "en": "Status"},
    "age": {"fr": "Âge (s)", "en": "Age (s)"},
    "time": {"fr": "Heure", "en": "Time"},
    "no_data": {"fr": "Pas encore de données", "en": "No data yet"},
    "upper_tank": {"fr": "Cuve haute B102", "en": "Upper tank B102"},
    "lower_tank": {"fr": "Réservoir bas B101", "en": "Lower reservoir B101"},
    "pump": {"fr": "Pompe P101", "en": "Pump P101"},
    "heater": {"fr": "Chauffage E104", "en": "Heater E104"},
    "valve": {"fr": "Vanne", "en": "Valve"},
    "updated": {"fr": "Mis à jour", "en": "Updated"},
    "historian_down": {"fr": "Historien injoignable", "en": "Historian unreachable"},
}


def t(key: str, lang: str) -> str:
    """Label ``key`` in ``lang`` (falls back to the key itself)."""
    return LABELS.get(key, {}).get(lang, key)
