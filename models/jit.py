"""Numba compilation of plain model functions, on demand and cached on disk.

A model keeps its arithmetic in plain Python functions (the live path runs them as they
are); a batch path asks :func:`compiled` for a machine-code version of one of them. The
functions it calls are registered with Numba as they are (``register_jitable``), so one
source serves both paths, and Numba is imported only by the process that asks.

The compiled code is cached under ``$XDG_CACHE_HOME/gmp-twin/numba/<digest>`` (or
``~/.cache``; ``GMP_TWIN_CACHE_DIR`` overrides the root). Numba checks only the timestamp of
the file that holds the compiled function, not of the files it calls into, so the digest
covers the source of every module involved: editing any of them compiles afresh, never
reuses stale code. The first compilation takes a few seconds; a cached one loads in a
fraction of a second.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

from models.build_cache import cache_root, source_digest

_LOCK = threading.Lock()
_COMPILED: dict[Callable[..., Any], Callable[..., Any]] = {}


def compiled(
    func: Callable[..., Any], helpers: Iterable[Callable[..., Any]], modules: Iterable[ModuleType]
) -> Callable[..., Any]:
    """``func`` compiled by Numba (nopython, IEEE arithmetic: no fast-math), once per process.

    ``helpers`` are the plain functions ``func`` calls, directly or not; ``modules`` every
    module whose source they come from (the cache's key). Raises ``ImportError`` when Numba
    is not installed.
    """
    with _LOCK:
        done = _COMPILED.get(func)
        if done is not None:
            return done
        import numba
        from numba.core import config
        from numba.extending import register_jitable

        for helper in helpers:
            register_jitable(helper)
        where = cache_root() / "numba" / source_digest(modules)
        previous = config.CACHE_DIR  # type: ignore[attr-defined]
        # The cache locator reads CACHE_DIR when the dispatcher is made (documented as
        # NUMBA_CACHE_DIR); set it for this function only.
        config.CACHE_DIR = str(where)  # type: ignore[attr-defined]
        try:
            done = numba.njit(cache=_writable(where))(func)
        finally:
            config.CACHE_DIR = previous  # type: ignore[attr-defined]
        _COMPILED[func] = done
        return done


def _writable(where: Path) -> bool:
    """Make the cache directory; ``False`` (compile every time) when it cannot be written."""
    try:
        where.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(where, os.W_OK)


__all__ = ["cache_root", "compiled", "source_digest"]
