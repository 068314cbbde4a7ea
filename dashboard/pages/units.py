"""One page per unit type (``/units/<type>``: mps_pa, bioreactor, fluid_bed_dryer, filling_line,
autoclave...): a faceplate per control loop, the critical parameters with their NOR/PAR bands
(drawn and judged only in the phase where they hold), a view of its own for unit types that
have one (the autoclave's cycles and F0), and all tags.

Every type found in the tag maps gets its page, the MPS PA station included (its P&ID
overview stays on the station page). Times follow the page's time basis
(:mod:`dashboard.time_basis`): at speed x N the data run ahead of the wall, so windows end at
the simulated "now". A time-range picker sets the window (:mod:`dashboard.time_range`); live
presets refresh with the tick, a custom range stays still.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import dash
from dash import Dash, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from config_schema.tagmap import TagEntry, TagMap
from dashboard import autoclave_view, golden_view
from dashboard.context import DashContext
from dashboard.faceplate import faceplate, loops_of
from dashboard.figures import times
from dashboard.i18n import colon, t
from dashboard.report.links import report_links
from dashboard.shell import Shell, chart_config
from dashboard.tag_format import format_value
from dashboard.tag_view import describe, head_time, tag_grid, tag_rows
from dashboard.time_basis import time_basis
from dashboard.time_range import export_href, range_inputs, range_picker
from dashboard.unit_figures import band_status, cpp_figure, phase_spans
from dashboard.unit_window import PICKER, TICK, skip_still_tick, window
from historian.base import Sample

log = logging.getLogger(__name__)

MAX_POINTS = 400
TICK_MS = 2000
#: Unit types with a view of their own below the critical parameters: builder of its layout, and
#: registration of its callbacks.
TYPE_VIEWS: dict[str, tuple[Callable[..., Any], Callable[[Dash, DashContext, list[TagMap]], None]]] = {
    "autoclave": (autoclave_view.section, autoclave_view.register),
    "bioreactor": (golden_view.section, golden_view.register),
    "fluid_bed_dryer": (golden_view.section, golden_view.register),
}
#: Unit types whose own view draws their critical parameters (no generic chart per parameter).
OWN_CPP_VIEW = {"autoclave"}
#: Unit types whose page stays out of the menu: the station page (its P&ID) is the MPS PA's entry.
OUT_OF_MENU = {"mps_pa"}
#: The window a unit type's page opens on (a sterilisation cycle lasts about two hours).
DEFAULT_RANGE = {"autoclave": "8h"}


def critical_tags(tm: TagMap) -> list[TagEntry]:
    """Tags with a NOR or a PAR, in tag-map order."""
    return [tag for tag in tm.tags if tag.nor or tag.par]


def register(app: Dash, ctx: DashContext) -> None:
    """Register one page per unit type present in the tag maps."""
    by_type: dict[str, list[TagMap]] = {}
    for tm in ctx.tagmaps:
        if tm.unit_type:
            by_type.setdefault(tm.unit_type, []).append(tm)
    for order, (unit_type, tagmaps) in enumerate(sorted(by_type.items()), start=1):
        _register_type(ctx, unit_type, tagmaps, order)
        for tm in tagmaps:
            _register_unit(app, ctx, tm)
        if unit_type in TYPE_VIEWS:
            TYPE_VIEWS[unit_type][1](app, ctx, tagmaps)
    if by_type:
        _register_export(app, ctx, [tms[0] for tms in by_type.values()])


def cpp_card(unit: str, tag: TagEntry, lang: str) -> html.Div:
    """A critical parameter's live value badge and chart (filled by the tick)."""
    return html.Div(
        [
            html.Div(id=f"cpp-value-{unit}-{tag.name}", className="loop-value"),
            dcc.Graph(id=f"cpp-graph-{unit}-{tag.name}", config=chart_config(lang)),
        ],
        className="loop-card",
    )


def unit_section(ctx: DashContext, tm: TagMap, lang: str) -> html.Div:
    """One unit: faceplates, critical parameters, its type's own view, then its tag table."""
    critical = critical_tags(tm)
    body: list[Any] = [html.H2(f"{tm.unit} — {t(tm.unit_type or 'unit', lang)}")]
    body += report_links(tm, lang, ctx.zone)
    if loops_of(tm):
        body += [html.H3(t("unit_loops", lang)), html.Div(id=f"faceplates-{tm.unit}", className="faceplates")]
    if tm.unit_type not in OWN_CPP_VIEW:
        body += [
            html.H3(t("critical_parameters", lang)),
            html.Div([cpp_card(tm.unit, tag, lang) for tag in critical] or t("no_critical", lang), className="loops"),
        ]
    if tm.unit_type in TYPE_VIEWS:
        body.append(TYPE_VIEWS[tm.unit_type][0](tm, lang))
    body += [html.H3(t("tags", lang)), tag_grid(f"tags-{tm.unit}", lang)]
    return html.Div(body, className="unit-section", id=f"unit-{tm.unit}")


