"""The filling line's SMED and OEE-project tags: setup times, changeover time, buffer sizes, OEE."""

from __future__ import annotations

import pytest

from models.filling_line import MACHINES, FillingLine, FillingLineParams


def _run(line: FillingLine, seconds: int, at: dict[int, dict[str, float]] | None = None) -> None:
    for t in range(1, seconds + 1):
        for tag, value in (at or {}).get(t, {}).items():
            line.write(tag, value)
        line.step(1.0)


def _floor(line: FillingLine, tag: str) -> float:
    return next(s.lo for s in line.tag_specs() if s.name == tag)


def test_shorter_internal_setups_shorten_the_measured_changeover() -> None:
    slow, fast = FillingLine(FillingLineParams(seed=4)), FillingLine(FillingLineParams(seed=4))
    smed = {f"{m}_changeover_sp": _floor(fast, f"{m}_changeover_sp") for m in MACHINES}
    assert smed["filler_changeover_sp"] == pytest.approx(0.25 * 30.0)
    for line, writes in ((slow, {}), (fast, smed)):
        _run(line, 5400, {600: {"line_cmd": 11, **writes}})
    before, after = slow.read()["changeover_time"], fast.read()["changeover_time"]
    # The filler's 30-minute setup is the critical path; a quarter of it plus the line's refill.
    assert 25.0 < before < 45.0 and 5.0 < after < 15.0
    assert fast.read()["oee"] > slow.read()["oee"]
    with pytest.raises(ValueError, match=r"filler_changeover_sp = 1 is outside the allowed range \[7.5, 120.0\]"):
        fast.write("filler_changeover_sp", 1)


def test_changeover_time_runs_from_the_last_carton_of_a_lot_to_the_first_of_the_next() -> None:
    line = FillingLine(FillingLineParams(seed=1, lot_size_units=600))
    assert line.read()["changeover_time"] == 0.0
    _run(line, 3600)
    r = line.read()
    assert r["line_lots"] >= 1 and r["changeover_time"] > 0.0
    # A snapshot keeps the setups, the changeover under way and the OEE window.
    line.write("capper_changeover_sp", 5.0)
    copy = FillingLine(FillingLineParams(seed=9))
    copy.restore(line.snapshot())
    _run(line, 1800)
    _run(copy, 1800)
    assert copy.read() == line.read()


def test_buffer_capacity_is_writable_within_limits_and_a_bigger_buffer_absorbs_stops() -> None:
    def cartons(writes: dict[str, float]) -> float:
        total = 0.0
        for seed in (1, 2, 3):  # one hour's jams are luck: three lines of each
            line = FillingLine(FillingLineParams(seed=seed, labeller_microstops_per_h=60.0))
            _run(line, 3600, {1: writes})
            total += line.read()["line_out"]
        return total

    assert cartons({"buffer2_capacity": 200, "filler_speed_sp": 80}) > 1.05 * cartons({})
    line = FillingLine(FillingLineParams(seed=2))
    line.write("buffer2_capacity", 200)
    assert line.read()["buffer2_capacity"] == 200.0
    with pytest.raises(ValueError, match="outside the allowed range"):
        line.write("buffer1_capacity", 500)
    with pytest.raises(ValueError, match="whole number"):
        line.write("buffer1_capacity", 10.5)


def test_a_smaller_buffer_blocks_until_it_drained_then_the_line_goes_on() -> None:
    line = FillingLine(FillingLineParams(seed=3, capper_jams_per_h=0.0))
    _run(line, 60)
    line.jam("capper", 300.0)
    _run(line, 120)
    assert line.read()["buffer1_level"] == 40.0
    line.write("buffer1_capacity", 10)
    _run(line, 400)
    r = line.read()
    assert r["buffer1_level"] <= 10.0 and r["filler_state"] == 4.0
    line.write("buffer1_capacity", 100)
    _run(line, 5)
    assert line.read()["buffer1_capacity"] == 100.0
