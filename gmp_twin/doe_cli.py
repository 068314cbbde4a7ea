"""``gmp-twin doe``: being built for issue #15 (this module only registers the command name)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``doe`` command (not built yet: it says so and exits 2)."""
    p = sub.add_parser("doe", help="(being built) see issue #15")
    p.set_defaults(handler=_not_built)


def _not_built(args: argparse.Namespace) -> int:
    raise SystemExit("gmp-twin doe: not built yet")