def _register_type(ctx: DashContext, unit_type: str, tagmaps: list[TagMap], order: int) -> None:
    path = f"/units/{unit_type}"
    shell = Shell(path, unit_type, lang_id="lang", tick_id=TICK, tick_ms=TICK_MS)

    def layout(lang: str | None = None, **_: Any) -> html.Div:
        lang = ctx.lang(lang)
        picker = range_picker(PICKER, lang, DEFAULT_RANGE.get(unit_type, "1h"))
        body = [
            html.Div(id="banner", className="banner"),
            picker,
            dcc.Store(id="unit-type", data=unit_type),
            *(unit_section(ctx, tm, lang) for tm in tagmaps),
        ]
        return shell.layout(lang, body)

    dash.register_page(
        f"unit-{unit_type}",
        path=path,
        layout=layout,
        name=unit_type,
        title=f"gmp-twin {unit_type}",
        order=order,
        hidden=unit_type in OUT_OF_MENU,
    )


def badge(tag: TagEntry, sample: Sample | None, values: dict[str, float | None], lang: str) -> html.Span:
    """``name: value unit · band state`` with the band's class (``band-off`` outside the bands' phase)."""
    shown = format_value(tag, None if sample is None else sample.value, None if sample is None else sample.status, lang)
    status = band_status(None if shown.status_name else (None if sample is None else sample.value), tag, values)
    return html.Span(
        f"{tag.name}{colon(lang)} {shown.label} · {t('band_' + status, lang)}",
        className=f"band band-{status} {shown.css_class}",
        title=shown.note or tag.description,
    )


def _register_unit(app: Dash, ctx: DashContext, tm: TagMap) -> None:
    by_name = tm.by_name()
    loops = loops_of(tm)

    if loops:

        @app.callback(
            Output(f"faceplates-{tm.unit}", "children"),
            Input(TICK, "n_intervals"),
            State("lang", "data"),
        )
        def on_faceplates(_n: int | None, lang: str) -> Any:
            try:
                latest = ctx.gateway.latest(tm.site, tm.unit)
            except Exception:
                return dash.no_update
            monitoring = ctx.services.monitoring
            alarms = [a for a in monitoring.alarms(0)["active"] if a.get("unit") == tm.unit] if monitoring else []
            return [faceplate(tm.unit, loop, latest, lang, alarms) for loop in loops]

    for tag in [] if tm.unit_type in OWN_CPP_VIEW else critical_tags(tm):
        _register_cpp(app, ctx, tm, tag, by_name)

    @app.callback(
        Output(f"tags-{tm.unit}", "rowData"),
        Input(TICK, "n_intervals"),
        State("lang", "data"),
    )
    def on_table_tick(_n: int | None, lang: str) -> Any:
        try:
            latest = ctx.gateway.latest(tm.site, tm.unit)
        except Exception:
            return dash.no_update
        basis = time_basis(ctx.services, newest_ns=head_time(latest) if latest else None)
        return tag_rows(tm, latest, basis.now_ns, lang, id_prefix=f"{tm.unit}-")


def _register_cpp(app: Dash, ctx: DashContext, tm: TagMap, tag: TagEntry, by_name: dict[str, TagEntry]) -> None:
    phase_tag, phases = tag.bands_when or (None, ())

    @app.callback(
        Output(f"cpp-graph-{tm.unit}-{tag.name}", "figure"),
        Output(f"cpp-value-{tm.unit}-{tag.name}", "children"),
        Input(TICK, "n_intervals"),
        *range_inputs(PICKER),
        State("lang", "data"),
    )
    def on_cpp(_n: int | None, preset: Any, start: Any, end: Any, lang: str) -> tuple[Any, Any]:
        skip_still_tick(preset)
        try:
            latest = ctx.gateway.latest(tm.site, tm.unit)
            lo, hi = window(ctx, latest, preset, start, end)
            names = [tag.name, *([phase_tag] if phase_tag else [])]
            series = ctx.gateway.range(tm.site, tm.unit, names, lo, hi + 1, MAX_POINTS).series
        except Exception as exc:  # historian down: keep what is shown, the banner says why
            log.warning("unit page query failed: %s", exc)
            return dash.no_update, dash.no_update
        samples = series.get(tag.name, [])
        x = times([s.time_ns for s in samples], ctx.zone)
        spans = None
        if phase_tag:
            phase = series.get(phase_tag, [])
            spans = phase_spans(times([s.time_ns for s in phase], ctx.zone), [s.value for s in phase], phases)
        fig = cpp_figure(tag, x, [s.value for s in samples], lang, describe(tm, tag, lang), spans)
        values: dict[str, float | None] = {name: s.value for name, s in latest.items()}
        return fig, badge(tag, latest.get(tag.name), values, lang)


def _register_export(app: Dash, ctx: DashContext, first: list[TagMap]) -> None:
    """The picker's CSV link: the critical parameters (or all tags) of the page's first unit."""
    by_type = {tm.unit_type: tm for tm in first}

    @app.callback(
        Output(f"{PICKER}-export", "href"),
        Input("unit-type", "data"),
        *range_inputs(PICKER),
    )
    def on_export(unit_type: str, preset: Any, start: Any, end: Any) -> str:
        tm = by_type.get(unit_type)
        if tm is None:
            raise PreventUpdate
        try:
            latest = ctx.gateway.latest(tm.site, tm.unit)
        except Exception:
            latest = {}
        lo, hi = window(ctx, latest, preset, start, end)
        tags = [tag.name for tag in critical_tags(tm)] or [tag.name for tag in tm.tags]
        return export_href(tm.unit, tags, lo, hi, tm.site)
