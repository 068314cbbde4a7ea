"""`gmp-twin simulate` streaming: the bulk sensor layer equals the runtime's, chunks equal one batch,
the forked stepping process equals stepping in one process, and a failure leaves no file."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from gmp_twin.cli import main
from gmp_twin.simulate import add_sensors, true_values
from gmp_twin.simulate_stream import ChildFailed, Chunk, Plan, bulk_readings, produce, true_chunks
from gmp_twin.simulate_writer import six_digits
from twin.plant import build_plant, build_unit, load_plant
from twin.sensors import SensorLayer

REPO = Path(__file__).resolve().parents[2]
PLANT = str(REPO / "config" / "plant.yaml")


class _NoProgress:
    def update(self, n: int) -> None:
        pass


@pytest.mark.parametrize("unit_name", [u.name for u in load_plant(PLANT).units])
def test_bulk_readings_equal_the_runtime_sensor_layer_row_by_row(unit_name: str) -> None:
    """Values and statuses, including values beyond the range and soft sensors outside their calibration."""
    units = build_plant(load_plant(PLANT), seed=3)
    unit = units[unit_name]
    specs = unit.tag_specs()
    rng = np.random.default_rng(7)
    rows = []
    for _ in range(20):
        unit.step(1.0)
        rows.append(unit.read())
    # Then the same rows pushed around: beyond the ranges, flags at 0 or 1.
    for row in list(rows):
        moved = dict(row)
        for s in specs:
            span = (s.hi - s.lo) or 1.0
            moved[s.name] = float(rng.integers(0, 2)) if s.is_boolean else float(rng.uniform(s.lo - span, s.hi + span))
        rows.append(moved)
    sensors = SensorLayer(specs, seed=11)
    steps = np.arange(5, 5 + len(rows), dtype=np.int64)
    values, codes = bulk_readings({s.name: np.array([r[s.name] for r in rows]) for s in specs}, specs, sensors, steps)
    for i, (row, step) in enumerate(zip(rows, steps, strict=True)):
        live = sensors.measure(row, int(step))
        for s in specs:
            assert float(values[s.name][i]) == float(live[s.name][0]), (s.name, i)
            assert int(codes[s.name][i]) == live[s.name][1], (s.name, i)
    assert any(codes[s.name].any() for s in specs)  # the pushed rows did leave ranges


def test_chunks_equal_one_in_memory_batch() -> None:
    """The fast path cut into chunks gives the in-memory API's values (true_values + add_sensors), bit for bit."""
    cfg = load_plant(PLANT)
    index = [u.name for u in cfg.units].index("bioreactor-1")
    specs = build_unit(cfg.units[index], seed=index).tag_specs()
    n_steps, every = 3 * 3600, 10
    whole = true_values(build_unit(cfg.units[index], seed=index), specs, n_steps, 1.0, every, np.inf, _NoProgress())
    plan = Plan(n_steps, 1.0, every, chunk_rows=250)
    chunks = list(true_chunks(build_unit(cfg.units[index], seed=index), specs, plan))
    assert [len(c.steps) for c in chunks] == [250, 250, 250, 250, 80]
    steps = np.concatenate([c.steps for c in chunks])
    np.testing.assert_array_equal(steps, np.arange(1, 1081) * every)
    for s in specs:
        np.testing.assert_array_equal(np.concatenate([c.values[s.name] for c in chunks]), whole[s.name], err_msg=s.name)
    sensors = SensorLayer(specs, seed=index)
    old = add_sensors(whole, specs, sensors, steps.astype(np.uint64))
    new, _ = bulk_readings({s.name: whole[s.name] for s in specs}, specs, sensors, steps)
    for s in specs:
        np.testing.assert_array_equal(new[s.name], old[s.name])


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_forked_stepping_writes_the_same_file_as_one_process(tmp_path: Path, fmt: str) -> None:
    frames = []
    for processes in ("1", "2"):
        out = tmp_path / processes / f"batch.{fmt}"
        args = ["simulate", "--plant", PLANT, "--unit", "bioreactor-1", "--duration", "2h", "--dt", "10"]
        assert main([*args, "--resolution", "60s", "--out", str(out), "--quiet", "--processes", processes]) == 0
        frames.append(out.read_bytes())
    assert frames[0] == frames[1]


