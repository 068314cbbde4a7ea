"""The batch report in headless Chromium, in French: batch id, phases, a drawn chart, no English.

Three simulated hours of a dryer and an autoclave (:mod:`batch_plant`, stamped up to now) are
written into the served SQLite historian; the unit page links to the reports, the list links
to each batch, and the report draws its charts with the locally served plotly.js.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from batch_plant import PLANT, simulate, write
from browser_app import serve, wait_for
from conftest import chromium

from dashboard.report.batches import find_batches
from gmp_twin.page_checks import PAGE_TEXT_JS, english_words

SEC = 1_000_000_000


def _text(driver: Any) -> str:
    return str(driver.execute_script(PAGE_TEXT_JS) or "")


@pytest.mark.browser
def test_french_batch_report_opens_with_phases_and_charts(tmp_path: Path) -> None:
    sim = simulate(tmp_path / "sim", time.time_ns() - 3 * 3600 * SEC)
    write(tmp_path / "h.sqlite", sim.process + sim.events + sim.scenario_end)
    series = {tag: s for (unit, tag), s in sim.series.items() if unit == "dryer-1"}
    batch = next(b for b in find_batches("fluid_bed_dryer", series) if b.end_ns is not None)
    with serve(tmp_path, None, plant=PLANT) as served:
        driver = chromium("1280,1400")
        try:
            # The unit page links to the unit's reports; the list links to the batch.
            driver.get(f"{served.url}/units/fluid_bed_dryer?lang=fr")
            link = wait_for("the report link", lambda: driver.find_elements("id", "report-link-dryer-1"), 60)[0]
            assert link.text == "Rapports de lot (impression, PDF)"
            driver.get(link.get_attribute("href"))
            wait_for("the batch list", lambda: driver.find_elements("css selector", "a.batch-link"), 30)
            listed = [a.text for a in driver.find_elements("css selector", "a.batch-link")]
            assert batch.batch_id in listed
            assert english_words(_text(driver)) == [], _text(driver)[:2000]
            next(a for a in driver.find_elements("css selector", "a.batch-link") if a.text == batch.batch_id).click()

            wait_for("the report", lambda: driver.find_elements("id", "batch-report"), 30)
            assert driver.find_element("id", "batch-id").text == batch.batch_id
            phases = driver.find_elements("css selector", "#phases tbody tr")
            assert [r.find_elements("tag name", "td")[0].text for r in phases] == ["séchage"]
            # Plotly drew the three critical parameters (plotly.js from this server, no CDN).
            wait_for("three charts", lambda: len(driver.find_elements("css selector", ".chart .main-svg")) >= 3, 30)
            shapes = driver.execute_script(
                "return document.getElementById('chart-1').layout.shapes.map(s => [s.x0, s.x1]);"
            )
            assert len(shapes) == 2  # PAR and NOR, over the drying phase only
            text = _text(driver)
            assert english_words(text) == [], text[:3000]
            assert "nan" not in text.lower().split()
            assert "Point final" in text and "Pannes injectées" in text
            # The exercise is over: its hidden fault is revealed (a viewer without login here).
            assert driver.find_elements("css selector", 'tr.fault[data-fault="F1"]')
            console = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
            assert not console, console
        finally:
            driver.quit()
