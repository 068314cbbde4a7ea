"""A shadow run read back from the historian: plant, twin, residuals and their chart, per tag.

``gmp-twin shadow report`` and the ``/shadow`` page both call :func:`load_shadow`. It reads the
plant's (``source = plc``) and the twin's (``source = sim``) series of each tag, computes the
residuals and their window means (:mod:`analytics.shadow`), and charts them against the
reference that the live run wrote (the newest ``shadow_reference`` event of the tag before the
range's end, with the run's window and chart settings), so the chart and the live alarms agree.
Without such an event (a range where no shadow run charted yet) the reference is estimated from
the range itself (its first ``settle_s`` skipped, the next ``reference_s`` used), and
:attr:`TagResidual.reference_from` says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analytics.shadow import NS_PER_S, ResidualReference, Windows, reference_of, residuals, window_means
from analytics.shadow_spc import ShadowSpcConfig
from analytics.spc import make_chart
from historian.base import Historian, Point, RawSeries

__all__ = ["ShadowReport", "TagResidual", "config_of", "load_shadow"]

#: How far before the range a run's reference and start events are looked for.
REFERENCE_LOOKBACK_S = 30 * 86_400.0
SHADOW_KINDS = ["shadow_started", "shadow_reference", "alarm_raised", "alarm_cleared"]


@dataclass
class TagResidual:
    """One tag of a shadow report.

    Attributes
    ----------
    plant, twin
        The raw series (``plc`` and ``sim``).
    time_ns, residual
        ``plc − sim`` at the plant's sample times.
    windows
        Residual window means.
    reference
        The chart's centre and sigma, ``None`` when there is none yet.
    reference_from
        ``"run"`` (the live run's event), ``"range"`` (estimated here) or ``""`` (none: ``note`` says why).
    statistic, lcl, ucl, alarm
        The chart, one value per window at or after the reference's end (NaN / False before).
    alarms
        The live run's ``alarm_raised`` / ``alarm_cleared`` events of this tag, oldest first.
    config
        The chart settings used (the run's, from its reference event, or the caller's).
    """

    tag: str
    plant: RawSeries
    twin: RawSeries
    time_ns: np.ndarray
    residual: np.ndarray
    windows: Windows
    reference: ResidualReference | None = None
    reference_from: str = ""
    note: str = ""
    statistic: np.ndarray = field(default_factory=lambda: np.zeros(0))
    lcl: np.ndarray = field(default_factory=lambda: np.zeros(0))
    ucl: np.ndarray = field(default_factory=lambda: np.zeros(0))
    alarm: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    alarms: list[Point] = field(default_factory=list)
    config: ShadowSpcConfig | None = None

    def summary(self) -> dict[str, Any]:
        """One row of the report (JSON-able; NaN as None)."""
        finite = self.residual[np.isfinite(self.residual)]
        last = float(self.windows.mean[-1]) if len(self.windows) else math.nan
        ref = self.reference
        z = (last - ref.mean) / ref.sigma if ref is not None and math.isfinite(last) else math.nan
        raised = [p for p in self.alarms if p.tags.get("kind") == "alarm_raised"]
        return _json(
            {
                "tag": self.tag,
                "plant_samples": len(self.plant),
                "twin_samples": len(self.twin),
                "residuals": int(finite.size),
                "residual_mean": float(finite.mean()) if finite.size else math.nan,
                "reference_mean": ref.mean if ref else math.nan,
                "reference_sigma": ref.sigma if ref else math.nan,
                "reference_lag1": ref.lag1 if ref else math.nan,
                "reference_from": self.reference_from,
                "last_window": last,
                "last_z": z,
                "windows_out": int(self.alarm.sum()),
                "alarms_raised": len(raised),
                "first_alarm_ns": raised[0].time_ns if raised else None,
                "note": self.note or ("; ".join(ref.notes) if ref else ""),
            }
        )


def _json(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}


@dataclass
class ShadowReport:
    """Every tag of one unit's shadow over a range, and the run settings found."""

    site: str
    unit: str
    start_ns: int
    stop_ns: int
    config: ShadowSpcConfig
    tags: dict[str, TagResidual] = field(default_factory=dict)
    started: list[Point] = field(default_factory=list)

    def rows(self) -> list[dict[str, Any]]:
        return [t.summary() for t in self.tags.values()]


def config_of(fields: dict[str, Any], default: ShadowSpcConfig) -> ShadowSpcConfig:
    """The chart settings written in a ``shadow_reference`` / ``shadow_started`` event (defaults for the rest).

    >>> config_of({"window_s": 5.0, "method": "shewhart", "lambda": 0.1}, ShadowSpcConfig()).window_s
    5.0
    """
    names = {"window_s": "window_s", "settle_s": "settle_s", "reference_s": "reference_s", "method": "method"}
    names.update({"lambda": "lambda_", "L": "L", "k": "k", "h": "h", "arl0": "arl0", "clear_after_s": "clear_after_s"})
    values = {attr: fields[key] for key, attr in names.items() if fields.get(key) is not None}
    args = {**default.__dict__, **values}
    return ShadowSpcConfig(**args)


async def load_shadow(
    historian: Historian,
    site: str | None,
    unit: str,
    tags: Sequence[str],
    start_ns: int,
    stop_ns: int,
    config: ShadowSpcConfig | None = None,
    max_gap_s: float = 5.0,
    max_points: int | None = None,
) -> ShadowReport:
    """Read and compute the shadow of ``tags`` of ``unit`` in ``[start_ns, stop_ns)``.

    Parameters
    ----------
    historian : Historian
    site : str or None
        The site (``None``: any).
    unit, tags
        The unit and the tags to report (tags with neither a plant nor a twin series are left out).
    start_ns, stop_ns
        The range.
    config : ShadowSpcConfig, optional
        Chart settings when no run's event gives them (and the reference to estimate then).
    max_gap_s
        Twin points further apart than this around a plant sample give no residual there.
    max_points : int, optional
        Read each series downsampled to at most this many bucket means (a page's long range)
        instead of every sample. Buckets wider than the chart's window cannot be charted: the
        residual is then shown without chart, and :attr:`TagResidual.note` says so.
    """
    default = config or ShadowSpcConfig()
    events = await historian.events(
        start_ns - round(REFERENCE_LOOKBACK_S * NS_PER_S), stop_ns, unit=unit, kinds=SHADOW_KINDS, limit=100_000
    )
    events = [e for e in events if site is None or e.tags.get("site", site) == site]
    report = ShadowReport(site or "", unit, start_ns, stop_ns, default)
    report.started = [e for e in events if e.tags.get("kind") == "shadow_started"]
    references = {
        str(e.fields.get("tag")): e
        for e in events
        if e.tags.get("kind") == "shadow_reference" and "sigma" in e.fields  # the newest wins (oldest first)
    }
    max_gap = round(max_gap_s * NS_PER_S)
    for tag in tags:
        plant = await _series(historian, unit, tag, start_ns, stop_ns, site, "plc", max_points)
        twin = await _series(historian, unit, tag, start_ns, stop_ns, site, "sim", max_points)
        if not len(plant) and not len(twin):
            continue
        times, res = residuals(plant.time_ns, plant.value, twin.time_ns, twin.value, max_gap)
        alarms = [
            e
            for e in events
            if e.tags.get("kind") in ("alarm_raised", "alarm_cleared")
            and e.fields.get("method") == "shadow"
            and e.fields.get("tag") == tag
            and start_ns <= e.time_ns < stop_ns
        ]
        event = references.get(tag)
        cfg = config_of(dict(event.fields), default) if event is not None else default
        windows = window_means(times, res, cfg.window_s)
        item = TagResidual(tag, plant, twin, times, res, windows, alarms=alarms, config=cfg)
        if event is not None:
            item.reference, item.reference_from = ResidualReference.from_fields(dict(event.fields)), "run"
        else:
            _estimate(item, cfg)
        _blank(item)
        bucket_ns = -(-(stop_ns - start_ns) // max_points) if max_points else 0
        if bucket_ns > cfg.window_s * NS_PER_S:
            item.note = (
                f"read as {bucket_ns / NS_PER_S:.0f} s means, wider than the {cfg.window_s:g} s window: not charted"
            )
        else:
            _chart(item, cfg)
        report.tags[tag] = item
    return report


async def _series(
    historian: Historian,
    unit: str,
    tag: str,
    start_ns: int,
    stop_ns: int,
    site: str | None,
    source: str,
    max_points: int | None,
) -> RawSeries:
    if max_points is None:
        return await historian.raw_range(unit, tag, start_ns, stop_ns, site=site, source=source)
    result = await historian.query_range(unit, [tag], start_ns, stop_ns, max_points, site=site, source=source)
    return RawSeries.of(result.series.get(tag, []))


def _estimate(item: TagResidual, cfg: ShadowSpcConfig) -> None:
    """The reference from the range itself (no live run charted this tag before its end)."""
    if not len(item.windows):
        item.note = "no residual: the plant and the twin have no values near each other in this range"
        return
    first = int(item.windows.time_ns[0])
    start = first + round(cfg.settle_s * NS_PER_S)
    stop = start + round(cfg.reference_s * NS_PER_S)
    span = np.ptp(item.plant.value[np.isfinite(item.plant.value)]) if len(item.plant) else 0.0
    floor = max(1e-4 * float(span), 1e-9)
    try:
        item.reference = reference_of(item.tag, item.windows, start, stop, floor, cfg.min_windows)
    except ValueError as exc:
        item.note = f"no reference yet: {exc}"
        return
    item.reference_from = "range"


def _blank(item: TagResidual) -> None:
    """No chart value yet for any window."""
    n = len(item.windows)
    item.statistic, item.lcl, item.ucl = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    item.alarm = np.zeros(n, bool)


def _chart(item: TagResidual, cfg: ShadowSpcConfig) -> None:
    ref = item.reference
    if ref is None:
        return
    after = item.windows.time_ns >= ref.stop_ns
    if not after.any():
        return
    chart = make_chart(cfg.method, mean=ref.mean, sigma=ref.sigma, **cfg.chart_arguments())
    result = chart.run(item.windows.mean[after])
    item.statistic[after] = result.statistic
    item.lcl[after] = result.lcl
    item.ucl[after] = result.ucl
    item.alarm[after] = result.alarm
