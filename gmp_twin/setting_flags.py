"""The flags every ``gmp-twin`` role shares, and the settings they override.

Kept out of :mod:`gmp_twin.cli` so the sub-command modules (``export``, ``reset``...) can use
them without importing the command that imports them.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from config_schema.files import ConfigError

#: argparse dest -> Settings field, for the flags every role shares.
SETTING_FLAGS = (
    ("--plant", "plant", Path, "plant file (default config/plant.yaml; env GMP_TWIN_PLANT)"),
    ("--tagmap", "tagmap", Path, "tag map file, repeatable (default: the simulated plant's own tag maps)"),
    ("--opcua-host", "opcua_host", str, "OPC UA bind address (default 127.0.0.1; env GMP_TWIN_OPCUA_HOST)"),
    ("--opcua-port", "opcua_port", int, "OPC UA port (default 4840; env GMP_TWIN_OPCUA_PORT)"),
    ("--opcua-endpoint", "opcua_endpoint", str, "endpoint the bridge reads (env GMP_TWIN_OPCUA_ENDPOINT)"),
    ("--http-host", "http_host", str, "HTTP bind address (default 127.0.0.1; env GMP_TWIN_HTTP_HOST)"),
    ("--http-port", "http_port", int, "HTTP port (default 8050; env GMP_TWIN_HTTP_PORT)"),
    ("--historian", "historian", str, "historian URL (default sqlite:///data/gmp-twin.sqlite; env GMP_TWIN_HISTORIAN)"),
    ("--outbox", "outbox", Path, "outbox file (default data/outbox.sqlite; env GMP_TWIN_OUTBOX)"),
    ("--speed", "speed", float, "simulated seconds per wall second (default 1; env GMP_TWIN_SPEED)"),
    ("--seed", "seed", int, "sensor-noise seed (default 0; env GMP_TWIN_SEED)"),
    (
        "--teams",
        "teams",
        int,
        "a classroom: N team plants, 0..24, on OPC UA ports base..base+N-1 (default: the plant file's "
        "teams: block; env GMP_TWIN_TEAMS)",
    ),
    ("--lang", "lang", str, "default dashboard language fr|en (env GMP_TWIN_LANG)"),
    ("--detectors", "detectors", Path, "drift detectors file (default config/detectors.yaml; env GMP_TWIN_DETECTORS)"),
    ("--scenarios", "scenarios", Path, "scenario library (default config/scenarios; env GMP_TWIN_SCENARIOS)"),
    ("--run-id", "run_id", str, "id of this run in the historian (default run-<UTC time>; env GMP_TWIN_RUN_ID)"),
)


def add_setting_flags(parser: argparse.ArgumentParser, names: set[str]) -> None:
    for flag, dest, typ, help_text in SETTING_FLAGS:
        if dest in names:
            action = "append" if dest == "tagmap" else "store"
            parser.add_argument(flag, dest=dest, type=typ, default=None, action=action, help=help_text)


def settings_from(args: argparse.Namespace) -> Any:
    from gmp_twin.settings import Settings

    overrides = {dest: getattr(args, dest) for _, dest, _, _ in SETTING_FLAGS if getattr(args, dest, None) is not None}
    if getattr(args, "insecure", False):
        overrides["opcua_insecure"] = True
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        flags = {dest: flag for flag, dest, _, _ in SETTING_FLAGS}
        lines = []
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else "?"
            source = flags.get(field, "") if field in overrides else f"environment GMP_TWIN_{field.upper()}"
            lines.append(f"{source or field}: {err['msg']} (got {err.get('input')!r})")
        raise ConfigError("invalid setting(s):\n  " + "\n  ".join(lines)) from None
