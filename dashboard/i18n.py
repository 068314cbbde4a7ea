"""French and English text of the dashboard: labels, numbers and dates (the training centres are French).

``t(key, lang, **params)`` is the one way to show text; ``fmt_number`` and ``fmt_datetime`` format
numbers (decimal comma in French) and instants with Babel's CLDR data.

Label modules: any ``dashboard/labels_<area>.py`` holding ``LABELS = {"key": {"fr": ..., "en": ...}}``
is merged automatically (no registration needed); ``python -m dashboard.i18n_catalog absorb <module>``
moves one into the gettext catalogue.

Examples
--------
>>> t("level", "fr"), t("level", "en")
('Niveau', 'Level')
>>> t("no-such-key", "fr")
'no-such-key'
>>> fmt_number(1234.5, "fr", 2), fmt_number(1234.5, "en", 2)
('1\\u202f234,50', '1,234.50')
>>> from datetime import datetime, UTC
>>> fmt_datetime(datetime(2026, 12, 3, 14, 0, tzinfo=UTC), "fr")
'3 déc. 2026, 14:00:00'
"""

from __future__ import annotations

import importlib
import logging
import math
import pkgutil
import string
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from functools import cache
from typing import Any

from babel.dates import format_date, format_time
from babel.dates import format_datetime as _babel_datetime
from babel.numbers import format_decimal

logger = logging.getLogger(__name__)

