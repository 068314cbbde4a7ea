"""``gmp-twin analyze pca``: a PCA model on reference rows, T² and SPE on test rows."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from gmp_twin.analyze.report import CliError, emit_json, pct

# pandas, scipy and the analytics modules load only when an analysis runs: every other
# ``gmp-twin`` command builds this parser too and should start fast.
if TYPE_CHECKING:
    from analytics.tabular import Table


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


def cmd_pca(args: argparse.Namespace) -> int:
    from analytics.pca import PcaMonitor
    from analytics.tabular import constant_columns, load_table

    opts = {"drop_non_numeric": args.drop_non_numeric, "drop_missing_rows": args.drop_missing}
    ref = load_table(args.reference, columns=args.column or None, transpose=args.transpose_reference, **opts)
    data = _align(ref, load_table(args.data, **opts), "PCA")
    cal = _align(ref, load_table(args.calibration, **opts), "calibration") if args.calibration else None
    const = constant_columns(ref.values, ref.names)
    if const and not args.drop_constant:
        raise CliError(
            f"{ref.path}: constant column(s) {', '.join(const)} carry no information; "
            "remove them or pass --drop-constant"
        )
    p_lag = (len(ref.names) - (len(const) if args.drop_constant else 0)) * (args.lags + 1)
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
    mon = PcaMonitor(
        n_components=args.components,
        variance=args.variance,
        alpha=args.alpha,
        limits=args.limits,
        lags=args.lags,
        names=ref.names,
        drop_constant=args.drop_constant,
        top_k=args.top,
        signal=args.signal,
    ).fit(ref.values, calibration=None if cal is None else cal.values)
    res = mon.score(data.values)
    file_index = data.rows - 1  # 0-based data-row positions in the file
    notes = [*ref.notes, *data.notes, *(cal.notes if cal else []), *mon.notes_]
    if args.json:
        body = res.to_dict()
        body["rows"] = [int(file_index[i]) for i in res.rows]
        body["first_alarm"] = None if res.first_alarm is None else int(file_index[res.first_alarm])
        for a in body["alarms"]:
            a["row"] = int(file_index[a["row"]])
        emit_json(
            {
                "command": "pca",
                "reference": ref.path,
                "data": data.path,
                "calibration": cal.path if cal else None,
                "variables": mon.names_,
                "n_components": mon.n_components_,
                "explained_variance": float(mon.explained_variance_ratio_.sum()),
                "alpha": args.alpha,
                "limit_method": args.limits,
                "lags": args.lags,
                "signal": args.signal,
                "notes": notes,
                **body,
            }
        )
        return 0
    print(
        f"PCA model: {ref.path}, {ref.values.shape[0]} rows × {len(mon.names_)} variables"
        f"{f', lags {args.lags}' if args.lags else ''}; {mon.n_components_} components "
        f"({100 * mon.explained_variance_ratio_.sum():.1f} % of the variance)"
    )
    print(
        f"limits ({args.limits}, {100 * (1 - args.alpha):g} %): T² {mon.t2_limit_:.4g}, "
        f"SPE {mon.spe_limit_:.4g}, combined φ {mon.combined_limit_:.4g}; alarm = {args.signal}"
    )
    n = res.rows.size
    print(
        f"{data.path}: {n} rows scored; rows over the limit: T² {int(res.t2_alarm.sum())} "
        f"({pct(res.t2_alarm.mean())}), SPE {int(res.spe_alarm.sum())} ({pct(res.spe_alarm.mean())}), "
        f"φ {int(res.combined_alarm.sum())} ({pct(res.combined_alarm.mean())})"
    )
    alarm_rows = [a for a in res.alarms if res.alarm[a.row - mon.lags]]
    if not alarm_rows:
        print("no alarm")
    else:
        print(
            f"first alarm at data row {int(file_index[alarm_rows[0].row]) + 1}; first alarms with "
            "the variables that contribute most:"
        )
        for a in alarm_rows[: args.show]:
            which = " ".join(s for s, f in (("T²", a.t2_alarm), ("SPE", a.spe_alarm)) if f) or "φ"
            top = a.spe_top if a.spe_alarm or not a.t2_alarm else a.t2_top
            tops = ", ".join(f"{c.variable} {100 * c.share:.0f} %" for c in top)
            print(
                f"  row {int(file_index[a.row]) + 1}: {which}  T² {a.t2:.4g}  SPE {a.spe:.4g}  "
                f"top ({'SPE' if top is a.spe_top else 'T²'}): {tops}"
            )
        if len(alarm_rows) > args.show:
            print(f"  ... {len(alarm_rows) - args.show} more alarm rows (--json for all)")
    for note in notes:
        print(f"note: {note}")
    return 0
