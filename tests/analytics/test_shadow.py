"""Shadow residuals and their SPC (analytics/shadow*.py), on seeded synthetic series.

The residual of a plant against a twin, its windows, the reference, the per-tag charts and
alarms, and a shadow read back from a real SQLite historian (analytics/shadow_report.py).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from analytics.shadow import NS_PER_S, Windows, reference_of, residuals, window_means
from analytics.shadow_report import load_shadow
from analytics.shadow_spc import ShadowMonitor, ShadowSpcConfig, alarm_id
from historian import Point, open_historian

T0 = 1_700_000_000 * NS_PER_S


def test_residual_is_plant_minus_twin_interpolated_at_the_plant_times() -> None:
    twin_t = np.arange(0, 101, 10) * NS_PER_S  # a 10 s grid
    twin_v = 2.0 * np.arange(0, 101, 10)  # a ramp: 2 per second
    rng = np.random.default_rng(1)
    plant_t = np.sort(rng.integers(0, 100 * NS_PER_S, 200))
    plant_v = 2.0 * plant_t / NS_PER_S + 0.5
    t, r = residuals(plant_t, plant_v, twin_t, twin_v, max_gap_ns=10 * NS_PER_S)
    assert t.tolist() == plant_t.tolist()
    np.testing.assert_allclose(r, 0.5, atol=1e-9)  # exact on a ramp, whatever the sampling


def test_residual_is_missing_where_the_twin_did_not_run() -> None:
    twin_t = np.array([10, 20, 60, 70]) * NS_PER_S  # a gap from 20 to 60 s
    plant_t = np.array([5, 10, 15, 40, 65, 80]) * NS_PER_S
    _, r = residuals(plant_t, np.ones(6), twin_t, np.zeros(4), max_gap_ns=15 * NS_PER_S)
    assert [math.isnan(x) for x in r] == [True, False, False, True, False, True]
    with pytest.raises(ValueError, match="differ in length"):
        residuals(plant_t, np.ones(5), twin_t, np.zeros(4), 1)


def test_windows_are_aligned_on_the_epoch_and_skip_missing_values() -> None:
    t = np.array([T0 + 1, T0 + 9 * NS_PER_S, T0 + 10 * NS_PER_S, T0 + 25 * NS_PER_S])
    w = window_means(t, [1.0, 3.0, math.nan, 5.0], 10.0)
    assert (w.time_ns - T0).tolist() == [0, 20 * NS_PER_S]
    assert w.mean.tolist() == [2.0, 5.0] and w.count.tolist() == [2, 1]
    with pytest.raises(ValueError, match="window_s"):
        window_means(t, [1.0] * 4, 0.0)


def test_reference_needs_enough_windows_and_floors_a_constant_residual() -> None:
    w = Windows(np.arange(20, dtype=np.int64), np.zeros(20), np.ones(20, dtype=np.int64))
    ref = reference_of("out", w, 0, 20, sigma_floor=0.01)
    assert (ref.mean, ref.sigma, ref.n) == (0.0, 0.01, 20)
    assert "floor" in ref.notes[0]
    with pytest.raises(ValueError, match="3 residual window"):
        reference_of("out", w, 0, 3, sigma_floor=0.01)


def test_config_errors_name_the_setting() -> None:
    with pytest.raises(ValueError, match="settle_s"):
        ShadowSpcConfig(settle_s=-1)
    with pytest.raises(ValueError, match="method"):
        ShadowSpcConfig(method="pca")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lambda_"):
        ShadowSpcConfig(lambda_=2.0)


def _feed(monitor: ShadowMonitor, tag: str, values: np.ndarray, step_s: float = 1.0) -> list[Point]:
    times = T0 + (np.arange(len(values)) * step_s * NS_PER_S).astype(np.int64)
    return monitor.add(tag, times, values) + monitor.flush(int(times[-1]) + NS_PER_S)


def test_monitor_settles_learns_then_alarms_on_a_shift_only() -> None:
    """White residual noise for 3 h: no alarm (EWMA at ARL0 20,000 windows); a 3-sigma shift of
    the window means after that: raised within a few windows, on that tag only, then cleared."""
    rng = np.random.default_rng(7)
    cfg = ShadowSpcConfig(window_s=10, settle_s=300, reference_s=1800, clear_after_s=60)
    n = 3 * 3600
    quiet = rng.normal(0.0, 0.1, n)
    shifted = quiet.copy()
    sigma_window = 0.1 / math.sqrt(10)
    shifted[7200:9000] += 3.0 * sigma_window
    monitor = ShadowMonitor("lab", "u1", {"A": 1e-4, "B": 1e-4}, start_ns=T0, config=cfg, run_id="r1")
    events = _feed(monitor, "A", shifted) + _feed(monitor, "B", quiet)
    kinds = [(p.tags["kind"], p.fields.get("tag"), round((p.time_ns - T0) / NS_PER_S)) for p in events]
    assert [k for k in kinds if k[0] == "shadow_reference"] == [
        ("shadow_reference", "A", 2100),
        ("shadow_reference", "B", 2100),
    ]
    alarms = [k for k in kinds if k[0].startswith("alarm_")]
    assert [k[:2] for k in alarms] == [("alarm_raised", "A"), ("alarm_cleared", "A")]
    raised_s, cleared_s = alarms[0][2], alarms[1][2]
    assert 7200 <= raised_s <= 7200 + 200  # within 20 windows of a 3-sigma shift
    assert 9000 <= cleared_s <= 9000 + 600
    raised = next(p for p in events if p.tags["kind"] == "alarm_raised")
    assert raised.fields["alarm_id"] == alarm_id("u1", "A") == "shadow:u1/A"
    assert raised.fields["method"] == "shadow" and raised.fields["run_id"] == "r1"
    ref = monitor.charts["B"].reference
    assert ref is not None and ref.n == 180
    assert ref.sigma == pytest.approx(sigma_window * 1.1, rel=0.1)  # the upper 95 % bound: +10 %
    state = monitor.state()
    assert state["A"]["phase"] == "chart" and state["A"]["state"] == "unack_rtn" and not state["A"]["alarm"]


def test_same_window_events_of_two_tags_keep_their_own_identity() -> None:
    cfg = ShadowSpcConfig(window_s=1, settle_s=0, reference_s=10, method="shewhart", clear_after_s=100)
    monitor = ShadowMonitor("lab", "u", {"A": 0.01, "B": 0.01}, start_ns=T0, config=cfg)
    values = np.r_[np.tile([0.1, -0.1], 5), 5.0]
    events = _feed(monitor, "A", values) + _feed(monitor, "B", values)
    raised = [p for p in events if p.tags["kind"] == "alarm_raised"]
    assert len({(p.measurement, tuple(sorted(p.tags.items())), p.time_ns) for p in raised}) == 2


def test_late_data_for_a_closed_window_is_not_charted() -> None:
    cfg = ShadowSpcConfig(window_s=1, settle_s=0, reference_s=5, min_windows=2)
    monitor = ShadowMonitor("lab", "u", {"A": 0.01}, start_ns=T0, config=cfg)
    monitor.add("A", [T0, T0 + 2 * NS_PER_S], [0.0, 0.0])
    before = len(monitor.recent["A"])
    monitor.add("A", [T0 + NS_PER_S // 2], [9.0])  # window 0 is closed
    assert len(monitor.recent["A"]) == before and monitor.recent["A"][0].residual == 0.0


async def test_a_shadow_is_read_back_with_the_runs_reference_and_alarms(tmp_path: Path) -> None:
    """plc and sim series of one tag side by side in SQLite; the report uses the live run's reference."""
    rng = np.random.default_rng(3)
    n = 1200
    plant = [
        Point(
            "process",
            {"site": "lab", "unit": "u", "tag": "L", "source": "plc"},
            {"value": 10.0 + rng.normal(0, 0.05) + (0.2 if i >= 900 else 0.0), "status": 0},
            T0 + i * NS_PER_S + NS_PER_S // 3,
        )
        for i in range(n)
    ]
    twin = [
        Point("process", {"site": "lab", "unit": "u", "tag": "L", "source": "sim"}, {"value": 10.0, "status": 0}, t)
        for t in range(T0, T0 + (n + 1) * NS_PER_S, NS_PER_S)
    ]
    cfg = ShadowSpcConfig(window_s=10, settle_s=60, reference_s=600, clear_after_s=30)
    monitor = ShadowMonitor("lab", "u", {"L": 1e-3}, start_ns=T0, config=cfg, run_id="r9")
    times = np.array([p.time_ns for p in plant])
    events = monitor.add("L", times, np.array([p.fields["value"] for p in plant]) - 10.0)
    events += monitor.flush(T0 + (n + 1) * NS_PER_S)
    async with open_historian(f"sqlite:///{tmp_path}/h.sqlite") as h:
        await h.write([*plant, *twin, *events])
        report = await load_shadow(h, "lab", "u", ["L", "absent"], T0, T0 + (n + 1) * NS_PER_S)
    assert list(report.tags) == ["L"]
    item = report.tags["L"]
    assert item.reference_from == "run"
    assert item.reference == monitor.charts["L"].reference
    assert len(item.plant) == n and len(item.twin) == n + 1
    np.testing.assert_allclose(item.residual, times * 0 + item.residual, equal_nan=True)
    row = item.summary()
    assert row["alarms_raised"] == 1 and row["first_alarm_ns"] >= T0 + 900 * NS_PER_S
    assert row["windows_out"] >= 1 and row["last_z"] > 5
    first_out = int(item.windows.time_ns[np.argmax(item.alarm)])
    assert first_out == row["first_alarm_ns"] - row["first_alarm_ns"] % (10 * NS_PER_S)
