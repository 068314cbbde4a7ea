"""Fill the caches a first batch run would otherwise fill: ``python -m models.warm``.

The bioreactor's batch loop is compiled by Numba (about 4 s) and the PAT calibration fitted
(about 1 s) the first time a process needs them, then read back from the cache
(:func:`models.build_cache.cache_root`). ``make run`` and ``make test`` run this once after
installing, so a learner's first ``gmp-twin simulate`` runs at the speed of the later ones.
"""

from __future__ import annotations

import sys
import time

from models.bioreactor import Bioreactor
from models.build_cache import cache_root


def main() -> int:
    """Compile (or load) the batch loop and fit (or load) the calibration; print where they are."""
    t0 = time.perf_counter()
    # Two minutes at 1 s: the compiled loop runs, and the analyser's scans need the calibration.
    Bioreactor().simulate(120.0, dt_s=1.0, record_every=60)
    print(f"gmp-twin caches ready in {time.perf_counter() - t0:.1f} s ({cache_root()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
