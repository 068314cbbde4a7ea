"""Univariate SPC: charts, run rules, limits, ARL computations, against published values."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate
from scipy.stats import norm

from analytics.spc import (
    Chart,
    CUSUMChart,
    EWMAChart,
    IndividualsChart,
    XbarRChart,
    XbarSChart,
    make_chart,
    run_chart,
)
from analytics.spc_design import cusum_arl, cusum_h_for_arl, ewma_arl, ewma_L_for_arl, shewhart_arl
from analytics.spc_limits import (
    C4,
    D2,
    D3,
    ProcessParameters,
    estimate_individuals,
    estimate_subgroups,
    from_specification,
)
from analytics.spc_rules import ALL_RULES, NELSON_RULES, WE_RULES, RuleEngine, resolve_rules
from analytics.spc_simulate import estimate_arl, first_alarms, has_kernel, simulate_run_lengths

# --------------------------------------------------------------------------------------------
# Published ARL table (shared/reference/statistics.md), kept as strings to know the rounding.
SHIFTS = [0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0]
TABLE = {
    ("shewhart", 3.0): "370.4 281.2 155.2 81.2 43.9 15.0 6.3 3.2 2.0 1.2",
    ("cusum", 4.0): "168 74.2 26.6 13.3 8.38 4.75 3.34 2.62 2.19 1.71",
    ("cusum", 5.0): "465 139 38.0 17.0 10.4 5.75 4.01 3.11 2.57 2.01",
    ("ewma", 0.05, 2.615): "500 84.1 28.8 16.4 11.4 7.1 5.2 4.2 3.5 2.7",
    ("ewma", 0.10, 2.814): "500 106 31.3 15.9 10.3 6.1 4.4 3.4 2.9 2.2",
    ("ewma", 0.10, 2.70): "369 89.1 28.2 14.7 9.7 5.8 4.2 3.3 2.8 2.1",
    ("ewma", 0.20, 2.962): "500 150 41.8 18.2 10.5 5.5 3.7 2.9 2.4 1.9",
    ("ewma", 0.25, 2.998): "500 170 48.2 20.1 11.1 5.5 3.6 2.7 2.3 1.7",
    ("ewma", 0.40, 3.054): "500 224 71.2 28.4 14.3 5.9 3.5 2.5 2.0 1.4",
}


def _cells() -> list[tuple[tuple[float | str, ...], float, str]]:
    return [(key, shift, text) for key, row in TABLE.items() for shift, text in zip(SHIFTS, row.split(), strict=True)]


def _computed(key: tuple[float | str, ...], shift: float) -> float:
    if key[0] == "shewhart":
        return shewhart_arl(shift, float(key[1]))
    if key[0] == "cusum":
        return cusum_arl(0.5, float(key[1]), shift)
    return ewma_arl(float(key[1]), float(key[2]), shift)


@pytest.mark.parametrize(("key", "shift", "text"), _cells(), ids=lambda v: str(v))
def test_brook_evans_reproduces_published_table(key: tuple[float | str, ...], shift: float, text: str) -> None:
    """Every published cell, to its rounding (half a unit of the last digit, plus 0.2 % slack
    for the tables' own rounding of L, e.g. 2.814)."""
    decimals = len(text.split(".")[1]) if "." in text else 0
    tol = 0.5 * 10**-decimals + 0.002 * float(text)
    assert _computed(key, shift) == pytest.approx(float(text), abs=tol)


def test_cusum_known_values_and_one_sided() -> None:
    assert cusum_arl(0.5, 4.0, 0.0) == pytest.approx(168, abs=0.5)
    assert cusum_arl(0.5, 4.77, 0.0) == pytest.approx(369, abs=1)  # reference notes
    assert cusum_arl(0.5, 4.77, 0.5) == pytest.approx(35.2, abs=0.1)
    assert cusum_arl(0.5, 4.77, 1.0) == pytest.approx(9.9, abs=0.05)
    # a symmetric two-sided scheme in control = half the one-sided ARL
    one = cusum_arl(0.5, 4.0, 0.0, two_sided=False)
    assert cusum_arl(0.5, 4.0, 0.0) == pytest.approx(one / 2, rel=1e-9)


def test_cusum_headstart_matches_lucas_crosier_and_monte_carlo() -> None:
    # Lucas & Crosier (1982), k = 0.5, h = 5, FIR S0 = h/2: ARL0 ≈ 430, ARL(1σ) ≈ 6.35
    assert cusum_arl(0.5, 5.0, 0.0, headstart=2.5) == pytest.approx(430, abs=1)
    assert cusum_arl(0.5, 5.0, 1.0, headstart=2.5) == pytest.approx(6.35, abs=0.01)
    est = estimate_arl(CUSUMChart(0.0, 1.0, 0.5, 5.0, headstart=2.5), 1.0, rel_se=0.01, rng=np.random.default_rng(2))
    assert abs(est.arl - cusum_arl(0.5, 5.0, 1.0, headstart=2.5)) < 4 * est.se


def test_ewma_lambda_one_is_shewhart() -> None:
    assert ewma_arl(1.0, 3.0, 1.0) == pytest.approx(shewhart_arl(1.0))


@pytest.mark.parametrize(
    ("lambda_", "arl0", "L"),
    [(0.05, 500, 2.615), (0.1, 500, 2.814), (0.2, 500, 2.962), (0.25, 500, 2.998), (0.4, 500, 3.054), (0.1, 369, 2.70)],
)
def test_ewma_design_finds_published_L(lambda_: float, arl0: float, L: float) -> None:
    found = ewma_L_for_arl(lambda_, arl0)
    assert found == pytest.approx(L, abs=0.002)
    assert ewma_arl(lambda_, found) == pytest.approx(arl0, rel=1e-4)


@pytest.mark.parametrize(("arl0", "h"), [(168, 4.0), (465, 5.0), (369, 4.77)])
def test_cusum_design_finds_h(arl0: float, h: float) -> None:
    found = cusum_h_for_arl(0.5, arl0)
    assert found == pytest.approx(h, abs=0.01)
    assert cusum_arl(0.5, found) == pytest.approx(arl0, rel=1e-4)


def test_design_with_headstart_and_unreachable_target() -> None:
    h = cusum_h_for_arl(0.5, 370.4, headstart=2.0)
    assert cusum_arl(0.5, h, 0.0, headstart=2.0) == pytest.approx(370.4, rel=1e-4)
    assert h > cusum_h_for_arl(0.5, 370.4)  # a headstart needs a wider interval
    with pytest.raises(ValueError, match="outside what"):
        ewma_L_for_arl(0.2, 1.0)


def test_design_helpers_reject_bad_arguments() -> None:
    with pytest.raises(ValueError, match="lambda_"):
        ewma_arl(0.0, 3.0)
    with pytest.raises(ValueError, match="h must be"):
        cusum_arl(0.5, -1.0)
    with pytest.raises(ValueError, match="headstart"):
        cusum_arl(0.5, 4.0, headstart=4.0)


# --------------------------------------------------------------------------------------------
# Constants and limits


def test_d2_d3_c4_match_textbook_and_integration() -> None:
    textbook = {2: (1.128, 0.853), 3: (1.693, 0.888), 5: (2.326, 0.864), 10: (3.078, 0.797), 25: (3.931, 0.708)}
    for n, (d2, d3) in textbook.items():
        assert round(D2[n], 3) == d2 and round(D3[n], 3) == d3
    for n in (2, 4, 7, 15):  # d2(n) = ∫ 1 − Φ(x)^n − (1 − Φ(x))^n dx
        value, _ = integrate.quad(lambda x, n=n: 1 - norm.cdf(x) ** n - norm.sf(x) ** n, -12, 12)
        assert D2[n] == pytest.approx(value, abs=1e-5)
    assert D2[2] == pytest.approx(2 / math.sqrt(math.pi), abs=1e-5)
    assert D3[2] == pytest.approx(math.sqrt(2 - 4 / math.pi), abs=1e-5)
    assert [round(C4(n), 4) for n in (2, 5, 10, 25)] == [0.7979, 0.9400, 0.9727, 0.9896]


def test_known_parameter_limits_match_textbook_factors() -> None:
    ind = IndividualsChart(10.0, 2.0, rules="none")
    assert (ind.lcl, ind.centre, ind.ucl) == (4.0, 10.0, 16.0)
    assert ind.mr_ucl / 2.0 == pytest.approx(3.686, abs=1e-3)  # D2 factor for n = 2
    xr = XbarRChart(0.0, 1.0, 5, rules="none")
    assert xr.ucl == pytest.approx(3 / math.sqrt(5))
    assert (round(xr.dispersion_lcl, 3), round(xr.dispersion_ucl, 3)) == (0.0, 4.918)  # D1, D2 for n = 5
    assert round(XbarRChart(0.0, 1.0, 7, rules="none").dispersion_lcl, 3) == 0.205  # D1(7)
    xs = XbarSChart(0.0, 1.0, 10, rules="none")
    assert (round(xs.dispersion_lcl, 3), round(xs.dispersion_ucl, 3)) == (0.276, 1.669)  # B5, B6 for n = 10


def test_reference_limits_match_a2_d4_a3_b4() -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(20.0, 1.5, size=(25, 5))
    r_bar = np.ptp(x, axis=1).mean()
    s_bar = x.std(axis=1, ddof=1).mean()
    xbb = x.mean()
    xr = XbarRChart.from_reference(x, rules="none")
    assert xr.subgroup_size == 5
    assert xr.ucl == pytest.approx(xbb + 0.577 * r_bar, rel=2e-4)  # A2(5)
    assert xr.dispersion_ucl == pytest.approx(2.114 * r_bar, rel=5e-4)  # D4(5), 3 decimals
    xs = XbarSChart.from_reference(x, rules="none")
    assert xs.ucl == pytest.approx(xbb + 1.427 * s_bar, rel=3e-4)  # A3(5)
    assert xs.dispersion_ucl == pytest.approx(2.089 * s_bar, rel=5e-4)  # B4(5)
    ind = IndividualsChart.from_reference(x[:, 0], rules="none")
    mr_bar = np.abs(np.diff(x[:, 0])).mean()
    assert ind.ucl == pytest.approx(x[:, 0].mean() + 2.660 * mr_bar, rel=3e-4)  # E2 = 3/d2


def test_reference_estimates_and_specification() -> None:
    p = estimate_individuals([1.0, np.nan, 3.0, 2.0])
    assert p.n_used == 3 and "NaN" in p.notes[0] and p.sigma == pytest.approx(1.5 / D2[2])
    q = estimate_subgroups([[1.0, 2.0], [np.nan, 1.0], [2.0, 4.0]])
    assert q.n_used == 2 and q.sigma == pytest.approx(1.5 / D2[2])
    spec = from_specification(94.0, 106.0, cp=1.0)
    assert (spec.mean, spec.sigma, spec.source) == (100.0, 2.0, "specification")
    chart = EWMAChart.from_specification(94.0, 106.0, lambda_=0.2, L=3.0)
    assert (chart.mean, chart.sigma) == (100.0, 2.0)


@pytest.mark.parametrize("sigma", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_sigma_is_a_clear_value_error(sigma: float) -> None:
    for make in (
        lambda: IndividualsChart(0.0, sigma, rules="none"),
        lambda: XbarRChart(0.0, sigma, 4, rules="none"),
        lambda: EWMAChart(0.0, sigma, 0.2, 3.0),
        lambda: CUSUMChart(0.0, sigma, 0.5, 4.0),
        lambda: ProcessParameters(0.0, sigma),
        lambda: run_chart([1.0, 2.0], "shewhart", mean=0.0, sigma=sigma),
    ):
        with pytest.raises(ValueError, match="sigma must be a finite number > 0"):
            make()


def test_constant_reference_is_named() -> None:
    with pytest.raises(ValueError, match="reference period is constant"):
        IndividualsChart.from_reference([4.2] * 10, rules="none")
    with pytest.raises(ValueError, match="reference period is constant"):
        run_chart([5.0] * 20 + [6.0, 7.0], "ewma", reference_rows=20)
    with pytest.raises(ValueError, match="constant within every subgroup"):
        estimate_subgroups([[1.0, 1.0], [2.0, 2.0]])
    with pytest.raises(ValueError, match="at least 2"):
        estimate_individuals([1.0, np.nan])


# --------------------------------------------------------------------------------------------
# Run rules on constructed patterns


def _fired(rules: str | set[str], z: list[float]) -> list[tuple[str, ...]]:
    chart = IndividualsChart(0.0, 1.0, rules=rules, reset_on_alarm=False)
    return [chart.update(v).fired_rules for v in z]


def _first(rules: str | set[str], z: list[float], rule: str) -> int | None:
    hits = [i for i, f in enumerate(_fired(rules, z)) if rule in f]
    return hits[0] if hits else None


def test_one_side_runs_we4_at_8_and_nelson2_at_9() -> None:
    z = [0.5, 0.2, 0.8, 0.4, 0.3, 0.6, 0.1, 0.7, 0.5, 0.2]
    assert _first("we", z, "WE4") == 7
    assert _first("nelson", z, "N2") == 8
    assert _first("nelson", z[:8], "N2") is None
    # a point on the centre line breaks the run; a skipped NaN does not
    assert _first("we", [0.5] * 4 + [0.0] + [0.5] * 8, "WE4") == 12
    assert _first("we", [0.5] * 4 + [math.nan] + [0.5] * 4, "WE4") == 8


def test_trend_of_six_is_nelson3() -> None:
    z = [-1.0, -0.6, -0.2, 0.1, 0.5, 0.9]
    assert _first("nelson", z, "N3") == 5
    assert _first("nelson", z[:5], "N3") is None
    assert _first("nelson", [v * -1 for v in z], "N3") == 5
    assert _first("nelson", [-1.0, -0.6, -0.6, 0.1, 0.5, 0.9, 1.2], "N3") is None  # a tie breaks it


def test_fourteen_alternating_is_nelson4() -> None:
    z = [0.5 * (-1) ** i for i in range(14)]
    assert _first("nelson", z, "N4") == 13
    assert _first("nelson", z[:13], "N4") is None


def test_two_of_three_beyond_2sigma() -> None:
    assert _fired("we", [2.5, 0.0, 2.2]) == [(), (), ("WE2",)]
    assert _fired("nelson", [-2.5, -2.1]) == [(), ("N5",)]
    assert _fired("we", [2.5, -2.5, 0.0]) == [(), (), ()]  # opposite sides
    assert _fired("we", [2.5, 0.0, 0.0, 2.5]) == [(), (), (), ()]  # 2 of 4, not 2 of 3


def test_four_of_five_beyond_1sigma() -> None:
    assert _fired({"WE3"}, [1.5, 1.2, 0.0, 1.1, 1.3]) == [(), (), (), (), ("WE3",)]
    assert _fired({"N6"}, [-1.5, -1.2, -1.1, -1.3]) == [(), (), (), ("N6",)]
    assert _first({"N6"}, [1.5, 1.2, 0.0, 0.0, 1.1, 1.3], "N6") is None


def test_stratification_and_mixture() -> None:
    hugging = [0.3 * (-1) ** i * (1 + (i % 3) / 10) for i in range(15)]
    assert _first({"N7"}, hugging, "N7") == 14
    assert _first({"N7"}, hugging[:14], "N7") is None
    mixture = [1.5 * (-1) ** i for i in range(8)]  # both sides, never within 1σ
    assert _first({"N8"}, mixture, "N8") == 7
    assert _first({"N8"}, mixture[:7], "N8") is None


def test_limit_rule_ids() -> None:
    assert _fired("we", [3.2]) == [("WE1",)]
    assert _fired("nelson", [-3.2]) == [("N1",)]
    assert _fired("none", [3.2]) == [("limit",)]
    assert _fired({"WE4"}, [3.2]) == [("limit",)]  # the limits are always tested
    assert resolve_rules("WE") == WE_RULES and resolve_rules("Nelson") == NELSON_RULES
    with pytest.raises(ValueError, match="unknown rule id"):
        resolve_rules({"WE9"})


def _reference_rules(z: np.ndarray, L: float = 3.0) -> list[set[str]]:
    """Independent sliding-window implementation (no reset), to cross-check RuleEngine."""
    out: list[set[str]] = []
    d = np.sign(np.diff(z, prepend=np.nan))
    for t in range(len(z)):
        fired: set[str] = set()

        def win(n: int, t: int = t) -> np.ndarray:
            return z[t - n + 1 : t + 1] if t + 1 >= n else np.array([])

        if abs(z[t]) > L:
            fired |= {"WE1", "N1"}
        for n, m, lim, ids in ((3, 2, 2.0, {"WE2", "N5"}), (5, 4, 1.0, {"WE3", "N6"})):
            w = win(n) if t + 1 >= n else z[: t + 1]
            if (z[t] > lim and (w > lim).sum() >= m) or (z[t] < -lim and (w < -lim).sum() >= m):
                fired |= ids
        for n, rid in ((8, "WE4"), (9, "N2")):
            w = win(n)
            if w.size and ((w > 0).all() or (w < 0).all()):
                fired.add(rid)
        steps = d[max(t - 4, 0) : t + 1]
        if t >= 5 and ((steps > 0).all() or (steps < 0).all()):
            fired.add("N3")
        alt = d[t - 12 : t + 1] if t >= 13 else np.array([])
        if alt.size and (alt != 0).all() and (alt[1:] == -alt[:-1]).all():
            fired.add("N4")
        if win(15).size and (np.abs(win(15)) < 1).all():
            fired.add("N7")
        if win(8).size and (np.abs(win(8)) > 1).all():
            fired.add("N8")
        out.append(fired)
    return out


def test_rule_engine_agrees_with_sliding_windows() -> None:
    rng = np.random.default_rng(11)
    z = np.concatenate([rng.normal(0, 1, 3000), rng.normal(0, 0.3, 300), rng.normal(1.2, 1, 300)])
    z[100:110] = np.linspace(-1, 1, 10)  # a trend
    z[500:516] = 0.4 * (-1.0) ** np.arange(16)  # alternation, hugging
    z[800:810] = 1.5 * (-1.0) ** np.arange(10)  # mixture
    expected = _reference_rules(z)
    engine = RuleEngine(ALL_RULES)
    for t, v in enumerate(z):
        assert set(engine.update(float(v))) == expected[t], t
    fired = {r for s in expected for r in s}
    assert fired == ALL_RULES  # every rule was exercised


def test_run_rules_in_control_arl_champ_woodall() -> None:
    """WE 1–4 on individuals: ARL0 = 91.75 (Champ & Woodall 1987), Monte Carlo ±4 SE."""
    rl = simulate_run_lengths(IndividualsChart(0.0, 1.0, rules="we"), 3000, rng=np.random.default_rng(5))
    se = rl.std(ddof=1) / math.sqrt(rl.size)
    assert abs(rl.mean() - 91.75) < 4 * se


# --------------------------------------------------------------------------------------------
# Streaming form == array form, river contract, bad input


def _charts() -> list[Chart]:
    return [
        IndividualsChart(0.0, 1.0, rules="nelson"),
        IndividualsChart(0.0, 1.0, rules="we", dispersion_alarms=True, reset_on_alarm=False),
        IndividualsChart(0.0, 1.0, rules="none", L=2.5),
        EWMAChart(0.0, 1.0, 0.1, 2.814),
        EWMAChart(0.0, 1.0, 0.3, 2.9, exact_limits=True, reset_on_alarm=False),
        CUSUMChart(0.0, 1.0, 0.5, 4.0),
        CUSUMChart(0.0, 1.0, 0.25, 6.0, headstart=3.0, reset_on_alarm=False),
    ]


@pytest.mark.parametrize("chart", _charts(), ids=lambda c: type(c).__name__)
def test_streaming_equals_array(chart: Chart) -> None:
    rng = np.random.default_rng(8)
    x = np.concatenate([rng.normal(0, 1, 400), rng.normal(1.0, 1, 200), rng.normal(-0.5, 1.4, 200)])
    x[[5, 6, 300, 650]] = np.nan
    res = chart.run(x)
    stream = chart.clone()
    for i, v in enumerate(x):
        stream.update(v)
        assert stream.fired_rules == res.rules[i]
        assert stream.drift_detected == res.alarm[i]
        assert stream.skipped == res.skipped[i]
        if not stream.skipped:
            assert (stream.statistic, stream.lcl, stream.ucl, stream.centre) == (
                res.statistic[i],
                res.lcl[i],
                res.ucl[i],
                res.centre[i],
            )
    assert res.skipped.sum() == 4 and np.isnan(res.statistic[[5, 6, 300, 650]]).all()
    assert not res.alarm[[5, 6, 300, 650]].any()
    assert res.alarm.sum() > 0 and res.first_alarm == int(np.flatnonzero(res.alarm)[0])
    assert "skipped" in res.notes[0]


@pytest.mark.parametrize("cls", [XbarRChart, XbarSChart])
def test_subgroup_streaming_equals_array(cls: type[XbarRChart]) -> None:
    rng = np.random.default_rng(9)
    x = rng.normal(0.0, 1.0, size=(300, 4))
    x[150:] *= 1.8  # spread increases
    x[40, 2] = np.nan
    chart = cls(0.0, 1.0, 4, rules="we")
    res = chart.run(x)
    stream = chart.clone()
    for i, row in enumerate(x):
        stream.update(row)
        assert stream.fired_rules == res.rules[i] and stream.skipped == res.skipped[i]
    key = "range" if cls is XbarRChart else "stdev"
    assert res.skipped[40] and np.isnan(res.extra[key][40])
    tag = "R" if cls is XbarRChart else "S"
    assert any(tag in r for r in res.rules[150:])


def test_vectorised_simulation_kernel_agrees_with_chart() -> None:
    rng = np.random.default_rng(10)
    data = rng.normal(0.7, 1.0, size=(150, 400))
    for chart in [c for c in _charts() if has_kernel(c)]:
        assert isinstance(chart, IndividualsChart | EWMAChart | CUSUMChart)
        expected = [chart.run(row).first_alarm for row in data]
        got = first_alarms(chart, data)
        assert got.tolist() == [-1 if e is None else e for e in expected], type(chart).__name__


def test_river_contract() -> None:
    chart = CUSUMChart(mean=5.0, sigma=0.5, k=0.5, h=2.0)
    assert (chart.mean, chart.sigma, chart.k, chart.h, chart.headstart) == (5.0, 0.5, 0.5, 2.0, 0.0)
    assert chart.update(5.1) is chart
    with pytest.raises(AttributeError):
        chart.drift_detected = True  # type: ignore[misc]
    for v in (6.0, 6.0):
        chart.update(v)
    assert chart.drift_detected and chart.fired_rules == ("C+",) and chart.upper > 2.0
    chart.update(5.0)  # restarts after the alarm: C+ = max(0, 0 + 0 - 0.5)
    assert not chart.drift_detected and chart.upper == 0.0
    chart.update(6.5)
    chart._reset()
    assert (chart.upper, chart.lower, chart.drift_detected) == (0.0, 0.0, False)
    assert chart.clone().parameters() == chart.parameters()
    assert chart.n_alarms == 2 and chart.n_updates == 5


def test_reset_on_alarm_false_keeps_signalling() -> None:
    x = [3.0] * 6
    keep = CUSUMChart(0.0, 1.0, 0.5, 4.0, reset_on_alarm=False).run(x)
    restart = CUSUMChart(0.0, 1.0, 0.5, 4.0).run(x)
    assert keep.alarm_rows.tolist() == [1, 2, 3, 4, 5]
    assert restart.alarm_rows.tolist() == [1, 3, 5]


def test_ewma_exact_limits_start_narrow() -> None:
    chart = EWMAChart(0.0, 2.0, lambda_=0.2, L=3.0, exact_limits=True)
    chart.update(0.0)
    assert chart.ucl == pytest.approx(3.0 * 2.0 * 0.2)  # sd of z1 = λσ
    for _ in range(200):
        chart.update(0.0)
    assert chart.ucl == pytest.approx(EWMAChart(0.0, 2.0, 0.2, 3.0).ucl)


def test_nan_policy_and_infinite_values() -> None:
    with pytest.raises(ValueError, match="row 2: missing value"):
        IndividualsChart(0.0, 1.0, rules="none", nan_policy="raise").run([0.0, 1.0, np.nan])
    with pytest.raises(ValueError, match="row 1: infinite value"):
        EWMAChart(0.0, 1.0, 0.2, 3.0).run([0.0, np.inf])
    chart = CUSUMChart(0.0, 1.0, 0.5, 4.0)
    chart.update(2.0).update(np.nan)
    assert chart.skipped and chart.n_skipped == 1 and chart.upper == 1.5
    with pytest.raises(ValueError, match="nan_policy"):
        CUSUMChart(0.0, 1.0, nan_policy="ignore")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="subgroup must have 4"):
        XbarRChart(0.0, 1.0, 4, rules="none").update([1.0, 2.0])


def test_rules_are_explicit() -> None:
    with pytest.raises(TypeError):
        IndividualsChart(0.0, 1.0)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="run rules apply to Shewhart charts only"):
        run_chart([1.0, 2.0], "cusum", mean=0.0, sigma=1.0, rules="nelson")


