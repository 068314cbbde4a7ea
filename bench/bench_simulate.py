"""``gmp-twin simulate`` of a 230 h bioreactor batch at 1 s: wall time and peak memory of the real command.

Each figure is one run of the real command in a child process, as a learner runs it::

    gmp-twin simulate --unit bioreactor-1 --duration 230h --dt 1 --resolution 1s --out batch.parquet --quiet

(then ``--out batch.csv``): 828,000 rows × 92 columns. A small wrapper process starts the
command and reports its wall time and ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``: the
peak resident memory of the command or of its stepping child, whichever is larger (the command
steps the model in a forked child; ``--processes 1`` steps in one process). The bench also
samples, every 50 ms, the proportional set size (PSS, from ``/proc/<pid>/smaps_rollup``) of the
command and its children together, the fair total of two processes that share pages, and
the CPU time of the command and its child (user + system), less sensitive to the machine's load.

Two references, measured in the same way beside it, so a ratio survives a loaded machine:

- ``model_only``: the same unit stepped through the same chunks (``true_chunks``) with no
  sensor layer and no file: the floor the file writing adds to;
- ``in_memory`` (full run only): the previous implementation (the whole batch in memory, then
  pandas ``to_parquet`` / ``to_csv``), rebuilt from ``true_values`` and ``add_sensors``.

The model steps in a loop compiled by Numba, and the PAT calibration is read back from disk,
both cached under ``GMP_TWIN_CACHE_DIR`` (here a fresh temporary directory): ``cold_cache``
is the first Parquet run, which compiles the loop and fits the calibration (what a learner's
very first ``simulate`` costs); every other figure is a run with the cache filled.

Target (issue 15): a 230 h batch at 1 s in <= 10 s wall in Parquet and in CSV, <= 300 MB peak
RSS. ``quick`` simulates 1 h and 23 h and extrapolates the times along the line through them
to 230 h (said so in the output); the memory of a streaming run does not grow with the duration. The machine is shared
and has 2 cores: each figure is the best of ``runs`` runs, with the 1-minute load average
before each.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PLANT = REPO / "config" / "plant.yaml"
BATCH_H = 230.0
TARGET_WALL_S = 10.0
TARGET_RSS_MB = 300.0
#: The short run of ``quick`` (with the 23 h one, the line that extrapolates to 230 h).
SHORT_H = 1.0

#: Runs a command (argv from stdin's JSON) and prints its wall time and the children's peak RSS.
_WRAPPER = """
import json, resource, subprocess, sys, time
argv = json.loads(sys.stdin.read())
t0 = time.perf_counter()
proc = subprocess.run(argv, capture_output=True, text=True)
wall = time.perf_counter() - t0
use = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall_s": wall, "maxrss_kb": use.ru_maxrss, "cpu_s": use.ru_utime + use.ru_stime,
                  "rc": proc.returncode, "stderr": proc.stderr[-2000:]}))
"""

#: The model alone: the unit stepped through the command's chunks, nothing measured or written.
_MODEL_ONLY = """
import sys
from gmp_twin.simulate_stream import Plan, true_chunks
from twin.plant import build_unit, load_plant
cfg = load_plant(sys.argv[1])
index = [u.name for u in cfg.units].index("bioreactor-1")
unit = build_unit(cfg.units[index], seed=index)
for _ in true_chunks(unit, unit.tag_specs(), Plan(round(float(sys.argv[2]) * 3600), 1.0, 1)):
    pass
"""

#: The previous implementation: the whole batch in memory, then pandas writes it.
_IN_MEMORY = """
import sys
import numpy as np, pandas as pd
from gmp_twin.simulate import add_sensors, true_values
from twin.plant import build_unit, load_plant
from twin.sensors import SensorLayer
class _P:
    def update(self, n): pass
