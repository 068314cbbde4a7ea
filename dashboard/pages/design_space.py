"""Design-space page (/design-space): a ``gmp-twin doe`` study read from its result directory.

The studies are the result directories under ``GMP_TWIN_DOE_DIR`` (default ``data/doe``, where
``gmp-twin doe`` writes by default), newest first. For the chosen one the page shows the study
(unit, design, specs, the design space's size, the robust set point, the brute-force check and
the warnings), P(all CQAs in spec) over the two plotted factors with the design space and each
spec's edge of failure, one response's predicted surface, and the models' R², Q² and
coefficients. The page only reads files: a study is run from the command line.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dash
import numpy as np
import plotly.graph_objects as go
from dash import Dash, Input, Output, State, dcc, html

from analytics.doe_results import DoeResult, find_results, load_result, read_csv
from analytics.doe_space import spec_label
from dashboard.context import DashContext
from dashboard.figures import BASE_LAYOUT, empty_figure
from dashboard.grid import col, data_grid, number_format
from dashboard.i18n import colon, fmt_number, t
from dashboard.shell import Shell, chart_card

PATH = "/design-space"
SHELL = Shell(PATH, "design_space_title", lang_id="ds-lang", tick_id="ds-tick", tick_ms=60_000)
#: Colours of the spec edges (dashed), in spec order.
EDGE_COLOURS = ("#1f4e9c", "#7b2d8e", "#b35900", "#00707a", "#555555")


def results_root() -> Path:
    """Where the studies are: ``GMP_TWIN_DOE_DIR``, else ``data/doe``."""
    return Path(os.environ.get("GMP_TWIN_DOE_DIR", "data/doe"))


def study_options(root: Path) -> list[dict[str, str]]:
    """Dropdown options: each result directory (its path under ``root``), newest first."""
    out = []
    for path in find_results(root):
        name = path.relative_to(root).as_posix() if path != root else "."
        out.append({"label": name if name != "." else root.name, "value": name})
    return out


def resolve_study(root: Path, choice: str | None) -> Path | None:
    """The chosen study's directory, only if it is one of the listed ones (never a path from the browser)."""
    for option in study_options(root):
        if option["value"] == choice:
            return root / choice if choice != "." else root
    return None


def _axis_title(summary: dict[str, Any], name: str) -> str:
    unit = next((f["unit"] for f in summary["factors"] if f["name"] == name), "")
    return f"{name} [{unit}]" if unit else name


def spec_text(spec: dict[str, Any], lang: str) -> str:
    """A spec of a study's summary with the language's decimal sign.

    >>> spec_text({"response": "final_lod", "lower": 1.0, "upper": 2.5}, "fr")
    '1 ≤ final_lod ≤ 2,5'
    """
    return spec_label(spec["response"], spec["lower"], spec["upper"], lambda v: fmt_number(v, lang, significant=6))


def warning_line(warning: dict[str, Any], lang: str) -> str:
    """A warning of a study's summary in ``lang`` (its key and fields).

    >>> warning_line({"key": "ds_warn_constant", "response": "titre"}, "en")
    'titre is the same in every run: nothing to model'
    """
    return t(str(warning["key"]), lang, **{k: v for k, v in warning.items() if k != "key"})


