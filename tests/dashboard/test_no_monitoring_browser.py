"""Pages of a process without the services their callbacks read, in a real browser: no console error.

A dashboard without a monitoring service (``serve(monitoring=False)``, as a role that runs no
detectors) shows a notice on the SPC, PCA and alarm pages; one whose detectors include no PCA
detector shows one on the PCA page. Their callbacks still name the chart, picker and grid
components: a layout without them makes Dash log "A nonexistent object was used in an Input /
Output" (seen by the screenshot run, issue #13). Every registered page is opened, in English
(the notice and the callbacks do not depend on the language).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import dash
import pytest
from browser_app import login, serve
from conftest import chromium
from people import PASSWORDS, make_people

from dashboard.i18n import t
from gmp_twin.page_checks import console_errors, page_text, wait_rendered


def _registered_paths() -> list[str]:
    pages = [p for p in dash.page_registry.values() if "gmp_level" in p and not p.get("path_template")]
    return [p["path"] for p in sorted(pages, key=lambda p: p.get("order") or 0)]


def _open(driver: Any, url: str, path: str) -> list[str]:
    """Open ``path`` in English, let a refresh tick or two run; the console errors it logged."""
    driver.get_log("browser")  # drain what the previous page left
    driver.get(f"{url}{path}?lang=en")
    rendered = wait_rendered(driver)
    time.sleep(2.0)  # the refresh ticks fire the callbacks whose components were missing
    wait_rendered(driver, timeout_ms=10_000)
    found = [f"{path}: console error: {m}" for m in console_errors(driver)]
    if rendered["timeout"]:
        found.append(f"{path}: not rendered within 60 s")
    return found


@pytest.mark.browser
def test_pages_without_monitoring_log_no_console_error(tmp_path: Path) -> None:
    people = make_people(tmp_path)
    driver = None
    try:
        with serve(tmp_path, people, monitoring=False) as served:
            driver = chromium("1280,900")
            login(driver, served.url, "ines", PASSWORDS["ines"], "/")
            paths = _registered_paths()
            assert {"/spc", "/pca", "/alarms"} <= set(paths)
            findings: list[str] = []
            for path in paths:
                findings += _open(driver, served.url, path)
                if path in ("/spc", "/pca", "/alarms"):
                    assert t("no_monitoring", "en") in page_text(driver), path
            assert findings == [], "\n".join(findings)
    finally:
        if driver is not None:
            driver.quit()
        people.close()


@pytest.mark.browser
def test_pca_page_without_a_pca_detector_logs_no_console_error(tmp_path: Path) -> None:
    people = make_people(tmp_path)
    driver = None
    try:
        # The default detectors of browser_app: one EWMA chart on the level, no PCA.
        with serve(tmp_path, people, monitoring=True) as served:
            driver = chromium("1280,900")
            login(driver, served.url, "ines", PASSWORDS["ines"], "/")
            findings = _open(driver, served.url, "/pca")
            assert t("no_detectors", "en") in page_text(driver)
            findings += _open(driver, served.url, "/spc")  # the EWMA chart's page works beside it
            assert findings == [], "\n".join(findings)
    finally:
        if driver is not None:
            driver.quit()
        people.close()
