"""The design-space page in a real browser, French and English: a real ``gmp-twin doe`` study is
shown (summary, both charts, both tables) with no console error, no English word or decimal point
on the French page, and no ``nan``; without any study it says how to run one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser_app import serve, wait_for
from conftest import chromium
from test_design_space_page import small_study

from gmp_twin.page_checks import check_page, page_text, wait_rendered


def _text(driver: Any, element_id: str) -> str:
    found = driver.execute_script(
        "const e = document.getElementById(arguments[0]); return e && e.innerText;", element_id
    )
    return str(found or "")


def _grid_rows(driver: Any, grid: str) -> list[dict[str, Any]]:
    script = (
        f"let api; try {{ api = dash_ag_grid.getApi('{grid}'); }} catch (e) {{ return null; }}"
        "const rows = []; api.forEachNode(n => rows.push(n.data)); return rows;"
    )
    return driver.execute_script(script) or []


@pytest.mark.browser
def test_design_space_page_shows_a_study(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "doe"
    small_study(root)
    monkeypatch.setenv("GMP_TWIN_DOE_DIR", str(root))
    with serve(tmp_path, None) as served:
        driver = chromium("1400,1600")
        try:
            for lang, words in (("fr", "Espace de conception"), ("en", "Design space")):
                driver.get_log("browser")
                driver.get(f"{served.url}/design-space?lang={lang}")
                summary = wait_for("the summary", lambda: _text(driver, "ds-summary"), 60)
                assert words in summary and "dryer-1" in summary, summary
                wait_for("the model table", lambda: len(_grid_rows(driver, "ds-models")) == 3, 30)
                wait_for("the coefficients", lambda: len(_grid_rows(driver, "ds-coefficients")) == 18, 30)
                wait_for(
                    "two charts drawn",
                    lambda: len(driver.find_elements("css selector", ".chart-card .js-plotly-plot .contour")) >= 2,
                    30,
                )
                wait_rendered(driver)
                findings = check_page(driver, lang, set())
                assert findings == [], f"{lang}: {findings}"
        finally:
            driver.quit()


@pytest.mark.browser
def test_design_space_page_without_a_study_says_how_to_run_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GMP_TWIN_DOE_DIR", str(tmp_path / "none"))
    with serve(tmp_path, None) as served:
        driver = chromium()
        try:
            driver.get(f"{served.url}/design-space?lang=fr")
            text = wait_for("the notice", lambda: _text(driver, "ds-none"), 60)
            assert "gmp-twin doe --unit dryer-1" in text
            wait_rendered(driver)
            assert check_page(driver, "fr", set()) == []
            assert "nan" not in page_text(driver).lower().split()
        finally:
            driver.quit()
