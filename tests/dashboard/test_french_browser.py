"""French pages in a real browser: no English word from a short list, and Plotly's French dates.

Each page is opened with ``?lang=fr`` in headless Chromium over a running plant
(:func:`browser_app.serve`); the text a student reads (HTML and the charts' SVG) must not hold
the English words that leaked before (issue #13: "Level", "Updated", "Dec"...).
"""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from typing import Any

import pytest
from browser_app import serve, wait_for
from conftest import chromium

from dashboard.i18n import t
from historian import open_historian
from historian.base import Point
from models.registry import params_class, unit_class

#: Words a French page must not show (whole words, case-sensitive: tag ids like B101_level are fine).
ENGLISH = tuple(
    "Level|Updated|Setpoint|Status|Dec|Nov|Flow|Pressure|Temperature|Measured|Output|Tank|No data|Alarm"
    "|Acknowledge|Phase time|Time".split("|")
)
#: Page path → the catalogue key of its title (the test waits for it before reading the page).
PAGES = {
    "/": "title",
    "/units/mps_pa": None,
    "/spc": "spc_title",
    "/pca": "pca_title",
    "/oee": "oee_title",
    "/alarms": "alarms_title",
}
FRENCH_DATE = re.compile(r"\b\d{1,2} (janv\.|févr\.|mars|avr\.|mai|juin|juil\.|août|sept\.|oct\.|nov\.|déc\.) \d{4}\b")

_TEXT_JS = """
const svg = [...document.querySelectorAll('svg text')].map(e => e.textContent).join(' | ');
return document.body.innerText + ' | ' + svg;
"""


def _page_text(driver: Any) -> str:
    return str(driver.execute_script(_TEXT_JS) or "")


def _english_words(text: str) -> list[str]:
    return sorted({w for w in ENGLISH if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text)})


def _fill_history(folder: Path) -> None:
    """A minute of every mps-pa tag, up to now, in the served SQLite historian: charts get a time axis."""
    cls = unit_class("mps_pa")
    tags = [(spec.name, (spec.lo + spec.hi) / 2) for spec in cls(params_class(cls)()).tag_specs()]
    now = time.time_ns()
    points = [
        Point("process", {"site": "lab", "unit": "mps-pa", "tag": name, "source": "sim"},
              {"value": mid, "status": 0}, now - k * 5_000_000_000)
        for name, mid in tags
        for k in range(12)
    ]  # fmt: skip

    async def write() -> None:
        async with open_historian(f"sqlite:///{folder}/h.sqlite") as historian:
            await historian.write(points)

    asyncio.run(write())


@pytest.fixture(scope="module")
def french_site(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("fr")
    with serve(folder, None) as served:
        _fill_history(folder)
        driver = chromium("1600,1200")
        try:
            yield served, driver
        finally:
            driver.quit()


@pytest.mark.browser
@pytest.mark.parametrize("path", list(PAGES))
def test_french_page_shows_no_english_word(french_site: Any, path: str) -> None:
    served, driver = french_site
    driver.get(f"{served.url}{path}?lang=fr")
    title = PAGES[path]
    wait_for(f"{path} rendered", lambda: driver.execute_script("return !!document.querySelector('.langs')"), 60)
    if title:
        wait_for(f"{path} title", lambda: t(title, "fr") in _page_text(driver), 60)
    time.sleep(3)  # a few refresh ticks: callbacks fill tables and charts
    text = _page_text(driver)
    assert "404" not in driver.title
    assert _english_words(text) == [], text[:2000]


@pytest.mark.browser
def test_station_charts_date_axis_reads_french(french_site: Any) -> None:
    served, driver = french_site
    driver.get(f"{served.url}/?lang=fr")
    found = wait_for("a French date under a chart's time axis", lambda: FRENCH_DATE.search(_page_text(driver)), 60)
    assert found
    # ... and the same page in English keeps Plotly's English dates, and shows the listed words (the check can fail).
    driver.get(f"{served.url}/?lang=en")
    english_date = r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d"
    wait_for("an English date", lambda: re.search(english_date, _page_text(driver)), 60)
    assert {"Level", "Setpoint"} <= set(_english_words(_page_text(driver)))
