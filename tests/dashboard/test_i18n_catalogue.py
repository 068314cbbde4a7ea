"""The FR/EN catalogue: no key missing in a language, every ``t("literal")`` names a key, and the
``.po`` tooling (absorb a label module, check) run as the lead runs it."""

from __future__ import annotations

import ast
import importlib
import os
import string
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.i18n import LANGS, catalogue, fmt_datetime, fmt_number, label_modules, t
from dashboard.i18n_catalog import CATALOGUE_LANGS, load_texts, po_path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = "models config_schema audit access pki historian twin plc_bridge analytics dashboard gmp_twin".split()


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_catalogue_languages_are_the_dashboards() -> None:
    assert CATALOGUE_LANGS == LANGS


def test_no_key_missing_in_either_language() -> None:
    missing = {lang: sorted(k for k, v in catalogue().items() if not v.get(lang, "").strip()) for lang in LANGS}
    assert missing == {lang: [] for lang in LANGS}


def test_french_and_english_texts_take_the_same_parameters() -> None:
    differ = {k: (v["fr"], v["en"]) for k, v in catalogue().items() if _fields(v["fr"]) != _fields(v["en"])}
    assert differ == {}


def test_a_key_is_defined_once_or_with_the_same_text() -> None:
    """A label module's key that the catalogue (or another module) has with other text would be lost."""
    seen: dict[str, tuple[str, dict[str, str]]] = {k: ("the .po files", v) for k, v in load_texts().items()}
    clashes = []
    for name in label_modules():
        for key, texts in importlib.import_module(name).LABELS.items():
            if key in seen and seen[key][1] != texts:
                clashes.append(f"{key}: {name} vs {seen[key][0]}")
            seen.setdefault(key, (name, texts))
    assert clashes == []


def _literal_t_calls() -> list[tuple[str, int, str]]:
    calls = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id == "t"
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                ):
                    calls.append((str(path.relative_to(ROOT)), node.lineno, node.args[0].value))
    return calls


def test_every_literal_t_call_names_a_key() -> None:
    calls = _literal_t_calls()
    assert len(calls) > 100  # the scan does find the dashboard's calls
    unknown = [f"{path}:{line}: {key!r}" for path, line, key in calls if key not in catalogue()]
    assert unknown == []


def test_params_are_formatted_for_the_language() -> None:
    assert t("ack_needs_student", "fr", user="ana", role="viewer").endswith("vous êtes ana (viewer)")
    # A number parameter follows the language's decimal mark.
    key = next(k for k, v in catalogue().items() if "{" not in v["en"])
    assert t(key, "fr", unused=1.5) == catalogue()[key]["fr"]
    assert t("no-such-key", "de") == "no-such-key"


def test_numbers_and_dates() -> None:
    assert fmt_number(1013.27, "fr", 1) == "1\u202f013,3"  # CLDR French: narrow no-break space, comma
    assert fmt_number(1013.27, "en", 1) == "1,013.3"
    assert fmt_number(-0.04, "fr", 1) == "0,0"  # never "-0,0"
    assert fmt_number(None, "en") == "—"
    assert fmt_number(float("inf"), "fr") == "∞"
    assert fmt_datetime(1796306400.0, "fr") == "3 déc. 2026, 14:00:00"
    assert fmt_datetime(1796306400.0, "en") == "3 Dec 2026, 14:00:00"


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(cwd), str(ROOT)])}
    return subprocess.run(
        [sys.executable, "-m", "dashboard.i18n_catalog", *args], cwd=cwd, env=env, capture_output=True, text=True
    )


def test_absorb_moves_a_label_module_into_the_po_files(tmp_path: Path) -> None:
    locale = tmp_path / "locale"
    module = tmp_path / "labels_demo.py"
    module.write_text(
        'LABELS = {"demo_level": {"fr": "Niveau {n}", "en": "Level {n}"}, "demo_ok": {"fr": "Prêt", "en": "Ready"}}\n'
    )
    done = _cli("--locale-dir", str(locale), "absorb", "labels_demo", "--delete", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert not module.exists()
    texts = load_texts(locale)
    assert texts == {"demo_level": {"fr": "Niveau {n}", "en": "Level {n}"}, "demo_ok": {"fr": "Prêt", "en": "Ready"}}
    assert 'msgid "demo_ok"\nmsgstr "Prêt"' in po_path("fr", locale).read_text(encoding="utf-8")
    assert _cli("--locale-dir", str(locale), "check", cwd=tmp_path).returncode == 0

    # Another module giving a key another text is refused, naming the key; nothing is deleted.
    clash = tmp_path / "labels_clash.py"
    clash.write_text('LABELS = {"demo_ok": {"fr": "OK", "en": "OK"}}\n')
    refused = _cli("--locale-dir", str(locale), "absorb", "labels_clash", "--delete", cwd=tmp_path)
    assert refused.returncode == 1 and "'demo_ok'" in refused.stderr
    assert clash.exists() and load_texts(locale)["demo_ok"]["fr"] == "Prêt"


def test_check_reports_a_missing_translation(tmp_path: Path) -> None:
    locale = tmp_path / "locale"
    po = po_path("fr", locale)
    po.parent.mkdir(parents=True)
    po.write_text('msgid "only_fr"\nmsgstr "Seulement en français"\n', encoding="utf-8")
    done = _cli("--locale-dir", str(locale), "check", cwd=tmp_path)
    assert done.returncode == 1 and "en: missing only_fr" in done.stdout


@pytest.mark.parametrize("lang", LANGS)
def test_the_committed_catalogue_passes_check(lang: str) -> None:
    assert po_path(lang).exists()
    assert _cli("check", cwd=ROOT).returncode == 0
