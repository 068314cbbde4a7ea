"""``gmp-twin analyze spc|pca|oee`` summaries in French and English (real CLI runs in a subprocess).

The input files are the fixtures of ``test_analyze_cli.py``. French output must have French words
and decimal commas; English output no French (no accented letter at all); JSON the same bytes in
both languages.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from test_analyze_cli import oee_files, pca_files, spc_csv

__all__ = ["oee_files", "pca_files", "spc_csv"]  # fixtures, used by name

CLI = [sys.executable, "-m", "gmp_twin", "analyze"]
ROOT = Path(__file__).resolve().parents[2]
DECIMAL_COMMA = re.compile(r"\d,\d")
FRENCH_LETTERS = re.compile(r"[àâçéèêëîïôûùüÿœ]", re.IGNORECASE)


def _run(*args: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("GMP_TWIN_LANG", "LC_ALL", "LC_MESSAGES", "LANG")}
    done = subprocess.run(
        [*CLI, *args], capture_output=True, text=True, cwd=ROOT, env={**clean, **env}, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _english(out: str) -> None:
    assert not FRENCH_LETTERS.search(out), out
    for word in ("remarque", "lignes", "colonne", "TRS", "disponibilité", "aucune"):
        assert word not in out, (word, out)


def test_spc_summary_follows_the_language(spc_csv: Path) -> None:
    args = [*("spc", "--data", str(spc_csv), "--all-columns", "--drop-non-numeric"), "--method", "shewhart"]
    args += ["--reference-rows", "40"]
    french = _run(*args, GMP_TWIN_LANG="fr")
    assert "carte shewhart, règles de tendance\u00a0: aucune (limites de contrôle seulement)" in french
    assert "colonne" in french and "1re alarme (ligne)" in french and "règles déclenchées" in french
    assert "remarque\u00a0: colonne non numérique 'time' écartée" in french
    temp = next(line for line in french.splitlines() if line.strip().startswith("temp "))
    assert DECIMAL_COMMA.search(temp) and "." not in temp, temp  # centre and sigma: 50,11 not 50.11
    assert _run(*args, LANG="fr_FR.UTF-8") == french  # the locale when GMP_TWIN_LANG is unset
    english = _run(*args, "--lang", "en", GMP_TWIN_LANG="fr")  # the flag wins
    assert "shewhart chart, run rules: none (control limits only)" in english
    assert "note: dropped non-numeric column 'time'" in english
    _english(english)
    assert _run(*args, "--json", "--lang", "fr") == _run(*args, "--json", "--lang", "en")


def test_pca_summary_follows_the_language(pca_files: tuple[Path, Path]) -> None:
    ref, data = pca_files
    args = ("pca", "--reference", str(ref), "--data", str(data), "--drop-non-numeric", "--limits", "empirical")
    french = _run(*args, "--lang", "fr")
    assert "Modèle ACP\u00a0:" in french and "composantes" in french and "de la variance)" in french
    # Each limit at 99.5 %: the alarm (T² or SPE) has a false-alarm rate of at most 1 %.
    assert "limites (empiriques, 99,5 %)" in french and "alarme = T² ou SPE" in french
    assert "lignes évaluées" in french and "première alarme à la ligne de données" in french
    assert "validation croisée en 5 blocs" in french
    model = french.splitlines()[0]
    assert re.search(r"\(\d+,\d %", model), model  # explained variance with a decimal comma
    english = _run(*args, GMP_TWIN_LANG="en", LANG="fr_FR.UTF-8")  # GMP_TWIN_LANG before LANG
    assert english.startswith("PCA model: ") and "first alarm at data row" in english
    assert "limits (empirical, 99.5 %)" in english and "cross-validation" in english
    _english(english)
    assert _run(*args, "--json", "--lang", "fr") == _run(*args, "--json", "--lang", "en")


def test_oee_summary_follows_the_language(oee_files: tuple[Path, Path]) -> None:
    states, counts = oee_files
    args = ("oee", "--states", str(states), "--counts", str(counts), "--ideal-rate", "30")
    french = _run(*args, "--lang", "fr")
    assert "TRS 68,8 % = disponibilité 77,9 % × performance 89,1 % × qualité 99,0 %" in french
    assert "temps de production planifié 4,00 h" in french and "cadence idéale 30/min" in french
    assert "pannes par cause (min)\u00a0: motor 21,0" in french and "MTTR 21,0 min" in french
    assert "produites 5\u202f000" in french  # French grouping: narrow no-break space
    english = _run(*args)  # no language in the environment: English
    assert "OEE 68.8 % = availability 77.9 %" in english and "MTTR 21.0 min" in english
    assert "produced 5,000" in english
    _english(english)
    no_rate = _run("oee", "--states", str(states), "--counts", str(counts), "--lang", "fr")
    assert "cadence idéale inconnue (donner --ideal-rate R pièces/min)" in no_rate
    assert "performance n.d." in no_rate and "pas de cadence idéale" in no_rate
    assert _run(*args, "--json", "--lang", "fr") == _run(*args, "--json", "--lang", "en")


def test_help_lists_the_flag() -> None:
    for command in ("spc", "pca", "oee"):
        assert "--lang {fr,en}" in _run(command, "--help")
