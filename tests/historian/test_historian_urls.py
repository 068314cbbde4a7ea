"""``open_historian``: URL forms and the errors for bad ones."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from historian import Historian, open_historian
from historian.influxdb1 import InfluxDB1Historian
from historian.influxdb2 import InfluxDB2Historian
from historian.registry import BACKENDS, schemes
from historian.sqlite import SqliteHistorian


def test_sqlite_relative_and_absolute() -> None:
    rel = open_historian("sqlite:///data/gmp-twin.sqlite")
    assert isinstance(rel, SqliteHistorian) and rel.path == Path("data/gmp-twin.sqlite")
    absolute = open_historian("sqlite:////var/lib/gmp/h.sqlite")
    assert isinstance(absolute, SqliteHistorian) and absolute.path == Path("/var/lib/gmp/h.sqlite")
    assert isinstance(open_historian(), SqliteHistorian)  # the embedded default


def test_influxdb1_forms(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GMP_TWIN_INFLUXDB1_USER", raising=False)
    h = open_historian("influxdb1://influx:9999/plant")
    assert isinstance(h, InfluxDB1Historian)
    assert (h.base_url, h.database, h._auth) == ("http://influx:9999", "plant", None)
    h = open_historian("influxdb1s://bob:s%40cret@influx/plant")
    assert isinstance(h, InfluxDB1Historian)
    assert (h.base_url, h._auth) == ("https://influx:8086", ("bob", "s@cret"))
    assert "cret" not in h.url and h.url == "influxdb1s://bob@influx:8086/plant"
    monkeypatch.setenv("GMP_TWIN_INFLUXDB1_USER", "env-user")
    monkeypatch.setenv("GMP_TWIN_INFLUXDB1_PASSWORD", "env-pw")
    h = open_historian("influxdb1://[::1]:8086/plant")
    assert isinstance(h, InfluxDB1Historian)
    assert (h.base_url, h._auth) == ("http://[::1]:8086", ("env-user", "env-pw"))


def test_influxdb2_forms(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GMP_TWIN_INFLUXDB_TOKEN", "tok")
    h = open_historian("influxdb2s://cloud.example?org=gmp&bucket=twin")
    assert isinstance(h, InfluxDB2Historian)
    assert (h.base_url, h.org, h.bucket) == ("https://cloud.example:8086", "gmp", "twin")


@pytest.mark.parametrize(
    ("url", "names"),
    [
        ("postgres://db/x", "unknown scheme 'postgres'"),
        ("data/gmp.sqlite", "missing scheme"),
        ("sqlite://data/gmp.sqlite", "three slashes"),
        ("sqlite:///", "missing database file path"),
        ("sqlite:///:memory:", "in-memory"),
        ("influxdb1://localhost:8086", "database name"),
        ("influxdb1://localhost:8086/", "database name"),
        ("influxdb1:///gmp", "missing host"),
        ("influxdb1://localhost:80x/gmp", "port"),
        ("influxdb1://localhost/gmp?precision=s", "unknown query parameter"),
        ("influxdb2://localhost:8086?bucket=b", "org="),
        ("influxdb2://localhost:8086?org=o", "bucket="),
        ("influxdb2://localhost:8086/gmp?org=o&bucket=b", "no path"),
    ],
)
def test_bad_urls_name_the_part_and_show_examples(url: str, names: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GMP_TWIN_INFLUXDB_TOKEN", "tok")
    with pytest.raises(ValueError, match="valid examples") as info:
        open_historian(url)
    assert names in str(info.value)
    assert "influxdb2://localhost:8086?org=gmp&bucket=twin" in str(info.value)


def test_password_not_in_error_message() -> None:
    with pytest.raises(ValueError) as info:
        open_historian("influxdb1://bob:hunter2@localhost:8086")
    assert "hunter2" not in str(info.value)


def test_unknown_scheme_lists_the_registered_ones() -> None:
    with pytest.raises(ValueError) as info:
        open_historian("postgres://db/x")
    assert f"use {', '.join(schemes()[:-1])} or {schemes()[-1]}" in str(info.value)
    assert schemes() == ("sqlite", "influxdb1", "influxdb1s", "influxdb2", "influxdb2s")


def test_every_registered_backend_is_a_historian_with_from_url() -> None:
    for names, target in BACKENDS.items():
        module, _, name = target.partition(":")
        cls = getattr(importlib.import_module(module), name)
        assert issubclass(cls, Historian) and callable(cls.from_url), names
