"""A QbD study end to end: design → simulated batches → response surfaces → design space → check.

:func:`run_study` is what ``gmp-twin doe`` runs (and the tests and the benchmark call it
directly); :func:`write_study` writes the result directory described in
:mod:`analytics.doe_results`. The optional brute-force check (``verify``) simulates the
nominal process on an N × N grid of the two plotted factors and compares the model's edge of
failure with the simulated one (:func:`analytics.doe_space.edge_distance`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import ndimage

from analytics.doe_design import Factor, make_design, to_coded, to_real
from analytics.doe_fit import SurfaceModel, best_model, fit_surfaces
from analytics.doe_space import SpaceResult, Spec, edge_distance, monte_carlo_space, spec_pass
from gmp_twin.doe_runner import RunSpec, default_jobs, run_all
from gmp_twin.doe_units import FactorDef, resolve_factor, resolve_response, tag_units, unit_doe

__all__ = ["Study", "StudyResult", "robust_point", "run_specs", "run_study"]

Progress = Callable[[str, int, int], None]


@dataclass
class Study:
    """What to run. Factor values are real units; ``held`` fixes the factors not plotted."""

    unit_name: str
    unit_type: str
    factors: list[Factor]
    responses: list[str]
    specs: list[Spec]
    params: Mapping[str, Any] = field(default_factory=dict)
    initial: Mapping[str, float] = field(default_factory=dict)
    design: str = "ccd"
    center: int | None = None
    levels: int = 3
    resolution: int = 4
    runs: int | None = None
    model: str | None = None
    transforms: dict[str, str] = field(default_factory=dict)
    probability: float = 0.9
    draws: int = 1000
    grid: int = 41
    axes: tuple[str, str] | None = None
    held: dict[str, float] = field(default_factory=dict)
    jitter: dict[str, float] = field(default_factory=dict)
    variability: str = "normal"
    seed: int = 0
    dt_s: float | None = None
    duration_s: float | None = None
    jobs: int | None = None
    verify: int = 0

    def factor_defs(self) -> list[FactorDef]:
        return [resolve_factor(self.unit_type, f.name) for f in self.factors]

    def plot_axes(self) -> tuple[int, int]:
        names = [f.name for f in self.factors]
        a, b = self.axes or (names[0], names[1] if len(names) > 1 else names[0])
        for n in (a, b):
            if n not in names:
                raise ValueError(f"--axes {a},{b}: {n} is not a factor ({', '.join(names)})")
        if a == b and len(names) > 1:
            raise ValueError(f"--axes {a},{b}: two different factors")
        return names.index(a), names.index(b)


@dataclass
class StudyResult:
    """Everything :func:`write_study` writes."""

    study: Study
    coded: np.ndarray
    results: list[dict[str, float]]
    model: SurfaceModel
    grid_coded: np.ndarray
    space: SpaceResult
    verify: dict[str, Any] | None
    verify_rows: list[dict[str, Any]]
    timing: dict[str, float]
    #: Each a label key of ``dashboard/labels_design_space.py`` and its fields (shown FR/EN).
    warnings: list[dict[str, Any]]
    units: dict[str, str] = field(default_factory=dict)

    def study_unit(self, response: str) -> str:
        """The unit of a response (``""`` when it has none)."""
        return self.units.get(response, "")

    @property
    def real(self) -> np.ndarray:
        return to_real(self.coded, self.study.factors)

    def in_space(self) -> np.ndarray:
        return self.space.p_all >= self.study.probability


def run_specs(study: Study, rows: np.ndarray, variability: str, seed0: int) -> list[RunSpec]:
    names = [f.name for f in study.factors]
    return [
        RunSpec(
            run=i,
            unit_type=study.unit_type,
            params=dict(study.params),
            initial=dict(study.initial),
            settings=tuple((n, float(v)) for n, v in zip(names, row, strict=True)),
            responses=tuple(study.responses),
            seed=seed0 + i,
            variability=variability,
            dt_s=study.dt_s,
            duration_s=study.duration_s,
        )
        for i, row in enumerate(rows)
    ]


def _plane(study: Study, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Coded points of an n × n grid over the two plotted factors (others held), and its shape."""
    ia, ib = study.plot_axes()
    k = len(study.factors)
    held = np.zeros(k)
    for j, f in enumerate(study.factors):
        if f.name in study.held:
            held[j] = to_coded(np.array([[study.held[f.name]]]), [f])[0, 0]
    axis = np.linspace(-1.0, 1.0, n)
    gy, gx = np.meshgrid(axis, axis, indexing="ij")  # rows: second axis, columns: first axis
    pts = np.tile(held, (n * n, 1))
    pts[:, ia] = gx.ravel()
    pts[:, ib] = gy.ravel()
    return pts, np.array([n, n])


