"""Every page the dashboard registers, in French and English, in a real browser: no console error, no ``nan``.

One app (:func:`browser_app.serve` over the default plant and detectors of ``gmp-twin run``,
every unit type) and one headless Chromium for the module, logged in as an instructor so the
console and the audit pages open too. The historian holds a minute of every tag, the last
mps-pa flow sample Bad with a NaN value: a page that prints the raw value shows ``nan``, which
is what the test looks for. The pages come from ``dash.page_registry`` after the app is built,
so a new page is checked without touching this file.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dash
import pytest
from browser_app import login, serve
from conftest import chromium
from people import PASSWORDS, make_people

from gmp_twin.page_checks import console_errors, nan_words, page_text, wait_rendered
from historian import open_historian
from historian.base import Point
from twin.plant import build_plant, load_plant

CONFIG = Path(__file__).resolve().parents[2] / "config"
PLANT = CONFIG / "plant.yaml"
BAD_NO_COMMUNICATION = 0x80310000
SEC = 1_000_000_000
#: Pages that must be among the registered ones (the check cannot pass on an empty registry).
EXPECTED = {"/", "/units/mps_pa", "/units/autoclave", "/units/bioreactor", "/spc", "/alarms", "/audit", "/instructor"}


def _fill_history(db: Path) -> None:
    """Twelve samples of every tag of the default plant over the last minute (discrete tags in a
    named state), and a last mps-pa B102_flow sample that is Bad with a NaN value."""
    cfg = load_plant(PLANT)
    now = time.time_ns()
    points = []
    for unit, model in build_plant(cfg).items():
        for spec in model.tag_specs():
            if spec.states:
                value = float(min(spec.states))
            elif spec.lo is not None and spec.hi is not None:
                value = (spec.lo + spec.hi) / 2
            else:
                value = 1.0
            tags = {"site": cfg.site, "unit": unit, "tag": spec.name, "source": "sim"}
            points += [Point("process", tags, {"value": value, "status": 0}, now - k * 5 * SEC) for k in range(12)]
            if unit == "mps-pa" and spec.name == "B102_flow":
                points.append(Point("process", tags, {"value": float("nan"), "status": BAD_NO_COMMUNICATION}, now))

    async def write() -> None:
        async with open_historian(f"sqlite:///{db}") as historian:
            await historian.write(points)

    asyncio.run(write())


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    folder = tmp_path_factory.mktemp("every-page")
    people = make_people(folder)
    try:
        detectors = (CONFIG / "detectors.yaml").read_text()
        with serve(folder, people, monitoring=True, plant=load_plant(PLANT), detectors=detectors) as served:
            _fill_history(folder / "h.sqlite")
            driver = chromium("1280,900")
            try:
                login(driver, served.url, "ines", PASSWORDS["ines"], "/")
                yield served.url, driver
            finally:
                driver.quit()
    finally:
        people.close()


def _registered_paths() -> list[str]:
    # The pages create_dash registered (they carry the guard's level), in menu order.
    pages = [p for p in dash.page_registry.values() if "gmp_level" in p and not p.get("path_template")]
    return [p["path"] for p in sorted(pages, key=lambda p: p.get("order") or 0)]


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_page_has_no_console_error_and_no_nan(site: tuple[str, Any], lang: str) -> None:
    url, driver = site
    paths = _registered_paths()
    assert EXPECTED <= set(paths), f"pages missing from the registry: {sorted(EXPECTED - set(paths))}"
    findings: list[str] = []
    for path in paths:
        driver.get_log("browser")  # drain what the previous page left
        driver.get(f"{url}{path}?lang={lang}")
        rendered = wait_rendered(driver)
        time.sleep(1.5)  # a refresh tick or two: grids and charts get their rows and traces
        wait_rendered(driver, timeout_ms=10_000)
        if rendered["timeout"]:
            findings.append(f"{path}: not rendered within 60 s")
        if "404" in driver.title or "/login" in driver.current_url:
            findings.append(f"{path}: not shown (title {driver.title!r}, at {driver.current_url})")
        findings += [f"{path}: console error: {m}" for m in console_errors(driver)]
        findings += [f"{path}: shows {w!r}" for w in nan_words(page_text(driver))]
    assert findings == [], "\n".join(findings)


@pytest.mark.browser
def test_the_checks_see_a_raw_nan_and_a_console_error(site: tuple[str, Any]) -> None:
    """The two checks can fail: a page that prints NaN and logs an error is caught."""
    url, driver = site
    driver.get(f"{url}/?lang=en")
    wait_rendered(driver)
    driver.get_log("browser")
    driver.execute_script(
        "document.body.insertAdjacentHTML('beforeend', '<p>flow NaN l/min</p>'); console.error('broken callback');"
    )
    assert nan_words(page_text(driver)) == ["NaN"]
    assert any("broken callback" in m for m in console_errors(driver))
