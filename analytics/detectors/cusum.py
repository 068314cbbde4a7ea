"""Tabular CUSUM of window means: fastest on small persistent shifts (about one sigma).

Examples
--------
>>> cfg = CusumConfig(name="p", unit="u", method="cusum", tag="P", mean=1.0, sigma=0.01, h=4.0)
>>> det = ChartDetector(cfg)
>>> points = []
>>> for i in range(10):  # +1.5 sigma from the fourth window: C+ grows by 1.5 - k = 1 per window
...     points += det.feed("P", i * 1_000_000_000, 1.0 if i < 3 else 1.015)
>>> [(p.time_ns // 1_000_000_000, p.rules) for p in points if p.alarm]
[(7, ('C+',))]
>>> det.parameters
{'mean': 1.0, 'sigma': 0.01, 'source': 'known', 'k': 0.5, 'h': 4.0}
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from analytics.detectors.chart import ChartConfig, ChartDetector
from analytics.spc_chart import SHEWHART_ARL0, Chart
from analytics.spc_cusum import CUSUMChart

__all__ = ["ChartDetector", "CusumConfig"]


class CusumConfig(ChartConfig):
    """A ``cusum`` entry: reference value ``k`` and decision interval ``h`` (or its design ``arl0``)."""

    method: Literal["cusum"]
    k: float = Field(0.5, ge=0, description="allowance in sigmas (half the shift to detect)")
    h: float | None = Field(None, gt=0, description="decision interval in sigmas; default: designed for arl0")
    headstart: float = Field(0.0, ge=0, description="fast initial response: the sums start here")
    arl0: float = Field(SHEWHART_ARL0, gt=1, description="in-control average run length h is designed for")

    def make_chart(self, mean: float, sigma: float) -> Chart:
        return CUSUMChart(mean, sigma, self.k, self.h, self.arl0, self.headstart, reset_on_alarm=self.reset_on_alarm)

    def design(self, chart: Chart) -> dict[str, Any]:
        assert isinstance(chart, CUSUMChart)
        return {"k": chart.k, "h": chart.h}
