"""The sensor layer between a model's true values and what the OPC UA server publishes.

Measurements get Gaussian noise (seeded, so runs are reproducible) and are clipped to the
engineering range; a value outside the range is published clipped with the OPC UA status
``UncertainEngineeringUnitsExceeded``, as a real transmitter saturates at 0 / 10 V.

A soft sensor (a PAT model's prediction: a tag with a ``calibrated`` range) is published as
predicted, never clipped to that range, but not as *Good* when it cannot be trusted:

* outside its calibrated range, ``UncertainUnderRange`` / ``UncertainOverRange`` (an
  extrapolation of the model);
* otherwise, when its unit reads ``<tag>_ok`` = 0 (the model's own diagnostics: the
  spectrum lies outside the calibrated space, Hotelling T² or Q over its limit,
  :mod:`models.pat_tags`), ``UncertainSensorCalibration``: "the value may not be accurate
  due to a sensor calibration fault".

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

A PAT prediction below its calibrated range, then from a spectrum outside the calibrated space:

>>> pat = SensorLayer([TagSpec("titre_pat", "titre", "g/l", -5, 50, calibrated=(0.0, 33.0)),
...                    TagSpec("titre_pat_ok", "trusted", "", 0, 1, kind="switch")])
>>> pat.measure({"titre_pat": -0.62, "titre_pat_ok": 0.0}, step=0)["titre_pat"] == (-0.62, STATUS_UNDER_RANGE)
True
>>> pat.measure({"titre_pat": 5.0, "titre_pat_ok": 0.0}, step=0)["titre_pat"] == (5.0, STATUS_OUT_OF_CALIBRATION)
True
>>> pat.measure({"titre_pat": 5.0, "titre_pat_ok": 1.0}, step=0)["titre_pat"]
(5.0, 0)
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
#: A soft sensor's prediction below / above the range its model is calibrated over.
STATUS_UNDER_RANGE: int = StatusCodes.UncertainUnderRange
STATUS_OVER_RANGE: int = StatusCodes.UncertainOverRange
#: A soft sensor's model flags its input outside the calibrated space (``<tag>_ok`` = 0).
STATUS_OUT_OF_CALIBRATION: int = StatusCodes.UncertainSensorCalibration

Reading = tuple[float | bool, int]


class SensorLayer:
    """Turns true values into readings (value, status) for one unit."""

    def __init__(self, specs: list[TagSpec], seed: int = 0) -> None:
        self.specs = {s.name: s for s in specs}
        self.seed = seed
        self._noisy = [s for s in specs if s.kind == "measurement" and s.noise_sd > 0]
        self._offsets = np.arange(len(self._noisy), dtype=np.uint64)
        #: Soft sensor -> its trust flag tag (``<tag>_ok``), when the unit has one.
        self._ok_tag = {
            s.name: f"{s.name}_ok" if f"{s.name}_ok" in self.specs else None for s in specs if s.calibrated is not None
        }

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
            if status == STATUS_GOOD and name in self._ok_tag:
                status = self._soft_status(spec, value, true_values)
            out[name] = (float(value), status)
        return out

    def _soft_status(self, spec: TagSpec, value: float, true_values: dict[str, float]) -> int:
        """Status of a soft sensor's prediction: its calibrated range, then its model's diagnostics."""
        assert spec.calibrated is not None
        lo, hi = spec.calibrated
        if value < lo:
            return STATUS_UNDER_RANGE
        if value > hi:
            return STATUS_OVER_RANGE
        ok_tag = self._ok_tag[spec.name]
        if ok_tag is not None and true_values.get(ok_tag, 1.0) < 0.5:
            return STATUS_OUT_OF_CALIBRATION
        return STATUS_GOOD
