"""Words of the per-team score table (``gmp-twin score``, :mod:`analytics.exercise_table`), FR/EN."""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "teamscore.title": {
        "fr": "Équipes ({scenario} ; au plus {max} points)",
        "en": "Teams ({scenario}; at most {max} points)",
    },
    "teamscore.rank": {"fr": "rang", "en": "rank"},
    "teamscore.team": {"fr": "équipe", "en": "team"},
    "teamscore.score": {"fr": "score", "en": "score"},
    "teamscore.found": {"fr": "trouvées", "en": "found"},
    "teamscore.false": {"fr": "fausses déclarations", "en": "false reports"},
    "teamscore.hints": {"fr": "indices", "en": "hints"},
    "teamscore.warnings": {"fr": "avertissements", "en": "warnings"},
    "teamscore.limits": {"fr": "dans les limites", "en": "in limits"},
    "teamscore.kpis": {"fr": "indicateurs", "en": "KPIs"},
    "teamscore.missed": {"fr": "manquées", "en": "missed"},
    "teamscore.student": {"fr": "étudiant", "en": "student"},
    "teamscore.reports": {"fr": "déclarations", "en": "reports"},
    "teamscore.correct": {"fr": "justes", "en": "correct"},
    "teamscore.points": {"fr": "points", "en": "points"},
    "teamscore.none": {
        "fr": "aucune équipe n'a déclaré d'écart, ouvert d'indice ni conduit sa propre installation dans cet essai",
        "en": "no team reported, opened a hint or ran a team plant in this run",
    },
    "teamscore.decimal_mark": {"fr": ",", "en": "."},
}
