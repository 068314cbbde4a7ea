"""Every sample of many series of the SQLite historian, read in a child process (exports).

An export of 24 h of the default plant reads about 14 million rows. Python's ``sqlite3``
builds a tuple and three objects per row (about 0.6 µs a row here); the ADBC SQLite driver
(``adbc-driver-sqlite``) fills Arrow columns in C (about 0.15 µs). That driver brings its
own copy of SQLite, and two SQLite libraries in one process release each other's POSIX
locks when either closes the file (SQLite's "How To Corrupt An SQLite Database File",
§2.2): a live run's historian died with SIGBUS. So the driver runs in a child process of
its own, ``python -m historian.sqlite_bulk DB``, which also reads on the other core while
this process formats.

Protocol: the parent writes one JSON request on the child's stdin (``start``, ``stop``,
``series`` as ``[unit, tag, site or null]``) and closes it; the child answers each series
in order with a frame: an 8-byte little-endian length, then an Arrow IPC stream of the
columns ``time_ns`` (int64), ``value`` (float64, +inf where the value is NULL) and
``status`` (int64). A few frames are read ahead, on one thread, while the caller works.
"""

from __future__ import annotations

import asyncio
import json
import os
import struct
import subprocess
import sys
from collections import deque
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa

from historian.base import HistorianError, RawSeries

__all__ = ["SeriesRequest", "read_many"]

#: (unit, tag, site or None): one series to read.
SeriesRequest = tuple[str, str, str | None]
_FRAME = struct.Struct("<Q")
#: Frames read ahead of the caller (each is one series: ~10 MB for a day at 5 Hz).
_AHEAD = 3
_ROOT = Path(__file__).resolve().parents[1]
# A NULL value (bad quality) is +inf (9e999 overflows): a plain float64 column for the driver
# to type, made NaN on arrival; stored values are always finite (non-finite ones are NULL).
_SQL = (
    "SELECT time_ns, coalesce(value, 9e999) AS value, status FROM process "
    "WHERE unit = ? AND tag = ? AND time_ns >= ? AND time_ns < ?"
)


async def read_many(
    path: str | Path, series: Sequence[SeriesRequest], start_ns: int, stop_ns: int
) -> AsyncIterator[RawSeries]:
    """Each of ``series`` in ``[start_ns, stop_ns)``, in order, read by one child process."""
    if not series:
        return
    request = {"start": int(start_ns), "stop": int(stop_ns), "series": [list(s) for s in series]}
    proc = await asyncio.to_thread(_spawn, path, request)
    assert proc.stdout is not None
    loop = asyncio.get_running_loop()
    reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="historian-bulk")
    stdout = proc.stdout
    # One worker runs the reads in submission order, so frames stay in series order.
    pending: deque[asyncio.Future[RawSeries]] = deque()
    submitted = received = 0
    try:
        while received < len(series):
            while submitted < len(series) and len(pending) < _AHEAD:
                pending.append(loop.run_in_executor(reader, _read_frame, stdout, proc, path))
                submitted += 1
            raw = await pending.popleft()
            received += 1
            yield raw
    finally:
        for future in pending:
            future.cancel()
        if received < len(series):  # stopped early: the child may be blocked writing
            proc.kill()
        reader.shutdown(wait=False, cancel_futures=True)
        await asyncio.to_thread(_reap, proc)


def _spawn(path: str | Path, request: dict[str, Any]) -> subprocess.Popen[bytes]:
    """The child, with the request written on its stdin (closed: the child reads it whole)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(_ROOT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "historian.sqlite_bulk", str(Path(path).resolve())],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        bufsize=0,
    )
    assert proc.stdin is not None
    with proc.stdin:
        proc.stdin.write(json.dumps(request).encode())
    return proc


def _reap(proc: subprocess.Popen[bytes]) -> None:
    proc.wait()
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


def _read_exactly(stream: IO[bytes], size: int) -> pa.Buffer | None:
    # Arrow's pool, not a bytearray: no zero-filling, and its memory is reused series after series.
    data = pa.allocate_buffer(size)
    view = memoryview(data)
    got = 0
    while got < size:
        n = stream.readinto(view[got:])  # type: ignore[attr-defined]
        if not n:
            return None
        got += n
    return data


def _read_frame(stream: IO[bytes], proc: subprocess.Popen[bytes], path: str | Path) -> RawSeries:
    head = _read_exactly(stream, _FRAME.size)
    body = None if head is None else _read_exactly(stream, _FRAME.unpack(head.to_pybytes())[0])
    if body is None:
        proc.wait()
        error = proc.stderr.read().decode(errors="replace").strip() if proc.stderr else ""
        raise HistorianError(f"SQLite {path}: bulk read ended (exit {proc.returncode}): {error[-2000:]}")
    table = pa.ipc.open_stream(body).read_all()
    if table.num_rows == 0:
        return RawSeries(np.zeros(0, np.int64), np.zeros(0, np.float64), np.zeros(0, np.int64))
    value = table.column("value").to_numpy()
    return RawSeries(
        table.column("time_ns").to_numpy(),
        np.where(np.isinf(value), np.nan, value),
        table.column("status").to_numpy(),
    )


# -- the child -------------------------------------------------------------------------------
def _child(path: str, request: dict[str, Any], out: IO[bytes]) -> None:
    # The low-level ADBC API: its DB-API module imports pandas (0.3 s) for nothing here.
    import adbc_driver_manager
    import adbc_driver_sqlite

    with (
        adbc_driver_sqlite.connect(f"file:{path}") as database,
        adbc_driver_manager.AdbcConnection(database) as conn,
    ):
        for unit, tag, site in request["series"]:
            params: dict[str, Any] = {"unit": [unit], "tag": [tag], "start": [request["start"]]}
            params["stop"] = [request["stop"]]
            sql = _SQL
            if site is not None:
                sql += " AND site = ?"
                params["site"] = [site]
            args = pa.record_batch({k: pa.array(v, pa.int64() if k in ("start", "stop") else pa.string())
                                    for k, v in params.items()})  # fmt: skip
            # A statement per series: re-binding one whose result stream is still open crashes.
            with adbc_driver_manager.AdbcStatement(conn) as statement:
                statement.set_options(**{"adbc.sqlite.query.batch_rows": "65536"})
                statement.set_sql_query(sql + " ORDER BY time_ns")
                schema, array = args.__arrow_c_array__()
                statement.bind(array, schema)
                stream, _ = statement.execute_query()
                with pa.RecordBatchReader.from_stream(stream) as batches:
                    sink = pa.BufferOutputStream()
                    with pa.ipc.new_stream(sink, batches.schema) as writer:
                        for batch in batches:
                            writer.write_batch(batch)
            frame = sink.getvalue()
            out.write(_FRAME.pack(frame.size))
            out.write(frame)


def main(argv: Sequence[str] | None = None) -> int:
    """Child process: read the request on stdin, write the frames on stdout."""
    (path,) = argv if argv is not None else sys.argv[1:]
    request = json.loads(sys.stdin.buffer.read())
    out = sys.stdout.buffer
    try:
        _child(path, request, out)
        out.flush()
    except BrokenPipeError:  # the parent stopped reading (export cancelled)
        return 1
    except Exception as exc:  # told to the parent (on stderr), which raises HistorianError with it
        print(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
