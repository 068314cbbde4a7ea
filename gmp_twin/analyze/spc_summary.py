"""The printed summary of ``gmp-twin analyze spc`` in the reader's language.

One line per column (centre, sigma, alarms, first alarm, rules fired), then per column the
diagnosis's warnings with their remedy (or what the residual model did), then the notes.
"""

from __future__ import annotations

import argparse
from typing import Any

from gmp_twin.analyze.report import Numbers


def _warnings(args: argparse.Namespace, name: str, result: dict[str, Any], num: Numbers) -> list[str]:
    from analytics.spc_autocorrelation import LAG1_LIMIT
    from dashboard.i18n import t

    lang, d, resid = args.lang, result["diagnosis"], result["residuals"]
    where = t("analyze.spc.where.reference" if args.reference_rows else "analyze.spc.where.all", lang)
    lines = []
    if resid is not None:
        symbols = {"phi": "φ", "lambda": "λ", "mean": "μ"}
        params = ", ".join(f"{symbols.get(k, k)} {num.sig(v)}" for k, v in resid.parameters.items())
        lines.append(
            t(
                "analyze.spc.residuals",
                lang,
                column=name,
                model=t(f"analyze.spc.model.{resid.model}", lang),
                params=params,
                r=num.sig(resid.lag1, 2),
            )
        )
    if d.autocorrelated:
        lines.append(
            t(
                "analyze.spc.warn.autocorrelated",
                lang,
                column=name,
                r=num.sig(d.lag1, 3),
                limit=num.num(LAG1_LIMIT),
                rows=num.num(d.n),
                where=where,
            )
        )
    if d.trending:
        sigmas = abs(d.trend_change) / d.sigma_short if d.sigma_short > 0 else float("inf")
        lines.append(
            t(
                "analyze.spc.warn.trend",
                lang,
                column=name,
                rows=num.num(d.n),
                where=where,
                p=num.sig(d.trend_p, 2),
                change=num.sig(d.trend_change),
                sigmas=num.sig(sigmas, 3),
            )
        )
    if d.held:
        lines.append(t("analyze.spc.warn.held", lang, column=name, share=num.pct(d.held_share)))
    if resid is None and (d.autocorrelated or d.trending):
        lines.append(t("analyze.spc.remedy.trend" if d.trending else "analyze.spc.remedy.autocorrelated", lang))
    elif resid is not None and d.remedies and resid.lag1 > LAG1_LIMIT:
        other = "ewma" if resid.model == "ar1" else "ar1"
        lines.append(t("analyze.spc.remedy.still", lang, r=num.sig(resid.lag1, 2), other=other))
    return lines


def print_summary(args: argparse.Namespace, path: str, notes: list[str], results: dict[str, dict[str, Any]]) -> None:
    """One line per column in ``args.lang``: centre, sigma, alarms, first alarm, rules fired; then warnings."""
    from dashboard.i18n import colon, t
    from gmp_twin.analyze.notes import note_text

    num, lang = Numbers(args.lang), args.lang
    rules = t("analyze.spc.rules_none", lang) if args.rules == "none" else args.rules
    limits_only = t("analyze.spc.limits_only", lang) if args.rules == "none" else ""
    header = t("analyze.spc.header", lang, file=path, method=args.method, rules=rules) + limits_only
    if args.residuals:
        header += t("analyze.spc.header_residuals", lang, model=t(f"analyze.spc.model.{args.residuals}", lang))
    print(header)
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
    for name, r in results.items():
        res = r["chart"]
        par = res.parameters
        fired = sorted({rule for row in res.rules for rule in row})
        first = "-" if res.first_alarm is None else str(res.first_alarm + 1)
        print(
            f"  {name:<{width}}  {num.num(len(res)):>6}  {num.sig(par.get('mean')):>10}  "
            f"{num.sig(par.get('sigma')):>10}  {num.num(res.alarm_rows.size):>7}  {first:>{w_first}}  "
            f"{', '.join(fired) or '-'}"
        )
    for name, r in results.items():
        for line in _warnings(args, name, r, num):
            print("  " + line)
    texts = [note_text(n, lang) for n in notes]
    texts += [f"{name}{colon(lang)} {note_text(m, lang)}" for name, r in results.items() for m in r["chart"].notes]
    for text in texts:
        print("  " + t("analyze.note", lang, note=text))
