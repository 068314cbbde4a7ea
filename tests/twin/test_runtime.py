"""Runtime: determinism for a seed, snapshot/restore continuity, pause and single step."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from models.mps_pa import MpsPaStation
from twin.clock import SimClock
from twin.runtime import TwinRuntime
from twin.sensors import Reading


def make(seed: int = 5) -> TwinRuntime:
    return TwinRuntime({"mps-pa": MpsPaStation()}, clock=SimClock(epoch_ns=0), seed=seed)


def record(rt: TwinRuntime, n: int) -> list[dict[str, Reading]]:
    out = []
    for i in range(n):
        if i == 20:
            rt.write("mps-pa", "level_sp", 18.0)  # a disturbance, so the data are not trivial
        rt.step()
        out.append(rt.readings("mps-pa"))
    return out


def test_same_seed_same_data_and_other_seed_differs() -> None:
    a, b, c = record(make(5), 200), record(make(5), 200), record(make(6), 200)
    assert a == b
    assert a != c


def test_readings_do_not_depend_on_how_often_they_are_taken() -> None:
    rt1, rt2 = make(), make()
    for _ in range(50):
        rt1.step()
        rt1.readings("mps-pa")  # an extra read (publish) every step
    for _ in range(50):
        rt2.step()
    assert rt1.readings("mps-pa") == rt2.readings("mps-pa")


def test_snapshot_restore_continue_equals_uninterrupted(tmp_path: Path) -> None:
    straight = make()
    full = record(straight, 300)

    first = make()
    head = record(first, 120)
    path = first.save_snapshot(tmp_path / "snap.json")
    resumed = make()
    resumed.load_snapshot(path)
    tail = []
    for _ in range(180):
        resumed.step()
        tail.append(resumed.readings("mps-pa"))
    assert head + tail == full
    assert resumed.clock.sim_time_s == pytest.approx(straight.clock.sim_time_s)


def test_restore_refuses_a_different_plant(tmp_path: Path) -> None:
    snap = make().snapshot()
    other = TwinRuntime({"other": MpsPaStation()})
    with pytest.raises(ValueError, match="differ from the plant's"):
        other.restore(snap)
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match="cannot read snapshot"):
        make().load_snapshot(tmp_path / "bad.json")


async def test_pause_stops_time_and_single_step_advances() -> None:
    rt = make()
    rt.set_speed(50.0)
    rt.publish_period_s = 0.05
    stop = asyncio.Event()
    task = asyncio.create_task(rt.run(stop))
    await asyncio.sleep(0.3)
    assert rt.steps > 0
    rt.pause()
    await asyncio.sleep(0.1)
    frozen = rt.steps
    await asyncio.sleep(0.3)
    assert rt.steps == frozen
    await rt.single_step(3)
    assert rt.steps == frozen + 3
    rt.resume()
    await asyncio.sleep(0.3)
    assert rt.steps > frozen + 3
    stop.set()
    await task


async def test_speed_max_runs_far_faster_than_real_time() -> None:
    rt = make()
    rt.set_speed(float("inf"))
    stop = asyncio.Event()
    task = asyncio.create_task(rt.run(stop))
    await asyncio.sleep(1.0)
    stop.set()
    await task
    assert rt.clock.sim_time_s > 100.0  # at least x100; a loose bound, the benchmark measures it


def test_a_unit_with_a_coarser_step_sees_the_same_simulated_time() -> None:
    rt = TwinRuntime({"fine": MpsPaStation(), "coarse": MpsPaStation()}, unit_dt_s={"coarse": 1.0}, seed=1)
    for _ in range(600):
        rt.step()
    fine, coarse = rt.slots["fine"].unit.read(), rt.slots["coarse"].unit.read()
    # Both heated for 60 s: the temperatures agree closely although steps differ tenfold.
    assert coarse["B104_temperature"] == pytest.approx(fine["B104_temperature"], abs=0.05)
    assert coarse["B104_temperature"] > 20.2
    with pytest.raises(ValueError, match="whole multiple"):
        TwinRuntime({"x": MpsPaStation()}, unit_dt_s={"x": 0.25})


class _Offset:
    """A fault layer that is not the fault manager: the runtime needs only the FaultLayer protocol."""

    def __init__(self) -> None:
        self.updates: list[float] = []

    def update(self, now_s: float) -> None:
        self.updates.append(now_s)

    def apply_readings(self, unit: str, readings: dict[str, Reading], step: int) -> dict[str, Reading]:
        value, status = readings["B101_level"]
        return {**readings, "B101_level": (float(value) + 100.0, status)}

    def timestamps(self, unit: str, readings: dict[str, Reading], now_ns: int) -> dict[int, dict[str, Reading]]:
        return {0: readings}

    def snapshot(self) -> dict[str, Any]:
        return {"updates": len(self.updates)}

    def restore(self, snap: dict[str, Any] | None) -> None:
        self.updates = [0.0] * int((snap or {}).get("updates", 0))


async def test_the_runtime_drives_any_fault_layer() -> None:
    rt, plain = make(), make()
    layer = _Offset()
    rt.faults = layer
    published: list[tuple[int, float]] = []

    async def publisher(unit: str, readings: dict[str, Reading], time_ns: int) -> None:
        published.append((time_ns, float(readings["B101_level"][0])))

    rt.publishers.append(publisher)
    for _ in range(3):
        rt.step()
        plain.step()
    assert layer.updates == pytest.approx([0.0, 0.1, 0.2])  # before each step, at the time it starts from
    assert rt.readings("mps-pa")["B101_level"][0] == plain.readings("mps-pa")["B101_level"][0] + 100.0
    await rt.publish()
    assert published == [(0, rt.readings("mps-pa")["B101_level"][0])]
    snap = rt.snapshot()
    assert snap["faults"] == {"updates": 3}
    rt.restore(snap)
    assert len(layer.updates) == 3
