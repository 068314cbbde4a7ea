"""Labels of the instructor's exercise controls (the live exercise, pushing hints, the signed end)."""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "ix.title": {"fr": "Exercice en cours", "en": "Live exercise"},
    "ix.none": {
        "fr": "Aucun exercice\u00a0: démarrez un scénario ci-dessus.",
        "en": "No exercise: start a scenario above.",
    },
    "ix.summary": {
        "fr": "{title} ({scenario}) · {state} · {elapsed} écoulées sur {duration} · ×{speed}",
        "en": "{title} ({scenario}) · {state} · {elapsed} elapsed of {duration} · ×{speed}",
    },
    "ix.state.running": {"fr": "en cours", "en": "running"},
    "ix.state.ended": {"fr": "terminé", "en": "ended"},
    "ix.state.stopped": {"fr": "arrêté", "en": "stopped"},
    "ix.revealed": {"fr": "défauts révélés", "en": "faults revealed"},
    "ix.plant_of": {"fr": "Installation de l'équipe {team}", "en": "Plant of team {team}"},
    "ix.team": {"fr": "Équipe {team}", "en": "Team {team}"},
    "ix.no_teams": {
        "fr": "Aucune équipe\u00a0: placez des élèves dans une équipe (gmp-twin users team NOM ÉQUIPE).",
        "en": "No team yet: put students in a team (gmp-twin users team NAME TEAM).",
    },
    "ix.no_reports": {"fr": "Aucune déclaration pour l'instant.", "en": "No report yet."},
    "ix.col.id": {"fr": "N°", "en": "No."},
    "ix.col.time": {"fr": "Heure", "en": "Time"},
    "ix.col.user": {"fr": "Déclarant", "en": "Filed by"},
    "ix.col.unit": {"fr": "Équipement", "en": "Unit"},
    "ix.col.tags": {"fr": "Variables", "en": "Tags"},
    "ix.col.cause": {"fr": "Cause supposée", "en": "Suspected cause"},
    "ix.col.class": {"fr": "Classement", "en": "Classification"},
    "ix.supersedes": {"fr": "remplace {id}", "en": "supersedes {id}"},
    "ix.hints_line": {
        "fr": "Indices\u00a0: {pushed} envoyé(s), {opened} ouvert(s) ({cost} points)",
        "en": "Hints: {pushed} pushed, {opened} opened ({cost} points)",
    },
    "ix.hint_opened": {"fr": "{id} ouvert par {user}", "en": "{id} opened by {user}"},
    "ix.warnings": {"fr": "Alertes de limites", "en": "Limits warnings"},
    "ix.no_warnings": {"fr": "Aucune alerte de limites.", "en": "No limits warning."},
    "ix.warning": {
        "fr": "{when} · {team}{unit}.{tag} = {value} hors de [{lo}\u00a0; {hi}]",
        "en": "{when} · {team}{unit}.{tag} = {value} outside [{lo}, {hi}]",
    },
    # -- pushing a hint
    "ix.push_title": {"fr": "Envoyer un indice", "en": "Push a hint"},
    "ix.to": {"fr": "Destinataire", "en": "To"},
    "ix.every_team": {"fr": "toutes les équipes", "en": "every team"},
    "ix.kind": {"fr": "Indice", "en": "Hint"},
    "ix.kind.scenario": {"fr": "du scénario", "en": "from the scenario"},
    "ix.kind.free": {"fr": "texte libre", "en": "free text"},
    "ix.scenario_hint": {"fr": "Indice du scénario", "en": "Scenario hint"},
    "ix.pick_hint": {"fr": "Choisir un indice", "en": "Pick a hint"},
    "ix.no_hints": {"fr": "Ce scénario n'a pas d'indice", "en": "This scenario has no hints"},
    "ix.hint_option": {"fr": "{id} — {cost} points", "en": "{id} — {cost} points"},
    "ix.hint_preview": {"fr": "{text} (coût\u00a0: {cost} points)", "en": "{text} (cost: {cost} points)"},
    "ix.at": {"fr": "envoyé automatiquement à {at}", "en": "pushed automatically at {at}"},
    "ix.text_fr": {"fr": "Texte (français)", "en": "Text (French)"},
    "ix.text_en": {"fr": "Texte (anglais)", "en": "Text (English)"},
    "ix.cost": {"fr": "Coût (points)", "en": "Cost (points)"},
    "ix.push": {"fr": "Envoyer l'indice", "en": "Push the hint"},
    "ix.pushed": {
        "fr": "Indice {id} envoyé à {team} (coût\u00a0: {cost} points)",
        "en": "Hint {id} pushed to {team} (cost: {cost} points)",
    },
    "ix.err.team": {"fr": "Choisissez le destinataire.", "en": "Pick who gets the hint."},
    "ix.err.hint": {"fr": "Choisissez un indice du scénario.", "en": "Pick a hint of the scenario."},
    "ix.err.text": {
        "fr": "Saisissez le texte de l'indice (en français, en anglais ou les deux).",
        "en": "Type the hint's text (in French, English or both).",
    },
    "ix.err.cost": {
        "fr": "Indiquez le coût de l'indice (0 point ou plus).",
        "en": "Give the hint's cost (0 points or more).",
    },
    # -- the signed end
    "ix.end_title": {"fr": "Terminer l'exercice et révéler", "en": "End the exercise and reveal"},
    "ix.end_help": {
        "fr": "Le scénario s'arrête, ses défauts cachés sont révélés aux élèves et chaque équipe peut voir "
        "son débriefing. Cette action demande votre signature\u00a0: votre mot de passe à nouveau et sa "
        "signification.",
        "en": "The scenario stops, its hidden faults are revealed to the students and each team can see "
        "its debrief. This action needs your signature: your password again and what it means.",
    },
    "ix.end": {"fr": "Signer, terminer et révéler", "en": "Sign, end and reveal"},
    "ix.ended": {
        "fr": "Exercice {scenario} terminé\u00a0; défauts révélés\u00a0: {faults}",
        "en": "Exercise {scenario} ended; faults revealed: {faults}",
    },
    "ix.debrief": {"fr": "Ouvrir le débriefing", "en": "Open the debrief"},
}
