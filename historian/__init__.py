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

>>> h = open_historian("sqlite:///data/gmp-twin.sqlite")
>>> type(h).__name__, str(h.path)
('SqliteHistorian', 'data/gmp-twin.sqlite')
>>> open_historian("influxdb1://localhost/gmp").url
'influxdb1://localhost:8086/gmp'
"""

from __future__ import annotations

import os
from urllib.parse import parse_qs, unquote, urlsplit

from historian.base import (
    FieldValue,
    Historian,
    HistorianError,
    HistorianRejectedError,
    Point,
    RangeResult,
    Sample,
    SeriesKey,
)

__all__ = [
    "EXAMPLE_URLS",
    "FieldValue",
    "Historian",
    "HistorianError",
    "HistorianRejectedError",
    "Point",
    "RangeResult",
    "Sample",
    "SeriesKey",
    "open_historian",
]

DEFAULT_URL = "sqlite:///data/gmp-twin.sqlite"

EXAMPLE_URLS = (
    "sqlite:///data/gmp-twin.sqlite",
    "sqlite:////var/lib/gmp-twin/historian.sqlite",
    "influxdb1://localhost:8086/gmp",
    "influxdb1://user:password@localhost:8086/gmp",
    "influxdb2://localhost:8086?org=gmp&bucket=twin",
    "influxdb2s://eu-central-1-1.aws.cloud2.influxdata.com?org=gmp&bucket=twin",
)

_DEFAULT_INFLUX_PORT = 8086


def _bad(url: str, problem: str) -> ValueError:
    examples = "\n".join(f"  {e}" for e in EXAMPLE_URLS)
    return ValueError(f"bad historian URL {_redact(url)!r}: {problem}\nvalid examples:\n{examples}")


def _redact(url: str) -> str:
    """Hide a password in URL userinfo (URLs end up in logs and /api/health)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return parts._replace(netloc=f"{parts.username}:***@{host}").geturl()


def _query(url: str, query: str, allowed: set[str]) -> dict[str, str]:
    params = parse_qs(query, keep_blank_values=True)
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise _bad(url, f"unknown query parameter(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")
    return {k: v[-1] for k, v in params.items()}


def _host_port(url: str, scheme: str) -> tuple[str, int]:
    """Host (as written in a URL) and port, 8086 by default."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise _bad(url, f"missing host after '{scheme}://'")
    try:
        port = parts.port or _DEFAULT_INFLUX_PORT
    except ValueError:
        raise _bad(url, "the port is not a number between 0 and 65535") from None
    # IPv6 literals keep their brackets in a URL.
    return (f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname), port


def open_historian(url: str = DEFAULT_URL) -> Historian:
    """Make the historian backend for ``url`` (not yet opened: use ``async with``).

    Parameters
    ----------
    url : str
        See the module docstring for the forms.

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
        raise _bad(url, "missing scheme (sqlite://, influxdb1://, influxdb2://)")
    scheme = url.split("://", 1)[0].lower()
    parts = urlsplit(url)

    if scheme == "sqlite":
        if parts.netloc:
            raise _bad(url, f"host {parts.netloc!r} given; a SQLite URL has three slashes before a relative path")
        if parts.query:
            raise _bad(url, "SQLite URLs take no query parameters")
        # sqlite:///rel -> "/rel" -> "rel"; sqlite:////abs -> "//abs" -> "/abs".
        path = unquote(parts.path)[1:]
        if not path or path.endswith("/"):
            raise _bad(url, "missing database file path after 'sqlite:///'")
        if path == ":memory:":
            raise _bad(url, "in-memory SQLite is not supported (it cannot be shared by threads); use a file")
        from historian.sqlite import SqliteHistorian

        return SqliteHistorian(path, url=url)

    if scheme in ("influxdb1", "influxdb1s"):
        host, port = _host_port(url, scheme)
        _query(url, parts.query, set())
        database = unquote(parts.path).strip("/")
        if not database or "/" in database:
            raise _bad(url, "missing or invalid database name (the URL path, e.g. /gmp)")
        username = unquote(parts.username) if parts.username else os.environ.get("GMP_TWIN_INFLUXDB1_USER")
        password = unquote(parts.password) if parts.password else os.environ.get("GMP_TWIN_INFLUXDB1_PASSWORD")
        from historian.influxdb1 import InfluxDB1Historian

        user = f"{parts.username}@" if parts.username else ""
        return InfluxDB1Historian(
            f"{'https' if scheme.endswith('s') else 'http'}://{host}:{port}",
            database,
            username=username,
            password=password,
            url=f"{scheme}://{user}{host}:{port}/{database}",
        )

    if scheme in ("influxdb2", "influxdb2s"):
        host, port = _host_port(url, scheme)
        params = _query(url, parts.query, {"org", "bucket"})
        if parts.path.strip("/"):
            raise _bad(url, "InfluxDB 2.x URLs have no path; give ?org=...&bucket=...")
        for name in ("org", "bucket"):
            if not params.get(name):
                raise _bad(url, f"missing query parameter {name}= (InfluxDB 2.x needs org and bucket)")
        token = os.environ.get("GMP_TWIN_INFLUXDB_TOKEN")
        if not token:
            raise ValueError(
                f"historian URL {_redact(url)!r} needs an InfluxDB 2.x API token: "
                "set the environment variable GMP_TWIN_INFLUXDB_TOKEN"
            )
        from historian.influxdb2 import InfluxDB2Historian

        return InfluxDB2Historian(
            f"{'https' if scheme.endswith('s') else 'http'}://{host}:{port}",
            org=params["org"],
            bucket=params["bucket"],
            token=token,
            url=_redact(url),
        )

    raise _bad(url, f"unknown scheme {scheme!r}; use sqlite, influxdb1, influxdb1s, influxdb2 or influxdb2s")
