"""French and English labels of the dashboard (the training centres are French).

Examples
--------
>>> t("level", "fr"), t("level", "en")
('Niveau', 'Level')
>>> t("no-such-key", "fr")
'no-such-key'
"""

from __future__ import annotations

from dashboard.audit_labels import AUDIT_LABELS
from dashboard.auth.labels import AUTH_LABELS
from dashboard.labels_history import LABELS as HISTORY_LABELS
from dashboard.labels_units import LABELS as UNITS_LABELS
from dashboard.operate_labels import OPERATE_LABELS

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


LABELS.update(AUTH_LABELS)
LABELS.update(AUDIT_LABELS)
LABELS.update(OPERATE_LABELS)
LABELS.update(HISTORY_LABELS)
LABELS.update(UNITS_LABELS)


def t(key: str, lang: str) -> str:
    """Label ``key`` in ``lang`` (falls back to the key itself)."""
    return LABELS.get(key, {}).get(lang, key)
