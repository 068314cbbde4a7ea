"""Faceplates: one compact panel per control loop (PV, SP, output, mode and alarm state).

A loop is found in a tag map from the tags' ``loop`` field: its setpoint (``kind: setpoint``),
mode (``mode``), controller output (``output``) and process value, the loop's measurement in
the setpoint's unit (a bioreactor's ``temperature`` loop also holds the jacket temperature).
The panel follows ISA-101: grey when normal, the PV bar shows the NOR/PAR bands and the
setpoint, and colour appears only for an abnormal state (a band excursion, an active alarm,
bad quality).

Examples
--------
>>> from config_schema.tagmap import TagEntry, TagMap
>>> tm = TagMap(endpoint="opc.tcp://h:4840", site="s", unit="u", tags=[
...     TagEntry(name="B101_level", node="ns=2;s=a", unit="cm", lo=0, hi=30, loop="level"),
...     TagEntry(name="level_sp", node="ns=2;s=b", unit="cm", lo=0, hi=30, kind="setpoint", loop="level"),
...     TagEntry(name="level_mode", node="ns=2;s=c", lo=0, hi=1, kind="mode", loop="level"),
...     TagEntry(name="level_out", node="ns=2;s=d", unit="%", lo=0, hi=100, kind="output", loop="level")])
>>> [(lp.name, lp.pv.name, lp.sp.name, lp.mode.name, lp.out.name) for lp in loops_of(tm)]
[('level', 'B101_level', 'level_sp', 'level_mode', 'level_out')]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dash import html

from config_schema.tagmap import TagEntry, TagMap
from dashboard.i18n import colon, t
from dashboard.tag_format import format_value
from dashboard.unit_figures import band_status
from historian.base import Sample


@dataclass(frozen=True)
class Loop:
    """The tags of one control loop (each may be missing but the PV)."""

    name: str
    pv: TagEntry
    sp: TagEntry | None = None
    out: TagEntry | None = None
    mode: TagEntry | None = None


def loops_of(tagmap: TagMap) -> list[Loop]:
    """The control loops of a unit, in tag-map order; a loop needs a PV and a setpoint or an output."""
    by_loop: dict[str, list[TagEntry]] = {}
    for tag in tagmap.tags:
        if tag.loop:
            by_loop.setdefault(tag.loop, []).append(tag)
    loops = []
    for name, tags in by_loop.items():
        first = {kind: next((tg for tg in tags if tg.kind == kind), None) for kind in ("setpoint", "output", "mode")}
        sp = first["setpoint"]
        measurements = [tg for tg in tags if tg.kind == "measurement"]
        pv = next((tg for tg in measurements if sp is not None and tg.unit == sp.unit), None)
        pv = pv or (measurements[0] if measurements else None)
        if pv is not None and (sp is not None or first["output"] is not None):
            loops.append(Loop(name, pv, sp, first["output"], first["mode"]))
    return loops


def _percent(value: float | None, tag: TagEntry) -> float | None:
    """Where ``value`` sits on the tag's range, 0-100 (clipped)."""
    if value is None or value != value or tag.lo is None or tag.hi is None or tag.hi <= tag.lo:
        return None
    return max(0.0, min(100.0, 100.0 * (value - tag.lo) / (tag.hi - tag.lo)))


def pv_bar(pv: TagEntry, value: float | None, sp_value: float | None, bands_on: bool) -> html.Div:
    """A moving analog indicator: the PV's range with NOR/PAR (when they hold), SP mark and PV pointer.

    >>> tag = TagEntry(name="T", node="ns=2;s=T", lo=0, hi=100, nor=(40, 60), par=(30, 70))
    >>> bar = pv_bar(tag, 50.0, 45.0, True)
    >>> [c.className for c in bar.children]
    ['fp-par', 'fp-nor', 'fp-sp', 'fp-pv']
    >>> bar.children[-1].style["left"]
    '50.0%'
    """
    marks: list[Any] = []
    if bands_on:
        for band, cls in ((pv.par, "fp-par"), (pv.nor, "fp-nor")):
            lo, hi = (_percent(v, pv) for v in band) if band else (None, None)
            if lo is not None and hi is not None:
                marks.append(html.Div(className=cls, style={"left": f"{lo:.1f}%", "width": f"{hi - lo:.1f}%"}))
    for value_, cls in ((sp_value, "fp-sp"), (value, "fp-pv")):
        pos = _percent(value_, pv)
        if pos is not None:
            marks.append(html.Div(className=cls, style={"left": f"{pos:.1f}%"}))
    return html.Div(marks, className="fp-bar")


