"""Labels of the student's live exercise UI (briefing bar, deviation form, hints, team reports)."""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "ex.report_button": {"fr": "Déclarer un écart", "en": "Report a deviation"},
    "ex.exercise": {"fr": "Exercice", "en": "Exercise"},
    "ex.elapsed": {"fr": "{elapsed} écoulées sur {duration}", "en": "{elapsed} elapsed of {duration}"},
    "ex.state.running": {"fr": "en cours", "en": "running"},
    "ex.state.ended": {"fr": "terminé", "en": "ended"},
    "ex.state.stopped": {"fr": "arrêté", "en": "stopped"},
    "ex.team": {"fr": "Équipe {team}", "en": "Team {team}"},
    "ex.why.no_team": {
        "fr": "Vous n'êtes dans aucune équipe\u00a0: demandez à l'instructeur de vous en attribuer une "
        "pour déclarer un écart.",
        "en": "You are in no team: ask the instructor to put you in one to report a deviation.",
    },
    "ex.why.no_exercise": {
        "fr": "Aucun exercice en cours\u00a0: il n'y a rien à déclarer pour l'instant.",
        "en": "No exercise is running: there is nothing to report for now.",
    },
    "ex.why.no_control": {
        "fr": "La simulation n'est pas accessible depuis ce tableau de bord\u00a0: déclaration impossible.",
        "en": "The simulation is not reachable from this dashboard: reports cannot be filed.",
    },
    "ex.form_title": {"fr": "Déclaration d'écart", "en": "Deviation report"},
    "ex.form_intro": {
        "fr": "Une déclaration ne peut plus être modifiée une fois envoyée\u00a0; elle peut seulement être "
        "remplacée par une nouvelle déclaration.",
        "en": "A report cannot be edited once submitted; it can only be superseded by a new report.",
    },
    "ex.unit": {"fr": "Équipement", "en": "Unit"},
    "ex.tags": {"fr": "Variables concernées", "en": "Tags involved"},
    "ex.start": {"fr": "Début de l'écart", "en": "Deviation start"},
    "ex.start_help": {
        "fr": "Cliquez sur un point d'une courbe de la page, ou saisissez AAAA-MM-JJ HH:MM[:SS] ({zone}).",
        "en": "Click a point on a chart of the page, or type YYYY-MM-DD HH:MM[:SS] ({zone}).",
    },
    "ex.pick": {"fr": "Choisir sur une courbe", "en": "Pick on a chart"},
    "ex.picking": {
        "fr": "Cliquez sur un point d'une courbe pour fixer le début de l'écart.",
        "en": "Click a point on a chart to set the deviation start.",
    },
    "ex.picked": {"fr": "Début choisi sur la courbe\u00a0: {when}", "en": "Start picked on the chart: {when}"},
    "ex.back_to_form": {"fr": "Revenir au formulaire", "en": "Back to the form"},
    "ex.cause": {"fr": "Cause suspectée", "en": "Suspected cause"},
    "ex.cause_other": {"fr": "Autre (texte libre)", "en": "Other (free text)"},
    "ex.cause_text": {"fr": "Cause (texte libre)", "en": "Cause (free text)"},
    "ex.action": {"fr": "Action immédiate", "en": "Immediate action"},
    "ex.action_placeholder": {
        "fr": "Ex.\u00a0: lot mis en quarantaine, sonde isolée, instructeur prévenu",
        "en": "E.g. batch put on hold, probe isolated, instructor informed",
    },
    "ex.classification": {"fr": "Classification BPF", "en": "GMP classification"},
    "ex.class.minor": {"fr": "Mineure", "en": "Minor"},
    "ex.class.major": {"fr": "Majeure", "en": "Major"},
    "ex.class.critical": {"fr": "Critique", "en": "Critical"},
    "ex.class_def.minor": {
        "fr": "sans effet attendu sur la qualité du produit",
        "en": "no expected effect on product quality",
    },
    "ex.class_def.major": {
        "fr": "effet possible sur la qualité du produit\u00a0; investigation requise",
        "en": "a possible effect on product quality; investigation required",
    },
    "ex.class_def.critical": {
        "fr": "risque probable pour la qualité du produit ou le patient",
        "en": "a likely risk to product quality or to the patient",
    },
    "ex.impact": {"fr": "Impact sur le lot", "en": "Impact on the batch"},
    "ex.impact.none": {"fr": "Aucun", "en": "None"},
    "ex.impact.possible": {"fr": "Possible", "en": "Possible"},
    "ex.impact.confirmed": {"fr": "Confirmé", "en": "Confirmed"},
    "ex.impact.not_applicable": {"fr": "Sans objet", "en": "Not applicable"},
    "ex.impact_text": {"fr": "Évaluation de l'impact", "en": "Impact assessment"},
    "ex.supersedes": {"fr": "Remplace la déclaration {report}", "en": "Supersedes report {report}"},
    "ex.submit": {"fr": "Envoyer la déclaration", "en": "Submit the report"},
    "ex.cancel": {"fr": "Annuler", "en": "Cancel"},
    "ex.submitted": {
        "fr": "Déclaration {report} enregistrée ({when}).",
        "en": "Report {report} recorded ({when}).",
    },
    "ex.missing": {"fr": "À compléter\u00a0: {fields}.", "en": "Missing: {fields}."},
    "ex.bad_start": {
        "fr": "Début illisible «\u00a0{text}\u00a0»\u00a0: utilisez AAAA-MM-JJ HH:MM[:SS] ou cliquez sur une courbe.",
        "en": "Unreadable start '{text}': use YYYY-MM-DD HH:MM[:SS] or click a chart.",
    },
    "ex.refused.invalid": {"fr": "Déclaration refusée\u00a0: {reason}", "en": "Report refused: {reason}"},
    "ex.refused.other": {"fr": "Action refusée\u00a0: {reason}", "en": "Action refused: {reason}"},
    "ex.warnings": {"fr": "Alertes de limites de l'équipe", "en": "The team's limits warnings"},
    "ex.warning_line": {
        "fr": "{when}\u00a0: {unit}.{tag} = {value} hors de [{lo}\u00a0; {hi}]",
        "en": "{when}: {unit}.{tag} = {value} outside [{lo}, {hi}]",
    },
    "ex.hints": {"fr": "Indices", "en": "Hints"},
    "ex.no_hints": {"fr": "Aucun indice envoyé à l'équipe.", "en": "No hint pushed to the team."},
    "ex.hint_cost": {"fr": "Indice {hint}\u00a0: coûte {cost} points", "en": "Hint {hint}: costs {cost} points"},
    "ex.hint_open": {"fr": "Ouvrir (−{cost} points)", "en": "Open (−{cost} points)"},
    "ex.hint_opened_by": {"fr": "ouvert par {user}", "en": "opened by {user}"},
    "ex.hint_confirm": {
        "fr": "Ouvrir l'indice {hint} retire {cost} points à l'équipe. L'ouvrir\u00a0?",
        "en": "Opening hint {hint} takes {cost} points from the team. Open it?",
    },
    "ex.reports": {"fr": "Déclarations de l'équipe", "en": "The team's reports"},
    "ex.no_reports": {"fr": "Aucune déclaration pour l'instant.", "en": "No report yet."},
    "ex.report_line": {
        "fr": "{report} · {when} · {user} · {unit} ({tags}) · début {start} · {classification}",
        "en": "{report} · {when} · {user} · {unit} ({tags}) · start {start} · {classification}",
    },
    "ex.report_cause": {
        "fr": "Cause\u00a0: {cause} — action\u00a0: {action}",
        "en": "Cause: {cause} — action: {action}",
    },
    "ex.superseded_by": {"fr": "remplacée par {report}", "en": "superseded by {report}"},
    "ex.supersede": {"fr": "Remplacer", "en": "Supersede"},
}
