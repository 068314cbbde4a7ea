"""The Dash application: the plant's pages, served at ``/`` beside the API.

Every page and callback is checked server-side (:mod:`dashboard.auth.dash_guard`): a page
module's ``LEVEL`` (``viewer`` by default) applies to its layout and to every callback it
registers.
"""

from __future__ import annotations

import dash
from dash import Dash, html

from dashboard.auth.dash_guard import DashGuard, guard_layout
from dashboard.classroom import remember_team
from dashboard.context import DashContext
from dashboard.pages import PAGES


def create_dash(ctx: DashContext) -> Dash:
    """Build the Dash app; every module in :data:`dashboard.pages.PAGES` adds its page.

    The instructor console registers itself only when a control service runs in this process
    (and unregisters a stale one otherwise).
    """
    app = Dash(
        __name__,
        use_pages=True,
        pages_folder="",
        title="gmp-twin",
        update_title=None,  # type: ignore[arg-type]  # no "Updating..." flicker every second
        suppress_callback_exceptions=True,
    )
    guard = DashGuard(ctx.services.gate)
    for page in PAGES:
        level = getattr(page, "LEVEL", "viewer")
        # The page registry is process-wide: a page is "this module's" when its layout changed.
        before_pages = {name: id(entry.get("layout")) for name, entry in dash.page_registry.items()}
        before_callbacks = set(app.callback_map)
        page.register(app, ctx)
        for key in app.callback_map:  # registration order: the role matrix lists them so
            if key not in before_callbacks:
                guard.callback_levels[key] = level
        for name, entry in dash.page_registry.items():
            if before_pages.get(name) != id(entry.get("layout")):
                entry["layout"] = guard_layout(guard, level, entry["layout"])
                entry["gmp_level"] = level
                guard.page_levels[entry["path"]] = level
    guard.install(app)
    if ctx.classroom is not None:  # an instructor's ?team= outlives the page that carried it
        remember_team(app.server, ctx.classroom)
    app.gmp_guard = guard  # type: ignore[attr-defined]  # the role matrix reads the levels back
    app.layout = html.Div([dash.page_container])
    return app
