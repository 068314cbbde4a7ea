"""Shewhart individuals chart of window means, with Western Electric or Nelson run rules.

Examples
--------
>>> cfg = ShewhartConfig(name="lvl", unit="u", method="shewhart", tag="L", mean=15.0, sigma=0.1, rules="we")
>>> det = ChartDetector(cfg)
>>> points = []
>>> for i in range(12):
...     points += det.feed("L", i * 1_000_000_000, 15.0 if i < 8 else 15.5)
>>> [(p.time_ns // 1_000_000_000, p.rules) for p in points if p.alarm]
[(8, ('WE1',)), (9, ('WE1',)), (10, ('WE1',))]
>>> det.parameters
{'mean': 15.0, 'sigma': 0.1, 'source': 'known', 'L': 3.0, 'rules': 'we'}
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from analytics.detectors.chart import ChartConfig, ChartDetector
from analytics.spc_chart import Chart
from analytics.spc_rules import resolve_rules
from analytics.spc_shewhart import IndividualsChart

__all__ = ["ChartDetector", "ShewhartConfig"]


class ShewhartConfig(ChartConfig):
    """A ``shewhart`` entry: limits at ``mean ± L·sigma`` and the run ``rules``."""

    method: Literal["shewhart"]
    rules: Literal["we", "nelson", "none"] | list[str] = Field(
        description="we, nelson, none or a list of rule ids (explicit)"
    )
    L: float = Field(3.0, gt=0, description="limit width in sigmas")

    @field_validator("rules")
    @classmethod
    def _rules_valid(cls, rules: str | list[str]) -> str | list[str]:
        if isinstance(rules, list):
            resolve_rules(rules)  # unknown ids raise with the valid list
        return rules

    def make_chart(self, mean: float, sigma: float) -> Chart:
        return IndividualsChart(mean, sigma, resolve_rules(self.rules), self.L, reset_on_alarm=self.reset_on_alarm)

    def design(self, chart: Chart) -> dict[str, Any]:
        assert isinstance(chart, IndividualsChart)
        return {"L": chart.L, "rules": self.rules if isinstance(self.rules, str) else sorted(self.rules)}
