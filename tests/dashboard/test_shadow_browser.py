"""The shadow page in a real browser, over a real shadow run stored in SQLite.

The historian holds 45 min of the MPS PA station as a plant would report it (``source = plc``,
the runtime's sensor noise, its pump wearing 30 % at 37 min) and a shadow run replayed over it
(``source = sim``, references and alarms): the page shows twin and plant, the residual chart with
its limits and the alarm, and a table of every tag, in French and English, without console
error or ``nan``.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_app import dropdown, serve, wait_for
from conftest import chromium

from analytics.shadow_spc import ShadowSpcConfig
from dashboard.pages.shadow import shadow_units
from gmp_twin.page_checks import console_errors, nan_words, page_text, wait_rendered
from gmp_twin.shadow_run import ShadowRun
from gmp_twin.shadow_twin import ShadowTwin
from historian import Point, open_historian
from models.mps_pa import MpsPaStation
from twin.clock import SimClock
from twin.runtime import TwinRuntime, due_readings

NS = 1_000_000_000
SITE, UNIT = "lab", "mps-pa"
DURATION_S, FAULT_S = 2700.0, 2200.0


def _plant(t0: int) -> list[Point]:
    runtime = TwinRuntime({UNIT: MpsPaStation()}, clock=SimClock(epoch_ns=t0, speed=math.inf), seed=5)
    slot = runtime.slots[UNIT]
    points = []
    for k in range(1, round(DURATION_S / runtime.dt_s) + 1):
        if k == round(FAULT_S / runtime.dt_s):
            slot.unit.disturbances.set("pump_wear", 0.3)
        runtime.step()
        if k % 5 == 0:  # 2 Hz is enough for a page
            due = due_readings(slot, runtime.readings(UNIT), runtime.clock.sim_time_s, runtime.heartbeat_s)
            for tag, (value, status) in due.items():
                tags = {"site": SITE, "unit": UNIT, "tag": tag, "source": "plc"}
                points.append(Point("process", tags, {"value": float(value), "status": status}, runtime.clock.now_ns()))
    return points


def _fill(db: Path) -> None:
    t0 = (time.time_ns() - round(DURATION_S * NS)) // NS * NS

    async def write() -> None:
        async with open_historian(f"sqlite:///{db}") as historian:
            await historian.write(_plant(t0))
            config = ShadowSpcConfig(window_s=10, settle_s=120, reference_s=1800)
            shadow = ShadowRun(historian, ShadowTwin(MpsPaStation(), UNIT, SITE), config, "browser-run")
            result = await shadow.replay(t0, t0 + round(DURATION_S * NS))
            assert [p.fields["tag"] for p in result.alarms][:1] == ["B101_level"]

    asyncio.run(write())


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    folder = tmp_path_factory.mktemp("shadow-page")
    with serve(folder, None) as served:
        _fill(folder / "h.sqlite")
        driver = chromium("1280,1400")
        try:
            yield served.url, driver
        finally:
            driver.quit()


def _figure(driver: Any, graph_id: str) -> dict[str, Any]:
    return driver.execute_script(
        "const g = document.querySelector(`#${arguments[0]} .js-plotly-plot`);"
        "return g && g.data ? {names: g.data.map(t => t.name), sizes: g.data.map(t => (t.x || []).length),"
        " notes: (g.layout.annotations || []).map(a => a.text), title: g.layout.title.text} : null;",
        graph_id,
    )


@pytest.mark.browser
@pytest.mark.parametrize(
    ("lang", "plant", "raised", "title"),
    [("fr", "installation", "alarme levée", "Jumeau en ombre"), ("en", "plant", "alarm raised", "Shadow mode")],
)
def test_twin_against_plant_and_the_residual_chart(
    site: tuple[str, Any], lang: str, plant: str, raised: str, title: str
) -> None:
    url, driver = site
    driver.get_log("browser")
    driver.get(f"{url}/shadow?lang={lang}&unit=lab|mps-pa&tag=level_out")
    wait_rendered(driver)
    assert title in page_text(driver)
    trend = wait_for("the trend", lambda: (f := _figure(driver, "sh-trend")) and len(f["names"]) == 2 and f)
    assert trend["names"][0] == plant and min(trend["sizes"]) > 100
    residual = wait_for(
        "the residual chart", lambda: (f := _figure(driver, "sh-residual")) and raised in f["notes"] and f
    )
    assert "level_out" in residual["title"] and len(residual["names"]) >= 6
    reference = driver.find_element("id", "sh-reference").text
    assert ("180" in reference) and (("fenêtres" in reference) if lang == "fr" else ("windows" in reference))
    rows = wait_for("the table", lambda: driver.find_elements("css selector", "#sh-grid .ag-row"))
    assert len(rows) == 8
    # Another tag: its own series and chart.
    dropdown(driver, "sh-tag", "B104_temperature")
    wait_for("the temperature chart", lambda: "B104" in (_figure(driver, "sh-residual") or {}).get("title", ""))
    assert console_errors(driver) == []
    assert nan_words(page_text(driver)) == []


def test_the_page_lists_only_units_with_both_sources() -> None:
    from historian.base import Sample, SeriesKey

    latest = {
        SeriesKey("lab", "mps-pa", "L", "plc"): Sample(0, 1.0),
        SeriesKey("lab", "mps-pa", "L", "sim"): Sample(0, 1.0),
        SeriesKey("lab", "dryer-1", "T", "sim"): Sample(0, 1.0),
    }
    assert shadow_units(latest) == {"lab|mps-pa": ["L"]}
