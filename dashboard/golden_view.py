"""The golden batch on the bioreactor and dryer pages: the current batch against its envelope,
and its batch-level score against the limits.

The model is the unit's golden batch file (``gmp-twin golden build``; the ``golden`` detector's
``model``, else ``data/golden/<unit>.npz``). The current batch is read from the historian (from
the last time its clock tag went back to now), put on the maturity axis and drawn over the
envelope: mean, ±2σ (warning) and ±3σ (action); windows outside ±3σ are marked. The score
chart is the live detector's (its T², SPE and limits at each window of the batch) when one is
configured for the unit; otherwise the same scoring runs here on the historian's data, without
alarms, and the status line says how to configure the detector.

Examples
--------
>>> import numpy as np
>>> from analytics.golden import GoldenModel
>>> m = GoldenModel.example()
>>> fig = envelope_figure(m, ["b"], np.array([1.0, 2.0, 3.0]), {"b": np.array([8.0, 8.5, 13.0])}, "en")
>>> [tr.name for tr in fig.data][4:]
['Golden mean', 'Current batch', 'Outside the envelope']
>>> list(fig.data[-1].x)
[3.0]
>>> batch_start([0, 10, 20, 30, 40], [5.0, 6.0, 0.1, 1.1, 2.1])
20
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import dash
import numpy as np
import plotly.graph_objects as go
from dash import Dash, Input, Output, State, dcc, html
from plotly.subplots import make_subplots

from analytics.golden import GoldenModel, GoldenModelError, default_model_path
from analytics.golden_live import GoldenScorer, score_batch
from config_schema.tagmap import TagMap
from dashboard.context import DashContext
from dashboard.figures import BASE_LAYOUT, PV_COLOUR, empty_figure
from dashboard.i18n import fmt_number, t
from dashboard.shell import chart_config

log = logging.getLogger(__name__)

__all__ = ["batch_start", "envelope_figure", "register", "score_figure", "section"]

#: Points per tag read for the current batch (the historian averages beyond that).
MAX_POINTS = 600
#: Points of the envelope drawn per variable (the grid is thinned beyond that).
MAX_DRAWN = 400
#: The batch moves slowly: its view is refreshed every 10 s (the page's other charts every 2 s).
REFRESH_MS = 10_000
ABNORMAL = "#c62828"
BAND3 = "rgba(120,120,120,0.14)"
BAND2 = "rgba(120,120,120,0.22)"
MEAN = "#6d6d6d"

_cache: dict[tuple[str, int], GoldenModel] = {}


def load_model(path: Path) -> GoldenModel:
    """The model at ``path``, read again only when the file changed (a new ``golden build``)."""
    key = (str(path), os.stat(path).st_mtime_ns) if path.is_file() else (str(path), 0)
    if key not in _cache:
        _cache.clear()
        _cache[key] = GoldenModel.load(path)
    return _cache[key]


def golden_detector(ctx: DashContext, unit: str) -> Any:
    """The monitoring service's ``golden`` detector of ``unit``, or ``None``."""
    service = ctx.services.monitoring
    if service is None:
        return None
    for det in service.detectors.values():
        if det.config.method == "golden" and det.config.unit == unit:
            return det
    return None


def batch_start(times_ns: Sequence[int], clock: Sequence[float]) -> int | None:
    """Time of the current batch's first sample: after the last time the clock went back."""
    if not len(times_ns):
        return None
    c = np.asarray(clock, dtype=float)
    back = np.flatnonzero(np.diff(c) < 0)
    return int(times_ns[int(back[-1]) + 1 if len(back) else 0])


def default_variables(model: GoldenModel, k: int = 4) -> list[str]:
    """The variables the model names to show first (``info["shown"]``), else the ``k`` whose golden
    trajectory moves most against its spread (the telling ones)."""
    named = [v for v in model.info.get("shown", []) if v in model.variables]
    if named:
        return named
    sigma = np.median(model.sigma(), axis=0)
    travel = (model.mean.max(axis=0) - model.mean.min(axis=0)) / np.maximum(sigma, 1e-12)
    order = np.argsort(-travel, kind="stable")[:k]
    return [model.variables[i] for i in sorted(order)]


