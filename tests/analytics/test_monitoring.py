"""The monitoring service on a real SQLite historian: drift alarms, events, acknowledgement,
PCA contributions, OEE points, and a historian that cannot take writes for a while."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from asyncua import ua

from analytics.detectors import load_detectors
from analytics.monitoring import AlarmNotFoundError, AlarmStateError, MonitoringService
from config_schema.tagmap import TagMap, load_tagmap
from historian import HistorianError, Point
from historian.outbox import Outbox
from historian.sqlite import SqliteHistorian

REPO = Path(__file__).resolve().parents[2]
SEC = 1_000_000_000
T0 = 1_700_000_000 * SEC
PERIOD = SEC // 5  # the bridge's 5 Hz measurements
SITE = "demo-campus"

LEVEL_EWMA = """
detectors:
  - name: level
    unit: mps-pa
    tag: B101_level
    method: ewma
    mean: 15.0
    sigma: 0.1
    lambda: 0.2
    L: 3.0
    sample_s: 1
    priority: high
    clear_after_s: 5
"""


class FlakyWrites(SqliteHistorian):
    """The real SQLite historian, except that writes fail while ``down`` is set."""

    down = False

    async def write(self, points: Sequence[Point]) -> None:
        if self.down:
            raise HistorianError("historian down (test)")
        await super().write(points)


@pytest.fixture
async def historian(tmp_path: Path) -> AsyncIterator[FlakyWrites]:
    async with FlakyWrites(tmp_path / "historian.sqlite") as h:
        yield h


def samples(tag: str, values: Sequence[float], start_ns: int, unit: str = "mps-pa") -> list[Point]:
    return [
        Point(
            "process",
            {"site": SITE, "unit": unit, "tag": tag, "source": "sim"},
            {"value": float(v), "status": 0},
            start_ns + i * PERIOD,
        )
        for i, v in enumerate(values)
    ]


def service(
    historian: SqliteHistorian,
    tmp_path: Path,
    yaml_text: str,
    tagmaps: list[TagMap] | None = None,
    start_ns: int = T0 - 1,
    **kwargs: Any,
) -> MonitoringService:
    tagmaps = tagmaps or [load_tagmap(REPO / "config/tagmaps/mps-pa-sim.yaml")]
    path = tmp_path / "detectors.yaml"
    path.write_text(yaml_text)
    config = load_detectors(path, {tm.unit: [t.name for t in tm.tags] for tm in tagmaps})
    outbox = Outbox(
        tmp_path / "monitor-outbox.sqlite", site=SITE, unit="monitoring", backoff_min_s=0.05, backoff_max_s=0.2
    )
    return MonitoringService(historian, tagmaps, config, outbox, site=SITE, start_ns=start_ns, **kwargs)


async def until(condition: Callable[[], bool], within_s: float = 5.0) -> None:
    for _ in range(int(within_s / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not true within {within_s} s")


def box(mon: MonitoringService) -> Outbox:
    assert isinstance(mon.outbox, Outbox)
    return mon.outbox


def stored(path: Path, measurement: str) -> list[tuple[int, dict[str, str], dict[str, Any]]]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT time_ns, tags, fields FROM points WHERE measurement = ? ORDER BY time_ns", (measurement,)
        ).fetchall()
    return [(t, json.loads(tags), json.loads(fields)) for t, tags, fields in rows]


async def test_level_shift_raises_then_clears_an_alarm_with_events_and_drift_points(
    historian: FlakyWrites, tmp_path: Path
) -> None:
    rng = np.random.default_rng(1)
    level = np.r_[rng.normal(15.0, 0.1, 300), rng.normal(15.5, 0.1, 100), rng.normal(15.0, 0.1, 150)]
    mon = service(historian, tmp_path, LEVEL_EWMA)
    # Written and read in 10-s chunks, as the bridge and the 1-s poll would interleave.
    for chunk in range(0, len(level), 50):
        await historian.write(samples("B101_level", level[chunk : chunk + 50], T0 + chunk * PERIOD))
        await mon.poll_once()
        if chunk == 300:  # 10 s into the shift
            active = mon.alarms()["active"]
            assert [(a["alarm_id"], a["state"], a["priority"], a["rules"]) for a in active] == [
                ("level", "unack_active", "high", ["limit"])
            ]
            assert T0 + 60 * SEC <= active[0]["raised_ns"] <= T0 + 63 * SEC  # the shift starts at 60 s
    alarm = mon.alarm_view("level")
    assert alarm["state"] == "unack_rtn" and not alarm["active"]
    last_signal = max(p.time_ns for p in mon.history("level") if p.alarm)
    assert alarm["cleared_ns"] - last_signal == 5 * SEC  # quiet for clear_after_s
    assert T0 + 80 * SEC < alarm["cleared_ns"] <= T0 + 86 * SEC  # the shift ended at 80 s
    assert [e["kind"] for e in mon.alarms()["recent"]] == ["cleared", "raised"]

    with pytest.raises(AlarmNotFoundError, match="unknown alarm 'nope'; alarms: level"):
        mon.acknowledge("nope", "alice")
    view = mon.acknowledge("level", "alice", "sensor checked, setpoint was changed")
    assert (view["state"], view["acknowledged_by"]) == ("normal", "alice")
    with pytest.raises(AlarmStateError, match="is normal: nothing to acknowledge"):
        mon.acknowledge("level", "bob")

    assert await box(mon).drain(historian) > 0
    events = await historian.events(T0, time.time_ns() + SEC, unit="mps-pa")
    assert [e.tags["kind"] for e in events] == ["alarm_raised", "alarm_cleared", "alarm_acknowledged"]
    raised, _, acked = events
    assert raised.fields["detector"] == "level" and raised.fields["rules"] == "limit"
    assert raised.fields["priority"] == "high" and raised.fields["state"] == "unack_active"
    assert "point beyond the control limits" in str(raised.fields["message"])
    assert (acked.fields["user"], acked.fields["comment"]) == ("alice", "sensor checked, setpoint was changed")

    drift = stored(historian.path, "drift")
    times = [t for t, _, _ in drift]
    assert np.all(np.diff(times) >= SEC)  # at most one drift point per second
    assert drift[0][1] == {"site": SITE, "unit": "mps-pa", "tag": "B101_level", "detector": "level"}
    assert set(drift[0][2]) == {"statistic", "ucl", "lcl", "centre", "alarm", "value"}
    alarmed = [t for t, _, f in drift if f["alarm"] == 1]
    assert alarmed and min(alarmed) >= T0 + 60 * SEC and max(alarmed) < T0 + 85 * SEC
    box(mon).close()


async def test_events_wait_in_the_outbox_while_the_historian_refuses_writes(
    historian: FlakyWrites, tmp_path: Path
) -> None:
    rng = np.random.default_rng(2)
    await historian.write(samples("B101_level", rng.normal(15.0, 0.1, 50), T0))
    mon = service(historian, tmp_path, LEVEL_EWMA, poll_s=0.05)
    stop = asyncio.Event()
    task = asyncio.create_task(mon.run(stop))
    try:
        historian.down = True
        # The bridge's samples still arrive (another writer); only the service's writes fail.
        await SqliteHistorian.write(historian, samples("B101_level", [16.0] * 50, T0 + 50 * PERIOD))
        await until(lambda: bool(mon.alarms()["active"]))  # raised though the historian takes no writes
        await until(lambda: mon.outbox.stats()["historian_up"] is False)  # the writer wakes on put() or each second
        assert mon.outbox.stats()["pending"] > 0
        assert await historian.events(T0, time.time_ns() + SEC) == []
        historian.down = False
        await until(lambda: mon.outbox.stats()["pending"] == 0)
        kinds = [e.tags["kind"] for e in await historian.events(T0, time.time_ns() + SEC)]
        assert kinds == ["alarm_raised"]
        assert mon.health()["ok"] is True
    finally:
        stop.set()
        await task
        box(mon).close()


async def test_a_pending_event_survives_a_restart_of_the_service(historian: FlakyWrites, tmp_path: Path) -> None:
    await SqliteHistorian.write(historian, samples("B101_level", [15.0] * 25 + [16.0] * 25, T0))
    mon = service(historian, tmp_path, LEVEL_EWMA)
    await mon.poll_once()
    historian.down = True
    assert await mon.outbox.flush(historian, timeout=0.3) > 0  # nothing could be written
    box(mon).close()
    historian.down = False
    again = Outbox(tmp_path / "monitor-outbox.sqlite")  # the next start finds the file
    assert again.pending > 0
    await again.drain(historian)
    again.close()
    assert [e.tags["kind"] for e in await historian.events(T0, time.time_ns() + SEC)] == ["alarm_raised"]


async def test_pca_alarm_names_the_tag_that_broke_the_correlation(historian: FlakyWrites, tmp_path: Path) -> None:
    # Timestamps ahead of the wall clock, as an accelerated simulation writes them.
    start = time.time_ns() + 3600 * SEC
    rng = np.random.default_rng(3)
    n = 5 * 120
    common = rng.normal(0, 0.3, n)  # a common disturbance moves all three
    level = 15 + common + rng.normal(0, 0.02, n)
    flow = 2 + 0.5 * common + rng.normal(0, 0.01, n)
    pressure = 80 + 10 * common + rng.normal(0, 0.2, n)
    pressure[5 * 90 :] += 3.0  # after 90 s the pressure leaves the pattern
    for tag, values in (("B101_level", level), ("B102_flow", flow), ("B103_pressure", pressure)):
        await historian.write(samples(tag, values, start))
    mon = service(
        historian,
        tmp_path,
        """
