"""The Dash application: the plant's pages, served at ``/`` beside the API."""

from __future__ import annotations

import dash
from dash import Dash, html

from dashboard.context import DashContext
from dashboard.pages import PAGES


def create_dash(ctx: DashContext) -> Dash:
    """Build the Dash app; every module in :data:`dashboard.pages.PAGES` adds its page.

    The instructor console registers itself only when ``ctx.instructor`` is set (and
    unregisters a stale one otherwise).
    """
    app = Dash(
        __name__,
        use_pages=True,
        pages_folder="",
        title="gmp-twin",
        update_title=None,  # type: ignore[arg-type]  # no "Updating..." flicker every second
        suppress_callback_exceptions=True,
    )
    for page in PAGES:
        page.register(app, ctx)
    app.layout = html.Div([dash.page_container])
    return app
