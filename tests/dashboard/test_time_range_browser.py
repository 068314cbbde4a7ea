"""The time-range picker in a real Chromium: pick a range on a unit page, export it as CSV.

The historian (a real SQLite file) holds two hours of the dryer's tags, a day ahead of the
wall clock, so "now" is the newest sample (as when a simulation runs ahead) and the windows
are exact. The CSV behind the page's export link is fetched as the browser would.
"""

from __future__ import annotations

import asyncio
import csv
import io
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from browser_app import serve, text, wait_for
from conftest import chromium

from historian import Point, open_historian
from twin.plant import PlantConfig

PLANT = PlantConfig.model_validate({"site": "lab", "units": [{"name": "dryer-1", "type": "fluid_bed_dryer"}]})
SEC = 1_000_000_000
STEP_S = 30
# Two hours of samples every 30 s, the newest a day ahead of the wall clock, on a whole minute.
NEWEST = (int(datetime.now(UTC).timestamp()) // 60 + 24 * 60) * 60 * SEC
TAGS = ("inlet_air_temperature", "air_flow", "product_temperature")  # the critical ones: exported


async def _fill(path: Path) -> None:
    async with open_historian(f"sqlite:///{path}") as historian:
        points = [
            Point(
                "process",
                {"site": "lab", "unit": "dryer-1", "tag": tag, "source": "sim"},
                {"value": 50.0 + k + i / 100, "status": 0},
                NEWEST - i * STEP_S * SEC,
            )
            for k, tag in enumerate(TAGS)
            for i in range(240)
        ]
        await historian.write(points)


def _csv(url: str) -> list[dict[str, str]]:
    with urllib.request.urlopen(url, timeout=30) as resp:
        assert resp.headers["content-type"].startswith("text/csv")
        return list(csv.DictReader(io.StringIO(resp.read().decode())))


def _ns(text_: str) -> int:
    moment = datetime.fromisoformat(text_.replace("Z", "+00:00"))
    return round(moment.timestamp()) * SEC


def test_pick_a_range_and_export_it_as_csv(tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    asyncio.run(_fill(tmp_path / "h.sqlite"))
    with serve(tmp_path, None, plant=PLANT) as served:
        driver = chromium()
        try:
            driver.get(f"{served.url}/units/fluid_bed_dryer?lang=en")
            wait_for("the export link", lambda: text(driver, "unit-export") == "Export as CSV")

            def href() -> str:
                return str(driver.execute_script("return document.getElementById('unit-export').href") or "")

            first = wait_for("the export link's target", lambda: "/api/history?" in href() and href())

            # Last 15 minutes: 31 samples of each exported tag (both ends included).
            driver.find_element(By.CSS_SELECTOR, '#unit-range input[value="15m"]').click()
            rows = _csv(wait_for("the 15 min link", lambda: href() != first and href()))
            times = sorted({_ns(r["time"]) for r in rows})
            assert times[0] == NEWEST - 15 * 60 * SEC and times[-1] == NEWEST, (times[0], times[-1], NEWEST)
            per_tag = {tag: sum(r["tag"] == tag for r in rows) for tag in {r["tag"] for r in rows}}
            assert per_tag == dict.fromkeys(TAGS, 31), per_tag
            assert {r["unit"] for r in rows} == {"dryer-1"} and all(r["status_name"] == "Good" for r in rows)

            # A custom range typed in the page's zone (UTC here): 40 minutes -> 81 samples per tag.
            driver.find_element(By.CSS_SELECTOR, '#unit-range input[value="custom"]').click()
            start = datetime.fromtimestamp(NEWEST / SEC - 3600, UTC)
            end = datetime.fromtimestamp(NEWEST / SEC - 1200, UTC)
            box = driver.find_element(By.ID, "unit-start")
            box.send_keys(f"{start:%Y-%m-%d %H:%M}", Keys.ENTER)
            driver.find_element(By.ID, "unit-end").send_keys(f"{end:%Y-%m-%d %H:%M}", Keys.ENTER)
            bounds = (f"start={start:%Y-%m-%dT%H}%3A{start:%M}", f"end={end:%Y-%m-%dT%H}%3A{end:%M}")
            rows = _csv(wait_for("the custom link", lambda: all(b in href() for b in bounds) and href()))
            times = sorted({_ns(r["time"]) for r in rows})
            assert (times[0], times[-1]) == (NEWEST - 3600 * SEC, NEWEST - 1200 * SEC)
            assert {sum(r["tag"] == tag for r in rows) for tag in {r["tag"] for r in rows}} == {81}
            assert "Export as CSV" in text(driver, "unit-export")
        finally:
            driver.quit()
