"""Counter-based Gaussian noise: the same (key, counter) always gives the same value.

Sensor noise must not depend on how often the runtime happens to publish (wall-clock
pacing) or on whether a run was interrupted by a snapshot, so it is a pure function of
(seed, unit, step, tag) instead of a stream. SplitMix64 hashes the counter into 64
random bits; the inverse normal CDF turns their top 53 bits into a standard normal
value. It is vectorised, so batch generation draws millions at once.

Examples
--------
>>> a = gaussian(7, np.arange(5, dtype=np.uint64))
>>> b = gaussian(7, np.arange(5, dtype=np.uint64))
>>> bool((a == b).all()), a.shape
(True, (5,))
>>> x = gaussian(1, np.arange(200_000, dtype=np.uint64))
>>> round(float(x.mean()), 2), round(float(x.std()), 2)
(0.0, 1.0)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import ndtri

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _splitmix64(z: Any) -> Any:
    z = z + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def gaussian(key: int, counters: np.ndarray) -> np.ndarray:
    """Standard normal values for ``counters`` (uint64 array) under ``key``."""
    with np.errstate(over="ignore"):
        mixed = _splitmix64(_splitmix64(np.asarray(counters, dtype=np.uint64) ^ _splitmix64(np.uint64(key))))
    # 53 random bits -> a uniform in (0, 1), never exactly 0 or 1.
    uniform = ((mixed >> np.uint64(11)).astype(np.float64) + 0.5) / float(1 << 53)
    return np.asarray(ndtri(uniform))
