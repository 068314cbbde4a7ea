"""Tests of the PID controller: algorithm, modes, anti-windup, persistence."""

from __future__ import annotations

import json
import math

import pytest

from models.pid import Pid, PidTuning


def first_order_plant(gain: float, tau: float):
    """Exact discretisation of y' = (gain·u - y) / tau, zero-order hold on u."""
    y = 0.0

    def step(u: float, dt: float) -> float:
        nonlocal y
        a = math.exp(-dt / tau)
        y = a * y + (1.0 - a) * gain * u
        return y

    return step


def test_proportional_and_integral_terms() -> None:
    pid = Pid(PidTuning(kp=2.0, ki=0.5), setpoint=10.0)
    assert pid.update(7.0, dt=0.5) == pytest.approx(2.0 * 3.0 + 0.5 * 3.0 * 0.5)
    assert pid.update(7.0, dt=0.5) == pytest.approx(2.0 * 3.0 + 0.5 * 3.0 * 1.0)
    assert pid.integral == pytest.approx(1.5)


def test_output_is_clipped_to_limits() -> None:
    pid = Pid(PidTuning(kp=10.0, out_min=-5.0, out_max=5.0), setpoint=0.0)
    assert pid.update(-3.0, 0.1) == 5.0
    assert pid.update(3.0, 0.1) == -5.0


def test_derivative_on_measurement_has_no_setpoint_kick() -> None:
    pid = Pid(PidTuning(kp=1.0, kd=10.0, out_min=-1e6, out_max=1e6), setpoint=0.0)
    pid.update(0.0, 0.1)
    pid.setpoint = 5.0
    # A setpoint step changes only the P term: no kd * 5 / 0.1 = 500 spike.
    assert pid.update(0.0, 0.1) == pytest.approx(5.0)
    # A measurement ramp of 1 per second gives D = -kd * 1.
    out = pid.update(0.1, 0.1)
    assert out == pytest.approx(1.0 * 4.9 - 10.0)


def test_derivative_filter() -> None:
    tuning = PidTuning(kp=0.0, kd=1.0, derivative_filter_s=0.9, out_min=-1e6, out_max=1e6)
    pid = Pid(tuning, setpoint=0.0)
    pid.update(0.0, 0.1)
    # Raw derivative term -1 * 1 / 0.1 = -10, filtered with alpha = 0.1 / (0.9 + 0.1).
    assert pid.update(1.0, 0.1) == pytest.approx(-1.0)
    assert pid.update(1.0, 0.1) == pytest.approx(-0.9)  # decays: 0.9 * -1 + 0.1 * 0


def test_step_response_settles_on_first_order_plant() -> None:
    """PI on y' = (2u - y)/5: settles to 2 % of a unit step within 15 s, overshoot < 10 %."""
    plant = first_order_plant(gain=2.0, tau=5.0)
    pid = Pid(PidTuning(kp=1.0, ki=0.3, out_min=-10.0, out_max=10.0), setpoint=1.0)
    y, ys = 0.0, []
    for _ in range(600):  # 60 s at 0.1 s
        y = plant(pid.update(y, 0.1), 0.1)
        ys.append(y)
    last_outside = max(i for i, v in enumerate(ys) if abs(v - 1.0) > 0.02)
    assert (last_outside + 1) * 0.1 < 15.0
    assert max(ys) < 1.10
    assert ys[-1] == pytest.approx(1.0, abs=1e-6)


def test_manual_mode_honours_the_written_output() -> None:
    pid = Pid(PidTuning(kp=5.0, ki=1.0), setpoint=50.0, auto=False, output=12.0)
    for _ in range(100):
        assert pid.update(0.0, 0.1) == 12.0
    pid.set_output(40.0)
    assert pid.update(80.0, 0.1) == 40.0


