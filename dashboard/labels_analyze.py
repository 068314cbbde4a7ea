"""FR/EN texts of ``gmp-twin analyze pca`` and ``analyze spc`` added for issue #15 (honest defaults).

The PCA summary's component rule, limit sources and false-alarm rates; the SPC
autocorrelation/trend diagnosis and its residual charts; the notes about dropped columns.
Merged into the catalogue by :func:`dashboard.i18n.catalogue` until folded into the ``.po`` files.
"""

from __future__ import annotations

_NB = "\u00a0"  # French: a no-break space before ":" and ";"

LABELS: dict[str, dict[str, str]] = {
    # -- analyze pca: how the model was built ----------------------------------------------
    "analyze.pca.components_by": {
        "fr": "  composantes choisies par {rule}",
        "en": "  components chosen by {rule}",
    },
    "analyze.pca.rule.parallel": {
        "fr": "analyse parallèle (Horn{_NB}: valeurs propres au-dessus de celles de données non corrélées)",
        "en": "parallel analysis (Horn: eigenvalues above those of uncorrelated data)",
    },
    "analyze.pca.rule.cv": {
        "fr": "validation croisée par lignes (5 blocs, PRESS minimal)",
        "en": "row-wise cross-validation (5 blocks, smallest PRESS)",
    },
    "analyze.pca.rule.variance": {
        "fr": "variance expliquée ≥ {share}",
        "en": "explained variance ≥ {share}",
    },
    "analyze.pca.rule.given": {
        "fr": "--components (nombre donné)",
        "en": "--components (number given)",
    },
    "analyze.pca.method.cv": {
        "fr": "validation croisée par blocs, jamais sous l'analytique",
        "en": "block cross-validation, never below analytic",
    },
    "analyze.pca.source.analytic": {"fr": "formule analytique", "en": "analytic formula"},
    "analyze.pca.source.held-out": {"fr": "lignes mises de côté", "en": "held-out rows"},
    "analyze.pca.sources": {
        "fr": f"  origine des limites{_NB}: T² {{t2}}, SPE {{spe}}, φ {{phi}}",
        "en": "  limits from: T² {t2}, SPE {spe}, φ {phi}",
    },
    # -- analyze pca: false-alarm rates ----------------------------------------------------
    "analyze.pca.expected": {
        "fr": f"taux de fausses alarmes attendu pour l'alarme{_NB}: au plus {{rate}} des lignes normales "
        "(chaque limite à {each})",
        "en": "false-alarm rate to expect from the alarm: at most {rate} of normal rows (each limit at {each})",
    },
    "analyze.pca.held_out": {
        "fr": f"  sur les lignes normales non utilisées pour l'ajustement (blocs mis de côté ou calibration){_NB}: "
        "{rate}",
        "en": "  on normal rows not used to fit (held-out blocks or calibration): {rate}",
    },
    "analyze.pca.no_normal": {
        "fr": "  donner --normal FICHIER (données normales indépendantes) pour mesurer le taux observé",
        "en": "  give --normal FILE (independent normal data) to measure the observed rate",
    },
    "analyze.pca.observed": {
        "fr": f"observé sur les données normales {{file}}{_NB}: {{rate}} ({{n}} lignes sur {{rows}}{_NB}; "
        "T² {t2}, SPE {spe})",
        "en": "observed on the normal data {file}: {rate} ({n} of {rows} rows; T² {t2}, SPE {spe})",
    },
    "analyze.pca.observed_within": {
        "fr": "  au plus 2 × le taux attendu",
        "en": "  within 2 × the expected rate",
    },
    "analyze.pca.observed_above": {
        "fr": f"  AU-DELÀ de 2 × le taux attendu{_NB}: la référence ne couvre pas la variation normale de ces "
        "données (référence plus longue, --calibration, ou lignes de référence d'autres périodes)",
        "en": "  ABOVE 2 × the expected rate: the reference does not cover the normal variation of these data "
        "(a longer reference, --calibration, or reference rows from other periods)",
    },
    "analyze.pca.alarm_count": {
        "fr": f"alarme ({{signal}}){_NB}: {{n}} lignes ({{share}})",
        "en": "alarm ({signal}): {n} rows ({share})",
    },
    # -- notes: columns --------------------------------------------------------------------
    "analyze.note.time_dropped": {
        "fr": f"colonne(s) de temps écartée(s){_NB}: {{columns}}",
        "en": "dropped time column(s) {columns}",
    },
    "analyze.note.counter_dropped": {
        "fr": f"colonne(s) compteur écartée(s){_NB}: {{columns}} (monotones sur la référence)",
        "en": "dropped counter column(s) {columns} (monotonic over the reference)",
    },
    "analyze.note.step_dropped": {
        "fr": f"colonne(s) de code d'étape ou d'état écartée(s){_NB}: {{columns}}",
        "en": "dropped step/state code column(s) {columns}",
    },
    "analyze.note.kept_asked": {
        "fr": "colonne(s) {columns} gardée(s) comme demandé, bien qu'elles ressemblent à du temps, "
        "un compteur ou une étape",
        "en": "kept column(s) {columns} as asked, though they look like time, counter or step columns",
    },
    "analyze.note.trending": {
        "fr": f"colonne(s) {{columns}} seulement croissantes ou décroissantes sur la référence (une tendance){_NB}: "
        "de nouvelles données sortiront de leur plage{_NB}; les écarter (--exclude) ou utiliser un modèle "
        "aligné sur le lot",
        "en": "column(s) {columns} only rise or only fall over the reference (a trend): new data will leave "
        "their range; drop them (--exclude) or use a batch-aligned model",
    },
    "analyze.note.excluded": {
        "fr": "colonne(s) {columns} laissée(s) de côté (--exclude)",
        "en": "left out column(s) {columns} (--exclude)",
    },
    "analyze.note.constant_moves": {
        "fr": "la colonne {column} est constante dans la référence mais change dans {file} (d'abord à la ligne "
        f"de données {{row}}){_NB}; l'ACP ne la surveille pas{_NB}: la vérifier à part",
        "en": "column {column} is constant in the reference but changes in {file} (first at data row {row}); "
        "the PCA does not watch it: check it separately",
    },
    # -- notes: components and limits ------------------------------------------------------
    "analyze.note.pa_components": {
        "fr": "{k} composantes par analyse parallèle (valeurs propres au-dessus du {q}e centile de {n} "
        "simulations de données non corrélées)",
        "en": "{k} components by parallel analysis (eigenvalues above the {q}th percentile of {n} simulations "
        "of uncorrelated data)",
    },
    "analyze.note.pa_none": {
        "fr": "{k} composante par analyse parallèle{_NB}; aucune valeur propre n'est au-dessus du {q}e centile "
        "de {n} simulations{_NB}: les variables semblent non corrélées",
        "en": "{k} components by parallel analysis (eigenvalues above the {q}th percentile of {n} simulations "
        "of uncorrelated data); no eigenvalue is above it: the variables look uncorrelated, 1 component kept",
    },
    "analyze.note.cv_components": {
        "fr": f"{{k}} composantes par validation croisée par lignes en {{folds}} blocs (PRESS minimal{_NB}: "
        "{press} du PRESS sans modèle)",
        "en": "{k} components by {folds}-block row-wise cross-validation (smallest PRESS: {press} of the PRESS "
        "without a model)",
    },
    "analyze.note.variance_components": {
        "fr": "{k} composantes par variance expliquée ({share} ≥ {target})",
        "en": "{k} components by explained variance ({share} >= {target})",
    },
    "analyze.note.cross_validation_floor": {
        "fr": "limites empiriques par validation croisée en {folds} blocs sur {n} lignes de référence, "
        "jamais sous les limites analytiques",
        "en": "empirical limits from {folds}-fold block cross-validation on {n} reference rows, never below "
        "the analytic limits",
    },
}

