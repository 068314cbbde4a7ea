"""The station page's time-range picker in Chromium: live 15 min by default, 1 h redrawn, custom still.

The served SQLite historian holds two hours of every MPS PA tag (every 30 s) up to now; the
loop charts must show the window picked, and the export link the same window.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from browser_app import serve, wait_for
from conftest import chromium

from historian import Point, open_historian
from models.registry import params_class, unit_class

SEC = 1_000_000_000
MIN = 60 * SEC
NEWEST = (time.time_ns() // MIN) * MIN
_X = """
const host = [...document.querySelectorAll('[id]')]
  .find(e => e.id.includes('"loop":"level"') && e.id.includes('loop-graph'));
const g = host && host.querySelector('.js-plotly-plot');
const x = g && g.data && g.data[0].x;
return x && x.length ? [x[0], x[x.length - 1], x.length] : null;
"""


async def _fill(path: Path) -> None:
    cls = unit_class("mps_pa")
    tags = [(spec.name, (spec.lo + spec.hi) / 2) for spec in cls(params_class(cls)()).tag_specs()]
    points = [
        Point("process", {"site": "lab", "unit": "mps-pa", "tag": name, "source": "sim"},
              {"value": mid, "status": 0}, NEWEST - i * 30 * SEC)
        for name, mid in tags
        for i in range(240)
    ]  # fmt: skip
    async with open_historian(f"sqlite:///{path}") as historian:
        await historian.write(points)


def _ns(x: str) -> int:
    moment = datetime.fromisoformat(x.replace(" ", "T"))
    return round((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()) * SEC


def _level_x(driver: Any) -> tuple[int, int, int] | None:
    found = driver.execute_script(_X)
    return (_ns(found[0]), _ns(found[1]), int(found[2])) if found else None


def test_station_loop_charts_follow_the_range_picker(tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    asyncio.run(_fill(tmp_path / "h.sqlite"))
    with serve(tmp_path, None) as served:
        driver = chromium("1400,1400")
        try:
            driver.get(f"{served.url}/?lang=en")
            # Default: the last 15 minutes, live.
            checked = wait_for(
                "the picker", lambda: driver.find_elements(By.CSS_SELECTOR, "#station-range input:checked")
            )
            assert checked[0].get_attribute("value") == "15m"
            first = wait_for("the level chart", lambda: _level_x(driver), 60)
            assert first[0] >= NEWEST - 20 * MIN, (first[0] - NEWEST) / MIN

            def href() -> str:
                return str(driver.execute_script("return document.getElementById('station-export').href") or "")

            # The last hour: the chart is redrawn from an hour back, the export link says the same.
            driver.find_element(By.CSS_SELECTOR, '#station-range input[value="1h"]').click()
            hour = wait_for("the 1 h chart", lambda: (x := _level_x(driver)) and x[0] <= NEWEST - 45 * MIN and x, 30)
            assert hour[0] >= NEWEST - 65 * MIN
            assert "B101_level" in href() and "format=csv" in href()

            # A custom range stays still: the chart holds exactly that window, and ticks leave it alone.
            driver.find_element(By.CSS_SELECTOR, '#station-range input[value="custom"]').click()
            start, end = NEWEST - 100 * MIN, NEWEST - 80 * MIN
            driver.find_element(By.ID, "station-start").send_keys(
                f"{datetime.fromtimestamp(start / SEC, UTC):%Y-%m-%d %H:%M}", Keys.ENTER
            )
            driver.find_element(By.ID, "station-end").send_keys(
                f"{datetime.fromtimestamp(end / SEC, UTC):%Y-%m-%d %H:%M}", Keys.ENTER
            )
            still = wait_for("the custom chart", lambda: (x := _level_x(driver)) and x[1] <= end and x, 30)
            assert still[0] == start and still[1] == end and still[2] == 41
            time.sleep(3)  # a few ticks
            assert _level_x(driver) == still
            console = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
            assert not console, console
        finally:
            driver.quit()
