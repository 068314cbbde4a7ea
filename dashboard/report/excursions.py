"""Time a critical parameter spent outside its NOR and PAR, counted only where the bands hold.

A sample stands for the time until the next sample (the last one until the batch's end): the
twin publishes by exception, so a value holds until it changes. Bands with a phase condition
(``bands_when``: dryer drying, autoclave hold, bioreactor fed-batch) are judged only while the
unit's phase tag had one of those values; NaN (bad quality) counts as neither in nor out.

Examples
--------
>>> S = 1_000_000_000
>>> t = [0, 10 * S, 20 * S, 30 * S, 40 * S]
>>> v = [65.0, 72.0, 80.0, 66.0, 90.0]
>>> phase = [(0, 1), (40 * S, 2)]  # drying until 40 s: the last value is outside the phase
>>> e = excursion(t, v, 50 * S, (60.0, 70.0), (55.0, 75.0), phase, (1,))
>>> e.judged_s, e.outside_nor_s, e.outside_par_s, e.worst
(40.0, 20.0, 10.0, 80.0)
>>> [(x.start_ns // S, x.end_ns // S, x.level) for x in e.episodes]
[(10, 30, 'par')]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

_S = 1e9
#: Episodes listed per parameter (the totals count them all).
MAX_EPISODES = 20


@dataclass(frozen=True)
class Episode:
    """One stretch outside NOR: ``level`` ``nor`` (inside PAR) or ``par`` (went outside PAR too)."""

    start_ns: int
    end_ns: int
    worst: float
    level: Literal["nor", "par"]


@dataclass(frozen=True)
class Excursion:
    """A parameter over one batch.

    Attributes
    ----------
    judged_s : float
        Time where the bands held and the value was known, s.
    outside_nor_s, outside_par_s : float
        Of it, time outside NOR (PAR included) and outside PAR, s.
    worst : float or None
        The value farthest outside NOR (``None``: never outside).
    episodes : list of Episode
        The first :data:`MAX_EPISODES` stretches outside NOR.
    count : int
        How many stretches in all.
    """

    judged_s: float
    outside_nor_s: float
    outside_par_s: float
    worst: float | None
    episodes: list[Episode] = field(default_factory=list)
    count: int = 0


def _outside(values: np.ndarray, band: tuple[float, float] | None) -> np.ndarray:
    if band is None:
        return np.zeros(len(values), dtype=bool)
    with np.errstate(invalid="ignore"):
        return (values < band[0]) | (values > band[1])


def holds(times_ns: np.ndarray, phase: Sequence[tuple[int, float]], phases: Sequence[int] | None) -> np.ndarray:
    """Where the bands hold at each sample time: the phase tag's last value is one of ``phases``.

    >>> holds(np.array([0, 5, 10]), [(0, 0.0), (4, 1.0), (9, 2.0)], (1,)).tolist()
    [False, True, False]
    >>> holds(np.array([0, 5]), [], None).tolist()
    [True, True]
    """
    if phases is None:
        return np.ones(len(times_ns), dtype=bool)
    if not phase:
        return np.zeros(len(times_ns), dtype=bool)
    p_t = np.fromiter((t for t, _ in phase), np.int64, len(phase))
    p_v = np.fromiter((v for _, v in phase), np.float64, len(phase))
    idx = np.searchsorted(p_t, times_ns, side="right") - 1
    value = np.where(idx >= 0, p_v[np.clip(idx, 0, None)], np.nan)
    with np.errstate(invalid="ignore"):
        return np.isin(np.round(value), np.asarray(list(phases), dtype=np.float64)) & ~np.isnan(value)


def excursion(
    times_ns: Sequence[int] | np.ndarray,
    values: Sequence[float] | np.ndarray,
    end_ns: int,
    nor: tuple[float, float] | None,
    par: tuple[float, float] | None,
    phase: Sequence[tuple[int, float]] = (),
    phases: Sequence[int] | None = None,
) -> Excursion:
    """Time outside NOR and PAR of one parameter until ``end_ns`` (see the module docstring)."""
    t = np.asarray(times_ns, dtype=np.int64)
    v = np.asarray(values, dtype=np.float64)
    if not len(t):
        return Excursion(0.0, 0.0, 0.0, None)
    dt = np.diff(np.append(t, max(int(end_ns), int(t[-1])))) / _S
    judged = holds(t, phase, phases) & ~np.isnan(v)
    out_nor = judged & (_outside(v, nor) | _outside(v, par))
    out_par = judged & _outside(v, par)
    worst = None
    if out_nor.any():
        centre = nor or par or (0.0, 0.0)
        distance = np.where(out_nor, np.maximum(centre[0] - v, v - centre[1]), -np.inf)
        worst = float(v[int(np.argmax(distance))])
    # Episodes: runs of out_nor (a sample outside the phase ends one).
    edges = np.flatnonzero(np.diff(np.concatenate(([0], out_nor.astype(np.int8), [0]))))
    starts, stops = edges[::2], edges[1::2]
    episodes = []
    for a, b in zip(starts[:MAX_EPISODES], stops[:MAX_EPISODES], strict=True):
        seg = v[a:b]
        end = int(t[b]) if b < len(t) else max(int(end_ns), int(t[-1]))
        centre = nor or par or (0.0, 0.0)
        far = seg[int(np.argmax(np.maximum(centre[0] - seg, seg - centre[1])))]
        episodes.append(Episode(int(t[a]), end, float(far), "par" if out_par[a:b].any() else "nor"))
    return Excursion(
        judged_s=float(dt[judged].sum()),
        outside_nor_s=float(dt[out_nor].sum()),
        outside_par_s=float(dt[out_par].sum()),
        worst=worst,
        episodes=episodes,
        count=len(starts),
    )
