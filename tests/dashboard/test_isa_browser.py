"""The ISA-101 pass in a real browser: bad quality shown distinctly, tables that sort, filter and
export CSV, "No data yet" charts, and a header that holds at classroom screen widths.

The default plant (``config/plant.yaml``, five units: the longest menu) is served by
:func:`browser_app.serve`; the test writes the station's values straight into the same SQLite
historian (a second connection) with the OPC UA status codes a failing sensor sends.
"""

from __future__ import annotations

import asyncio
import csv
import io
import time
from pathlib import Path
from typing import Any

import pytest
from browser_app import login, serve, wait_for
from conftest import chromium
from people import PASSWORDS, make_people

from historian import open_historian
from historian.base import Point
from twin.plant import load_plant

REPO = Path(__file__).resolve().parents[2]
BAD = 0x80310000  # BadNoCommunication
UNCERTAIN = 0x40930000  # UncertainSensorNotAccurate
GRID = "tags-station"


def _write(tmp_path: Path, values: dict[str, tuple[float, int]]) -> None:
    """One sample per tag of mps-pa, stamped now, into the served SQLite historian."""
    now = time.time_ns()
    points = [
        Point("process", {"site": "lab", "unit": "mps-pa", "tag": tag, "source": "sim"},
              {"value": value, "status": status}, now)
        for tag, (value, status) in values.items()
    ]  # fmt: skip

    async def write() -> None:
        async with open_historian(f"sqlite:///{tmp_path}/h.sqlite") as historian:
            await historian.write(points)

    asyncio.run(write())


def _js(driver: Any, script: str, *args: Any) -> Any:
    return driver.execute_script(script, *args)


def _grid(driver: Any, call: str) -> Any:
    """Ask the station's tag grid (AG Grid API) something, e.g. ``api.getDisplayedRowCount()``."""
    script = f"const api = window.dash_ag_grid && dash_ag_grid.getApi('{GRID}'); return api ? {call} : null;"
    return _js(driver, script)


def _annotations(driver: Any, loop: str) -> list[str]:
    graph = '{"loop":"' + loop + '","type":"loop-graph"}'
    script = (
        "const g = document.getElementById(arguments[0]); const p = g && g.querySelector('.js-plotly-plot');"
        "return p && p.layout ? (p.layout.annotations || []).map(a => a.text) : null;"
    )
    return _js(driver, script, graph) or []


