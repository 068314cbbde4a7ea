"""FR/EN labels of the golden batch: the unit pages' section and the detector's rules and parameters."""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    # Rules of the `golden` detector method (analytics.detectors.golden).
    "rule.ENV": {
        "fr": "une variable hors de l'enveloppe du lot de référence (±3σ à cette maturité) "
        "sur des fenêtres consécutives",
        "en": "a variable outside its golden-batch envelope (±3σ at this maturity) in consecutive windows",
    },
    "rule.BATCH_T2": {
        "fr": "T² de Hotelling du lot au-dessus de sa limite à cette maturité sur des fenêtres consécutives",
        "en": "batch-level Hotelling T² over its limit at this maturity in consecutive windows",
    },
    "rule.BATCH_SPE": {
        "fr": "SPE du lot au-dessus de sa limite à cette maturité sur des fenêtres consécutives",
        "en": "batch-level SPE over its limit at this maturity in consecutive windows",
    },
    # Alarm messages of the suggested entries of config/detectors.yaml (README, golden batch).
    "detector.bio-golden": {
        "fr": "Le lot du bioréacteur a quitté l'enveloppe de son lot de référence",
        "en": "The bioreactor batch left its golden-batch envelope",
    },
    "detector.dryer-golden": {
        "fr": "Le séchage a quitté l'enveloppe de son lot de référence",
        "en": "The drying left its golden-batch envelope",
    },
    "det_param.model": {"fr": "modèle", "en": "model"},
    "det_param.batches": {"fr": "lots de référence", "en": "reference batches"},
    "det_param.variables": {"fr": "variables", "en": "variables"},
    "det_param.maturity": {"fr": "maturité", "en": "maturity"},
    "det_param.consecutive": {"fr": "fenêtres consécutives", "en": "consecutive windows"},
    # The golden batch section of the bioreactor and dryer pages (dashboard.golden_view).
    "golden_title": {"fr": "Lot de référence (golden batch)", "en": "Golden batch"},
    "golden_intro": {
        "fr": "Le lot en cours comparé à l'enveloppe de {n} lots de référence, alignés sur la maturité ({maturity}) : "
        "moyenne, ±2σ (alerte) et ±3σ (action).",
        "en": "The current batch against the envelope of {n} reference batches, aligned on maturity ({maturity}): "
        "mean, ±2σ (warning) and ±3σ (action).",
    },
    "golden_no_model": {
        "fr": "Pas encore de lot de référence pour {unit} : "
        "construisez-le avec « gmp-twin golden build --unit {unit} ».",
        "en": "No golden batch for {unit} yet: build it with `gmp-twin golden build --unit {unit}`.",
    },
    "golden_bad_model": {
        "fr": "Modèle de lot de référence illisible : {error}",
        "en": "Golden batch model unreadable: {error}",
    },
    "golden_mean": {"fr": "Moyenne de référence", "en": "Golden mean"},
    "golden_band2": {"fr": "±2σ (alerte)", "en": "±2σ (warning)"},
    "golden_band3": {"fr": "±3σ (action)", "en": "±3σ (action)"},
    "golden_current": {"fr": "Lot en cours", "en": "Current batch"},
    "golden_outside": {"fr": "Hors enveloppe", "en": "Outside the envelope"},
    "golden_score_title": {
        "fr": "Score du lot (ACP multivoie) et limites",
        "en": "Batch score (multiway PCA) and limits",
    },
    "golden_t2": {"fr": "T² du lot", "en": "Batch T²"},
    "golden_t2_limit": {"fr": "Limite T²", "en": "T² limit"},
    "golden_spe": {"fr": "SPE", "en": "SPE"},
    "golden_spe_limit": {"fr": "Limite SPE", "en": "SPE limit"},
    "golden_alarm_points": {"fr": "Alarme", "en": "Alarm"},
    "golden_maturity_axis": {"fr": "Maturité : {maturity} ({unit})", "en": "Maturity: {maturity} ({unit})"},
    "golden_no_batch": {"fr": "Pas de lot en cours dans l'historique", "en": "No running batch in the historian"},
    "golden_status_live": {
        "fr": "Détecteur « {name} » : {state}. Règle d'alarme : {rule}.",
        "en": "Detector “{name}”: {state}. Alarm rule: {rule}.",
    },
    "golden_status_offline": {
        "fr": "Aucun détecteur « golden » configuré pour cette unité : "
        "score calculé ici sur l'historique, sans alarme. "
        "Ajoutez une entrée « method: golden » dans config/detectors.yaml.",
        "en": "No `golden` detector configured for this unit: the score is computed here from the historian, "
        "without alarms. Add a `method: golden` entry to config/detectors.yaml.",
    },
    "golden_rule": {
        "fr": "{k} fenêtres consécutives hors ±3σ, ou T²/SPE au-dessus de leur limite ({alpha} % par point)",
        "en": "{k} consecutive windows outside ±3σ, or T²/SPE over their limit ({alpha} % per point)",
    },
    "golden_state_alarm": {"fr": "en alarme ({rules})", "en": "in alarm ({rules})"},
    "golden_state_ok": {"fr": "dans l'enveloppe", "en": "inside the envelope"},
    "golden_state_idle": {"fr": "{status}", "en": "{status}"},
    "golden_worst": {"fr": "Plus loin de la référence : {items}", "en": "Furthest from the golden batch: {items}"},
}
