"""Done when (issue #15): ``gmp-twin doe`` for the dryer produces a design space whose edge of
failure matches a brute-force grid of simulations within one grid step.

The study is the command's default one for ``dryer-1`` (inlet temperature 50-80 °C × air flow
200-450 m³/h, face-centred composite design of 11 runs; specs drying time ≤ 30 min, peak bed
temperature ≤ 40 °C, final LOD ≤ 2.5 %). ``--verify N`` simulates the nominal process on an
N × N grid of the two factors (121 or 441 batches of a few ms each: the dryer's model step is
coarse, 10 s, and its RK4 sub-steps keep it exact). The check here recomputes the distance from
``verify.csv`` itself: every cell the model classifies differently from the simulations must
touch (8-neighbourhood) a simulated cell of the other class, i.e. lie on the simulated edge.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from analytics.doe_results import read_csv
from gmp_twin.cli import main

PLANT = str(Path(__file__).resolve().parents[2] / "config" / "plant.yaml")


def _maps(folder: Path, n: int) -> tuple[np.ndarray, np.ndarray]:
    v = read_csv(folder / "verify.csv")
    x, y = np.asarray(v["inlet_temperature"]), np.asarray(v["air_flow"])
    order = np.lexsort((x, y))  # rows: air flow, columns: inlet temperature
    sim = (np.asarray(v["sim_pass"]) > 0.5)[order].reshape(n, n)
    model = (np.asarray(v["model_pass"]) > 0.5)[order].reshape(n, n)
    return sim, model


def _off_edge(sim: np.ndarray, model: np.ndarray) -> list[tuple[int, int]]:
    """Cells the model gets wrong that have no simulated neighbour of the other class."""
    bad = []
    for i, j in zip(*np.nonzero(sim != model), strict=True):
        around = sim[max(i - 1, 0) : i + 2, max(j - 1, 0) : j + 2]
        if not (around != sim[i, j]).any():
            bad.append((int(i), int(j)))
    return bad


@pytest.mark.parametrize(
    ("variability", "grid"),
    [("normal", 11), ("none", 21)],
    ids=["default-study-11x11", "nominal-runs-21x21"],
)
def test_dryer_edge_of_failure_matches_the_brute_force_grid(tmp_path: Path, variability: str, grid: int) -> None:
    out = tmp_path / "dryer"
    args = ["doe", "--plant", PLANT, "--unit", "dryer-1", "--out", str(out), "--quiet", "--lang", "en"]
    args += ["--variability", variability, "--verify", str(grid), "--draws", "400", "--grid", "21"]
    assert main(args) == 0
    summary = json.loads((out / "summary.json").read_text())
    v = summary["verify"]
    sim, model = _maps(out, grid)
    assert 0.15 < sim.mean() < 0.85, "the grid must straddle the edge of failure to test it"
    assert _off_edge(sim, model) == [], f"model cells beyond one grid step of the simulated edge: {v}"
    assert v["within_one_step"] and v["max_distance_steps"] <= 1.0
    assert v["cells_differing"] == int((sim != model).sum())
    # The design space (P >= 0.9) is inside the region where the simulated process meets every spec.
    assert v["design_space_cells"] > 0
    assert v["design_space_cells_failing"] == 0
