"""``make screenshots``: every dashboard page in French and English, captured and checked.

``python -m gmp_twin.screenshots`` starts the default plant as ``make run`` does (``gmp-twin run``
as a real process, on free ports, in a temporary data directory, with an instructor account
made for the run), injects one fault so something is abnormal (the mps-pa flow reads Bad), lets
the plant run at an accelerated speed so the charts have data, then opens every page the
dashboard registers (``dash.page_registry``: the station, each ``/units/<type>``, SPC, PCA,
OEE, alarms, audit, the instructor console...) in headless Chromium at 1,280 × 900, in FR and
EN. Each page gets a full-page screenshot, ``docs/screenshots/<lang>/<page>.png``, and the
checks of :mod:`gmp_twin.page_checks` (no English word on a French page, no ``nan``, no state
as a bare number, no console error, no overlapping labels). ``docs/screenshots/README.md``
indexes the pictures. The report names each finding's page and language; the exit status is 1
when there is one.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import dash
import httpx
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from gmp_twin.browser import headless_chromium
from gmp_twin.page_checks import check_page, discrete_tags, full_page_png, wait_rendered
from gmp_twin.role_matrix import default_apps, http_routes

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]
WINDOW = "1280,900"
LANGS = ("fr", "en")
USER = "screenshots"
#: The fault that makes something abnormal on the pictures: bad quality on a loop's measurement.
FAULT: dict[str, Any] = {
    "kind": "comm_status",
    "status": "bad_no_communication",
    "target": {"unit": "mps-pa", "tag": "B102_flow"},
}


@dataclass(frozen=True)
class Page:
    """A registered dashboard page: its registry key (the picture's name), path and access level."""

    key: str
    path: str
    level: str


@dataclass
class Shot:
    page: Page
    lang: str
    file: Path
    findings: list[str] = field(default_factory=list)
    rendered_ms: float | None = None


def registered_pages(plant: Path) -> tuple[list[Page], set[str]]:
    """The pages ``gmp-twin run`` serves for ``plant`` (in menu order), and its discrete tags.

    Builds the apps as :func:`gmp_twin.role_matrix.default_apps` does (never served), then reads
    Dash's page registry: the pages this build registered carry the guard's ``gmp_level``.
    """
    api, _ = default_apps(plant)
    pages = [
        Page(key, entry["path"], entry["gmp_level"])
        for key, entry in dash.page_registry.items()
        if "gmp_level" in entry and not entry.get("path_template")
    ]
    pages.sort(key=lambda p: (dash.page_registry[p.key].get("order") or 0, p.key))
    return pages + html_pages(api), discrete_tags(api.state.services.tagmaps)


def html_pages(api: FastAPI) -> list[Page]:
    """The API's own HTML pages without path parameters (login, password change, reports...)."""
    pages = []
    for route in http_routes(api):
        response_class = getattr(route.route, "response_class", None)
        if route.method != "GET" or "{" in route.path or route.route is None:
            continue
        if isinstance(response_class, type) and issubclass(response_class, HTMLResponse):
            key = route.path.strip("/").replace("/", "-") or "root"
            pages.append(Page(key, route.path, route.levels[0]))
    return pages


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningPlant:
    url: str
    password: str
    process: subprocess.Popen[bytes]
    log_path: Path


def _environment(plant: Path) -> dict[str, str]:
    # Only the run's own settings: a developer's GMP_TWIN_* (another historian...) must not leak in.
    env = {k: v for k, v in os.environ.items() if not k.startswith("GMP_TWIN_")}
    env.update(
        GMP_TWIN_PLANT=str(plant.resolve()),
        GMP_TWIN_DETECTORS=str((REPO / "config" / "detectors.yaml").resolve()),
        GMP_TWIN_SCENARIOS=str((REPO / "config" / "scenarios").resolve()),
        OPENBLAS_NUM_THREADS="1",
        OMP_NUM_THREADS="1",
    )
    return env


@contextlib.contextmanager
def running_plant(workdir: Path, plant: Path, speed: float) -> Iterator[RunningPlant]:
    """``gmp-twin run`` in ``workdir`` (its ``data/`` there) on free ports, with an instructor account."""
    env = _environment(plant)
    password = secrets.token_urlsafe(18)
    subprocess.run(
        [sys.executable, "-m", "gmp_twin", "users", "add", USER, "--role", "instructor",
         "--display-name", "Capture", "--password-stdin"],
        cwd=workdir, env=env, input=f"{password}\n".encode(), check=True, capture_output=True,
    )  # fmt: skip
    http_port, opcua_port = free_port(), free_port()
    log_path = workdir / "gmp-twin.log"
    with log_path.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gmp_twin", "run", "--http-port", str(http_port),
             "--opcua-port", str(opcua_port), "--speed", str(speed)],
            cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    running = RunningPlant(f"http://127.0.0.1:{http_port}", password, process, log_path)
    try:
        _wait_http(running, timeout=120)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def _wait_http(plant: RunningPlant, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if plant.process.poll() is not None:
            raise RuntimeError(f"gmp-twin run exited ({plant.process.returncode}):\n{_tail(plant.log_path)}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{plant.url}/api/health", timeout=2).status_code in (200, 503):
                return
        time.sleep(0.5)
    raise RuntimeError(f"gmp-twin run did not answer within {timeout} s:\n{_tail(plant.log_path)}")


def _tail(path: Path, chars: int = 3000) -> str:
    return path.read_text(errors="replace")[-chars:]


def inject_fault(plant: RunningPlant, fault: dict[str, Any]) -> None:
    """Log in over the API as the run's instructor and inject ``fault`` (audited as that person)."""
    with httpx.Client(base_url=plant.url, timeout=30) as client:
        client.post("/api/session", json={"username": USER, "password": plant.password}).raise_for_status()
        answer = client.post("/api/faults", json=fault)
        if answer.status_code >= 300:
            raise RuntimeError(f"POST /api/faults {answer.status_code}: {answer.text}")


def browser_login(driver: Any, url: str, password: str) -> None:
    """Log in through the ``/login`` form (the session cookie then opens every page)."""
    from selenium.webdriver.common.by import By

    driver.get(f"{url}/login?lang=en&next=/")
    _until(lambda: driver.find_elements(By.ID, "login-form"), "the login form")
    driver.find_element(By.ID, "username").send_keys(USER)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login-submit").click()
    _until(lambda: "/login" not in driver.current_url, "logged in")


#: Links a listing page offers to one batch's report (the first of each unit is captured).
BATCH_LINKS_JS = "return [...document.querySelectorAll('a[href*=\"batch=\"]')].map(a => a.getAttribute('href'));"


def batch_reports(driver: Any, listing: Page) -> list[Page]:
    """The first batch report of each unit linked from the listing page the driver shows."""
    found: dict[str, Page] = {}
    for href in driver.execute_script(BATCH_LINKS_JS) or []:
        parts = urlsplit(href)
        query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("lang", "tz")]
        unit = parts.path.rstrip("/").rsplit("/", 1)[-1]
        if unit not in found:
            path = f"{parts.path}?{urlencode(query)}"
            found[unit] = Page(f"report-{unit}", path, listing.level)
    return list(found.values())


