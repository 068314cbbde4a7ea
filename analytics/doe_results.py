"""The result directory of ``gmp-twin doe``: what it holds, and reading it back (the dashboard).

========================  =================================================================
file                      content
========================  =================================================================
``summary.json``          the study: unit, design, factors, responses, specs, probability,
                          the models (terms, coefficients, R², Q²), the design space's size
                          and best point, the brute-force check (``verify``), timings
``runs.csv``              one row per run: factor values, responses, ``end_s``, ``ended``
                          and the batch variability drawn (``var:<parameter>``)
``coefficients.csv``      response, term, coefficient (coded factors), std error, t, p
``models.csv``            response, transform, R², adjusted R², Q², RMSE, runs, dof
``design_space.csv``      the grid over the two plotted factors: predicted responses
                          (``pred:<response>``), ``p:<spec>`` per spec, ``p_all``,
                          ``nominal_pass`` (inside the edge of failure), ``in_space``
``verify.csv``            (``--verify N``) the brute-force grid: simulated responses,
                          ``sim_pass`` and the model's ``model_pass``
``design_space.png``      P(all CQAs in spec) with the design space and edge of failure
``responses.png``         each response's predicted surface with its spec limits
========================  =================================================================

Examples
--------
>>> import tempfile
>>> d = Path(tempfile.mkdtemp())
>>> write_csv(d / "a.csv", ["x", "p"], [[1.0, 0.25], [2.0, float("nan")]])
>>> (d / "a.csv").read_text().splitlines()
['x,p', '1,0.25', '2,']
>>> read_csv(d / "a.csv")
{'x': [1.0, 2.0], 'p': [0.25, nan]}
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["DoeResult", "find_results", "load_result", "read_csv", "write_csv", "write_json"]

SUMMARY = "summary.json"


def _cell(v: Any) -> str:
    if isinstance(v, bool | np.bool_):
        return "1" if v else "0"
    if isinstance(v, int | np.integer):
        return str(int(v))
    if isinstance(v, float | np.floating):
        return "" if not math.isfinite(float(v)) else f"{float(v):.8g}"
    return str(v)


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A CSV with ``header``; floats with 8 significant digits, NaN as an empty cell."""
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for row in rows:
            w.writerow([_cell(v) for v in row])


def read_csv(path: Path) -> dict[str, list[Any]]:
    """Columns of a CSV written by :func:`write_csv`: numbers as floats (empty: NaN), text kept."""
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if not rows:
        return {}
    header, body = rows[0], rows[1:]
    out: dict[str, list[Any]] = {h: [] for h in header}
    for row in body:
        for h, v in zip(header, row, strict=False):
            try:
                out[h].append(float(v) if v != "" else math.nan)
            except ValueError:
                out[h].append(v)
    return out


def _plain(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    if isinstance(v, np.ndarray):
        return [_plain(x) for x in v.tolist()]
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, float | np.floating):
        return float(v) if math.isfinite(float(v)) else None  # JSON has no NaN
    return v


def write_json(path: Path, data: dict[str, Any]) -> None:
    """``data`` as indented JSON; NaN and infinities become ``null``."""
    path.write_text(json.dumps(_plain(data), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class DoeResult:
    """A result directory read back: its summary and its design-space grid."""

    path: Path
    summary: dict[str, Any]
    grid: dict[str, list[Any]]

    @property
    def axes(self) -> list[str]:
        return list(self.summary["axes"])

    def surface(self, column: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(x, y, z)`` of a grid column: the two axes' distinct values and ``z[iy, ix]``."""
        a, b = self.axes
        x = np.asarray(self.grid[a], dtype=float)
        y = np.asarray(self.grid[b], dtype=float)
        z = np.asarray(self.grid[column], dtype=float)
        xs, ys = np.unique(x), np.unique(y)
        out = np.full((ys.size, xs.size), np.nan)
        out[np.searchsorted(ys, y), np.searchsorted(xs, x)] = z
        return xs, ys, out


def load_result(path: Path) -> DoeResult:
    """Read a result directory (``summary.json`` and ``design_space.csv``).

    Raises
    ------
    ValueError
        Naming the missing or unreadable file.
    """
    folder = Path(path)
    try:
        summary = json.loads((folder / SUMMARY).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{folder / SUMMARY}: not a gmp-twin doe result ({exc})") from None
    grid_file = folder / "design_space.csv"
    if not grid_file.is_file():
        raise ValueError(f"{grid_file}: missing; run gmp-twin doe again with --out {folder}")
    return DoeResult(folder, summary, read_csv(grid_file))


def find_results(root: Path) -> list[Path]:
    """Result directories under ``root`` (``root`` itself or its sub-directories), newest first."""
    base = Path(root)
    if not base.is_dir():
        return []
    found = [p.parent for p in base.glob(f"*/{SUMMARY}")]
    if (base / SUMMARY).is_file():
        found.append(base)
    return sorted(found, key=lambda p: (p / SUMMARY).stat().st_mtime, reverse=True)
