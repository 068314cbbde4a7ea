"""Historian URLs: the examples shown on errors, and the parsing pieces the backends share.

Each backend parses its own URL form (``from_url``); these helpers keep the error messages
alike: every :class:`ValueError` names the part that is wrong and lists valid examples, with
any password in the URL replaced by ``***``.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import SplitResult, parse_qs, urlsplit

__all__ = ["DEFAULT_URL", "EXAMPLE_URLS", "bad_url", "host_port", "query_params", "redact", "redact_all"]

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


def redact(url: str) -> str:
    """Hide a password in URL userinfo (URLs end up in logs and /api/health).

    >>> redact("influxdb1://bob:hunter2@db:8086/gmp")
    'influxdb1://bob:***@db:8086/gmp'
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return parts._replace(netloc=f"{parts.username}:***@{host}").geturl()


#: ``scheme://user:password@`` anywhere in a text (a URL inside an error message).
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<user>[^\s:/@]*):(?P<secret>[^\s/@]*)@")


def redact_all(value: Any) -> Any:
    """``value`` with every URL password in it replaced by ``***`` (strings, lists, dicts).

    For whole payloads such as ``/api/health``, where a URL may sit inside an error text.

    >>> redact_all({"a": ["error at opc.tcp://op:pw@plc:4840/x"], "b": 1})
    {'a': ['error at opc.tcp://op:***@plc:4840/x'], 'b': 1}
    """
    if isinstance(value, str):
        return _USERINFO.sub(r"\g<scheme>\g<user>:***@", value)
    if isinstance(value, dict):
        return {k: redact_all(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact_all(v) for v in value)
    return value


def bad_url(url: str, problem: str) -> ValueError:
    """The error for a URL that cannot be used: what is wrong, then valid examples."""
    examples = "\n".join(f"  {e}" for e in EXAMPLE_URLS)
    return ValueError(f"bad historian URL {redact(url)!r}: {problem}\nvalid examples:\n{examples}")


def query_params(url: str, parts: SplitResult, allowed: set[str]) -> dict[str, str]:
    """The query parameters (last one wins); any name outside ``allowed`` is an error."""
    params = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise bad_url(url, f"unknown query parameter(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")
    return {k: v[-1] for k, v in params.items()}


def host_port(url: str, parts: SplitResult) -> tuple[str, int]:
    """Host (as written in a URL) and port, 8086 (InfluxDB's) by default."""
    if not parts.hostname:
        raise bad_url(url, f"missing host after '{parts.scheme}://'")
    try:
        port = parts.port or _DEFAULT_INFLUX_PORT
    except ValueError:
        raise bad_url(url, "the port is not a number between 0 and 65535") from None
    # IPv6 literals keep their brackets in a URL.
    return (f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname), port