LABELS |= {
    # -- analyze spc: the diagnosis and its remedy -----------------------------------------
    "analyze.spc.where.reference": {"fr": " (lignes de référence)", "en": " (the reference rows)"},
    "analyze.spc.where.all": {"fr": " (toutes les lignes)", "en": " (all rows)"},
    "analyze.spc.warn.autocorrelated": {
        "fr": f"avertissement{_NB}: {{column}}{_NB}: autocorrélation de décalage 1 {{r}} (> {{limit}}) sur {{rows}} "
        f"lignes{{where}}{_NB}: des valeurs successives ne sont pas indépendantes, donc les limites tirées des "
        "étendues mobiles sont trop étroites et la carte alarme bien plus souvent que son taux annoncé",
        "en": "warning: {column}: lag-1 autocorrelation {r} (> {limit}) over {rows} rows{where}: consecutive "
        "values are not independent, so limits from moving ranges are too narrow and the chart alarms far more "
        "often than its stated rate",
    },
    "analyze.spc.warn.trend": {
        "fr": f"avertissement{_NB}: {{column}}{_NB}: tendance sur {{rows}} lignes{{where}} (Mann-Kendall p = {{p}}, "
        f"corrigé de l'autocorrélation{_NB}; le niveau se déplace de {{change}}, soit {{sigmas}} σ){_NB}: une ligne "
        "centrale fixe ne convient pas",
        "en": "warning: {column}: trend over {rows} rows{where} (Mann-Kendall p = {p}, corrected for "
        "autocorrelation; the level moves by {change}, {sigmas} σ): a fixed centre line does not fit",
    },
    "analyze.spc.warn.held": {
        "fr": f"avertissement{_NB}: {{column}}{_NB}: {{share}} des valeurs successives sont égales{_NB}: "
        "l'instrument garde sa valeur entre deux mesures, les étendues mobiles (et sigma) ne veulent pas dire "
        "grand-chose{_NB}; porter une valeur par mise à jour",
        "en": "warning: {column}: {share} of consecutive values are equal: the instrument holds its value between "
        "samples, so moving ranges (and sigma) mean little; chart one value per update",
    },
    "analyze.spc.remedy.autocorrelated": {
        "fr": f"  remède{_NB}: porter les résidus d'un modèle de série temporelle{_NB}: --residuals ar1 (modèle "
        "AR(1)) ou --residuals ewma (prévision EWMA, ligne centrale mobile)",
        "en": "  remedy: chart the residuals of a time-series model: --residuals ar1 (an AR(1) model) or "
        "--residuals ewma (an EWMA forecast, a moving centre line)",
    },
    "analyze.spc.remedy.trend": {
        "fr": f"  remède{_NB}: --residuals ewma (une ligne centrale qui suit le niveau) ou --residuals ar1{_NB}; "
        "si la tendance est le déroulement normal du lot, comparer à une référence alignée sur le lot "
        "(gmp-twin golden)",
        "en": "  remedy: --residuals ewma (a centre line that follows the level) or --residuals ar1; if the trend "
        "is the batch's normal course, compare with a batch-aligned reference (gmp-twin golden)",
    },
    "analyze.spc.remedy.still": {
        "fr": f"  les résidus restent autocorrélés ({{r}}){_NB}: essayer --residuals {{other}}",
        "en": "  the residuals are still autocorrelated ({r}): try --residuals {other}",
    },
    "analyze.spc.residuals": {
        "fr": f"{{column}}{_NB}: carte des résidus {{model}} ({{params}}){_NB}; autocorrélation de décalage 1 "
        f"restant dans les résidus de référence{_NB}: {{r}}",
        "en": "{column}: chart of the residuals of {model} ({params}); lag-1 autocorrelation left in the "
        "reference residuals: {r}",
    },
    "analyze.spc.model.ar1": {"fr": "d'un modèle AR(1)", "en": "an AR(1) model"},
    "analyze.spc.model.ewma": {"fr": "d'une prévision EWMA", "en": "an EWMA forecast"},
    "analyze.spc.header_residuals": {
        "fr": f"{_NB}; résidus {{model}}",
        "en": "; residuals of {model}",
    },
}