cfg = load_plant(sys.argv[1])
index = [u.name for u in cfg.units].index("bioreactor-1")
unit = build_unit(cfg.units[index], seed=index)
specs = unit.tag_specs()
n = round(float(sys.argv[2]) * 3600)
values = true_values(unit, specs, n, 1.0, 1, float("inf"), _P())
steps = np.arange(1, n + 1, dtype=np.int64)
measured = add_sensors(values, specs, SensorLayer(specs, seed=index), steps.astype(np.uint64))
frame = pd.DataFrame({"time_s": steps * 1.0, **measured})
out = sys.argv[3]
frame.to_csv(out, index=False, float_format="%.6g") if out.endswith(".csv") else frame.to_parquet(out, index=False)
"""


def _pss_kb(pid: int) -> int:
    """PSS of ``pid`` and all its descendants, kB (0 for a process that is gone)."""
    total = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1])
                break
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += _pss_kb(int(child))
    except (OSError, ValueError):
        pass
    return total


def _measure(argv: list[str]) -> dict[str, Any]:
    """Wall time, ``ru_maxrss`` and the sampled peak PSS of ``argv`` run by the wrapper."""
    load = os.getloadavg()[0]
    wrapper = subprocess.Popen(
        [sys.executable, "-c", _WRAPPER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], _pss_kb(wrapper.pid) - _own_pss(wrapper.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = wrapper.communicate(json.dumps(argv))
    done.set()
    sampler.join()
    result = json.loads(out)
    if result["rc"] != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {result['stderr']}")
    return {
        "wall_s": round(result["wall_s"], 2),
        "cpu_s": round(result["cpu_s"], 2),
        "peak_rss_mb": round(result["maxrss_kb"] / 1024, 1),
        "peak_pss_total_mb": round(peak[0] / 1024, 1) if peak[0] else None,
        "load_1m_before": round(load, 2),
    }


def _own_pss(pid: int) -> int:
    """The wrapper's own PSS (not counted: it only waits)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _best(runs: list[dict[str, Any]], short: dict[str, Any] | None, hours: float) -> dict[str, Any]:
    """The fastest run; with a ``short`` run, 230 h extrapolated along the line through both.

    The start-up (imports, the PAT calibration) is paid once, so the time per simulated hour
    is the slope between a short and a long run, not the long run's mean. When the machine's
    load makes the long run no slower than the short one, the slope means nothing: the long
    run's mean is used instead (an upper bound, start-up counted ten times), and said so.
    """
    best = min(runs, key=lambda r: r["wall_s"])
    wall = best["wall_s"] * BATCH_H / hours
    if short is not None:
        best["short_run"] = short
        if best["wall_s"] > short["wall_s"]:
            slope = (best["wall_s"] - short["wall_s"]) / (hours - SHORT_H)
            wall = short["wall_s"] + slope * (BATCH_H - SHORT_H)
            best["extrapolation"] = "slope between the short and the long run"
        else:
            best["extrapolation"] = "long run x 10 (the short run was not faster: too noisy for a slope)"
    return {
        **best,
        "batch_230h_wall_s": round(wall, 2),
        "runs_wall_s": [r["wall_s"] for r in runs],
        "peak_rss_mb_max": max(r["peak_rss_mb"] for r in runs),
    }


def run(quick: bool = False, runs: int | None = None) -> dict[str, Any]:
    """Measure; ``quick`` simulates 1 h and 23 h and extrapolates to 230 h, one run each."""
    hours = BATCH_H / 10.0 if quick else BATCH_H
    runs = runs or (1 if quick else 2)
    py = sys.executable
    out: dict[str, Any] = {
        "simulated_h": hours,
        "batch_230h_extrapolated": quick,
        "rows": round(hours * 3600),
        "cpus": os.cpu_count(),
    }
    with tempfile.TemporaryDirectory(prefix="bench_simulate_") as tmp:
        previous_cache = os.environ.get("GMP_TWIN_CACHE_DIR")
        os.environ["GMP_TWIN_CACHE_DIR"] = str(Path(tmp) / "cache")  # cold: compiled and calibrated once here
        cold = [
            py, "-m", "gmp_twin", "simulate", "--plant", str(PLANT), "--unit", "bioreactor-1", "--duration",
            f"{hours:g}h", "--dt", "1", "--resolution", "1s", "--out", str(Path(tmp) / "cold.parquet"), "--quiet",
        ]  # fmt: skip
        out["cold_cache"] = _measure(cold)
        model = [_measure([py, "-c", _MODEL_ONLY, str(PLANT), str(hours)]) for _ in range(runs)]
        short = _measure([py, "-c", _MODEL_ONLY, str(PLANT), str(SHORT_H)]) if quick else None
        out["model_only"] = _best(model, short, hours)
        for fmt in ("parquet", "csv"):
            target = Path(tmp) / f"batch.{fmt}"

            def argv(h: float, target: Path = target) -> list[str]:
                return [
                    py, "-m", "gmp_twin", "simulate", "--plant", str(PLANT), "--unit", "bioreactor-1",
                    "--duration", f"{h:g}h", "--dt", "1", "--resolution", "1s", "--out", str(target), "--quiet",
                ]  # fmt: skip

            short = _measure(argv(SHORT_H)) if quick else None
            best = _best([_measure(argv(hours)) for _ in range(runs)], short, hours)
            best["file_mb"] = round(target.stat().st_size / 1e6, 1)
            best["ratio_to_model_only"] = round(best["wall_s"] / out["model_only"]["wall_s"], 2)
            if not quick:
                old = _measure([py, "-c", _IN_MEMORY, str(PLANT), str(hours), str(Path(tmp) / f"old.{fmt}")])
                best["in_memory"] = old
                best["speed_up_vs_in_memory"] = round(old["wall_s"] / best["wall_s"], 2)
            out[fmt] = best
        if previous_cache is None:
            del os.environ["GMP_TWIN_CACHE_DIR"]
        else:
            os.environ["GMP_TWIN_CACHE_DIR"] = previous_cache
    walls = [out[f]["batch_230h_wall_s"] for f in ("parquet", "csv")]
    rss = max(out[f]["peak_rss_mb_max"] for f in ("parquet", "csv"))
    out["target"] = (
        f"230 h bioreactor batch at 1 s in <= {TARGET_WALL_S:g} s wall (Parquet and CSV), "
        f"<= {TARGET_RSS_MB:g} MB peak RSS"
    )
    out["pass"] = max(walls) <= TARGET_WALL_S and rss <= TARGET_RSS_MB
    out["pass_rss"] = rss <= TARGET_RSS_MB
    out["pass_wall"] = max(walls) <= TARGET_WALL_S
    return out


if __name__ == "__main__":
    json.dump(run(quick="--quick" in sys.argv), sys.stdout, indent=2)
    sys.stdout.write("\n")
