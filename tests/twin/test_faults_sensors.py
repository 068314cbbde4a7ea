"""Sensor faults on a running plant: each changes what is read, once; on a controlled variable it moves the process.

B101 is the level loop's transmitter: the loop regulates on what it reads, so a bias makes the
real level move the other way while the reading goes back to its setpoint, as on the kit. B102
feeds the flow loop, which is in manual (tracking the pump): a fault there changes only the reading.
"""

from __future__ import annotations

import numpy as np
import pytest

from twin.faults.service import TwinControl
from twin.plant import PlantConfig, build_plant
from twin.runtime import TwinRuntime
from twin.sensors import STATUS_EU_EXCEEDED, STATUS_SENSOR_FAILURE

TAG = "B101_level"


def _plant() -> tuple[TwinRuntime, TwinControl]:
    cfg = PlantConfig.model_validate({"site": "lab", "units": [{"name": "mps-pa", "type": "mps_pa"}]})
    runtime = TwinRuntime(build_plant(cfg, seed=3), seed=3)
    control = TwinControl(runtime, site="lab", run_id="test")
    for _ in range(3000):  # 300 s: the level loop has settled at 15 cm
        runtime.step()
    return runtime, control


def _record(runtime: TwinRuntime, seconds: float, every: int = 1) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """(reading, true level, statuses) every ``every`` steps for ``seconds``."""
    read, true, status = [], [], []
    for k in range(round(seconds / runtime.dt_s)):
        runtime.step()
        if k % every == 0:
            value, st = runtime.readings("mps-pa")[TAG]
            read.append(float(value))
            true.append(_true_level(runtime))
            status.append(st)
    return np.array(read), np.array(true), status


def _true_level(runtime: TwinRuntime) -> float:
    return float(runtime.slots["mps-pa"].unit.read()[TAG])


def _fault(kind: str, magnitude: float | None = None, **extra: object) -> dict[str, object]:
    body: dict[str, object] = {"kind": kind, "target": {"unit": "mps-pa", "tag": TAG}, **extra}
    if magnitude is not None:
        body["magnitude"] = magnitude
    return body


def test_bias_on_the_controlled_level_moves_the_real_level_and_the_reading_returns_to_setpoint() -> None:
    runtime, control = _plant()
    before, before_true, _ = _record(runtime, 60)
    control.inject(_fault("sensor_bias", 2.0))
    read, true, _ = _record(runtime, 300)
    # The error is in the reading once: reading = true level + 2 cm, from the first reading on.
    assert (read - true).mean() == pytest.approx(2.0, abs=0.02)
    assert read[:5].mean() == pytest.approx(before.mean() + 2.0, abs=0.3)  # the step, before the loop acts
    # The loop brought the reading back to 15 cm by taking the real level down 2 cm.
    assert read[-60:].mean() == pytest.approx(15.0, abs=0.05)
    assert true[-60:].mean() == pytest.approx(before_true.mean() - 2.0, abs=0.05)
    assert runtime.slots["mps-pa"].unit.read()["level_out"] < 60.0  # less pump for a lower level
    control.clear(control.faults("instructor")[0]["id"])
    read, true, _ = _record(runtime, 300)
    assert abs((read - true).mean()) < 0.02
    assert true[-60:].mean() == pytest.approx(15.0, abs=0.05)


def test_bias_on_a_transmitter_no_loop_regulates_on_changes_only_the_reading() -> None:
    runtime, control = _plant()
    flow = lambda: float(runtime.slots["mps-pa"].unit.read()["B102_flow"])  # noqa: E731
    flows0 = []
    for _ in range(60):
        runtime.step()
        flows0.append(flow())
    control.inject({"kind": "sensor_bias", "target": {"unit": "mps-pa", "tag": "B102_flow"}, "magnitude": 1.5})
    errors, flows1 = [], []
    for _ in range(600):
        runtime.step()
        errors.append(float(runtime.readings("mps-pa")["B102_flow"][0]) - flow())
        flows1.append(flow())
    assert np.mean(errors) == pytest.approx(1.5, abs=0.01)
    assert np.mean(flows1) == pytest.approx(np.mean(flows0), abs=0.01)  # the flow loop is in manual


