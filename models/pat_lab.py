"""Off-line reference (lab) samples: what an in-line PAT prediction is checked against.

A sample is drawn from the process every ``interval_s`` of simulated time and analysed in
the lab (glucose on an enzymatic analyser, penicillin by HPLC, loss on drying on a halogen
moisture balance). The result carries the lab method's own error, ``N(0, sd)`` with
``sd = √((relative_sd·y)² + absolute_sd²)``, and is held until the next sample, as a LIMS
value is. The result is stamped at the sampling time (the lab's turnaround is not modelled).

The sampler has its own random stream (``seed``, ``stream``), so adding lab samples does not
change any other random draw of the unit, and its state is part of :meth:`LabSampler.snapshot`.

Examples
--------
>>> lab = LabSampler({"glucose_lab": LabMethod(0.02, 0.05)}, interval_s=3600.0, seed=1)
>>> lab.due(0.0), lab.values["glucose_lab"]
(True, 0.0)
>>> lab.take(0.0, {"glucose_lab": 10.0}); abs(lab.values["glucose_lab"] - 10.0) < 1.0
True
>>> lab.due(1800.0), lab.due(3600.0), lab.samples
(False, True, 1)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class LabMethod:
    """Error of a lab method: relative sd (fraction of the value) and absolute sd (its unit)."""

    relative_sd: float
    absolute_sd: float

    def __post_init__(self) -> None:
        if not (self.relative_sd >= 0.0 and self.absolute_sd >= 0.0):
            raise ValueError(f"LabMethod: sds must be >= 0, got {self.relative_sd}, {self.absolute_sd}")

    def sd(self, value: float) -> float:
        """Error sd at ``value``."""
        return math.hypot(self.relative_sd * value, self.absolute_sd)


class LabSampler:
    """Samples every ``interval_s``; each tag's result is the true value plus its method's error.

    Parameters
    ----------
    methods : Mapping[str, LabMethod]
        Result tag -> lab method.
    interval_s : float
        Time between samples (> 0); the first is due at ``start_s``.
    seed, stream : int
        The sampler's random stream (``numpy.random.default_rng([seed, stream])``).
    start_s : float
        When the first sample is due.
    """

    def __init__(
        self, methods: Mapping[str, LabMethod], interval_s: float, seed: int, stream: int = 7, start_s: float = 0.0
    ) -> None:
        if not interval_s > 0.0:
            raise ValueError(f"LabSampler: interval_s must be > 0, got {interval_s!r}")
        self.methods = dict(methods)
        self.interval_s = float(interval_s)
        self._rng = np.random.default_rng([int(seed), int(stream)])
        #: Latest result per tag (0 before the first sample).
        self.values: dict[str, float] = dict.fromkeys(self.methods, 0.0)
        self.next_s = float(start_s)
        self.samples = 0

    def due(self, t_s: float) -> bool:
        """Whether a sample is due at ``t_s``."""
        return t_s >= self.next_s - 1e-9

    def take(self, t_s: float, true_values: Mapping[str, float]) -> None:
        """Sample now: a result per tag; the next sample falls due ``interval_s`` later."""
        draws = self._rng.standard_normal(len(self.methods))
        for z, (tag, method) in zip(draws, self.methods.items(), strict=True):
            y = float(true_values[tag])
            # A lab result is never negative: a sample below the detection limit reads 0.
            self.values[tag] = max(y + method.sd(y) * float(z), 0.0)
        self.samples += 1
        self.next_s = t_s + self.interval_s

    def stop(self) -> None:
        """No sample due until :meth:`schedule` (a unit that stopped producing)."""
        self.next_s = math.inf

    def schedule(self, t_s: float) -> None:
        """The next sample is due at ``t_s``."""
        self.next_s = float(t_s)

    def snapshot(self) -> dict[str, Any]:
        return {
            "rng": self._rng.bit_generator.state,
            "values": dict(self.values),
            "next_s": None if math.isinf(self.next_s) else self.next_s,
            "samples": self.samples,
        }

    def restore(self, snap: Mapping[str, Any] | None) -> None:
        """Restore :meth:`snapshot` output (``None``: an older snapshot without lab samples; keep as is)."""
        if not snap:
            return
        self._rng.bit_generator.state = snap["rng"]
        self.values.update({k: float(v) for k, v in snap["values"].items() if k in self.methods})
        self.next_s = math.inf if snap["next_s"] is None else float(snap["next_s"])
        self.samples = int(snap["samples"])


__all__ = ["LabMethod", "LabSampler"]