def _check(study: Study) -> None:
    names = [f.name for f in study.factors]
    if len(names) < 2:
        raise ValueError("--factors: a design space needs at least 2 factors (it is drawn over two of them)")
    if len(set(names)) != len(names):
        raise ValueError(f"--factors: a factor appears twice ({', '.join(names)})")
    if not 0.0 < study.probability < 1.0:
        raise ValueError(f"--probability {study.probability}: must be between 0 and 1 (e.g. 0.9)")
    if study.grid < 3:
        raise ValueError(f"--grid {study.grid}: needs at least 3 points per axis")
    if study.verify and study.verify < 3:
        raise ValueError(f"--verify {study.verify}: needs at least 3 points per axis (or 0: no check)")
    for name, value in study.held.items():
        if name not in names:
            raise ValueError(f"--hold {name}: not a factor ({', '.join(names)})")
        f = study.factors[names.index(name)]
        if not f.low <= value <= f.high:
            raise ValueError(
                f"--hold {name}={value:g}: outside the factor's range {f.low:g}-{f.high:g} "
                "(the model would extrapolate)"
            )
    tags = tag_units(study.unit_type)
    for r in study.responses:
        resolve_response(study.unit_type, r, tags)
    if not study.specs:
        raise ValueError("--spec: give at least one specification, e.g. --spec 'final_lod<=2'")
    for s in study.specs:
        if s.response not in study.responses:
            raise ValueError(f"--spec {s}: {s.response} is not among --responses ({', '.join(study.responses)})")


def run_study(study: Study, progress: Progress | None = None) -> StudyResult:
    """Design, simulate, fit, Monte Carlo and (``verify``) check. See the module docstring."""
    _check(study)
    defs = study.factor_defs()
    doe = unit_doe(study.unit_type)
    warnings: list[dict[str, Any]] = []
    coded = make_design(
        study.design,
        len(study.factors),
        center=study.center,
        levels=study.levels,
        resolution=study.resolution,
        runs=study.runs,
        seed=study.seed,
    )
    specs = run_specs(study, to_real(coded, study.factors), study.variability, study.seed * 1_000_003)
    timing: dict[str, float] = {"jobs": float(min(study.jobs or default_jobs(), len(specs)))}
    t0 = time.perf_counter()
    results = run_all(specs, study.jobs, (lambda d, n: progress("runs", d, n)) if progress else None)
    timing["simulate_s"] = time.perf_counter() - t0
    not_ended = [i + 1 for i, r in enumerate(results) if r["ended"] < 1.0]
    if not_ended:
        minutes = round((study.duration_s or doe.duration_s) / 60.0)
        warnings.append({"key": "ds_warn_not_ended", "runs": ", ".join(map(str, not_ended)), "minutes": minutes})
    t0 = time.perf_counter()
    kind = study.model or best_model(coded)
    transforms: dict[str, Any] = {
        r: study.transforms.get(r, "log" if r in doe.responses and doe.responses[r].log else "none")
        for r in study.responses
    }
    ys = {r: np.array([res[r] for res in results]) for r in study.responses}
    model = fit_surfaces(coded, ys, model=kind, factor_names=[f.name for f in study.factors], transforms=transforms)
    for r, fit in model.fits.items():
        if math.isnan(fit.r2):
            warnings.append({"key": "ds_warn_constant", "response": r})
        elif fit.q2 < 0.5:  # MODDE's rule of thumb: Q² > 0.5 for a useful model
            warnings.append({"key": "ds_warn_q2", "response": r, "q2": round(fit.q2, 2)})
    jitter = [study.jitter.get(f.name, d.jitter) / f.half_range for f, d in zip(study.factors, defs, strict=True)]
    grid_coded, _ = _plane(study, study.grid)
    space = monte_carlo_space(model, study.specs, grid_coded, draws=study.draws, jitter=jitter, seed=study.seed)
    timing["model_s"] = time.perf_counter() - t0
    verify: dict[str, Any] | None = None
    rows: list[dict[str, Any]] = []
    if study.verify:
        t0 = time.perf_counter()
        verify, rows = _verify(study, model, jitter, progress)
        timing["verify_s"] = time.perf_counter() - t0
    tags = tag_units(study.unit_type)
    units = {r: resolve_response(study.unit_type, r, tags).unit for r in study.responses}
    return StudyResult(study, coded, results, model, grid_coded, space, verify, rows, timing, warnings, units)


