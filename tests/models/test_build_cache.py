"""The disk cache of deterministic builds (the PAT calibration): built once, read back equal.

Real forks and real files in a temporary cache directory.
"""

from __future__ import annotations

import functools
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import models.pid
from models import build_cache
from models.pat import PatAnalyser, PatParams, _calibrate, calibrate


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GMP_TWIN_CACHE_DIR", str(tmp_path))
    return tmp_path


def test_a_calibration_read_back_predicts_what_a_fresh_fit_predicts(cache: Path) -> None:
    params = PatParams(calibration_seed=11)
    calibrate.cache_clear()
    loaded = calibrate(params)  # cold: fitted in a forked child, which wrote the cache
    files = list((cache / "pat-calibration").glob("*.pickle"))
    assert len(files) == 1
    fresh = _calibrate(params)
    spectra = np.random.default_rng(0).normal(1000.0, 50.0, (5, len(fresh.models["glucose"].coef)))
    for analyte, model in fresh.models.items():
        np.testing.assert_array_equal(loaded.models[analyte].predict(spectra), model.predict(spectra))
        assert loaded.models[analyte].rmsep == model.rmsep
        np.testing.assert_array_equal(loaded.validation_diagnostics[analyte], fresh.validation_diagnostics[analyte])
    np.testing.assert_array_equal(loaded.derivative_kernel, fresh.derivative_kernel)


def test_a_second_process_reads_the_cache_without_scikit_learn(cache: Path) -> None:
    code = (
        "import sys; from models.pat import calibrate, PatParams; calibrate(PatParams(calibration_seed=12)); "
        "print('sklearn' in sys.modules, 'scipy' in sys.modules)"
    )
    env = {**os.environ, "GMP_TWIN_CACHE_DIR": str(cache)}
    first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    second = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    # The first process fitted in a forked child, so neither kept scikit-learn or SciPy.
    assert first.stdout.split() == ["False", "False"], first.stderr
    assert second.stdout.split() == ["False", "False"], second.stderr


def test_a_damaged_or_foreign_file_is_rebuilt(cache: Path) -> None:
    calls: list[int] = []

    def make() -> dict[str, int]:
        calls.append(1)
        return {"v": 1}

    assert build_cache.load_or_build("demo", "k", [models.pid], ["numpy"], make) == {"v": 1}
    (path,) = (cache / "demo").glob("*.pickle")
    path.write_bytes(b"not a pickle")
    assert build_cache.load_or_build("demo", "k", [models.pid], ["numpy"], make) == {"v": 1}
    assert len(calls) == 2
    assert pickle.loads(path.read_bytes()) == {"v": 1}  # rewritten whole


def test_another_key_or_source_builds_afresh(cache: Path) -> None:
    calls: list[str] = []

    def make(key: str) -> str:
        calls.append(key)
        return key

    for key in ("a", "b", "a"):
        build_cache.load_or_build("demo", key, [models.pid], ["numpy"], functools.partial(make, key))
    assert calls == ["a", "b"]
    build_cache.load_or_build("demo", "a", [models.pid, build_cache], ["numpy"], lambda: make("c"))
    assert calls == ["a", "b", "c"]


def test_an_unwritable_cache_only_costs_the_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder would go")
    monkeypatch.setenv("GMP_TWIN_CACHE_DIR", str(blocker))
    assert build_cache.load_or_build("demo", "k", [models.pid], ["numpy"], lambda: 42, isolate=True) == 42


def test_an_analyser_scans_with_a_cached_calibration(cache: Path) -> None:
    calibrate.cache_clear()
    a = PatAnalyser(PatParams(), seed=1)
    a.measure(1.0, 2.0, 20.0, 25.0)
    calibrate.cache_clear()  # the next one reads the file
    b = PatAnalyser(PatParams(), seed=1)
    b.measure(1.0, 2.0, 20.0, 25.0)
    assert a.outputs == b.outputs and a.glucose == b.glucose


def test_models_warm_fills_both_caches(cache: Path) -> None:
    env = {**os.environ, "GMP_TWIN_CACHE_DIR": str(cache)}
    done = subprocess.run([sys.executable, "-m", "models.warm"], env=env, capture_output=True, text=True, check=True)
    assert "caches ready" in done.stdout
    assert list((cache / "pat-calibration").glob("*.pickle"))
    assert any((cache / "numba").rglob("*.nbi")), "no compiled loop in the cache"  # Numba's index file
