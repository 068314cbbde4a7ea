"""The report pages as HTML in French or English: the list of batches and one batch's report.

Charts are Plotly figures (:func:`dashboard.unit_figures.cpp_figure`: the parameter, its NOR/PAR
shaded over the phase where they hold) drawn by plotly.js served from this server
(:data:`PLOTLY_SRC`, the file of the ``plotly`` Python package): no CDN, a classroom may have no
internet. Every text goes through :func:`dashboard.i18n.t`; numbers and dates through
``fmt_number`` / ``fmt_datetime`` (decimal comma in French).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import jinja2
import plotly.io as pio

from config_schema.tagmap import TagEntry, TagMap
from dashboard.figures import times
from dashboard.i18n import LANGS, fmt_datetime, fmt_number, graph_config, t
from dashboard.plant_texts import alarm_message, tag_description
from dashboard.report import template
from dashboard.report.batches import Batch
from dashboard.report.collect import BatchReport, CppData
from dashboard.tag_format import decimals, format_value
from dashboard.unit_figures import cpp_figure, phase_spans

#: Where the report pages load plotly.js and its French locale (``dashboard.api.routers.reports``).
PLOTLY_SRC = "/api/reports/assets/plotly.min.js"
LOCALE_SRC = "/api/reports/assets/plotly-locale-fr.js"
BASE = "/api/reports"
_S = 1_000_000_000
_TX_KEYS = (
    "batch_id", "start", "end", "duration", "outcome", "no_batches", "no_units", "back", "print", "unit", "phases",
    "phase", "parameter", "value", "cpps", "nor", "par", "judged", "out_nor", "out_par", "worst", "count",
    "excursions", "no_excursions", "level", "alarms", "no_alarms", "when", "alarm", "tag", "event", "priority",
    "message", "faults", "no_faults", "fault", "target", "magnitude", "scenario", "hidden",
)  # fmt: skip


@cache
def _env() -> jinja2.Environment:
    loader = jinja2.DictLoader({"list.html": template.LIST, "report.html": template.REPORT})
    return jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined)


def _tx(lang: str) -> dict[str, str]:
    return {key: t(f"rp_{key}", lang) for key in _TX_KEYS}


def fmt_duration(seconds: float) -> str:
    """A duration as ``2 h 05 min``, ``12 min 30 s`` or ``45 s`` (the same in French and English).

    >>> fmt_duration(7500), fmt_duration(750), fmt_duration(45.4), fmt_duration(0)
    ('2 h 05 min', '12 min 30 s', '45 s', '0 s')
    """
    s = max(0, round(seconds))
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    if h:
        return f"{h} h {m:02d} min"
    if m:
        return f"{m} min {sec:02d} s"
    return f"{sec} s"


@dataclass(frozen=True)
class Page:
    """What every report page needs: language, time zone, reader, and the query kept by links."""

    lang: str
    zone: ZoneInfo
    reader: str
    #: "Now" on the data's clock (:func:`dashboard.time_basis.time_basis`; ``None``: the wall clock)
    #: and whether that clock is simulated: the footer dates the page on the clock its data use.
    now_ns: int | None = None
    simulated: bool = False

    def when(self, time_ns: int | None) -> str:
        if time_ns is None:
            return "—"
        return fmt_datetime(datetime.fromtimestamp(time_ns / _S, self.zone), self.lang, tz=self.zone)

    def href(self, path: str, **query: str) -> str:
        return f"{path}?{urlencode({**query, 'lang': self.lang, 'tz': self.zone.key})}"

    def langs(self, path: str, **query: str) -> list[tuple[str, str]]:
        return [(code, f"{path}?{urlencode({**query, 'lang': code, 'tz': self.zone.key})}") for code in LANGS]

    def footer(self) -> str:
        """When and by whom the page was made, on the data's clock, and which clock that is.

        >>> page = Page("fr", ZoneInfo("UTC"), "Sam", now_ns=0, simulated=True)
        >>> page.footer()
        'Édité le 1 janv. 1970, 00:00:00 (heure simulée) par Sam'
        """
        now = time.time_ns() if self.now_ns is None else self.now_ns
        clock = t("rp_clock.simulated" if self.simulated else "rp_clock.wall", self.lang)
        return t("rp_generated", self.lang, when=self.when(now), clock=clock, who=self.reader)


def unit_heading(tm: TagMap, lang: str) -> str:
    return f"{tm.unit} — {t(tm.unit_type or 'unit', lang)}"


def outcome_text(outcome: str, lang: str) -> str:
    return t(f"rp_outcome.{outcome}", lang)


def batch_rows(tm: TagMap, batches: Sequence[Batch], page: Page) -> list[dict[str, Any]]:
    """The list page's rows of one unit."""
    return [
        {
            "id": b.batch_id,
            "href": page.href(f"{BASE}/{tm.unit}", batch=b.batch_id),
            "start": page.when(b.start_ns),
            "end": page.when(b.end_ns) if b.end_ns is not None else outcome_text("running", page.lang),
            "duration": fmt_duration(((b.end_ns or time.time_ns()) - b.start_ns) / _S) if b.end_ns else "—",
            "outcome": b.outcome,
            "outcome_text": outcome_text(b.outcome, page.lang),
        }
        for b in batches
    ]


