"""``gmp-twin shadow``: a twin replayed beside recorded plant data in a real SQLite historian.

The "plant" is the MPS PA station model run by the twin runtime with its sensor noise (seed 5),
published as the bridge would store it (``source = plc``, report by exception, 5 Hz); a fault
or an operator's writes happen at set plant times. The shadow reads those values back, so the
result depends only on the data: no wall clock, no OPC UA (see tests/e2e/test_shadow_e2e.py).
"""

from __future__ import annotations

import asyncio
import json
import math
from pathlib import Path

import pytest

from analytics.shadow_spc import ShadowSpcConfig
from gmp_twin.cli import main
from gmp_twin.shadow_run import ShadowRun
from gmp_twin.shadow_twin import Change, ShadowTwin
from historian import Historian, Point, open_historian
from models.mps_pa import MpsPaStation
from twin.clock import SimClock
from twin.runtime import TwinRuntime, due_readings

NS = 1_000_000_000
T0 = 1_700_000_000 * NS
SITE, UNIT = "lab", "mps-pa"
# A 30 min reference (180 windows): with 15 min, B102_flow's sigma comes out 22 % low on this
# seed (sampling error of 60 windows) and the EWMA, designed for 20,000 windows, alarms at 1,110 s.
CONFIG = ShadowSpcConfig(window_s=10, settle_s=120, reference_s=1800, clear_after_s=60)


def plant_points(duration_s: float, actions: dict[float, tuple[str, str, float]] | None = None) -> list[Point]:
    """The plant's stored values: ``actions`` at plant times are ``("fault", disturbance, value)``
    or ``("write", tag, value)``."""
    runtime = TwinRuntime({UNIT: MpsPaStation()}, clock=SimClock(epoch_ns=T0, speed=math.inf), seed=5)
    slot = runtime.slots[UNIT]
    todo = sorted((actions or {}).items())
    points = []
    for k in range(1, round(duration_s / runtime.dt_s) + 1):
        while todo and todo[0][0] <= runtime.clock.sim_time_s + 1e-9:
            _, (what, name, value) = todo.pop(0)
            if what == "fault":
                slot.unit.disturbances.set(name, value)
            else:
                slot.unit.write(name, value)
        runtime.step()
        if k % 2 == 0:  # the bridge's 5 Hz
            due = due_readings(slot, runtime.readings(UNIT), runtime.clock.sim_time_s, runtime.heartbeat_s)
            now = runtime.clock.now_ns()
            for tag, (value, status) in due.items():
                tags = {"site": SITE, "unit": UNIT, "tag": tag, "source": "plc"}
                points.append(Point("process", tags, {"value": float(value), "status": status}, now))
    return points


async def replay(historian: Historian, points: list[Point], duration_s: float) -> ShadowRun:
    await historian.write(points)
    shadow = ShadowRun(historian, ShadowTwin(MpsPaStation(), UNIT, SITE), CONFIG, "test-run")
    await shadow.replay(T0, T0 + round(duration_s * NS), chunk_s=300)
    return shadow


