"""The analyses' notes in the summary's language.

``analytics`` writes its notes in English (they are also in the JSON output, which stays
language-neutral); a French summary reads each one back by its pattern and prints the
``analyze.note.<id>`` text of the catalogue, numbers with a decimal comma. A note without a
pattern here is printed as analytics wrote it.

Examples
--------
>>> note_text("dropped non-numeric column 'time'", "fr")
"colonne non numérique 'time' écartée"
>>> note_text("counters interpolated at t=7.5 (between samples)", "fr")
'compteurs interpolés à t = 7,5 (entre deux échantillons)'
>>> note_text("column x: 2 missing value(s) at row(s) 1, 2, 3, 4, 5 and 2 more, skipped", "fr")
'colonne x\\xa0: 2 valeur(s) manquante(s) aux lignes 1, 2, 3, 4, 5 et 2 autres, ignorée(s)'
>>> note_text("dropped non-numeric column 'time'", "en"), note_text("something new", "fr")
("dropped non-numeric column 'time'", 'something new')
"""

from __future__ import annotations

import re

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")

#: The English note (analytics' wording) -> its catalogue key.
_NOTES = tuple(
    (re.compile(pattern), f"analyze.note.{key}")
    for pattern, key in (
        (r"dropped non-numeric column (?P<column>.+)", "non_numeric"),
        (r"column (?P<column>.+): (?P<n>\d+) missing value\(s\) at row\(s\) (?P<rows>.+), skipped", "missing_kept"),
        (
            r"dropped (?P<n>\d+) row\(s\) with missing values \(rows (?P<rows>.+); columns (?P<columns>.+)\)",
            "missing_dropped",
        ),
        (r"columns of (?P<file>.+) matched to the reference by position", "by_position"),
        (r"dropped constant column\(s\) (?P<columns>.+)", "constant"),
        (
            r"only (?P<n>\d+) calibration rows for alpha=(?P<alpha>\S+): the empirical limit is the largest value seen",
            "few_calibration",
        ),
        (r"empirical limits from (?P<n>\d+) calibration rows", "calibration"),
        (
            r"too few reference rows for cross-validated limits: empirical limits from the fitted rows "
            r"\(optimistic\); give calibration data",
            "few_reference",
        ),
        (
            r"empirical limits from (?P<folds>\d+)-fold block cross-validation on (?P<n>\d+) reference rows",
            "cross_validation",
        ),
        (
            r"(?P<n>\d+) alarm\(s\) inside the reference period \(rows 0\.\.(?P<last>\d+)\): it may not be in "
            r"control; investigate, exclude those rows and re-estimate",
            "alarms_in_reference",
        ),
        (r"(?P<n>\d+) row\(s\) with missing values skipped \(no statistic, no alarm\)", "rows_skipped"),
        (r"mean given explicitly; the rest estimated \((?P<source>\w+)\)", "mean_given"),
        (r"sigma given explicitly; the rest estimated \((?P<source>\w+)\)", "sigma_given"),
        (r"(?P<n>\d+) NaN value\(s\) dropped from the reference period", "nan_dropped"),
        (r"(?P<n>\d+) subgroup\(s\) with NaN dropped from the reference period", "subgroups_dropped"),
        (
            r"empirical limits from (?P<folds>\d+)-fold block cross-validation on (?P<n>\d+) reference rows, "
            r"never below the analytic limits",
            "cross_validation_floor",
        ),
        (
            r"the scores of component\(s\) (?P<columns>.+) change slowly \(lag-1 autocorrelation up to (?P<rho>\S+)\): "
            r"the (?P<n>\d+) reference rows hold only about (?P<neff>\d+) independent values of them, so T² and its "
            r"limit are uncertain and new normal data may alarm more than stated; give a longer reference that "
            r"covers the process's slow swings",
            "slow_scores",
        ),
        (r"dropped time column\(s\) (?P<columns>.+)", "time_dropped"),
        (r"dropped counter column\(s\) (?P<columns>.+) \(monotonic over the reference\)", "counter_dropped"),
        (r"dropped step/state code column\(s\) (?P<columns>.+)", "step_dropped"),
        (
            r"dropped held column\(s\) (?P<columns>.+) \(sample-and-hold: they change in under 1 % of the rows\)",
            "held_dropped",
        ),
        (
            r"kept column\(s\) (?P<columns>.+) as asked, though they look like time, counter or step columns",
            "kept_asked",
        ),
        (
            r"column\(s\) (?P<columns>.+) only rise or only fall over the reference \(a trend\): new data will "
            r"leave their range; drop them \(--exclude\) or use a batch-aligned model",
            "trending",
        ),
        (r"left out column\(s\) (?P<columns>.+) \(--exclude\)", "excluded"),
        (
            r"column (?P<column>.+) is constant in the reference but changes in (?P<file>.+) \(first at data row "
            r"(?P<row>\d+)\); the PCA does not watch it: check it separately",
            "constant_moves",
        ),
        (
            r"(?P<k>\d+) components by parallel analysis \(eigenvalues above the (?P<q>\d+)th percentile of "
            r"(?P<n>\d+) simulations of uncorrelated data\)",
            "pa_components",
        ),
        (
            r"(?P<k>\d+) components by parallel analysis \(eigenvalues above the (?P<q>\d+)th percentile of "
            r"(?P<n>\d+) simulations of uncorrelated data\); no eigenvalue is above it: the variables look "
            r"uncorrelated, 1 component kept",
            "pa_none",
        ),
        (
            r"(?P<k>\d+) components by (?P<folds>\d+)-block row-wise cross-validation \(smallest PRESS: "
            r"(?P<press>\S+) of the PRESS without a model\)",
            "cv_components",
        ),
        (r"(?P<k>\d+) components by explained variance \((?P<share>\S+) >= (?P<target>\S+)\)", "variance_components"),
        (r"counter reset at t=(?P<t>\S+): the new value was taken as the increment", "counter_reset"),
        (
            r"produced \((?P<produced>\S+)\) != good \+ rejected \((?P<good>\S+) \+ (?P<rejected>\S+)\); "
            r"quality uses good / produced",
            "counts_disagree",
        ),
        (r"no ideal rate: performance and OEE unknown \(give ideal_rate_per_min\)", "no_ideal_rate"),
        (r"performance (?P<performance>\S+) > 1: the ideal rate is below the real rate", "performance_over_1"),
        (r"counters interpolated at t=(?P<t>\S+) \(between samples\)", "interpolated"),
        (
            r"no state known before t=(?P<t>\S+): (?P<s>\S+) s from the range start not counted",
            "no_state_before",
        ),
    )
)

#: Captured fields that are names (columns, files), never numbers to reformat.
_NAMES = {"column", "columns", "file"}


def note_text(note: str, lang: str) -> str:
    """``note`` (an English note of analytics) in ``lang``; unknown notes as they are."""
    if lang == "en":
        return note
    for pattern, key in _NOTES:
        match = pattern.fullmatch(note)
        if match:
            from dashboard.i18n import t

            fields = {k: v if k in _NAMES else _localise(v, lang) for k, v in match.groupdict().items()}
            return t(key, lang, **fields)
    return note


def _localise(text: str, lang: str) -> str:
    """Numbers in ``text`` for a ``lang`` reader, and a row list's "and N more"."""
    from dashboard.i18n import fmt_number, t

    text = _NUMBER.sub(lambda m: fmt_number(float(m.group()), lang, significant=6), text)
    return re.sub(r" and (\S+) more$", lambda m: t("analyze.note.more", lang, n=m.group(1)), text)
