"""The DoE benchmark's quick mode runs end to end (``python -m bench doe --quick``).

Speed is not asserted (two shared cores); the JSON shape is, and that the brute-force check in it
finds the dryer's edge of failure within one grid step.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_quick_run_prints_the_doe_figures() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "doe", "--quick"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    doe = json.loads(proc.stdout)["doe"]
    dryer = doe["dryer_20_runs"]
    assert dryer["target_s"] == 120.0 and isinstance(dryer["pass"], bool)
    assert dryer["wall_s"] > 0 and dryer["cpu_s"] > 0
    assert set(dryer["q2"]) == {"drying_time", "max_product_temperature", "final_lod"}
    assert doe["simulate_serial_s"] > 0 and doe["parallel_speedup"] > 0
    assert doe["verify_within_one_step"] is True
    assert "bioreactor_ccd_17_runs" not in doe  # quick mode skips the 230 h batches