def test_drift_grows_with_time_and_ramp_reaches_full_bias() -> None:
    runtime, control = _plant()
    control.inject(_fault("sensor_drift", 6.0))  # 6 cm/h = 0.1 cm/min
    read, true, _ = _record(runtime, 600, every=10)
    err = read - true
    assert err[:60].mean() < err[-60:].mean()
    assert err[-10:].mean() == pytest.approx(1.0, abs=0.1)  # ~10 min in
    runtime2, control2 = _plant()
    control2.inject(_fault("sensor_bias", 3.0, ramp_s=100))
    read, true, _ = _record(runtime2, 200, every=10)
    err = read - true
    assert err[50] == pytest.approx(3.0 * 0.5, abs=0.4)  # half way up the ramp at 50 s
    assert err[-5:].mean() == pytest.approx(3.0, abs=0.1)


def test_extra_noise_widens_the_spread() -> None:
    runtime, control = _plant()
    read0, true0, _ = _record(runtime, 100)
    control.inject(_fault("sensor_noise", 0.5))
    read1, true1, _ = _record(runtime, 100)
    sd0, sd1 = float(np.std(read0 - true0)), float(np.std(read1 - true1))
    assert sd0 == pytest.approx(0.1, rel=0.2)
    assert sd1 == pytest.approx(float(np.hypot(0.1, 0.5)), rel=0.15)


def test_stuck_sensor_freezes_while_the_loop_pumps_blind() -> None:
    runtime, control = _plant()
    control.inject(_fault("sensor_stuck"))
    runtime.write("mps-pa", "level_sp", 20.0)
    read, true, status = _record(runtime, 200)
    assert np.ptp(read) == 0.0
    assert set(status) == {0}
    # The loop sees 15 cm whatever it does: it drives the pump to full speed, past the new setpoint.
    assert runtime.slots["mps-pa"].unit.read()["level_out"] == 100.0
    assert true[-1] > 20.5


def test_dropout_holds_the_last_value_with_bad_status_and_the_loop_holds_its_output() -> None:
    runtime, control = _plant()
    out0 = runtime.slots["mps-pa"].unit.read()["level_out"]
    control.inject(_fault("sensor_dropout", duration_s=50))
    runtime.write("mps-pa", "level_sp", 20.0)  # the loop would act, if it could see
    read, _, status = _record(runtime, 40)
    held_out = runtime.slots["mps-pa"].unit.read()["level_out"]
    assert status[10] == STATUS_SENSOR_FAILURE and status[-1] == STATUS_SENSOR_FAILURE
    assert np.ptp(read) == 0.0
    assert held_out == out0  # a Bad PV: the PID block holds its output
    read, _, status = _record(runtime, 30)
    assert status[-1] == 0  # back after its duration
    assert runtime.slots["mps-pa"].unit.read()["level_out"] > held_out + 10.0  # and the loop acts again


def test_spikes_come_at_about_their_rate() -> None:
    runtime, control = _plant()
    control.inject(_fault("sensor_spikes", 5.0, rate_per_h=3600))  # one per second on average
    read, true, _ = _record(runtime, 200)
    spikes = int(np.sum(np.abs(read - true) > 2.5))
    assert 120 <= spikes <= 280  # Poisson(200) with the per-reading probability 0.1


def test_gain_scales_and_the_transmitter_saturates() -> None:
    runtime, control = _plant()
    control.inject(_fault("sensor_gain", 1.1))
    read, true, _ = _record(runtime, 300)
    assert (read / true).mean() == pytest.approx(1.1, abs=0.01)
    assert true[-60:].mean() == pytest.approx(15.0 / 1.1, abs=0.05)  # the loop holds 1.1 x level at 15 cm
    control.inject(_fault("sensor_gain", 2.5, id="big"))  # 2.5 x 15 cm is past B101's 30 cm span
    runtime.step()
    value, status = runtime.readings("mps-pa")[TAG]
    assert value == 30.0 and status == STATUS_EU_EXCEEDED


def test_two_faults_on_one_transmitter_reach_the_loop_as_they_reach_the_reading() -> None:
    runtime, control = _plant()
    control.inject(_fault("sensor_gain", 1.1, id="gain"))
    control.inject(_fault("sensor_bias", 1.0, id="zero"))
    read, true, _ = _record(runtime, 400)
    assert (read - (1.1 * true + 1.0)).mean() == pytest.approx(0.0, abs=0.02)  # each error once, in order
    assert read[-60:].mean() == pytest.approx(15.0, abs=0.05)  # the loop saw that very reading
    assert true[-60:].mean() == pytest.approx((15.0 - 1.0) / 1.1, abs=0.05)
    control.clear("gain")
    read, true, _ = _record(runtime, 300)
    assert (read - true).mean() == pytest.approx(1.0, abs=0.02)
    assert true[-60:].mean() == pytest.approx(14.0, abs=0.05)


