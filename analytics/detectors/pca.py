"""PCA over several tags of one unit: Hotelling T² and SPE, with per-tag contributions.

The model is fitted on the reference period (``reference_s`` is required), then every
window's row of means is scored.

Examples
--------
>>> import numpy as np
>>> cfg = PcaConfig(name="loops", unit="u", method="pca", tags=["a", "b"], reference_s=50, alpha=0.001)
>>> det = PcaDetector(cfg)
>>> rng = np.random.default_rng(0)
>>> points = []
>>> for i in range(70):
...     x = rng.normal()
...     a, b = x, x + 0.05 * rng.normal()
...     if i >= 60:
...         b = -x + 3  # the correlation breaks
...     points += det.feed("a", i * 10**9, a) + det.feed("b", i * 10**9 + 1, b)
>>> det.phase, det.parameters["components"], points[-1].alarm, points[-1].rules
('monitoring', 1, True, ('SPE',))
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from pydantic import Field, ValidationInfo, field_validator

from analytics.detectors.base import DetectorBase, check_tag
from analytics.detectors.live import DetectorPoint, LiveDetector
from analytics.pca import PcaMonitor

__all__ = ["PCA_RULES", "PcaConfig", "PcaDetector"]

#: Rule ids of the PCA detector, described for the dashboard.
PCA_RULES = {
    "T2": "Hotelling T² above its limit (unusual combination inside the model)",
    "SPE": "SPE (Q) above its limit (the correlation between the tags broke)",
    "combined": "combined index above its limit",
}
#: Fields of the entry that are :class:`~analytics.pca.PcaMonitor` arguments of the same name.
_MONITOR_SETTINGS = {"n_components", "variance", "alpha", "limits", "lags", "signal"}
#: Which indices raise the alarm, per ``signal``.
_SIGNALLED = {"either": ("T2", "SPE"), "t2": ("T2",), "spe": ("SPE",), "combined": ("combined",)}


class PcaConfig(DetectorBase):
    """A ``pca`` entry: the tags, the model size and the limits' false-alarm rate."""

    method: Literal["pca"]
    tags: list[str] = Field(min_length=2, description="two or more tags of the unit")
    reference_s: float = Field(  # required here, optional in the base
        gt=0, le=7 * 24 * 3600, description="the model is fitted on the first N seconds"
    )
    n_components: int | None = Field(None, ge=1, description="default: enough for `variance`")
    variance: float = Field(0.9, gt=0, le=1, description="explained variance that chooses the components")
    alpha: float = Field(0.01, gt=0, lt=1, description="false-alarm rate of each limit")
    limits: Literal["analytic", "empirical"] = "analytic"
    lags: int = Field(0, ge=0, le=10, description="dynamic PCA: lagged copies of every tag")
    signal: Literal["either", "t2", "spe", "combined"] = "either"

    rule_texts = PCA_RULES

    @field_validator("tags")
    @classmethod
    def _tags_known(cls, tags: list[str], info: ValidationInfo) -> list[str]:
        if len(set(tags)) != len(tags):
            raise ValueError(f"a tag is listed twice in {tags}")
        for tag in tags:
            check_tag(tag, info)
        return tags

    @property
    def watched(self) -> list[str]:
        return list(self.tags)


class PcaDetector(LiveDetector[PcaConfig]):
    """PCA (T² and SPE) over several tags of one unit; the model is fitted on the reference."""

    monitor: PcaMonitor | None = None

    def _start_monitoring(self, reference: list[Any]) -> None:
        cfg = self.config
        names = cfg.watched
        settings = cfg.model_dump(include=_MONITOR_SETTINGS)
        self.monitor = PcaMonitor(**settings, names=names, drop_constant=True, top_k=len(names), split_alpha=False)
        self.monitor.fit(np.asarray(reference, dtype=float))
        m = self.monitor
        self.parameters = {
            "components": m.n_components_,
            "explained_variance": [round(float(v), 4) for v in m.explained_variance_ratio_],
            "t2_limit": m.t2_limit_,
            "spe_limit": m.spe_limit_,
            "alpha": cfg.alpha,
            "limits": cfg.limits,
            "rows": len(reference),
            "notes": list(m.notes_),
        }
        self.status = "monitoring"

    def _monitor(self, time_ns: int, values: dict[str, float]) -> DetectorPoint | None:
        m = self.monitor
        assert m is not None
        m.update([values[t] for t in self.config.watched])
        if m.t2 is None or m.spe is None:
            return None  # dynamic PCA: not enough rows yet
        rules: tuple[str, ...] = ()
        contributions = None
        if m.drift_detected and m.last_alarm is not None:
            a = m.last_alarm
            fired = {"T2": a.t2_alarm, "SPE": a.spe_alarm, "combined": a.combined_alarm}
            rules = tuple(r for r in _SIGNALLED[self.config.signal] if fired[r])
            contributions = {"t2": [c.to_dict() for c in a.t2_top], "spe": [c.to_dict() for c in a.spe_top]}
        return DetectorPoint(
            time_ns,
            math.nan,
            m.t2,
            0.0,
            0.0,
            m.t2_limit_,
            m.drift_detected,
            rules,
            spe=m.spe,
            spe_limit=m.spe_limit_,
            contributions=contributions,
        )
