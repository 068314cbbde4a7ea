"""Text of the ``gmp-twin analyze spc|pca|oee`` summaries (``gmp_twin/analyze/``), in French and English.

Merged into the catalogue by :func:`dashboard.i18n.catalogue` until
``python -m dashboard.i18n_catalog absorb dashboard.labels_analyze --delete`` moves it into the ``.po`` files.
Numbers arrive formatted for the language (decimal comma in French); ``{c}`` is the colon
(``" :"`` with a no-break space in French).
"""

from __future__ import annotations

_NB = "\u00a0"  # French puts a no-break space before ":" and ";"

LABELS: dict[str, dict[str, str]] = {
    # Shared
    "analyze.note": {"fr": f"remarque{_NB}: {{note}}", "en": "note: {note}"},
    "analyze.na": {"fr": "n.d.", "en": "n/a"},
    # SPC
    "analyze.spc.header": {
        "fr": f"{{file}}{_NB}: carte {{method}}, règles de tendance{_NB}: {{rules}}",
        "en": "{file}: {method} chart, run rules: {rules}",
    },
    "analyze.spc.limits_only": {"fr": " (limites de contrôle seulement)", "en": " (control limits only)"},
    "analyze.spc.rules_none": {"fr": "aucune", "en": "none"},
    "analyze.spc.col.column": {"fr": "colonne", "en": "column"},
    "analyze.spc.col.rows": {"fr": "lignes", "en": "rows"},
    "analyze.spc.col.centre": {"fr": "centre", "en": "centre"},
    "analyze.spc.col.sigma": {"fr": "sigma", "en": "sigma"},
    "analyze.spc.col.alarms": {"fr": "alarmes", "en": "alarms"},
    "analyze.spc.col.first_alarm": {"fr": "1re alarme (ligne)", "en": "first alarm (row)"},
    "analyze.spc.col.rules": {"fr": "règles déclenchées", "en": "rules fired"},
    # PCA
    "analyze.pca.model": {
        "fr": f"Modèle ACP{_NB}: {{file}}, {{rows}} lignes × {{variables}} variables{{lags}}{_NB}; "
        "{components} composantes ({explained} de la variance)",
        "en": "PCA model: {file}, {rows} rows × {variables} variables{lags}; "
        "{components} components ({explained} of the variance)",
    },
    "analyze.pca.lags": {"fr": ", décalages {lags}", "en": ", lags {lags}"},
    "analyze.pca.limits": {
        "fr": f"limites ({{method}}, {{confidence}}){_NB}: T² {{t2}}, SPE {{spe}}, φ combiné {{phi}}{_NB}; "
        "alarme = {signal}",
        "en": "limits ({method}, {confidence}): T² {t2}, SPE {spe}, combined φ {phi}; alarm = {signal}",
    },
    "analyze.pca.method.analytic": {"fr": "analytiques", "en": "analytic"},
    "analyze.pca.method.empirical": {"fr": "empiriques", "en": "empirical"},
    "analyze.pca.signal.either": {"fr": "T² ou SPE", "en": "either"},
    "analyze.pca.signal.t2": {"fr": "T²", "en": "t2"},
    "analyze.pca.signal.spe": {"fr": "SPE", "en": "spe"},
    "analyze.pca.signal.combined": {"fr": "φ combiné", "en": "combined"},
    "analyze.pca.scored": {
        "fr": f"{{file}}{_NB}: {{rows}} lignes évaluées{_NB}; lignes au-delà de la limite{_NB}: "
        "T² {t2} ({t2_share}), SPE {spe} ({spe_share}), φ {phi} ({phi_share})",
        "en": "{file}: {rows} rows scored; rows over the limit: "
        "T² {t2} ({t2_share}), SPE {spe} ({spe_share}), φ {phi} ({phi_share})",
    },
    "analyze.pca.no_alarm": {"fr": "aucune alarme", "en": "no alarm"},
    "analyze.pca.first_alarm": {
        "fr": f"première alarme à la ligne de données {{row}}{_NB}; premières alarmes avec les variables "
        f"qui y contribuent le plus{_NB}:",
        "en": "first alarm at data row {row}; first alarms with the variables that contribute most:",
    },
    "analyze.pca.alarm_row": {
        "fr": f"  ligne {{row}}{_NB}: {{which}}  T² {{t2}}  SPE {{spe}}  principales ({{stat}}){_NB}: {{tops}}",
        "en": "  row {row}: {which}  T² {t2}  SPE {spe}  top ({stat}): {tops}",
    },
    "analyze.pca.more": {
        "fr": "  ... encore {n} lignes en alarme (--json pour toutes)",
        "en": "  ... {n} more alarm rows (--json for all)",
    },
    # OEE
    "analyze.oee.machine": {
        "fr": f"{{machine}}{_NB}: {{start}} → {{end}}, temps de production planifié {{hours}} h",
        "en": "{machine}: {start} → {end}, planned busy time {hours} h",
    },
    "analyze.oee.formula": {
        "fr": "  TRS {oee} = disponibilité {availability} × performance {performance} × qualité {quality}",
        "en": "  OEE {oee} = availability {availability} × performance {performance} × quality {quality}",
    },
    "analyze.oee.counts": {
        "fr": f"  produites {{produced}}, bonnes {{good}}, rebutées {{rejected}}{_NB}; cadence idéale {{rate}}",
        "en": "  produced {produced}, good {good}, rejected {rejected}; ideal rate {rate}",
    },
    "analyze.oee.rate_unknown": {
        "fr": "inconnue (donner --ideal-rate R pièces/min)",
        "en": "unknown (give --ideal-rate R items/min)",
    },
    "analyze.oee.losses": {"fr": f"  pertes (min){_NB}: {{losses}}", "en": "  losses (min): {losses}"},
    "analyze.oee.loss.breakdowns": {"fr": "pannes", "en": "breakdowns"},
    "analyze.oee.loss.setup": {"fr": "réglages", "en": "setup"},
    "analyze.oee.loss.small_stops": {"fr": "micro-arrêts", "en": "small stops"},
    "analyze.oee.loss.starved_blocked": {"fr": "manque/saturation", "en": "starved/blocked"},
    "analyze.oee.loss.reduced_speed": {"fr": "sous-vitesse", "en": "reduced speed"},
    "analyze.oee.loss.defects": {"fr": "défauts", "en": "defects"},
    "analyze.oee.loss.startup": {"fr": "rebuts au démarrage", "en": "start-up rejects"},
    "analyze.oee.by_cause": {
        "fr": f"  pannes par cause (min){_NB}: {{causes}}",
        "en": "  breakdowns by cause (min): {causes}",
    },
    "analyze.oee.failures": {
        "fr": "  défaillances {failures}, MTBF {mtbf}, MTTR {mttr}",
        "en": "  failures {failures}, MTBF {mtbf}, MTTR {mttr}",
    },
    "analyze.oee.line": {
        "fr": f"ligne {{order}}{_NB}: TRS {{oee}} = pièces bonnes en fin de ligne ({{end}}) à la cadence idéale "
        "du goulot ({bottleneck}, {rate}/min) sur son temps de production planifié",
        "en": "line {order}: OEE {oee} = end-of-line good output of {end} at the bottleneck's ideal rate "
        "({bottleneck}, {rate}/min) over its planned busy time",
    },
    "analyze.oee.period": {"fr": f"période {{period}}{_NB}: {{machines}}", "en": "period {period}: {machines}"},
    "analyze.oee.period_machine": {
        "fr": "{machine} TRS {oee} (D {availability}, P {performance}, Q {quality})",
        "en": "{machine} OEE {oee} (A {availability}, P {performance}, Q {quality})",
    },
    # Notes of analytics (``gmp_twin/analyze/notes.py`` reads the English back by its pattern)
    "analyze.note.more": {"fr": " et {n} autres", "en": " and {n} more"},
    "analyze.note.non_numeric": {
        "fr": "colonne non numérique {column} écartée",
        "en": "dropped non-numeric column {column}",
    },
    "analyze.note.missing_kept": {
        "fr": f"colonne {{column}}{_NB}: {{n}} valeur(s) manquante(s) aux lignes {{rows}}, ignorée(s)",
        "en": "column {column}: {n} missing value(s) at row(s) {rows}, skipped",
    },
    "analyze.note.missing_dropped": {
        "fr": f"{{n}} ligne(s) avec des valeurs manquantes écartée(s) (lignes {{rows}}{_NB}; colonnes {{columns}})",
        "en": "dropped {n} row(s) with missing values (rows {rows}; columns {columns})",
    },
    "analyze.note.by_position": {
        "fr": "colonnes de {file} associées à celles de la référence par leur position",
        "en": "columns of {file} matched to the reference by position",
    },
    "analyze.note.constant": {
        "fr": f"colonne(s) constante(s) écartée(s){_NB}: {{columns}}",
        "en": "dropped constant column(s) {columns}",
    },
    "analyze.note.few_calibration": {
        "fr": f"seulement {{n}} lignes de calibration pour alpha = {{alpha}}{_NB}: la limite empirique est "
        "la plus grande valeur observée",
        "en": "only {n} calibration rows for alpha={alpha}: the empirical limit is the largest value seen",
    },
    "analyze.note.calibration": {
        "fr": "limites empiriques tirées de {n} lignes de calibration",
        "en": "empirical limits from {n} calibration rows",
    },
    "analyze.note.few_reference": {
        "fr": f"trop peu de lignes de référence pour une validation croisée{_NB}: limites empiriques tirées des "
        f"lignes d'apprentissage (optimistes){_NB}; fournir des données de calibration",
        "en": "too few reference rows for cross-validated limits: empirical limits from the fitted rows "
        "(optimistic); give calibration data",
    },
    "analyze.note.cross_validation": {
        "fr": "limites empiriques par validation croisée en {folds} blocs sur {n} lignes de référence",
        "en": "empirical limits from {folds}-fold block cross-validation on {n} reference rows",
    },
    "analyze.note.alarms_in_reference": {
        "fr": f"{{n}} alarme(s) dans la période de référence (lignes 0..{{last}}){_NB}: elle n'est peut-être pas "
        f"maîtrisée{_NB}; examiner, exclure ces lignes et réestimer",
        "en": "{n} alarm(s) inside the reference period (rows 0..{last}): it may not be in control; "
        "investigate, exclude those rows and re-estimate",
    },
    "analyze.note.rows_skipped": {
        "fr": "{n} ligne(s) avec des valeurs manquantes ignorée(s) (ni statistique, ni alarme)",
        "en": "{n} row(s) with missing values skipped (no statistic, no alarm)",
    },
    "analyze.note.mean_given": {
        "fr": f"moyenne donnée explicitement{_NB}; le reste estimé ({{source}})",
        "en": "mean given explicitly; the rest estimated ({source})",
    },
    "analyze.note.sigma_given": {
        "fr": f"sigma donné explicitement{_NB}; le reste estimé ({{source}})",
        "en": "sigma given explicitly; the rest estimated ({source})",
    },
    "analyze.note.nan_dropped": {
        "fr": "{n} valeur(s) NaN écartée(s) de la période de référence",
        "en": "{n} NaN value(s) dropped from the reference period",
    },
    "analyze.note.subgroups_dropped": {
        "fr": "{n} sous-groupe(s) avec NaN écarté(s) de la période de référence",
        "en": "{n} subgroup(s) with NaN dropped from the reference period",
    },
    "analyze.note.counter_reset": {
        "fr": f"remise à zéro du compteur à t = {{t}}{_NB}: la nouvelle valeur est prise comme incrément",
        "en": "counter reset at t={t}: the new value was taken as the increment",
    },
    "analyze.note.counts_disagree": {
        "fr": f"produites ({{produced}}) ≠ bonnes + rebutées ({{good}} + {{rejected}}){_NB}; "
        "la qualité vaut bonnes / produites",
        "en": "produced ({produced}) != good + rejected ({good} + {rejected}); quality uses good / produced",
    },
    "analyze.note.no_ideal_rate": {
        "fr": f"pas de cadence idéale{_NB}: performance et TRS inconnus (donner --ideal-rate)",
        "en": "no ideal rate: performance and OEE unknown (give ideal_rate_per_min)",
    },
    "analyze.note.performance_over_1": {
        "fr": f"performance {{performance}} > 1{_NB}: la cadence idéale est inférieure à la cadence réelle",
        "en": "performance {performance} > 1: the ideal rate is below the real rate",
    },
    "analyze.note.interpolated": {
        "fr": "compteurs interpolés à t = {t} (entre deux échantillons)",
        "en": "counters interpolated at t={t} (between samples)",
    },
    "analyze.note.no_state_before": {
        "fr": f"aucun état connu avant t = {{t}}{_NB}: {{s}} s depuis le début de la plage non comptées",
        "en": "no state known before t={t}: {s} s from the range start not counted",
    },
}
