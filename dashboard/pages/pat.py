"""PAT page (``/pat``): every in-line prediction with its interval, its model's diagnostics and
the off-line lab results.

For each bioreactor with a Raman analyser: glucose and titre predictions with their 95 %
prediction interval (a band) and the lab results (diamonds); the predictions the twin published
*Uncertain* marked (out of the calibrated space: Hotelling T² or residual Q over its limit; or
outside the calibrated range); the spectrum's T² and Q per model against their 99 % limits.
For each fluid-bed dryer: the NIR moisture (LOD) with its interval and the lab LOD samples.
Everything comes from the historian (the tags of :mod:`models.pat_tags`), so a real kit with
the same tags gets the same page. The range picker sets the window, as on the unit pages.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import dash
from dash import Dash, Input, Output, State, html
from dash.exceptions import PreventUpdate

from config_schema.tagmap import TagEntry, TagMap
from dashboard.context import DashContext
from dashboard.i18n import colon, fmt_number, t
from dashboard.pat_figures import diagnostics_figure, prediction_figure
from dashboard.shell import Shell, chart_card, notice
from dashboard.tag_format import decimals, format_value
from dashboard.time_range import is_live, picker_value, range_inputs, range_picker
from dashboard.unit_window import window
from historian.base import Sample

log = logging.getLogger(__name__)

PATH = "/pat"
PICKER = "pat"
TICK = "pat-tick"
SHELL = Shell(PATH, "pat_title", lang_id="pat-lang", tick_id=TICK, tick_ms=2000)
MAX_POINTS = 400
#: The Raman analyser's predictions (tag prefix, chart title key) and the dryer's NIR.
RAMAN = (("glucose", "pat_glucose"), ("titre", "pat_titre"))
NIR = "nir_lod"


def pat_units(tagmaps: list[TagMap]) -> list[tuple[TagMap, str]]:
    """The units with a PAT analyser: ``(tag map, "raman" | "nir")``, in tag-map order.

    >>> from config_schema.tagmap import TagEntry, TagMap
    >>> tm = TagMap(endpoint="opc.tcp://x:4840", site="lab", unit="b1",
    ...             tags=[TagEntry(name="glucose_pat", node="ns=2;s=g"),
    ...                   TagEntry(name="titre_pat", node="ns=2;s=t")])
    >>> [(u.unit, kind) for u, kind in pat_units([tm])]
    [('b1', 'raman')]
    """
    out = []
    for tm in tagmaps:
        names = set(tm.by_name())
        if {"glucose_pat", "titre_pat"} <= names:
            out.append((tm, "raman"))
        elif NIR in names:
            out.append((tm, "nir"))
    return out


def _charts(unit: str, kind: str) -> list[str]:
    if kind == "raman":
        return [f"{a}" for a, _ in RAMAN] + ["t2", "q"]
    return ["moisture"]


def unit_section(tm: TagMap, kind: str, lang: str) -> html.Div:
    """One unit: its latest predictions, then its charts (filled by the tick)."""
    cards = [chart_card(f"pat-{tm.unit}-{name}", lang) for name in _charts(tm.unit, kind)]
    return html.Div(
        [
            html.H2(f"{tm.unit} — {t(tm.unit_type or 'unit', lang)}"),
            html.Div(id=f"pat-summary-{tm.unit}", className="pat-summary"),
            html.Div(cards, className="loops"),
        ],
        className="unit-section",
        id=f"pat-unit-{tm.unit}",
    )


def summary_line(tag: TagEntry, latest: dict[str, Sample], lang: str) -> html.Div:
    """``glucose_pat: 5,12 g/l ± 0,80 (UncertainSensorCalibration) · T² 3,1 / 13,8 · Q …``.

    >>> from config_schema.tagmap import TagEntry
    >>> tag = TagEntry(name="glucose_pat", node="ns=2;s=g", unit="g/l", lo=-5, hi=50, calibrated=(0, 32))
    >>> latest = {"glucose_pat": Sample(0, 5.0, 0x420A0000), "glucose_pat_pi": Sample(0, 0.8, 0)}
    >>> summary_line(tag, latest, "en").children[1].children
    '5.00 g/l (UncertainSensorCalibration)'
    >>> latest["glucose_pat"] = Sample(0, -0.62, 0x40F30000)
    >>> line = summary_line(tag, latest, "fr")
    >>> line.children[1].children, line.children[2].children
    ('-0,62 g/l (UncertainUnderRange)', ' ± 0,80 g/l')
    """
    sample = latest.get(tag.name)
    shown = format_value(tag, None if sample is None else sample.value, None if sample is None else sample.status, lang)
    label = shown.label
    if sample is not None and math.isfinite(sample.value) and "q-outcal" in shown.css_class:
        # The page shows the prediction as published (format_value shows "< 0,0" for a table).
        value = f"{fmt_number(sample.value, lang, decimals(tag.lo, tag.hi))} {tag.unit}".strip()
        label = f"{value} ({shown.status_name})" if shown.status_name else value
    parts: list[Any] = [
        html.Span(f"{tag.name}{colon(lang)} "),
        html.Span(label, className=f"tag-value {shown.css_class}", title=shown.note or tag.description),
    ]
    half = latest.get(f"{tag.name}_pi")
    if half is not None:
        parts.append(html.Span(f" ± {fmt_number(half.value, lang, 2)} {tag.unit}".rstrip()))
    for stat in ("t2", "q"):
        stat_now, limit = latest.get(f"{tag.name}_{stat}"), latest.get(f"{tag.name}_{stat}_limit")
        if stat_now is not None and limit is not None:
            over = stat_now.value > limit.value
            text = f" · {t('pat_' + stat + '_short', lang)} {fmt_number(stat_now.value, lang, significant=3)}"
            text += f" / {fmt_number(limit.value, lang, significant=3)}"
            parts.append(html.Span(text, className="band-out" if over else ""))
    return html.Div(parts, className="loop-value")


def register(app: Dash, ctx: DashContext) -> None:
    """Register the PAT page and one refresh callback per unit with an analyser."""
    units = pat_units(ctx.tagmaps)

    def layout(lang: str | None = None, **_: Any) -> html.Div:
        lang = ctx.lang(lang)
        if not units:
            return SHELL.layout(lang, [notice("pat_none", lang)])
        body = [
            html.P(t("pat_intro", lang), className="muted"),
            range_picker(PICKER, lang, "8h", export=False),
            *(unit_section(tm, kind, lang) for tm, kind in units),
        ]
        return SHELL.layout(lang, body)

    dash.register_page("pat", path=PATH, layout=layout, name="pat", title="gmp-twin PAT", order=11.5)
    for tm, kind in units:
        _register_unit(app, ctx, tm, kind)


def _tags(kind: str) -> list[str]:
    if kind == "raman":
        per = ("_pat", "_pat_pi", "_pat_t2", "_pat_q", "_lab")
        return [f"{a}{suffix}" for a, _ in RAMAN for suffix in per]
    return [NIR, "nir_lod_pi", "lod_lab"]


def figures(
    tm: TagMap, kind: str, series: dict[str, list[Sample]], latest: dict[str, Sample], lang: str, zone: Any
) -> list[Any]:
    """The unit's figures, in the order of its chart cards."""
    by_name = tm.by_name()
    if kind == "nir":
        tag = by_name[NIR]
        return [
            prediction_figure(t("pat_moisture", lang), tag.unit, series.get(NIR, []), series.get("nir_lod_pi", []),
                              series.get("lod_lab", []), tag.calibrated, lang, zone),
        ]  # fmt: skip
    out: list[Any] = []
    for a, key in RAMAN:
        tag = by_name[f"{a}_pat"]
        out.append(
            prediction_figure(t(key, lang), tag.unit, series.get(f"{a}_pat", []), series.get(f"{a}_pat_pi", []),
                              series.get(f"{a}_lab", []), tag.calibrated, lang, zone)
        )  # fmt: skip
    for stat in ("t2", "q"):
        models = {t(f"pat_model_{a}", lang): series.get(f"{a}_pat_{stat}", []) for a, _ in RAMAN}
        limits = {
            t(f"pat_model_{a}", lang): (s.value if (s := latest.get(f"{a}_pat_{stat}_limit")) is not None else None)
            for a, _ in RAMAN
        }
        out.append(diagnostics_figure(t(f"pat_{stat}", lang), models, limits, lang, zone))
    return out


