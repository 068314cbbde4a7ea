"""Page-load time of every dashboard page in headless Chromium, against a real ``gmp-twin run``.

The default plant runs as ``make screenshots`` runs it (:func:`gmp_twin.screenshots.running_plant`:
a real process on free ports, a temporary data directory, an instructor account, one fault,
×120 for a warm-up so the charts have data). Headless Chromium (1,280 × 900, logged in) then
loads each registered page several times, in French (the default language).

A load is timed from navigation start (``performance.timeOrigin``) to the page drawn: a Dash
page's header and layout are in, every ``dcc.Graph`` has drawn its SVG, no component waits for
a callback, and the DOM then stays still for 300 ms (:func:`gmp_twin.page_checks.wait_rendered`;
the figure is the last change before that quiet window, so a chart filled by its first
callback counts). The first load of a page is reported apart (the browser's cache is cold for
its scripts); the median is over the following loads. Budget: a median of 3 s per page on the
2-core development machine.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from gmp_twin.browser import CHROMEDRIVER, CHROMIUM, headless_chromium
from gmp_twin.page_checks import wait_rendered
from gmp_twin.screenshots import FAULT, WINDOW, browser_login, inject_fault, registered_pages, running_plant

REPO = Path(__file__).resolve().parents[1]
PLANT = REPO / "config" / "plant.yaml"
SPEED = 120.0
BUDGET_MS = 3000.0
QUIET_MS = 300


def _load_ms(driver: Any, url: str) -> tuple[float, int, bool]:
    driver.get(url)
    rendered = wait_rendered(driver, quiet_ms=QUIET_MS)
    return float(rendered["rendered_ms"]), int(rendered["graphs"]), bool(rendered["timeout"])


def run(quick: bool = False) -> dict[str, Any]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        return {"skipped": f"{CHROMIUM} or {CHROMEDRIVER} missing (make system-deps installs Debian's chromium)"}
    loads = 3 if quick else 7
    warmup_s = 20.0 if quick else 60.0
    pages, _ = registered_pages(PLANT)
    results: dict[str, Any] = {
        "window": WINDOW.replace(",", "x"),
        "lang": "fr",
        "speed": SPEED,
        "warmup_s": warmup_s,
        "loads_per_page": loads,
        "fault": f"{FAULT['kind']} {FAULT['target']['unit']} {FAULT['target']['tag']}",
        "budget_ms": BUDGET_MS,
        "pages": {},
    }
    with tempfile.TemporaryDirectory(prefix="gmp-twin-bench-pages-") as tmp:
        with running_plant(Path(tmp), PLANT, SPEED) as plant:
            inject_fault(plant, FAULT)
            time.sleep(warmup_s)
            driver = headless_chromium(WINDOW)
            try:
                browser_login(driver, plant.url, plant.password)
                for page in pages:
                    url = f"{plant.url}{page.path}?lang=fr"
                    first, graphs, timeout = _load_ms(driver, url)
                    times = []
                    for _ in range(loads - 1):
                        ms, graphs, late = _load_ms(driver, url)
                        times.append(ms)
                        timeout = timeout or late
                    median = statistics.median(times)
                    results["pages"][page.path] = {
                        "first_ms": round(first),
                        "median_ms": round(median),
                        "max_ms": round(max(times)),
                        "graphs": graphs,
                        "timeout": timeout,
                        "pass": median <= BUDGET_MS and not timeout,
                    }
            finally:
                driver.quit()
    medians = [p["median_ms"] for p in results["pages"].values()]
    slowest = max(results["pages"].items(), key=lambda item: item[1]["median_ms"])
    results.update(
        median_of_medians_ms=round(statistics.median(medians)),
        slowest={"path": slowest[0], "median_ms": slowest[1]["median_ms"]},
        target=f"median <= {BUDGET_MS:g} ms per page",
        **{"pass": all(p["pass"] for p in results["pages"].values())},
    )
    return results


if __name__ == "__main__":
    import json

    json.dump(run(quick="--quick" in sys.argv), sys.stdout, indent=2)
