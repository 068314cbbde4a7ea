"""Checks of a dashboard page as a browser shows it: words, values, console, overlapping labels.

Used by ``make screenshots`` (:mod:`gmp_twin.screenshots`), the every-page browser test and the
page-load benchmark. Each check reads the rendered page through Selenium's ``execute_script``
and returns findings as short sentences; an empty list means the page passed:

- :func:`english_words`: words of a short English list on a French page (the words that leaked
  before, issue #13, and a few more), as whole words so tag ids such as ``B101_level`` do not count;
- :func:`decimal_points`: a number written ``14.88`` on a French page (French writes ``14,88``);
- :func:`nan_words`: ``nan`` shown anywhere (a bad-quality value must show its status name);
- :func:`bare_states`: a discrete tag (PackML state, phase, mode, switch) shown as a number;
- :func:`console_errors`: the browser console's ``SEVERE`` entries (JavaScript errors, failed
  requests, Dash callback errors);
- :func:`overlaps`: text boxes that intersect, among the header's texts (title, menu, time
  basis, who is logged in) and among each chart's annotations and title.

Examples
--------
>>> english_words("Niveau | Level | B101_level | Mis à jour | État : Execute")
['Execute', 'Level']
>>> nan_words("12,3 cm | nan | NaN | Nanterre")
['nan', 'NaN']
>>> bare_states("phase: 2 · hors phase | level_mode: auto", {"phase", "level_mode"})
['phase: 2']
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from config_schema.tagmap import TagMap
from dashboard.tag_format import is_discrete

#: Words a French page must not show (the list of tests/dashboard/test_french_browser.py).
ENGLISH_WORDS = tuple(
    "Level|Updated|Setpoint|Status|Dec|Nov|Flow|Pressure|Temperature|Measured|Output|Tank|No data|Alarm"
    "|Acknowledge|Phase time|Time".split("|")
)
#: English that leaked past that list (seen on the pages): sentence words and PackML state names
#: (ISA-88/TR88 names; the French pages show the catalogue's ``state.packml.*`` labels).
MORE_ENGLISH_WORDS = (
    "the", "and", "with", "beyond", "warming", "left",
    "Idle", "Starting", "Execute", "Completing", "Complete", "Resetting", "Holding", "Held", "Unholding",
    "Suspending", "Suspended", "Unsuspending", "Stopping", "Stopped", "Aborting", "Aborted", "Clearing",
)  # fmt: skip
#: Everything a French page must not show.
NOT_FRENCH = ENGLISH_WORDS + MORE_ENGLISH_WORDS
#: A number with a decimal point (not part of a time, an address or an id): French shows a comma.
_DECIMAL_POINT = re.compile(r"(?<![\w.:/-])\d+\.\d+(?![\w.:/-])")
_NAN = re.compile(r"(?<![\w-])nan(?![\w-])", re.IGNORECASE)
_NUMBER = r"-?\d+(?:[.,]\d+)?"

#: Everything a reader sees: the HTML text and the charts' SVG text (axes, annotations, legends).
PAGE_TEXT_JS = """
const svg = [...document.querySelectorAll('svg text')].map(e => e.textContent).join(' | ');
return document.body.innerText + ' | ' + svg;
"""

#: Rows of every ag-grid on the page (all rows, not only those drawn), as {grid, tag, text}.
GRID_ROWS_JS = """
const rows = [];
for (const wrapper of document.querySelectorAll('.ag-root-wrapper')) {
  const host = wrapper.closest('[id]');
  let api = null;
  try { api = host && window.dash_ag_grid && window.dash_ag_grid.getApi(host.id); } catch (e) { api = null; }
  if (api) {
    api.forEachNode(n => { if (n.data) rows.push({grid: host.id, tag: n.data.tag, text: n.data.text}); });
  } else {
    for (const row of wrapper.querySelectorAll('.ag-row')) {
      const tag = row.querySelector('[col-id="tag"]'), value = row.querySelector('[col-id="value"]');
      if (tag && value)
        rows.push({grid: host ? host.id : '?', tag: tag.textContent.trim(), text: value.textContent.trim()});
    }
  }
}
return rows;
"""

#: Pairs of intersecting text boxes: header texts (per line fragment), then each chart's
#: annotations and title. Boxes shrink by a margin first: line boxes that merely touch, or
#: an annotation's padding, are not an overlap of the glyphs a reader sees.
OVERLAP_JS = """
const found = [];
const shrink = (r, dx, dy) => ({l: r.left + dx, r: r.right - dx, t: r.top + dy, b: r.bottom - dy});
const meet = (a, b) => Math.min(a.r, b.r) - Math.max(a.l, b.l) > 0 && Math.min(a.b, b.b) - Math.max(a.t, b.t) > 0;
const visible = el => {
  for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
    const s = getComputedStyle(e);
    if (s.display === 'none' || s.visibility === 'hidden' || s.opacity === '0') return false;
  }
  return true;
};
const pairs = (boxes, where) => {
  for (let i = 0; i < boxes.length; i++)
    for (let j = i + 1; j < boxes.length; j++)
      if (boxes[i].node !== boxes[j].node && meet(boxes[i].box, boxes[j].box))
        found.push(`${where}: "${boxes[i].text}" overlaps "${boxes[j].text}"`);
};
for (const header of document.querySelectorAll('.header')) {
  const boxes = [];
  const walker = document.createTreeWalker(header, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = n.textContent.trim();
    if (!text || !visible(n.parentElement)) continue;
    const range = document.createRange();
    range.selectNodeContents(n);
    for (const r of range.getClientRects())
      if (r.width > 1 && r.height > 1)
        boxes.push({node: n, text: text.slice(0, 40), box: shrink(r, 1, r.height * 0.2)});
  }
  pairs(boxes, 'header');
}
for (const plot of document.querySelectorAll('.js-plotly-plot')) {
  const host = plot.closest('[id]');
  const boxes = [];
  for (const el of plot.querySelectorAll('g.annotation text, .gtitle')) {
    const r = el.getBoundingClientRect();
    const text = el.textContent.trim();
    if (text && r.width > 1 && r.height > 1 && visible(el))
      boxes.push({node: el, text: text.slice(0, 40), box: shrink(r, 1, r.height * 0.2)});
  }
  pairs(boxes, `chart ${host ? host.id : '?'}`);
}
return found;
"""

#: Resolves once the page is drawn: a Dash page's header is there, every dcc.Graph has its SVG, no Dash
#: component is loading, and the DOM stayed still for ``quiet_ms``. The time is the last change
#: before that quiet window, in ms from navigation start (``performance.now()``).
RENDERED_JS = """
const [quietMs, timeoutMs, done] = arguments;
let last = performance.now();
const observer = new MutationObserver(() => { last = performance.now(); });
observer.observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
const begin = performance.now();
(function poll() {
  const now = performance.now();
  const graphs = [...document.querySelectorAll('.dash-graph')];
  const drawn = graphs.every(g => g.querySelector('.main-svg'));
  // A Dash page has its header once its layout is in; a plain HTML page (login) is ready at once.
  const dashPage = document.getElementById('react-entry-point');
  const ready = (!dashPage || document.querySelector('.header')) && drawn
    && !document.querySelector('[data-dash-is-loading="true"]');
  if ((ready && now - last >= quietMs) || now - begin > timeoutMs) {
    observer.disconnect();
    done({rendered_ms: last, graphs: graphs.length, timeout: !ready});
    return;
  }
  setTimeout(poll, 20);
})();
"""


def discrete_tags(tagmaps: Collection[TagMap]) -> set[str]:
    """Names of the tags shown by state name (:func:`dashboard.tag_format.is_discrete`)."""
    return {tag.name for tm in tagmaps for tag in tm.tags if is_discrete(tag)}


def page_text(driver: Any) -> str:
    """The page's HTML text and its charts' SVG text."""
    return str(driver.execute_script(PAGE_TEXT_JS) or "")


def english_words(text: str, words: Collection[str] = NOT_FRENCH) -> list[str]:
    """The words of ``words`` found in ``text`` as whole words (case-sensitive), sorted."""
    return sorted({w for w in words if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text)})


def decimal_points(text: str, limit: int = 5) -> list[str]:
    """Up to ``limit`` distinct numbers written with a decimal point (a French page uses a comma).

    >>> decimal_points("14.88 | 14,88 | 23:41:29.9995 | 127.0.0.1 | v4.4")
    ['14.88']
    """
    return list(dict.fromkeys(_DECIMAL_POINT.findall(text)))[:limit]


def nan_words(text: str) -> list[str]:
    """Each spelling of ``nan`` shown as a word, in order of first appearance."""
    return list(dict.fromkeys(_NAN.findall(text)))


def bare_states(text: str, stateful: Collection[str]) -> list[str]:
    """``tag: <number>`` in ``text`` for a tag of ``stateful`` (its state should be named)."""
    found: list[str] = []
    for name in sorted(stateful):
        for match in re.finditer(rf"(?<![\w-]){re.escape(name)}\s*[:=]\s*({_NUMBER})(?![\d\w%])", text):
            found.append(f"{name}: {match.group(1)}")
    return found


def grid_bare_states(driver: Any, stateful: Collection[str]) -> list[str]:
    """Tag-grid rows whose value column shows a number for a tag of ``stateful``."""
    number = re.compile(rf"^[<>]?\s*{_NUMBER}$")
    rows = driver.execute_script(GRID_ROWS_JS) or []
    return [
        f"{row['grid']}: {row['tag']} = {row['text']}"
        for row in rows
        if row.get("tag") in stateful and number.match(str(row.get("text") or "").strip())
    ]


def console_errors(driver: Any) -> list[str]:
    """The ``SEVERE`` entries of the browser console since the last call (the log is drained).

    Each entry is its first line (a JavaScript stack trace adds nothing a reader can act on).
    """
    entries = driver.get_log("browser")
    return [str(e.get("message", "")).split("\n")[0] for e in entries if e.get("level") == "SEVERE"]


def overlaps(driver: Any) -> list[str]:
    """Intersecting text boxes in the header and among each chart's annotations and title."""
    return [str(f) for f in driver.execute_script(OVERLAP_JS) or []]


