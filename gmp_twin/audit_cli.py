"""``gmp-twin audit verify|export``: check the audit trail's hash chain, export its records.

``verify`` exits 0 with ``audit trail intact: N records, head <hash12>`` (note the head hash
somewhere else to detect a later rewrite of the whole chain), or 1 naming the first broken
record. ``export`` writes CSV or JSON lines (``--format``) to ``--out`` or stdout.
The store is ``--audit PATH``, else ``GMP_TWIN_AUDIT``, else ``data/audit.sqlite``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from config_schema.files import ConfigError

DEFAULT_AUDIT = Path("data/audit.sqlite")


def audit_path(args: argparse.Namespace) -> Path:
    """The store: ``--audit``, else ``GMP_TWIN_AUDIT``, else ``data/audit.sqlite``."""
    if args.audit is not None:
        return Path(args.audit)
    return Path(os.environ.get("GMP_TWIN_AUDIT") or DEFAULT_AUDIT)


def _cmd_verify(args: argparse.Namespace) -> int:
    from audit import verify
    from audit.verify import missing_anchors

    path = audit_path(args)
    if not path.is_file():
        raise ConfigError(f"no audit store at {path} (give --audit PATH or set GMP_TWIN_AUDIT)")
    result = verify(path)
    if result.ok:
        missing = missing_anchors(path, args.anchor or [])
        if missing:
            print(f"audit trail REWRITTEN ({path}): anchor(s) not in the chain: {', '.join(missing)}")
            return 1
        head = f", head {result.head_hash[:12]}" if result.head_hash else ""
        anchors = f", {len(args.anchor)} anchor(s) found" if args.anchor else ""
        print(f"audit trail intact: {result.checked} records{head}{anchors} ({path})")
        return 0
    where = f" at seq {result.first_bad_seq}" if result.first_bad_seq is not None else ""
    print(f"audit trail BROKEN{where} ({path}): {result.problem}")
    print(f"{result.checked} record(s) intact before the problem", file=sys.stderr)
    return 1


def _cmd_export(args: argparse.Namespace) -> int:
    from audit.export import export

    path = audit_path(args)
    if not path.is_file():
        raise ConfigError(f"no audit store at {path} (give --audit PATH or set GMP_TWIN_AUDIT)")
    filters = {
        "user": args.user,
        "unit": args.unit,
        "obj": args.object,
        "action": args.action,
        "since": args.since,
        "until": args.until,
    }
    filters = {k: v for k, v in filters.items() if v is not None}
    if args.out is None:
        count = export(path, args.format, sys.stdout, **filters)
    else:
        # newline="": the csv module writes its own \r\n line ends.
        with open(args.out, "w", encoding="utf-8", newline="") as out:
            count = export(path, args.format, out, **filters)
    print(f"exported {count} record(s) from {path}" + (f" to {args.out}" if args.out else ""), file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``gmp-twin audit verify|export``."""
    audit = sub.add_parser("audit", help="the audit trail: verify its hash chain, export it")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--audit", type=Path, default=None, help="audit store (default data/audit.sqlite; env GMP_TWIN_AUDIT)"
    )

    ver = audit_sub.add_parser("verify", parents=[common], help="check the chain; exit 1 naming the first bad record")
    ver.add_argument(
        "--anchor",
        action="append",
        metavar="HASH",
        help="a head hash printed by an earlier verify and kept elsewhere (repeatable): it must still be in the "
        "chain, which catches a trail rewritten whole",
    )
    ver.set_defaults(handler=_cmd_verify)

    exp = audit_sub.add_parser("export", parents=[common], help="write the records as CSV or JSON lines")
    exp.add_argument("--format", choices=("csv", "jsonl"), default="csv", help="output format (default csv)")
    exp.add_argument("--out", type=Path, help="output file (default stdout)")
    exp.add_argument("--user", help="only this user")
    exp.add_argument("--unit", help="only this plant unit")
    exp.add_argument("--object", help="only objects starting with this (e.g. mps-pa.level_sp, fault:)")
    exp.add_argument("--action", help="only actions starting with this (e.g. tag.write, fault)")
    exp.add_argument("--since", help="from this UTC time, inclusive (ISO 8601, e.g. 2026-12-05T08:00:00Z)")
    exp.add_argument("--until", help="before this UTC time (ISO 8601)")
    exp.set_defaults(handler=_cmd_export)
