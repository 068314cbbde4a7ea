"""The rows of a ``gmp-twin simulate`` run, chunk after chunk: true values, then the sensor layer.

A run never holds the whole batch: :func:`true_chunks` steps the unit and yields the
noise-free values of at most ``chunk_rows`` rows at a time, :func:`measured_chunk` turns a
chunk into published readings (the runtime's noise, clipping and statuses), and the writer
puts it on disk (:mod:`gmp_twin.simulate_writer`). The columns are fixed before the first
row: ``time_s``, the tags, and a ``<tag>__status`` column for every measurement (and every
tag a fault may rewrite), so a Parquet schema and a CSV header can be written up front.

:func:`produce` runs the stepping in a child process (fork) that hands the chunks over a
pipe, so stepping the model (one core) and the sensor layer plus writing (the other) overlap.
Both ways give the same rows (a test checks it).

Rows are taken after steps ``k·record_every``, ``k = 1…n``, as in a live runtime.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gmp_twin.simulate_faults import FaultedRun, overrides_array
from gmp_twin.simulate_meta import STATUS_SUFFIX
from models.unit import TagSpec, Unit
from twin.sensors import (
    STATUS_EU_EXCEEDED,
    STATUS_OUT_OF_CALIBRATION,
    STATUS_OVER_RANGE,
    STATUS_UNDER_RANGE,
    SensorLayer,
)

#: Rows per chunk: about 4 MB of float64 for the bioreactor's 60 tags (memory stays flat, overhead small).
CHUNK_ROWS = 8_192


@dataclass
class Chunk:
    """True values of consecutive rows, and the readings faults rewrote."""

    steps: np.ndarray
    values: dict[str, np.ndarray]
    #: Tag -> (values, statuses, rows they hold): the readings faults rewrote.
    overrides: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    """How far and how finely to step: ``n_steps`` steps of ``dt_s``, a row every ``record_every``."""

    n_steps: int
    dt_s: float
    record_every: int
    speed: float = math.inf
    chunk_rows: int = CHUNK_ROWS

    @property
    def n_rows(self) -> int:
        return self.n_steps // self.record_every

    @classmethod
    def paced(cls, n_steps: int, dt_s: float, record_every: int, speed: float) -> Plan:
        """A plan whose chunks span about one wall second when the run is paced (``speed`` finite)."""
        rows = CHUNK_ROWS if math.isinf(speed) else int(speed / (record_every * dt_s))
        return cls(n_steps, dt_s, record_every, speed, max(1, min(CHUNK_ROWS, rows)))


def true_chunks(unit: Unit, specs: list[TagSpec], plan: Plan, faulted: FaultedRun | None = None) -> Iterator[Chunk]:
    """Step ``unit`` and yield its true values chunk by chunk (the faults' readings with them).

    A unit with a vectorised ``simulate(duration_s, dt_s, record_every)`` (the bioreactor) is
    stepped through it, one chunk per call, when no fault has to act between steps; otherwise
    it is stepped here and read at every row. With a finite ``speed`` each chunk is handed
    over when the simulated clock, paced against the wall clock, reaches its last row.
    """
    fast = getattr(unit, "simulate", None)
    names = [s.name for s in specs]
    every, rows_done = plan.record_every, 0
    wall0 = time.monotonic()
    while rows_done < plan.n_rows:
        n = min(plan.chunk_rows, plan.n_rows - rows_done)
        steps = (np.arange(rows_done + 1, rows_done + n + 1, dtype=np.int64)) * every
        if faulted is None and callable(fast):
            data = fast(n * every * plan.dt_s, dt_s=plan.dt_s, record_every=every)
            chunk = Chunk(steps, {name: data[name] for name in names})
        else:
            out = np.empty((n, len(names)))
            readings = []
            for row in range(n):
                for _ in range(every):
                    if faulted is None:
                        unit.step(plan.dt_s)
                    else:
                        faulted.step()
                values = unit.read()
                out[row] = [values[name] for name in names]
                if faulted is not None and faulted.touched:
                    readings.append(faulted.readings(values))
            overrides = overrides_array(readings, faulted.touched) if faulted is not None and readings else {}
            chunk = Chunk(steps, {name: out[:, i] for i, name in enumerate(names)}, overrides)
        if not math.isinf(plan.speed):
            # Paced: hand the rows over when the clock reaches them, not before.
            ahead = int(steps[-1]) * plan.dt_s / plan.speed - (time.monotonic() - wall0)
            if ahead > 0:
                time.sleep(ahead)
        yield chunk
        rows_done += n
    # Steps left over after the last row (a duration that is not a whole number of rows).
    for _ in range(plan.n_steps - plan.n_rows * every):
        if faulted is None:
            unit.step(plan.dt_s)
        else:
            faulted.step()


def status_tags(specs: list[TagSpec], touched: list[str] | None = None) -> list[str]:
    """Tags with a ``__status`` column: measurements, soft sensors, and every tag a fault may rewrite."""
    extra = set(touched or ())
    return [s.name for s in specs if s.kind == "measurement" or s.calibrated is not None or s.name in extra]


def bulk_readings(
    values: dict[str, np.ndarray], specs: list[TagSpec], sensors: SensorLayer, steps: np.ndarray
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Readings of many rows at once: (value, status code) arrays per tag.

    The same noise, clipping and statuses as :meth:`twin.sensors.SensorLayer.measure` row by
    row (a test compares them for every unit type): noise and saturation on measurements
    (``UncertainEngineeringUnitsExceeded`` when the true value is beyond the range), and for a
    soft sensor (a tag with a ``calibrated`` range) ``UncertainUnderRange`` /
    ``UncertainOverRange`` outside that range, else ``UncertainSensorCalibration`` while its
    ``<tag>_ok`` flag reads 0. Booleans become 0/1 (``int8``).
    """
    noise = sensors.noise(np.asarray(steps, dtype=np.uint64))
    column = {spec.name: j for j, spec in enumerate(sensors.noisy_tags)}
    names = {s.name for s in specs}
    out: dict[str, np.ndarray] = {}
    status: dict[str, np.ndarray] = {}
    for spec in specs:
        v = np.array(values[spec.name], dtype=float)  # a copy: faults' readings are written into it
        code = np.zeros(len(v), dtype=np.int64)
        if spec.is_boolean:
            out[spec.name], status[spec.name] = (v >= 0.5).astype(np.int8), code
            continue
        if spec.kind == "measurement":
            code[(v < spec.lo) | (v > spec.hi)] = STATUS_EU_EXCEEDED
            if spec.name in column:
                v = v + spec.noise_sd * noise[:, column[spec.name]]
            v = np.clip(v, spec.lo, spec.hi)
        if spec.calibrated is not None:
            lo, hi = spec.calibrated
            good = code == 0
            code[good & (v < lo)] = STATUS_UNDER_RANGE
            code[good & (v > hi)] = STATUS_OVER_RANGE
            ok = f"{spec.name}_ok"
            if ok in names:
                flagged = good & (v >= lo) & (v <= hi) & (np.asarray(values[ok], dtype=float) < 0.5)
                code[flagged] = STATUS_OUT_OF_CALIBRATION
        out[spec.name], status[spec.name] = v, code
    return out, status


def measured_chunk(
    chunk: Chunk, specs: list[TagSpec], sensors: SensorLayer, dt_s: float, with_status: list[str]
) -> dict[str, np.ndarray]:
    """A chunk as published: ``time_s``, each tag's reading, and the ``__status`` columns of ``with_status``.

    Readings a fault rewrote (:attr:`Chunk.overrides`) replace the computed ones.
    """
    values, codes = bulk_readings(chunk.values, specs, sensors, chunk.steps)
    for tag, (v, code, rows) in chunk.overrides.items():
        values[tag][rows] = v[rows]
        codes[tag][rows] = code[rows]
    out: dict[str, np.ndarray] = {"time_s": np.round(chunk.steps * dt_s, 9), **values}
    # Status columns after the tags: the data columns stay together for a reader.
    out.update({tag + STATUS_SUFFIX: codes[tag] for tag in with_status})
    return out


# -- the stepping in a child process ------------------------------------------------------------
def _child(send: Any, make: Callable[[], Iterator[Chunk]], summary: Callable[[], Any]) -> None:
    try:
        for chunk in make():
            send.send(("chunk", chunk))
        send.send(("done", summary()))
    except (KeyboardInterrupt, BrokenPipeError):
        pass  # Ctrl-C reaches both processes; the parent reports it (or it has gone)
    except BaseException as exc:  # any failure goes to the parent, which raises it
        with contextlib.suppress(OSError):
            send.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        send.close()


class ChildFailed(RuntimeError):
    """The stepping process failed; the message is its exception."""


def produce(
    make: Callable[[], Iterator[Chunk]], summary: Callable[[], Any], processes: int
) -> Generator[tuple[str, Any], None, None]:
    """Yield ``("chunk", Chunk)`` items then ``("done", summary())``, stepping in a child if asked.

    ``processes=2`` forks a child that steps the unit while this process consumes the chunks
    (at most one chunk ahead: the pipe blocks the child); ``1`` or a platform without
    ``fork`` steps here. ``make`` and ``summary`` run in the process that steps.
    """
    if processes < 2 or "fork" not in multiprocessing.get_all_start_methods():
        for chunk in make():
            yield "chunk", chunk
        yield "done", summary()
        return
    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(send, make, summary), daemon=True)
    child.start()
    send.close()
    try:
        while True:
            try:
                kind, payload = recv.recv()
            except EOFError:
                raise ChildFailed(f"the stepping process ended without a result (exit code {child.exitcode})") from None
            if kind == "error":
                raise ChildFailed(payload)
            yield kind, payload
            if kind == "done":
                break
    finally:
        recv.close()
        if child.is_alive():
            child.terminate()
        child.join()