def _alarm_times(events: list[Point]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for p in events:
        if p.tags["kind"] == "alarm_raised":
            out.setdefault(str(p.fields["tag"]), []).append((p.time_ns - T0) / NS)
    return out


async def test_a_worn_pump_shows_in_the_loop_output_residual_after_it_wears(tmp_path: Path) -> None:
    """30 % pump wear at 2,200 s: the plant's level loop speeds the pump up (level_out +6.5 %)
    while the twin's does not; the residual alarm follows within one window, none before."""
    async with open_historian(f"sqlite:///{tmp_path}/h.sqlite") as h:
        shadow = await replay(h, plant_points(2700, {2200.0: ("fault", "pump_wear", 0.3)}), 2700)
        result = shadow.result
        assert result is not None
        alarms = _alarm_times(result.events)
        assert set(alarms) >= {"level_out", "B101_level"}
        assert all(t >= 2200 for times in alarms.values() for t in times), alarms
        assert alarms["level_out"][0] <= 2200 + 10
        assert result.state["level_out"]["alarm"]  # the loop still compensates at the end
        assert result.refused == {} and result.no_plant_data == []
        # The twin's series sit beside the plant's: same tag, source sim, on a 1 s grid.
        sim = await h.raw_range(UNIT, "B101_level", T0, T0 + 2700 * NS, site=SITE, source="sim")
        plc = await h.raw_range(UNIT, "B101_level", T0, T0 + 2700 * NS, site=SITE, source="plc")
        assert len(sim) == 2700 and set((sim.time_ns[1:] - sim.time_ns[:-1]).tolist()) == {NS}
        assert len(plc) == 13_500
        stored = await h.events(T0, T0 + 2700 * NS, unit=UNIT, kinds=["alarm_raised", "shadow_reference"])
        assert len([p for p in stored if p.tags["kind"] == "shadow_reference"]) == len(shadow.twin.predicted)
        assert _alarm_times(stored) == alarms


async def test_the_twin_follows_the_operators_setpoint_changes_without_alarm(tmp_path: Path) -> None:
    """An operator lowers the level setpoint and raises the temperature setpoint mid-run: the
    twin takes both from the plant's data, so its level and temperature follow and no residual
    leaves its limits."""
    actions = {2000.0: ("write", "level_sp", 12.0), 2300.0: ("write", "temperature_sp", 35.0)}
    async with open_historian(f"sqlite:///{tmp_path}/h.sqlite") as h:
        shadow = await replay(h, plant_points(2700, actions), 2700)
    result = shadow.result
    assert result is not None
    assert _alarm_times(result.events) == {}
    assert shadow.twin.unit.read()["level_sp"] == 12.0 and shadow.twin.unit.read()["temperature_sp"] == 35.0
    assert shadow.twin.applied_count == {"level_sp": 1, "temperature_sp": 1}  # the start's equal values: no write
    level = result.state["B101_level"]
    assert level["phase"] == "chart" and abs(level["residual"]) < 0.1


def test_inputs_apply_at_their_step_and_outputs_only_when_asked() -> None:
    twin = ShadowTwin(MpsPaStation(), UNIT, SITE, dt_s=0.1, publish_s=1.0)
    assert "level_out" not in twin.inputs and twin.inputs["V102_cmd"] == "output"
    twin.start(T0, [Change(T0, "level_sp", 14.0)])
    twin.advance([Change(T0 + 3 * NS + 1, "level_sp", 13.0), Change(T0 + 9 * NS, "level_sp", 99.0)], T0 + 5 * NS)
    assert twin.unit.read()["level_sp"] == 13.0  # at 3.1 s, not the later one
    twin.advance([], T0 + 10 * NS)
    assert twin.refused["level_sp"][0] == 1 and "level_sp" in twin.refused["level_sp"][1]  # 99 cm: out of range
    open_loop = ShadowTwin(MpsPaStation(), UNIT, SITE, feed_outputs=True)
    assert "level_out" in open_loop.inputs
    with pytest.raises(ValueError, match="whole multiple"):
        ShadowTwin(MpsPaStation(), UNIT, SITE, dt_s=0.1, publish_s=0.25)
    with pytest.raises(ValueError, match="no tag 'nope'"):
        ShadowTwin(MpsPaStation(), UNIT, SITE, predicted=["nope"])


def _stored(tmp_path: Path, points: list[Point]) -> str:
    url = f"sqlite:///{tmp_path}/cli.sqlite"

    async def write() -> None:
        async with open_historian(url) as h:
            await h.write(points)

    asyncio.run(write())
    return url


def test_cli_run_then_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = _stored(tmp_path, plant_points(2700, {2200.0: ("fault", "pump_wear", 0.3)}))
    plant = tmp_path / "plant.yaml"
    plant.write_text("site: lab\nunits:\n  - name: mps-pa\n    type: mps_pa\n")
    common = ["--unit", UNIT, "--historian", url, "--plant", str(plant), "--settle", "2min", "--reference", "30min"]
    code = main(["shadow", "run", *common, "--from", "2023-11-14T22:13:20Z", "--to", "2023-11-14T22:58:20Z"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "unit mps-pa" in out and "alarm raised 2023-11-14T22:50:00Z level_out" in out
    code = main(["shadow", "report", *common, "--last", "1h", "--json", "--csv", str(tmp_path / "r.csv")])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    rows = {row["tag"]: row for row in doc["tags"]}
    assert rows["level_out"]["reference_from"] == "run" and rows["level_out"]["alarms_raised"] == 1
    assert rows["B104_temperature"]["alarms_raised"] == 0
    lines = (tmp_path / "r.csv").read_text().splitlines()
    assert lines[0] == "time,tag,residual,samples,statistic,lcl,ucl,alarm"
    assert len(lines) == 1 + 8 * 270


def test_cli_errors_name_the_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path}/empty.sqlite"
    assert main(["shadow", "run", "--unit", "tank-9", "--historian", url, "--from", "2026-01-01T00:00Z"]) == 2
    assert "--unit 'tank-9': no such unit" in capsys.readouterr().err
    assert main(["shadow", "run", "--unit", UNIT, "--historian", url, "--from", "2026-01-01T00:00Z"]) == 2
    assert "--from and --to go together" in capsys.readouterr().err
    assert main(["shadow", "run", "--unit", UNIT, "--historian", url, "--window", "ten"]) == 2
    assert "--window: bad duration 'ten'" in capsys.readouterr().err
    code = main(
        [
            "shadow",
            "run",
            "--unit",
            UNIT,
            "--historian",
            url,
            "--from",
            "2026-01-01T00:00Z",
            "--to",
            "2026-01-01T01:00Z",
        ]
    )
    assert code == 2 and "no plant (source plc) values of unit 'mps-pa'" in capsys.readouterr().err