def test_set_output_rules() -> None:
    pid = Pid(PidTuning(kp=1.0), auto=True)
    with pytest.raises(RuntimeError, match="auto"):
        pid.set_output(10.0)
    pid.set_auto(False)
    with pytest.raises(ValueError, match=r"\[0.0, 100.0\]"):
        pid.set_output(120.0)
    with pytest.raises(ValueError):
        pid.set_output(float("nan"))


def test_bumpless_manual_to_auto() -> None:
    pid = Pid(PidTuning(kp=4.0, ki=0.2, kd=3.0), setpoint=20.0, auto=False, output=63.0)
    pid.update(17.0, 0.1)
    pid.set_auto(True)
    first = pid.update(17.0, 0.1)
    # Only this step's integral action (0.2 * 3 * 0.1) separates it from the manual output,
    # although P alone would be 4 * 3 = 12 and there is a derivative history.
    assert first == pytest.approx(63.0 + 0.06)
    # With ki = 0 the transfer is exact.
    pid = Pid(PidTuning(kp=4.0), setpoint=20.0, auto=False, output=63.0)
    pid.set_auto(True)
    assert pid.update(17.0, 0.1) == pytest.approx(63.0)


def test_bumpless_auto_to_manual() -> None:
    pid = Pid(PidTuning(kp=4.0, ki=0.2), setpoint=20.0)
    for _ in range(10):
        out = pid.update(17.0, 0.1)
    pid.set_auto(False)
    assert pid.update(10.0, 0.1) == out


def test_anti_windup_leaves_saturation_at_once() -> None:
    tuning = PidTuning(kp=0.5, ki=0.5, out_max=100.0)
    pid = Pid(tuning, setpoint=100.0)
    for _ in range(10_000):  # 1000 s saturated high; a naive integral would reach 50 000
        assert pid.update(0.0, 0.1) <= 100.0
    assert pid.output == 100.0
    assert pid.integral == pytest.approx(100.0 - 0.5 * 100.0)
    # The error turns negative: the output must drop below 100 on the very first step.
    pid.setpoint = 0.0
    out = pid.update(10.0, 0.1)
    assert out == pytest.approx(-5.0 + 50.0 - 0.5)


def test_anti_windup_low_limit() -> None:
    pid = Pid(PidTuning(kp=1.0, ki=1.0, out_min=0.0, out_max=100.0), setpoint=0.0)
    for _ in range(1000):
        pid.update(50.0, 0.1)
    assert pid.output == 0.0
    assert pid.integral >= 0.0 - 1.0 * 50.0 - 1e-12  # not wound to -5000
    pid.setpoint = 60.0
    assert pid.update(50.0, 0.1) > 0.0


def test_snapshot_restore_is_deterministic_through_json() -> None:
    a = Pid(PidTuning(kp=1.5, ki=0.4, kd=0.7, derivative_filter_s=0.3), setpoint=3.0)
    for i in range(50):
        a.update(math.sin(i / 7.0), 0.1)
    b = Pid(PidTuning(kp=99.0), setpoint=-1.0, auto=False)
    b.restore(json.loads(json.dumps(a.snapshot())))
    for i in range(50, 200):
        pv = math.sin(i / 7.0)
        if i == 120:
            a.set_auto(False)
            b.set_auto(False)
        if i == 150:
            a.set_auto(True)
            b.set_auto(True)
        assert a.update(pv, 0.1) == b.update(pv, 0.1)
    assert a.snapshot() == b.snapshot()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"kp": 1.0, "out_min": 5.0, "out_max": 5.0}, "out_min"),
        ({"kp": float("inf")}, "kp must be finite"),
        ({"kp": 1.0, "derivative_filter_s": -1.0}, "derivative_filter_s"),
    ],
)
def test_tuning_validation(kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        PidTuning(**kwargs)


def test_update_rejects_non_positive_dt() -> None:
    pid = Pid(PidTuning(kp=1.0))
    with pytest.raises(ValueError, match="dt"):
        pid.update(0.0, 0.0)