def _one_unit(unit_type: str, bias: float | None, tag: str) -> TwinRuntime:
    cfg = PlantConfig.model_validate({"site": "lab", "units": [{"name": "u", "type": unit_type, "dt_s": 1.0}]})
    runtime = TwinRuntime(build_plant(cfg, seed=3), dt_s=1.0, seed=3)
    control = TwinControl(runtime, site="lab", run_id="test")
    if bias is not None:
        control.inject({"kind": "sensor_bias", "target": {"unit": "u", "tag": tag}, "magnitude": bias})
    return runtime


def test_the_checkweigher_publishes_what_it_weighed_with_the_error_once() -> None:
    runtime = _one_unit("filling_line", 0.8, "fill_weight")
    errors = []
    for _ in range(1800):
        runtime.step()
        value, status = runtime.readings("u")["fill_weight"]
        errors.append(float(value) - runtime.slots["u"].unit.read()["fill_weight_mean"])
        assert status == 0
    assert np.mean(errors[600:]) == pytest.approx(0.8, abs=0.1)  # once, not 1.6


def test_the_nir_publishes_its_faulty_prediction_with_the_error_once() -> None:
    nominal, biased = _one_unit("fluid_bed_dryer", None, "nir_lod"), _one_unit("fluid_bed_dryer", 0.8, "nir_lod")
    diffs = []
    for _ in range(900):  # drying: the NIR has not reached the end-point in either
        nominal.step()
        biased.step()
        diffs.append(float(biased.readings("u")["nir_lod"][0]) - float(nominal.readings("u")["nir_lod"][0]))
    assert nominal.slots["u"].unit.read()["phase"] == biased.slots["u"].unit.read()["phase"] == 1.0
    assert diffs[-1] == pytest.approx(0.8, abs=1e-9)  # once, not 1.6


def test_injecting_on_a_paused_plant_takes_effect_on_resume() -> None:
    runtime, control = _plant()
    runtime.pause()
    true_now = _true_level(runtime)
    fault = control.inject(_fault("sensor_bias", 4.0))
    assert fault["state"] == "pending"
    assert runtime.readings("mps-pa")[TAG][0] == pytest.approx(true_now, abs=0.5)
    runtime.step()  # what the runtime does on resume (or single step)
    assert control.faults("instructor")[0]["state"] == "active"
    assert runtime.readings("mps-pa")[TAG][0] == pytest.approx(_true_level(runtime) + 4.0, abs=0.5)


def test_bad_input_lists_the_valid_options() -> None:
    _, control = _plant()
    with pytest.raises(ValueError, match=r"valid kinds: .*sensor_bias"):
        control.inject({"kind": "sensor_wobble", "target": {"unit": "mps-pa", "tag": TAG}})
    with pytest.raises(ValueError, match="unknown unit 'tank-9'; units: mps-pa"):
        control.inject(_fault("sensor_bias", 1.0) | {"target": {"unit": "tank-9", "tag": TAG}})
    with pytest.raises(ValueError, match="measurements: B101_level, B102_flow"):
        control.inject(_fault("sensor_bias", 1.0) | {"target": {"unit": "mps-pa", "tag": "level_sp"}})
    with pytest.raises(ValueError, match="outside -30 to 30"):
        control.inject(_fault("sensor_bias", 45.0))
    with pytest.raises(ValueError, match="'magnitude' is required"):
        control.inject(_fault("sensor_bias"))
    with pytest.raises(KeyError, match="no fault 'F9'"):
        control.clear("F9")


def test_hidden_faults_are_not_shown_to_students() -> None:
    _, control = _plant()
    control.inject(_fault("sensor_bias", 1.0, note="the answer is B101"), hidden=True)
    control.inject(_fault("sensor_noise", 0.2))
    student = control.faults("student")
    assert [f["kind"] for f in student] == ["sensor_noise"]
    assert all("note" not in f for f in student)
    assert len(control.faults("instructor")) == 2


def test_snapshot_restores_active_faults() -> None:
    runtime, control = _plant()
    control.inject(_fault("sensor_stuck"))
    runtime.step()
    snap = runtime.snapshot()
    held = runtime.readings("mps-pa")[TAG][0]
    runtime2, control2 = _plant()
    runtime2.restore(snap)
    assert control2.faults("instructor")[0]["state"] == "active"
    runtime2.write("mps-pa", "level_sp", 20.0)
    for _ in range(500):
        runtime2.step()
    assert runtime2.readings("mps-pa")[TAG][0] == held
