"""Golden batch: the per-maturity envelope of good batches and their batch-level PCA model.

A *golden batch model* (SIMCA-online's batch evolution and batch level models, after Nomikos &
MacGregor 1995) is built from N reference batches of one unit that went well
(:func:`analytics.golden_build.build_model`). Each batch is cut into windows of ``window_s``
seconds (the same window means the live detector sees), *aligned on maturity* (batch time,
drying time, or an indicator such as the cumulative feed) and interpolated on a common grid of
K maturity points. Then, for each variable j (the CPPs and PAT CQAs) and maturity k:

* the **envelope**: the mean trajectory ``mean[k, j]`` and the spread ``sigma[k, j]`` of one
  window mean of a good batch, drawn as ±2σ (warning) and ±3σ (action) bands;
* the **batch-level model**: a PCA of the batch-wise unfolded, scaled deviations
  (N batches × K·J), whose scores a running batch gets from its known part (projection to the
  model plane), with a Hotelling T² and an SPE limit per maturity (:mod:`analytics.golden_mpca`).

The spread of one window mean has four parts, because the live detector compares *noisy
window means of a new batch* with it::

    sigma² = sd_batch² + sd_align² + noise_sd² / n + floor²

``sd_batch`` is the between-batch standard deviation of the (noise-free) reference window
means; ``sd_align`` covers where a window falls on a fast change (half the change of the mean
trajectory over one window); ``noise_sd² / n`` is the sensor noise of a mean of ``n`` readings
(``n`` counted live; :attr:`GoldenModel.n_ref` for the drawn envelope); ``floor`` is the
noise sd of one reading (at least 1e-3 of the variable's overall spread): a loop that holds
its setpoint better than its sensor's noise says nothing about the batch.

File format (``.npz``, :meth:`GoldenModel.save` / :meth:`GoldenModel.load`): numpy arrays
``grid`` (K), ``mean``, ``sd_batch``, ``sd_align`` (K×J), ``noise_sd``, ``floor`` (J),
``loadings`` (K×J×A), ``eigenvalues`` (A), ``t2_limit``, ``spe_limit`` (K), and ``meta``, one
JSON text with everything else (unit, variables and their units, maturity, active phase,
window, limits' rule and alpha, the reference batches and how they were made). A ``.json``
summary of the same metadata is written beside it for people; the ``.npz`` is what is read.

Examples
--------
>>> import numpy as np
>>> m = GoldenModel.example()
>>> m.variables, m.grid[[0, -1]].tolist()
(['a', 'b'], [0.0, 10.0])
>>> lo, hi = m.band(5.0, 3.0)
>>> [round(v, 3) for v in lo], [round(v, 3) for v in hi]
([2.0, 5.0], [8.0, 11.0])
>>> m.zscores(5.0, np.array([5.0, 14.0])).round(2).tolist()
[0.0, 6.0]
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["FORMAT", "GoldenModel", "GoldenModelError", "default_model_path"]

#: ``meta["format"]`` of the files this module writes and reads.
FORMAT = "gmp-twin golden model 1"
_ARRAYS = (
    "grid",
    "mean",
    "sd_batch",
    "sd_align",
    "noise_sd",
    "floor",
    "loadings",
    "eigenvalues",
    "t2_limit",
    "spe_limit",
)


class GoldenModelError(ValueError):
    """A golden model file that cannot be used (missing, wrong format): the message says how to fix it."""


def default_model_path(unit: str, data_dir: str | Path = "data") -> Path:
    """Where ``gmp-twin golden build`` stores the model of ``unit`` by default.

    >>> default_model_path("bioreactor-1").as_posix()
    'data/golden/bioreactor-1.npz'
    """
    return Path(data_dir) / "golden" / f"{unit}.npz"


@dataclass
class GoldenModel:
    """A golden batch model (see the module docstring); arrays indexed [maturity k, variable j, component a].

    Parameters
    ----------
    unit, unit_type : str
        The unit (historian ``unit`` tag) and its type.
    variables, units : list of str
        Tags in the model and their engineering units.
    maturity : str
        Tag giving the batch's maturity (``batch_time``, ``drying_time``, ``feed_total``...).
    maturity_unit : str
        Its unit (``h``, ``min``, ``l``).
    clock : (str, float)
        A tag counting the batch's time and its seconds per unit (``("batch_time", 3600)``):
        where the current batch started.
    active : (str, list of float) or None
        ``(phase tag, values)``: the batch is scored only while the tag has one of these values
        (dryer: ``("phase", [1])``, drying). ``None``: always.
    window_s : float
        Length of the reference windows, s.
    n_ref : float
        Readings per window assumed for the drawn envelope and the model's scaling.
    alpha : float
        False-alarm rate of each per-maturity limit (T², SPE).
    sigma_limit : float
        The envelope's action limit, in σ (3); ±2σ is drawn as the warning band.
    """

    unit: str
    unit_type: str
    variables: list[str]
    units: list[str]
    maturity: str
    maturity_unit: str
    clock: tuple[str, float]
    active: tuple[str, list[float]] | None
    window_s: float
    grid: np.ndarray
    mean: np.ndarray
    sd_batch: np.ndarray
    sd_align: np.ndarray
    noise_sd: np.ndarray
    floor: np.ndarray
    loadings: np.ndarray
    eigenvalues: np.ndarray
    t2_limit: np.ndarray
    spe_limit: np.ndarray
    n_ref: float = 30.0
    alpha: float = 0.01
    sigma_limit: float = 3.0
    #: Everything else worth keeping: reference batches, variability, component rule, build time.
    info: dict[str, Any] = field(default_factory=dict)

    # -- shape -----------------------------------------------------------------------------
    @property
    def n_components(self) -> int:
        return int(self.loadings.shape[2])

    @property
    def n_batches(self) -> int:
        return int(self.info.get("n_batches", 0))

    def sigma(self, n: np.ndarray | float | None = None) -> np.ndarray:
        """σ of one window mean of a good batch at every grid point (K×J), for ``n`` readings per
        window (per variable, or one number; default :attr:`n_ref`)."""
        n_read = np.asarray(self.n_ref if n is None else n, dtype=float)
        noise = self.noise_sd**2 / np.maximum(n_read, 1.0)
        return np.sqrt(self.sd_batch**2 + self.sd_align**2 + noise + self.floor**2)

    def index(self, maturity: float) -> int:
        """The grid cell of ``maturity`` (nearest grid point); -1 before the grid, K beyond it.

        >>> m = GoldenModel.example()
        >>> m.index(-3.0), m.index(0.4), m.index(9.8), m.index(10.6)
        (-1, 0, 10, 11)
        """
        g = self.grid
        half = 0.5 * (g[1] - g[0]) if len(g) > 1 else 0.5
        if maturity < g[0] - half:
            return -1
        if maturity > g[-1] + half:
            return len(g)
        return int(np.argmin(np.abs(g - maturity)))

    def at(self, maturity: float, n: np.ndarray | float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(mean, sigma)`` of every variable at ``maturity``, linear between grid points."""
        g = self.grid
        k = int(np.clip(np.searchsorted(g, maturity) - 1, 0, max(len(g) - 2, 0)))
        w = 0.0 if len(g) < 2 else float(np.clip((maturity - g[k]) / (g[k + 1] - g[k]), 0.0, 1.0))
        k1 = min(k + 1, len(g) - 1)
        mean = (1.0 - w) * self.mean[k] + w * self.mean[k1]
        n_read = np.asarray(self.n_ref if n is None else n, dtype=float)
        noise = self.noise_sd**2 / np.maximum(n_read, 1.0)
        sb = (1.0 - w) * self.sd_batch[k] + w * self.sd_batch[k1]
        sa = (1.0 - w) * self.sd_align[k] + w * self.sd_align[k1]
        return mean, np.sqrt(sb**2 + sa**2 + noise + self.floor**2)

    def zscores(self, maturity: float, values: np.ndarray, n: np.ndarray | float | None = None) -> np.ndarray:
        """Deviation of one window's ``values`` from the golden mean, in σ of that maturity."""
        mean, sigma = self.at(maturity, n)
        return (np.asarray(values, dtype=float) - mean) / sigma

    def band(self, maturity: float, k_sigma: float) -> tuple[list[float], list[float]]:
        """Low and high edge of the ``k_sigma`` band of every variable at ``maturity``."""
        mean, sigma = self.at(maturity)
        return (mean - k_sigma * sigma).tolist(), (mean + k_sigma * sigma).tolist()

    def covers(self, maturity: float) -> bool:
        """Whether ``maturity`` lies on the grid (up to half a cell beyond either end)."""
        return 0 <= self.index(maturity) < len(self.grid)

    def is_active(self, values: dict[str, float]) -> bool:
        """Whether a window with these values is scored (the active phase, if the model has one)."""
        if self.active is None:
            return True
        tag, phases = self.active
        value = values.get(tag)
        return value is not None and math.isfinite(value) and round(value) in {round(p) for p in phases}

    def watched(self) -> list[str]:
        """Every tag a live detector of this model reads: variables, maturity, clock and phase."""
        extra = [self.maturity, self.clock[0], *([self.active[0]] if self.active else [])]
        return list(dict.fromkeys([*self.variables, *extra]))

    # -- file ------------------------------------------------------------------------------
    def meta(self) -> dict[str, Any]:
        """The JSON metadata (everything but the arrays)."""
        return {
            "format": FORMAT,
            "unit": self.unit,
            "unit_type": self.unit_type,
            "variables": self.variables,
            "units": self.units,
            "maturity": self.maturity,
            "maturity_unit": self.maturity_unit,
            "clock": list(self.clock),
            "active": None if self.active is None else [self.active[0], list(self.active[1])],
            "window_s": self.window_s,
            "n_ref": self.n_ref,
            "alpha": self.alpha,
            "sigma_limit": self.sigma_limit,
            "grid_points": len(self.grid),
            "n_components": self.n_components,
            "info": self.info,
        }

    def save(self, path: str | Path) -> Path:
        """Write the ``.npz`` model and its ``.json`` summary; returns the ``.npz`` path."""
        path = Path(path)
        if path.suffix != ".npz":
            raise GoldenModelError(f"{path}: a golden model file ends in .npz")
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = json.dumps(self.meta(), ensure_ascii=False, indent=1, default=float)
        arrays: dict[str, Any] = {name: np.asarray(getattr(self, name), dtype=float) for name in _ARRAYS}
        tmp = path.with_suffix(".tmp.npz")
        np.savez_compressed(tmp, meta=np.array(meta), **arrays)
        tmp.replace(path)  # a running detector never reads half a file
        path.with_suffix(".json").write_text(meta + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> GoldenModel:
        """Read a model written by :meth:`save` (:class:`GoldenModelError` says what is wrong)."""
        path = Path(path)
        if not path.is_file():
            raise GoldenModelError(
                f"{path}: no golden model; build it with `gmp-twin golden build --unit <unit> --out {path}`"
            )
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                arrays: dict[str, Any] = {name: np.array(data[name]) for name in _ARRAYS}
        except (OSError, ValueError, KeyError) as exc:
            raise GoldenModelError(f"{path}: not a golden model file ({exc}); build it again") from None
        if meta.get("format") != FORMAT:
            raise GoldenModelError(f"{path}: format {meta.get('format')!r}, expected {FORMAT!r}; build it again")
        active = meta["active"]
        names = {f.name for f in fields(cls)}
        plain = {k: v for k, v in meta.items() if k in names and k not in ("clock", "active")}
        return cls(
            **plain,
            clock=(str(meta["clock"][0]), float(meta["clock"][1])),
            active=None if active is None else (str(active[0]), [float(v) for v in active[1]]),
            **arrays,
        )

    # -- a tiny model for examples and tests -------------------------------------------------
    @classmethod
    def example(cls) -> GoldenModel:
        """Two variables on 11 maturity points: ``a`` = 5 ± 1, ``b`` = 8 ± 1, one component."""
        k, j = 11, 2
        grid = np.linspace(0.0, 10.0, k)
        mean = np.column_stack([np.full(k, 5.0), np.full(k, 8.0)])
        loadings = np.full((k, j, 1), 1.0 / math.sqrt(k * j))
        return cls(
            unit="u", unit_type="t", variables=["a", "b"], units=["", ""], maturity="m", maturity_unit="h",
            clock=("m", 3600.0), active=None, window_s=60.0, grid=grid, mean=mean,
            sd_batch=np.ones((k, j)), sd_align=np.zeros((k, j)), noise_sd=np.zeros(j), floor=np.full(j, 1e-3),
            loadings=loadings, eigenvalues=np.array([1.0]), t2_limit=np.full(k, 9.0), spe_limit=np.full(k, 9.0),
        )  # fmt: skip