def _until(condition: Any, what: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise RuntimeError(f"{what}: not within {timeout} s")


def capture(driver: Any, url: str, page: Page, lang: str, out: Path, stateful: set[str], settle_s: float) -> Shot:
    """Open one page in one language, wait for it, check it and save its full-page picture."""
    driver.get_log("browser")  # drain what the previous page left
    driver.get(f"{url}{page.path}{'&' if '?' in page.path else '?'}lang={lang}")
    rendered = wait_rendered(driver)
    time.sleep(settle_s)  # a few refresh ticks: grids and charts get their rows and traces
    wait_rendered(driver, timeout_ms=10_000)
    shot = Shot(page, lang, out / lang / f"{page.key}.png", rendered_ms=rendered.get("rendered_ms"))
    if rendered.get("timeout"):
        shot.findings.append("not rendered within 60 s (a chart never drew, or a component kept loading)")
    if "404" in driver.title or ("/login" in driver.current_url and not page.path.startswith("/login")):
        shot.findings.append(f"not shown (title {driver.title!r}, at {driver.current_url})")
    shot.findings += check_page(driver, lang, stateful)
    shot.file.parent.mkdir(parents=True, exist_ok=True)
    shot.file.write_bytes(full_page_png(driver))
    return shot


def index(shots: list[Shot], speed: float, warmup_s: float) -> str:
    """``docs/screenshots/README.md``: a table of the pages with their FR and EN pictures."""
    lines = [
        "# Dashboard screenshots",
        "",
        "Generated by `make screenshots` (`python -m gmp_twin.screenshots`): the default plant ran "
        f"{warmup_s:g} s at ×{speed:g} with one fault injected ({FAULT['kind']} on "
        f"{FAULT['target']['unit']} {FAULT['target']['tag']}), then headless Chromium at 1,280 × 900 "
        "opened every registered page logged in as an instructor. Do not edit by hand.",
        "",
        "| Page | Path | Access | Français | English |",
        "|---|---|---|---|---|",
    ]
    by_page: dict[str, dict[str, Shot]] = {}
    for shot in shots:
        by_page.setdefault(shot.page.key, {})[shot.lang] = shot
    for key, langs in by_page.items():
        page = next(iter(langs.values())).page
        cells = [
            f"[{lang}/{key}.png]({lang}/{key}.png)" if lang in langs else "—" for lang in LANGS
        ]  # relative links work on any forge
        lines.append(f"| {key} | `{page.path}` | {page.level} | " + " | ".join(cells) + " |")
    findings = [(s, f) for s in shots for f in s.findings]
    lines += ["", "## Findings at generation", ""]
    lines += [f"- {s.lang} `{s.page.path}`: {f}" for s, f in findings] or ["None."]
    return "\n".join(lines) + "\n"


def report(shots: list[Shot]) -> str:
    lines = [f"{'page':28} {'lang':4} {'load ms':>8}  findings"]
    for s in shots:
        ms = f"{s.rendered_ms:8.0f}" if s.rendered_ms is not None else "       -"
        lines.append(f"{s.page.path:28} {s.lang:4} {ms}  {len(s.findings) or 'ok'}")
        lines += [f"    {s.lang} {s.page.path}: {f}" for f in s.findings]
    total = sum(len(s.findings) for s in shots)
    lines.append(f"{len(shots)} pictures, {total} finding(s)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gmp_twin.screenshots", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots", help="output folder")
    parser.add_argument("--plant", type=Path, default=REPO / "config" / "plant.yaml", help="plant file")
    parser.add_argument("--speed", type=float, default=120.0, help="simulated seconds per wall second")
    parser.add_argument("--warmup", type=float, default=75.0, help="wall seconds the plant runs before the pictures")
    parser.add_argument("--settle", type=float, default=3.0, help="wall seconds on each page before its picture")
    parser.add_argument("--page", action="append", help="only these page keys (e.g. station, unit-autoclave)")
    parser.add_argument("--lang", action="append", choices=LANGS, help="only these languages")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)

    pages, stateful = registered_pages(args.plant)
    pages = [p for p in pages if not args.page or p.key in args.page]
    langs = args.lang or list(LANGS)
    shots: list[Shot] = []
    with tempfile.TemporaryDirectory(prefix="gmp-twin-screens-") as tmp:
        with running_plant(Path(tmp), args.plant, args.speed) as plant:
            inject_fault(plant, FAULT)
            log.info("plant at %s, ×%g, fault injected; running %g s", plant.url, args.speed, args.warmup)
            time.sleep(args.warmup)
            driver = headless_chromium(WINDOW)
            try:
                if not args.page:  # a whole run replaces the pictures (a page may have gone)
                    for lang in langs:
                        shutil.rmtree(args.out / lang, ignore_errors=True)
                # The public pages (login) as a visitor sees them, then every other one logged in.
                public = [p for p in pages if p.level == "public"]
                queue: list[Page | None] = [*public, None, *(p for p in pages if p.level != "public")]
                while queue:
                    page = queue.pop(0)
                    if page is None:
                        browser_login(driver, plant.url, plant.password)
                        continue
                    for lang in langs:
                        log.info("%s %s", lang, page.path)
                        shots.append(capture(driver, plant.url, page, lang, args.out, stateful, args.settle))
                    if page.path.endswith("/reports"):  # the batch reports: one per unit
                        queue[0:0] = batch_reports(driver, page)
            finally:
                driver.quit()
    if not args.page and not args.lang:
        (args.out / "README.md").write_text(index(shots, args.speed, args.warmup))
    print(report(shots))
    return 1 if any(s.findings for s in shots) else 0


if __name__ == "__main__":
    raise SystemExit(main())
