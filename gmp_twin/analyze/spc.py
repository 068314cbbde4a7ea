"""``gmp-twin analyze spc``: control charts, one per column of a CSV file."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from gmp_twin.analyze.report import CliError, emit_json


def cmd_spc(args: argparse.Namespace) -> int:
    from analytics.spc import run_chart
    from analytics.tabular import load_table

    if not args.column and not args.all_columns:
        raise CliError("give --column COL (repeatable) or --all-columns")
    if args.rules != "none" and args.method != "shewhart":
        raise CliError(
            f"--rules {args.rules}: run rules apply to shewhart charts only; "
            f"use --rules none with --method {args.method}"
        )
    if (args.mean is None) != (args.sigma is None) and args.reference_rows is None:
        raise CliError("give both --mean and --sigma (or --reference-rows N to estimate the missing one)")
    if args.mean is None and args.reference_rows is None and args.lsl is None:
        raise CliError("the chart needs limits: give --mean M --sigma S, --reference-rows N, or --lsl A --usl B")
    table = load_table(
        args.data,
        columns=args.column or None,
        drop_non_numeric=bool(args.all_columns) and args.drop_non_numeric,
        keep_missing=args.drop_missing,
    )
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
    results: dict[str, Any] = {}
    for j, name in enumerate(table.names):
        x = table.values[:, j]
        ref = x[: args.reference_rows] if args.reference_rows else None
        if ref is not None and args.sigma is None and np.nanmax(ref) == np.nanmin(ref):
            raise CliError(
                f"{table.path}: column {name!r} is constant over the {args.reference_rows} "
                "reference rows, so its sigma is 0; give --sigma or more reference rows"
            )
        if np.isnan(x).all():
            raise CliError(f"{table.path}: column {name!r} has no value; remove it from --column")
        try:
            res = run_chart(x, args.method, **kwargs)
        except ValueError as exc:
            raise CliError(f"{table.path}: column {name!r}: {exc}") from None
        results[name] = res
    if args.json:
        emit_json(
            {
                "command": "spc",
                "file": table.path,
                "method": args.method,
                "rules": args.rules,
                "notes": table.notes,
                "columns": {n: r.to_dict() for n, r in results.items()},
            }
        )
        return 0
    print(
        f"{table.path}: {args.method} chart, run rules: {args.rules}"
        f"{' (control limits only)' if args.rules == 'none' else ''}"
    )
    width = max(8, *(len(n) for n in results))
    print(
        f"  {'column':<{width}}  {'rows':>5}  {'centre':>10}  {'sigma':>10}  {'alarms':>6}  "
        f"{'first alarm (row)':>17}  rules fired"
    )
    for name, res in results.items():
        par = res.parameters
        fired = sorted({r for row in res.rules for r in row})
        first = "-" if res.first_alarm is None else str(res.first_alarm + 1)
        print(
            f"  {name:<{width}}  {len(res):>5}  {par.get('mean', float('nan')):>10.4g}  "
            f"{par.get('sigma', float('nan')):>10.4g}  {res.alarm_rows.size:>6}  {first:>17}  "
            f"{', '.join(fired) or '-'}"
        )
    for note in table.notes + [f"{n}: {m}" for n, r in results.items() for m in r.notes]:
        print(f"  note: {note}")
    return 0