def render_list(units: Sequence[tuple[TagMap, Sequence[Batch]]], page: Page, title: str | None = None) -> str:
    """The list of batches per unit (``units``: each unit with batches, newest first)."""
    lang = page.lang
    tx = _tx(lang)
    return (
        _env()
        .get_template("list.html")
        .render(
            lang=lang,
            title=title or t("rp_reports", lang),
            css=template.CSS,
            langs=page.langs(BASE),
            tx=tx,
            units=[
                {"name": tm.unit, "heading": unit_heading(tm, lang), "batches": batch_rows(tm, batches, page)}
                for tm, batches in units
            ],
            footer=page.footer(),
        )
    )


def _phase_name(tm: TagMap, phase_tag: str, value: int, lang: str) -> str:
    tag = next((x for x in tm.tags if x.name == phase_tag), None)
    if tag is not None and tag.states:
        return format_value(tag, float(value), 0, lang).text
    return t("rp_step", lang, n=value) if value else t("rp_step_done", lang)


def _number(value: float | None, tag: TagEntry | None, lang: str) -> str:
    if tag is None:
        return fmt_number(value, lang, 2)
    shown = format_value(tag, value, 0, lang)
    return shown.text


def _band(band: tuple[float, float] | None, tag: TagEntry, lang: str) -> str:
    if band is None:
        return "—"
    n = decimals(tag.lo, tag.hi)
    return f"{fmt_number(band[0], lang, n)} – {fmt_number(band[1], lang, n)} {tag.unit}".strip()


def _label(tm: TagMap, tag: TagEntry, lang: str) -> str:
    return tag_description(tm.unit_type, tag.name, lang, tag.description or tag.name)


def figures(report: BatchReport, page: Page) -> list[dict[str, Any]]:
    """The CPP charts of a report as Plotly JSON (bands shaded over the phases where they hold)."""
    lang, tm = page.lang, report.tagmap
    out = []
    phase_x = [t for t, _ in report.phase_series] + [report.end_ns]
    phase_v = [v for _, v in report.phase_series] + [report.phase_series[-1][1] if report.phase_series else None]
    for cpp in report.cpps:
        tag = cpp.tag
        spans = None
        if tag.bands_when is not None:
            x_ns = phase_x if tag.bands_when[0] == report.phase_tag else []
            v = phase_v if tag.bands_when[0] == report.phase_tag else []
            spans = phase_spans(times(x_ns, page.zone), v, tag.bands_when[1])
        x = times([s.time_ns for s in cpp.samples], page.zone)
        fig = cpp_figure(tag, x, [s.value for s in cpp.samples], lang, title=_label(tm, tag, lang), spans=spans)
        fig.update_layout(height=250, separators=", " if lang == "fr" else ".,")
        fig.update_xaxes(range=times([report.batch.start_ns, report.end_ns], page.zone))
        out.append(json.loads(pio.to_json(fig, validate=False)))
    return out


def _cpp_row(report: BatchReport, cpp: CppData, lang: str) -> dict[str, Any]:
    tag, e = cpp.tag, cpp.excursion
    return {
        "label": _label(report.tagmap, tag, lang),
        "nor": _band(tag.nor, tag, lang),
        "par": _band(tag.par, tag, lang),
        "judged": fmt_duration(e.judged_s),
        "out_nor": fmt_duration(e.outside_nor_s),
        "out_par": fmt_duration(e.outside_par_s),
        "out_nor_s": e.outside_nor_s > 0,
        "out_par_s": e.outside_par_s > 0,
        "worst": _number(e.worst, tag, lang) if e.worst is not None else "—",
        "count": str(e.count),
    }