LABELS |= {
    "analyze.pca.alarm_rule.either": {"fr": "T² ou SPE", "en": "T² or SPE"},
    "analyze.pca.alarm_rule.t2": {"fr": "T²", "en": "T²"},
    "analyze.pca.alarm_rule.spe": {"fr": "SPE", "en": "SPE"},
    "analyze.pca.alarm_rule.combined": {"fr": "φ combiné", "en": "combined φ"},
}

LABELS |= {
    "analyze.note.slow_scores": {
        "fr": f"les scores de la ou des composantes {{columns}} varient lentement (autocorrélation de décalage 1 "
        f"jusqu'à {{rho}}){_NB}: les {{n}} lignes de référence n'en contiennent qu'environ {{neff}} valeurs "
        f"indépendantes, donc T² et sa limite sont incertains et de nouvelles données normales peuvent alarmer plus "
        f"que le taux annoncé{_NB}; donner une référence plus longue qui couvre les lentes variations du procédé",
        "en": "the scores of component(s) {columns} change slowly (lag-1 autocorrelation up to {rho}): the {n} "
        "reference rows hold only about {neff} independent values of them, so T² and its limit are uncertain and "
        "new normal data may alarm more than stated; give a longer reference that covers the process's slow swings",
    },
}

# A "{_NB}" left in a plain (not f-) string part: the no-break space it stands for.
LABELS = {key: {lang: text.replace("{_NB}", _NB) for lang, text in texts.items()} for key, texts in LABELS.items()}
