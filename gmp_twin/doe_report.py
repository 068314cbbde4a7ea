"""The result directory of a ``gmp-twin doe`` study and its printed summary (FR/EN).

The files are listed in :mod:`analytics.doe_results`; the summary is what the command prints
and what the design-space page shows at the top.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from analytics.doe_design import to_real
from analytics.doe_results import write_csv, write_json
from analytics.doe_space import spec_label
from dashboard.i18n import fmt_number, t
from gmp_twin.doe_plots import plot_design_space, plot_responses
from gmp_twin.doe_study import StudyResult, robust_point
from gmp_twin.doe_units import unit_doe

__all__ = ["build_summary", "spec_text", "summary_text", "warning_text", "write_study"]

FILES = (
    "summary.json",
    "runs.csv",
    "coefficients.csv",
    "models.csv",
    "design_space.csv",
    "design_space.png",
    "responses.png",
)


def build_summary(result: StudyResult, plant: str = "") -> dict[str, Any]:
    """The ``summary.json`` document (plain data)."""
    st = result.study
    doe = unit_doe(st.unit_type)
    defs = st.factor_defs()
    ia, ib = st.plot_axes()
    in_space = result.in_space()
    models = {}
    for r, fit in result.model.fits.items():
        models[r] = {
            "unit": result.study_unit(r),
            "transform": fit.transform,
            "r2": fit.r2,
            "r2_adj": fit.r2_adj,
            "q2": fit.q2,
            "rmse": fit.rmse,
            "press": fit.press,
            "coefficients": [
                {"term": name, "coefficient": fit.coef[i], "std_error": fit.se[i], "t": fit.t[i], "p_value": fit.p[i]}
                for i, name in enumerate(result.model.term_names)
            ],
        }
    held = {f.name: st.held.get(f.name, f.center) for j, f in enumerate(st.factors) if j not in (ia, ib)}
    return {
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "unit": st.unit_name,
        "unit_type": st.unit_type,
        "plant": plant,
        "design": {
            "name": st.design,
            "runs": len(result.results),
            "center": st.center,
            "levels": st.levels if st.design == "full" else None,
            "resolution": st.resolution if st.design == "frac" else None,
            "seed": st.seed,
        },
        "factors": [
            {
                "name": f.name,
                "low": f.low,
                "high": f.high,
                "unit": f.unit,
                "acts_on": f"{d.kind}:{d.target}",
                "jitter_sd": st.jitter.get(f.name, d.jitter),
            }
            for f, d in zip(st.factors, defs, strict=True)
        ],
        "axes": [st.factors[ia].name, st.factors[ib].name],
        "held": held,
        "responses": [{"name": r, "unit": result.study_unit(r)} for r in st.responses],
        "specs": [{"response": s.response, "lower": s.lower, "upper": s.upper, "text": str(s)} for s in st.specs],
        "variability": {
            "mode": st.variability,
            "draws": [{"param": v.param, "rel_sd": v.rel_sd, "description": v.description} for v in doe.variability]
            if st.variability == "normal"
            else [],
        },
        "simulation": {"dt_s": st.dt_s or doe.dt_s, "max_duration_s": st.duration_s or doe.duration_s},
        "model": {"kind": result.model.kind, "terms": result.model.term_names, "dof": result.model.dof},
        "models": models,
        "monte_carlo": {"draws": st.draws, "seed": st.seed, "grid": st.grid},
        "probability": st.probability,
        "design_space": {
            "cells": int(in_space.sum()),
            "fraction": float(in_space.mean()),
            "max_p_all": float(result.space.p_all.max()),
            "nominal_pass_fraction": float(result.space.nominal_pass.mean()),
            "robust_point": robust_point(result),
        },
        "verify": result.verify,
        "timing": {k: round(v, 3) for k, v in result.timing.items()},
        "warnings": result.warnings,
        "files": [*FILES, *(["verify.csv"] if result.verify_rows else [])],
    }


def write_study(result: StudyResult, out: Path, *, lang: str = "en", plant: str = "") -> dict[str, Any]:
    """Write every file of the result directory ``out``; returns the summary."""
    out.mkdir(parents=True, exist_ok=True)
    st = result.study
    names = [f.name for f in st.factors]
    real = result.real
    extra = sorted({k for r in result.results for k in r if k.startswith("var:")})
    write_csv(
        out / "runs.csv",
        ["run", *names, *st.responses, "end_s", "ended", *extra],
        (
            [i + 1, *real[i], *(r[x] for x in st.responses), r["end_s"], int(r["ended"]), *(r.get(x) for x in extra)]
            for i, r in enumerate(result.results)
        ),
    )
    write_csv(
        out / "coefficients.csv",
        ["response", "transform", "term", "coefficient", "std_error", "t", "p_value"],
        (
            [r, fit.transform, name, fit.coef[i], fit.se[i], fit.t[i], fit.p[i]]
            for r, fit in result.model.fits.items()
            for i, name in enumerate(result.model.term_names)
        ),
    )
    write_csv(
        out / "models.csv",
        ["response", "transform", "r2", "r2_adj", "q2", "rmse", "runs", "dof"],
        (
            [r, f.transform, f.r2, f.r2_adj, f.q2, f.rmse, result.model.n_runs, result.model.dof]
            for r, f in result.model.fits.items()
        ),
    )
    grid_real = to_real(result.grid_coded, st.factors)
    in_space = result.in_space()
    spec_cols = [f"p:{s}" for s in st.specs]
    write_csv(
        out / "design_space.csv",
        [*names, *(f"pred:{r}" for r in st.responses), *spec_cols, "p_all", "nominal_pass", "in_space"],
        (
            [
                *grid_real[i],
                *result.space.mean[i],
                *result.space.p_spec[i],
                result.space.p_all[i],
                bool(result.space.nominal_pass[i]),
                bool(in_space[i]),
            ]
            for i in range(len(grid_real))
        ),
    )
    if result.verify_rows:
        header = list(result.verify_rows[0])
        write_csv(out / "verify.csv", header, ([row[h] for h in header] for row in result.verify_rows))
    plot_design_space(result, out / "design_space.png", lang, st.unit_name)
    plot_responses(result, out / "responses.png", lang)
    summary = build_summary(result, plant)
    write_json(out / "summary.json", summary)
    return summary


def _num(x: Any, lang: str, digits: int = 3) -> str:
    return fmt_number(x, lang, significant=digits) if x is not None else "—"


def summary_text(summary: dict[str, Any], out: Path, lang: str = "en") -> str:
    """The command's printed summary."""
    c = ": " if lang == "en" else "\u00a0: "
    lines = [
        f"{t('ds_unit', lang)}{c}{summary['unit']} ({summary['unit_type']}) · {t('ds_design', lang)}{c}"
        f"{summary['design']['name']}, {summary['design']['runs']} {t('ds_runs', lang)}",
        t(
            "ds_timing",
            lang,
            runs=summary["design"]["runs"],
            seconds=round(summary["timing"]["simulate_s"], 1),
            jobs=int(summary["timing"]["jobs"]),
        ),
        f"{t('ds_specs', lang)}{c}" + " ; ".join(spec_text(s, lang) for s in summary["specs"]),
        "",
        f"{t('ds_models', lang)} ({t('ds_model_' + summary['model']['kind'], lang)}, "
        f"{t('ds_dof', lang)} {summary['model']['dof']}){c.rstrip()}",
    ]
    for r, m in summary["models"].items():
        scale = t("ds_scale_log", lang) if m["transform"] == "log" else t("ds_scale_none", lang)
        lines.append(
            f"  {r:<26} R² {_num(m['r2'], lang)}  Q² {_num(m['q2'], lang)}  "
            f"{t('ds_rmse', lang)} {_num(m['rmse'], lang)} ({scale})"
        )
    ds = summary["design_space"]
    p = summary["probability"]
    lines.append("")
    if ds["cells"]:
        lines.append(
            t("ds_space_line", lang, p=p) + f"{c}" + t("ds_fraction", lang, fraction=round(100 * ds["fraction"], 1))
        )
    else:
        lines.append(t("ds_empty", lang, p=p, best=round(ds["max_p_all"], 3)))
    rp = ds["robust_point"]
    values = ", ".join(f"{k} = {_num(v, lang)}" for k, v in rp["factors"].items())
    lines.append(f"{t('ds_robust' if rp['inside'] else 'ds_best', lang)}{c}{values} (P = {_num(rp['p_all'], lang)})")
    v = summary.get("verify")
    if v:
        verdict = t("ds_within", lang) if v["within_one_step"] else t("ds_beyond", lang)
        lines.append(
            t(
                "ds_verify_line",
                lang,
                n=v["grid"],
                runs=v["runs"],
                wrong=v["cells_differing"],
                steps=_num(v["max_distance_steps"], lang),
                verdict=verdict,
                failing=v["design_space_cells_failing"],
            )
        )
    if summary["warnings"]:
        lines.append("")
        lines.append(f"{t('ds_warnings', lang)}{c.rstrip()}")
        lines += [f"  - {warning_text(w, lang)}" for w in summary["warnings"]]
    lines.append("")
    lines.append(f"{t('ds_files', lang)}{c}{out}/ " + ", ".join(summary["files"]))
    return "\n".join(lines)


def spec_text(spec: dict[str, Any], lang: str) -> str:
    """A spec of the summary with the language's decimal sign.

    >>> spec_text({"response": "final_lod", "lower": None, "upper": 2.5}, "fr")
    'final_lod ≤ 2,5'
    """
    return spec_label(spec["response"], spec["lower"], spec["upper"], lambda v: fmt_number(v, lang, significant=6))


def warning_text(warning: dict[str, Any], lang: str) -> str:
    """A warning of the summary in ``lang``.

    >>> warning_text({"key": "ds_warn_q2", "response": "final_lod", "q2": -0.5}, "fr")
    'final_lod : Q² = -0,5, le modèle le prédit mal (plus d’essais, un autre modèle ?)'
    """
    return t(str(warning["key"]), lang, **{k: v for k, v in warning.items() if k != "key"})
