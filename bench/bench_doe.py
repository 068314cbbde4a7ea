"""``gmp-twin doe``: a 20-run dryer design of experiments, end to end (goal ≤ 2 min, issue #15).

What is timed, each the whole path the command takes (design, batches, fit, Monte Carlo on a
41 × 41 grid with 1,000 draws, CSV/JSON/PNG outputs):

- ``dryer_20_runs``: the dryer-1 defaults (inlet temperature × air flow, drying time, peak bed
  temperature and final LOD) on a 20-run Latin hypercube, batches on every core. Goal ≤ 120 s.
- ``simulate_serial_s`` / ``simulate_parallel_s``: the 20 batches alone on one process and on
  every core (the ratio is the parallel speed-up; a dryer batch takes only milliseconds, so
  the processes' start-up weighs on it);
- ``verify_11x11_s``: the brute-force check of the done-when test (121 nominal batches).
- (full run only) ``bioreactor_ccd_17_runs``: the bioreactor-1 defaults (feed scale ×
  temperature × pH, face-centred composite, 17 batches of 230 h at a 60 s step).

The machine is shared: wall times are noisy; ``cpu_s`` (this process and its workers) much less,
and ``cpu_s / wall_s`` near the number of cores says the batches did run in parallel.
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from analytics.doe_design import Factor
from analytics.doe_space import parse_spec
from gmp_twin.doe_report import write_study
from gmp_twin.doe_runner import default_jobs, run_all
from gmp_twin.doe_study import Study, run_specs, run_study
from gmp_twin.doe_units import UNIT_DOE

TARGET_S = 120.0


def _study(unit_type: str, unit_name: str, **kw: Any) -> Study:
    doe = UNIT_DOE[unit_type]
    factors = []
    for part in doe.default_factors.split(","):
        name, _, rng = part.partition("=")
        lo, _, hi = rng.partition(":")
        factors.append(Factor(name, float(lo), float(hi)))
    return Study(
        unit_name,
        unit_type,
        factors,
        list(doe.default_responses),
        [parse_spec(s) for s in doe.default_specs],
        **kw,
    )


def _cpu_s() -> float:
    """CPU seconds of this process and of its finished children (the workers)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _timed(study: Study, out: Path) -> tuple[float, dict[str, Any]]:
    t0, c0 = time.perf_counter(), _cpu_s()
    result = run_study(study)
    summary = write_study(result, out)
    summary["cpu_s"] = round(_cpu_s() - c0, 2)
    return time.perf_counter() - t0, summary


def run(quick: bool = False) -> dict[str, Any]:
    """Measure; ``quick`` skips the bioreactor study."""
    jobs = default_jobs()
    out: dict[str, Any] = {"cores": jobs, "cpu_count": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        wall, summary = _timed(_study("fluid_bed_dryer", "dryer-1", design="lhs", runs=20), Path(tmp) / "dryer")
        out["dryer_20_runs"] = {
            "wall_s": round(wall, 2),
            "cpu_s": summary["cpu_s"],
            "simulate_s": summary["timing"]["simulate_s"],
            "model_and_monte_carlo_s": summary["timing"]["model_s"],
            "design_space_fraction": round(summary["design_space"]["fraction"], 3),
            "q2": {r: round(m["q2"], 3) for r, m in summary["models"].items()},
            "target_s": TARGET_S,
            "pass": wall <= TARGET_S,
        }
        study = _study("fluid_bed_dryer", "dryer-1", design="lhs", runs=20)
        from analytics.doe_design import make_design, to_real

        specs = run_specs(study, to_real(make_design("lhs", 2, runs=20), study.factors), "normal", 0)
        t0 = time.perf_counter()
        run_all(specs, jobs=1)
        serial = time.perf_counter() - t0
        t0 = time.perf_counter()
        run_all(specs, jobs=jobs)
        parallel = time.perf_counter() - t0
        out["simulate_serial_s"] = round(serial, 3)
        out["simulate_parallel_s"] = round(parallel, 3)
        out["parallel_speedup"] = round(serial / parallel, 2)
        wall, summary = _timed(_study("fluid_bed_dryer", "dryer-1", verify=11), Path(tmp) / "verify")
        out["verify_11x11_s"] = summary["timing"]["verify_s"]
        out["verify_within_one_step"] = summary["verify"]["within_one_step"]
        if not quick:
            wall, summary = _timed(_study("bioreactor", "bioreactor-1"), Path(tmp) / "bio")
            out["bioreactor_ccd_17_runs"] = {
                "wall_s": round(wall, 2),
                "cpu_s": summary["cpu_s"],
                "simulate_s": summary["timing"]["simulate_s"],
                "cpu_s_per_batch": round(summary["cpu_s"] / summary["design"]["runs"], 2),
                "q2": {r: round(m["q2"], 3) for r, m in summary["models"].items()},
                "design_space_fraction": round(summary["design_space"]["fraction"], 3),
            }
    out["target"] = f"dryer_20_runs.wall_s <= {TARGET_S:g}"
    out["pass"] = out["dryer_20_runs"]["pass"]
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick=False), indent=2))
