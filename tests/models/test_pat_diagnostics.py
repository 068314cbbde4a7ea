"""PAT diagnostics: prediction intervals, Hotelling T² and Q with their limits, the new-lot
interferent, lab samples, and the statuses the twin publishes for a soft sensor.

Measured with the default analyser (figures in brackets, seeds fixed): the 95 % intervals
cover 92.5 % of the 120 independent validation samples [glucose and titre] and 96-97 % of the
scans of a simulated 232 h batch; T² or Q over its 99 % limit on 0.2-0.3 % of that batch's
scans; every spectrum outside the calibrated space from about 4 g/l of the new lot's interferent.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from models.bioreactor import Bioreactor
from models.dryer import FluidBedDryer, FluidBedDryerParams
from models.pat import PatAnalyser, PatParams, calibrate, calibrated_ranges
from models.pat_lab import LabMethod, LabSampler
from models.pat_tags import PAT_TAGS
from twin.sensors import (
    STATUS_EU_EXCEEDED,
    STATUS_GOOD,
    STATUS_OUT_OF_CALIBRATION,
    STATUS_OVER_RANGE,
    STATUS_UNDER_RANGE,
    SensorLayer,
)

HOURS = 60.0  # the batch phase and the start of the fed-batch


@pytest.fixture(scope="module")
def batch() -> dict[str, Any]:
    """A normal batch, one row per minute (10 s steps)."""
    br = Bioreactor()
    return {"unit": br, "data": br.simulate(HOURS * 3600.0, dt_s=10.0, record_every=6)}


def test_intervals_cover_the_independent_validation_batches() -> None:
    cal = calibrate(PatParams())
    for analyte, m in cal.models.items():
        pred, y = cal.validation_pred[analyte], cal.validation_y[analyte]
        t2, q, half = cal.validation_diagnostics[analyte]
        coverage = float(np.mean(np.abs(pred - y) <= half))
        assert 0.88 <= coverage <= 0.99, (analyte, coverage)
        # The interval is the RMSECV's, widened by the leverage (never narrower).
        assert np.all(half >= m.space.t_quantile * m.rmsecv)
        assert m.space.interval_confidence == 0.95 and m.space.limit_confidence == 0.99
        # New normal spectra rarely leave the calibrated space (99 % limits).
        assert float(np.mean((t2 > m.space.t2_limit) | (q > m.space.q_limit))) <= 0.05


def test_a_normal_batch_stays_in_the_calibrated_space(batch: dict[str, Any]) -> None:
    d = batch["data"]
    for analyte in ("glucose", "titre"):
        outside = (d[f"{analyte}_pat_t2"] > d[f"{analyte}_pat_t2_limit"]) | (
            d[f"{analyte}_pat_q"] > d[f"{analyte}_pat_q_limit"]
        )
        assert float(np.mean(outside)) <= 0.02, analyte
        coverage = float(np.mean(np.abs(d[f"{analyte}_pat"] - d[analyte]) <= d[f"{analyte}_pat_pi"]))
        assert 0.9 <= coverage <= 0.995, (analyte, coverage)
        # The trust flag is the space and the calibrated range together.
        lo, hi = calibrated_ranges(PatParams())[analyte]
        in_range = (d[f"{analyte}_pat"] >= lo) & (d[f"{analyte}_pat"] <= hi)
        np.testing.assert_array_equal(d[f"{analyte}_pat_ok"] == 1.0, in_range & ~outside)
    # Titre is about 0 g/l early: half its predictions fall below the calibrated range (0 g/l).
    early = d["time_s"] < 20 * 3600
    assert 0.2 < float(np.mean(d["titre_pat"][early] < 0.0)) < 0.8


def test_the_new_lots_interferent_puts_the_spectra_outside_the_calibrated_space() -> None:
    pat = PatAnalyser(PatParams(), seed=11)
    rng = np.random.default_rng(4)
    flagged: dict[float, list[bool]] = {0.0: [], 6.0: []}
    bias = []
    for _ in range(40):
        g, t, x = rng.uniform(0.5, 15), rng.uniform(0.5, 20), rng.uniform(1, 35)
        for conc in flagged:
            pat.scan(g, t, x, 25.0, interferent_g_l=conc)
            pred = pat.predictions["glucose"]
            flagged[conc].append(not pred.in_space)
            if conc:
                bias.append(pred.value - g)
    assert sum(flagged[0.0]) <= 2
    assert all(flagged[6.0])  # Q over its limit on every scan
    assert float(np.mean(bias)) < -0.3  # and the glucose prediction goes wrong (reads low)


def test_lab_samples_every_four_hours_with_the_lab_methods_error() -> None:
    br = Bioreactor()
    times: list[float] = []
    values: list[float] = []
    for _ in range(int(13 * 3600 / 10)):
        br.step(10.0)
        r = br.read()
        if not values or r["glucose_lab"] != values[-1]:
            times.append(br.pat.next_scan_s - 60.0)
            values.append(r["glucose_lab"])
    assert br.pat.lab.samples == 4  # at 0, 4, 8 and 12 h
    assert times[-3:] == [4 * 3600.0, 8 * 3600.0, 12 * 3600.0]
    # The lab's error: 2 % + 0.05 g/l (sd), from many draws.
    lab = LabSampler({"y": LabMethod(0.02, 0.05)}, interval_s=1.0, seed=3)
    draws = []
    for k in range(4000):
        lab.take(float(k), {"y": 10.0})
        draws.append(lab.values["y"])
    assert np.std(draws) == pytest.approx(math.hypot(0.2, 0.05), rel=0.05)
    assert np.mean(draws) == pytest.approx(10.0, abs=0.02)


def test_simulate_and_read_agree_and_a_snapshot_continues_identically() -> None:
    a = Bioreactor()
    rows = a.simulate(5 * 3600.0, dt_s=10.0, record_every=60)
    b = Bioreactor()
    for _ in range(int(5 * 3600 / 10)):
        b.step(10.0)
    read = b.read()
    for tag in (*PAT_TAGS, "glucose_pat", "titre_pat"):
        assert rows[tag][-1] == read[tag], tag
    # Snapshot at 3 h 59 min; both continue past the lab sample at 4 h.
    c, d = Bioreactor(), Bioreactor()
    for _ in range(int((4 * 3600 - 60) / 10)):
        c.step(10.0)
    d.restore(c.snapshot())
    for _ in range(30):
        c.step(10.0)
        d.step(10.0)
    assert c.read() == d.read()
    # A snapshot from before the diagnostics (no predictions, no lab) still restores.
    old = c.snapshot()
    del old["pat"]["predictions"], old["pat"]["lab"]
    e = Bioreactor()
    e.restore(old)
    assert e.read()["glucose_pat"] == c.read()["glucose_pat"]
    assert e.read()["glucose_pat_q"] == c.read()["glucose_pat_q"]


def test_soft_sensor_statuses_from_the_bioreactors_own_specs() -> None:
    specs = Bioreactor().tag_specs()
    layer = SensorLayer(specs, seed=0)
    values = Bioreactor().read()

    def status(**changed: float) -> tuple[float, int]:
        return layer.measure({**values, **changed}, step=0)["titre_pat"]

    assert status(titre_pat=-0.62, titre_pat_ok=0.0) == (-0.62, STATUS_UNDER_RANGE)  # published as predicted
    assert status(titre_pat=40.0, titre_pat_ok=0.0) == (40.0, STATUS_OVER_RANGE)
    assert status(titre_pat=5.0, titre_pat_ok=0.0) == (5.0, STATUS_OUT_OF_CALIBRATION)
    assert status(titre_pat=5.0, titre_pat_ok=1.0) == (5.0, STATUS_GOOD)
    assert status(titre_pat=-7.0, titre_pat_ok=0.0) == (-5.0, STATUS_EU_EXCEEDED)  # the transmitter's range


def test_dryer_nir_interval_lab_samples_and_calibrated_range() -> None:
    dryer = FluidBedDryer(FluidBedDryerParams(repeat_interval_min=0.0, seed=2))
    assert dryer.read()["nir_lod_pi"] == pytest.approx(1.96 * 0.2, rel=1e-3)
    assert dryer.read()["lod_lab"] == pytest.approx(20.0, abs=0.5)  # the wet granules as loaded
    while dryer.read()["phase"] != 2.0:
        dryer.step(10.0)
    r = dryer.read()
    # Loaded, every 10 min while drying, and the release sample at the end-point.
    assert dryer._lab.samples == 1 + int(r["drying_time"] // 10) + 1
    assert r["lod_lab"] == pytest.approx(r["product_lod"], abs=0.5)
    layer = SensorLayer(dryer.tag_specs(), seed=0)
    assert layer.measure({**r, "nir_lod": 27.0}, step=0)["nir_lod"] == (27.0, STATUS_OVER_RANGE)
    assert layer.measure(r, step=0)["nir_lod"][1] == STATUS_GOOD


def test_bad_diagnostic_parameters_name_the_field() -> None:
    with pytest.raises(ValueError, match=r"interval_confidence must be between 0.5 and 1 \(e.g. 0.95\), got 1.5"):
        PatParams(interval_confidence=1.5)
    with pytest.raises(ValueError, match="lab_sample_interval_s must be > 0"):
        PatParams(lab_sample_interval_s=0)
    with pytest.raises(ValueError, match="lab_lod_sd_pct"):
        FluidBedDryerParams(lab_lod_sd_pct=-1)
