"""The one headless Chromium setup of the browser tests, the screenshots and the page-load benchmark.

Debian's Chromium and chromedriver (``make system-deps``) driven by Selenium (a dev
dependency: ``make screenshots`` and ``make test`` install it). The flags keep Chromium off the
network this machine may not have (background services, component updates, QUIC) and let it
run as root in a container. Chromium keeps the page's console messages (``SEVERE`` and
``WARNING``) for ``driver.get_log("browser")``.
"""

from __future__ import annotations

from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def headless_chromium(window: str = "1400,1400") -> Any:
    """A headless Chromium driven by Selenium, its window ``"width,height"`` in CSS pixels."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (*FLAGS, f"--window-size={window}"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
