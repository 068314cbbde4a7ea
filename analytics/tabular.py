"""Load numeric tables from CSV or whitespace-separated ``.dat`` files for ``gmp-twin analyze``.

The loader never returns NaN silently. Its rules, which the CLI documents, are:

- **Separator**: ``.dat`` / ``.txt`` files and files whose first line has no comma,
  semicolon or tab are whitespace-separated; otherwise the most frequent of ``,``, ``;``
  and tab in the first line is the separator.
- **Header**: the first line is a header unless every field of it parses as a number.
  Without a header, columns are named ``x1 .. xN``.
- **Missing values** (empty cells, ``NA``, ``NaN``, ``null``, ``-``; a blank line inside the
  data is a row of missing values, trailing blank lines are ignored): an error that names the
  rows and columns by default; with ``drop_missing_rows=True`` the rows are dropped and
  reported in :attr:`Table.notes`; with ``keep_missing=True`` (independent series, such as
  SPC columns) they stay as NaN and are reported per column, for a consumer that skips
  them explicitly.
- **Non-numeric columns** (any non-missing cell that does not parse as a number): an error
  that names the column, the row and the value; with ``drop_non_numeric=True`` the columns
  are dropped and reported. Only the selected ``columns`` are checked when given.
- Constant columns and too few rows are checked by the analysis that needs it
  (:func:`constant_columns` helps).

Row numbers in messages are 1-based data rows (the header is not counted).

Examples
--------
>>> import pathlib, tempfile
>>> p = pathlib.Path(tempfile.mkdtemp()) / "demo.csv"
>>> _ = p.write_text("time,a,b\\n08:00,1.0,2\\n08:01,1.5,3\\n")
>>> t = load_table(p, drop_non_numeric=True)
>>> t.names, t.values.shape, t.notes
(['a', 'b'], (2, 2), ["dropped non-numeric column 'time'"])
>>> try:
...     load_table(p)
... except TableError as e:
...     print(str(e).split(": ", 1)[1])
column 'time' is not numeric (row 1: '08:00'); select numeric columns or pass --drop-non-numeric
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

MISSING_TOKENS = frozenset({"", "na", "nan", "n/a", "null", "none", "-"})


class TableError(ValueError):
    """A data file cannot be used as it is; the message names the file and the fix."""


@dataclass(frozen=True)
class Table:
    """A numeric table: ``values[i, j]`` is row ``i`` of column ``names[j]``.

    Attributes
    ----------
    path : str
        The file it was read from.
    names : list of str
        Column names (``x1 .. xN`` for a file without header).
    values : numpy.ndarray
        Float array, shape ``(rows, len(names))``, without NaN.
    rows : numpy.ndarray
        1-based data-row numbers of the kept rows in the file.
    notes : list of str
        What was dropped or assumed, for the report.
    has_header : bool
        Whether the first line was read as a header.
    """

    path: str
    names: list[str]
    values: np.ndarray
    rows: np.ndarray
    notes: list[str] = field(default_factory=list)
    has_header: bool = True

    def column(self, name: str) -> np.ndarray:
        """One column as a 1-D array."""
        return self.values[:, self.names.index(name)]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _sniff(path: Path, first_line: str) -> tuple[str | None, bool]:
    """Separator (``None`` = whitespace) and whether the first line is a header."""
    counts = {sep: first_line.count(sep) for sep in (",", ";", "\t")}
    sep: str | None = max(counts, key=lambda s: counts[s])
    if path.suffix.lower() in {".dat", ".txt"} or counts[sep or ","] == 0:
        sep = None
    fields = first_line.split() if sep is None else next(csv.reader([first_line], delimiter=sep))
    fields = [f.strip() for f in fields]
    has_header = not all(_is_number(f) for f in fields if f) or not any(fields)
    return sep, has_header


def _fmt_rows(rows: Sequence[int], limit: int = 5) -> str:
    shown = ", ".join(str(r) for r in rows[:limit])
    return shown + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


def load_table(
    path: str | Path,
    *,
    columns: Sequence[str] | None = None,
    drop_non_numeric: bool = False,
    drop_missing_rows: bool = False,
    keep_missing: bool = False,
    transpose: bool = False,
) -> Table:
    """Read a numeric table, with the checks described in the module docstring.

    Parameters
    ----------
    path : str or Path
        CSV or whitespace-separated file.
    columns : sequence of str, optional
        Keep only these columns, in this order (an unknown name is an error listing the
        available ones). Default: all columns.
    drop_non_numeric : bool
        Drop non-numeric columns (reported in ``notes``) instead of raising.
    drop_missing_rows : bool
        Drop rows with missing values (reported in ``notes``) instead of raising.
    keep_missing : bool
        Keep missing values as NaN (reported in ``notes`` per column) instead of raising.
    transpose : bool
        The file stores one variable per line (as the TEP ``d00.dat`` file): transpose it
        after reading; there is no header then.

    Returns
    -------
    Table

    Raises
    ------
    TableError
        File missing or empty, unknown column, non-numeric column, missing values, or no
        row left.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise TableError(f"{p}: file not found; check the path (relative to {Path.cwd()})") from None
    except UnicodeDecodeError:
        raise TableError(f"{p}: not a UTF-8 text file; export it as CSV (UTF-8)") from None
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise TableError(f"{p}: the file is empty; give a CSV with a header line and data rows")
    sep, has_header = _sniff(p, lines[0])
    if transpose:
        has_header = False
    # Read everything as text: missing and non-numeric cells are told apart below.
    kwargs: dict[str, object] = {"sep": r"\s+"} if sep is None else {"sep": sep}
    all_lines = text.splitlines()
    leading = next(i for i, ln in enumerate(all_lines) if ln.strip())
    try:
        # Blank lines are kept: inside the data they are rows of missing values.
        frame = pd.read_csv(
            p,
            header=0 if has_header else None,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            skiprows=leading,
            encoding="utf-8-sig",
            **kwargs,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        first = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise TableError(f"{p}: cannot be parsed ({first}); every row needs the same number of fields") from None
    blank = (frame.fillna("").astype(str).apply(lambda c: c.str.strip()) == "").all(axis=1).to_numpy()
    n_keep = len(blank) - int(np.argmin(blank[::-1])) if not blank.all() else 0
    frame = frame.iloc[:n_keep]  # trailing blank lines are not data
    if transpose:
        frame = frame.T.reset_index(drop=True)
        frame.columns = range(frame.shape[1])
    if not has_header:
        frame.columns = [f"x{j + 1}" for j in range(frame.shape[1])]
    frame.columns = [str(c).strip() for c in frame.columns]
    names = list(frame.columns)
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise TableError(f"{p}: duplicate column name(s) {dupes}; give every column a distinct header")
    notes: list[str] = []
    if columns is not None:
        unknown = [c for c in columns if c not in names]
        if unknown:
            raise TableError(f"{p}: no column {unknown[0]!r}; available columns: {', '.join(names)}")
        frame = frame[list(columns)]
    if frame.shape[0] == 0:
        raise TableError(f"{p}: no data rows under the header; add data rows")

    cells = frame.apply(lambda s: s.str.strip())
    missing = cells.apply(lambda s: s.str.lower().isin(MISSING_TOKENS))
    numeric = cells.apply(pd.to_numeric, errors="coerce")
    bad = numeric.isna() & ~missing
    non_numeric = [c for c in cells.columns if bad[c].any()]
    if non_numeric:
        if not drop_non_numeric:
            c = non_numeric[0]
            i = int(np.flatnonzero(bad[c].to_numpy())[0])
            hint = "select numeric columns or pass --drop-non-numeric"
            raise TableError(f"{p}: column {c!r} is not numeric (row {i + 1}: {cells[c].iloc[i]!r}); {hint}")
        notes += [f"dropped non-numeric column {c!r}" for c in non_numeric]
        numeric = numeric.drop(columns=non_numeric)
        missing = missing.drop(columns=non_numeric)
    if numeric.shape[1] == 0:
        raise TableError(f"{p}: no numeric column left; check the separator and the columns")
    # inf parses as a number but breaks every statistic: treat it as missing.
    values = numeric.to_numpy(dtype=float)
    miss = missing.to_numpy() | ~np.isfinite(values)
    rows = np.arange(1, values.shape[0] + 1)
    if miss.any():
        bad_rows = np.flatnonzero(miss.any(axis=1))
        bad_cols = [str(numeric.columns[j]) for j in np.flatnonzero(miss.any(axis=0))]
        if keep_missing:
            for j in np.flatnonzero(miss.any(axis=0)):
                r = [int(i) + 1 for i in np.flatnonzero(miss[:, j])]
                notes.append(
                    f"column {numeric.columns[j]!s}: {len(r)} missing value(s) at row(s) {_fmt_rows(r)}, skipped"
                )
            values = np.where(miss, np.nan, values)
        elif not drop_missing_rows:
            raise TableError(
                f"{p}: missing or non-finite values in column(s) {', '.join(bad_cols)} at row(s) "
                f"{_fmt_rows([int(r) + 1 for r in bad_rows])}; fill them or pass --drop-missing"
            )
        else:
            keep = ~miss.any(axis=1)
            notes.append(
                f"dropped {bad_rows.size} row(s) with missing values "
                f"(rows {_fmt_rows([int(r) + 1 for r in bad_rows])}; columns {', '.join(bad_cols)})"
            )
            values, rows = values[keep], rows[keep]
            if values.shape[0] == 0:
                raise TableError(f"{p}: every row has a missing value; fill them")
    return Table(
        path=str(p),
        names=[str(c) for c in numeric.columns],
        values=values,
        rows=rows,
        notes=notes,
        has_header=has_header,
    )


def constant_columns(values: np.ndarray, names: Sequence[str]) -> list[str]:
    """Names of the columns whose values are all equal (zero standard deviation).

    >>> constant_columns(np.array([[1.0, 2.0], [1.0, 3.0]]), ["a", "b"])
    ['a']
    """
    if values.shape[0] == 0:
        return list(names)
    return [n for n, s in zip(names, np.ptp(values, axis=0), strict=True) if s == 0]
