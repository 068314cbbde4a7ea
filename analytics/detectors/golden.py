"""Golden batch: the running batch against its golden envelope and batch-level limits.

A ``golden`` entry scores every window of a unit's running batch with the model that
``gmp-twin golden build`` stored (:mod:`analytics.golden`, default
``data/golden/<unit>.npz``): the model's variables, its maturity and clock tags and its
active-phase tag are read from the file, so the entry only names the unit::

    - name: bio-golden
      unit: bioreactor-1
      method: golden

Each window mean (``sample_s``; default the model's own window) gives a point whose
``value`` is the batch's maturity, ``statistic`` the batch-level T² with its limit at this
maturity as ``ucl``, and ``spe``/``spe_limit`` the SPE. The alarm fires by the rules of
:mod:`analytics.golden_live` (``ENV``: a variable outside ±3σ of its envelope, ``BATCH_T2``,
``BATCH_SPE``: over the limit, each in ``consecutive`` windows in a row); its contributions
name the variables furthest from the golden mean, in σ. A new batch (the clock tag going
back) starts again; windows outside the active phase or beyond the model's maturity range are
not scored. The number of readings in each window is counted, so the envelope's noise term
matches the sampling rate.

Examples
--------
>>> import numpy as np, tempfile, pathlib
>>> from analytics.golden import GoldenModel
>>> path = pathlib.Path(tempfile.mkdtemp()) / "u.npz"
>>> _ = GoldenModel.example().save(path)
>>> cfg = GoldenConfig(name="g", unit="u", method="golden", model=str(path), sample_s=60)
>>> cfg.watched
['a', 'b', 'm']
>>> det = GoldenDetector(cfg)
>>> points = []
>>> for i in range(8):
...     t = i * 60 * 10**9
...     b = 8.0 if i < 4 else 14.0  # leaves its envelope (8 ± 3)
...     points += det.feed("m", t, float(i)) + det.feed("a", t, 5.0) + det.feed("b", t, b)
>>> [p.alarm for p in points]  # windows 4, 5 and 6 outside: the third one in a row alarms
[False, False, False, False, False, False, True]
>>> points[-1].rules, points[-1].contributions["envelope"][0]
(('ENV', 'BATCH_SPE'), {'tag': 'b', 'z': 6.0})
"""

from __future__ import annotations

import math
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field

from analytics.detectors.base import DetectorBase
from analytics.detectors.live import NS_PER_S, DetectorPoint, LiveDetector, WindowMean
from analytics.golden import GoldenModel, GoldenModelError, default_model_path
from analytics.golden_live import GoldenScorer

__all__ = ["GOLDEN_RULE_TEXTS", "GoldenConfig", "GoldenDetector"]

#: Rule ids of the detector (the scorer's ENV, T2, SPE) and their meaning.
GOLDEN_RULE_TEXTS = {
    "ENV": "a variable outside its golden-batch envelope (±3σ at this maturity) in consecutive windows",
    "BATCH_T2": "batch-level Hotelling T² over its limit at this maturity in consecutive windows",
    "BATCH_SPE": "batch-level SPE over its limit at this maturity in consecutive windows",
}
_TO_SCORER = {"ENV": "ENV", "BATCH_T2": "T2", "BATCH_SPE": "SPE"}
_FROM_SCORER = {v: k for k, v in _TO_SCORER.items()}
GoldenRule = Literal["ENV", "BATCH_T2", "BATCH_SPE"]
_ALL_RULES: tuple[GoldenRule, ...] = ("ENV", "BATCH_T2", "BATCH_SPE")


@lru_cache(maxsize=32)
def _watched(path: str, _mtime_ns: int) -> tuple[str, ...]:
    return tuple(GoldenModel.load(path).watched())


class GoldenConfig(DetectorBase):
    """A ``golden`` entry: the model file, the alarm rules and how many windows in a row."""

    method: Literal["golden"]
    model: str | None = Field(None, description="golden model file (default data/golden/<unit>.npz)")
    sample_s: float = Field(0.0, ge=0, le=3600, description="window of the mean; 0: the golden model's window")
    rules: list[GoldenRule] = Field(
        default_factory=lambda: list(_ALL_RULES), min_length=1, description="what raises the alarm"
    )
    consecutive: int = Field(3, ge=1, le=100, description="windows in a row a rule must hold to fire")

    rule_texts = GOLDEN_RULE_TEXTS

    @property
    def model_path(self) -> Path:
        return Path(self.model) if self.model else default_model_path(self.unit)

    @property
    def watched(self) -> list[str]:
        """The model's variables, maturity, clock and phase tags (none while there is no model file)."""
        path = self.model_path
        try:
            return list(_watched(str(path), os.stat(path).st_mtime_ns))
        except (OSError, GoldenModelError):
            return []

    @property
    def label(self) -> str:
        return "golden batch"


