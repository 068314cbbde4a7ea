"""``gmp-twin reset``: start a clean run: empty the embedded historian and the outboxes.

A new run never needs a reset to be seen (its clock starts after the historian's newest point,
:func:`twin.clock.run_start_ns`); a reset is for a fresh timeline on the wall clock, e.g. after
an accelerated exercise. It removes the SQLite historian and the durable outboxes (bridge, fault
events, monitoring) with their ``-wal``/``-shm`` files, and keeps the users file, the audit trail,
the certificates and the snapshots. It refuses while a twin runs on the data (the run lock of
:mod:`gmp_twin.run_lock`), asks before removing anything (``--yes`` to skip), and is recorded in
the audit trail as ``run.reset`` by ``cli:<os user>``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from audit import AuditTrail, AuditUnavailable, audited
from gmp_twin.run_lock import RunLockHeld, hold_run_lock
from gmp_twin.users_cli import cli_actor

#: SQLite's companion files (write-ahead log, shared memory, rollback journal).
_SIDECARS = ("", "-wal", "-shm", "-journal")
_YES = {"y", "yes", "o", "oui"}


def reset_targets(settings: Any) -> list[Path]:
    """The files a reset removes, those that exist; ``ValueError`` for a historian that is not SQLite."""
    from historian import open_historian
    from historian.sqlite import SqliteHistorian
    from historian.urls import redact

    historian = open_historian(settings.historian)  # built, not opened
    if not isinstance(historian, SqliteHistorian):
        raise ValueError(
            f"gmp-twin reset empties the embedded SQLite historian only, not {redact(settings.historian)}; "
            "on InfluxDB drop the database or bucket (a new run resumes after its newest point anyway)"
        )
    bases = (historian.path, settings.outbox, settings.events_outbox, settings.monitor_outbox)
    return [path for base in bases for suffix in _SIDECARS if (path := Path(f"{base}{suffix}")).exists()]


def _confirm(count: int) -> bool | None:
    """The user's answer; ``None`` without a terminal to ask on."""
    if not sys.stdin.isatty():
        return None
    answer = input(f"Remove these {count} files and start a clean run? [y/N] ")
    return answer.strip().lower() in _YES


def _cmd_reset(args: argparse.Namespace) -> int:
    from gmp_twin.setting_flags import settings_from
    from historian.urls import redact

    settings = settings_from(args)
    try:
        with hold_run_lock(settings.run_lock):
            targets = reset_targets(settings)
            if not targets:
                print(f"gmp-twin reset: nothing to remove: no historian data at {redact(settings.historian)}")
                return 0
            total = sum(path.stat().st_size for path in targets)
            print("gmp-twin reset removes:")
            for path in targets:
                print(f"  {path}  ({path.stat().st_size / 1e6:.1f} MB)")
            print(f"and keeps the users file, the audit trail {settings.audit}, the certificates and the snapshots.")
            if not args.yes:
                answer = _confirm(len(targets))
                if answer is None:
                    print("gmp-twin reset: no terminal to confirm on; add --yes", file=sys.stderr)
                    return 2
                if not answer:
                    print("gmp-twin reset: nothing removed")
                    return 1
            trail = AuditTrail(settings.audit)
            try:
                old = {"files": [str(path) for path in targets], "bytes": total}
                with audited(trail, cli_actor(), "run.reset", f"historian:{redact(settings.historian)}", old=old):
                    for path in targets:
                        path.unlink(missing_ok=True)
            finally:
                trail.close()
    except RunLockHeld as exc:
        print(f"gmp-twin reset: refused: {exc}", file=sys.stderr)
        return 1
    except AuditUnavailable as exc:
        print(f"gmp-twin reset: refused: {exc}", file=sys.stderr)
        return 1
    print(f"gmp-twin reset: removed {len(targets)} files; the next `gmp-twin run` starts a clean run on the wall clock")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``reset`` command."""
    from gmp_twin.setting_flags import add_setting_flags

    p = sub.add_parser(
        "reset",
        help="start a clean run: empty the SQLite historian and the outboxes (keeps users, audit trail, certificates)",
    )
    add_setting_flags(p, {"historian", "outbox"})
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(handler=_cmd_reset)
