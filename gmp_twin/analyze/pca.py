"""``gmp-twin analyze pca``: a PCA model on reference rows, T² and SPE on test rows.

Defaults a process engineer can trust (issue #15): the components are chosen by parallel
analysis (or ``--component-rule cv``), the limits come from block cross-validation of the
reference and are never below the analytic ones (``--limits analytic|empirical`` for the
others), ``--alpha`` is the false-alarm rate of the alarm (T² or SPE: each limit at
``alpha/2``), and constant, time, counter and step columns are dropped and reported. The
summary states the false-alarm rate to expect; ``--normal FILE`` (independent normal data)
adds the rate observed on it.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from gmp_twin.analyze.report import CliError, emit_json
from gmp_twin.cli_lang import add_lang_flag

# pandas, scipy and the analytics modules load only when an analysis runs: every other
# ``gmp-twin`` command builds this parser too and should start fast.
if TYPE_CHECKING:
    from analytics.pca import PcaMonitor, PcaScores
    from analytics.tabular import Table


def add_parser(cmds: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """The ``pca`` sub-command and its flags."""
    from gmp_twin.analyze.report import guard

    pca = cmds.add_parser(
        "pca",
        help="multivariate PCA monitoring (T², SPE)",
        description="PCA model on normal reference data; T², SPE and contributions on test data. "
        "Defaults: components by parallel analysis, limits by block cross-validation (never below the "
        "analytic ones), --alpha = false-alarm rate of the alarm, time/counter/constant columns dropped.",
    )
    pca.add_argument("--reference", required=True, help="normal operating data (CSV or .dat)")
    pca.add_argument("--data", required=True, help="data to monitor, same columns")
    pca.add_argument(
        "--normal",
        "--test",
        dest="normal",
        metavar="FILE",
        help="independent normal data (not the reference): the observed false-alarm rate is printed",
    )
    comp = pca.add_mutually_exclusive_group()
    comp.add_argument("--components", type=int, metavar="K", help="number of principal components")
    comp.add_argument("--variance", type=float, metavar="V", help="choose components explaining this variance share")
    comp.add_argument(
        "--component-rule",
        choices=["parallel", "cv"],
        default="parallel",
        help="how components are chosen: parallel analysis (default) or row-wise cross-validation",
    )
    pca.add_argument(
        "--alpha", type=float, default=0.01, help="false-alarm rate of the alarm (default 0.01; see --alpha-per-limit)"
    )
    pca.add_argument(
        "--alpha-per-limit",
        action="store_true",
        help="set each of the T² and SPE limits at --alpha (the 'either' alarm then rings up to 2 × alpha)",
    )
    pca.add_argument(
        "--limits",
        choices=["cv", "empirical", "analytic"],
        default="cv",
        help="cv: block cross-validation quantiles, never below the analytic limits (default); "
        "empirical: the quantiles only; analytic: F / Jackson-Mudholkar",
    )
    pca.add_argument(
        "--calibration",
        help="other normal data for the cv/empirical limits (default: 5-fold block cross-validation on the reference)",
    )
    pca.add_argument("--lags", type=int, default=0, help="dynamic PCA: previous rows added to each row")
    pca.add_argument(
        "--signal",
        choices=["either", "t2", "spe", "combined"],
        default="either",
        help="which statistic raises an alarm (default: T² or SPE)",
    )
    cols = pca.add_mutually_exclusive_group()
    cols.add_argument("--column", action="append", metavar="COL", help="use only these columns (repeatable)")
    cols.add_argument(
        "--all-columns",
        action="store_true",
        help="every numeric column (non-numeric ones skipped and reported); time, counter, step and "
        "constant columns are still dropped and reported",
    )
    pca.add_argument(
        "--keep", action="append", metavar="COL", help="keep a column that looks like time/counter/step (repeatable)"
    )
    pca.add_argument("--exclude", action="append", metavar="COL", help="leave a column out (repeatable)")
    pca.add_argument("--top", type=int, default=3, help="contributing variables per alarm (default 3)")
    pca.add_argument("--show", type=int, default=10, help="alarm rows printed in the summary (default 10)")
    pca.add_argument("--drop-non-numeric", action="store_true", help="skip non-numeric columns (reported)")
    pca.add_argument("--drop-missing", action="store_true", help="drop rows with missing values (reported)")
    # Constant columns are always dropped and reported now; the flag stays for old commands.
    pca.add_argument("--drop-constant", action="store_true", help=argparse.SUPPRESS)
    pca.add_argument(
        "--transpose-reference",
        action="store_true",
        help="the reference file has one variable per line (as TEP d00.dat)",
    )
    pca.add_argument("--json", action="store_true", help="machine-readable output")
    add_lang_flag(pca)
    pca.set_defaults(handler=guard("pca", cmd_pca))
    return pca


def _align(ref: Table, data: Table, what: str) -> Table:
    """``data`` with the reference's columns, in the reference's order."""
    from analytics.tabular import Table

    if ref.has_header and data.has_header:
        missing = [n for n in ref.names if n not in data.names]
        if missing:
            raise CliError(
                f"{data.path}: no column(s) {', '.join(missing)} that the reference "
                f"{ref.path} has; {what} needs the same variables"
            )
        idx = [data.names.index(n) for n in ref.names]
        return Table(data.path, list(ref.names), data.values[:, idx], data.rows, data.notes, True)
    if len(data.names) != len(ref.names):
        hint = ""
        if len(data.names) == ref.values.shape[0]:
            hint = " (pass --transpose-reference if the reference has one variable per line)"
        raise CliError(
            f"{data.path}: {len(data.names)} columns but the reference {ref.path} has "
            f"{len(ref.names)}; {what} needs the same variables in the same order{hint}"
        )
    return Table(
        data.path,
        list(ref.names),
        data.values,
        data.rows,
        [*data.notes, f"columns of {data.path} matched to the reference by position"],
        data.has_header,
    )


def _subset(table: Table, names: list[str]) -> Table:
    from analytics.tabular import Table

    idx = [table.names.index(n) for n in names]
    return Table(table.path, names, table.values[:, idx], table.rows, table.notes, table.has_header)


def _screen(args: argparse.Namespace, ref: Table) -> tuple[Table, dict[str, str], list[str]]:
    """The reference's process variables, the dropped columns with their reason, and the notes."""
    from analytics.pca_columns import screen_columns

    for flag, names in (("--exclude", args.exclude), ("--keep", args.keep)):
        unknown = [n for n in names or () if n not in ref.names]
        if unknown:
            raise CliError(f"{ref.path}: {flag} {', '.join(unknown)}: no such column (columns: {', '.join(ref.names)})")
    names = [n for n in ref.names if n not in set(args.exclude or ())]
    table = _subset(ref, names)
    screen = screen_columns(table.values, names, keep=[*(args.column or ()), *(args.keep or ())])
    notes = screen.notes()
    if args.exclude:
        notes.insert(0, f"left out column(s) {', '.join(args.exclude)} (--exclude)")
    if len(screen.kept) < 2:
        dropped = ", ".join(f"{n} ({r})" for n, r in screen.dropped.items())
        raise CliError(
            f"{ref.path}: {len(screen.kept)} process variable(s) left after dropping {dropped or 'nothing'}; "
            "PCA needs at least 2 (give other --column, or --keep a column)"
        )
    return _subset(table, screen.kept), dict(screen.dropped), notes


