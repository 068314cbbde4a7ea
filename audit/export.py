"""Export audit records as CSV (for a spreadsheet) or JSON lines (for a program).

CSV: a header row, one column per record field (``old``, ``new`` and ``signature`` as JSON
text; a text a spreadsheet would run as a formula gets a leading ``'``) and a last column
``manifestation`` with the signature as it is shown (printed name,
UTC date and time, meaning). JSON lines: each record as canonical JSON with its ``hash``, so
the chain can be re-checked from the export alone: ``sha256(prev_hash + line without
"hash")`` equals ``hash``.

>>> import io, tempfile, pathlib
>>> from audit.record import Actor
>>> from audit.trail import AuditTrail
>>> tmp = tempfile.TemporaryDirectory()
>>> trail = AuditTrail(pathlib.Path(tmp.name) / "audit.sqlite")
>>> _ = trail.append(Actor("alice", "instructor", "http"), "fault.inject", "fault:F1", unit="mps-pa")
>>> trail.close()
>>> out = io.StringIO()
>>> export(trail.path, "csv", out)
1
>>> out.getvalue().splitlines()[0][:40]
'seq,ts,sim_time_s,user,role,via,client,a'
>>> tmp.cleanup()
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Literal, TextIO

from audit import storage
from audit.record import FIELDS, dumps

FORMATS = ("csv", "jsonl")
_JSON_FIELDS = ("old", "new", "signature")


def export(path: str | Path, fmt: Literal["csv", "jsonl"], out: TextIO, **filters: Any) -> int:
    """Write the records of the store at ``path`` to ``out``; return how many.

    ``filters`` are those of :meth:`audit.trail.AuditTrail.query` (``user``, ``unit``, ``obj``,
    ``action``, ``since``, ``until``, ``limit``, ``newest_first``); by default every record,
    oldest first. The store is opened read-only: ``FileNotFoundError`` when it does not exist.
    """
    if fmt not in FORMATS:
        raise ValueError(f"export format {fmt!r}: use one of {', '.join(FORMATS)}")
    filters = {"limit": None, "newest_first": False} | filters
    conn = storage.open_readonly(Path(path))
    try:
        records = storage.select(conn, **filters)
    finally:
        conn.close()
    if fmt == "jsonl":
        for record in records:
            out.write(dumps(record.as_dict()) + "\n")
        return len(records)
    writer = csv.writer(out)
    writer.writerow([*FIELDS, "manifestation"])
    for record in records:
        row = [dumps(getattr(record, f)) if f in _JSON_FIELDS else getattr(record, f) for f in FIELDS]
        cells = [*("" if v is None else v for v in row), record.signature_manifestation()]
        writer.writerow([spreadsheet_safe(c) for c in cells])
    return len(records)


def spreadsheet_safe(cell: Any) -> Any:
    """A text cell a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``), quoted.

    A reason typed by a user ends up here; the JSON-lines export keeps the exact text.

    >>> print(spreadsheet_safe('=HYPERLINK("http://x")'), spreadsheet_safe("-0.5"), spreadsheet_safe(3.0))
    '=HYPERLINK("http://x") -0.5 3.0
    """
    if not isinstance(cell, str) or not cell or cell[0] not in "=+-@\t\r":
        return cell
    try:
        float(cell)
    except ValueError:
        return "'" + cell
    return cell
