"""``gmp-twin analyze spc``: control charts, one per column of a CSV file."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from gmp_twin.analyze.report import CliError, Numbers, emit_json


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
    _print_summary(args, table.path, table.notes, results)
    return 0


def _print_summary(args: argparse.Namespace, path: str, notes: list[str], results: dict[str, Any]) -> None:
    """One line per column in ``args.lang``: centre, sigma, alarms, first alarm, rules fired."""
    from dashboard.i18n import colon, t
    from gmp_twin.analyze.notes import note_text

    num, lang = Numbers(args.lang), args.lang
    rules = t("analyze.spc.rules_none", lang) if args.rules == "none" else args.rules
    limits_only = t("analyze.spc.limits_only", lang) if args.rules == "none" else ""
    print(t("analyze.spc.header", lang, file=path, method=args.method, rules=rules) + limits_only)
    head = {
        k: t(f"analyze.spc.col.{k}", lang)
        for k in ("column", "rows", "centre", "sigma", "alarms", "first_alarm", "rules")
    }
    width = max(8, len(head["column"]), *(len(n) for n in results))
    w_first = len(head["first_alarm"])
    print(
        f"  {head['column']:<{width}}  {head['rows']:>6}  {head['centre']:>10}  {head['sigma']:>10}  "
        f"{head['alarms']:>7}  {head['first_alarm']:>{w_first}}  {head['rules']}"
    )
    for name, res in results.items():
        par = res.parameters
        fired = sorted({r for row in res.rules for r in row})
        first = "-" if res.first_alarm is None else str(res.first_alarm + 1)
        print(
            f"  {name:<{width}}  {num.num(len(res)):>6}  {num.sig(par.get('mean')):>10}  "
            f"{num.sig(par.get('sigma')):>10}  {num.num(res.alarm_rows.size):>7}  {first:>{w_first}}  "
            f"{', '.join(fired) or '-'}"
        )
    texts = [note_text(n, lang) for n in notes]
    texts += [f"{name}{colon(lang)} {note_text(m, lang)}" for name, r in results.items() for m in r.notes]
    for text in texts:
        print("  " + t("analyze.note", lang, note=text))