def summary_block(summary: dict[str, Any], lang: str) -> html.Ul:
    """The study in a few lines, in ``lang``."""
    c = colon(lang)
    ds, design, p = summary["design_space"], summary["design"], summary["probability"]
    variability = t(f"ds_variability_{summary['variability']['mode']}", lang)
    lines: list[Any] = [
        html.Li(f"{t('ds_unit', lang)}{c} {summary['unit']} · {t('ds_design', lang)}{c} {design['name']}, "
                f"{design['runs']} {t('ds_runs', lang)} · {t('ds_variability', lang)}{c} {variability}"),
        html.Li(f"{t('ds_specs', lang)}{c} " + " ; ".join(spec_text(s, lang) for s in summary["specs"])),
    ]  # fmt: skip
    p_text = fmt_number(p, lang)
    if ds["cells"]:
        share = fmt_number(100 * ds["fraction"], lang, 1)
        lines.append(html.Li(f"{t('ds_space_line', lang, p=p_text)}{c} {t('ds_fraction', lang, fraction=share)}"))
    else:
        lines.append(html.Li(t("ds_empty", lang, p=p_text, best=fmt_number(ds["max_p_all"], lang, 3))))
    rp = ds["robust_point"]
    values = ", ".join(f"{k} = {fmt_number(v, lang, significant=4)}" for k, v in rp["factors"].items())
    where = t("ds_robust" if rp["inside"] else "ds_best", lang)
    lines.append(html.Li(f"{where}{c} {values} (P = {fmt_number(rp['p_all'], lang, 3)})"))
    v = summary.get("verify")
    if v:
        verdict = t("ds_within", lang) if v["within_one_step"] else t("ds_beyond", lang)
        text = t(
            "ds_verify_line",
            lang,
            n=v["grid"],
            runs=v["runs"],
            wrong=v["cells_differing"],
            steps=fmt_number(v["max_distance_steps"], lang),
            verdict=verdict,
            failing=v["design_space_cells_failing"],
        )
        lines.append(html.Li(f"{t('ds_verify', lang)}{c} {text}", id="ds-verify"))
    for w in summary.get("warnings", []):
        lines.append(html.Li(f"{t('ds_warnings', lang)}{c} {warning_line(w, lang)}", className="warn"))
    return html.Ul(lines, id="ds-summary-list")


def _layout(fig: go.Figure, summary: dict[str, Any], title: str) -> go.Figure:
    a, b = summary["axes"]
    fig.update_layout(
        **BASE_LAYOUT,
        title={"text": title, "x": 0.02, "font": {"size": 13}},
        height=520,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        xaxis={"title": {"text": _axis_title(summary, a)}},
        yaxis={"title": {"text": _axis_title(summary, b)}},
        legend={"orientation": "h", "y": -0.18},
    )
    return fig


def _runs_trace(result: DoeResult, lang: str) -> go.Scatter | None:
    runs_file = result.path / "runs.csv"
    if not runs_file.is_file():
        return None
    runs = read_csv(runs_file)
    a, b = result.axes
    return go.Scatter(
        x=runs[a], y=runs[b], mode="markers", name=t("ds_runs_marker", lang),
        marker={"color": "black", "size": 8}, cliponaxis=False,
    )  # fmt: skip


def _verify_traces(result: DoeResult, lang: str) -> list[go.Scatter]:
    verify_file = result.path / "verify.csv"
    if not verify_file.is_file():
        return []
    v = read_csv(verify_file)
    a, b = result.axes
    ok = np.asarray(v["sim_pass"], dtype=float) > 0.5
    x, y = np.asarray(v[a], dtype=float), np.asarray(v[b], dtype=float)
    return [
        go.Scatter(x=x[ok], y=y[ok], mode="markers", name=t("ds_sim_pass", lang),
                   marker={"symbol": "circle-open", "color": "#0b6b0b", "size": 7}),
        go.Scatter(x=x[~ok], y=y[~ok], mode="markers", name=t("ds_sim_fail", lang),
                   marker={"symbol": "x-thin-open", "color": "#a00000", "size": 7, "line": {"width": 1.5}}),
    ]  # fmt: skip


def _line_contour(x: np.ndarray, y: np.ndarray, z: np.ndarray, level: float, name: str, **line: Any) -> go.Contour:
    return go.Contour(
        x=x, y=y, z=z, name=name, showlegend=True, showscale=False, hoverinfo="skip",
        contours={"start": level, "end": level, "size": 1.0, "coloring": "none"}, line=line,
    )  # fmt: skip


