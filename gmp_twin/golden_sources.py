"""Recorded reference batches for ``gmp-twin golden build``: CSV files or a historian range.

A recording may hold several batches (a dryer's CSV has one drying cycle after another, a
historian range a week of fermentations): it is cut into windows of the model's window
length, then into batches wherever the batch clock (``batch_time``, ``drying_time``) goes
back. Recorded values already carry their sensor noise.

Examples
--------
>>> import numpy as np
>>> t = np.arange(0.0, 1200.0, 10.0)
>>> clock = np.where(t < 600, t, t - 600) / 60.0  # two batches of 10 min
>>> parts = split_batches({"_t": t, "drying_time": clock, "x": t}, "drying_time")
>>> [len(p["x"]) for p in parts]
[60, 60]
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from analytics.golden_build import window_means

__all__ = ["read_csv_batches", "read_historian_batches", "split_batches"]

_BAD = 0x80000000


def split_batches(windows: Mapping[str, np.ndarray], clock: str, min_windows: int = 3) -> list[dict[str, np.ndarray]]:
    """Cut windowed rows into batches where ``clock`` goes back; batches under ``min_windows`` are dropped."""
    c = np.asarray(windows[clock], dtype=float)
    starts = [0, *(np.flatnonzero(np.diff(c) < 0) + 1).tolist(), len(c)]
    out = []
    for a, b in itertools.pairwise(starts):
        if b - a >= min_windows:
            out.append({k: np.asarray(v)[a:b] for k, v in windows.items()})
    return out


def read_csv_batches(
    paths: Sequence[str | Path], tags: Sequence[str], clock: str, window_s: float
) -> list[dict[str, Any]]:
    """Windowed batches of CSV (or Parquet) files written by ``gmp-twin simulate`` (``time_s`` + tags)."""
    import pandas as pd

    batches: list[dict[str, Any]] = []
    for path in paths:
        p = Path(path)
        if not p.is_file():
            raise ValueError(f"--from-csv {p}: no such file")
        frame = pd.read_parquet(p) if p.suffix == ".parquet" else pd.read_csv(p)
        missing = [c for c in ("time_s", *tags) if c not in frame.columns]
        if missing:
            raise ValueError(
                f"{p}: no column {', '.join(map(repr, missing))}; a reference batch needs time_s and the model's tags "
                "(write it with `gmp-twin simulate --unit <unit>`, or choose --tags)"
            )
        cols = {t: frame[t].to_numpy(dtype=float) for t in tags}
        windows = window_means(frame["time_s"].to_numpy(dtype=float), cols, window_s)
        found = split_batches(windows, clock)
        if not found:
            raise ValueError(f"{p}: no batch of at least 3 windows of {window_s:g} s")
        batches += found
    return batches


async def _read(
    url: str, site: str | None, unit: str, tags: Sequence[str], start_ns: int, end_ns: int
) -> dict[str, Any]:
    from historian import open_historian

    out = {}
    async with open_historian(url) as historian:
        for tag in tags:
            raw = await historian.raw_range(unit, tag, start_ns, end_ns, site)
            out[tag] = raw
    return out


def read_historian_batches(
    url: str, site: str | None, unit: str, tags: Sequence[str], clock: str, window_s: float, start_ns: int, end_ns: int
) -> list[dict[str, Any]]:
    """Windowed batches of the unit's tags in ``[start_ns, end_ns)`` of a historian (raw samples).

    Windows are aligned on the epoch, as the live detector's; a window where a tag has no
    sample is left out.
    """
    series = asyncio.run(_read(url, site, unit, tags, start_ns, end_ns))
    w_ns = round(window_s * 1e9)
    per_tag = {}
    for tag in tags:
        raw = series[tag]
        good = np.isfinite(raw.value) & ((np.asarray(raw.status) & _BAD) == 0)  # a Bad reading has no value
        t = np.asarray(raw.time_ns, dtype=np.int64)[good]
        if not len(t):
            raise ValueError(f"{url}: no good samples of {unit}/{tag} in the range; check --site, --start and --end")
        v = np.asarray(raw.value, dtype=float)[good]
        idx = t // w_ns
        uniq, inv = np.unique(idx, return_inverse=True)
        per_tag[tag] = (uniq, np.bincount(inv, v) / np.bincount(inv), np.bincount(inv).astype(float))
    common = per_tag[tags[0]][0]
    for tag in tags[1:]:
        common = np.intersect1d(common, per_tag[tag][0])
    windows: dict[str, np.ndarray] = {"_t": (common * w_ns + w_ns // 2) / 1e9}
    for tag in tags:
        uniq, mean, n = per_tag[tag]
        pos = np.searchsorted(uniq, common)
        windows[tag] = mean[pos]
        windows.setdefault("_n", n[pos])
    batches = split_batches(windows, clock)
    if not batches:
        raise ValueError(f"{url}: no batch of {unit} with at least 3 windows in the range")
    return batches
