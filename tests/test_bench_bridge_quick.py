"""The bridge throughput benchmark's quick mode runs end to end and loses nothing.

It starts real processes (an asyncua server, a raw asyncua client, one and two bridge
processes, SQLite files and, when ``influxd`` is on PATH, InfluxDB 1.x). Speed is not
asserted (two shared cores); the JSON shape and exact 0 loss are.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_quick_run_prints_the_figures_and_loses_nothing() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "bridge_throughput", "--quick"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout)["bridge_throughput"]
    assert result["goal"] == {"values_per_s": 20_000, "lost": 0, "p95_ms": 1000.0}
    size = result["200"]
    assert size["variables"] == 200
    raw = size["raw"]
    assert raw["published"] > 0
    assert raw["received"] == raw["published"]
    assert raw["lost"] == 0
    assert raw["dropped_notifications"] == 0
    legs = ["sqlite", "sqlite_2_processes"]
    if shutil.which("influxd"):
        legs += ["influxdb1", "influxdb1_2_processes"]
    else:
        assert "skipped" in result["influxdb1"]
    for leg in legs:
        figures = size[leg]
        assert figures["processes"] == (2 if leg.endswith("2_processes") else 1), leg
        assert figures["published"] > 0, leg
        # Exact accounting: every counted-up value reached the historian, none twice.
        assert figures["stored"] == figures["published"], leg
        assert figures["lost"] == 0, leg
        assert figures["dropped_notifications"] == 0, leg
        assert figures["outbox_dropped"] == 0, leg
        assert figures["values_per_s"] > 0, leg
        assert figures["ratio_to_raw"] > 0, leg
        assert 0 <= figures["p50_ms"] <= figures["p95_ms"] <= figures["max_ms"], leg
        assert isinstance(figures["pass"], bool), leg
