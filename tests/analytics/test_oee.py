"""OEE per ISO 22400-2: a worked example by hand, PackML mapping, logs, periods and line OEE."""

from __future__ import annotations

import pytest

from analytics.oee import (
    DEFAULT_STATE_MAP,
    Counts,
    CountSample,
    OeeAccumulator,
    PackMLState,
    StateChange,
    line_oee,
    oee_by_period,
    oee_from_logs,
)

S = PackMLState

# The worked example: one filler, a 4-hour shift from t = 0 s to t = 14 400 s,
# ideal rate 30 items/min, so PRI = 60 / 30 = 2 s per item.
#
#   0     –   840  Idle        840 s  AUST (set-up / changeover)
#   840   –   900  Starting     60 s  AUST
#   900   –  5400  Execute    4500 s  APT
#   5400  –  5520  Held "jam"  120 s  ADOT, episode of 120 s < 300 s  -> small stop
#   5520  –  9000  Execute    3480 s  APT
#   9000  – 10200  Held "motor" 1200 s ADOT \  one episode of 1260 s >= 300 s
#   10200 – 10260  Unholding    60 s  ADOT /  -> breakdown "motor", failure no. 1
#   10260 – 12600  Execute    2340 s  APT
#   12600 – 13200  Suspended   600 s  ADET, 600 s >= 300 s -> starved/blocked
#   13200 – 14100  Execute     900 s  APT
#   14100 – 14160  Completing   60 s  AUST
#   14160 – 14400  Complete    240 s  AUST
#
# Counters (cumulative): baseline (0, 0, 0) at 900 s; (100, 88, 12) at 1200 s, i.e. 300 s
# after the start (Starting -> Execute at 900 s): these 12 rejects are start-up losses;
# (5000, 4950, 50) at 14 400 s.
TIMELINE = [
    (0, S.IDLE, None),
    (840, S.STARTING, None),
    (900, S.EXECUTE, None),
    (5400, S.HELD, "jam"),
    (5520, S.EXECUTE, None),
    (9000, S.HELD, "motor"),
    (10200, S.UNHOLDING, None),
    (10260, S.EXECUTE, None),
    (12600, S.SUSPENDED, None),
    (13200, S.EXECUTE, None),
    (14100, S.COMPLETING, None),
    (14160, S.COMPLETE, None),
]
COUNTS = [(900, Counts(0, 0, 0)), (1200, Counts(100, 88, 12)), (14400, Counts(5000, 4950, 50))]


def _hand_numbers() -> dict[str, float]:
    apt = 4500 + 3480 + 2340 + 900  # = 11 220 s in Execute
    aust = 840 + 60 + 60 + 240  # = 1 200 s Idle, Starting, Completing, Complete
    adot = 120 + 1200 + 60  # = 1 380 s Held + Unholding
    adet = 600  # Suspended
    pbt = apt + aust + adot + adet  # = 14 400 s, the whole shift (nothing planned down)
    pri = 60 / 30  # = 2 s per item
    availability = apt / pbt  # 11 220 / 14 400 = 0.779 166...
    performance = pri * 5000 / apt  # 10 000 / 11 220 = 0.891 265...
    quality = 4950 / 5000  # = 0.99
    oee = availability * performance * quality  # = 2 * 4950 / 14 400 = 9 900 / 14 400 = 0.6875
    return {
        "apt": apt,
        "aust": aust,
        "adot": adot,
        "adet": adet,
        "pbt": pbt,
        "availability": availability,
        "performance": performance,
        "quality": quality,
        "oee": oee,
        "breakdowns": 1200 + 60,  # the "motor" episode, 1 260 s
        "small_stops": 120,  # the "jam" episode
        "starved": 600,
        "setup": aust,
        "reduced_speed": apt - pri * 5000,  # 11 220 - 10 000 = 1 220 s
        "defects": pri * (50 - 12),  # 38 rejects outside start-up = 76 s
        "startup": pri * 12,  # 24 s
        "mtbf": apt / (1 + 1),  # ISO 22400-2: APT / (FE + 1) = 5 610 s
        "mttr": 1260 / 1,  # 1 260 s per failure
    }


