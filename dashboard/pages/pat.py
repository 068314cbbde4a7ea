"""The pat page: being built for issue #15 (registers nothing yet)."""

from __future__ import annotations

from dash import Dash

from dashboard.context import DashContext


def register(app: Dash, ctx: DashContext) -> None:
    """Register the page and its callbacks (nothing yet)."""
