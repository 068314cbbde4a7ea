"""Shadow mode: the residual of a plant against its twin, per tag (pure numpy).

A twin in *shadow* runs beside the real unit, fed with the plant's inputs (setpoints, modes,
manual outputs), and predicts what each instrument should read. The **residual** of a tag is
what the plant measured minus what the twin predicted, ``plc − sim``: noise around a constant
while plant and model agree, a drift or a step when the equipment changes (a worn pump, a
fouled heater, a drifting probe), even when its controller hides it in the controlled value.

The two series are sampled differently: the plant's by its bridge (report by exception,
irregular), the twin's on a regular grid without noise. The residual is evaluated **at the
plant's sample times**, with the twin's value interpolated linearly between its two grid points
around it (a twin point further than ``max_gap_ns`` away counts as missing: NaN).

Residuals are then averaged in **windows** of ``window_s`` aligned on the epoch
(:func:`window_means`): one chart point per window, so the chart's timing does not depend on
how often the bridge reported, and the noise shrinks by √n. The in-control mean and sigma of
the window means come from a **reference** period (:func:`reference_of`), see
:mod:`analytics.shadow_spc` for the live charts and alarms.

Examples
--------
>>> plant_t = np.array([0, 5, 10, 15]) * NS_PER_S
>>> twin_t = np.array([0, 10, 20]) * NS_PER_S
>>> t, r = residuals(plant_t, np.array([1.0, 2.0, 3.0, 5.0]), twin_t, np.array([1.0, 2.0, 4.0]), 15 * NS_PER_S)
>>> r.tolist()  # the twin at 5 s is 1.5 (interpolated), at 15 s 3.0
[0.0, 0.5, 1.0, 2.0]
>>> w = window_means(np.array([0, 4, 11, 12, 31]) * NS_PER_S, np.array([1.0, 3.0, 2.0, 4.0, 7.0]), 10.0)
>>> w.time_ns.tolist(), w.mean.tolist(), w.count.tolist()
([0, 10000000000, 30000000000], [2.0, 3.0, 7.0], [2, 2, 1])
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.stats import chi2

__all__ = [
    "NS_PER_S",
    "ResidualReference",
    "Windows",
    "lag1_autocorrelation",
    "reference_of",
    "residuals",
    "window_means",
]

NS_PER_S = 1_000_000_000
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: The reference's sigma is the upper bound of this one-sided confidence (as a lower χ² quantile).
SIGMA_CONFIDENCE = 0.05
#: Above this lag-1 autocorrelation of the reference window means, the chart's false-alarm
#: rate is well above its design (the same threshold ``gmp-twin analyze spc`` warns at).
HIGH_LAG1 = 0.5


def residuals(
    plant_t: npt.ArrayLike,
    plant_v: npt.ArrayLike,
    twin_t: npt.ArrayLike,
    twin_v: npt.ArrayLike,
    max_gap_ns: int,
) -> tuple[IntArray, FloatArray]:
    """``plc − sim`` at each plant sample time (NaN where the twin has no value near it).

    Parameters
    ----------
    plant_t, plant_v
        The plant's samples (ns, oldest first) and values (NaN for a bad one).
    twin_t, twin_v
        The twin's samples on its grid (ns, oldest first).
    max_gap_ns
        Two twin points further apart than this around a plant time (or a plant time outside
        the twin's span) give NaN: the twin was not running there.

    Returns
    -------
    (times, residuals)
        The plant's times and the residuals, same length.

    Examples
    --------
    >>> residuals([5, 50], [1.0, 1.0], [0, 10], [0.0, 2.0], max_gap_ns=20)[1].tolist()
    [0.0, nan]
    """
    pt = np.asarray(plant_t, dtype=np.int64)
    pv = np.asarray(plant_v, dtype=np.float64)
    tt = np.asarray(twin_t, dtype=np.int64)
    tv = np.asarray(twin_v, dtype=np.float64)
    if pt.shape != pv.shape or tt.shape != tv.shape:
        raise ValueError(
            f"times and values differ in length: plant {pt.shape} vs {pv.shape}, twin {tt.shape} vs {tv.shape}"
        )
    out = np.full(pt.shape, np.nan)
    if len(tt) == 0 or len(pt) == 0:
        return pt, out
    # Index of the first twin point at or after each plant time: the bracket is [j-1, j].
    j = np.searchsorted(tt, pt, side="left")
    exact = (j < len(tt)) & (tt[np.minimum(j, len(tt) - 1)] == pt)
    inside = (j > 0) & (j < len(tt))
    lo = np.clip(j - 1, 0, len(tt) - 1)
    hi = np.clip(j, 0, len(tt) - 1)
    near = inside & ((tt[hi] - tt[lo]) <= max_gap_ns)
    ok = exact | near
    # Relative times keep the interpolation exact in float64 (epoch ns lose digits).
    base = tt[0]
    predicted = np.interp((pt[ok] - base).astype(np.float64), (tt - base).astype(np.float64), tv)
    out[ok] = pv[ok] - predicted
    return pt, out


@dataclass(frozen=True)
class Windows:
    """Residual window means: one row per window that holds at least one residual."""

    time_ns: IntArray
    mean: FloatArray
    count: IntArray

    def __len__(self) -> int:
        return len(self.time_ns)


def window_means(times: npt.ArrayLike, values: npt.ArrayLike, window_s: float) -> Windows:
    """Mean of the finite ``values`` in windows of ``window_s`` aligned on the epoch (start time).

    Examples
    --------
    >>> w = window_means([0, 1, 2], [1.0, float("nan"), 3.0], 1e-9)
    >>> w.time_ns.tolist(), w.mean.tolist()
    ([0, 2], [1.0, 3.0])
    """
    if not (window_s > 0 and math.isfinite(window_s)):
        raise ValueError(f"window_s must be a finite number > 0, got {window_s!r}")
    t = np.asarray(times, dtype=np.int64)
    v = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(v)
    t, v = t[ok], v[ok]
    width = max(1, round(window_s * NS_PER_S))
    if len(t) == 0:
        return Windows(np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64))
    keys, inverse, counts = np.unique(t - t % width, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=v, minlength=len(keys))
    return Windows(keys.astype(np.int64), sums / counts, counts.astype(np.int64))


def lag1_autocorrelation(x: npt.ArrayLike) -> float:
    """Lag-1 autocorrelation of a series (NaN with fewer than 3 values or no variation).

    >>> round(lag1_autocorrelation([1.0, 2.0, 3.0, 4.0, 5.0]), 2)
    0.4
    """
    a = np.asarray(x, dtype=np.float64)
    a = a[np.isfinite(a)]
    if len(a) < 3:
        return math.nan
    d = a - a.mean()
    denom = float(np.dot(d, d))
    return math.nan if denom == 0.0 else float(np.dot(d[:-1], d[1:]) / denom)


@dataclass(frozen=True)
class ResidualReference:
    """In-control behaviour of one tag's residual window means: the chart's centre and sigma.

    Attributes
    ----------
    tag
        The tag.
    mean, sigma
        Mean of the reference window means, and the upper 95 % confidence bound of their standard
        deviation (see :func:`reference_of`), at least ``sigma_floor`` (a tag whose residual never
        varied, e.g. a quantised reading).
    n
        Window means in the reference.
    lag1
        Their lag-1 autocorrelation (NaN when it cannot be computed).
    start_ns, stop_ns
        The reference period.
    notes
        What a user must know (floor applied, high autocorrelation).
    """

    tag: str
    mean: float
    sigma: float
    n: int
    lag1: float
    start_ns: int
    stop_ns: int
    notes: tuple[str, ...] = field(default=())

    def to_fields(self) -> dict[str, Any]:
        """The fields of the ``shadow_reference`` event (JSON-safe; NaN left out)."""
        out: dict[str, Any] = {
            "tag": self.tag,
            "mean": self.mean,
            "sigma": self.sigma,
            "n": self.n,
            "start_ns": self.start_ns,
            "stop_ns": self.stop_ns,
            "notes": "; ".join(self.notes),
        }
        if math.isfinite(self.lag1):
            out["lag1"] = self.lag1
        return out

    @classmethod
    def from_fields(cls, fields: dict[str, Any]) -> ResidualReference:
        """Back from :meth:`to_fields` (a ``shadow_reference`` event read from the historian)."""
        notes = str(fields.get("notes") or "")
        return cls(
            str(fields["tag"]),
            float(fields["mean"]),
            float(fields["sigma"]),
            int(fields.get("n", 0)),
            float(fields.get("lag1", math.nan)),
            int(fields.get("start_ns", 0)),
            int(fields.get("stop_ns", 0)),
            tuple(n for n in notes.split("; ") if n),
        )


def reference_of(
    tag: str, windows: Windows, start_ns: int, stop_ns: int, sigma_floor: float, min_windows: int = 10
) -> ResidualReference:
    """Estimate a tag's in-control residual from the window means in ``[start_ns, stop_ns)``.

    The sample standard deviation is used, not the moving range: residual windows of a closed
    loop wander slowly, and MR̄/d2 would then underestimate sigma and raise false alarms. And it
    is raised to its upper 95 % confidence bound, ``s·sqrt((n−1)/χ²₀.₀₅(n−1))`` (+10 % for 180
    windows): a chart designed for a long in-control ARL is very sensitive to an underestimated
    sigma (the estimation effect, Jensen et al. 2006), and a reference that happened to be quiet
    would otherwise tighten the limits of the whole run.

    Raises
    ------
    ValueError
        Fewer than ``min_windows`` window means in the period (the message says how many).

    Examples
    --------
    >>> w = Windows(np.arange(12, dtype=np.int64), np.array([0.1, -0.1] * 6), np.ones(12, dtype=np.int64))
    >>> ref = reference_of("L", w, 0, 12, sigma_floor=0.01)
    >>> round(ref.mean, 6), round(ref.sigma, 4), ref.n, round(ref.lag1, 2), ref.notes[0][:28]
    (0.0, 0.162, 12, -0.92, 'lag-1 autocorrelation -0.92:')
    """
    inside = (windows.time_ns >= start_ns) & (windows.time_ns < stop_ns)
    x = windows.mean[inside]
    if len(x) < min_windows:
        raise ValueError(
            f"tag {tag!r}: {len(x)} residual window(s) in the reference period, at least {min_windows} needed "
            "(a longer reference, a shorter window, or check that the plant and the twin both report the tag)"
        )
    notes: list[str] = []
    sigma = float(np.std(x, ddof=1)) * math.sqrt((len(x) - 1) / chi2.ppf(SIGMA_CONFIDENCE, len(x) - 1))
    if not sigma >= sigma_floor:
        notes.append(f"residual sigma {sigma:.3g} raised to the floor {sigma_floor:.3g}")
        sigma = sigma_floor
    lag1 = lag1_autocorrelation(x)
    if math.isfinite(lag1) and abs(lag1) > HIGH_LAG1:
        notes.append(
            f"lag-1 autocorrelation {lag1:.2f}: window means are not independent, expect more false alarms "
            "than the chart's design (a longer window, or a slower-moving chart)"
        )
    return ResidualReference(tag, float(np.mean(x)), sigma, len(x), lag1, int(start_ns), int(stop_ns), tuple(notes))