def _thin(n: int) -> slice:
    return slice(None, None, max(1, -(-n // MAX_DRAWN)))


def envelope_figure(
    model: GoldenModel,
    variables: Sequence[str],
    maturity: np.ndarray,
    values: Mapping[str, np.ndarray],
    lang: str,
) -> go.Figure:
    """One row per variable: ±3σ and ±2σ bands, the golden mean, the current batch, its windows outside."""
    shown = [v for v in variables if v in model.variables]
    if not shown:
        return empty_figure(lang, t("golden_title", lang))
    titles = [f"{v} ({model.units[model.variables.index(v)]})" if model.units[model.variables.index(v)] else v
              for v in shown]  # fmt: skip
    fig = make_subplots(rows=len(shown), cols=1, shared_xaxes=True, subplot_titles=titles, vertical_spacing=0.06)
    cut = _thin(len(model.grid))
    g = model.grid[cut].tolist()
    sigma = model.sigma()
    for row, name in enumerate(shown, start=1):
        j = model.variables.index(name)
        mu, sd = model.mean[cut, j], sigma[cut, j]
        legend = {"showlegend": row == 1}
        for k_sigma, fill, key in ((3.0, BAND3, "golden_band3"), (2.0, BAND2, "golden_band2")):
            band = {"mode": "lines", "line": {"width": 0}, "name": t(key, lang), "legendgroup": key}
            lower = go.Scatter(x=g, y=(mu - k_sigma * sd).tolist(), showlegend=False, hoverinfo="skip", **band)
            upper = go.Scatter(x=g, y=(mu + k_sigma * sd).tolist(), fill="tonexty", fillcolor=fill, **band, **legend)
            fig.add_trace(lower, row, 1)
            fig.add_trace(upper, row, 1)
        dashed = {"color": MEAN, "width": 1, "dash": "dash"}
        mean = go.Scatter(x=g, y=mu.tolist(), mode="lines", line=dashed, name=t("golden_mean", lang), **legend)
        fig.add_trace(mean, row, 1)
        y = np.asarray(values.get(name, []), dtype=float)
        x = np.asarray(maturity, dtype=float)[: len(y)]
        pv = {"color": PV_COLOUR, "width": 2}
        fig.add_trace(go.Scatter(x=x.tolist(), y=y.tolist(), mode="lines", line=pv, name=t("golden_current", lang),
                                 **legend), row, 1)  # fmt: skip
        lo = np.interp(x, model.grid, model.mean[:, j] - model.sigma_limit * sigma[:, j]) if len(x) else x
        hi = np.interp(x, model.grid, model.mean[:, j] + model.sigma_limit * sigma[:, j]) if len(x) else x
        out = (x >= model.grid[0]) & (x <= model.grid[-1]) & ((y < lo) | (y > hi))
        cross = {"color": ABNORMAL, "symbol": "x", "size": 7}
        fig.add_trace(go.Scatter(x=x[out].tolist(), y=y[out].tolist(), mode="markers", marker=cross,
                                 name=t("golden_outside", lang), **legend), row, 1)  # fmt: skip
    axis = t("golden_maturity_axis", lang, maturity=model.maturity, unit=model.maturity_unit)
    fig.update_xaxes(title_text=axis, row=len(shown), col=1)
    fig.update_layout(**BASE_LAYOUT, height=170 * len(shown) + 90, margin={"l": 55, "r": 20, "t": 40, "b": 45},
                      legend={"orientation": "h", "y": 1.0 + 0.12 / len(shown), "x": 0},
                      uirevision=f"golden-{model.unit}")  # fmt: skip
    return fig


def score_figure(model: GoldenModel, trace: Sequence[Sequence[float]], alarms: Sequence[float], lang: str) -> go.Figure:
    """The batch's T² and SPE with their per-maturity limits (``trace``: the scorer's rows);
    ``alarms`` are the maturities of windows in alarm."""
    title = t("golden_score_title", lang)
    if not trace:
        return empty_figure(lang, title)
    a = np.asarray(trace, dtype=float)
    x = a[:, 0].tolist()
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=[t("golden_t2", lang), t("golden_spe", lang)])  # fmt: skip
    for row, (stat, lim, name, lim_name) in enumerate(
        ((1, 2, "golden_t2", "golden_t2_limit"), (3, 4, "golden_spe", "golden_spe_limit")), start=1
    ):
        fig.add_trace(go.Scatter(x=x, y=a[:, stat].tolist(), mode="lines", line={"color": PV_COLOUR, "width": 2},
                                 name=t(name, lang)), row, 1)  # fmt: skip
        fig.add_trace(go.Scatter(x=x, y=a[:, lim].tolist(), mode="lines",
                                 line={"color": ABNORMAL, "width": 1, "dash": "dash"}, name=t(lim_name, lang)),
                      row, 1)  # fmt: skip
        over = a[:, stat] > a[:, lim]
        fig.add_trace(go.Scatter(x=a[over, 0].tolist(), y=a[over, stat].tolist(), mode="markers",
                                 marker={"color": ABNORMAL, "symbol": "x", "size": 6}, showlegend=False,
                                 name=t("golden_outside", lang)), row, 1)  # fmt: skip
        fig.update_yaxes(type="log", row=row, col=1)
    if len(alarms):
        # One trace for every window in alarm (a shape per window would be far slower to draw).
        at = np.isin(a[:, 0], np.asarray(alarms, dtype=float))
        marks = go.Scatter(
            x=a[at, 0].tolist(),
            y=a[at, 1].tolist(),
            mode="markers",
            name=t("golden_alarm_points", lang),
            marker={"color": ABNORMAL, "symbol": "triangle-up", "size": 9, "line": {"width": 0}},
        )
        fig.add_trace(marks, 1, 1)
    axis = t("golden_maturity_axis", lang, maturity=model.maturity, unit=model.maturity_unit)
    fig.update_xaxes(title_text=axis, row=2, col=1)
    fig.update_layout(**BASE_LAYOUT, title={"text": title, "x": 0.02, "font": {"size": 13}}, height=420,
                      margin={"l": 55, "r": 20, "t": 60, "b": 45}, uirevision=f"golden-score-{model.unit}")  # fmt: skip
    return fig


def section(tm: TagMap, lang: str) -> html.Div:
    """The golden batch view of a unit (filled on load, then every :data:`REFRESH_MS`)."""
    u = tm.unit
    return html.Div(
        [
            html.H3(t("golden_title", lang)),
            html.Div(id=f"golden-status-{u}", className="golden-status"),
            dcc.Dropdown(id=f"golden-vars-{u}", options=[], value=None, multi=True, className="golden-vars"),
            html.Div(dcc.Graph(id=f"golden-env-{u}", config=chart_config(lang)), className="chart-card"),
            html.Div(dcc.Graph(id=f"golden-score-{u}", config=chart_config(lang)), className="chart-card"),
            dcc.Interval(id=f"golden-tick-{u}", interval=REFRESH_MS),
        ],
        className="golden-view",
        id=f"golden-{u}",
    )


def register(app: Dash, ctx: DashContext, tagmaps: list[TagMap]) -> None:
    """The refresh callback of each unit's golden batch view."""
    for tm in tagmaps:
        _register_one(app, ctx, tm)


def _current_batch(ctx: DashContext, tm: TagMap, model: GoldenModel) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The current batch's maturity and values (historian buckets), in the active phase only."""
    latest = ctx.gateway.latest(tm.site, tm.unit)
    clock_tag, clock_s = model.clock
    if clock_tag not in latest:
        return np.zeros(0), {}
    hi = latest[clock_tag].time_ns + 1
    lookback = int((float(model.grid[-1]) * clock_s * 1.5 + 3600) * 1e9)
    clock = ctx.gateway.range(tm.site, tm.unit, [clock_tag], hi - lookback, hi, MAX_POINTS).series.get(clock_tag, [])
    lo = batch_start([s.time_ns for s in clock], [s.value for s in clock])
    if lo is None:
        return np.zeros(0), {}
    tags = model.watched()
    series = ctx.gateway.range(tm.site, tm.unit, tags, lo, hi, MAX_POINTS).series
    ref = series.get(model.maturity, [])
    if not ref:
        return np.zeros(0), {}
    t_ref = np.array([s.time_ns for s in ref], dtype=float)
    maturity = np.array([s.value for s in ref], dtype=float)

    def on_ref(name: str) -> np.ndarray:
        samples = series.get(name, [])
        if not samples:
            return np.full(len(t_ref), np.nan)
        ts = np.array([s.time_ns for s in samples], dtype=float)
        return np.interp(t_ref, ts, np.array([s.value for s in samples], dtype=float))

    values = {name: on_ref(name) for name in tags}
    if model.active is not None:
        keep = np.array([model.is_active({model.active[0]: float(p)}) for p in values[model.active[0]]], dtype=bool)
        maturity = maturity[keep]
        values = {k: v[keep] for k, v in values.items()}
    return maturity, values


def _status(model: GoldenModel, det: Any, ctx: DashContext, last: Any, lang: str) -> list[Any]:
    alpha = fmt_number(100 * model.alpha, lang, significant=2)
    rule = t("golden_rule", lang, k=det.config.consecutive if det is not None else 3, alpha=alpha)
    intro = t("golden_intro", lang, n=model.n_batches, maturity=f"{model.maturity}, {model.maturity_unit}")
    children: list[Any] = [html.P(intro, className="golden-intro")]
    if det is None:
        children.append(html.P(t("golden_status_offline", lang), className="golden-offline"))
    else:
        service = ctx.services.monitoring
        alarm = service.alarm_view(det.config.name) if service is not None else {}
        if alarm.get("active"):
            state = t("golden_state_alarm", lang, rules=", ".join(alarm.get("rules", [])))
        elif alarm.get("state") not in (None, "normal"):  # back to normal, not acknowledged yet
            state = f"{t(str(alarm['state']), lang)} ({', '.join(alarm.get('rules', []))})"
        elif det.status == "monitoring":
            state = t("golden_state_ok", lang)
        else:
            cfg = det.config
            state = t(f"golden_idle.{det.idle or 'unusable'}", lang, status=det.status, unit=cfg.unit,
                      path=cfg.model_path.as_posix())  # fmt: skip
        cls = "golden-live golden-alarm" if alarm.get("active") else "golden-live"
        children.append(html.P(t("golden_status_live", lang, name=det.config.name, state=state, rule=rule),
                               className=cls))  # fmt: skip
    if last is not None:
        items = ", ".join(f"{w['tag']} {fmt_number(float(w['z']), lang, significant=2)}σ"
                          for w in last.worst(model.variables, 3))  # fmt: skip
        children.append(html.P(t("golden_worst", lang, items=items), className="golden-worst"))
    return children


def _register_one(app: Dash, ctx: DashContext, tm: TagMap) -> None:
    u = tm.unit

    @app.callback(
        Output(f"golden-status-{u}", "children"),
        Output(f"golden-vars-{u}", "options"),
        Output(f"golden-env-{u}", "figure"),
        Output(f"golden-score-{u}", "figure"),
        Input(f"golden-tick-{u}", "n_intervals"),
        Input(f"golden-vars-{u}", "value"),
        State("lang", "data"),
    )
    def on_tick(_n: int | None, picked: list[str] | None, lang: str) -> tuple[Any, ...]:
        det = golden_detector(ctx, u)
        path = det.config.model_path if det is not None else default_model_path(u)
        try:
            model = load_model(Path(path))
        except GoldenModelError as exc:
            key = "golden_no_model" if not Path(path).is_file() else "golden_bad_model"
            note = html.P(t(key, lang, unit=u, error=str(exc)), className="notice")
            empty = empty_figure(lang, t("golden_title", lang))
            return [note], [], empty, empty
        options = [{"label": v, "value": v} for v in model.variables]
        try:
            maturity, values = _current_batch(ctx, tm, model)
        except Exception as exc:  # historian down: keep what is shown
            log.warning("golden view query failed: %s", exc)
            return dash.no_update, options, dash.no_update, dash.no_update
        shown = picked or default_variables(model)
        env = envelope_figure(model, shown, maturity, values, lang)
        scorer: GoldenScorer | None = getattr(det, "scorer", None)
        last = None
        if scorer is not None:
            trace = list(scorer.trace)
            alarms = [p.value for p in det.history if p.alarm]
            last = scorer.last
        else:
            on = np.array([model.covers(float(m)) for m in maturity], dtype=bool)
            vals = np.column_stack([values[v][on] for v in model.variables]) if on.any() else np.zeros((0, 0))
            scores = score_batch(model, maturity[on], vals) if on.any() else []
            trace = [(s.maturity, s.t2, s.t2_limit, s.spe, s.spe_limit, len(s.outside)) for s in scores]
            alarms = [s.maturity for s in scores if s.alarm]
            last = scores[-1] if scores else None
        return _status(model, det, ctx, last, lang), options, env, score_figure(model, trace, alarms, lang)
