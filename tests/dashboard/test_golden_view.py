"""The golden batch on the dryer page: envelope and score figures, the batch found in the historian,
and the page in a real browser with a live ``golden`` detector.

The golden model is built from ten simulated dryer batches (seconds); the current batch is a
real simulation of the dryer with granules 20 % wetter, written into the served SQLite historian
stamped up to now and fed to the monitoring service, so the page shows it outside its envelope
and the detector in alarm.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from browser_app import serve, wait_for
from conftest import chromium

from analytics.golden import GoldenModel
from analytics.golden_build import build_model
from dashboard.golden_view import batch_start, default_variables, envelope_figure, score_figure
from gmp_twin.golden_batches import PROFILES, BatchSpec, noise_of, run_batch, simulate_many
from historian import open_historian
from historian.base import Point
from twin.plant import PlantConfig

SEC = 1_000_000_000
PLANT = PlantConfig.model_validate({"site": "lab", "units": [{"name": "dryer-1", "type": "fluid_bed_dryer"}]})
P = PROFILES["fluid_bed_dryer"]
TAGS = tuple(dict.fromkeys([*P.variables, P.maturity, P.clock[0], "phase"]))


@pytest.fixture(scope="module")
def dryer_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cfg = PLANT.units[0].model_dump()
    batches = simulate_many([BatchSpec(cfg, s, 1.0, None, 1.0, P.window_s, TAGS) for s in range(1, 11)], workers=1)
    model = build_model(
        batches, unit="dryer-1", unit_type="fluid_bed_dryer", variables=list(P.variables),
        units=["°C", "m³/h", "°C", "°C", "%", "%"], maturity=P.maturity, maturity_unit=P.maturity_unit,
        clock=P.clock, active=P.active, window_s=P.window_s, noise_sd=noise_of(cfg, P.variables),
        tolerance=P.tolerance,
    )  # fmt: skip
    return model.save(tmp_path_factory.mktemp("golden") / "dryer-1.npz")


def test_the_envelope_figure_marks_the_windows_outside_and_the_score_figure_the_limits(dryer_model: Path) -> None:
    m = GoldenModel.load(dryer_model)
    x = m.grid[:20]
    j = m.variables.index("nir_lod")
    y = m.mean[:20, j].copy()
    y[-3:] += 10 * m.sigma()[17:20, j]
    fig = envelope_figure(m, ["nir_lod", "not-a-variable"], x, {"nir_lod": y}, "fr")
    outside = [tr for tr in fig.data if tr.name == "Hors enveloppe"]
    assert len(outside) == 1 and list(outside[0].x) == x[-3:].tolist()
    assert fig.layout.xaxis.title.text == "Maturité : drying_time (min)"
    trace = [(1.0, 2.0, 5.0, 1.0, 3.0, 0), (2.0, 9.0, 5.0, 1.0, 3.0, 1)]
    fig = score_figure(m, trace, [2.0], "en")
    names = [tr.name for tr in fig.data]
    assert names[:2] == ["Batch T²", "T² limit"] and "SPE limit" in names
    assert list(fig.data[2].x) == [2.0]  # the T² window over its limit
    assert score_figure(m, [], [], "fr").layout.annotations[0].text == "Pas encore de données"


def test_an_idle_golden_detector_says_why_in_the_pages_language(dryer_model: Path, tmp_path: Path) -> None:
    from types import SimpleNamespace

    from analytics.detectors.golden import GoldenConfig, GoldenDetector
    from dashboard.golden_view import _status

    ctx = SimpleNamespace(services=SimpleNamespace(monitoring=None))  # no monitoring service: no alarm view
    m = GoldenModel.load(dryer_model)
    missing = GoldenDetector(GoldenConfig(name="g", unit="dryer-1", method="golden", model=str(tmp_path / "d.npz")))
    fr = " ".join(str(p.children) for p in _status(m, missing, ctx, None, "fr"))  # type: ignore[arg-type]
    assert "pas encore de modèle de lot de référence" in fr and "gmp-twin golden build --unit dryer-1" in fr, fr
    waiting = GoldenDetector(GoldenConfig(name="g", unit="dryer-1", method="golden", model=str(dryer_model)))
    waiting.idle, waiting.status = "waiting", "waiting for the batch's active phase"
    fr = " ".join(str(p.children) for p in _status(m, waiting, ctx, None, "fr"))  # type: ignore[arg-type]
    en = " ".join(str(p.children) for p in _status(m, waiting, ctx, None, "en"))  # type: ignore[arg-type]
    assert "en attente de la phase active du lot" in fr and "waiting for the batch's active phase" in en


def test_the_current_batch_starts_where_the_clock_went_back_and_the_telling_variables_are_shown(
    dryer_model: Path,
) -> None:
    assert batch_start([1, 2, 3], [4.0, 5.0, 6.0]) == 1
    assert batch_start([1, 2, 3, 4], [30.0, 31.0, 0.2, 0.5]) == 3
    assert batch_start([], []) is None
    model = GoldenModel.load(dryer_model)
    shown = default_variables(model)
    assert len(shown) == 4 and "air_flow" not in shown  # the fan's flow is flat: it tells nothing
    model.info["shown"] = ["nir_lod", "gone"]  # what `golden build` names for the unit type
    assert default_variables(model) == ["nir_lod"]


def _history(seconds_ago: float) -> tuple[list[Point], dict[str, list[tuple[int, float, bool]]]]:
    """One drying batch of 20 % wetter granules, stamped to end now: historian points and samples."""
    cfg = PLANT.units[0].model_dump()
    run = run_batch(BatchSpec(cfg, 77, 1.0, None, 1.0, P.window_s, TAGS, params={"initial_lod_pct": 24.0},
                              readings=True))  # fmt: skip
    start = time.time_ns() - int(seconds_ago * SEC)
    stamps = start + np.round(run["time_s"] * SEC).astype(np.int64)
    points, samples = [], {}
    for tag in TAGS:
        tags = {"site": "lab", "unit": "dryer-1", "tag": tag, "source": "sim"}
        values = run[tag]
        points += [
            Point("process", tags, {"value": float(v), "status": 0}, int(t))
            for t, v in zip(stamps, values, strict=True)
        ]
        samples[tag] = [(int(t), float(v), False) for t, v in zip(stamps, values, strict=True)]
    return points, samples


@pytest.mark.browser
def test_the_dryer_page_shows_the_batch_outside_its_golden_envelope_and_the_alarm(
    tmp_path: Path, dryer_model: Path
) -> None:
    points, samples = _history(3000.0)

    async def write() -> None:
        async with open_historian(f"sqlite:///{tmp_path}/h.sqlite") as historian:
            await historian.write(points)

    asyncio.run(write())
    detectors = f"detectors:\n  - {{name: dryer-golden, unit: dryer-1, method: golden, model: '{dryer_model}'}}\n"
    with serve(tmp_path, None, monitoring=True, plant=PLANT, detectors=detectors) as served:
        assert served.monitoring is not None
        served.monitoring.feed("dryer-1", samples)
        assert [a["alarm_id"] for a in served.monitoring.alarms()["active"]] == ["dryer-golden"]
        alarm = served.monitoring.alarm_view("dryer-golden")
        assert alarm["rules"] and alarm["state"] in ("unack_active", "unack_rtn"), alarm
        driver = chromium("1400,2400")
        try:
            driver.get(f"{served.url}/units/fluid_bed_dryer?lang=fr")
            status = wait_for("the golden status", lambda: _text(driver, "golden-status-dryer-1"), 60)
            assert "10 lots de référence" in status and "dryer-golden" in status, status
            assert "en alarme" in status or "non acquitté" in status.lower(), status
            assert "Plus loin de la référence" in status
            wait_for("both golden charts", lambda: len(_plots(driver)) == 2, 30)
            names = wait_for("the envelope's traces", lambda: _trace_names(driver, "golden-env-dryer-1"), 30)
            assert {"Moyenne de référence", "Lot en cours", "Hors enveloppe", "±3σ (action)"} <= set(names)
            score = wait_for("the score's traces", lambda: _trace_names(driver, "golden-score-dryer-1"), 30)
            assert "Limite SPE" in score
            console = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
            assert not console, console
        finally:
            driver.quit()


def _text(driver: Any, element_id: str) -> str:
    found = driver.execute_script(
        "const e = document.getElementById(arguments[0]); return e && e.innerText;", element_id
    )
    return str(found or "")


def _plots(driver: Any) -> list[Any]:
    return list(driver.find_elements("css selector", ".golden-view .js-plotly-plot"))


def _trace_names(driver: Any, graph_id: str) -> list[str]:
    script = (
        "const g = document.getElementById(arguments[0]).querySelector('.js-plotly-plot');"
        "return g && g.data ? g.data.map(t => t.name) : null;"
    )
    return list(driver.execute_script(script, graph_id) or [])