def _register_unit(app: Dash, ctx: DashContext, tm: TagMap, kind: str) -> None:
    charts = _charts(tm.unit, kind)
    predictions = [f"{a}_pat" for a, _ in RAMAN] if kind == "raman" else [NIR]

    @app.callback(
        Output(f"pat-summary-{tm.unit}", "children"),
        *(Output(f"pat-{tm.unit}-{name}", "figure") for name in charts),
        Input(TICK, "n_intervals"),
        *range_inputs(PICKER),
        State("pat-lang", "data"),
    )
    def on_tick(_n: int | None, preset: Any, start: Any, end: Any, lang: str) -> tuple[Any, ...]:
        triggered = {p["prop_id"] for p in dash.callback_context.triggered}
        if triggered == {f"{TICK}.n_intervals"} and not is_live(picker_value(preset)):
            raise PreventUpdate  # a still (custom) range: nothing new to draw
        try:
            latest = ctx.gateway.latest(tm.site, tm.unit)
            lo, hi = window(ctx, latest, preset, start, end)
            series = ctx.gateway.range(tm.site, tm.unit, _tags(kind), lo, hi + 1, MAX_POINTS).series
        except Exception as exc:  # historian down: keep what is shown
            log.warning("PAT page query failed: %s", exc)
            return (dash.no_update,) * (1 + len(charts))
        by_name = tm.by_name()
        summary = [summary_line(by_name[name], latest, lang) for name in predictions]
        return (summary, *figures(tm, kind, series, latest, lang, ctx.zone))


__all__ = ["PATH", "figures", "pat_units", "register", "summary_line"]
