"""Real-time factor of every unit of the default plant and of the whole plant.

Each unit is stepped at its own model step (``dt_s`` in the plant file) and read through the
runtime's sensor layer once per simulated second (1 s sensor resolution). The whole plant
is run through ``TwinRuntime.step`` exactly as ``gmp-twin run --speed max`` does, minus the
OPC UA publishing (which the e2e benchmark measures). Target: the whole default plant at
>= 1,000x real time.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from twin.plant import build_plant, load_plant, unit_steps
from twin.runtime import TwinRuntime

REPO = Path(__file__).resolve().parents[1]
PLANT = REPO / "config" / "plant.yaml"
TARGET_PLANT_RTF = 1000.0


def _runtime(only: str | None = None) -> TwinRuntime:
    """The default plant's runtime, or one with only the unit ``only``."""
    cfg = load_plant(PLANT)
    units = build_plant(cfg)
    if only is not None:
        units = {only: units[only]}
    return TwinRuntime(units, unit_dt_s=unit_steps(cfg), seed=0)


def _rtf(runtime: TwinRuntime, sim_s: float) -> float:
    per_second = round(1.0 / runtime.dt_s)
    n_steps = round(sim_s / runtime.dt_s)
    t0 = time.perf_counter()
    for _ in range(n_steps):
        runtime.step()
        if runtime.steps % per_second == 0:
            for name in runtime.slots:
                runtime.readings(name)
    return sim_s / (time.perf_counter() - t0)


def run(quick: bool = False) -> dict[str, Any]:
    sim_s = 600.0 if quick else 3600.0
    out: dict[str, Any] = {
        "plant": str(PLANT.relative_to(REPO)),
        "simulated_s": sim_s,
        "sensor_resolution_s": 1.0,
        "units": {},
    }
    runtime = _runtime()
    for name, slot in runtime.slots.items():
        single = _runtime(only=name)
        out["units"][name] = {
            "type": slot.unit.unit_type,
            "dt_s": round(single.dt_s * single.slots[name].every, 6),
            "real_time_factor": round(_rtf(single, sim_s)),
        }
    whole = round(_rtf(runtime, sim_s))
    out["whole_plant"] = {"real_time_factor": whole, "target": TARGET_PLANT_RTF, "pass": whole >= TARGET_PLANT_RTF}
    return out


if __name__ == "__main__":
    import json

    json.dump(run(quick="--quick" in sys.argv), sys.stdout, indent=2)
