"""``gmp-twin analyze ...``: SPC, PCA and OEE on arbitrary CSV files (learner projects)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``analyze`` command to the top-level parser."""
    parser = sub.add_parser("analyze", help="SPC, PCA and OEE on CSV files")
    parser.set_defaults(handler=lambda args: parser.print_help() or 2)