# --------------------------------------------------------------------------------------------
# run_chart: the array API behind the CLI


def test_run_chart_to_dict_is_json() -> None:
    rng = np.random.default_rng(12)
    x = np.r_[rng.normal(10, 1, 50), rng.normal(12, 1, 30)]
    x[3] = np.nan
    for method in ("shewhart", "ewma", "cusum"):
        res = run_chart(x, method, reference_rows=50, rules="none")
        d = json.loads(json.dumps(res.to_dict(), allow_nan=False))
        assert d["method"] == method and d["n_rows"] == 80
        assert len(d["statistic"]) == len(d["lcl"]) == len(d["ucl"]) == len(d["centre"]) == 80
        assert d["statistic"][3] is None and d["skipped_rows"] == [3]
        assert d["first_alarm"] is not None and d["first_alarm"] >= 50
        assert d["alarm_rows"] == [a["row"] for a in d["alarms"]]
        assert d["parameters"]["source"] == "reference" and d["parameters"]["reference_rows"] == 50
        assert any("NaN value(s) dropped" in n for n in d["notes"])
    ewma = run_chart(x, "ewma", mean=10.0, sigma=1.0, lambda_=0.2)
    assert ewma.parameters["L"] == pytest.approx(ewma_L_for_arl(0.2, 370.4))
    cusum = run_chart(x, "cusum", mean=10.0, sigma=1.0)
    assert cusum.parameters["h"] == pytest.approx(4.77, abs=0.01)
    assert cusum.to_dict()["rule_descriptions"]["C+"].startswith("upper CUSUM")


