"""The classroom benchmark's quick mode runs end to end: 2 team plants at ×1 and ×10.

It starts the real ``gmp-twin run --teams 2`` as a child process (temporary data directory, free
ports, a student per team and an instructor), posts the pages' Dash callbacks over HTTP and
samples the child with py-spy. Speed is not asserted (two shared cores); the JSON shape is, and
that every callback was served, the students' classroom callback refused and each team's clock
advanced.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PARTS = {"simulation", "bridge", "historian", "monitoring", "dashboard", "other"}
CALLBACKS = {"student_station", "student_bioreactor", "instructor_classroom", "instructor_console"}


def test_quick_run_prints_the_classroom_figures() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "classroom", "--quick"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout)["classroom"]
    assert result["goal"] == {"p95_ms": 200.0, "teams": 12, "speed": 1.0}
    assert result["teams"] == 2 and result["pass"] is False  # the goal is about 12 teams
    for key, speed in (("x1", 1.0), ("x10", 10.0)):
        figures = result[key]
        assert (figures["teams"], figures["speed"]) == (2, speed)
        assert figures["errors"] == {}, key
        assert set(figures["callbacks"]) == CALLBACKS, key
        for name, served in figures["callbacks"].items():
            assert served["requests"] > 0, (key, name)
            assert 0 < served["p50_ms"] <= served["p95_ms"] <= served["max_ms"], (key, name)
        assert figures["all"]["requests"] == sum(c["requests"] for c in figures["callbacks"].values())
        assert figures["student_on_classroom_callback"] == 403, key
        assert figures["sim_speed_reached"]["min"] > 0, key
        assert figures["cpu"]["cores_used"] > 0, key
        if "skipped" not in figures["cpu"]:
            shares = figures["cpu"]["share"]
            assert set(shares) == PARTS and abs(sum(shares.values()) - 1) < 0.01, key
        assert isinstance(figures["pass"], bool)
