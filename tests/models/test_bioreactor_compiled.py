"""The bioreactor's compiled batch loop (Numba) gives exactly what stepping in Python gives.

``Bioreactor.simulate`` runs :func:`models.bioreactor_core.run_steps` compiled when no
actuator or sensor fault is set; ``step`` runs the same functions in Python. Real Numba, a
real compilation (cached under a temporary directory here, so the test also covers a cold
cache).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from models import bioreactor_core, jit
from models.bioreactor import Bioreactor, BioreactorParams


@pytest.fixture(autouse=True)
def _own_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GMP_TWIN_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "jit-cache"))


def _both(
    prepare: Callable[[Bioreactor], Any], duration_s: float, dt: float, every: int
) -> tuple[dict, dict, Bioreactor, Bioreactor]:
    fast, slow = Bioreactor(BioreactorParams(seed=3)), Bioreactor(BioreactorParams(seed=3))
    for br in (fast, slow):
        prepare(br)
    slow._batch_kernel = lambda: None  # type: ignore[method-assign]  # the Python path, step by step
    assert fast._batch_kernel() is not None, "the compiled loop should run here"
    return (
        fast.simulate(duration_s, dt_s=dt, record_every=every),
        slow.simulate(duration_s, dt_s=dt, record_every=every),
        fast,
        slow,
    )


def _assert_identical(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def test_compiled_rows_and_final_state_equal_the_stepped_ones_bit_for_bit() -> None:
    # 7 s rows against 60 s scans: rows fall on scans and between them; 3 h crosses the
    # recipe's first step boundary and the DO loop's saturation.
    a, b, fast, slow = _both(lambda br: None, 3 * 3600.0 + 5.0, 1.0, 7)
    _assert_identical(a, b)
    assert len(a["time_s"]) == (3 * 3600 + 5) // 7
    assert fast.read() == slow.read()
    assert fast.snapshot() == slow.snapshot()
    # Both go on stepping from the same state.
    for br in (fast, slow):
        for _ in range(30):
            br.step(1.0)
    assert fast.read() == slow.read()


def test_compiled_loop_follows_manual_modes_and_disturbances() -> None:
    def prepare(br: Bioreactor) -> None:
        for _ in range(100):
            br.step(2.0)
        br.write("feed_mode", 0)
        br.write("feed_out", 0.05)
        br.write("ph_mode", 0)
        br.write("ph_out", 12.0)
        br.write("temperature_sp", 27.0)
        br.disturbances.set("fouling.kla", 0.4)
        br.disturbances.set("leak", 0.2)
        br.disturbances.set("contamination", 0.3)

    a, b, fast, slow = _both(prepare, 2 * 3600.0, 2.0, 15)
    _assert_identical(a, b)
    assert a["feed_flow"][-1] == 0.05 and a["ph_out"][-1] == 12.0
    assert a["leak_total"][-1] > 0.0
    assert fast.snapshot() == slow.snapshot()


def test_a_held_actuator_or_a_sensor_fault_takes_the_stepped_path() -> None:
    br = Bioreactor()
    br.actuators.set("base_pump", stuck=True)
    assert br._batch_kernel() is None
    br.actuators.clear()
    br.feedback.set("ph", offset=0.3)
    assert br._batch_kernel() is None


def test_the_cache_key_changes_with_any_source_the_loop_uses() -> None:
    import models.pid

    key = jit.source_digest([bioreactor_core, models.pid])
    assert key == jit.source_digest([bioreactor_core, models.pid])
    assert key != jit.source_digest([bioreactor_core])