def _verify(
    study: Study, model: SurfaceModel, jitter: Sequence[float], progress: Progress | None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Brute force: the nominal process simulated on an N × N grid, against the model."""
    n = study.verify
    pts, _ = _plane(study, n)
    real = to_real(pts, study.factors)
    specs = run_specs(study, real, "none", 7_000_000 + study.seed * 1_000_003)
    sims = run_all(specs, study.jobs, (lambda d, m: progress("verify", d, m)) if progress else None)
    y_sim = np.array([[s[r] for r in study.responses] for s in sims])
    sim_pass = spec_pass(study.specs, study.responses, y_sim)
    mc = monte_carlo_space(model, study.specs, pts, draws=study.draws, jitter=jitter, seed=study.seed)
    model_pass = mc.nominal_pass
    wrong, worst = edge_distance(model_pass.reshape(n, n), sim_pass.reshape(n, n))
    in_space = mc.p_all >= study.probability
    ia, ib = study.plot_axes()
    steps = [(f.high - f.low) / (n - 1) for f in (study.factors[ia], study.factors[ib])]
    summary = {
        "grid": n,
        "runs": n * n,
        "step": {study.factors[ia].name: steps[0], study.factors[ib].name: steps[1]},
        "simulated_pass": int(sim_pass.sum()),
        "model_pass": int(model_pass.sum()),
        "cells_differing": wrong,
        "max_distance_steps": worst,
        "within_one_step": bool(worst <= 1.0),
        "design_space_cells": int(in_space.sum()),
        "design_space_cells_failing": int((in_space & ~sim_pass).sum()),
    }
    rows = []
    for i in range(n * n):
        row: dict[str, Any] = {f.name: real[i, j] for j, f in enumerate(study.factors)}
        row.update({f"sim:{r}": y_sim[i, j] for j, r in enumerate(study.responses)})
        row.update({"sim_pass": bool(sim_pass[i]), "model_pass": bool(model_pass[i]), "p_all": mc.p_all[i]})
        rows.append(row)
    return summary, rows


def robust_point(result: StudyResult) -> dict[str, Any]:
    """The grid point furthest inside the design space (or, when it is empty, the most likely to
    pass), with its probability: a set point with the most room for the process to wander."""
    st = result.study
    n = st.grid
    inside = result.in_space().reshape(n, n)
    if inside.any():
        depth = ndimage.distance_transform_edt(np.pad(inside, 1))[1:-1, 1:-1]
        i = int(np.argmax(depth.ravel()))
    else:
        i = int(np.argmax(result.space.p_all))
    real = to_real(result.grid_coded[i : i + 1], st.factors)[0]
    return {
        "factors": {f.name: float(real[j]) for j, f in enumerate(st.factors)},
        "p_all": float(result.space.p_all[i]),
        "inside": bool(inside.ravel()[i]),
        "predicted": {r: float(result.space.mean[i, j]) for j, r in enumerate(st.responses)},
    }
