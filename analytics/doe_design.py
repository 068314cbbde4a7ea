"""Designs of experiments for ``gmp-twin doe``: factors, coded units and the classical designs.

A design is a matrix of runs × factors in *coded* units: −1 is a factor's low level, +1 its
high level, 0 the centre (``real = centre + coded·half_range``). The designs come from
``pyDOE3`` (factorials, central composite, Box-Behnken) and ``scipy.stats.qmc`` (Latin
hypercube); this module only names them, adds centre points and scales to real units.

========  ==========================================================  ===================
name      design                                                      runs (k factors)
========  ==========================================================  ===================
``full``  full factorial at ``levels`` levels per factor (``fullfact``)  levels^k
``ff2``   two-level full factorial (``ff2n``) + centre points          2^k + c
``frac``  two-level fractional factorial of a given resolution         2^(k−p) + c
          (``fracfact_by_res``) + centre points
``ccd``   central composite, face-centred (``ccdesign``, ``ccf``):     2^k + 2k + c
          the star points stay inside the ranges
``ccc``   central composite, circumscribed, rotatable: star points at  2^k + 2k + c
          ±α = ±(2^k)^¼ *beyond* the ranges
``cci``   central composite, inscribed (the ccc design shrunk inside)  2^k + 2k + c
``bbd``   Box-Behnken (k ≥ 3; no corner runs)                          ≈ 2k(k−1) + c
``lhs``   Latin hypercube of ``runs`` runs, centred-discrepancy         runs
          optimised (``scipy.stats.qmc.LatinHypercube``, seeded)
========  ==========================================================  ===================

Examples
--------
>>> f = [Factor("inlet_temperature", 50, 80, "°C"), Factor("air_flow", 200, 450, "m³/h")]
>>> d = make_design("ccd", 2, center=3)
>>> d.shape, float(d.min()), float(d.max())
((11, 2), -1.0, 1.0)
>>> to_real(d[:2], f).tolist()
[[50.0, 200.0], [50.0, 450.0]]
>>> make_design("ccd", 1)
Traceback (most recent call last):
...
ValueError: design ccd needs at least 2 factors, got 1
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["DESIGNS", "Factor", "default_center", "make_design", "to_coded", "to_real"]

#: Design names and a one-line description (the CLI's help and error messages).
DESIGNS: dict[str, str] = {
    "full": "full factorial at --levels levels per factor",
    "ff2": "two-level full factorial + centre points",
    "frac": "two-level fractional factorial of --resolution + centre points",
    "ccd": "central composite, face-centred (star points on the faces: inside the ranges)",
    "ccc": "central composite, circumscribed and rotatable (star points beyond the ranges)",
    "cci": "central composite, inscribed (rotatable, shrunk inside the ranges)",
    "bbd": "Box-Behnken (3 factors or more)",
    "lhs": "Latin hypercube of --runs runs (space-filling, seeded)",
}


@dataclass(frozen=True)
class Factor:
    """A factor varied by the design, between ``low`` and ``high`` (real units).

    Examples
    --------
    >>> Factor("ph", 7.0, 6.0)
    Traceback (most recent call last):
    ...
    ValueError: factor ph: low 7.0 must be below high 6.0
    """

    name: str
    low: float
    high: float
    unit: str = ""

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ValueError(f"factor {self.name}: low and high must be finite numbers, got {self.low}, {self.high}")
        if not self.low < self.high:
            raise ValueError(f"factor {self.name}: low {self.low} must be below high {self.high}")

    @property
    def center(self) -> float:
        return 0.5 * (self.low + self.high)

    @property
    def half_range(self) -> float:
        return 0.5 * (self.high - self.low)


def default_center(design: str) -> int:
    """Centre points added by default: 3 for the two-level, composite and Box-Behnken designs
    (they estimate the pure error and curvature), none for ``full`` (its 3-level grid has a
    centre) and ``lhs``.

    >>> default_center("ccd"), default_center("lhs")
    (3, 0)
    """
    return 0 if design in ("full", "lhs") else 3


def make_design(
    design: str,
    k: int,
    *,
    center: int | None = None,
    levels: int = 3,
    resolution: int = 4,
    runs: int | None = None,
    seed: int = 0,
) -> np.ndarray:
    """The coded design matrix (runs × ``k``) of ``design`` (see :data:`DESIGNS`).

    Parameters
    ----------
    design : str
        One of :data:`DESIGNS`.
    k : int
        Number of factors.
    center : int, optional
        Centre points added (default :func:`default_center`); ignored by ``full`` and ``lhs``.
    levels : int
        Levels per factor of ``full`` (≥ 2).
    resolution : int
        Resolution of ``frac`` (3: main effects aliased with two-factor interactions; 4: main
        effects clear; 5: two-factor interactions clear). When no proper fraction of that
        resolution exists (few factors) the design is the full two-level factorial.
    runs : int, optional
        Number of runs of ``lhs`` (required there).
    seed : int
        Seed of the ``lhs`` sampler.

    Raises
    ------
    ValueError
        Naming the design and what it needs.

    Examples
    --------
    >>> make_design("frac", 5, resolution=3, center=0).shape
    (8, 5)
    >>> make_design("lhs", 2, runs=5, seed=1).shape
    (5, 2)
    >>> make_design("bbd", 2)
    Traceback (most recent call last):
    ...
    ValueError: design bbd needs at least 3 factors, got 2
    """
    import pyDOE3  # imported here: 0.6 s at start-up of every gmp-twin command
    from scipy.stats import qmc

    if design not in DESIGNS:
        raise ValueError(f"unknown design {design!r}; choose one of {', '.join(DESIGNS)}")
    if k < 1:
        raise ValueError(f"design {design} needs at least 1 factor, got {k}")
    minimum = {"ccd": 2, "ccc": 2, "cci": 2, "bbd": 3}.get(design, 1)
    if k < minimum:
        raise ValueError(f"design {design} needs at least {minimum} factors, got {k}")
    c = default_center(design) if center is None else int(center)
    if c < 0:
        raise ValueError(f"centre points must be >= 0, got {c}")
    centre = np.zeros((c, k))
    if design == "full":
        if levels < 2:
            raise ValueError(f"design full needs --levels >= 2, got {levels}")
        grid = pyDOE3.fullfact([levels] * k)
        return np.asarray(2.0 * grid / (levels - 1) - 1.0, dtype=float)
    if design == "ff2":
        return np.vstack([pyDOE3.ff2n(k), centre])
    if design == "frac":
        if resolution < 3:
            raise ValueError(f"design frac needs --resolution >= 3, got {resolution}")
        base = _fraction(k, resolution)
        return np.vstack([np.asarray(base, dtype=float), centre])
    if design in ("ccd", "ccc", "cci"):
        face = {"ccd": "ccf", "ccc": "circumscribed", "cci": "inscribed"}[design]
        # All centre points in the star block: the runs are simulated, not blocked by day.
        pts = pyDOE3.ccdesign(k, center=(0, c), alpha="rotatable", face=face)
        return np.asarray(pts, dtype=float)
    if design == "bbd":
        return np.asarray(pyDOE3.bbdesign(k, center=c), dtype=float)
    # lhs
    if runs is None or runs < 2:
        raise ValueError(f"design lhs needs --runs >= 2, got {runs}")
    sampler = qmc.LatinHypercube(d=k, optimization="random-cd", rng=np.random.default_rng(seed))
    return np.asarray(2.0 * sampler.random(runs) - 1.0, dtype=float)


def _fraction(k: int, resolution: int) -> np.ndarray:
    """The smallest two-level fraction of ``k`` factors with at least that resolution.

    ``pyDOE3.fracfact_by_res`` misses the half fractions whose generator is the product of all
    the other factors (resolution k: e.g. 2^(4−1) IV, 2^(5−1) V); with fewer factors than the
    resolution only the full factorial qualifies.

    >>> _fraction(4, 4).shape, _fraction(5, 5).shape, _fraction(3, 4).shape
    ((8, 4), (16, 5), (8, 3))
    """
    import pyDOE3  # imported here: 0.6 s at start-up of every gmp-twin command

    try:
        return np.asarray(pyDOE3.fracfact_by_res(k, resolution), dtype=float)
    except ValueError:
        pass
    if 3 <= resolution <= k:
        letters = "abcdefghijklmnopqrstuvwxyz"[: k - 1]
        return np.asarray(pyDOE3.fracfact(" ".join(letters) + " " + letters), dtype=float)
    return np.asarray(pyDOE3.ff2n(k), dtype=float)


def to_real(coded: np.ndarray, factors: Sequence[Factor]) -> np.ndarray:
    """Coded units → real units, column by column."""
    mid = np.array([f.center for f in factors])
    half = np.array([f.half_range for f in factors])
    return np.asarray(coded, dtype=float) * half + mid


def to_coded(real: np.ndarray, factors: Sequence[Factor]) -> np.ndarray:
    """Real units → coded units (−1 at ``low``, +1 at ``high``).

    >>> to_coded(np.array([[65.0]]), [Factor("t", 50, 80)]).tolist()
    [[0.0]]
    """
    mid = np.array([f.center for f in factors])
    half = np.array([f.half_range for f in factors])
    return (np.asarray(real, dtype=float) - mid) / half
