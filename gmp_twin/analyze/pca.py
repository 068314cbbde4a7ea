"""``gmp-twin analyze pca``: a PCA model on reference rows, T² and SPE on test rows."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from gmp_twin.analyze.report import CliError, Numbers, emit_json

# pandas, scipy and the analytics modules load only when an analysis runs: every other
# ``gmp-twin`` command builds this parser too and should start fast.
if TYPE_CHECKING:
    from analytics.pca import PcaMonitor, PcaScores
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
    _print_summary(args, ref, data, mon, res, notes)
    return 0


def _print_summary(
    args: argparse.Namespace, ref: Table, data: Table, mon: PcaMonitor, res: PcaScores, notes: list[str]
) -> None:
    """The model, its limits, the rows over them and the first alarms with their top variables, in ``args.lang``."""
    from dashboard.i18n import t
    from gmp_twin.analyze.notes import note_text

    num, lang = Numbers(args.lang), args.lang
    file_index = data.rows - 1
    lags = t("analyze.pca.lags", lang, lags=num.num(args.lags)) if args.lags else ""
    print(
        t(
            "analyze.pca.model",
            lang,
            file=ref.path,
            rows=num.num(ref.values.shape[0]),
            variables=num.num(len(mon.names_)),
            lags=lags,
            components=num.num(mon.n_components_),
            explained=num.pct(float(mon.explained_variance_ratio_.sum())),
        )
    )
    print(
        t(
            "analyze.pca.limits",
            lang,
            method=t(f"analyze.pca.method.{args.limits}", lang),
            confidence=f"{num.num(100 * (1 - args.alpha))} %",
            t2=num.sig(mon.t2_limit_),
            spe=num.sig(mon.spe_limit_),
            phi=num.sig(mon.combined_limit_),
            signal=t(f"analyze.pca.signal.{args.signal}", lang),
        )
    )
    print(
        t(
            "analyze.pca.scored",
            lang,
            file=data.path,
            rows=num.num(res.rows.size),
            t2=num.num(int(res.t2_alarm.sum())),
            t2_share=num.pct(float(res.t2_alarm.mean())),
            spe=num.num(int(res.spe_alarm.sum())),
            spe_share=num.pct(float(res.spe_alarm.mean())),
            phi=num.num(int(res.combined_alarm.sum())),
            phi_share=num.pct(float(res.combined_alarm.mean())),
        )
    )
    alarm_rows = [a for a in res.alarms if res.alarm[a.row - mon.lags]]
    if not alarm_rows:
        print(t("analyze.pca.no_alarm", lang))
    else:
        print(t("analyze.pca.first_alarm", lang, row=str(int(file_index[alarm_rows[0].row]) + 1)))
        for a in alarm_rows[: args.show]:
            which = " ".join(s for s, f in (("T²", a.t2_alarm), ("SPE", a.spe_alarm)) if f) or "φ"
            top = a.spe_top if a.spe_alarm or not a.t2_alarm else a.t2_top
            tops = ", ".join(f"{c.variable} {num.num(100 * c.share, 0)} %" for c in top)
            print(
                t(
                    "analyze.pca.alarm_row",
                    lang,
                    row=str(int(file_index[a.row]) + 1),
                    which=which,
                    t2=num.sig(a.t2),
                    spe=num.sig(a.spe),
                    stat="SPE" if top is a.spe_top else "T²",
                    tops=tops,
                )
            )
        if len(alarm_rows) > args.show:
            print(t("analyze.pca.more", lang, n=num.num(len(alarm_rows) - args.show)))
    for note in notes:
        print(t("analyze.note", lang, note=note_text(note, lang)))
