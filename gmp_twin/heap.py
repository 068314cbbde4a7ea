"""The process heap after start-up: kept out of the cyclic garbage collector's full passes.

A classroom builds twelve OPC UA address spaces, plants and tag maps: millions of objects that
live as long as the process. Python's full (generation 2) collection walks all of them; with
``gmp-twin run --teams 12`` each pass held the event loop for 2.5-3 s, every 30-40 s, and every
page and OPC UA answer waited (measured with ``gc.callbacks``). :func:`gc.freeze` moves what
exists after start-up to a permanent generation the collector no longer walks; what is created
afterwards is collected as before.
"""

from __future__ import annotations

import gc
import logging
import time

log = logging.getLogger(__name__)


def freeze_startup_heap() -> int:
    """Collect once, then freeze every object alive now; returns how many were frozen.

    >>> freeze_startup_heap() > 0
    True
    """
    started = time.perf_counter()
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    log.info("%d start-up objects frozen out of the garbage collector's passes (%.2f s)",
             frozen, time.perf_counter() - started)  # fmt: skip
    return frozen
