"""The sensor layer between a model's true values and what the OPC UA server publishes.

Measurements get Gaussian noise (seeded, so runs are reproducible) and are clipped to the
engineering range; a value outside the range is published clipped with the OPC UA status
``UncertainEngineeringUnitsExceeded``, as a real transmitter saturates at 0 / 10 V.

Examples
--------
>>> from models.unit import TagSpec
>>> s = SensorLayer([TagSpec("L", "level", "cm", 0, 30, noise_sd=0.0)], seed=1)
>>> s.measure({"L": 12.0}, step=0)["L"]
(12.0, 0)
>>> s.measure({"L": 31.0}, step=0)["L"] == (30.0, STATUS_EU_EXCEEDED)
True

Noise depends only on (seed, step), never on how often readings are taken:

>>> n = SensorLayer([TagSpec("F", "flow", "l/min", 0, 10, noise_sd=0.1)], seed=2)
>>> n.measure({"F": 5.0}, step=41) == n.measure({"F": 5.0}, step=41)
True
"""

from __future__ import annotations

import numpy as np
from asyncua.ua import StatusCodes

from models.unit import TagSpec
from twin.noise import gaussian

STATUS_GOOD: int = StatusCodes.Good
#: A transmitter at the end of its range.
STATUS_EU_EXCEEDED: int = StatusCodes.UncertainEngineeringUnitsExceeded
#: A failed sensor (its last value held).
STATUS_SENSOR_FAILURE: int = StatusCodes.BadSensorFailure

Reading = tuple[float | bool, int]


class SensorLayer:
    """Turns true values into readings (value, status) for one unit."""

    def __init__(self, specs: list[TagSpec], seed: int = 0) -> None:
        self.specs = {s.name: s for s in specs}
        self.seed = seed
        self._noisy = [s for s in specs if s.kind == "measurement" and s.noise_sd > 0]
        self._offsets = np.arange(len(self._noisy), dtype=np.uint64)

    def noise(self, steps: np.ndarray) -> np.ndarray:
        """Standard normal noise, shape ``(len(steps), n_noisy_tags)``, for simulation step indices."""
        counters = np.asarray(steps, dtype=np.uint64)[:, None] * np.uint64(max(len(self._noisy), 1)) + self._offsets
        return gaussian(self.seed, counters)

    @property
    def noisy_tags(self) -> list[TagSpec]:
        return list(self._noisy)

    def measure(self, true_values: dict[str, float], step: int) -> dict[str, Reading]:
        """Readings for every tag in ``true_values`` at simulation step ``step``."""
        drawn = self.noise(np.array([step]))[0]
        noise = {spec.name: float(z) for spec, z in zip(self._noisy, drawn, strict=True)}
        out: dict[str, Reading] = {}
        for name, value in true_values.items():
            spec = self.specs[name]
            if spec.is_boolean:
                out[name] = (bool(value >= 0.5), STATUS_GOOD)
                continue
            status = STATUS_GOOD
            if spec.kind == "measurement" and not (spec.lo <= value <= spec.hi):
                status = STATUS_EU_EXCEEDED  # the process itself is beyond the transmitter's range
            if name in noise:
                value = value + spec.noise_sd * float(noise[name])
            if spec.kind == "measurement":
                # A transmitter saturates at its range; noise at zero flow must not read negative.
                value = min(max(value, spec.lo), spec.hi)
            out[name] = (float(value), status)
        return out
