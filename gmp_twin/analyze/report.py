"""How the analyses report: one-line errors (exit code 2), JSON output, numbers in the summary's language.

The summaries' words are the ``analyze.*`` keys of the dashboard catalogue (``dashboard.i18n.t``);
JSON output stays language-neutral.
"""

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


class Numbers:
    """Numbers of a summary for a ``lang`` reader: decimal comma in French (Babel, via ``dashboard.i18n``).

    Examples
    --------
    >>> fr, en = Numbers("fr"), Numbers("en")
    >>> fr.pct(0.6875), en.pct(0.6875), fr.pct(None), en.pct(None)
    ('68,8 %', '68.8 %', 'n.d.', 'n/a')
    >>> fr.sig(0.086291), en.sig(12345.678), fr.num(1.25, 1), fr.num(2400)
    ('0,08629', '12350', '1,2', '2\u202f400')
    """

    def __init__(self, lang: str) -> None:
        # Loaded here, when a summary is printed: Babel would slow every `gmp-twin` start.
        from dashboard.i18n import fmt_number, t

        self.lang = lang
        self._fmt = fmt_number
        self.na = t("analyze.na", lang)

    def num(self, x: float | None, digits: int | None = None) -> str:
        """``x`` with ``digits`` decimals (``None``: up to three)."""
        return self.na if x is None else self._fmt(x, self.lang, digits)

    def sig(self, x: float | None, significant: int = 4) -> str:
        """``x`` to ``significant`` digits, like ``{x:.4g}`` but in the reader's notation."""
        if x is None:
            return self.na
        if x != 0 and math.isfinite(x) and not 1e-4 <= abs(x) < 1e12:
            text = f"{x:.{significant - 1}e}"  # exponent form for the very small or large
            return text.replace(".", ",") if self.lang == "fr" else text
        return self._fmt(x, self.lang, significant=significant)

    def pct(self, v: float | None) -> str:
        """A fraction as a percentage with one decimal."""
        return self.na if v is None else f"{self._fmt(100 * v, self.lang, 1, group=False)} %"
