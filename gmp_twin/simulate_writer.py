"""Chunk-by-chunk writers of ``gmp-twin simulate`` files: Parquet and CSV through pyarrow.

Each chunk (a dict of equal-length numpy columns, always the same columns) goes to disk as
it comes: a Parquet row group (:class:`pyarrow.parquet.ParquetWriter`), or CSV rows
(:class:`pyarrow.csv.CSVWriter`); nothing of a batch stays in memory.

The CSV header is plain column names without quotes (``time_s,temperature,ph,...``), and
values have 6 significant digits, as pandas' ``float_format="%.6g"`` wrote them before,
except whole numbers (counters, states, times), which are written exactly. The Parquet file
keeps full double precision, and each field's unit and description in its metadata.

Examples
--------
>>> six_digits(np.array([3.14159265, 123456789.0, 0.000123456789, -2.5, 12345678.9])).tolist()
[3.14159, 123456789.0, 0.000123457, -2.5, 12345700.0]
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq


def six_digits(x: np.ndarray) -> np.ndarray:
    """``x`` rounded to 6 significant digits; whole numbers, zeros and non-finite values unchanged.

    The rounded doubles are the nearest to their 6-digit decimal, so Arrow's shortest
    formatting writes them with at most 6 digits.
    """
    x = np.asarray(x, dtype=float)
    exact = (x == np.trunc(x)) | ~np.isfinite(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        k = 5.0 - np.floor(np.log10(np.abs(np.where(exact, 1.0, x))))
        up = k >= 0
        scale = 10.0 ** np.abs(k)
        # Divide by an exact power of ten (k >= 0) or multiply by one (k < 0): correctly rounded.
        rounded = np.where(up, np.round(x * scale) / scale, np.round(x / scale) * scale)
    # 10**k overflows for subnormal-scale values (k > 308): keep those as they are.
    return np.where(exact | ~np.isfinite(rounded), x, rounded)


class ChunkWriter(Protocol):
    """Writes chunks with the columns of the first, then closes the file."""

    def write(self, columns: Mapping[str, np.ndarray]) -> None: ...

    def close(self) -> None: ...


def _table(columns: Mapping[str, np.ndarray], schema: pa.Schema | None) -> pa.Table:
    if schema is not None and list(columns) != schema.names:
        raise ValueError(f"chunk columns {list(columns)[:5]}... differ from the file's {schema.names[:5]}...")
    arrays = [pa.array(np.asarray(v)) for v in columns.values()]
    return pa.Table.from_arrays(arrays, schema=schema) if schema is not None else pa.table(dict(columns))


class ParquetChunkWriter:
    """One row group per chunk; each field carries ``unit`` and ``description`` metadata.

    Parameters
    ----------
    path : Path
        The ``.parquet`` file (replaced).
    fields : mapping of str to dict
        Column name -> its description (``unit``, ``description``...), as in the side-car.
    file_meta : dict, optional
        Stored under the schema metadata key ``gmp-twin`` (JSON), e.g. the run's settings.
    """

    def __init__(
        self, path: Path, fields: Mapping[str, Mapping[str, Any]], file_meta: Mapping[str, Any] | None = None
    ) -> None:
        self.path = path
        self.fields = fields
        self.file_meta = file_meta
        self._writer: pq.ParquetWriter | None = None
        self._schema: pa.Schema | None = None

    def write(self, columns: Mapping[str, np.ndarray]) -> None:
        if self._writer is None:
            plain = _table(columns, None).schema
            schema = pa.schema(
                [
                    f.with_metadata(
                        {
                            k: str(v)
                            for k, v in self.fields.get(f.name, {}).items()
                            if k in ("unit", "description", "kind")
                        }
                    )
                    for f in plain
                ],
                metadata={"gmp-twin": json.dumps(self.file_meta or {}, ensure_ascii=False)},
            )
            self._schema = schema
            self._writer = pq.ParquetWriter(self.path, schema, compression="snappy")
        self._writer.write_table(_table(columns, self._schema))

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


class CsvChunkWriter:
    """A plain header line, then each chunk's rows (6 significant digits, see the module doc)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[bytes] = path.open("wb")
        self._writer: pacsv.CSVWriter | None = None
        self._names: list[str] | None = None
        self._schema: pa.Schema | None = None

    def write(self, columns: Mapping[str, np.ndarray]) -> None:
        rounded = {
            name: (six_digits(v) if name != "time_s" and np.asarray(v).dtype.kind == "f" else v)
            for name, v in columns.items()
        }
        if self._writer is None:
            self._names = list(columns)
            self._file.write((",".join(self._names) + "\n").encode())
            table = _table(rounded, None)
            self._schema = table.schema
            options = pacsv.WriteOptions(include_header=False, quoting_style="none")
            self._writer = pacsv.CSVWriter(self._file, self._schema, write_options=options)
        else:
            table = _table(rounded, self._schema)
        self._writer.write_table(table)
        self._file.flush()  # a paced run's rows show up as they are made

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._file.close()


def open_writer(
    path: Path,
    fields: Mapping[str, Mapping[str, Any]],
    file_meta: Mapping[str, Any] | None = None,
    suffix: str | None = None,
) -> ChunkWriter:
    """The writer for ``suffix`` (default ``path``'s: ``.csv`` or ``.parquet``)."""
    suffix = suffix or path.suffix
    if suffix == ".csv":
        return CsvChunkWriter(path)
    if suffix == ".parquet":
        return ParquetChunkWriter(path, fields, file_meta)
    raise ValueError(f"--out {path}: use a .csv or .parquet file name")