def test_run_chart_parameter_sources() -> None:
    x = np.r_[np.linspace(9, 11, 30), [20.0]]
    mixed = run_chart(x, "shewhart", mean=10.0, reference_rows=30)  # known mean, sigma estimated
    assert mixed.parameters["mean"] == 10.0 and mixed.parameters["source"] == "reference"
    assert any("mean given" in n for n in mixed.notes)
    spec = run_chart(x, "shewhart", lsl=7.0, usl=13.0, rules="we")
    assert spec.parameters["sigma"] == 1.0 and spec.parameters["rules_label"] == "Western Electric 1-4"
    xbar = run_chart(np.arange(40.0).reshape(10, 4) % 7, "xbar_r", reference_rows=10, rules="none")
    assert len(xbar) == 10 and "range_ucl" in xbar.extra
    contaminated = run_chart(
        np.r_[np.zeros(10) + np.tile([0, 0.1], 5), [9.0], np.zeros(9)], "shewhart", reference_rows=20
    )
    assert any("inside the reference period" in n for n in contaminated.notes)
    with pytest.raises(ValueError, match="mean and sigma, reference_rows, or lsl and usl"):
        run_chart(x, "shewhart")
    with pytest.raises(ValueError, match="reference_rows must be an integer in"):
        run_chart(x, "shewhart", reference_rows=100)
    with pytest.raises(ValueError, match="method must be one of"):
        run_chart(x, "pca", mean=0.0, sigma=1.0)
    with pytest.raises(ValueError, match="needs 2-D data"):
        run_chart(x, "xbar_s", mean=0.0, sigma=1.0)


