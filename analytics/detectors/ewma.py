"""EWMA chart of window means: the smoothed mean against ``mean ± L·σ_EWMA``.

Examples
--------
>>> cfg = EwmaConfig(name="lvl", unit="u", method="ewma", tag="L", mean=15.0, sigma=0.1, arl0=5000)
>>> det = ChartDetector(cfg)
>>> round(det.parameters["L"], 3), det.parameters["lambda"]
(3.652, 0.2)
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from analytics.detectors.chart import ChartConfig, ChartDetector
from analytics.spc_chart import SHEWHART_ARL0, Chart
from analytics.spc_ewma import EWMAChart

__all__ = ["ChartDetector", "EwmaConfig"]


class EwmaConfig(ChartConfig):
    """An ``ewma`` entry: smoothing ``lambda`` and the limit width ``L`` (or its design ``arl0``)."""

    method: Literal["ewma"]
    lambda_: float = Field(0.2, alias="lambda", gt=0, le=1, description="weight of the newest window mean")
    L: float | None = Field(None, gt=0, description="limit width; default: designed for arl0")
    arl0: float = Field(SHEWHART_ARL0, gt=1, description="in-control average run length L is designed for")

    def make_chart(self, mean: float, sigma: float) -> Chart:
        return EWMAChart(mean, sigma, self.lambda_, self.L, self.arl0, reset_on_alarm=self.reset_on_alarm)

    def design(self, chart: Chart) -> dict[str, Any]:
        assert isinstance(chart, EWMAChart)
        return {"L": chart.L, "lambda": chart.lambda_}
