"""Historian: one async interface, three backends chosen by URL.

======================================================  ====================================
URL                                                     Backend
======================================================  ====================================
``sqlite:///data/gmp-twin.sqlite``                      embedded SQLite, path relative to
                                                        the working directory (default)
``sqlite:////var/lib/gmp-twin/historian.sqlite``        embedded SQLite, absolute path
``influxdb1://host:8086/gmp``                           InfluxDB 1.x, database ``gmp``
                                                        (``influxdb1s://`` for https; user
                                                        and password from the URL or
                                                        ``GMP_TWIN_INFLUXDB1_USER`` /
                                                        ``GMP_TWIN_INFLUXDB1_PASSWORD``)
``influxdb2://host:8086?org=gmp&bucket=twin``           InfluxDB 2.x (``influxdb2s://`` for
                                                        https), token from
                                                        ``GMP_TWIN_INFLUXDB_TOKEN``
======================================================  ====================================

Backends are registered by URL scheme in :mod:`historian.registry`.

>>> h = open_historian("sqlite:///data/gmp-twin.sqlite")
>>> type(h).__name__, str(h.path)
('SqliteHistorian', 'data/gmp-twin.sqlite')
>>> open_historian("influxdb1://localhost/gmp").url
'influxdb1://localhost:8086/gmp'
"""

from __future__ import annotations

from historian.base import (
    FieldValue,
    Historian,
    HistorianError,
    HistorianRejectedError,
    Point,
    RangeResult,
    RawSeries,
    Sample,
    SeriesKey,
)
from historian.registry import open_historian
from historian.urls import DEFAULT_URL, EXAMPLE_URLS, redact

__all__ = [
    "DEFAULT_URL",
    "EXAMPLE_URLS",
    "FieldValue",
    "Historian",
    "HistorianError",
    "HistorianRejectedError",
    "Point",
    "RangeResult",
    "RawSeries",
    "Sample",
    "SeriesKey",
    "open_historian",
    "redact",
]