def wait_rendered(driver: Any, quiet_ms: int = 600, timeout_ms: int = 60_000) -> dict[str, Any]:
    """Wait until the page is drawn (see :data:`RENDERED_JS`); ``{rendered_ms, graphs, timeout}``."""
    driver.set_script_timeout(timeout_ms / 1000 + 10)
    result: dict[str, Any] = driver.execute_async_script(RENDERED_JS, quiet_ms, timeout_ms)
    return result


def check_page(driver: Any, lang: str, stateful: Collection[str]) -> list[str]:
    """Every check on the page the driver shows, as ``"<check>: <detail>"`` findings.

    The console check drains the browser log: call it once per page load.
    """
    text = page_text(driver)
    findings = [f"console error: {m}" for m in console_errors(driver)]
    if lang == "fr":
        findings += [f"English word on a French page: {w!r}" for w in english_words(text)]
        findings += [f"decimal point on a French page: {n!r}" for n in decimal_points(text)]
    findings += [f"shows {w!r}" for w in nan_words(text)]
    findings += [
        f"state as a bare number: {s}" for s in bare_states(text, stateful) + grid_bare_states(driver, stateful)
    ]
    findings += [f"overlapping labels: {o}" for o in overlaps(driver)]
    return findings


def full_page_png(driver: Any) -> bytes:
    """A PNG of the whole page (beyond the window's height) at the window's width, via the DevTools protocol."""
    import base64

    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics.get("cssContentSize") or metrics["contentSize"]
    width = driver.execute_script("return document.documentElement.clientWidth")
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": size["height"], "scale": 1},
        },
    )
    return base64.b64decode(shot["data"])