LANGS = ("fr", "en")
#: Babel/CLDR locale per dashboard language; British English for a 24 h clock and day-month dates.
LOCALES = {"fr": "fr_FR", "en": "en_GB"}
#: Shown for a missing or non-numeric value (never ``nan``).
MISSING = "—"

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
    "fluid_bed_dryer": {"fr": "Séchoir à lit fluidisé", "en": "Fluid-bed dryer"},
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
    # Live drift detection, alarms and OEE pages.
    "spc": {"fr": "Cartes de contrôle", "en": "Control charts"},
    "pca": {"fr": "ACP multivariée", "en": "Multivariate PCA"},
    "oee_page": {"fr": "TRS", "en": "OEE"},
    "alarms": {"fr": "Alarmes", "en": "Alarms"},
    "spc_title": {"fr": "Détection de dérive — cartes de contrôle", "en": "Drift detection — control charts"},
    "pca_title": {"fr": "Détection de dérive multivariée (ACP)", "en": "Multivariate drift detection (PCA)"},
    "oee_title": {"fr": "TRS (OEE) selon ISO 22400-2", "en": "OEE per ISO 22400-2"},
    "alarms_title": {"fr": "Liste des alarmes", "en": "Alarm list"},
    "detector": {"fr": "Détecteur", "en": "Detector"},
    "statistic": {"fr": "Statistique", "en": "Statistic"},
    "window_mean": {"fr": "Moyenne de fenêtre", "en": "Window mean"},
    "centre": {"fr": "Ligne centrale", "en": "Centre line"},
    "ucl": {"fr": "LSC", "en": "UCL"},
    "lcl": {"fr": "LIC", "en": "LCL"},
    "limit": {"fr": "limite", "en": "limit"},
    "alarm": {"fr": "Alarme", "en": "Alarm"},
    "rule": {"fr": "Règle", "en": "Rule"},
    "rules": {"fr": "Règles", "en": "Rules"},
    "meaning": {"fr": "Signification", "en": "Meaning"},
    "phase": {"fr": "Phase", "en": "Phase"},
    "warmup": {"fr": "mise en température (données ignorées)", "en": "warming up (data ignored)"},
    "reference": {"fr": "apprentissage des limites", "en": "learning the limits"},
    "monitoring": {"fr": "surveillance", "en": "monitoring"},
    "parameters": {"fr": "Paramètres", "en": "Parameters"},
    "no_monitoring": {
        "fr": "Le service de surveillance ne tourne pas dans ce processus.",
        "en": "The monitoring service does not run in this process.",
    },
    "no_detectors": {
        "fr": "Aucun détecteur de ce type configuré (config/detectors.yaml, option --detectors).",
        "en": "No detector of this kind is configured (config/detectors.yaml, --detectors flag).",
    },
    "no_alarm_points": {"fr": "Aucune alarme dans la fenêtre affichée.", "en": "No alarm in the shown window."},
    "contributions": {"fr": "Contributions par variable (%)", "en": "Contributions per variable (%)"},
    "select_alarm": {
        "fr": "Cliquez sur une alarme (croix rouge) ou choisissez-la dans la liste",
        "en": "Click an alarm (red cross) or pick one from the list",
    },
    "pca_alarm": {"fr": "Alarme ACP", "en": "PCA alarm"},
    "active_alarms": {"fr": "Alarmes en cours", "en": "Active alarms"},
    "recent_events": {"fr": "Derniers événements", "en": "Recent events"},
    "no_alarms": {"fr": "Aucune alarme en cours.", "en": "No active alarm."},
    "acknowledge": {"fr": "Acquitter", "en": "Acknowledge"},
    "operator": {"fr": "Opérateur", "en": "Operator"},
    "comment": {"fr": "Commentaire", "en": "Comment"},
    "acknowledged_by": {"fr": "Acquittée par", "en": "Acknowledged by"},
    "priority": {"fr": "Priorité", "en": "Priority"},
    "state": {"fr": "État", "en": "State"},
    "raised": {"fr": "Apparue", "en": "Raised"},
    "cleared": {"fr": "Disparue", "en": "Cleared"},
    "event": {"fr": "Événement", "en": "Event"},
    "message": {"fr": "Message", "en": "Message"},
    "acknowledged": {"fr": "Acquittée", "en": "Acknowledged"},
    "unshelved": {"fr": "Remise en service", "en": "Unshelved"},
    "shelve_expired": {"fr": "Fin de mise de côté", "en": "Shelving expired"},
    "low": {"fr": "basse", "en": "low"},
    "medium": {"fr": "moyenne", "en": "medium"},
    "high": {"fr": "haute", "en": "high"},
    "unack_active": {"fr": "active, non acquittée", "en": "active, unacknowledged"},
    "ack_active": {"fr": "active, acquittée", "en": "active, acknowledged"},
    "unack_rtn": {"fr": "disparue, non acquittée", "en": "returned to normal, unacknowledged"},
    "normal": {"fr": "normale", "en": "normal"},
    "shelved": {"fr": "mise de côté", "en": "shelved"},
    "oee_none": {
        "fr": "Aucune unité ne publie d'états PackML ni de compteurs de production "
        "(<machine>_state, _produced, _good, _rejected) : pas de TRS à calculer.",
        "en": "No unit reports PackML states and production counters "
        "(<machine>_state, _produced, _good, _rejected): there is no OEE to compute.",
    },
    "machine": {"fr": "Machine", "en": "Machine"},
    "availability": {"fr": "Disponibilité", "en": "Availability"},
    "performance": {"fr": "Performance", "en": "Performance"},
    "quality": {"fr": "Qualité", "en": "Quality"},
    "oee": {"fr": "TRS", "en": "OEE"},
    "losses": {"fr": "Pertes (min)", "en": "Losses (min)"},
    "state_timeline": {"fr": "États PackML", "en": "PackML states"},
    "pbt": {"fr": "Temps requis", "en": "Planned busy time"},
    "apt": {"fr": "Temps de fonctionnement", "en": "Operating time"},
    "productive": {"fr": "Temps utile", "en": "Fully productive time"},
    "breakdowns_s": {"fr": "Pannes", "en": "Breakdowns"},
    "small_stops_s": {"fr": "Micro-arrêts", "en": "Small stops"},
    "starved_blocked_s": {"fr": "Manque / saturation", "en": "Starved / blocked"},
    "setup_s": {"fr": "Réglages", "en": "Set-up"},
    "reduced_speed_s": {"fr": "Sous-vitesse", "en": "Reduced speed"},
    "process_defects_s": {"fr": "Défauts qualité", "en": "Process defects"},
    "startup_losses_s": {"fr": "Pertes au démarrage", "en": "Start-up losses"},
    # Instructor console (faults, scenarios, clock).
    "instructor": {"fr": "Formateur", "en": "Instructor"},
    "instructor_title": {
        "fr": "Console formateur — pannes, scénarios, horloge",
        "en": "Instructor console — faults, scenarios, clock",
    },
    "no_control": {
        "fr": "Aucune simulation ne tourne dans ce processus : pas de pannes ni de scénarios à piloter ici.",
        "en": "No simulation runs in this process: there are no faults or scenarios to drive here.",
    },
    "clock": {"fr": "Horloge de simulation", "en": "Simulation clock"},
    "sim_time": {"fr": "Temps simulé", "en": "Simulated time"},
    "speed": {"fr": "Vitesse", "en": "Speed"},
    "paused": {"fr": "en pause", "en": "paused"},
    "running": {"fr": "en marche", "en": "running"},
    "pause": {"fr": "Pause", "en": "Pause"},
    "resume": {"fr": "Reprendre", "en": "Resume"},
    "run_id": {"fr": "Essai", "en": "Run"},
    "inject_fault": {"fr": "Injecter une panne", "en": "Inject a fault"},
    "equipment": {"fr": "Équipement", "en": "Unit"},
    "fault_id": {"fr": "Id", "en": "Id"},
    "fault_kind": {"fr": "Type de panne", "en": "Fault kind"},
    "target": {"fr": "Cible", "en": "Target"},
    "actuator": {"fr": "Actionneur", "en": "Actuator"},
    "parameter": {"fr": "Paramètre", "en": "Parameter"},
    "all_tags": {"fr": "toutes les variables", "en": "all tags"},
    "magnitude": {"fr": "Amplitude", "en": "Magnitude"},
    "magnitude_range": {"fr": "plage admise", "en": "allowed range"},
    "start_delay": {"fr": "Retard (s simulées)", "en": "Start delay (simulated s)"},
    "ramp": {"fr": "Rampe (s)", "en": "Ramp (s)"},
    "duration": {"fr": "Durée (s ; vide = jusqu'à effacement)", "en": "Duration (s; empty = until cleared)"},
    "hidden": {"fr": "Cachée", "en": "Hidden"},
    "hide_from_students": {"fr": "cachée aux étudiants", "en": "hidden from students"},
    "inject": {"fr": "Injecter", "en": "Inject"},
    "clear": {"fr": "Effacer", "en": "Clear"},
    "clear_all": {"fr": "Tout effacer", "en": "Clear all"},
    "pick_unit_kind": {"fr": "Choisissez un équipement et un type de panne.", "en": "Pick a unit and a fault kind."},
    "pick_target": {"fr": "Choisissez la cible", "en": "Pick the target"},
    "injected": {"fr": "Panne injectée", "en": "Fault injected"},
    "faults_cleared": {"fr": "Pannes effacées", "en": "Faults cleared"},
    "nothing_to_clear": {"fr": "Aucune panne à effacer.", "en": "No fault to clear."},
    "injected_faults": {"fr": "Pannes injectées", "en": "Injected faults"},
    "no_faults": {"fr": "Aucune panne injectée.", "en": "No fault injected."},
    "fault_state_pending": {"fr": "en attente", "en": "pending"},
    "fault_state_active": {"fr": "active", "en": "active"},
    "fault_state_ended": {"fr": "terminée", "en": "ended"},
    "fault_state_cleared": {"fr": "effacée", "en": "cleared"},
    "yes": {"fr": "oui", "en": "yes"},
    "no": {"fr": "non", "en": "no"},
    "scenarios": {"fr": "Scénarios", "en": "Scenarios"},
    "scenario": {"fr": "Scénario", "en": "Scenario"},
    "start": {"fr": "Démarrer", "en": "Start"},
    "stop": {"fr": "Arrêter", "en": "Stop"},
    "scenario_hidden": {
        "fr": "pannes cachées aux étudiants (escape game)",
        "en": "faults hidden from students (escape game)",
    },
    "no_scenario": {"fr": "Aucun scénario démarré.", "en": "No scenario started."},
    "no_scenarios": {
        "fr": "Aucun scénario de la bibliothèque ne convient à cette installation.",
        "en": "No scenario of the library fits this plant.",
    },
    "pick_scenario": {"fr": "Choisissez un scénario.", "en": "Pick a scenario."},
    "scenario_state_running": {"fr": "en cours", "en": "running"},
    "scenario_state_stopped": {"fr": "arrêté", "en": "stopped"},
    "scenario_state_ended": {"fr": "terminé", "en": "ended"},
    "elapsed": {"fr": "écoulé", "en": "elapsed"},
}


