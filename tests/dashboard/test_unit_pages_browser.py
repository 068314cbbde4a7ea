"""Unit pages in a real browser: the autoclave's cycles and F0 history, /units/mps_pa with its
faceplates, state names instead of numbers.

The autoclave's history is a real simulation (models.autoclave, three hours, two cycles and a
bit) written into the served SQLite historian before the page opens, stamped up to now.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from browser_app import serve, wait_for
from conftest import chromium

from dashboard.autoclave_cycles import find_cycles
from historian import open_historian
from historian.base import Point
from models.autoclave import Autoclave
from twin.plant import PlantConfig

SEC = 1_000_000_000
PLANT = PlantConfig.model_validate(
    {"site": "lab", "units": [{"name": "mps-pa", "type": "mps_pa"}, {"name": "autoclave-1", "type": "autoclave"}]}
)


def _autoclave_history(hours: float = 3.0, every_s: int = 10) -> list[Point]:
    unit = Autoclave()
    steps = int(hours * 3600)
    start = time.time_ns() - steps * SEC
    points = []
    for i in range(steps):
        unit.step(1.0)
        if i % every_s == 0:
            stamp = start + i * SEC
            for tag, value in unit.read().items():
                tags = {"site": "lab", "unit": "autoclave-1", "tag": tag, "source": "sim"}
                points.append(Point("process", tags, {"value": value, "status": 0}, stamp))
    return points


def _write(tmp_path: Path, points: list[Point]) -> None:
    async def write() -> None:
        async with open_historian(f"sqlite:///{tmp_path}/h.sqlite") as historian:
            await historian.write(points)

    asyncio.run(write())


def _text(driver: Any, element_id: str) -> str:
    found = driver.execute_script(
        "const e = document.getElementById(arguments[0]); return e && e.innerText;", element_id
    )
    return str(found or "")


def _grid_rows(driver: Any, grid: str) -> list[dict[str, Any]]:
    # getApi throws until the grid is up: null then, so the caller polls.
    script = (
        f"let api; try {{ api = dash_ag_grid.getApi('{grid}'); }} catch (e) {{ return null; }}"
        "const rows = []; api.forEachNodeAfterFilterAndSort(n => rows.push(n.data)); return rows;"
    )
    return driver.execute_script(script) or []


@pytest.mark.browser
def test_autoclave_page_lists_cycles_with_f0_and_verdict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    points = _autoclave_history()
    _write(tmp_path, points)
    # What the page must find: the cycles of the same data, computed without the browser.
    series: dict[str, list[tuple[int, float]]] = {}
    for p in points:
        series.setdefault(p.tags["tag"], []).append((p.time_ns, float(p.fields["value"])))
    expected = find_cycles(series["phase"], series["f0"], series["cycle_ok"], series["load_temperature"])
    assert [c.outcome for c in expected][:2] == ["pass", "pass"]
    with serve(tmp_path, None, plant=PLANT) as served:
        driver = chromium("1400,1600")
        try:
            driver.get(f"{served.url}/units/autoclave?lang=fr")
            rows = wait_for("the F0 history", lambda: _grid_rows(driver, "ac-cycles-autoclave-1"), 60)
            assert len(rows) == len(expected)
            newest_done = next(c for c in reversed(expected) if c.outcome != "running")
            row = next(r for r in rows if r["number"] == newest_done.number)
            assert row["outcome"] == "conforme"
            assert row["f0"] == f"{newest_done.f0:.1f}".replace(".", ",")  # decimal comma
            # Phase and verdict by name, never a bare number or nan.
            status = wait_for("the cycle status", lambda: _text(driver, "ac-status-autoclave-1"), 30)
            assert "nan" not in status.lower()
            phase = _text(driver, "ac-autoclave-1-phase")
            assert phase.startswith("Phase\u00a0: ") and not phase.split(": ")[1][:1].isdigit(), phase
            # Temperatures, pressure/phases and F0 per cycle are drawn; the hold band only over the holds.
            wait_for(
                "three charts",
                lambda: len(driver.find_elements("css selector", ".autoclave-view .js-plotly-plot")) == 3,
                30,
            )
            script = (
                "const g = document.getElementById('ac-temps-autoclave-1').querySelector('.js-plotly-plot');"
                "return (g.layout.shapes || []).map(s => [s.x0, s.x1]);"
            )
            shapes = wait_for("the hold bands", lambda: driver.execute_script(script), 30)
            holds = sum(1 for c in expected if c.hold_min_load is not None)
            assert len(shapes) == 2 * holds  # PAR and NOR per hold, nothing outside the holds
            console = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
            assert not console, console
        finally:
            driver.quit()


@pytest.mark.browser
def test_mps_pa_unit_page_has_faceplates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    now = time.time_ns()
    values = {"B101_level": 12.5, "level_sp": 15.0, "level_mode": 1.0, "level_out": -0.05, "P101_loop": 0.0}
    _write(
        tmp_path,
        [
            Point(
                "process", {"site": "lab", "unit": "mps-pa", "tag": k, "source": "sim"}, {"value": v, "status": 0}, now
            )
            for k, v in values.items()
        ],
    )
    with serve(tmp_path, None, plant=PLANT) as served:
        driver = chromium()
        try:
            driver.get(f"{served.url}/units/mps_pa?lang=en")
            plate = wait_for("the level faceplate", lambda: _text(driver, "fp-mps-pa-level"), 30)
            assert "not found" not in _text(driver, "_pages_content").lower()
            assert "12.50 cm" in plate and "15.00 cm" in plate and "auto" in plate, plate
            assert "0.0 %" in plate and "-0" not in plate, plate  # the output clipped to its physical range
            rows = wait_for("the tag grid", lambda: _grid_rows(driver, "tags-mps-pa"), 30)
            loop_row = next(r for r in rows if r["tag"] == "P101_loop")
            assert loop_row["text"] == "level", loop_row
        finally:
            driver.quit()