def _accumulate() -> OeeAccumulator:
    acc = OeeAccumulator("filler", ideal_rate_per_min=30.0, small_stop_s=300.0, startup_window_s=300.0)
    events: list[tuple[int, int, PackMLState | Counts, str | None]] = sorted(
        [(t, 1, s, c) for t, s, c in TIMELINE] + [(t, 0, n, None) for t, n in COUNTS], key=lambda e: (e[0], e[1])
    )
    for t, _, payload, cause in events:
        if isinstance(payload, PackMLState):
            acc.update(payload, None, float(t), cause)
        else:
            acc.update(None, payload, float(t))
    return acc


def test_worked_example_equals_hand_calculation() -> None:
    hand = _hand_numbers()
    assert hand["oee"] == pytest.approx(0.6875)
    r = _accumulate().report(t=14400.0)
    assert r.pbt_s == hand["pbt"] == 14400
    assert r.apt_s == hand["apt"]
    assert (r.aust_s, r.adot_s, r.adet_s, r.pdot_s) == (hand["aust"], hand["adot"], hand["adet"], 0.0)
    assert r.availability == pytest.approx(hand["availability"])
    assert r.performance == pytest.approx(hand["performance"])
    assert r.quality == pytest.approx(hand["quality"])
    assert r.oee == pytest.approx(0.6875)
    lo = r.losses
    assert lo.breakdowns_s == hand["breakdowns"]
    assert lo.breakdowns_by_cause == {"motor": 1260.0}
    assert lo.small_stops_s == hand["small_stops"]
    assert lo.starved_blocked_s == hand["starved"]
    assert lo.setup_s == hand["setup"]
    assert lo.reduced_speed_s == pytest.approx(hand["reduced_speed"])
    assert lo.process_defects_s == pytest.approx(hand["defects"])
    assert lo.startup_losses_s == pytest.approx(hand["startup"])
    assert r.failures == 1
    assert r.mtbf_s == pytest.approx(hand["mtbf"])
    assert r.mttr_s == pytest.approx(hand["mttr"])
    # The losses add up: PBT - losses = PRI x GQ = fully productive time.
    total = sum(v for k, v in vars(lo).items() if k != "breakdowns_by_cause")
    assert r.pbt_s - total == pytest.approx(2 * 4950)


def test_same_example_from_logs() -> None:
    states = [StateChange(float(t), "filler", s, c) for t, s, c in TIMELINE]
    counts = [CountSample(float(t), "filler", c) for t, c in COUNTS]
    r = oee_from_logs(states, counts, ideal_rate_per_min={"filler": 30.0})["filler"]
    assert r.oee == pytest.approx(0.6875)
    assert r.end_s == 14400.0
    assert r.state_time_s["Execute"] == 11220.0


def test_every_packml_state_is_mapped_and_parsed() -> None:
    assert set(DEFAULT_STATE_MAP) == set(PackMLState)
    assert DEFAULT_STATE_MAP[S.SUSPENDED] == "ADET"  # external: starved / blocked
    assert DEFAULT_STATE_MAP[S.HELD] == "ADOT"  # internal cause
    assert DEFAULT_STATE_MAP[S.EXECUTE] == "APT"
    assert [int(s) for s in PackMLState] == list(range(17))
    assert PackMLState.parse("Unsuspending") is S.UNSUSPENDING
    assert PackMLState.parse(" 15 ") is S.HELD
    with pytest.raises(ValueError, match="unknown PackML state"):
        PackMLState.parse("Running")
    with pytest.raises(ValueError, match="0-16"):
        PackMLState.parse(17)