def out_bar(out: TagEntry, value: float | None) -> html.Div:
    """The controller output as a horizontal bar over its range.

    >>> out_bar(TagEntry(name="o", node="ns=2;s=o", lo=0, hi=100), 25.0).children[0].style
    {'width': '25.0%'}
    """
    pos = _percent(value, out)
    return html.Div([html.Div(className="fp-out-fill", style={"width": f"{pos or 0.0:.1f}%"})], className="fp-out")


def alarm_state(
    loop: Loop, value: float | None, values: Mapping[str, float | None], alarms: Sequence[Mapping[str, Any]], lang: str
) -> tuple[str, str]:
    """The loop's alarm text and css class: an active drift alarm on the PV first, then the band state.

    >>> pv = TagEntry(name="T", node="ns=2;s=T", nor=(36.5, 37.5), par=(35.0, 39.0))
    >>> alarm_state(Loop("t", pv), 37.0, {}, [], "en")
    ('No alarm', 'fp-alarm-none')
    >>> alarm_state(Loop("t", pv), 40.0, {}, [], "fr")[1]
    'fp-alarm-out'
    >>> alarm_state(Loop("t", pv), 37.0, {}, [{"tag": "T", "state": "unack_active", "priority": "high"}], "en")
    ('Alarm: active, unacknowledged (high)', 'fp-alarm-active')
    """
    for alarm in alarms:
        if alarm.get("tag") == loop.pv.name:
            state, priority = t(str(alarm.get("state")), lang), t(str(alarm.get("priority")), lang)
            text = f"{t('alarm', lang)}{colon(lang)} {state} ({priority})"
            return text, "fp-alarm-active"
    status = band_status(value, loop.pv, values)
    if status in ("par", "out", "off") and (loop.pv.nor or loop.pv.par):
        return t(f"band_{status}", lang), f"fp-alarm-{status}"
    return t("fp_no_alarm", lang), "fp-alarm-none"


def faceplate(
    unit: str, loop: Loop, latest: Mapping[str, Sample], lang: str, alarms: Sequence[Mapping[str, Any]] = ()
) -> html.Div:
    """The faceplate of ``loop`` from the unit's latest samples (ids ``fp-<unit>-<loop>`` for tests)."""
    values = {name: s.value for name, s in latest.items()}

    def shown(tag: TagEntry | None) -> Any:
        if tag is None:
            return html.Span("—", className="q-none")
        sample = latest.get(tag.name)
        f = format_value(tag, None if sample is None else sample.value, None if sample is None else sample.status, lang)
        return html.Span(f.label, className=f"fp-value {f.css_class}", title=f.note or tag.description)

    pv_sample = latest.get(loop.pv.name)
    pv_value = None if pv_sample is None else pv_sample.value
    sp_sample = latest.get(loop.sp.name) if loop.sp else None
    out_sample = latest.get(loop.out.name) if loop.out else None
    text, cls = alarm_state(loop, pv_value, values, alarms, lang)
    rows = [
        html.Div([html.Span(t("fp_pv", lang), className="fp-key"), shown(loop.pv)], className="fp-row fp-pv-row"),
        pv_bar(loop.pv, pv_value, None if sp_sample is None else sp_sample.value, cls != "fp-alarm-off"),
        html.Div([html.Span(t("setpoint", lang), className="fp-key"), shown(loop.sp)], className="fp-row"),
        html.Div([html.Span(t("fp_out", lang), className="fp-key"), shown(loop.out)], className="fp-row"),
    ]
    if loop.out is not None:
        rows.append(out_bar(loop.out, None if out_sample is None else out_sample.value))
    rows += [
        html.Div([html.Span(t("fp_mode", lang), className="fp-key"), shown(loop.mode)], className="fp-row"),
        html.Div(text, className=f"fp-alarm {cls}"),
    ]
    title = html.Div([html.Strong(t(f"loop.{loop.name}", lang)), html.Span(f" · {loop.pv.name}")], className="fp-title")
    return html.Div([title, *rows], className="faceplate", id=f"fp-{unit}-{loop.name}")