def _constant_but_moving(ref: Table, data: Table, dropped: dict[str, str]) -> list[str]:
    """Notes for columns dropped as constant in the reference that change in ``data``."""
    import numpy as np

    out: list[str] = []
    if not (ref.has_header and data.has_header):
        return out
    for name, reason in dropped.items():
        if reason != "constant" or name not in data.names:
            continue
        ref_value = ref.values[0, ref.names.index(name)]
        col = data.values[:, data.names.index(name)]
        moved = np.flatnonzero(np.abs(col - ref_value) > 1e-12 * max(1.0, abs(ref_value)))
        if moved.size:
            out.append(
                f"column {name} is constant in the reference but changes in {data.path} "
                f"(first at data row {int(data.rows[moved[0]])}); the PCA does not watch it: check it separately"
            )
    return out


def _load(args: argparse.Namespace) -> tuple[Table, Table, Table | None, Table | None, dict[str, str], list[str]]:
    from analytics.tabular import load_table

    opts = {
        "drop_non_numeric": args.drop_non_numeric or args.all_columns,
        "drop_missing_rows": args.drop_missing,
    }
    full = load_table(args.reference, columns=args.column or None, transpose=args.transpose_reference, **opts)
    ref, dropped, notes = _screen(args, full)
    data_raw = load_table(args.data, **opts)
    data = _align(ref, data_raw, "PCA")
    cal = _align(ref, load_table(args.calibration, **opts), "calibration") if args.calibration else None
    normal = _align(ref, load_table(args.normal, **opts), "--normal") if args.normal else None
    notes += _constant_but_moving(full, data_raw, dropped)
    return ref, data, cal, normal, dropped, notes


