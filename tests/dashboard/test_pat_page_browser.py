"""The PAT page in headless Chromium, French and English, over what the twin published.

A bioreactor and a dryer are stepped offline by the real runtime (1 s steps, real sensor layer,
so the statuses are the twin's) and a new raw-material lot (``raman_out_of_calibration``) goes in
after 40 min; what the twin publishes every 30 s is written into the served SQLite historian,
stamped up to now. The page draws each prediction with its interval band, the lab samples, the
predictions published Uncertain, and T²/Q with their limits; the French page has no English.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import pytest
from batch_plant import write
from browser_app import serve, wait_for
from conftest import chromium

from gmp_twin.page_checks import PAGE_TEXT_JS, english_words
from historian.base import Point
from twin.clock import SimClock
from twin.faults.service import TwinControl
from twin.plant import PlantConfig, build_plant
from twin.runtime import TwinRuntime
from twin.sensors import Reading

SEC = 1_000_000_000
HOURS = 1.5
PLANT = PlantConfig.model_validate(
    {
        "site": "lab",
        "units": [
            # Lab samples every 20 min so that a short run has several.
            {"name": "bioreactor-1", "type": "bioreactor", "params": {"pat": {"lab_sample_interval_s": 1200}}},
            {"name": "dryer-1", "type": "fluid_bed_dryer"},
        ],
    }
)
TRACES_JS = "return [...document.querySelectorAll('#%s .js-plotly-plot')].map(p => p.data.map(d => d.name));"


def _simulate(epoch_ns: int) -> list[Point]:
    runtime = TwinRuntime(build_plant(PLANT, seed=2), clock=SimClock(epoch_ns=epoch_ns), dt_s=1.0, seed=2)
    control = TwinControl(runtime, site="lab", run_id="pat-page", sink=lambda _points: None)
    points: list[Point] = []

    async def publish(unit: str, readings: dict[str, Reading], time_ns: int) -> None:
        for tag, (value, status) in readings.items():
            tags = {"site": "lab", "unit": unit, "tag": tag, "source": "sim"}
            points.append(Point("process", tags, {"value": float(value), "status": int(status)}, time_ns))

    runtime.publishers.append(publish)

    async def run() -> None:
        await runtime.publish()
        for step in range(1, int(HOURS * 3600) + 1):
            runtime.step()
            if step == 2400:
                lot = {"kind": "raman_out_of_calibration", "target": {"unit": "bioreactor-1"}, "magnitude": 12}
                control.inject(lot)
            if step % 30 == 0:
                await runtime.publish()

    asyncio.run(run())
    return points


def _traces(driver: Any, graph: str) -> list[str]:
    found = driver.execute_script(TRACES_JS % graph) or []
    return list(found[0]) if found else []


@pytest.mark.browser
def test_pat_page_draws_intervals_lab_samples_uncertain_predictions_and_limits(tmp_path: Path) -> None:
    points = _simulate(time.time_ns() - int(HOURS * 3600) * SEC)
    write(tmp_path / "h.sqlite", points)
    with serve(tmp_path, None, plant=PLANT) as served:
        driver = chromium("1280,2600")
        try:
            driver.get(f"{served.url}/pat?lang=en")
            glucose = wait_for(
                "the glucose chart",
                lambda: (tr := _traces(driver, "pat-bioreactor-1-glucose")) and len(tr) > 3 and tr,
                60,
            )
            assert {"95 % interval", "Prediction", "Lab (off-line)", "Uncertain: outside the calibrated space"} <= set(
                glucose
            ), glucose
            t2 = _traces(driver, "pat-bioreactor-1-t2")
            assert t2 == ["glucose model", "glucose model: limit (99 %)", "titre model", "titre model: limit (99 %)"]
            assert "glucose model: limit (99 %)" in _traces(driver, "pat-bioreactor-1-q")
            moisture = wait_for("the moisture chart", lambda: _traces(driver, "pat-dryer-1-moisture"), 30)
            assert {"95 % interval", "Prediction", "Lab (off-line)"} <= set(moisture), moisture
            summary = driver.find_element("id", "pat-summary-bioreactor-1").text
            assert "glucose_pat:" in summary and "UncertainSensorCalibration" in summary, summary
            assert "±" in summary and "Q" in summary

            driver.get(f"{served.url}/pat?lang=fr")
            wait_for(
                "the French chart",
                lambda: "Laboratoire (hors ligne)" in _traces(driver, "pat-bioreactor-1-glucose"),
                60,
            )
            wait_for("the French summary", lambda: driver.find_element("id", "pat-summary-bioreactor-1").text, 30)
            text = str(driver.execute_script(PAGE_TEXT_JS) or "")
            assert "Incertaine : hors de l'espace étalonné" in text
            assert english_words(text) == [], text[:3000]
            if shots := os.environ.get("GMP_TWIN_PAT_SHOTS"):  # a look at the page, for a person
                driver.save_screenshot(str(Path(shots) / "pat-fr.png"))
        finally:
            driver.quit()
