"""FR/EN labels of the PAT page, the PAT tags and the ``raman_out_of_calibration`` fault (issue #15).

Merged into the catalogue by :func:`dashboard.i18n.catalogue` until folded into the ``.po`` files.
"""

from __future__ import annotations

_TAGS: dict[str, dict[str, str]] = {}
for _a, _fr, _en, _lab_fr, _lab_en in (
    ("glucose", "Glucose", "Glucose", "analyseur enzymatique", "enzymatic analyser"),
    ("titre", "Titre en pénicilline", "Penicillin titre", "HPLC", "HPLC"),
):
    _TAGS |= {
        f"tag.bioreactor.{_a}_pat_pi": {
            "fr": f"{_fr}, PAT Raman : demi-largeur de l'intervalle de prédiction (95 %)",
            "en": f"{_en}, Raman PAT: half-width of the prediction interval (95 %)",
        },
        f"tag.bioreactor.{_a}_pat_t2": {
            "fr": f"Modèle {_fr.lower()} : T2 de Hotelling du spectre par rapport au jeu d'étalonnage",
            "en": f"{_en} model: Hotelling T2 of the spectrum against the calibration set",
        },
        f"tag.bioreactor.{_a}_pat_q": {
            "fr": f"Modèle {_fr.lower()} : résidu Q (SPE) du spectre par rapport au jeu d'étalonnage",
            "en": f"{_en} model: residual Q (SPE) of the spectrum against the calibration set",
        },
        f"tag.bioreactor.{_a}_pat_ok": {
            "fr": f"Prédiction {_fr.lower()} fiable (1) : T2 et Q sous leurs limites, dans la plage étalonnée",
            "en": f"{_en} prediction trusted (1): T2 and Q under their limits, inside the calibrated range",
        },
        f"tag.bioreactor.{_a}_lab": {
            "fr": f"{_fr}, échantillon de référence hors ligne ({_lab_fr}), maintenu jusqu'au suivant",
            "en": f"{_en}, off-line reference sample ({_lab_en}), held until the next",
        },
        f"tag.bioreactor.{_a}_pat_t2_limit": {
            "fr": f"Modèle {_fr.lower()} : limite du T2 de Hotelling (99 %)",
            "en": f"{_en} model: limit of Hotelling T2 (99 %)",
        },
        f"tag.bioreactor.{_a}_pat_q_limit": {
            "fr": f"Modèle {_fr.lower()} : limite du résidu Q (99 %)",
            "en": f"{_en} model: limit of the residual Q (99 %)",
        },
    }

LABELS: dict[str, dict[str, str]] = {
    **_TAGS,
    "tag.fluid_bed_dryer.nir_lod_pi": {
        "fr": "Humidité NIR : demi-largeur de l'intervalle de prédiction (95 %, son erreur annoncée)",
        "en": "NIR moisture: half-width of the 95 % prediction interval (its stated error)",
    },
    "tag.fluid_bed_dryer.lod_lab": {
        "fr": "Perte à la dessiccation, échantillon de référence hors ligne (dessiccateur halogène), "
        "maintenue jusqu'au suivant",
        "en": "Loss on drying, off-line reference sample (halogen moisture balance), held until the next",
    },
    "state.pat.in_space": {"fr": "dans l'espace étalonné", "en": "in the calibrated space"},
    "state.pat.out_of_space": {"fr": "hors de l'espace étalonné", "en": "outside the calibrated space"},
    # The PAT page.
    "pat": {"fr": "PAT", "en": "PAT"},
    "pat_title": {
        "fr": "PAT : prédictions en ligne, leurs intervalles et diagnostics",
        "en": "PAT: in-line predictions, their intervals and diagnostics",
    },
    "pat_intro": {
        "fr": "Chaque prédiction en ligne avec son intervalle de prédiction à 95 % (bande) et les résultats du "
        "laboratoire hors ligne (losanges). Une prédiction issue d'un spectre hors de l'espace étalonné du modèle "
        "(T2 de Hotelling ou résidu Q au-dessus de sa limite à 99 %), ou hors de la plage étalonnée, est publiée "
        "Incertaine et non Bonne (points marqués) ; sa valeur n'est jamais écrêtée.",
        "en": "Each in-line prediction with its 95 % prediction interval (band) and the off-line lab results "
        "(diamonds). A prediction from a spectrum outside the model's calibrated space (Hotelling T2 or residual Q "
        "over its 99 % limit), or outside the calibrated range, is published Uncertain, not Good (marked points); "
        "its value is never clipped.",
    },
    "pat_none": {
        "fr": "Aucune unité de cette installation n'a d'analyseur PAT (Raman ou NIR).",
        "en": "No unit of this plant has a PAT analyser (Raman or NIR).",
    },
    "pat_glucose": {"fr": "Glucose, PAT Raman", "en": "Glucose, Raman PAT"},
    "pat_titre": {"fr": "Titre en pénicilline, PAT Raman", "en": "Penicillin titre, Raman PAT"},
    "pat_moisture": {"fr": "Humidité (perte à la dessiccation), NIR", "en": "Moisture (loss on drying), NIR"},
    "pat_t2": {"fr": "T2 de Hotelling du spectre", "en": "Hotelling T2 of the spectrum"},
    "pat_q": {"fr": "Résidu Q (SPE) du spectre", "en": "Residual Q (SPE) of the spectrum"},
    "pat_t2_short": {"fr": "T2", "en": "T2"},
    "pat_q_short": {"fr": "Q", "en": "Q"},
    "pat_model_glucose": {"fr": "modèle glucose", "en": "glucose model"},
    "pat_model_titre": {"fr": "modèle titre", "en": "titre model"},
    "pat_prediction": {"fr": "Prédiction", "en": "Prediction"},
    "pat_interval": {"fr": "Intervalle à 95 %", "en": "95 % interval"},
    "pat_lab": {"fr": "Laboratoire (hors ligne)", "en": "Lab (off-line)"},
    "pat_limit": {"fr": "limite (99 %)", "en": "limit (99 %)"},
    "pat_calibrated_range": {"fr": "plage étalonnée", "en": "calibrated range"},
    "pat_uncertain_space": {
        "fr": "Incertaine : hors de l'espace étalonné",
        "en": "Uncertain: outside the calibrated space",
    },
    "pat_uncertain_range": {
        "fr": "Incertaine : hors de la plage étalonnée",
        "en": "Uncertain: outside the calibrated range",
    },
    "pat_uncertain_other": {"fr": "Qualité non bonne", "en": "Quality not good"},
    "fault.magnitude.raman_out_of_calibration": {
        "fr": "interférent du nouveau lot de matière première dans le moût, g/l (absent de l'étalonnage Raman ; "
        "à partir de 3 à 5 g/l les spectres sortent de l'espace étalonné)",
        "en": "interferent of the new raw-material lot in the broth, g/l (absent from the Raman calibration; "
        "3-5 g/l and more put the spectra outside the calibrated space)",
    },
}

__all__ = ["LABELS"]
