"""What the control charts on one tag share (Shewhart, EWMA, CUSUM): the tag, the limits, the live chart.

Limits come from exactly one source:

* ``mean`` and ``sigma`` (known, e.g. validated values);
* ``reference_s``: learn them from the first N seconds of data after start (Phase I); a given
  ``mean`` or ``sigma`` is kept and only the other is estimated. ``warmup_s`` skips data
  first (a heater warming up), so the reference is taken in steady state;
* ``lsl`` and ``usl`` (specification; ``centre = (LSL+USL)/2``, ``sigma = (USL−LSL)/(6·cp)``).

``sigma`` is the standard deviation of one window mean. A method's model
(:mod:`~analytics.detectors.shewhart`, ...) adds its chart parameters and builds its
:class:`~analytics.spc_chart.Chart`; :class:`ChartDetector` runs it on the window means.

Examples
--------
>>> from analytics.detectors.ewma import EwmaConfig
>>> cfg = EwmaConfig(name="lvl", unit="u", method="ewma", tag="L", mean=15.0, sigma=0.1, lambda_=0.2)
>>> det = ChartDetector(cfg)
>>> points = []
>>> for i in range(8):
...     points += det.feed("L", i * 1_000_000_000, 15.0 if i < 4 else 15.3)
>>> [p.time_ns // 1_000_000_000 for p in points if p.alarm]  # the chart restarts after an alarm
[5]
>>> det.parameters["source"], round(det.parameters["L"], 3), det.parameters["lambda"]
('known', 2.859, 0.2)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from pydantic import Field, ValidationInfo, field_validator, model_validator

from analytics.detectors.base import DetectorBase, check_tag
from analytics.detectors.live import DetectorPoint, LiveDetector
from analytics.spc_chart import Chart
from analytics.spc_limits import estimate_individuals, from_specification
from analytics.spc_rules import RULE_DESCRIPTIONS

__all__ = ["ChartConfig", "ChartDetector"]


class ChartConfig(DetectorBase):
    """An entry of a control chart on one tag; the limits from exactly one source."""

    tag: str = Field(description="the tag of the unit to watch")
    mean: float | None = None
    sigma: float | None = Field(None, gt=0)
    lsl: float | None = None
    usl: float | None = None
    cp: float = Field(1.0, gt=0)
    reset_on_alarm: bool = True

    rule_texts = RULE_DESCRIPTIONS

    @field_validator("tag")
    @classmethod
    def _tag_known(cls, tag: str, info: ValidationInfo) -> str:
        check_tag(tag, info)
        return tag

    @model_validator(mode="after")
    def _one_source_of_limits(self) -> ChartConfig:
        spec = self.lsl is not None or self.usl is not None
        if spec and (self.lsl is None or self.usl is None):
            raise ValueError("specification limits need both 'lsl' and 'usl'")
        if spec and self.lsl is not None and self.usl is not None and self.lsl >= self.usl:
            raise ValueError(f"lsl ({self.lsl}) must be below usl ({self.usl})")
        known = self.mean is not None and self.sigma is not None
        sources = [
            n
            for n, on in (("mean+sigma", known), ("reference_s", self.reference_s is not None), ("lsl+usl", spec))
            if on
        ]
        if known and self.reference_s is not None:
            sources = ["mean+sigma", "reference_s"]
        if len(sources) != 1:
            raise ValueError(
                "give the limits from exactly one source: 'mean' and 'sigma', 'reference_s' (optionally with "
                f"a fixed 'mean' or 'sigma'), or 'lsl' and 'usl'; got {', '.join(sources) or 'none'}"
            )
        if spec and (self.mean is not None or self.sigma is not None):
            raise ValueError("'mean'/'sigma' cannot be combined with 'lsl'/'usl'")
        return self

    @property
    def watched(self) -> list[str]:
        return [self.tag]

    def make_chart(self, mean: float, sigma: float) -> Chart:
        """The streaming chart of this method, centred on ``mean`` with ``sigma``."""
        raise NotImplementedError

    def design(self, chart: Chart) -> dict[str, Any]:
        """The chart's designed parameters (``L``, ``h``...), shown on the dashboard."""
        raise NotImplementedError


class ChartDetector(LiveDetector[ChartConfig]):
    """A control chart on one tag's window means; the chart is the config's :meth:`~ChartConfig.make_chart`."""

    chart: Chart | None = None

    def _value(self, values: dict[str, float]) -> float:
        return values.get(self.config.tag, math.nan)

    def _reference_row(self, values: dict[str, float]) -> Any:
        return values[self.config.tag]

    def _start_monitoring(self, reference: list[Any]) -> None:
        cfg = self.config
        mean, sigma, source = cfg.mean, cfg.sigma, "known"
        if cfg.lsl is not None and cfg.usl is not None:
            p = from_specification(cfg.lsl, cfg.usl, cfg.cp)
            mean, sigma, source = p.mean, p.sigma, "specification"
        elif cfg.reference_s is not None:
            est = estimate_individuals(np.asarray(reference, dtype=float))
            mean = est.mean if mean is None else mean
            sigma = est.sigma if sigma is None else sigma
            source = f"reference ({len(reference)} windows)"
        assert mean is not None and sigma is not None
        self.chart = cfg.make_chart(mean, sigma)
        self.parameters = {"mean": mean, "sigma": sigma, "source": source, **cfg.design(self.chart)}
        self.status = "monitoring"

    def _monitor(self, time_ns: int, values: dict[str, float]) -> DetectorPoint:
        chart = self.chart
        assert chart is not None
        x = values[self.config.tag]
        chart.update(x)
        return DetectorPoint(
            time_ns, x, chart.statistic, chart.centre, chart.lcl, chart.ucl, chart.drift_detected, chart.fired_rules
        )
