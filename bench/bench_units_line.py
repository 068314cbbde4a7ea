"""Real-time factor of the filling line, the autoclave and the fluid-bed dryer at a 1 s step.

For each unit: simulated seconds per wall second over a run of default parameters (the line
with its random losses and changeovers, the autoclave and the dryer repeating cycles/batches),
stepping only (``step_only``) and stepping plus one ``read()`` per step (``with_read``, what
``gmp-twin simulate`` does at 1 s output resolution). Targets: ≥ 1,000× for every unit and
≥ 10,000× for the line (five machines).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from models.registry import unit_class
from models.unit import Unit

#: Unit type (as registered in :mod:`models.registry`) -> target real-time factor.
TARGETS: dict[str, float] = {"filling_line": 10_000.0, "autoclave": 1_000.0, "fluid_bed_dryer": 1_000.0}


def _rtf(factory: Callable[[], Unit], seconds: int, read: bool, repeats: int) -> float:
    best = 0.0
    for _ in range(repeats):
        unit = factory()
        t0 = time.perf_counter()
        if read:
            for _ in range(seconds):
                unit.step(1.0)
                unit.read()
        else:
            for _ in range(seconds):
                unit.step(1.0)
        best = max(best, seconds / (time.perf_counter() - t0))
    return best


def run(quick: bool = False) -> dict[str, Any]:
    seconds = 3600 if quick else 8 * 3600
    repeats = 1 if quick else 3
    out: dict[str, Any] = {"dt_s": 1.0, "simulated_s": seconds, "repeats_best_of": repeats}
    for name, target in TARGETS.items():
        factory: Callable[[], Unit] = unit_class(name)
        step_only = _rtf(factory, seconds, read=False, repeats=repeats)
        with_read = _rtf(factory, seconds, read=True, repeats=repeats)
        out[name] = {
            "rtf_step_only": round(step_only),
            "rtf_with_read": round(with_read),
            "target": target,
            "pass": with_read >= target,
        }
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick=True), indent=2))
