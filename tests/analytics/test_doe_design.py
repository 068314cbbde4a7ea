"""Designs of experiments: sizes, levels, ranges, the fraction's aliasing and the Latin hypercube's strata."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from analytics.doe_design import DESIGNS, Factor, make_design, to_coded, to_real


@pytest.mark.parametrize(
    ("design", "k", "runs"),
    [
        ("full", 2, 9),
        ("full", 3, 27),
        ("ff2", 3, 8 + 3),
        ("frac", 5, 16 + 3),  # resolution IV (the default) of 5 factors: 2^(5-1)
        ("ccd", 2, 4 + 4 + 3),
        ("ccd", 3, 8 + 6 + 3),
        ("ccc", 2, 4 + 4 + 3),
        ("cci", 3, 8 + 6 + 3),
        ("bbd", 3, 12 + 3),
    ],
)
def test_design_sizes(design: str, k: int, runs: int) -> None:
    d = make_design(design, k)
    assert d.shape == (runs, k)


def test_face_centred_composite_stays_in_the_ranges_and_circumscribed_goes_beyond() -> None:
    ccf, ccc, cci = (make_design(d, 2, center=1) for d in ("ccd", "ccc", "cci"))
    assert ccf.min() == -1.0 and ccf.max() == 1.0
    assert set(np.round(ccf[:, 0], 6)) == {-1.0, 0.0, 1.0}  # three levels: a quadratic is estimable
    assert ccc.max() == pytest.approx(np.sqrt(2.0))  # rotatable: alpha = (2^k)^(1/4)
    assert cci.max() == pytest.approx(1.0)


def test_two_level_fraction_of_resolution_four_keeps_main_effects_clear_of_two_factor_interactions() -> None:
    d = make_design("frac", 6, resolution=4, center=0)
    assert d.shape == (16, 6)
    mains = [d[:, i] for i in range(6)]
    pairs = [d[:, i] * d[:, j] for i, j in itertools.combinations(range(6), 2)]
    for m in mains:
        for p in pairs:
            assert abs(float(m @ p)) < 1e-9  # orthogonal: not aliased
    # Resolution III fraction of 5 factors: some main effect is aliased with a two-factor interaction.
    d3 = make_design("frac", 5, resolution=3, center=0)
    assert d3.shape == (8, 5)
    aliased = [
        abs(float(d3[:, i] @ (d3[:, j] * d3[:, k])))
        for i in range(5)
        for j, k in itertools.combinations(range(5), 2)
        if i not in (j, k)
    ]
    assert max(aliased) == pytest.approx(8.0)


def test_half_fractions_pydoe3_misses_are_built() -> None:
    # 2^(4-1) IV (D = ABC) and 2^(5-1) V (E = ABCD): resolution k, half the runs.
    assert make_design("frac", 4, resolution=4, center=0).shape == (8, 4)
    assert make_design("frac", 5, resolution=5, center=0).shape == (16, 5)
    # No fraction of 3 factors has resolution IV: the full factorial.
    assert make_design("frac", 3, resolution=4, center=0).shape == (8, 3)


def test_latin_hypercube_has_one_run_per_stratum_and_is_seeded() -> None:
    d = make_design("lhs", 3, runs=10, seed=4)
    strata = np.floor((d + 1.0) / 2.0 * 10).astype(int)
    for j in range(3):
        assert sorted(strata[:, j]) == list(range(10))
    assert np.array_equal(d, make_design("lhs", 3, runs=10, seed=4))
    assert not np.array_equal(d, make_design("lhs", 3, runs=10, seed=5))


def test_full_factorial_levels() -> None:
    d = make_design("full", 2, levels=4)
    assert d.shape == (16, 2)
    assert sorted(set(np.round(d[:, 0], 6))) == pytest.approx([-1.0, -1 / 3, 1 / 3, 1.0])


def test_coded_and_real_units_round_trip() -> None:
    f = [Factor("t", 50, 80), Factor("q", 200, 450)]
    real = np.array([[50.0, 450.0], [65.0, 325.0]])
    assert to_coded(real, f).tolist() == [[-1.0, 1.0], [0.0, 0.0]]
    assert np.allclose(to_real(to_coded(real, f), f), real)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"design": "box"}, "unknown design 'box'; choose one of " + ", ".join(DESIGNS)),
        ({"design": "lhs"}, "design lhs needs --runs >= 2"),
        ({"design": "full", "levels": 1}, "design full needs --levels >= 2"),
        ({"design": "ccd", "center": -1}, "centre points must be >= 0"),
        ({"design": "frac", "resolution": 2}, "design frac needs --resolution >= 3"),
    ],
)
def test_bad_designs_are_refused_with_the_fix(kwargs: dict[str, object], message: str) -> None:
    design = str(kwargs.pop("design"))
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make_design(design, 2, **kwargs)  # type: ignore[arg-type]


def test_bad_factor_range() -> None:
    with pytest.raises(ValueError, match=r"factor ph: low 7\.0 must be below high 6\.0"):
        Factor("ph", 7.0, 6.0)
