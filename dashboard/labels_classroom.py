"""Text of the classroom page (every team plant at once, for the instructor), in French and English."""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "classroom.title": {"fr": "Classe", "en": "Classroom"},
    "classroom.teams": {"fr": "{n} équipes · classe {run}", "en": "{n} teams · class {run}"},
    "classroom.start_heading": {"fr": "Démarrer un scénario", "en": "Start a scenario"},
    "classroom.all_teams_scenario": {"fr": "Scénario pour toutes les équipes", "en": "Scenario for every team"},
    "classroom.team_scenario": {"fr": "Scénario de cette équipe", "en": "This team's scenario"},
    "classroom.start_all": {"fr": "Démarrer pour toutes les équipes", "en": "Start for every team"},
    "classroom.start_each": {
        "fr": "Démarrer le scénario choisi pour chaque équipe",
        "en": "Start each team's chosen scenario",
    },
    "classroom.pick_each": {
        "fr": "Choisissez un scénario pour au moins une équipe (sur sa carte).",
        "en": "Pick a scenario for at least one team (on its card).",
    },
    "classroom.end_heading": {"fr": "Terminer l’exercice", "en": "End the exercise"},
    "classroom.end_help": {
        "fr": "Terminer l’exercice arrête le scénario de chaque équipe et lui révèle ses pannes cachées. "
        "Signature électronique\u00a0: votre mot de passe et sa signification.",
        "en": "Ending the exercise stops every team's scenario and reveals its hidden faults to the team. "
        "Electronic signature: your password and its meaning.",
    },
    "classroom.end_all": {"fr": "Signer et terminer pour toutes les équipes", "en": "Sign and end for every team"},
    "classroom.view_team": {"fr": "Voir l’installation de cette équipe", "en": "Open this team's plant"},
    "classroom.alarms": {"fr": "Alarmes actives", "en": "Active alarms"},
    "classroom.reports": {"fr": "Déclarations d’écart", "en": "Deviation reports"},
    "classroom.oee": {"fr": "TRS", "en": "OEE"},
    "classroom.started": {"fr": "Démarré", "en": "Started"},
    "classroom.ended": {"fr": "Terminé", "en": "Ended"},
    "classroom.refused": {"fr": "Refusé", "en": "Refused"},
    "classroom.none": {
        "fr": "Ce processus fait tourner une seule installation\u00a0: une classe se lance avec "
        "«\u00a0gmp-twin run --teams N\u00a0».",
        "en": "This process runs one plant: start a classroom with `gmp-twin run --teams N`.",
    },
}