@pytest.mark.browser
def test_quality_tables_and_layout_in_the_browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The default plant under the site name the test writes to.
    plant = load_plant(REPO / "config" / "plant.yaml").model_copy(update={"site": "lab"})
    people = make_people(tmp_path)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with serve(tmp_path, people, plant=plant) as served:
        _write(tmp_path, {"B101_level": (float("nan"), BAD), "B102_flow": (3.25, 0),
                          "B103_pressure": (0.5, UNCERTAIN), "level_sp": (15.0, 0)})  # fmt: skip
        driver = chromium("1600,1100")
        try:
            driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
            login(driver, served.url, "ines", PASSWORDS["ines"], "/?lang=fr")

            # Bad quality: the status name, hatched and greyed, never "nan".
            wait_for("the bad value", lambda: _js(driver, "return document.getElementById('val-B101_level')"), 30)
            value = _js(
                driver, "const e = document.getElementById('val-B101_level'); return [e.textContent, e.className];"
            )
            assert value[0] == "—" and "q-bad" in value[1].split()
            style = _js(driver, "return getComputedStyle(document.getElementById('val-B101_level')).backgroundImage;")
            assert "repeating-linear-gradient" in style
            good = _js(driver, "return getComputedStyle(document.getElementById('val-B102_flow')).backgroundImage;")
            assert good == "none"  # a good value is plain: colour and hatching only for the abnormal
            row = _js(driver, "return document.querySelector('.ag-row[row-id=\"B101_level\"]').className;")
            assert "row-q-bad" in row
            status = _js(
                driver, "return document.querySelector('.ag-row[row-id=\"B101_level\"] .status-cell').textContent;"
            )
            assert status == "BadNoCommunication"
            uncertain = _js(
                driver, "const e = document.getElementById('val-B103_pressure'); return [e.textContent, e.className];"
            )
            assert "q-uncertain" in uncertain[1] and "," in uncertain[0]  # decimal comma in French
            assert "3,25" in _js(driver, "return document.getElementById('val-B102_flow').textContent;")
            page = _js(driver, "return document.body.innerText;")
            assert " nan" not in page.lower() and "NaN" not in page

            # Charts without data say so; the temperature chart is drawn once values arrive.
            wait_for(
                "no data on the temperature loop",
                lambda: "Pas encore de données" in _annotations(driver, "temperature"),
            )
            _write(tmp_path, {"B104_temperature": (21.5, 0)})
            time.sleep(0.01)
            _write(tmp_path, {"B104_temperature": (21.7, 0)})
            wait_for(
                "the temperature loop drawn",
                lambda: "Pas encore de données" not in _annotations(driver, "temperature"),
                30,
            )

            # The French menu on one line at 1,600 px (an instructor sees every page).
            tops = _js(
                driver, "return [...document.querySelectorAll('nav.navbar a')].map(a => a.getBoundingClientRect().top);"
            )
            assert len(tops) >= 10 and len(set(tops)) == 1, tops

            # Sort: a click on the heading sorts by tag, a second click the other way.
            total = wait_for("the rows", lambda: _grid(driver, "api.getDisplayedRowCount()"))
            names = sorted(_grid(driver, "(() => { const n = []; api.forEachNode(r => n.push(r.id)); return n; })()"))
            header = driver.find_element("css selector", '.ag-header-cell[col-id="tag"] .ag-header-cell-label')
            header.click()
            wait_for("ascending", lambda: _grid(driver, "api.getDisplayedRowAtIndex(0).id") == names[0])
            header.click()
            wait_for("descending", lambda: _grid(driver, "api.getDisplayedRowAtIndex(0).id") == names[-1])

            # Filter on the tag column, then export what is shown.
            box = driver.find_element("css selector", '.ag-floating-filter[col-id="tag"] input')
            box.send_keys("B10")
            expected = [n for n in names if "b10" in n.lower()]
            wait_for("filtered", lambda: _grid(driver, "api.getDisplayedRowCount()") == len(expected))
            assert 0 < len(expected) < total
            driver.find_element("css selector", f'button.grid-csv[data-grid="{GRID}"]').click()
            exported = wait_for("the CSV", lambda: list(downloads.glob(f"{GRID}*.csv")))
            text = wait_for("the CSV written", lambda: exported[0].read_text(encoding="utf-8-sig").strip())
            rows = list(csv.reader(io.StringIO(text)))
            assert rows[0][:2] == ["Variable", "Description"]
            assert sorted(r[0] for r in rows[1:]) == expected
            bad = next(r for r in rows[1:] if r[0] == "B101_level")
            assert "BadNoCommunication" in bad and "nan" not in ",".join(bad).lower()

            # At 1,280 px the French title stays on one line.
            driver.set_window_size(1280, 1000)
            wait_for("resized", lambda: _js(driver, "return window.innerWidth") <= 1280)
            height, line = _js(
                driver,
                "const h = document.querySelector('.header h1'); const s = getComputedStyle(h);"
                "return [h.getBoundingClientRect().height, parseFloat(s.lineHeight) || parseFloat(s.fontSize) * 1.2];",
            )
            assert height < 1.5 * line, (height, line)
            # No sideways scroll once the charts have followed the new width (Plotly re-lays out after a resize).
            sideways = "return document.documentElement.scrollWidth <= document.documentElement.clientWidth"
            wait_for("no sideways scroll at 1,280 px", lambda: _js(driver, sideways), 15)
            driver.save_screenshot(str(tmp_path / "station-fr-1280.png"))
        finally:
            driver.quit()
            people.close()
