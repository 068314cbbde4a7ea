"""Swagger UI and ReDoc served from this process: no CDN, so ``/api/docs`` works in a classroom offline.

The JavaScript and CSS come from the ``fastapi-offline`` package (Swagger UI and ReDoc bundles,
installed with the project), served under :data:`ASSETS`. The pages themselves are FastAPI's
own (``get_swagger_ui_html``, ``get_redoc_html``) pointed at those files, Google Fonts off.
Like FastAPI's built-in documentation they are open to anyone: they describe the API, and every
route checks its own level.

Both pages carry a Content-Security-Policy that allows this origin only (:data:`CSP`), and
Swagger UI's online validator badge is off. ReDoc's bundle hard-codes one image on a CDN (the
Redocly logo of its side menu): the bundle is served with that one URL pointed at the local
favicon (:func:`redoc_bundle`), so the page asks nothing of another host.
"""

from __future__ import annotations

import functools
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse, Response

DOCS = "/api/docs"
REDOC = "/api/redoc"
#: Where the Swagger UI and ReDoc bundles are served.
ASSETS = "/api/docs-assets"
_STATIC = Path(fastapi_offline.__file__).parent / "static"
#: This origin only; inline script and style because both pages start their viewer inline.
CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'self'"
)


#: The one remote URL of the ReDoc bundle (its side menu's logo; it hides itself if it fails to load).
_REDOC_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"


@functools.cache
def redoc_bundle() -> bytes:
    """ReDoc's standalone bundle with its CDN logo replaced by the local favicon (read once)."""
    bundle = (_STATIC / "redoc.standalone.js").read_bytes()
    return bundle.replace(_REDOC_LOGO, f"{ASSETS}/favicon.png".encode())


def add_local_docs(app: FastAPI) -> None:
    """Serve Swagger UI at :data:`DOCS` and ReDoc at :data:`REDOC` with local assets.

    ``app`` must have been created with ``docs_url=None`` and ``redoc_url=None``.
    """
    openapi_url = app.openapi_url or "/api/openapi.json"

    async def redoc_js(request: Request) -> Response:
        return Response(redoc_bundle(), media_type="text/javascript")

    app.add_route(f"{ASSETS}/redoc.standalone.js", redoc_js, include_in_schema=False)  # before the mount
    app.mount(ASSETS, StaticFiles(directory=_STATIC), name="docs-assets")

    async def swagger(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS}/favicon.png",
            swagger_ui_parameters={**(app.swagger_ui_parameters or {}), "validatorUrl": None},
        )
        page.headers["Content-Security-Policy"] = CSP
        return page

    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_redoc_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS}/favicon.png",
            with_google_fonts=False,
        )
        page.headers["Content-Security-Policy"] = CSP
        return page

    app.add_route(DOCS, swagger, include_in_schema=False)
    app.add_route(REDOC, redoc, include_in_schema=False)


__all__ = ["ASSETS", "CSP", "DOCS", "REDOC", "add_local_docs"]