#: Label dict modules merged before the ``labels_<area>`` modules are found by name.
_LEGACY_MODULES = (
    ("dashboard.auth.labels", "AUTH_LABELS"),
    ("dashboard.audit_labels", "AUDIT_LABELS"),
    ("dashboard.operate_labels", "OPERATE_LABELS"),
)


def label_modules() -> list[str]:
    """Names of the ``dashboard/labels_<area>.py`` modules (merged until absorbed into the catalogue)."""
    import dashboard

    return sorted(
        f"dashboard.{m.name}" for m in pkgutil.iter_modules(dashboard.__path__) if m.name.startswith("labels_")
    )


@cache
def catalogue() -> dict[str, dict[str, str]]:
    """Every key with its text per language: the inline labels, then each label module.

    A key defined twice keeps its first text (``tests/dashboard/test_i18n_catalogue.py`` refuses duplicates).
    """
    merged: dict[str, dict[str, str]] = dict(LABELS)
    sources: list[Mapping[str, dict[str, str]]] = [
        getattr(importlib.import_module(name), attr) for name, attr in _LEGACY_MODULES
    ]
    sources += [importlib.import_module(name).LABELS for name in label_modules()]
    for source in sources:
        for key, texts in source.items():
            merged.setdefault(key, texts)
    return merged


