"""``gmp-twin simulate``: batch generation without the OPC UA layer (issue 3, in progress)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``simulate`` command (filled in with the process-model library)."""