class _CountingWindow(WindowMean):
    """Window means that also keep how many readings each tag had in the window just closed."""

    last_counts: dict[str, int]

    def add(self, tag: str, time_ns: int, value: float) -> list[tuple[int, dict[str, float]]]:
        closing = self._window is not None and time_ns // self.sample_ns > self._window
        counts = dict(self._n) if closing else None
        out = super().add(tag, time_ns, value)
        if out and counts is not None:
            self.last_counts = counts
        return out


def _stamp(path: Path) -> tuple[int, int] | None:
    """The file's modification time and size (``None`` when it is not there)."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


class GoldenDetector(LiveDetector[GoldenConfig]):
    """The running batch scored against its golden model (see the module docstring)."""

    golden: GoldenModel | None = None
    scorer: GoldenScorer | None = None
    #: Why the detector is not scoring, as a label key the pages translate (``golden_idle.<key>``):
    #: ``no_model`` (not built yet), ``unusable`` (the file's error is :attr:`status`),
    #: ``waiting`` (before the batch's active phase), ``beyond`` (past the golden batch's end);
    #: ``""`` while it scores.
    idle: str = ""

    def __post_init__(self) -> None:
        self.load_error: str | None = None
        self._model_stamp = _stamp(self.config.model_path)
        self.idle = "" if self._model_stamp is not None else "no_model"
        try:
            self.golden = GoldenModel.load(self.config.model_path)
            if self.golden.unit != self.config.unit:
                self.load_error = (
                    f"{self.config.model_path} is the golden batch of {self.golden.unit!r}, not of {self.config.unit!r}"
                )
                self.golden = None
        except GoldenModelError as exc:
            self.load_error = str(exc)
        super().__post_init__()
        sample_s = self.config.sample_s or (self.golden.window_s if self.golden else 60.0)
        self.counting = _CountingWindow(self.config.watched, round(sample_s * NS_PER_S))
        self.counting.last_counts = {}
        self.window = self.counting
        self.batches = 0
        self._last_clock: float | None = None
        self._last_alarm_ns: int | None = None
        self._t2 = 0.0

    def stale(self) -> bool:
        """The model file appeared, changed or went since this detector loaded it."""
        return _stamp(self.config.model_path) != self._model_stamp

    def _needs_reference(self) -> bool:
        return False  # the reference is the golden model's batches

    def _start_monitoring(self, reference: list[Any]) -> None:
        if self.golden is None:
            self.status = self.load_error or "no golden model"
            self.idle = self.idle or "unusable"
            return
        m = self.golden
        self.scorer = GoldenScorer(m, self.config.consecutive, tuple(_TO_SCORER[r] for r in self.config.rules))
        self.parameters = {
            "model": str(self.config.model_path),
            "batches": m.n_batches,
            "variables": list(m.variables),
            "maturity": f"{m.maturity} ({m.maturity_unit})",
            "components": m.n_components,
            "alpha": m.alpha,
            "consecutive": self.config.consecutive,
        }
        self.status = "monitoring"

    def _monitor(self, time_ns: int, values: dict[str, float]) -> DetectorPoint | None:
        m, scorer = self.golden, self.scorer
        if m is None or scorer is None:
            return None
        clock = values[m.clock[0]]
        step = self.window.sample_ns / NS_PER_S / m.clock[1]  # one window, in clock units
        if self._last_clock is not None and clock < self._last_clock - 0.5 * step:
            scorer.reset()  # the clock went back: a new batch
            self.batches += 1
        self._last_clock = clock
        maturity = values[m.maturity]
        if not (m.is_active(values) and math.isfinite(maturity) and m.covers(maturity)):
            waiting = not m.is_active(values)
            self.status = "waiting for the batch's active phase" if waiting else "beyond the golden batch"
            self.idle = "waiting" if waiting else "beyond"
            return self._idle_point(time_ns, maturity)
        counts = self.counting.last_counts
        n = np.array([counts.get(v, 1) for v in m.variables], dtype=float)
        score = scorer.update(maturity, np.array([values[v] for v in m.variables]), n)
        self.status, self.idle = "monitoring", ""
        self._t2 = score.t2
        rules = tuple(_FROM_SCORER[r] for r in score.rules)
        contributions = None
        if rules:
            self._last_alarm_ns = time_ns
            contributions = {"envelope": score.worst(m.variables, 5), "maturity": maturity, "outside": score.outside}
        return DetectorPoint(
            time_ns, maturity, score.t2, 0.0, 0.0, score.t2_limit, bool(rules), rules,
            spe=score.spe, spe_limit=score.spe_limit, contributions=contributions,
        )  # fmt: skip

    def _idle_point(self, time_ns: int, maturity: float) -> DetectorPoint | None:
        """Outside the scored part: no point, except for a while after an alarm so that it can clear."""
        last = self._last_alarm_ns
        if last is None or time_ns - last > 2 * self.config.clear_after_s * NS_PER_S:
            return None
        return DetectorPoint(time_ns, maturity, self._t2, 0.0, 0.0, math.inf, False)