class _LocaleFormatter(string.Formatter):
    """``str.format`` whose numbers follow the language: ``{x:.2f}`` gives ``3,14`` in French."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, float | int) and not isinstance(value, bool):
            if not format_spec:
                return fmt_number(value, self.lang)
            if format_spec.startswith(".") and format_spec.endswith("f") and format_spec[1:-1].isdigit():
                return fmt_number(value, self.lang, int(format_spec[1:-1]))
        return super().format_field(value, format_spec)


def t(key: str, lang: str, /, **params: Any) -> str:
    """Text of ``key`` in ``lang`` (the key itself when unknown), with ``{name}`` fields filled from ``params``.

    Numbers in ``params`` are formatted for the language (``{value:.1f}`` → ``12,5`` in French).

    Examples
    --------
    >>> t("yes", "fr")
    'oui'
    >>> _LocaleFormatter("fr").format("{x:.1f} / {n}", x=12.54, n=3)
    '12,5 / 3'
    """
    lang = lang if lang in LANGS else "en"
    text = catalogue().get(key, {}).get(lang, key)
    return _LocaleFormatter(lang).format(text, **params) if params else text


def fmt_number(x: float | int | None, lang: str, digits: int | None = None, *, group: bool = True) -> str:
    """``x`` for a ``lang`` reader: decimal comma and thin-space grouping in French.

    ``digits`` fixes the number of decimals (``None``: up to three, trailing zeros dropped);
    ``None`` and NaN give ``—``.

    Examples
    --------
    >>> fmt_number(3.14159, "fr", 2), fmt_number(3.14159, "en", 2), fmt_number(2.5, "fr")
    ('3,14', '3.14', '2,5')
    >>> fmt_number(-0.04, "fr", 1), fmt_number(float("nan"), "fr"), fmt_number(12345, "fr", group=False)
    ('0,0', '—', '12345')
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return MISSING
    locale = LOCALES.get(lang, LOCALES["en"])
    integer = "#,##0" if group else "0"
    pattern = integer + ".###" if digits is None else integer + ("." + "0" * digits if digits > 0 else "")
    if math.isfinite(x) and round(x, 3 if digits is None else digits) == 0:
        x = 0  # no "-0,0"
    return format_decimal(x, format=pattern, locale=locale)


def fmt_datetime(when: datetime | float, lang: str, fmt: str = "medium", *, tz: tzinfo | None = None) -> str:
    """An instant for a ``lang`` reader, e.g. ``3 déc. 2026, 14:00:00`` / ``3 Dec 2026, 14:00:00``.

    ``when`` is an aware ``datetime`` (a naive one is taken as UTC) or POSIX seconds; ``tz``
    converts it for display (default: its own zone, UTC for seconds). ``fmt`` is ``short``,
    ``medium``, ``long``, ``time`` (``14:00:00``), ``date`` (``3 déc. 2026``) or a CLDR pattern.

    Examples
    --------
    >>> fmt_datetime(0.0, "en", "short"), fmt_datetime(0.0, "fr", "date"), fmt_datetime(0.0, "fr", "time")
    ('01/01/1970, 00:00', '1 janv. 1970', '00:00:00')
    """
    if not isinstance(when, datetime):
        when = datetime.fromtimestamp(when, UTC)
    elif when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if tz is not None:
        when = when.astimezone(tz)
    locale = LOCALES.get(lang, LOCALES["en"])
    if fmt == "time":
        return format_time(when, "medium", tzinfo=when.tzinfo, locale=locale)
    if fmt == "date":
        return format_date(when, "medium", locale=locale)
    return _babel_datetime(when, fmt, tzinfo=when.tzinfo, locale=locale)


def graph_config(lang: str, **extra: Any) -> dict[str, Any]:
    """``dcc.Graph`` config in ``lang``: Plotly's locale (French dates, decimal comma) and no logo.

    The ``fr`` locale is registered by ``dashboard/assets/plotly-locale-fr.js``; it also makes
    Plotly's default ``layout.separators`` ``", "``.

    Examples
    --------
    >>> graph_config("fr")
    {'displaylogo': False, 'locale': 'fr'}
    """
    return {"displaylogo": False, "locale": "fr" if lang == "fr" else "en-US", **extra}