detectors:
  - name: loops
    unit: mps-pa
    method: pca
    tags: [B101_level, B102_flow, B103_pressure]
    reference_s: 60
    n_components: 1
    alpha: 0.001
""",
        start_ns=start - 1,
    )
    await mon.poll_once()
    info = mon.detector_infos()[0]
    assert info["phase"] == "monitoring" and info["parameters"]["components"] == 1
    alarms = mon.alarm_points("loops")
    assert alarms and alarms[0].time_ns >= start + 89 * SEC  # windows start on whole seconds
    assert "SPE" in alarms[0].rules
    assert alarms[0].contributions is not None
    assert alarms[0].contributions["spe"][0]["variable"] == "B103_pressure"
    drift = mon.drift_latest()[0]["latest"]
    assert drift["spe_limit"] > 0 and drift["ucl"] > 0
    box(mon).close()


async def test_reference_period_learns_the_limits_after_the_warmup(historian: FlakyWrites, tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    await historian.write(samples("B102_flow", rng.normal(2.0, 0.05, 5 * 60), T0))
    mon = service(
        historian,
        tmp_path,
        """
detectors:
  - name: flow
    unit: mps-pa
    method: shewhart
    tag: B102_flow
    rules: we
    warmup_s: 10
    reference_s: 30
    sample_s: 2
