"""A student's live exercise in headless Chromium: refusals, briefing, a hint paid after its cost is shown,
a deviation report whose start is picked by clicking a chart, and a report superseding it.

The real app of :func:`browser_app.serve` (the MPS PA station, TwinControl with the real audit
trail), a scenario with a briefing, candidate causes and a hint, and a few minutes of stored
values on the plant's clock so the station page's loop charts have points to click.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from browser_app import dropdown, login, pick_multi, serve, text, wait_for
from conftest import chromium
from people import SETUP

from audit import Actor
from gmp_twin.page_checks import console_errors
from historian import open_historian
from historian.base import Point
from twin.plant import build_plant

SEC = 1_000_000_000
SCENARIO = """
title: {en: Leaky tank, fr: Cuve qui fuit}
briefing: {en: Watch the tank level of the station., fr: Surveillez le niveau de la cuve de la station.}
units: [mps-pa]
duration_s: 3600
faults:
  - {id: leak, kind: leak, target: {unit: mps-pa}, magnitude: 0.5}
candidate_causes:
  - {id: tank-leak, label: {en: Tank leak, fr: Fuite de la cuve}, fault_kind: leak}
  - {id: level-probe, label: {en: Level probe drift, fr: Dérive de la sonde de niveau}}
hints:
  - {id: look-level, text: {en: Compare the level with the pump flow., fr: Comparez le niveau au débit.}, cost: 5}
"""
INSTRUCTOR = Actor("ines", "instructor", "dash")
NOA = "student-pass-3377"


def _fill_history(db: Path, now_ns: int) -> None:
    """Five minutes of every mps-pa tag, every 10 s, up to the plant's ``now_ns``."""
    from browser_app import PLANT

    points = []
    for unit, model in build_plant(PLANT).items():
        for spec in model.tag_specs():
            base = (spec.lo + spec.hi) / 2 if spec.lo is not None and spec.hi is not None else 1.0
            tags = {"site": "lab", "unit": unit, "tag": spec.name, "source": "sim"}
            points += [
                Point("process", tags, {"value": base + 0.01 * k, "status": 0}, now_ns - k * 10 * SEC)
                for k in range(30)
            ]

    async def write() -> None:
        async with open_historian(f"sqlite:///{db}") as historian:
            await historian.write(points)

    asyncio.run(write())


def _click(driver: Any, element_id: str) -> None:
    from selenium.webdriver.common.by import By

    found = wait_for(f"#{element_id}", lambda: [e for e in driver.find_elements(By.ID, element_id) if e.is_displayed()])
    found[0].click()


def _visible(driver: Any, element_id: str) -> bool:
    return bool(
        driver.execute_script(
            f"const e = document.getElementById('{element_id}'); return !!e && e.getClientRects().length > 0;"
        )
    )


def _value(driver: Any, element_id: str) -> str:
    return str(driver.execute_script(f"return document.getElementById('{element_id}').value;") or "")


def _alert(driver: Any) -> Any:
    from selenium.common.exceptions import NoAlertPresentException

    try:
        return driver.switch_to.alert
    except NoAlertPresentException:
        return None


#: A point of the busiest time trace of the page's charts: its graph's index, the pixel offsets from
#: the graph's centre, and its x as Plotly holds it.
POINT_JS = """
const graphs = [...document.querySelectorAll('.js-plotly-plot')];
for (const [i, gd] of graphs.entries()) {
  const layout = gd._fullLayout;
  if (!layout || !gd.data) continue;
  let best = -1;
  gd.data.forEach((t, i) => {
    if (t.x && t.x.length > 10 && (best < 0 || t.x.length > gd.data[best].x.length)) best = i;
  });
  if (best < 0) continue;
  const t = gd.data[best];
  const xa = layout[(t.xaxis || 'x').replace('x', 'xaxis')], ya = layout[(t.yaxis || 'y').replace('y', 'yaxis')];
  if (!xa || xa.type !== 'date') continue;
  const k = Math.floor(t.x.length / 2);
  const box = gd.getBoundingClientRect();
  gd.scrollIntoView({block: 'center'});
  const dx = xa._offset + xa.d2p(t.x[k]) - box.width / 2, dy = ya._offset + ya.d2p(t.y[k]) - box.height / 2;
  return [i, dx, dy, String(t.x[k])];
}
return null;
"""


