"""The golden batch's parts on synthetic batches: the model file, alignment, the batch-wise PCA and
its components, live scoring, and the ``golden`` detector method (new batch, active phase, a
missing or foreign model, the detectors file)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from analytics.detectors import load_detectors, parse_detector
from analytics.detectors.golden import GoldenConfig, GoldenDetector
from analytics.golden import GoldenModel, GoldenModelError, default_model_path
from analytics.golden_build import align, build_model, window_means
from analytics.golden_live import GoldenScorer, score_batch
from analytics.golden_mpca import fit_mpca, online_scores

SEC = 1_000_000_000


def batch(
    seed: int, hours: float = 10.0, gain: float = 1.0, phase: bool = False, spread: float = 0.05
) -> dict[str, np.ndarray]:
    """A synthetic batch every 60 s: a growth curve whose rate varies by batch (``spread``), a
    coupled off-gas signal, a noisy analyser; window means of 10 minutes."""
    rng = np.random.default_rng(seed)
    t = np.arange(60.0, hours * 3600 + 1, 60.0)
    h = t / 3600
    rate = gain * (1.0 + spread * rng.normal())
    growth = 10.0 / (1.0 + np.exp(-(h - 5.0) * rate))
    cols = {
        "clock": h,
        "x": growth,
        "o2": 21.0 - 0.3 * growth + 0.02 * rng.normal(size=len(t)),
        "pat": growth + 0.3 * rng.normal(size=len(t)),
    }
    if phase:
        cols["phase"] = np.where(h < hours - 1.0, 1.0, 2.0)
    return window_means(t, cols, 600.0, offset_s=float(rng.uniform(0, 600)))


def model_of(n: int = 12, **kw: object) -> GoldenModel:
    args = {
        "unit": "u", "unit_type": "t", "variables": ["x", "o2", "pat"], "units": ["g/l", "%", "g/l"],
        "maturity": "clock", "maturity_unit": "h", "clock": ("clock", 3600.0), "window_s": 600.0,
        "noise_sd": [0.0, 0.02, 0.0], "reading_s": 60.0,
    }  # fmt: skip
    args.update(kw)
    return build_model([batch(s) for s in range(1, n + 1)], **args)  # type: ignore[arg-type]


def test_the_model_file_keeps_everything_and_says_how_to_fix_a_bad_one(tmp_path: Path) -> None:
    m = model_of()
    path = m.save(tmp_path / "golden" / "u.npz")
    summary = json.loads(path.with_suffix(".json").read_text())
    assert summary["variables"] == ["x", "o2", "pat"] and summary["info"]["n_batches"] == 12
    back = GoldenModel.load(path)
    assert back.meta() == m.meta()
    for name in ("grid", "mean", "sd_batch", "loadings", "t2_limit", "spe_limit"):
        assert np.array_equal(getattr(back, name), getattr(m, name)), name
    with pytest.raises(GoldenModelError, match="gmp-twin golden build --unit"):
        GoldenModel.load(tmp_path / "none.npz")
    (tmp_path / "junk.npz").write_text("not a model")
    with pytest.raises(GoldenModelError, match="not a golden model file"):
        GoldenModel.load(tmp_path / "junk.npz")
    with pytest.raises(GoldenModelError, match=r"ends in \.npz"):
        m.save(tmp_path / "u.json")
    assert default_model_path("dryer-1", "d").as_posix() == "d/golden/dryer-1.npz"


def test_alignment_refuses_what_it_cannot_align() -> None:
    t = np.arange(0.0, 100.0)
    with pytest.raises(ValueError, match="backwards"):
        window_means(np.r_[t, 5.0], {"a": np.r_[t, 0.0]}, 10.0)
    with pytest.raises(ValueError, match="column 'a'"):
        window_means(t, {"a": t[:5]}, 10.0)
    good = batch(1)
    with pytest.raises(ValueError, match="reference batch 1 has no 'y'"):
        align([good], ["y"], "clock")
    with pytest.raises(ValueError, match="at least 3"):
        align([{k: v[:2] for k, v in good.items()}], ["x"], "clock")
    late = {**good, "clock": good["clock"] + 100.0}
    with pytest.raises(ValueError, match="share no maturity range"):
        align([good, late], ["x"], "clock")
    with pytest.raises(ValueError, match="at least 3 reference batches"):
        model_of(2)


def test_the_grid_covers_every_batch_and_each_window_sits_in_its_nearest_point() -> None:
    batches = [batch(s) for s in range(1, 6)]
    grid, x = align(batches, ["x", "o2"], "clock")
    assert grid[0] >= max(b["clock"][0] for b in batches) and grid[-1] <= min(b["clock"][-1] for b in batches)
    assert x.shape == (5, len(grid), 2) and np.isfinite(x).all()
    assert np.allclose(np.diff(grid), 600 / 3600)


def test_cross_validation_finds_the_rank_of_the_batch_to_batch_variation() -> None:
    rng = np.random.default_rng(3)
    k, j = 30, 4
    modes = [
        np.sin(np.linspace(0, 3, k))[:, None] * rng.normal(size=j),
        np.linspace(-1, 1, k)[:, None] * rng.normal(size=j),
    ]
    z = np.stack(
        [rng.normal() * modes[0] + rng.normal() * modes[1] + 0.05 * rng.normal(size=(k, j)) for _ in range(25)]
    )
    fit = fit_mpca(z)
    assert fit.n_components == 2
    assert fit.press[2] < 0.1 and fit.press[0] == 1.0
    assert fit_mpca(z, n_components=1).n_components == 1
    with pytest.raises(ValueError, match="between 0 and"):
        fit_mpca(z, n_components=40)
    with pytest.raises(ValueError, match="at least 3"):
        fit_mpca(z[:2])
    # A batch scored online with its known part only: the last point's T² matches the whole batch's.
    t2, spe = online_scores(fit.loadings, fit.eigenvalues, z[0])
    assert t2.shape == (k,) and spe.shape == (k,) and np.isfinite(t2).all()


def test_a_normal_batch_stays_inside_and_a_slow_one_leaves_its_envelope() -> None:
    m = model_of(15)
    assert m.info["n_batches"] == 15 and m.n_components >= 1
    assert 0.0 <= m.info["reference_envelope_out_fraction"] < 0.01
    # A typical batch (the nominal growth rate, its own noise) and one growing 40 % slower.
    for seed, gain, alarmed in ((101, 1.0, False), (102, 0.6, True)):
        b = batch(seed, gain=gain, spread=0.0)
        vals = np.column_stack([b[v] for v in m.variables])
        scores = score_batch(m, b["clock"], vals, n=np.tile(b["_n"][:, None], (1, 3)))
        assert any(s.alarm for s in scores) is alarmed, (seed, [s.rules for s in scores if s.rules])
    # The scorer and a replay of the same windows agree; reset forgets the batch.
    scorer = GoldenScorer(m)
    live = [scorer.update(float(c), vals[i]) for i, c in enumerate(b["clock"]) if m.covers(float(c))]
    replay = score_batch(m, b["clock"], vals)
    assert [s.rules for s in live] == [s.rules for s in replay]
    assert [round(s.t2, 9) for s in live] == [round(s.t2, 9) for s in replay]
    scorer.reset()
    assert scorer.trace == [] and scorer.last is None
    with pytest.raises(ValueError, match="off the golden batch's grid"):
        scorer.update(1e6, vals[0])
    with pytest.raises(ValueError, match="unknown golden rule"):
        GoldenScorer(m, rules=("XYZ",))


def feed(det: GoldenDetector, rows: dict[str, np.ndarray], t0_ns: int = 0) -> list:
    """Each window of ``rows`` as one reading per tag, 600 s apart."""
    out = []
    for i in range(len(rows["clock"])):
        stamp = t0_ns + i * 600 * SEC
        for tag in det.config.watched:
            out += det.feed(tag, stamp, float(rows[tag][i]))
    return out


def test_the_golden_detector_starts_again_with_each_batch_and_scores_only_its_active_phase(tmp_path: Path) -> None:
    batches = [batch(s, phase=True) for s in range(1, 11)]
    m = build_model(
        batches, unit="u", unit_type="t", variables=["x", "o2"], units=["", ""], maturity="clock",
        maturity_unit="h", clock=("clock", 3600.0), active=("phase", [1.0]), window_s=600.0, noise_sd=[0.0, 0.02],
    )  # fmt: skip
    path = m.save(tmp_path / "u.npz")
    cfg = GoldenConfig(name="g", unit="u", method="golden", model=str(path))
    assert cfg.watched == ["x", "o2", "clock", "phase"] and cfg.label == "golden batch"
    det = GoldenDetector(cfg)
    assert det.phase == "monitoring" and det.parameters["batches"] == 10
    first = batch(50, phase=True)
    points = feed(det, first)
    assert points and det.scorer is not None
    scored = len(det.scorer.trace)
    assert 0 < scored < len(first["clock"])  # the last hour (phase 2) is not scored
    assert det.status.startswith("waiting") or det.status.startswith("beyond")
    assert det.idle in ("waiting", "beyond")  # the key the pages translate
    # A second batch: the clock goes back to zero and the scorer starts again.
    feed(det, batch(51, phase=True), t0_ns=len(first["clock"]) * 600 * SEC)
    assert det.batches == 1 and abs(len(det.scorer.trace) - scored) <= 1 and det.scorer.trace[0][0] < 0.2


def test_a_missing_or_foreign_model_leaves_the_detector_idle_with_the_fix_in_its_status(tmp_path: Path) -> None:
    det = GoldenDetector(GoldenConfig(name="g", unit="u", method="golden", model=str(tmp_path / "none.npz")))
    assert det.config.watched == [] and det.scorer is None
    assert "gmp-twin golden build" in det.status and det.idle == "no_model"
    path = model_of(4).save(tmp_path / "u.npz")
    det = GoldenDetector(GoldenConfig(name="g", unit="other", method="golden", model=str(path)))
    assert det.scorer is None and "golden batch of 'u', not of 'other'" in det.status
    assert det.idle == "unusable"
    default = GoldenConfig(name="g", unit="bioreactor-1", method="golden")
    assert default.model_path.as_posix() == "data/golden/bioreactor-1.npz" and default.sample_s == 0.0


def test_a_golden_entry_in_the_detectors_file(tmp_path: Path) -> None:
    path = tmp_path / "detectors.yaml"
    path.write_text(
        "detectors:\n  - name: bio-golden\n    unit: bioreactor-1\n    method: golden\n"
        "    rules: [ENV]\n    consecutive: 5\n    clear_after_s: 1800\n"
    )
    entry = load_detectors(path, {"bioreactor-1": ["ph"]}).detectors[0]
    assert isinstance(entry, GoldenConfig) and entry.rules == ["ENV"] and entry.consecutive == 5
    path.write_text("detectors:\n  - name: g\n    unit: bioreactor-1\n    method: golden\n    tags: [ph]\n")
    with pytest.raises(Exception, match="tags"):
        load_detectors(path, {"bioreactor-1": ["ph"]})
    with pytest.raises(Exception, match="BATCH_T2"):
        parse_detector({"name": "g", "unit": "u", "method": "golden", "rules": ["T2"]})


async def test_a_golden_model_built_while_the_twin_runs_is_picked_up_without_a_restart(tmp_path: Path) -> None:
    """The real monitoring service on a real SQLite historian: idle without a model, then scoring."""
    from analytics.detectors import DetectorsFile
    from analytics.monitoring import MonitoringService
    from historian.outbox import Outbox
    from historian.sqlite import SqliteHistorian

    path = tmp_path / "golden" / "u.npz"
    config = DetectorsFile.model_validate(
        {"detectors": [{"name": "g", "unit": "u", "method": "golden", "model": str(path), "sample_s": 600}]}
    )
    outbox = Outbox(tmp_path / "outbox.sqlite", max_rows=10_000, site="s", unit="monitoring")
    async with SqliteHistorian(tmp_path / "h.sqlite") as historian:
        service = MonitoringService(historian, [], config, outbox, site="s", start_ns=0)
        assert service.detectors["g"].idle == "no_model" and service.watched() == {}
        await service.poll_once()
        assert service.refresh_detectors() == []  # nothing changed: nothing rebuilt
        model_of(6).save(path)  # `gmp-twin golden build` while the twin runs
        await service.poll_once()  # picks it up
        det = service.detectors["g"]
        assert det.idle == "" and det.scorer is not None
        assert sorted(service.watched()["u"]) == ["clock", "o2", "pat", "x"]
        rows = batch(99)
        for i in range(len(rows["clock"])):
            service.feed(
                "u", {tag: [(i * 600 * SEC, float(rows[tag][i]), False)] for tag in ("clock", "x", "o2", "pat")}
            )
        assert len(det.scorer.trace) > 0  # the new model scores the batch
        path.unlink()  # removed: built again, idle, saying so
        await service.poll_once()
        assert service.detectors["g"].idle == "no_model"
    outbox.close()