def _endpoint(report: BatchReport, lang: str) -> list[dict[str, str]]:
    tm, batch = report.tagmap, report.batch
    by_name = {tag.name: tag for tag in tm.tags}
    rows = []
    if tm.unit_type == "autoclave":
        rows.append({"label": t("rp_f0", lang), "value": f"{fmt_number(batch.f0, lang, 1)} min", "css": ""})
        rows.append(
            {
                "label": t("rp_outcome", lang),
                "value": outcome_text(batch.outcome, lang),
                "css": f"outcome-{batch.outcome}",
            }
        )
    for name, value in report.end_values.items():
        if tm.unit_type == "autoclave" and name in ("f0", "cycle_ok"):
            continue
        tag = by_name.get(name)
        label = _label(tm, tag, lang) if tag else name
        rows.append({"label": label, "value": _number(value, tag, lang), "css": ""})
    return rows


def render_report(report: BatchReport, page: Page) -> str:
    """One batch's report page."""
    lang, tm, batch = page.lang, report.tagmap, report.batch
    tx = _tx(lang)
    cycle = tm.unit_type == "autoclave"
    tx["id_label"] = t("rp_cycle_id" if cycle else "rp_batch_id", lang)
    phases = [
        {
            "name": _phase_name(tm, report.phase_tag, value, lang),
            "start": page.when(a),
            "end": page.when(b),
            "duration": fmt_duration((b - a) / _S),
        }
        for value, a, b in report.phases
    ]
    gated = sorted({v for c in report.cpps if c.tag.bands_when for v in c.tag.bands_when[1]})
    bands_note = ""
    if gated:
        names = ", ".join(dict.fromkeys(_phase_name(tm, report.phase_tag, v, lang) for v in gated))
        bands_note = t("rp_bands_note", lang, phases=names)
    episodes, more = [], []
    for cpp in report.cpps:
        label = _label(tm, cpp.tag, lang)
        for ep in cpp.excursion.episodes:
            episodes.append(
                {
                    "label": label,
                    "start": page.when(ep.start_ns),
                    "end": page.when(ep.end_ns),
                    "duration": fmt_duration((ep.end_ns - ep.start_ns) / _S),
                    "worst": _number(ep.worst, cpp.tag, lang),
                    "level": ep.level,
                    "level_text": t(f"rp_level.{ep.level}", lang),
                }
            )
        extra = cpp.excursion.count - len(cpp.excursion.episodes)
        if extra > 0:
            more.append(f"{label} : {t('rp_more_episodes', lang, n=extra)}" if lang == "fr" else
                        f"{label}: {t('rp_more_episodes', lang, n=extra)}")  # fmt: skip
    alarms = [
        {
            "when": page.when(a.time_ns),
            "alarm": a.alarm_id,
            "tag": a.tag,
            "event": t(f"rp_transition.{a.transition}", lang),
            "priority": t(f"rp_priority.{a.priority}", lang) if a.priority else "—",
            "message": alarm_message(a.entry, lang),
        }
        for a in report.alarms
    ]
    faults = [
        {
            "id": f.fault_id,
            "kind": f.kind,
            "target": f.target,
            "magnitude": fmt_number(f.magnitude, lang),
            "start": page.when(f.start_ns),
            "end": page.when(f.end_ns) if f.end_ns is not None else t("rp_still_active", lang),
            "scenario": f.scenario or "—",
            "hidden": f.hidden,
        }
        for f in report.faults
    ]
    figs = json.dumps(figures(report, page), ensure_ascii=False).replace("</", "<\\/")
    end_text = page.when(batch.end_ns) if batch.end_ns is not None else t("rp_in_progress", lang)
    title = t("rp_title_cycle" if cycle else "rp_title", lang)
    query = {"batch": batch.batch_id}
    return (
        _env()
        .get_template("report.html")
        .render(
            lang=lang,
            title=title,
            css=template.CSS,
            plotly_src=PLOTLY_SRC,
            locale_src=LOCALE_SRC,
            langs=page.langs(f"{BASE}/{tm.unit}", **query),
            back=page.href(BASE),
            tx=tx,
            batch_id=batch.batch_id,
            unit_heading=unit_heading(tm, lang),
            start=page.when(batch.start_ns),
            end=end_text,
            duration=fmt_duration((report.end_ns - batch.start_ns) / _S),
            outcome=batch.outcome,
            outcome_text=outcome_text(batch.outcome, lang),
            times_note=t("rp_times_note", lang, zone=page.zone.key),
            phases=phases,
            endpoint_title=t("rp_f0" if cycle else "rp_endpoint", lang),
            endpoint=_endpoint(report, lang),
            bands_note=bands_note,
            cpps=[_cpp_row(report, c, lang) for c in report.cpps],
            episodes=episodes,
            more_episodes=more,
            alarms=alarms,
            faults=faults,
            faults_note=t("rp_faults_instructor" if report.instructor else "rp_faults_note", lang),
            figures=figs,
            config=json.dumps(graph_config(lang, staticPlot=True, responsive=True)),
            footer=page.footer(),
        )
    )
