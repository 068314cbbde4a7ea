"""PNG plots of a ``gmp-twin doe`` study (matplotlib's Agg canvas: no display, no pyplot state).

* ``design_space.png``: P(all CQAs in spec) over the two plotted factors, the design space
  (the contour P = p), each spec's edge of failure (the predicted response at its limit),
  the design's runs and, after ``--verify``, the brute-force grid (in spec / out of spec).
* ``responses.png``: each response's predicted surface with its spec limits.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib import ticker
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from analytics.doe_design import to_real
from analytics.doe_space import spec_label
from dashboard.i18n import colon, fmt_number, t
from gmp_twin.doe_study import StudyResult

__all__ = ["plot_design_space", "plot_responses"]


def _axis_label(result: StudyResult, j: int) -> str:
    f = result.study.factors[j]
    return f"{f.name} [{f.unit}]" if f.unit else f.name


def _grid(result: StudyResult) -> tuple[np.ndarray, np.ndarray, int, int]:
    st = result.study
    ia, ib = st.plot_axes()
    real = to_real(result.grid_coded, st.factors)
    n = st.grid
    return real[:, ia].reshape(n, n), real[:, ib].reshape(n, n), ia, ib


def _format(ax: Any, lang: str) -> None:
    if lang == "fr":  # decimal comma on a French plot
        fmt = ticker.FuncFormatter(lambda v, _pos: fmt_number(v, lang))
        ax.xaxis.set_major_formatter(fmt)
        ax.yaxis.set_major_formatter(fmt)


def _runs(ax: Any, result: StudyResult, ia: int, ib: int, lang: str) -> None:
    real = result.real
    others = [j for j in range(real.shape[1]) if j not in (ia, ib)]
    held = np.zeros(len(result.study.factors))
    for j, f in enumerate(result.study.factors):
        held[j] = result.study.held.get(f.name, f.center)
    on_plane = np.all(np.isclose(real[:, others], held[others]), axis=1) if others else np.ones(len(real), bool)
    ax.scatter(
        real[on_plane, ia],
        real[on_plane, ib],
        s=28,
        c="black",
        zorder=5,
        clip_on=False,
        label=t("ds_runs_marker", lang),
    )
    if (~on_plane).any():  # runs off the plotted plane, projected onto it
        ax.scatter(real[~on_plane, ia], real[~on_plane, ib], s=28, facecolors="none", edgecolors="black", zorder=5)


def _save(fig: Figure, path: Path) -> None:
    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=110)


def plot_design_space(result: StudyResult, path: Path, lang: str = "en", unit_name: str = "") -> None:
    """Write ``design_space.png`` (see the module docstring)."""
    st = result.study
    x, y, ia, ib = _grid(result)
    n = st.grid
    fig = Figure(figsize=(7.6, 6.8), layout="constrained")
    ax = fig.add_subplot()
    p_all = result.space.p_all.reshape(n, n)
    mesh = ax.contourf(x, y, p_all, levels=np.linspace(0.0, 1.0, 11), cmap="RdYlGn", vmin=0.0, vmax=1.0)
    bar = fig.colorbar(mesh, ax=ax)
    bar.set_label(t("ds_p_all", lang))
    _format(bar.ax, lang)
    handles: list[Any] = []
    labels: list[str] = []
    if np.nanmax(p_all) >= st.probability > np.nanmin(p_all):
        cs = ax.contour(x, y, p_all, levels=[st.probability], colors="black", linewidths=2.4)
        handles.append(cs.legend_elements()[0][0])
        labels.append(t("ds_space_line", lang, p=st.probability))
    mean = result.space.mean
    colours = ["#1f4e9c", "#7b2d8e", "#b35900", "#00707a", "#555555"]
    for k, spec in enumerate(st.specs):
        z = mean[:, st.responses.index(spec.response)].reshape(n, n)
        for limit in (spec.lower, spec.upper):
            if limit is None or not (np.nanmin(z) < limit < np.nanmax(z)):
                continue
            cs = ax.contour(x, y, z, levels=[limit], colors=colours[k % len(colours)], linestyles="--", linewidths=1.6)
            handles.append(cs.legend_elements()[0][0])
            text = spec_label(spec.response, spec.lower, spec.upper, lambda v: fmt_number(v, lang, significant=6))
            labels.append(f"{t('ds_edge', lang)}{colon(lang)} {text}")
    _runs(ax, result, ia, ib, lang)
    if result.verify_rows:
        a, b = st.factors[ia].name, st.factors[ib].name
        vx = np.array([r[a] for r in result.verify_rows])
        vy = np.array([r[b] for r in result.verify_rows])
        ok = np.array([r["sim_pass"] for r in result.verify_rows])
        ax.scatter(vx[ok], vy[ok], s=14, marker="o", facecolors="none", edgecolors="#0b6b0b", zorder=4)
        ax.scatter(vx[~ok], vy[~ok], s=14, marker="x", c="#a00000", linewidths=1.0, zorder=4)
        handles += [
            ax.scatter([], [], s=14, marker="o", facecolors="none", edgecolors="#0b6b0b"),
            ax.scatter([], [], s=14, marker="x", c="#a00000"),
        ]
        labels += [t("ds_sim_pass", lang), t("ds_sim_fail", lang)]
    run_handle, run_label = ax.get_legend_handles_labels()
    fig.legend(handles + run_handle, labels + run_label, loc="outside lower center", ncols=2, fontsize=8)
    ax.set_xlabel(_axis_label(result, ia))
    ax.set_ylabel(_axis_label(result, ib))
    title = t("ds_plot_title", lang, unit=unit_name or st.unit_name)
    held = [f for j, f in enumerate(st.factors) if j not in (ia, ib)]
    if held:
        values = ", ".join(f"{f.name} = {fmt_number(st.held.get(f.name, f.center), lang)}" for f in held)
        title += f"\n{t('ds_held', lang)} {values}"
    ax.set_title(title, fontsize=10)
    _format(ax, lang)
    _save(fig, path)


def plot_responses(result: StudyResult, path: Path, lang: str = "en") -> None:
    """Write ``responses.png``: one panel per response, its spec limits in red."""
    st = result.study
    x, y, ia, ib = _grid(result)
    n, m = st.grid, len(st.responses)
    cols = min(m, 3)
    rows = (m + cols - 1) // cols
    fig = Figure(figsize=(4.6 * cols, 3.9 * rows), layout="constrained")
    for j, r in enumerate(st.responses):
        ax = fig.add_subplot(rows, cols, j + 1)
        z = result.space.mean[:, j].reshape(n, n)
        mesh = ax.contourf(x, y, z, levels=12, cmap="viridis")
        lines = ax.contour(x, y, z, levels=6, colors="white", linewidths=0.6)
        ax.clabel(lines, fontsize=7, fmt=lambda v: fmt_number(v, lang, significant=3))
        _format(fig.colorbar(mesh, ax=ax).ax, lang)
        for spec in st.specs:
            if spec.response != r:
                continue
            for limit in (spec.lower, spec.upper):
                if limit is not None and np.nanmin(z) < limit < np.nanmax(z):
                    cs = ax.contour(x, y, z, levels=[limit], colors="red", linewidths=2.0)
                    sign = "≤" if limit == spec.upper else "≥"
                    ax.clabel(cs, fontsize=8, fmt=lambda v, sign=sign: f"{sign} {fmt_number(v, lang, significant=4)}")
        _runs(ax, result, ia, ib, lang)
        unit = result.study_unit(r)
        ax.set_title(t("ds_predicted", lang, response=r) + (f" [{unit}]" if unit else ""), fontsize=9)
        ax.set_xlabel(_axis_label(result, ia), fontsize=8)
        ax.set_ylabel(_axis_label(result, ib), fontsize=8)
        _format(ax, lang)
    _save(fig, path)
