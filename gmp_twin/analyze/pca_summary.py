"""The printed summary of ``gmp-twin analyze pca`` in the reader's language.

It says how the model was built (which rule chose the components, where each limit came
from), the false-alarm rate to expect (and the one observed on ``--normal`` data), the rows
over the limits and the first alarms with their top variables, then the notes.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from gmp_twin.analyze.report import Numbers

if TYPE_CHECKING:
    from analytics.pca import PcaMonitor, PcaScores
    from analytics.tabular import Table


def _rule(mon: PcaMonitor, args: argparse.Namespace, num: Numbers) -> str:
    from dashboard.i18n import t

    rule = mon.component_rule_
    if rule == "variance":
        return t("analyze.pca.rule.variance", args.lang, share=num.pct(float(args.variance)))
    return t(f"analyze.pca.rule.{rule}", args.lang)


def _pct(num: Numbers, x: float) -> str:
    # Rates below 1 % keep two decimals: "0.50 %", not "0.5 %" next to "1.0 %".
    return f"{num.num(100 * x, 2 if x < 0.01 else 1)} %"


def _model_lines(args: argparse.Namespace, ref: Table, mon: PcaMonitor, num: Numbers) -> None:
    from dashboard.i18n import t

    lang = args.lang
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
    print(t("analyze.pca.components_by", lang, rule=_rule(mon, args, num)))
    print(
        t(
            "analyze.pca.limits",
            lang,
            method=t(f"analyze.pca.method.{args.limits}", lang),
            confidence=f"{num.num(100 * (1 - mon.limit_alpha_))} %",
            t2=num.sig(mon.t2_limit_),
            spe=num.sig(mon.spe_limit_),
            phi=num.sig(mon.combined_limit_),
            signal=t(f"analyze.pca.alarm_rule.{args.signal}", lang),
        )
    )
    src = {s: t(f"analyze.pca.source.{v}", lang) for s, v in mon.limit_sources_.items()}
    print(t("analyze.pca.sources", lang, t2=src["t2"], spe=src["spe"], phi=src["combined"]))


def _rate_lines(mon: PcaMonitor, observed: dict[str, Any] | None, lang: str, num: Numbers) -> None:
    from dashboard.i18n import t

    print(t("analyze.pca.expected", lang, rate=_pct(num, mon.alarm_alpha_), each=_pct(num, mon.limit_alpha_)))
    held = mon.held_out_rate_
    if held is not None:
        print(t("analyze.pca.held_out", lang, rate=_pct(num, held["alarm"])))
    if observed is None:
        print(t("analyze.pca.no_normal", lang))
        return
    print(
        t(
            "analyze.pca.observed",
            lang,
            file=observed["file"],
            rate=_pct(num, observed["alarm"]),
            n=num.num(observed["alarms"]),
            rows=num.num(observed["rows"]),
            t2=_pct(num, observed["t2"]),
            spe=_pct(num, observed["spe"]),
        )
    )
    verdict = "within" if observed["within_twice_expected"] else "above"
    print(t(f"analyze.pca.observed_{verdict}", lang))


def print_summary(
    args: argparse.Namespace,
    ref: Table,
    data: Table,
    mon: PcaMonitor,
    res: PcaScores,
    observed: dict[str, Any] | None,
    notes: list[str],
) -> None:
    """The model, its limits and rates, the rows over them and the first alarms, in ``args.lang``."""
    from dashboard.i18n import t
    from gmp_twin.analyze.notes import note_text

    num, lang = Numbers(args.lang), args.lang
    file_index = data.rows - 1
    _model_lines(args, ref, mon, num)
    _rate_lines(mon, observed, lang, num)
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
    print(
        t(
            "analyze.pca.alarm_count",
            lang,
            signal=t(f"analyze.pca.alarm_rule.{args.signal}", lang),
            n=num.num(int(res.alarm.sum())),
            share=num.pct(float(res.alarm.mean())),
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
    choice = mon.component_choice_
    for note in notes:
        if choice is not None and note == choice.note and mon.component_rule_ != "variance":
            continue  # said on the "components chosen by" line
        print(t("analyze.note", lang, note=note_text(note, lang)))
