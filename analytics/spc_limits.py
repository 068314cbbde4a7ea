"""Where a control chart's centre line and sigma come from: known values, a reference period
or the specification.

Every chart in :mod:`analytics.spc` is built from two numbers: the in-control ``mean``
of the process and the ``sigma`` (standard deviation) of one observation. They come from

* **known parameters** — e.g. a validated process target and a long-run sigma;
* **a reference period** (Phase I) — data taken while the process was known to be in
  control. Sigma is estimated from the *short-term* variation, not from the overall standard
  deviation, so that a drift inside the reference period does not inflate the limits:

  - individual values: ``sigma = MR̄ / d2(2)``, with MR the moving range ``|x[t] − x[t−1]|``
    and ``d2(2) = 2/√π ≈ 1.128``;
  - subgroups of size n: ``sigma = R̄ / d2(n)`` (mean range) or ``sigma = S̄ / c4(n)`` (mean
    subgroup standard deviation);

* **the specification** — ``centre = (LSL + USL) / 2`` and ``sigma = (USL − LSL) / (6·Cp)``.
  With the default ``cp = 1`` an individuals chart's 3σ limits coincide with the
  specification limits. This is a *convention* for a process with no data yet: specification
  limits say what the customer accepts, control limits say what the process does, and the
  two should be replaced by a reference period as soon as one exists.

The bias-correction constants ``d2``, ``d3`` (mean and standard deviation of the range of n
standard normal values) and ``c4`` (``E[s] = c4·σ``) are the standard tabulated ones
(ASTM E2587, Montgomery Appendix VI), given here to 5 decimals.

Examples
--------
>>> round(D2[5], 3), round(C4(5), 4)
(2.326, 0.94)
>>> p = estimate_individuals([10.0, 10.4, 9.9, 10.1, 10.3, 9.8])
>>> round(p.mean, 3), round(p.sigma, 3), p.source
(10.083, 0.319, 'reference')
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

#: d2(n): expected range of n independent standard normal values (n = 2 … 25).
D2: dict[int, float] = {
    2: 1.12838, 3: 1.69257, 4: 2.05875, 5: 2.32593, 6: 2.53441, 7: 2.70436, 8: 2.84720,
    9: 2.97003, 10: 3.07751, 11: 3.17287, 12: 3.25846, 13: 3.33598, 14: 3.40676,
    15: 3.47183, 16: 3.53198, 17: 3.58788, 18: 3.64006, 19: 3.68896, 20: 3.73495,
    21: 3.77834, 22: 3.81938, 23: 3.85832, 24: 3.89535, 25: 3.93063,
}  # fmt: skip

#: d3(n): standard deviation of the range of n independent standard normal values.
D3: dict[int, float] = {
    2: 0.85250, 3: 0.88837, 4: 0.87981, 5: 0.86408, 6: 0.84804, 7: 0.83320, 8: 0.81983,
    9: 0.80783, 10: 0.79705, 11: 0.78731, 12: 0.77848, 13: 0.77041, 14: 0.76302,
    15: 0.75621, 16: 0.74991, 17: 0.74405, 18: 0.73859, 19: 0.73348, 20: 0.72868,
    21: 0.72417, 22: 0.71991, 23: 0.71588, 24: 0.71207, 25: 0.70844,
}  # fmt: skip

Source = Literal["known", "reference", "specification"]


def C4(n: int) -> float:
    """Bias constant of the sample standard deviation: ``E[s] = c4(n)·σ`` for normal data.

    ``c4(n) = sqrt(2/(n−1)) · Γ(n/2) / Γ((n−1)/2)``, exact for any ``n ≥ 2``.

    Examples
    --------
    >>> round(C4(2), 4), round(C4(10), 4)
    (0.7979, 0.9727)
    """
    if n < 2:
        raise ValueError(f"c4 needs a subgroup size n >= 2, got {n}")
    return math.sqrt(2.0 / (n - 1)) * math.exp(math.lgamma(n / 2) - math.lgamma((n - 1) / 2))


def d2(n: int) -> float:
    """``d2(n)`` from the table (``2 ≤ n ≤ 25``), with a clear error outside it.

    Examples
    --------
    >>> d2(2)
    1.12838
    """
    if n not in D2:
        raise ValueError(f"d2 is tabulated for subgroup sizes 2..25, got {n}; use S̄/c4 for n > 25")
    return D2[n]


def d3(n: int) -> float:
    """``d3(n)`` from the table (``2 ≤ n ≤ 25``).

    Examples
    --------
    >>> d3(5)
    0.86408
    """
    if n not in D3:
        raise ValueError(f"d3 is tabulated for subgroup sizes 2..25, got {n}")
    return D3[n]


@dataclass(frozen=True)
class ProcessParameters:
    """In-control mean and sigma of one observation, and where they came from.

    Parameters
    ----------
    mean
        In-control process mean (the chart's centre line for x or x̄).
    sigma
        Standard deviation of ONE observation (not of a subgroup mean), > 0.
    source
        ``"known"``, ``"reference"`` or ``"specification"``.
    n_used
        Number of observations (or subgroups) an estimate is based on, 0 if known.
    notes
        Anything a user should know about how the numbers were obtained.

    Examples
    --------
    >>> ProcessParameters(5.0, 0.2).sigma
    0.2
    >>> ProcessParameters(5.0, 0.0)
    Traceback (most recent call last):
    ...
    ValueError: sigma must be a finite number > 0, got 0.0
    """

    mean: float
    sigma: float
    source: Source = "known"
    n_used: int = 0
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        check_mean_sigma(self.mean, self.sigma)


def check_mean_sigma(mean: float, sigma: float) -> None:
    """Raise a ``ValueError`` unless ``mean`` is finite and ``sigma`` finite and > 0.

    Examples
    --------
    >>> check_mean_sigma(1.0, -2.0)
    Traceback (most recent call last):
    ...
    ValueError: sigma must be a finite number > 0, got -2.0
    """
    if not (isinstance(mean, int | float | np.floating | np.integer) and math.isfinite(mean)):
        raise ValueError(f"mean must be a finite number, got {mean!r}")
    if not (isinstance(sigma, int | float | np.floating | np.integer) and math.isfinite(sigma)):
        raise ValueError(f"sigma must be a finite number > 0, got {sigma!r}")
    if sigma <= 0:
        raise ValueError(f"sigma must be a finite number > 0, got {sigma!r}")


def _as_float_array(x: npt.ArrayLike, what: str) -> npt.NDArray[np.float64]:
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must be numeric: {exc}") from None
    if np.isinf(arr).any():
        bad = np.argwhere(np.isinf(arr))[0].tolist()
        raise ValueError(f"{what} contains an infinite value at index {bad}")
    return arr


def estimate_individuals(reference: npt.ArrayLike) -> ProcessParameters:
    """Estimate mean and sigma from a reference period of individual values.

    ``mean`` is the average; ``sigma = MR̄ / d2(2)`` where ``MR̄`` is the average moving range
    of consecutive values. NaN values are dropped first (reported in ``notes``); moving
    ranges are taken between consecutive *remaining* values.

    Parameters
    ----------
    reference
        1-D data from a period when the process was in control.

    Raises
    ------
    ValueError
        Fewer than 2 valid values, or a constant reference period (MR̄ = 0, so sigma cannot
        be estimated).

    Examples
    --------
    >>> p = estimate_individuals([1.0, 2.0, 1.0, 2.0])
    >>> p.mean, round(p.sigma, 4), p.n_used
    (1.5, 0.8862, 4)
    >>> estimate_individuals([3.0, 3.0, 3.0])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: reference period is constant (all 3 values equal 3): sigma cannot be estimated ...
    """
    x = _as_float_array(reference, "reference period")
    if x.ndim != 1:
        raise ValueError(f"reference period for individuals must be 1-D, got shape {x.shape}")
    nan = np.isnan(x)
    notes: tuple[str, ...] = ()
    if nan.any():
        notes = (f"{int(nan.sum())} NaN value(s) dropped from the reference period",)
        x = x[~nan]
    if x.size < 2:
        raise ValueError(
            f"reference period has {x.size} valid value(s); at least 2 are needed to estimate sigma from moving ranges"
        )
    mr_bar = float(np.mean(np.abs(np.diff(x))))
    if mr_bar == 0.0:
        raise ValueError(
            f"reference period is constant (all {x.size} values equal {x[0]:g}): sigma cannot "
            "be estimated from it; give sigma explicitly or use a reference period with variation"
        )
    return ProcessParameters(float(np.mean(x)), mr_bar / D2[2], "reference", int(x.size), notes)


def estimate_subgroups(reference: npt.ArrayLike, dispersion: Literal["range", "s"] = "range") -> ProcessParameters:
    """Estimate mean and sigma from reference subgroups (rows = subgroups of equal size n).

    ``mean`` is the grand mean; ``sigma = R̄ / d2(n)`` (``dispersion="range"``, the usual
    choice for n ≤ 10) or ``sigma = S̄ / c4(n)`` (``dispersion="s"``, better for larger n).
    Subgroups containing NaN are dropped (reported in ``notes``).

    Examples
    --------
    >>> p = estimate_subgroups([[1.0, 2.0, 3.0], [2.0, 3.0, 4.0]])
    >>> p.mean, round(p.sigma, 4)
    (2.5, 1.1816)
    >>> round(estimate_subgroups([[1.0, 2.0, 3.0], [2.0, 3.0, 4.0]], "s").sigma, 4)
    1.1284
    """
    x = _as_float_array(reference, "reference subgroups")
    if x.ndim != 2 or x.shape[1] < 2:
        raise ValueError(f"reference subgroups must be 2-D (subgroups × n, n >= 2), got shape {x.shape}")
    n = x.shape[1]
    bad = np.isnan(x).any(axis=1)
    notes: tuple[str, ...] = ()
    if bad.any():
        notes = (f"{int(bad.sum())} subgroup(s) with NaN dropped from the reference period",)
        x = x[~bad]
    if x.shape[0] < 1:
        raise ValueError("reference period has no complete subgroup")
    if dispersion == "range":
        spread = float(np.mean(np.ptp(x, axis=1)))
        sigma = spread / d2(n)
    elif dispersion == "s":
        spread = float(np.mean(np.std(x, axis=1, ddof=1)))
        sigma = spread / C4(n)
    else:
        raise ValueError(f"dispersion must be 'range' or 's', got {dispersion!r}")
    if spread == 0.0:
        raise ValueError(
            f"reference period is constant within every subgroup ({x.shape[0]} subgroups): "
            "sigma cannot be estimated from it; give sigma explicitly"
        )
    return ProcessParameters(float(np.mean(x)), sigma, "reference", int(x.shape[0]), notes)


def from_specification(lsl: float, usl: float, cp: float = 1.0) -> ProcessParameters:
    """Centre and sigma from specification limits: a stand-in until reference data exist.

    ``mean = (LSL + USL) / 2`` and ``sigma = (USL − LSL) / (6·cp)``: the process is assumed
    centred and exactly as capable as ``cp`` says (``cp = 1``: ±3σ fills the tolerance).

    Examples
    --------
    >>> p = from_specification(9.0, 11.0)
    >>> p.mean, round(p.sigma, 4), p.source
    (10.0, 0.3333, 'specification')
    >>> round(from_specification(9.0, 11.0, cp=1.33).sigma, 4)
    0.2506
    """
    for name, v in (("lsl", lsl), ("usl", usl), ("cp", cp)):
        if not math.isfinite(v):
            raise ValueError(f"{name} must be finite, got {v!r}")
    if usl <= lsl:
        raise ValueError(f"specification needs LSL < USL, got LSL={lsl!r}, USL={usl!r}")
    if cp <= 0:
        raise ValueError(f"cp must be > 0, got {cp!r}")
    note = f"centre = (LSL+USL)/2, sigma = (USL-LSL)/(6*Cp) with Cp = {cp:g}"
    return ProcessParameters((lsl + usl) / 2, (usl - lsl) / (6 * cp), "specification", 0, (note,))