def test_planned_downtime_state_is_outside_pbt() -> None:
    acc = OeeAccumulator("m", 60.0, state_map={S.STOPPED: "PDOT"})
    acc.update("Stopped", Counts(0, 0, 0), 0).update("Execute", None, 1800).update(None, Counts(1800, 1800, 0), 3600)
    r = acc.report()
    assert (r.pdot_s, r.pbt_s, r.availability, r.performance, r.oee) == (1800, 1800, 1.0, 1.0, 1.0)


def test_no_ideal_rate_means_unknown_performance_not_a_guess() -> None:
    r = OeeAccumulator("m").update("Execute", Counts(0, 0, 0), 0).update(None, Counts(10, 9, 1), 60).report()
    assert r.performance is None and r.oee is None and r.quality == pytest.approx(0.9)
    assert any("no ideal rate" in n for n in r.notes)


def test_counter_reset_and_interval_counts() -> None:
    acc = OeeAccumulator("m", 60.0)
    acc.update("Execute", Counts(100, 100, 0), 0).update(None, Counts(160, 160, 0), 60)
    acc.update(None, Counts(30, 30, 0), 120)  # counter reset to 0, then 30 made
    r = acc.report()
    assert r.produced == 90 and any("reset" in n for n in r.notes)
    inc = OeeAccumulator("m", 60.0, cumulative_counts=False)
    inc.update("Execute", Counts(0, 0, 0), 0).update(None, Counts(50, 49, 1), 60).update(None, Counts(10, 10, 0), 120)
    assert inc.report().produced == 60


def test_open_stop_is_classified_at_report_time_without_changing_the_accumulator() -> None:
    acc = OeeAccumulator("m", 60.0).update("Execute", Counts(0, 0, 0), 0).update("Aborted", None, 600, cause="e-stop")
    early, late = acc.report(t=700), acc.report(t=1200)
    assert early.losses.small_stops_s == 100 and early.failures == 0
    assert late.losses.breakdowns_by_cause == {"e-stop": 600} and late.failures == 1
    assert acc.report(t=700) == early  # reporting does not mutate


def test_time_must_not_go_backwards() -> None:
    acc = OeeAccumulator("m").update("Execute", None, 10)
    with pytest.raises(ValueError, match="backwards"):
        acc.update("Held", None, 5)


def test_periods_interpolate_cumulative_counters() -> None:
    states = [StateChange(0, "m", S.EXECUTE)]
    counts = [CountSample(0, "m", Counts(0, 0, 0)), CountSample(7200, "m", Counts(7200, 7000, 200))]
    by = oee_by_period(states, counts, {"shift 1": (0, 3600), "shift 2": (3600, 7200)}, ideal_rate_per_min=60.0)
    # Counts are sampled only at 0 and 7200 s: each shift gets half (linear interpolation).
    assert by["shift 1"]["m"].produced == pytest.approx(3600)
    assert by["shift 2"]["m"].good == pytest.approx(3500)
    assert by["shift 1"]["m"].oee == pytest.approx(3500 / 3600)


def test_line_oee_is_end_of_line_output_at_bottleneck_rate() -> None:
    # Filler 40/min, capper 25/min (bottleneck), labeller 50/min at the end of the line.
    # Labeller: PBT 3600 s, 1200 good -> line OEE = (60 / 25) s x 1200 / 3600 s = 0.8.
    reports = []
    for name, rate, made in (("filler", 40.0, 1300), ("capper", 25.0, 1250), ("labeller", 50.0, 1200)):
        acc = OeeAccumulator(name, rate).update("Execute", Counts(0, 0, 0), 0)
        reports.append(acc.update(None, Counts(made, made, 0), 3600).report())
    line = line_oee(reports)
    assert (line.bottleneck, line.end_machine) == ("capper", "labeller")
    assert line.oee == pytest.approx(0.8)
    assert line.availability is not None and line.performance is not None and line.quality is not None
    assert line.availability * line.performance * line.quality == pytest.approx(line.oee)