""",
    )
    await mon.poll_once()
    phases = [p.phase for p in mon.history("flow")]
    assert phases[:5] == ["warmup"] * 5 and phases[5:20] == ["reference"] * 15 and phases[20] == "monitoring"
    params = mon.detector_infos()[0]["parameters"]
    assert params["source"] == "reference (15 windows)"
    assert params["mean"] == pytest.approx(2.0, abs=0.02)
    assert params["sigma"] == pytest.approx(0.05 / np.sqrt(10), rel=0.5)  # sigma of a 2-s mean
    box(mon).close()


async def test_oee_points_for_a_machine_reporting_packml_states_and_counters(
    historian: FlakyWrites, tmp_path: Path
) -> None:
    tags = [
        {"name": n, "node": f"ns=2;s=line.{n}", "kind": "state"}
        for n in ("filler_state", "filler_produced", "filler_good", "filler_rejected")
    ]
    tags += [
        # The nameplate rate is the top of the speed setpoint's range; stop causes are named by the description.
        {"name": "filler_speed_sp", "node": "ns=2;s=line.sp", "kind": "setpoint", "lo": 1, "hi": 60},
        {
            "name": "filler_stop_reason",
            "node": "ns=2;s=line.why",
            "kind": "state",
            "description": "filler stop reason: 0 none, 1 starved, 4 jam",
        },
    ]
    tm = TagMap.model_validate({"endpoint": "opc.tcp://127.0.0.1:4840", "site": SITE, "unit": "line", "tags": tags})
    points = []
    # Execute 0-60 s, Held (jam) 60-80 s, Execute 80-120 s; one bottle per second while executing.
    for s in range(121):
        state = 15 if 60 <= s < 80 else 4
        produced = min(s, 60) + max(0, s - 80)
        rejected = produced // 20
        values = {
            "filler_state": state,
            "filler_produced": produced,
            "filler_good": produced - rejected,
            "filler_rejected": rejected,
            "filler_stop_reason": 4 if state == 15 else 0,
        }
        points += [
            Point(
                "process",
                {"site": SITE, "unit": "line", "tag": tag, "source": "sim"},
                {"value": float(v), "status": 0},
                T0 + s * SEC,
            )
            for tag, v in values.items()
        ]
    await historian.write(points)
    mon = service(
        historian,
        tmp_path,
        "detectors: []\noee:\n  - unit: line\n    machine: filler\n    small_stop_s: 10\n",
        tagmaps=[tm],
    )
    await mon.poll_once()
    view = mon.oee_views()[0]
    assert [s["state"] for s in view["timeline"]] == ["Execute", "Held", "Execute"]
    report = view["report"]
    assert report["ideal_rate_per_min"] == 60.0
    assert report["availability"] == pytest.approx(100 / 120, abs=0.01)
    assert report["performance"] == pytest.approx(1.0, abs=0.02)
    assert report["quality"] == pytest.approx(95 / 100)
    assert report["losses"]["breakdowns_by_cause"] == {"jam": pytest.approx(20.0)}
    await box(mon).drain(historian)
    oee = stored(historian.path, "oee")
    assert oee and oee[0][1] == {"site": SITE, "unit": "line", "machine": "filler"}
    assert {"availability", "performance", "quality", "oee"} <= set(oee[-1][2])
    assert np.all(np.diff([t for t, _, _ in oee]) >= 10 * SEC)
    box(mon).close()


async def test_samples_with_a_bad_status_are_not_fed_to_the_detectors(historian: FlakyWrites, tmp_path: Path) -> None:
    good = samples("B101_level", [15.0] * 50, T0)
    bad = [
        Point("process", p.tags, {"value": 0.0, "status": ua.StatusCodes.BadSensorFailure}, p.time_ns + PERIOD // 2)
        for p in good
    ]
    await historian.write(good + bad)
    mon = service(historian, tmp_path, LEVEL_EWMA)
    assert await mon.poll_once() > 0
    assert mon.alarms()["active"] == []
    assert all(p.value == 15.0 for p in mon.history("level"))
    assert await mon.poll_once() == 0  # the cursor moved past the bad samples too
    box(mon).close()


async def test_a_twin_in_shadow_beside_the_kit_does_not_feed_the_kits_detectors(
    historian: FlakyWrites, tmp_path: Path
) -> None:
    # The kit (tag map source plc) holds its level; the twin in shadow writes the same unit's tag
    # as `sim` with a shift. Read together, the two series would merge and raise the alarm.
    kit = load_tagmap(REPO / "config/tagmaps/mps-pa-sim.yaml").model_copy(update={"source": "plc"})
    rng = np.random.default_rng(2)
    plc = [
        Point("process", {**p.tags, "source": "plc"}, p.fields, p.time_ns)
        for p in samples("B101_level", rng.normal(15.0, 0.1, 300), T0)
    ]
    sim = samples("B101_level", rng.normal(16.0, 0.1, 300), T0 + PERIOD // 2)
    await historian.write(plc + sim)
    mon = service(historian, tmp_path, LEVEL_EWMA, tagmaps=[kit])
    await mon.poll_once()
    assert mon.alarms()["active"] == []
    assert len(mon.history("level")) > 0  # the kit's samples were read

    (tmp_path / "twin").mkdir()
    twin = service(historian, tmp_path / "twin", LEVEL_EWMA)  # the twin's own monitor (source sim)
    await twin.poll_once()
    assert [a["alarm_id"] for a in twin.alarms()["active"]] == ["level"]
    box(mon).close()
    box(twin).close()