def space_figure(result: DoeResult, lang: str) -> go.Figure:
    """P(all CQAs in spec) with the design space (P ≥ p, black) and each spec's edge of failure (dashed)."""
    s = result.summary
    x, y, p_all = result.surface("p_all")
    fig = go.Figure(
        go.Contour(
            x=x, y=y, z=p_all, zmin=0.0, zmax=1.0, colorscale="RdYlGn", name=t("ds_p_all", lang),
            contours={"start": 0.0, "end": 1.0, "size": 0.1}, line={"width": 0},
            colorbar={"title": {"text": "P", "side": "right"}},
        )
    )  # fmt: skip
    p = float(s["probability"])
    if np.nanmax(p_all) >= p > np.nanmin(p_all):
        label = t("ds_space_line", lang, p=fmt_number(p, lang))
        fig.add_trace(_line_contour(x, y, p_all, p, label, color="black", width=3))
    for k, spec in enumerate(s["specs"]):
        _, _, z = result.surface(f"pred:{spec['response']}")
        for limit in (spec["lower"], spec["upper"]):
            if limit is not None and np.nanmin(z) < limit < np.nanmax(z):
                name = f"{t('ds_edge', lang)}{colon(lang)} {spec_text(spec, lang)}"
                colour = EDGE_COLOURS[k % len(EDGE_COLOURS)]
                fig.add_trace(_line_contour(x, y, z, limit, name, color=colour, width=2, dash="dash"))
    runs = _runs_trace(result, lang)
    if runs is not None:
        fig.add_trace(runs)
    for trace in _verify_traces(result, lang):
        fig.add_trace(trace)
    return _layout(fig, s, t("ds_plot_title", lang, unit=s["unit"]))


def response_figure(result: DoeResult, response: str | None, lang: str) -> go.Figure:
    """One response's predicted surface, its spec limits in red."""
    s = result.summary
    names = [r["name"] for r in s["responses"]]
    if response not in names:
        return empty_figure(lang, height=520)
    x, y, z = result.surface(f"pred:{response}")
    unit = next((r["unit"] for r in s["responses"] if r["name"] == response), "")
    fig = go.Figure(
        go.Contour(x=x, y=y, z=z, colorscale="Viridis", contours={"showlabels": True}, name=str(response),
                   colorbar={"title": {"text": unit, "side": "right"}})
    )  # fmt: skip
    for spec in s["specs"]:
        if spec["response"] != response:
            continue
        for limit in (spec["lower"], spec["upper"]):
            if limit is not None and np.nanmin(z) < limit < np.nanmax(z):
                fig.add_trace(_line_contour(x, y, z, limit, spec_text(spec, lang), color="red", width=3))
    runs = _runs_trace(result, lang)
    if runs is not None:
        fig.add_trace(runs)
    title = t("ds_predicted", lang, response=response) + (f" [{unit}]" if unit else "")
    return _layout(fig, s, title)


