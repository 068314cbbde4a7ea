"""A disk cache for what the models build deterministically and slowly (a PAT calibration).

:func:`load_or_build` keys a value on what it is built from (``key``), on the source of the
modules that build it and on the versions of the libraries they call, so a change to any of
them builds afresh. Values live under :func:`cache_root`, one pickle each, written
atomically; a missing, unreadable or foreign file is rebuilt, and a cache that cannot be
written only costs the time of the build. The files are the user's own (``~/.cache``): a
pickle runs code when loaded, so the cache must not be a directory others can write to.
"""

from __future__ import annotations

import hashlib
import inspect
import os
import pickle
import tempfile
import threading
from collections.abc import Callable, Iterable
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

T = TypeVar("T")


def cache_root() -> Path:
    """Where gmp-twin keeps what it can rebuild (``GMP_TWIN_CACHE_DIR``, else the XDG cache).

    >>> import os; os.environ["GMP_TWIN_CACHE_DIR"] = "/tmp/x"; str(cache_root())
    '/tmp/x'
    >>> del os.environ["GMP_TWIN_CACHE_DIR"]
    """
    explicit = os.environ.get("GMP_TWIN_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:  # no home directory (a service account): the temporary folder
            base = tempfile.gettempdir()
    return Path(base) / "gmp-twin"


def source_digest(modules: Iterable[ModuleType], extra: str = "") -> str:
    """A short digest of the source files of ``modules`` and of ``extra``.

    >>> import models.pid
    >>> len(source_digest([models.pid]))
    16
    """
    h = hashlib.sha256(extra.encode())
    for module in modules:
        h.update(Path(inspect.getfile(module)).read_bytes())
    return h.hexdigest()[:16]


def _versions(distributions: Iterable[str]) -> str:
    out = []
    for name in distributions:
        try:
            out.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            out.append(f"{name}==none")
    return ";".join(out)


def load_or_build(
    kind: str,
    key: str,
    modules: Iterable[ModuleType],
    libraries: Iterable[str],
    build: Callable[[], T],
    *,
    isolate: bool = False,
) -> T:
    """The value ``build()`` makes for ``key``, from the disk cache when it holds it.

    With ``isolate``, a value not cached yet is built in a forked child that writes the cache,
    then read back: the libraries the build imports (and the memory it peaks at) stay in the
    child. It is built here instead when this process runs other threads (a fork would copy
    their locks) or when the cache cannot be written.

    Examples
    --------
    >>> import models.pid, tempfile; os.environ["GMP_TWIN_CACHE_DIR"] = tempfile.mkdtemp()
    >>> calls = []
    >>> make = lambda: calls.append(1) or {"a": 1}
    >>> [load_or_build("demo", "k", [models.pid], ["numpy"], make) for _ in range(2)]
    [{'a': 1}, {'a': 1}]
    >>> len(calls)  # built once, then read back
    1
    >>> del os.environ["GMP_TWIN_CACHE_DIR"]
    """
    folder = cache_root() / kind
    path = folder / f"{source_digest(modules, key + '|' + _versions(libraries))}.pickle"
    found, value = _load(path)
    if found:
        return value
    # Forking is safe only with no other thread (one may hold a lock the child would need).
    if isolate and hasattr(os, "fork") and threading.active_count() == 1:
        _build_in_child(path, build)
        found, value = _load(path)
        if found:
            return value
    value = build()
    _write(path, value)
    return value


def _load(path: Path) -> tuple[bool, Any]:
    try:
        with path.open("rb") as f:
            return True, pickle.load(f)  # the user's own cache (see the module's note)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, IndexError, TypeError):
        return False, None


def _build_in_child(path: Path, build: Callable[[], Any]) -> None:
    """``build()`` in a forked child that writes the cache (a failure there: built here after)."""
    pid = os.fork()
    if pid == 0:  # the child: no cleanup of the parent's state (os._exit)
        code = 1
        try:
            _write(path, build())
            code = 0
        finally:
            os._exit(code)
    os.waitpid(pid, 0)


def _write(path: Path, value: Any) -> None:
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=path.stem, suffix=".tmp", delete=False) as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(f.name, path)  # atomic: a reader sees the old file or the whole new one
    except OSError:
        pass


__all__ = ["cache_root", "load_or_build", "source_digest"]
