"""The command line's summaries in French and English: ``scenario list`` and ``score`` (real CLI runs)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from analytics.detectors import load_detectors
from gmp_twin.playback import play
from twin.faults.manager import plant_targets
from twin.faults.scenarios import load_scenario
from twin.plant import build_plant, load_plant, unit_steps
from twin.runtime import TwinRuntime

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "gmp_twin"]


def _run(*args: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("GMP_TWIN_LANG", "LC_ALL", "LC_MESSAGES", "LANG")}
    done = subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=ROOT, env={**clean, **env})
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_scenario_list_follows_gmp_twin_lang_then_lang_and_the_flag() -> None:
    french = _run("scenario", "list", GMP_TWIN_LANG="fr")
    assert "Usure de la pompe de la station MPS PA" in french
    assert "[caché]" in french and " 3,0 h" in french  # decimal comma
    assert _run("scenario", "list", LANG="fr_FR.UTF-8") == french
    english = _run("scenario", "list", "--lang", "en", GMP_TWIN_LANG="fr")
    assert "Pump wear on the MPS PA station" in english and "[hidden]" in english and " 3.0 h" in english
    assert "Usure" not in english


def test_score_table_in_french(tmp_path: Path) -> None:
    plant = load_plant(ROOT / "config" / "plant.yaml")
    targets = plant_targets(TwinRuntime(build_plant(plant), unit_dt_s=unit_steps(plant)))
    detectors = load_detectors(ROOT / "config" / "detectors.yaml", {n: list(u.tags) for n, u in targets.units.items()})
    events = play(load_scenario(ROOT / "config" / "scenarios" / "level-sensor-bias.yaml"), plant, detectors, seed=2)
    path = events.write(tmp_path / "run.jsonl")
    french = _run("score", "--file", str(path), "--lang", "fr")
    assert (
        french.splitlines()[0].split()
        == "panne type cible début détectée par délai fausses avant fausses après".split()
    )
    assert "1/1 pannes détectées ;" in french
    english = _run("score", "--file", str(path), GMP_TWIN_LANG="en")
    assert "1/1 faults detected;" in english