def _click_chart_point(driver: Any) -> str:
    """Click a stored point of a chart on the page (a real mouse click); return its x."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    index, dx, dy, x = wait_for("a chart with a time trace", lambda: driver.execute_script(POINT_JS), 30)
    target = driver.find_elements(By.CSS_SELECTOR, ".js-plotly-plot")[index]
    ActionChains(driver).move_to_element_with_offset(target, int(dx), int(dy)).pause(0.3).click().perform()
    return str(x)


def test_a_student_reports_a_deviation_picked_on_a_chart_and_supersedes_it(tmp_path: Path, people: Any) -> None:
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "leaky-tank.yaml").write_text(SCENARIO)
    people.store.add("noa", "student", actor=SETUP, password=NOA, display_name="Noa Petit")
    people.store.set_team("sam", "team-1", actor=SETUP)
    with serve(tmp_path, people) as served:
        driver = chromium()
        try:
            # In no team: the button says why, in the page's language, and opens no form.
            login(driver, served.url, "noa", NOA, "/?lang=fr")
            driver.get(f"{served.url}/?lang=fr")
            _click(driver, "ex-report-open")
            wait_for("the no-team refusal", lambda: "aucune équipe" in text(driver, "ex-message"))
            assert not _visible(driver, "ex-modal")
            driver.delete_all_cookies()

            # In a team, before any exercise: the same, in English.
            login(driver, served.url, "sam", "student-pass-4821", "/?lang=en")
            driver.get(f"{served.url}/?lang=en")
            _click(driver, "ex-report-open")
            wait_for("the no-exercise refusal", lambda: "No exercise is running" in text(driver, "ex-message"))

            served.control.start_scenario("leaky-tank", actor=INSTRUCTOR)
            served.control.push_hint(None, actor=INSTRUCTOR, hint_id="look-level")
            _fill_history(tmp_path / "h.sqlite", served.control.runtime.clock.now_ns())
            driver.get(f"{served.url}/?lang=en")
            wait_for("the briefing", lambda: "Watch the tank level" in text(driver, "ex-briefing"))
            assert "Leaky tank" in text(driver, "ex-briefing") and "Team team-1" in text(driver, "ex-briefing")

            # The hint's cost is shown before it is opened; opening asks for a confirmation.
            driver.execute_script("document.getElementById('ex-hints-panel').open = true;")
            wait_for("the hint's cost", lambda: "Hint look-level: costs 5 points" in text(driver, "ex-hints"))
            assert "Compare the level" not in text(driver, "ex-hints")
            driver.execute_script("document.querySelector('#ex-hints button').click();")
            wait_for("the confirmation", lambda: _alert(driver)).accept()
            wait_for("the hint's text", lambda: "Compare the level with the pump flow." in text(driver, "ex-hints"))
            assert served.control.hints("team-1", "student")[0]["opened_by"] == "sam"

            # A report: the start picked by clicking a point on a chart of the page.
            _click(driver, "ex-report-open")
            wait_for("the form", lambda: _visible(driver, "ex-modal"))
            dropdown(driver, "ex-unit", "mps-pa")
            pick_multi(driver, "ex-tags", "B101_level")
            assert not _visible(driver, "ex-impact-wrap")  # the station makes no batch
            _click(driver, "ex-pick")
            wait_for("the picking banner", lambda: _visible(driver, "ex-picking") and not _visible(driver, "ex-modal"))
            x = _click_chart_point(driver)
            wait_for(
                "the form back with the start", lambda: _visible(driver, "ex-modal") and _value(driver, "ex-start")
            )
            picked = _value(driver, "ex-start")
            assert picked == x.replace("T", " ")[:19], (picked, x)
            dropdown(driver, "ex-cause", "tank-leak")
            driver.find_element("id", "ex-action").send_keys("Level loop switched to manual, instructor told")
            driver.execute_script("document.querySelector('#ex-class input[value=major]').click();")
            _click(driver, "ex-submit")
            wait_for("the recorded message", lambda: "Report R1 recorded" in text(driver, "ex-message"))
            assert not _visible(driver, "ex-modal")
            (r1,) = served.control.reports("team-1")
            assert (r1["user"], r1["unit"], r1["tags"], r1["cause"], r1["classification"]) == (
                "sam", "mps-pa", ["B101_level"], "tank-leak", "major",
            )  # fmt: skip
            assert abs(r1["start_ns"] - _ns(picked)) < SEC

            # Superseding prefills a new report naming the old one; the old one is never edited.
            driver.execute_script("document.getElementById('ex-reports-panel').open = true;")
            wait_for("R1 listed", lambda: "R1 ·" in text(driver, "ex-reports"))
            driver.execute_script("document.querySelector('#ex-reports button').click();")
            wait_for("the prefilled form", lambda: "Supersedes report R1" in text(driver, "ex-supersedes-line"))
            assert _value(driver, "ex-action") == "Level loop switched to manual, instructor told"
            assert _value(driver, "ex-start") == picked
            driver.execute_script("document.querySelector('#ex-class input[value=critical]').click();")
            _click(driver, "ex-submit")
            wait_for("R2 recorded", lambda: "Report R2 recorded" in text(driver, "ex-message"))
            r1_again, r2 = served.control.reports("team-1")
            assert r1_again == r1 and (r2["supersedes"], r2["classification"]) == ("R1", "critical")
            wait_for("R1 marked superseded", lambda: "superseded by R2" in text(driver, "ex-reports"))
            assert console_errors(driver) == []
        finally:
            driver.quit()


def _ns(start_text: str) -> int:
    from datetime import UTC, datetime

    return round(datetime.fromisoformat(start_text).replace(tzinfo=UTC).timestamp() * SEC)
