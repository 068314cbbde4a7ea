"""Swagger UI and ReDoc work offline: every asset they load is served by the process itself.

Checked twice: the HTML of ``/api/docs`` and ``/api/redoc`` names no URL of another host and
each asset it names is served; and headless Chromium (which has no network here) renders both
pages from those assets alone, with no request to another origin.
"""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from browser_app import serve, wait_for
from conftest import chromium

from dashboard.api.docs import CSP

PAGES = ("/api/docs", "/api/redoc")
#: Anything that leaves the origin: absolute http(s) URLs and protocol-relative ones.
EXTERNAL = re.compile(r"""(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}""")


def fetch(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return resp.status, resp.headers.get("content-type", ""), resp.read()


def asset_urls(html: str) -> list[str]:
    """The ``src``/``href`` attributes and Swagger UI's ``url:`` of a page."""
    pairs = re.findall(r"""(?:src|href)=["']([^"']+)["']|url:\s*['"]([^'"]+)['"]""", html)
    return [a or b for a, b in pairs]


def test_docs_pages_name_only_local_assets_and_each_is_served(tmp_path: Path) -> None:
    with serve(tmp_path, None) as served:
        for page in PAGES:
            status, kind, body = fetch(served.url + page)
            html = body.decode()
            assert status == 200 and kind.startswith("text/html"), page
            with urllib.request.urlopen(served.url + page, timeout=10) as resp:  # the browser allows this origin only
                assert resp.headers["content-security-policy"] == CSP
            assert not EXTERNAL.findall(html), (page, EXTERNAL.findall(html))
            assets = [u for u in asset_urls(html) if not u.startswith("#")]
            scripts = [u for u in assets if u.endswith(".js")]
            assert scripts and all(u.startswith("/api/docs-assets/") for u in scripts), (page, assets)
            for url in assets:
                got, kind, content = fetch(urljoin(served.url + page, url))
                assert got == 200 and len(content) > 100, url
        # The OpenAPI document the pages load is this process's own.
        assert b'"title":"gmp-twin"' in fetch(served.url + "/api/openapi.json")[2]


@pytest.mark.browser
def test_swagger_ui_and_redoc_render_offline_in_chromium(tmp_path: Path) -> None:
    with serve(tmp_path, None) as served:
        driver = chromium()
        try:
            driver.get(served.url + "/api/docs")
            title = wait_for(
                "Swagger UI's title",
                lambda: driver.execute_script(
                    "const t = document.querySelector('.swagger-ui .info .title'); return t && t.textContent"
                ),
            )
            assert "gmp-twin" in title
            assert wait_for(
                "the faults operations", lambda: driver.find_elements("css selector", "#operations-tag-faults")
            )
            origins = driver.execute_script(
                "return performance.getEntriesByType('resource').map(e => e.name).concat([location.href])"
            )
            assert {urlsplit(u).netloc for u in origins} == {urlsplit(served.url).netloc}, origins

            driver.get(served.url + "/api/redoc")
            heading = wait_for(
                "ReDoc's heading",
                lambda: driver.execute_script(
                    "const h = document.querySelector('.api-info h1'); return h && h.textContent"
                ),
            )
            assert "gmp-twin" in heading
            origins = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
            assert {urlsplit(u).netloc for u in origins} == {urlsplit(served.url).netloc}, origins
            errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
            assert not errors, errors  # no blocked or failed request, no script error, on either page
        finally:
            driver.quit()