def test_the_parquet_file_holds_full_precision_and_the_csv_six_digits(tmp_path: Path) -> None:
    base = ["simulate", "--plant", PLANT, "--unit", "bioreactor-1", "--duration", "1h", "--dt", "10"]
    for name in ("b.parquet", "b.csv"):
        assert main([*base, "--resolution", "60s", "--out", str(tmp_path / name), "--quiet"]) == 0
    full = pd.read_parquet(tmp_path / "b.parquet")
    text = (tmp_path / "b.csv").read_text()
    assert text.split("\n", 1)[0] == ",".join(full.columns)  # plain names, no quotes
    csv = pd.read_csv(tmp_path / "b.csv")
    assert list(csv.columns) == list(full.columns) and len(csv) == len(full) == 60
    for col in full.columns:
        expected = six_digits(full[col].to_numpy(dtype=float)) if full[col].dtype.kind == "f" else full[col]
        if col == "time_s":
            expected = full[col]
        np.testing.assert_array_equal(csv[col].to_numpy(dtype=float), np.asarray(expected, dtype=float), err_msg=col)
    # %.6g agrees with the rounding, value by value (what pandas wrote before the streaming writer).
    do = full["do"].to_numpy()
    assert [float(f"{v:.6g}") for v in do] == csv["do"].tolist()


def test_six_digits_keeps_whole_numbers_and_rounds_the_rest() -> None:
    x = np.array([1234567.0, 0.1 + 0.2, -2.0 / 3.0, 5.2345678e-5, 0.0, np.inf, 123456.75, 1e22 + 1e7])
    got = six_digits(x)
    assert got[0] == 1234567.0 and got[4] == 0.0 and got[5] == np.inf
    assert [float(f"{v:.6g}") for v in x[[1, 2, 3, 6]]] == got[[1, 2, 3, 6]].tolist()


def test_a_failing_stepping_process_is_an_error_and_leaves_no_file(tmp_path: Path) -> None:
    def broken() -> Iterator[Chunk]:
        yield Chunk(np.array([1]), {"x": np.array([1.0])})
        raise ZeroDivisionError("model blew up")

    for processes in (1, 2):
        items = produce(broken, lambda: None, processes)
        assert next(items)[0] == "chunk"
        with pytest.raises((ChildFailed, ZeroDivisionError), match="model blew up"):
            next(items)


def test_an_interrupted_run_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gmp_twin.simulate_run as run

    def boom(*_a: object, **_k: object) -> dict[str, np.ndarray]:
        raise RuntimeError("disk full")

    monkeypatch.setattr(run, "measured_chunk", boom)
    out = tmp_path / "x.parquet"
    with pytest.raises(RuntimeError, match="disk full"):
        run.run_simulate(
            _args(unit="bioreactor-1", duration="1h", dt=10.0, resolution="60s", out=str(out), processes=2),
            3600.0,
            60.0,
            float("inf"),
        )
    assert list(tmp_path.iterdir()) == []


def test_parquet_fields_carry_units(tmp_path: Path) -> None:
    out = tmp_path / "u.parquet"
    args = ["simulate", "--plant", PLANT, "--unit", "bioreactor-1", "--duration", "10min", "--dt", "10"]
    assert main([*args, "--resolution", "60s", "--out", str(out), "--quiet"]) == 0
    schema = pq.read_schema(out)
    assert schema.field("do").metadata[b"unit"] == b"%"
    assert schema.field("temperature").metadata[b"unit"].decode() == "°C"
    assert b"gmp-twin" in (schema.metadata or {})


def _args(**kw: object) -> argparse.Namespace:
    base = {
        "plant": PLANT, "speed": "max", "seed": 0, "fault": None, "measured_only": False, "quiet": True,
        "processes": 2,
    }  # fmt: skip
    return argparse.Namespace(**{**base, **kw})


def test_a_paced_run_writes_the_same_rows(tmp_path: Path) -> None:
    """--speed only paces the run (chunks of about one wall second): the rows are those of --speed max."""
    frames = []
    for speed in ("max", "2000"):
        out = tmp_path / speed / "b.parquet"
        args = ["simulate", "--plant", PLANT, "--unit", "bioreactor-1", "--duration", "20min", "--dt", "10"]
        assert main([*args, "--resolution", "20s", "--speed", speed, "--out", str(out), "--quiet"]) == 0
        frames.append(pd.read_parquet(out))
    pd.testing.assert_frame_equal(frames[0], frames[1])
    assert Plan.paced(120, 10.0, 2, 2000.0).chunk_rows == 100
    assert Plan.paced(120, 10.0, 2, float("inf")).chunk_rows == 8192
