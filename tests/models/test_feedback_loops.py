"""Every unit's logic regulates on what its sensors show (``unit.feedback``), as on a plant.

A sensor error set on a controlled variable moves the real process the other way while the
controller holds the measurement on its setpoint; a failed transmitter holds its loop's output;
the vectorised ``Bioreactor.simulate`` path and snapshots honour it like ``step``.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from models.autoclave import Autoclave, AutoclaveParams, Phase
from models.bioreactor import Bioreactor
from models.dryer import FluidBedDryer, FluidBedDryerParams
from models.filling_line import FillingLine, FillingLineParams
from models.mps_pa import FEEDBACK_TAGS, MpsPaStation


@pytest.fixture(scope="module")
def snap60() -> dict[str, Any]:
    """Fed phase: the pH loop adds base, the DO loop holds 30 % with the agitator, the jacket cools."""
    br = Bioreactor()
    br.simulate(60 * 3600.0, dt_s=10.0, record_every=10**9)
    return json.loads(json.dumps(br.snapshot()))


def at(snap: dict[str, Any]) -> Bioreactor:
    br = Bioreactor()
    br.restore(snap)
    return br


def run(unit: Any, seconds: float) -> dict[str, float]:
    for _ in range(round(seconds)):
        unit.step(1.0)
    return dict(unit.read())


@pytest.mark.parametrize(
    ("tag", "offset", "true_tag", "expected"),
    [("ph", -0.2, "ph", 6.7), ("temperature", 1.0, "temperature", 24.0), ("do", 5.0, "do", 25.0)],
)
def test_a_biased_bioreactor_probe_moves_the_real_value_the_other_way(
    snap60: dict[str, Any], tag: str, offset: float, true_tag: str, expected: float
) -> None:
    br = at(snap60)
    br.feedback.set(tag, offset=offset)
    r = run(br, 1800)
    assert r[true_tag] == pytest.approx(expected, abs=0.02)
    assert r[true_tag] + offset == pytest.approx(r[f"{tag}_sp"], abs=0.02)  # what the probe shows: on setpoint
    br.feedback.clear(tag)
    after = run(br, 1800)
    if tag == "ph":  # base only: the loop stops the base pump and waits for the culture's acid
        assert after["ph_out"] == 0.0 and r["ph"] - 0.05 < after["ph"] < r["ph"]
    else:
        assert after[true_tag] == pytest.approx(r[f"{tag}_sp"], abs=0.02)


def test_a_ph_probe_reading_low_makes_the_loop_add_more_base(snap60: dict[str, Any]) -> None:
    nominal = at(snap60)
    base0 = [run(nominal, 60)["base_flow"] for _ in range(10)]
    br = at(snap60)
    br.feedback.set("ph", offset=-0.2)
    base1 = [run(br, 60)["base_flow"] for _ in range(10)]
    assert np.mean(base1) > 2.0 * np.mean(base0)  # the base that takes the real pH up by 0.2


def test_a_failed_probe_holds_its_loops_output_and_the_loop_resumes_without_a_bump(snap60: dict[str, Any]) -> None:
    br = at(snap60)
    out0 = br.read()["ph_out"]
    br.feedback.set("ph", held=6.5, failed=True)
    outs = [run(br, 60)["ph_out"] for _ in range(10)]
    assert outs == [out0] * 10
    br.feedback.clear("ph")
    br.step(1.0)
    assert abs(br.read()["ph_out"] - out0) < 5.0  # bumpless: from the held output, not from a wound-up integral


def test_simulate_fast_path_and_snapshots_honour_the_sensor_errors(snap60: dict[str, Any]) -> None:
    stepped, fast = at(snap60), at(snap60)
    for br in (stepped, fast):
        br.feedback.set("ph", offset=-0.1, key="zero")
        br.feedback.set("temperature", gain=1.01, key="span")
    run(stepped, 600)
    data = fast.simulate(600.0, dt_s=1.0, record_every=600)
    assert data["ph"][-1] == stepped.read()["ph"] and data["temperature"][-1] == stepped.read()["temperature"]
    assert data["ph"][-1] == pytest.approx(6.6, abs=0.02)
    copy = at(json.loads(json.dumps(stepped.snapshot())))
    assert run(copy, 300) == run(stepped, 300)  # the errors came back with the snapshot


def test_mps_pa_loops_read_their_transmitters() -> None:
    st = MpsPaStation()
    st.feedback.set(FEEDBACK_TAGS["level"], offset=1.0)
    st.feedback.set(FEEDBACK_TAGS["temperature"], offset=-2.0)
    r = run(st, 1500)
    assert r["B101_level"] == pytest.approx(14.0, abs=0.05)
    assert r["B104_temperature"] == pytest.approx(32.0, abs=0.3)  # heating towards 30 °C as read


def test_dryer_heater_loop_on_a_probe_reading_low_blows_hotter_air() -> None:
    dryer = FluidBedDryer(FluidBedDryerParams(seed=1))
    dryer.feedback.set("inlet_air_temperature", offset=-5.0)
    r = run(dryer, 600)
    assert r["inlet_air_temperature"] == pytest.approx(r["inlet_temperature_sp"] + 5.0, abs=0.1)


def _cycle(unit: Autoclave) -> np.ndarray:
    rows = []
    for _ in range(3600):
        unit.step(1.0)
        r = unit.read()
        rows.append((r["phase"], r["chamber_temperature"], r["chamber_pressure"], r["air_partial_pressure"], r["f0"]))
    return np.array(rows)


def test_autoclave_loop_and_sequencer_act_on_their_transmitters() -> None:
    nominal = _cycle(Autoclave(AutoclaveParams()))
    cold_probe = Autoclave(AutoclaveParams())
    cold_probe.feedback.set("chamber_temperature", offset=-2.0)  # the drain probe reads 2 K low
    hot = _cycle(cold_probe)
    hold = int(Phase.HOLD)
    assert hot[hot[:, 0] == hold, 1].mean() == pytest.approx(nominal[nominal[:, 0] == hold, 1].mean() + 2.0, abs=0.1)
    assert hot[-1, 4] > 1.2 * nominal[-1, 4]  # more F0 for the hotter chamber
    low_reading = Autoclave(AutoclaveParams())
    low_reading.feedback.set("chamber_pressure", offset=-0.02)  # the pulses stop 0.02 bar short of their vacuum
    shallow = _cycle(low_reading)
    pre = int(Phase.PREVACUUM)
    assert shallow[shallow[:, 0] == pre, 2].min() == pytest.approx(
        nominal[nominal[:, 0] == pre, 2].min() + 0.02, abs=2e-3
    )
    assert shallow[shallow[:, 0] == hold, 3][0] > 1.5 * nominal[nominal[:, 0] == hold, 3][0]  # more air left in


def test_checkweigher_rejects_on_what_its_scale_reads() -> None:
    def hour(offset: float) -> dict[str, float]:
        line = FillingLine(FillingLineParams(seed=1))
        line.feedback.set("fill_weight", offset=offset)
        return run(line, 3600)

    good, biased = hour(0.0), hour(0.8)
    assert biased["checkweigher_produced"] == good["checkweigher_produced"]
    assert biased["checkweigher_rejected"] > 50 * max(good["checkweigher_rejected"], 1.0)
    assert biased["fill_weight_mean"] == good["fill_weight_mean"]  # the filler fills as before
