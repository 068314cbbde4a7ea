"""How the analyses report: one-line errors (exit code 2), JSON output, percentages."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from typing import Any

import numpy as np


class CliError(Exception):
    """A user error: printed as one line, exit code 2."""


def json_safe(obj: Any) -> Any:
    # NaN/inf have no JSON form: they become null (documented by each command).
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def emit_json(payload: dict[str, Any]) -> None:
    json.dump(json_safe(payload), sys.stdout, indent=1, allow_nan=False)
    sys.stdout.write("\n")


def guard(name: str, fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return fn(args)
        except (CliError, ValueError) as exc:  # TableError and PcaError are ValueErrors
            msg = " ".join(str(exc).split())  # one line
            print(f"gmp-twin analyze {name}: error: {msg}", file=sys.stderr)
            return 2

    return run


def pct(v: float | None) -> str:
    return "n/a" if v is None else f"{100 * v:.1f} %"
