"""Monte Carlo run lengths of a control chart, vectorised over many simulated runs.

The average run length (ARL) of a chart can be computed (:mod:`analytics.spc_design`)
or *measured*: simulate many independent in-control (or shifted) series, feed each to the
chart until it signals, and average the run lengths. This module does the latter, fast:
it advances thousands of runs one time step at a time with numpy, using the charts' own
step functions (:func:`~analytics.spc_ewma.ewma_step`,
:func:`~analytics.spc_cusum.cusum_step`) and limits, and drops runs once they have
signalled. Charts without a vectorised kernel (run rules, subgroup charts) fall back to
feeding a clone of the chart value by value — slower, but the very same code.

The run length counts samples up to and including the first alarm; the shift is present
from the first sample (zero-state ARL, as in the published tables).

Examples
--------
>>> from analytics.spc import CUSUMChart
>>> rng = np.random.default_rng(7)
>>> rl = simulate_run_lengths(CUSUMChart(0.0, 1.0, k=0.5, h=4.0), 2000, shift=1.0, rng=rng)
>>> bool(7.9 < rl.mean() < 8.9)  # Brook–Evans: 8.38
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from analytics.spc_chart import Chart
from analytics.spc_cusum import CUSUMChart, cusum_step
from analytics.spc_ewma import EWMAChart, ewma_step
from analytics.spc_shewhart import IndividualsChart

IntArray = npt.NDArray[np.int64]


class _Kernel:
    """Vectorised state of ``n`` independent copies of a chart (zero state)."""

    def __init__(self, chart: Chart, n: int) -> None:
        self.chart = chart
        self.t = 0
        c = chart
        if isinstance(c, CUSUMChart):
            self.a = np.full(n, c.headstart)
            self.b = np.full(n, c.headstart)
        elif isinstance(c, EWMAChart):
            self.a = np.full(n, c.mean)
            self.b = self.a

    def step(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
        """Advance every copy by one observation ``x[i]``; return which copies alarm."""
        c = self.chart
        self.t += 1
        if isinstance(c, CUSUMChart):
            self.a, self.b = cusum_step(self.a, self.b, (x - c.mean) / c.sigma, c.k)
            return (self.a > c.h) | (self.b > c.h)
        if isinstance(c, EWMAChart):
            self.a = ewma_step(self.a, x, c.lambda_)
            return np.abs(self.a - c.mean) > c._width(self.t)
        assert isinstance(c, IndividualsChart)
        return np.abs((x - c.mean) / c.sigma) > c.L

    def keep(self, mask: npt.NDArray[np.bool_]) -> None:
        """Drop the copies where ``mask`` is False."""
        if isinstance(self.chart, CUSUMChart | EWMAChart):
            self.a = self.a[mask]
            self.b = self.b[mask]


def has_kernel(chart: Chart) -> bool:
    """Whether ``chart`` can be simulated vectorised (no run rules, no MR alarms, 1-D data).

    Examples
    --------
    >>> from analytics.spc import EWMAChart, IndividualsChart
    >>> has_kernel(EWMAChart(0.0, 1.0, 0.2, 3.0)), has_kernel(IndividualsChart(0, 1, rules="we"))
    (True, False)
    """
    if isinstance(chart, CUSUMChart | EWMAChart):
        return True
    return type(chart) is IndividualsChart and not chart.rule_ids and not chart.dispersion_alarms


def first_alarms(chart: Chart, data: npt.ArrayLike) -> IntArray:
    """Index of the first alarm in each row of ``data`` (runs × time), −1 if none.

    Vectorised over rows when the chart has a kernel, otherwise ``chart.run`` row by row;
    either way it equals ``chart.run(row).first_alarm``. NaN is not allowed here.

    Examples
    --------
    >>> from analytics.spc import EWMAChart
    >>> first_alarms(EWMAChart(0.0, 1.0, 0.5, 3.0), [[0.0, 3.0, 3.0], [0.1, 0.2, -0.1]]).tolist()
    [2, -1]
    """
    x = np.asarray(data, dtype=np.float64)
    if x.ndim != 2 or np.isnan(x).any():
        raise ValueError(f"data must be a 2-D array (runs × time) without NaN, got shape {x.shape}")
    out = np.full(x.shape[0], -1, dtype=np.int64)
    if not has_kernel(chart):
        for i, row in enumerate(x):
            fa = chart.run(row).first_alarm
            out[i] = -1 if fa is None else fa
        return out
    kernel = _Kernel(chart, x.shape[0])
    for t in range(x.shape[1]):
        alarm = kernel.step(x[:, t]) & (out < 0)
        out[alarm] = t
    return out


def simulate_run_lengths(
    chart: Chart,
    n_runs: int,
    shift: float = 0.0,
    *,
    rng: np.random.Generator | None = None,
    max_length: int = 10_000_000,
    chunk: int = 20_000,
) -> IntArray:
    """Run lengths of ``n_runs`` independent normal series with a mean shift from sample 1.

    Observations are ``mean + sigma·(shift + e)``, ``e ~ N(0, 1)`` i.i.d., so ``shift`` is
    in sigmas of one observation. Runs still silent after ``max_length`` samples raise.
    Runs are simulated ``chunk`` at a time (memory stays small), in blocks of time steps.

    Examples
    --------
    >>> from analytics.spc import IndividualsChart
    >>> rl = simulate_run_lengths(IndividualsChart(0.0, 1.0, rules="none"), 4000, 2.0,
    ...                           rng=np.random.default_rng(1))
    >>> bool(5.9 < rl.mean() < 6.7)  # 1 / P(|z + 2| > 3) = 6.30
    True
    """
    rng = np.random.default_rng() if rng is None else rng
    if not has_kernel(chart):
        return _simulate_streaming(chart, n_runs, shift, rng, max_length)
    if n_runs > chunk:
        sizes = [chunk] * (n_runs // chunk) + ([n_runs % chunk] if n_runs % chunk else [])
        parts = [simulate_run_lengths(chart, m, shift, rng=rng, max_length=max_length, chunk=chunk) for m in sizes]
        return np.concatenate(parts)
    lengths = np.zeros(n_runs, dtype=np.int64)
    active = np.arange(n_runs)
    kernel = _Kernel(chart, n_runs)
    loc = chart.mean + chart.sigma * shift
    while active.size:
        if kernel.t >= max_length:
            raise RuntimeError(f"{active.size} run(s) without an alarm after {max_length} samples")
        done = np.zeros(active.size, dtype=bool)
        for e in rng.standard_normal((64, active.size)):
            alarm = kernel.step(loc + chart.sigma * e) & ~done
            lengths[active[alarm]] = kernel.t
            done |= alarm
        kernel.keep(~done)
        active = active[~done]
    return lengths


def _simulate_streaming(chart: Chart, n_runs: int, shift: float, rng: np.random.Generator, max_length: int) -> IntArray:
    shape: tuple[int, ...] = (256,)
    if hasattr(chart, "subgroup_size"):
        shape = (256, int(chart.subgroup_size))
    loc = chart.mean + chart.sigma * shift
    lengths = np.zeros(n_runs, dtype=np.int64)
    for r in range(n_runs):
        c = chart.clone()
        t = 0
        while not lengths[r]:
            for x in (loc + chart.sigma * rng.standard_normal(shape)).tolist():
                t += 1
                if c.update(x).drift_detected:
                    lengths[r] = t
                    break
            if t >= max_length and not lengths[r]:
                raise RuntimeError(f"run {r} without an alarm after {max_length} samples")
    return lengths


@dataclass(frozen=True)
class ArlEstimate:
    """A Monte Carlo ARL with its standard error and the number of runs behind it.

    Examples
    --------
    >>> ArlEstimate(arl=100.0, se=1.0, n_runs=10_000, sd=100.0).rel_se
    0.01
    """

    arl: float
    se: float
    n_runs: int
    sd: float

    @property
    def rel_se(self) -> float:
        """Standard error relative to the estimate."""
        return self.se / self.arl


def estimate_arl(
    chart: Chart,
    shift: float = 0.0,
    *,
    rel_se: float = 0.0125,
    pilot: int = 1000,
    max_runs: int = 2_000_000,
    rng: np.random.Generator | None = None,
) -> ArlEstimate:
    """Monte Carlo ARL with enough runs for a relative standard error of about ``rel_se``.

    Two stages: a pilot of ``pilot`` runs estimates the coefficient of variation ``cv`` of
    the run length (≈ 1 for long, nearly geometric run lengths; smaller for short ones), then
    the sample is topped up to ``n = (cv / rel_se)²`` runs, since ``SE = sd / √n``.

    Examples
    --------
    >>> from analytics.spc import CUSUMChart
    >>> est = estimate_arl(CUSUMChart(0.0, 1.0, 0.5, 4.0), 2.0, rel_se=0.02, rng=np.random.default_rng(3))
    >>> abs(est.arl - 3.34) < 4 * est.se, est.rel_se <= 0.021
    (True, True)
    """
    if not (0 < rel_se < 1):
        raise ValueError(f"rel_se must be in (0, 1), got {rel_se!r}")
    rng = np.random.default_rng() if rng is None else rng
    first = simulate_run_lengths(chart, pilot, shift, rng=rng)
    cv = float(first.std(ddof=1) / first.mean())
    n = min(max_runs, max(pilot, math.ceil(1.05 * (cv / rel_se) ** 2)))
    parts: list[Any] = [first]
    if n > pilot:
        parts.append(simulate_run_lengths(chart, n - pilot, shift, rng=rng))
    rl = np.concatenate(parts)
    sd = float(rl.std(ddof=1))
    return ArlEstimate(float(rl.mean()), sd / math.sqrt(rl.size), int(rl.size), sd)
