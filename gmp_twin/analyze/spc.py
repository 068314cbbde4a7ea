"""``gmp-twin analyze spc``: control charts, one per column of a CSV file.

Before charting, each column is diagnosed (:mod:`analytics.spc_autocorrelation`): a lag-1
autocorrelation above 0.5, a trend or held values make the chart alarm far more often than
its stated rate, so the summary warns and names the remedy, which ``--residuals ar1|ewma``
runs (:mod:`analytics.spc_residuals`). With ``--all-columns``, constant, time, counter and
step columns are skipped and reported.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

import numpy as np

from gmp_twin.analyze.report import CliError, emit_json
from gmp_twin.cli_lang import add_lang_flag

if TYPE_CHECKING:
    from analytics.tabular import Table


def add_parser(cmds: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """The ``spc`` sub-command and its flags."""
    from gmp_twin.analyze.report import guard

    spc = cmds.add_parser(
        "spc",
        help="control charts, one per column",
        description="Univariate control charts; each column is an independent series. Each column is checked "
        "for autocorrelation, trend and held values first (a warning names the remedy: --residuals).",
    )
    spc.add_argument("--data", required=True, help="CSV or .dat file")
    which = spc.add_mutually_exclusive_group()
    which.add_argument("--column", action="append", metavar="COL", help="column to chart (repeatable)")
    which.add_argument(
        "--all-columns",
        action="store_true",
        help="chart every numeric column (constant, time, counter and step columns skipped and reported)",
    )
    spc.add_argument("--method", required=True, choices=["shewhart", "ewma", "cusum"])
    spc.add_argument("--mean", type=float, help="known in-control mean")
    spc.add_argument("--sigma", type=float, help="known in-control standard deviation")
    spc.add_argument("--reference-rows", type=int, metavar="N", help="estimate mean/sigma from the first N rows")
    spc.add_argument("--lsl", type=float, help="lower specification limit (limits from the specification)")
    spc.add_argument("--usl", type=float, help="upper specification limit")
    spc.add_argument("--cp", type=float, default=1.0, help="capability assumed with --lsl/--usl (default 1)")
    spc.add_argument("--lambda", dest="lambda_", type=float, default=0.2, help="EWMA weight (default 0.2)")
    spc.add_argument("--L", type=float, help="limit width (Shewhart 3; EWMA: designed for ARL0 370)")
    spc.add_argument("--k", type=float, default=0.5, help="CUSUM reference value in sigma (default 0.5)")
    spc.add_argument("--h", type=float, help="CUSUM decision interval (default: designed for ARL0 370)")
    spc.add_argument(
        "--rules",
        choices=["we", "nelson", "none"],
        default="none",
        help="run rules for shewhart (default none: control limits only)",
    )
    spc.add_argument(
        "--residuals",
        choices=["ar1", "ewma"],
        help="chart the one-step forecast errors of an AR(1) model or of an EWMA forecast (moving centre line), "
        "fitted on --reference-rows: the remedy for autocorrelated or drifting data",
    )
    spc.add_argument("--drop-non-numeric", action="store_true", help="with --all-columns, skip non-numeric columns")
    spc.add_argument(
        "--drop-missing",
        action="store_true",
        help="skip missing cells (reported; rows keep their numbers) instead of failing",
    )
    spc.add_argument("--json", action="store_true", help="machine-readable output")
    add_lang_flag(spc)
    spc.set_defaults(handler=guard("spc", cmd_spc))
    return spc


def _check_args(args: argparse.Namespace) -> None:
    if not args.column and not args.all_columns:
        raise CliError("give --column COL (repeatable) or --all-columns")
    if args.rules != "none" and args.method != "shewhart":
        raise CliError(
            f"--rules {args.rules}: run rules apply to shewhart charts only; "
            f"use --rules none with --method {args.method}"
        )
    if args.residuals:
        if args.reference_rows is None:
            raise CliError(f"--residuals {args.residuals} fits its model on the reference: give --reference-rows N")
        if args.mean is not None or args.sigma is not None or args.lsl is not None or args.usl is not None:
            raise CliError(
                "--mean/--sigma/--lsl/--usl describe the raw values; with --residuals the limits come from the "
                "residuals of the --reference-rows: leave them out"
            )
        return
    if (args.mean is None) != (args.sigma is None) and args.reference_rows is None:
        raise CliError("give both --mean and --sigma (or --reference-rows N to estimate the missing one)")
    if args.mean is None and args.reference_rows is None and args.lsl is None:
        raise CliError("the chart needs limits: give --mean M --sigma S, --reference-rows N, or --lsl A --usl B")


def _chart_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "mean": args.mean,
        "sigma": args.sigma,
        "reference_rows": args.reference_rows,
        "rules": args.rules,
    }
    if args.lsl is not None or args.usl is not None:
        kwargs.update(lsl=args.lsl, usl=args.usl, cp=args.cp)
    if args.method == "ewma":
        kwargs.update(lambda_=args.lambda_, L=args.L)
    elif args.method == "cusum":
        kwargs.update(k=args.k, h=args.h)
    else:
        kwargs.update(L=args.L)
    return kwargs


def _screen(args: argparse.Namespace, table: Table) -> tuple[list[str], dict[str, str], list[str]]:
    """With ``--all-columns``: the columns to chart, the skipped ones with their reason, and the notes."""
    if not args.all_columns:
        return list(table.names), {}, []
    from analytics.pca_columns import ColumnScreen, Reason, column_reason

    rows = table.values[: args.reference_rows] if args.reference_rows else table.values
    kept: list[str] = []
    dropped: dict[str, Reason] = {}
    for j, name in enumerate(table.names):
        col = rows[:, j]
        col = col[np.isfinite(col)]  # a column's missing cells are left out of its own checks
        reason = column_reason(col, name) if col.size else "constant"
        if reason is None:
            kept.append(name)
        else:
            dropped[name] = reason
    screen = ColumnScreen(kept, dropped)
    notes = screen.notes()
    if not screen.kept:
        skipped = ", ".join(f"{n!r} ({r})" for n, r in dropped.items())
        raise CliError(f"{table.path}: no column left to chart: skipped {skipped}; name one with --column")
    return screen.kept, dict(screen.dropped), notes


def chart_column(args: argparse.Namespace, table: Table, name: str) -> dict[str, Any]:
    """Diagnosis, optional residual model and chart of one column."""
    from analytics.spc import run_chart
    from analytics.spc_autocorrelation import diagnose
    from analytics.spc_residuals import residuals

    x = table.column(name)
    if np.isnan(x).all():
        raise CliError(f"{table.path}: column {name!r} has no value; remove it from --column")
    ref = x[: args.reference_rows] if args.reference_rows else None
    if ref is not None and args.sigma is None and np.nanmax(ref) == np.nanmin(ref):
        raise CliError(
            f"{table.path}: column {name!r} is constant over the {args.reference_rows} "
            "reference rows, so its sigma is 0; give --sigma or more reference rows"
        )
    diag = diagnose(x if ref is None else ref)
    resid = None
    series = x
    try:
        if args.residuals:
            resid = residuals(x, args.residuals, reference_rows=args.reference_rows)
            series = resid.values
        res = run_chart(series, args.method, **_chart_kwargs(args))
    except ValueError as exc:
        raise CliError(f"{table.path}: column {name!r}: {exc}") from None
    if resid is not None and not np.isnan(x[0]):
        # The first row has no forecast, so no residual: not a missing value of the file.
        first = ("1 NaN value(s) dropped from the reference period", "1 row(s) with missing values skipped")
        res.notes = [n for n in res.notes if not n.startswith(first)]
    return {"chart": res, "diagnosis": diag, "residuals": resid}


def cmd_spc(args: argparse.Namespace) -> int:
    from analytics.tabular import load_table

    _check_args(args)
    table = load_table(
        args.data,
        columns=args.column or None,
        drop_non_numeric=bool(args.all_columns) and args.drop_non_numeric,
        keep_missing=args.drop_missing,
    )
    names, skipped, screen_notes = _screen(args, table)
    results = {name: chart_column(args, table, name) for name in names}
    notes = [*table.notes, *screen_notes]
    if args.json:
        columns = {}
        for n, r in results.items():
            body = r["chart"].to_dict()
            body["diagnosis"] = r["diagnosis"].to_dict()
            body["warnings"] = r["diagnosis"].messages(n)
            body["residuals"] = None if r["residuals"] is None else r["residuals"].to_dict()
            columns[n] = body
        emit_json(
            {
                "command": "spc",
                "file": table.path,
                "method": args.method,
                "rules": args.rules,
                "residuals": args.residuals,
                "diagnosed_on": "reference" if args.reference_rows else "all",
                "skipped_columns": skipped,
                "notes": notes,
                "columns": columns,
            }
        )
        return 0
    from gmp_twin.analyze.spc_summary import print_summary

    print_summary(args, table.path, notes, results)
    return 0
