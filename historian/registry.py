"""Which backend serves which URL scheme: one registration per backend.

A backend is a :class:`~historian.base.Historian` subclass with a classmethod
``from_url(url, parts)`` that checks its own URL form (raising :func:`~historian.urls.bad_url`
errors) and builds the unopened historian. Registering it here is one entry: its URL schemes
and where its class lives. Classes are imported on first use, so a deployment on SQLite never
imports httpx or influxdb-client.

>>> schemes()
('sqlite', 'influxdb1', 'influxdb1s', 'influxdb2', 'influxdb2s')
"""

from __future__ import annotations

import importlib
from typing import Protocol
from urllib.parse import SplitResult, urlsplit

from historian.base import Historian
from historian.urls import DEFAULT_URL, bad_url

__all__ = ["BACKENDS", "open_historian", "schemes"]

#: URL schemes -> ``"module:Class"`` of the backend serving them (first scheme: the main one).
BACKENDS: dict[tuple[str, ...], str] = {
    ("sqlite",): "historian.sqlite:SqliteHistorian",
    ("influxdb1", "influxdb1s"): "historian.influxdb1:InfluxDB1Historian",
    ("influxdb2", "influxdb2s"): "historian.influxdb2:InfluxDB2Historian",
}


class Backend(Protocol):
    """What a registered class provides besides the :class:`Historian` interface."""

    @classmethod
    def from_url(cls, url: str, parts: SplitResult) -> Historian: ...


def schemes() -> tuple[str, ...]:
    """Every registered URL scheme, in registration order."""
    return tuple(scheme for names in BACKENDS for scheme in names)


def _backend(scheme: str) -> Backend | None:
    for names, target in BACKENDS.items():
        if scheme in names:
            module, _, name = target.partition(":")
            backend: Backend = getattr(importlib.import_module(module), name)
            return backend
    return None


def _one_of(names: tuple[str, ...]) -> str:
    return f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else names[0]


def open_historian(url: str = DEFAULT_URL) -> Historian:
    """Make the historian backend for ``url`` (not yet opened: use ``async with``).

    Parameters
    ----------
    url : str
        See :mod:`historian` for the forms.

    Returns
    -------
    Historian

    Raises
    ------
    ValueError
        Unknown scheme, missing path / database / org / bucket, or (InfluxDB 2.x) no token in
        ``GMP_TWIN_INFLUXDB_TOKEN``; the message names the part and shows valid examples.
    """
    if "://" not in url:
        raise bad_url(url, f"missing scheme ({', '.join(f'{names[0]}://' for names in BACKENDS)})")
    scheme = url.split("://", 1)[0].lower()
    backend = _backend(scheme)
    if backend is None:
        raise bad_url(url, f"unknown scheme {scheme!r}; use {_one_of(schemes())}")
    return backend.from_url(url, urlsplit(url))
