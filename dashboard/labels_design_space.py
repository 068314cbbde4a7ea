"""FR/EN labels of the design-space page (/design-space) and of ``gmp-twin doe``'s summary and plots."""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "design_space": {"fr": "Espace de conception", "en": "Design space"},
    "design_space_title": {
        "fr": "Espace de conception (QbD, ICH Q8)",
        "en": "Design space (QbD, ICH Q8)",
    },
    "ds_none": {
        "fr": "Aucune étude de plans d'expériences dans {root}. Lancez par exemple : "
        "gmp-twin doe --unit dryer-1 --out {root}/dryer-1",
        "en": "No design-of-experiments study in {root}. Run for example: "
        "gmp-twin doe --unit dryer-1 --out {root}/dryer-1",
    },
    "ds_bad": {"fr": "Étude illisible : {error}", "en": "Unreadable study: {error}"},
    "ds_study": {"fr": "Étude", "en": "Study"},
    "ds_unit": {"fr": "Unité", "en": "Unit"},
    "ds_design": {"fr": "Plan", "en": "Design"},
    "ds_runs": {"fr": "essais", "en": "runs"},
    "ds_variability": {"fr": "Variabilité des lots", "en": "Batch variability"},
    "ds_variability_normal": {
        "fr": "normale (matière première, erreur de l'analyseur)",
        "en": "normal (raw material, analyser error)",
    },
    "ds_variability_none": {"fr": "aucune (procédé nominal)", "en": "none (nominal process)"},
    "ds_specs": {"fr": "Spécifications", "en": "Specifications"},
    "ds_probability": {"fr": "Probabilité exigée", "en": "Required probability"},
    "ds_p_all": {"fr": "P(toutes les CQA conformes)", "en": "P(all CQAs in spec)"},
    "ds_space_line": {
        "fr": "Espace de conception : P ≥ {p}",
        "en": "Design space: P ≥ {p}",
    },
    "ds_edge": {"fr": "Limite de défaillance (modèle)", "en": "Edge of failure (model)"},
    "ds_runs_marker": {"fr": "Essais du plan", "en": "Design runs"},
    "ds_sim_pass": {"fr": "Simulation conforme", "en": "Simulation in spec"},
    "ds_sim_fail": {"fr": "Simulation non conforme", "en": "Simulation out of spec"},
    "ds_held": {"fr": "Autres facteurs fixés", "en": "Other factors held at"},
    "ds_fraction": {
        "fr": "{fraction} % du plan tracé dans l'espace de conception",
        "en": "{fraction} % of the plotted plane in the design space",
    },
    "ds_empty": {
        "fr": "Aucun point n'atteint P ≥ {p} : le meilleur point a P = {best}",
        "en": "No point reaches P ≥ {p}: the best point has P = {best}",
    },
    "ds_robust": {"fr": "Point de consigne robuste", "en": "Robust set point"},
    "ds_best": {"fr": "Point le plus sûr (hors espace de conception)", "en": "Safest point (outside the design space)"},
    "ds_models": {"fr": "Modèles des réponses", "en": "Response models"},
    "ds_response": {"fr": "Réponse", "en": "Response"},
    "ds_transform": {"fr": "Échelle", "en": "Scale"},
    "ds_scale_log": {"fr": "log", "en": "log"},
    "ds_scale_none": {"fr": "linéaire", "en": "linear"},
    "ds_r2": {"fr": "R²", "en": "R²"},
    "ds_r2_adj": {"fr": "R² ajusté", "en": "Adjusted R²"},
    "ds_q2": {"fr": "Q² (PRESS)", "en": "Q² (PRESS)"},
    "ds_rmse": {"fr": "Écart-type résiduel", "en": "Residual SD"},
    "ds_dof": {"fr": "ddl", "en": "dof"},
    "ds_coefficients": {"fr": "Coefficients (facteurs codés −1…+1)", "en": "Coefficients (coded factors −1…+1)"},
    "ds_term": {"fr": "Terme", "en": "Term"},
    "ds_coefficient": {"fr": "Coefficient", "en": "Coefficient"},
    "ds_se": {"fr": "Erreur type", "en": "Std error"},
    "ds_p_value": {"fr": "p", "en": "p"},
    "ds_verify": {"fr": "Vérification par grille de simulations", "en": "Brute-force grid check"},
    "ds_verify_line": {
        "fr": "Grille {n} × {n} ({runs} simulations du procédé nominal) : {wrong} cases classées autrement "
        "que par le modèle, écart maximal {steps} pas de grille ({verdict}) ; "
        "{failing} case(s) de l'espace de conception non conformes en simulation",
        "en": "{n} × {n} grid ({runs} simulations of the nominal process): {wrong} cells classified differently "
        "from the model, largest gap {steps} grid step(s) ({verdict}); "
        "{failing} design-space cell(s) out of spec in simulation",
    },
    "ds_within": {"fr": "à moins d'un pas", "en": "within one step"},
    "ds_beyond": {"fr": "au-delà d'un pas", "en": "beyond one step"},
    "ds_warnings": {"fr": "Avertissements", "en": "Warnings"},
    "ds_plot_title": {"fr": "Espace de conception — {unit}", "en": "Design space — {unit}"},
    "ds_predicted": {"fr": "{response} prédit", "en": "Predicted {response}"},
    "ds_limit": {"fr": "limite", "en": "limit"},
    "ds_timing": {
        "fr": "{runs} lots simulés en {seconds} s sur {jobs} processus",
        "en": "{runs} batches simulated in {seconds} s on {jobs} processes",
    },
    "ds_files": {"fr": "Fichiers", "en": "Files"},
    "ds_model_linear": {"fr": "linéaire", "en": "linear"},
    "ds_model_interaction": {"fr": "avec interactions", "en": "with interactions"},
    "ds_model_quadratic": {"fr": "quadratique", "en": "quadratic"},
    "ds_warn_not_ended": {
        "fr": "les essais {runs} n'ont pas fini leur lot en {minutes} min : leurs réponses sont celles de cet instant",
        "en": "runs {runs} did not finish their batch within {minutes} min: their responses are those at that time",
    },
    "ds_warn_constant": {
        "fr": "{response} est le même à chaque essai : rien à modéliser",
        "en": "{response} is the same in every run: nothing to model",
    },
    "ds_warn_q2": {
        "fr": "{response} : Q² = {q2}, le modèle le prédit mal (plus d’essais, un autre modèle ?)",
        "en": "{response}: Q² = {q2}, the model predicts it poorly (more runs, another model?)",
    },
}
