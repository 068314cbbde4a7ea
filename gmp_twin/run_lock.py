"""The run lock: a process that runs the plant on a data directory holds it; ``gmp-twin reset`` checks it.

An OS file lock (``filelock``: ``flock`` on POSIX, ``msvcrt`` on Windows), so a crashed process
never leaves a stale lock behind: the OS drops it with the process.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "run.lock"
>>> with hold_run_lock(path):
...     held_elsewhere(path)
True
>>> held_elsewhere(path)
False
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

log = logging.getLogger(__name__)


class RunLockHeld(OSError):
    """Another process runs the plant on this data."""


@contextlib.contextmanager
def hold_run_lock(path: Path) -> Iterator[None]:
    """Hold the run lock for the ``with`` body; :class:`RunLockHeld` if another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Not a singleton: a second holder in the same process (tests) must be refused too.
    lock = FileLock(path, timeout=0, thread_local=False, is_singleton=False)
    try:
        lock.acquire()
    except Timeout:
        raise RunLockHeld(f"another gmp-twin process runs on this data (it holds {path}); stop it first") from None
    try:
        yield
    finally:
        lock.release()


def held_elsewhere(path: Path) -> bool:
    """Whether another process (or another holder in this one) holds the run lock at ``path``."""
    if not path.exists():
        return False
    try:
        with hold_run_lock(path):
            return False
    except RunLockHeld:
        return True
