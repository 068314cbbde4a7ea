"""Monte Carlo ARL of the univariate SPC charts against the published tables.

Designs and published values: Montgomery, *Introduction to Statistical Quality Control*
(Shewhart; tabular CUSUM k = 0.5, Table 9.3) and Lucas & Saccucci (1990) for the EWMA, as
collected in ``shared/reference/statistics.md``. Shifts are in sigmas of one observation,
present from the first sample (zero-state ARL), observations i.i.d. normal.

Each cell simulates enough runs that the standard error of the mean run length is about
``target_rel_se`` of the ARL (two stages: a pilot estimates the run-length CV, then the
sample is topped up), so the 5 % band is many standard errors wide. A cell passes when the
estimate is within 5 % of the published value AND the achieved precision met the target.
The Brook–Evans Markov-chain ARL is reported beside each estimate, with the z-score of the
Monte Carlo estimate against it.

The simulation runs the charts' own step functions vectorised over runs
(:mod:`analytics.spc_simulate`); the run-rule rows feed real chart objects one value
at a time (informational: Champ & Woodall's 91.75 is published, the Nelson figure is a
Monte Carlo value from the reference notes).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from analytics.spc import Chart, CUSUMChart, EWMAChart, IndividualsChart
from analytics.spc_design import cusum_arl, ewma_arl, shewhart_arl
from analytics.spc_simulate import estimate_arl

SEED = 20240917
BAND = 0.05
SHIFTS = (0.0, 0.5, 1.0, 2.0)

#: name → (label, chart factory, Brook–Evans ARL(shift), published ARL per shift)
DESIGNS: dict[str, tuple[str, Callable[[], Chart], Callable[[float], float], dict[float, float]]] = {
    "shewhart_3sigma": (
        "Shewhart 3σ (individuals)",
        lambda: IndividualsChart(0.0, 1.0, rules="none", L=3.0),
        lambda d: shewhart_arl(d, 3.0),
        {0.0: 370.4, 0.5: 155.2, 1.0: 43.9, 2.0: 6.3},
    ),
    "cusum_k0.5_h4": (
        "CUSUM k=0.5 h=4",
        lambda: CUSUMChart(0.0, 1.0, k=0.5, h=4.0),
        lambda d: cusum_arl(0.5, 4.0, d),
        {0.0: 168.0, 0.5: 26.6, 1.0: 8.38, 2.0: 3.34},
    ),
    "cusum_k0.5_h5": (
        "CUSUM k=0.5 h=5",
        lambda: CUSUMChart(0.0, 1.0, k=0.5, h=5.0),
        lambda d: cusum_arl(0.5, 5.0, d),
        {0.0: 465.0, 0.5: 38.0, 1.0: 10.4, 2.0: 4.01},
    ),
    "ewma_l0.1_L2.814": (
        "EWMA λ=0.1 L=2.814",
        lambda: EWMAChart(0.0, 1.0, lambda_=0.1, L=2.814),
        lambda d: ewma_arl(0.1, 2.814, d),
        {0.0: 500.0, 0.5: 31.3, 1.0: 10.3, 2.0: 4.4},
    ),
    "ewma_l0.2_L2.962": (
        "EWMA λ=0.2 L=2.962",
        lambda: EWMAChart(0.0, 1.0, lambda_=0.2, L=2.962),
        lambda d: ewma_arl(0.2, 2.962, d),
        {0.0: 500.0, 0.5: 41.8, 1.0: 10.5, 2.0: 3.7},
    ),
}

#: informational: run rules on an individuals chart (name → label, rules, shift, reference, source)
RUN_RULES: list[tuple[str, str, str, float, float, str]] = [
    ("we_rules_arl0", "Western Electric 1-4, in control", "we", 0.0, 91.75, "Champ & Woodall (1987)"),
    ("we_rules_1sigma", "Western Electric 1-4, 1σ shift", "we", 1.0, 9.3, "reference notes (approx.)"),
    ("nelson_rules_arl0", "Nelson 1-8, in control", "nelson", 0.0, 73.5, "reference notes (Monte Carlo)"),
]


def _cell(chart: Chart, shift: float, published: float, rel_se: float, rng: np.random.Generator) -> dict[str, Any]:
    t0 = time.perf_counter()
    est = estimate_arl(chart, shift, rel_se=rel_se, rng=rng)
    rel_err = (est.arl - published) / published
    return {
        "shift": shift,
        "published": published,
        "estimate": round(est.arl, 4),
        "se": round(est.se, 4),
        "rel_se": round(est.rel_se, 5),
        "rel_error": round(rel_err, 5),
        "n_runs": est.n_runs,
        "within_band": abs(rel_err) <= BAND,
        "precision_ok": est.rel_se <= 1.1 * rel_se,
        "wall_s": round(time.perf_counter() - t0, 3),
    }


def run(quick: bool = False) -> dict[str, Any]:
    """Monte Carlo ARL for every design × shift; ``quick`` aims at 1.25 % SE instead of 0.25 %."""
    rel_se = 0.0125 if quick else 0.0025
    rules_rel_se = 0.03 if quick else 0.01
    seeds = iter(np.random.SeedSequence(SEED).spawn(len(DESIGNS) * len(SHIFTS) + len(RUN_RULES)))
    cells: list[dict[str, Any]] = []
    for name, (label, factory, brook_evans, published) in DESIGNS.items():
        chart = factory()
        for shift in SHIFTS:
            c = _cell(chart, shift, published[shift], rel_se, np.random.default_rng(next(seeds)))
            be = brook_evans(shift)
            c.update(
                design=name,
                label=label,
                brook_evans=round(be, 4),
                z_vs_brook_evans=round((c["estimate"] - be) / c["se"], 2),
                **{"pass": c["within_band"] and c["precision_ok"]},
            )
            cells.append(c)
    rules_rows: list[dict[str, Any]] = []
    for name, label, rules, shift, ref, source in RUN_RULES:
        chart = IndividualsChart(0.0, 1.0, rules=rules)
        c = _cell(chart, shift, ref, rules_rel_se, np.random.default_rng(next(seeds)))
        c.update(design=name, label=label, reference_source=source)
        rules_rows.append(c)
    n_pass = sum(c["pass"] for c in cells)
    return {
        "target": f"|MC - published| <= {BAND:.0%} of published, for every design and shift",
        "precision": {
            "quick": quick,
            "target_rel_se": rel_se,
            "band_in_se": round(BAND / rel_se, 1),
            "run_rules_target_rel_se": rules_rel_se,
            "seed": SEED,
            "method": "two-stage: 1000-run pilot estimates the run-length CV, then n = 1.05 (CV/target)^2 runs",
        },
        "cells": cells,
        "run_rules": rules_rows,
        "n_cells": len(cells),
        "n_pass": n_pass,
        "pass": n_pass == len(cells),
    }


if __name__ == "__main__":
    import json
    import sys

    json.dump(run(quick="--quick" in sys.argv), sys.stdout, indent=2)