def test_bench_designs_match_reference_table() -> None:
    path = Path(__file__).resolve().parents[2] / "bench" / "bench_arl.py"
    spec = importlib.util.spec_from_file_location("bench_arl_under_test", path)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rows = {
        "shewhart_3sigma": ("shewhart", 3.0),
        "cusum_k0.5_h4": ("cusum", 4.0),
        "cusum_k0.5_h5": ("cusum", 5.0),
        "ewma_l0.1_L2.814": ("ewma", 0.10, 2.814),
        "ewma_l0.2_L2.962": ("ewma", 0.20, 2.962),
    }
    assert set(bench.DESIGNS) == set(rows)
    for name, (_label, factory, brook_evans, published) in bench.DESIGNS.items():
        table = dict(zip(SHIFTS, map(float, TABLE[rows[name]].split()), strict=True))
        for shift, value in published.items():
            assert value == table[shift], (name, shift)
            assert brook_evans(shift) == pytest.approx(_computed(rows[name], shift))
        chart = factory()
        design = {"shewhart": ("L",), "cusum": ("k", "h"), "ewma": ("lambda_", "L")}[str(rows[name][0])]
        values = tuple(getattr(chart, a) for a in design)
        assert values == {"shewhart": (3.0,), "cusum": (0.5, rows[name][1]), "ewma": rows[name][1:]}[str(rows[name][0])]


def test_make_chart_builds_streaming_charts() -> None:
    assert isinstance(make_chart("EWMA", mean=0.0, sigma=1.0, lambda_=0.1, L=2.814), EWMAChart)
    xs = make_chart("xbar_s", mean=0.0, sigma=1.0, subgroup_size=5, rules={"WE1", "WE2"})
    assert isinstance(xs, XbarSChart) and xs.rules == frozenset({"WE1", "WE2"})
    with pytest.raises(ValueError, match="needs subgroup_size"):
        make_chart("xbar_r", mean=0.0, sigma=1.0)
    with pytest.raises(ValueError, match="data must be numeric"):
        run_chart(["a", "b"], "shewhart", mean=0.0, sigma=1.0)