def model_rows(summary: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    """One row per response: scale, R², adjusted R², Q², residual SD."""
    return [
        {
            "id": r,
            "ds_response": r,
            "ds_transform": t("ds_scale_log", lang) if m["transform"] == "log" else t("ds_scale_none", lang),
            "ds_r2": m["r2"],
            "ds_r2_adj": m["r2_adj"],
            "ds_q2": m["q2"],
            "ds_rmse": m["rmse"],
            "ds_dof": summary["model"]["dof"],
        }
        for r, m in summary["models"].items()
    ]


def coefficient_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per response and term."""
    return [
        {
            "id": f"{r}/{c['term']}",
            "ds_response": r,
            "ds_term": c["term"],
            "ds_coefficient": c["coefficient"],
            "ds_se": c["std_error"],
            "ds_p_value": c["p_value"],
        }
        for r, m in summary["models"].items()
        for c in m["coefficients"]
    ]


def _number_cols(keys: list[str], lang: str) -> list[dict[str, Any]]:
    return [col(k, lang, numeric=True, valueFormatter=number_format(lang, significant=4)) for k in keys]


def page_body(lang: str, root: Path) -> list[Any]:
    """Study picker, summary, the two charts and the two tables."""
    options = study_options(root)
    picker = dcc.Dropdown(
        id="ds-study", options=options, value=options[0]["value"] if options else None, clearable=False,
        className="detector-select",
    )  # fmt: skip
    intro = [html.P(t("ds_none", lang, root=root.as_posix()), className="notice", id="ds-none")] if not options else []
    models = data_grid(
        "ds-models",
        [col("ds_response", lang), col("ds_transform", lang),
         *_number_cols(["ds_r2", "ds_r2_adj", "ds_q2", "ds_rmse", "ds_dof"], lang)],
        lang, height=260, file_name="models.csv",
    )  # fmt: skip
    coefficients = data_grid(
        "ds-coefficients",
        [col("ds_response", lang), col("ds_term", lang),
         *_number_cols(["ds_coefficient", "ds_se", "ds_p_value"], lang)],
        lang, height=360, file_name="coefficients.csv",
    )  # fmt: skip
    return [
        *intro,
        html.Div([html.Label(t("ds_study", lang) + colon(lang)), picker], hidden=not options),
        html.Div(id="ds-summary", className="det-status"),
        chart_card("ds-space", lang),
        dcc.Dropdown(id="ds-response", options=[], value=None, clearable=False, className="detector-select"),
        chart_card("ds-response-graph", lang),
        html.H2(t("ds_models", lang)),
        models,
        html.H2(t("ds_coefficients", lang)),
        coefficients,
    ]


def show_study(root: Path, choice: str | None, lang: str) -> tuple[Any, ...]:
    """The callback's outputs for a chosen study (summary, chart, response options, table rows)."""
    folder = resolve_study(root, choice)
    if folder is None:
        return "", empty_figure(lang, height=520), [], None, [], []
    try:
        result = load_result(folder)
        summary = result.summary
        figure = space_figure(result, lang)
    except (ValueError, KeyError, OSError) as exc:
        return t("ds_bad", lang, error=str(exc)), empty_figure(lang, height=520), [], None, [], []
    names = [r["name"] for r in summary["responses"]]
    options = [{"label": n, "value": n} for n in names]
    return (
        summary_block(summary, lang),
        figure,
        options,
        names[0] if names else None,
        model_rows(summary, lang),
        coefficient_rows(summary),
    )


def register(app: Dash, ctx: DashContext) -> None:
    """Register the page and its callbacks."""

    def layout(lang: str | None = None, **_: Any) -> html.Div:
        lang = ctx.lang(lang)
        return SHELL.layout(lang, page_body(lang, results_root()))

    dash.register_page(
        "design_space", path=PATH, layout=layout, name="design_space", title="gmp-twin design space", order=12.5
    )

    @app.callback(
        Output("ds-summary", "children"),
        Output("ds-space", "figure"),
        Output("ds-response", "options"),
        Output("ds-response", "value"),
        Output("ds-models", "rowData"),
        Output("ds-coefficients", "rowData"),
        Input("ds-study", "value"),
        State("ds-lang", "data"),
    )
    def choose(choice: str | None, lang: str) -> tuple[Any, ...]:
        return show_study(results_root(), choice, lang)

    @app.callback(
        Output("ds-response-graph", "figure"),
        Input("ds-response", "value"),
        State("ds-study", "value"),
        State("ds-lang", "data"),
    )
    def response(name: str | None, choice: str | None, lang: str) -> Any:
        folder = resolve_study(results_root(), choice)
        if folder is None or name is None:
            return empty_figure(lang, height=520)
        try:
            return response_figure(load_result(folder), name, lang)
        except (ValueError, KeyError, OSError):
            return empty_figure(lang, height=520)