def _check_rows(args: argparse.Namespace, ref: Table) -> None:
    p_lag = len(ref.names) * (args.lags + 1)
    if ref.values.shape[0] - args.lags <= p_lag:
        hint = (
            " (or --transpose-reference if the file has one variable per line)"
            if ref.values.shape[0] < len(ref.names)
            else ""
        )
        raise CliError(
            f"{ref.path}: {ref.values.shape[0]} rows for {p_lag} variables"
            f"{' with lags' if args.lags else ''}; PCA needs more rows than variables: "
            f"give more reference rows or fewer columns{hint}"
        )


def observed_rates(mon: PcaMonitor, table: Table) -> dict[str, Any]:
    """False-alarm rates of ``mon`` on normal rows: the alarm, T², SPE and φ, with counts."""
    res = mon.score(table.values)
    n = int(res.rows.size)
    return {
        "file": table.path,
        "rows": n,
        "alarms": int(res.alarm.sum()),
        "alarm": float(res.alarm.mean()),
        "t2": float(res.t2_alarm.mean()),
        "spe": float(res.spe_alarm.mean()),
        "combined": float(res.combined_alarm.mean()),
        "within_twice_expected": bool(res.alarm.mean() <= 2 * mon.alarm_alpha_),
    }


def cmd_pca(args: argparse.Namespace) -> int:
    from analytics.pca import PcaMonitor

    if args.alpha_per_limit and args.signal != "either":
        raise CliError(f"--alpha-per-limit applies to --signal either only (got --signal {args.signal})")
    ref, data, cal, normal, dropped, screen_notes = _load(args)
    _check_rows(args, ref)
    mon = PcaMonitor(
        n_components=args.components,
        variance=args.variance,
        component_rule=args.component_rule,
        alpha=args.alpha,
        limits=args.limits,
        lags=args.lags,
        names=ref.names,
        top_k=args.top,
        signal=args.signal,
        split_alpha=not args.alpha_per_limit,
    ).fit(ref.values, calibration=None if cal is None else cal.values)
    res = mon.score(data.values)
    observed = observed_rates(mon, normal) if normal is not None else None
    notes = [*ref.notes, *screen_notes, *data.notes, *(cal.notes if cal else []), *mon.notes_]
    if normal is not None:
        notes += normal.notes
    if args.json:
        emit_json(_payload(args, ref, data, cal, mon, res, dropped, observed, notes))
        return 0
    from gmp_twin.analyze.pca_summary import print_summary

    print_summary(args, ref, data, mon, res, observed, notes)
    return 0


def _payload(
    args: argparse.Namespace,
    ref: Table,
    data: Table,
    cal: Table | None,
    mon: PcaMonitor,
    res: PcaScores,
    dropped: dict[str, str],
    observed: dict[str, Any] | None,
    notes: list[str],
) -> dict[str, Any]:
    file_index = data.rows - 1  # 0-based data-row positions in the file
    body = res.to_dict()
    body["rows"] = [int(file_index[i]) for i in res.rows]
    body["first_alarm"] = None if res.first_alarm is None else int(file_index[res.first_alarm])
    for a in body["alarms"]:
        a["row"] = int(file_index[a["row"]])
    choice = mon.component_choice_
    return {
        "command": "pca",
        "reference": ref.path,
        "data": data.path,
        "calibration": cal.path if cal else None,
        "normal": args.normal,
        "variables": mon.names_,
        "dropped_columns": dropped,
        "n_components": mon.n_components_,
        "component_rule": mon.component_rule_,
        "component_note": None if choice is None else choice.note,
        "explained_variance": float(mon.explained_variance_ratio_.sum()),
        "alpha": args.alpha,
        "limit_alpha": mon.limit_alpha_,
        "limit_method": args.limits,
        "limit_sources": mon.limit_sources_,
        "false_alarm": {"expected": mon.alarm_alpha_, "held_out": mon.held_out_rate_, "observed": observed},
        "lags": args.lags,
        "signal": args.signal,
        "notes": notes,
        **body,
    }
