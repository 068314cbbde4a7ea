"""The design-space page's pure parts: which studies it lists (and refuses), the summary in FR/EN,
the charts' traces and the tables' rows, from a real (small) ``gmp-twin doe`` study."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from analytics.doe_design import Factor
from analytics.doe_space import parse_spec
from dashboard.pages.design_space import (
    coefficient_rows,
    model_rows,
    resolve_study,
    response_figure,
    show_study,
    study_options,
)
from gmp_twin.doe_report import write_study
from gmp_twin.doe_study import Study, run_study
from gmp_twin.page_checks import decimal_points, english_words


def small_study(folder: Path) -> Path:
    """A dryer study on a coarse grid, with a 5 × 5 brute-force check (a few seconds)."""
    study = Study(
        "dryer-1",
        "fluid_bed_dryer",
        [Factor("inlet_temperature", 50, 80, "°C"), Factor("air_flow", 200, 450, "m³/h")],
        ["drying_time", "max_product_temperature", "final_lod"],
        [parse_spec(s) for s in ("drying_time<=30", "max_product_temperature<=40", "final_lod<=2.5")],
        grid=11,
        draws=200,
        verify=5,
        jobs=1,
    )
    out = folder / "dryer-1"
    write_study(run_study(study), out, lang="en", plant="config/plant.yaml")
    return out


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("doe")
    small_study(folder)
    (folder / "not-a-study").mkdir()
    return folder


def _text(node: Any) -> str:
    if isinstance(node, str):
        return node
    children = getattr(node, "children", None)
    if children is None:
        return ""
    if isinstance(children, list | tuple):
        return " ".join(_text(c) for c in children)
    return _text(children)


def test_lists_result_directories_and_refuses_any_other_path(root: Path) -> None:
    assert study_options(root) == [{"label": "dryer-1", "value": "dryer-1"}]
    assert resolve_study(root, "dryer-1") == root / "dryer-1"
    for bad in ("../dryer-1", "/etc", "not-a-study", None, "."):
        assert resolve_study(root, bad) is None
    assert study_options(root / "missing") == []


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_summary_in_the_readers_language(root: Path, lang: str) -> None:
    summary_node, figure, options, first, models, coefficients = show_study(root, "dryer-1", lang)
    text = _text(summary_node)
    if lang == "fr":
        assert "Espace de conception" in text and "final_lod ≤ 2,5" in text, text
        assert english_words(text) == [] and decimal_points(text) == [], text
    else:
        assert "Design space" in text and "final_lod ≤ 2.5" in text, text
    assert "5 × 5" in text  # the brute-force check
    assert [o["value"] for o in options] == ["drying_time", "max_product_temperature", "final_lod"]
    assert first == "drying_time"
    assert {r["ds_response"] for r in models} == {"drying_time", "max_product_temperature", "final_lod"}
    assert len(coefficients) == 3 * 6
    names = [tr.name for tr in figure.data]
    assert names[0] and any("drying_time" in (n or "") for n in names)  # an edge of failure
    assert sum(1 for tr in figure.data if tr.type == "scatter") == 3  # runs, in spec, out of spec


def test_response_chart_and_tables(root: Path) -> None:
    from analytics.doe_results import load_result

    result = load_result(root / "dryer-1")
    fig = response_figure(result, "drying_time", "en")
    assert fig.data[0].type == "contour" and len(fig.data[0].z) == 11
    assert any(tr.name == "drying_time ≤ 30" for tr in fig.data)
    assert response_figure(result, "colour", "en").layout.annotations  # "No data yet"
    rows = model_rows(result.summary, "fr")
    dt = next(r for r in rows if r["ds_response"] == "drying_time")
    assert dt["ds_transform"] == "log" and 0.9 < dt["ds_r2"] <= 1.0
    assert {r["ds_term"] for r in coefficient_rows(result.summary)} >= {"1", "inlet_temperature·air_flow"}


def test_a_broken_study_says_so(root: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "summary.json").write_text("{}")
    out = show_study(tmp_path, "broken", "en")
    assert "design_space.csv: missing" in out[0]
