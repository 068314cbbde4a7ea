"""``gmp-twin analyze ...``: SPC, PCA and OEE on arbitrary CSV files (learner projects).

Sub-commands (each prints a readable summary, or JSON with ``--json``):

``gmp-twin analyze spc --data FILE (--column COL ... | --all-columns) --method shewhart|ewma|cusum
[--mean M --sigma S | --reference-rows N | --lsl A --usl B] [--lambda λ --L L | --k K --h H]
[--rules we|nelson|none]``
    Each column is an independent series. JSON: ``{"file", "columns": {name: chart}}``
    where a chart is :meth:`analytics.spc.ChartResult.to_dict` (statistic, centre and
    limits per row, alarm rows with the rules that fired, first alarm, rules applied).

``gmp-twin analyze pca --reference REF --data TEST [--components K | --variance V]
[--alpha A] [--limits analytic|empirical] [--calibration CAL] [--lags L]``
    JSON: variables, components, limits, per row T², SPE, φ and alarm flags, and for every
    alarm row the top contributing variables.

``gmp-twin analyze oee --states STATES.csv [--counts COUNTS.csv] [--ideal-rate R]``
    JSON: per machine availability, performance, quality, OEE, times, six big losses,
    MTBF/MTTR; line OEE; per period when ``--periods`` is given.

Input files
-----------
*Numeric tables* (spc, pca): CSV (``,`` ``;`` or tab) or whitespace-separated ``.dat``;
a header line unless the first line is all numbers (then columns are ``x1 .. xN``); see
:mod:`analytics.tabular` for missing values and non-numeric columns.

*STATES.csv* — one row per state change, header ``timestamp,machine,state[,cause]``:
``timestamp`` in seconds (any numeric origin) or ISO 8601 (naive = UTC); ``machine``
optional (one machine called ``machine``); ``state`` a PackML state name or OPC 30060
number (Stopped 0 … Execute 4 … Held 15); ``cause`` optional (e.g. why a machine is
Held), used for the breakdown-by-cause. A state lasts until the machine's next row, the
last one until the end of the analysed range.

*COUNTS.csv* — header ``timestamp,machine,produced,good,rejected`` (``machine``
optional; one of ``produced``/``good``/``rejected`` may be left out and is derived from the
other two). Counters are cumulative by default (like PackTags ``ProdProcessedCount``; the
first row is the baseline; a decrease is a counter reset); ``--counts-mode interval`` for
per-interval counts.

*PERIODS.csv* (``--periods``) — header ``name,start,end``: shifts or batches, same time
format as the states.

Row numbers: JSON ``row``/``index`` values are 0-based positions among the data rows of
the file (the header is not counted); the summaries print 1-based data-row numbers.

Errors exit with code 2 and a one-line message that names the file, the column and the fix.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

# pandas, scipy and the analytics modules load only when an analysis runs: every other
# ``gmp-twin`` command builds this parser too and should start fast.
if TYPE_CHECKING:
    import pandas as pd

    from analytics.oee import CountSample, OeeReport, StateChange
    from analytics.tabular import Table


class CliError(Exception):
    """A user error: printed as one line, exit code 2."""


def _json_safe(obj: Any) -> Any:
    # NaN/inf have no JSON form: they become null (documented by each command).
    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _emit_json(payload: dict[str, Any]) -> None:
    json.dump(_json_safe(payload), sys.stdout, indent=1, allow_nan=False)
    sys.stdout.write("\n")


def _guard(name: str, fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return fn(args)
        except (CliError, ValueError) as exc:  # TableError and PcaError are ValueErrors
            msg = " ".join(str(exc).split())  # one line
            print(f"gmp-twin analyze {name}: error: {msg}", file=sys.stderr)
            return 2

    return run


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{100 * v:.1f} %"


# ----------------------------------------------------------------------------- spc


def _cmd_spc(args: argparse.Namespace) -> int:
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
        _emit_json(
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


# ----------------------------------------------------------------------------- pca


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


def _cmd_pca(args: argparse.Namespace) -> int:
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
        _emit_json(
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
        f"({_pct(res.t2_alarm.mean())}), SPE {int(res.spe_alarm.sum())} ({_pct(res.spe_alarm.mean())}), "
        f"φ {int(res.combined_alarm.sum())} ({_pct(res.combined_alarm.mean())})"
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


# ----------------------------------------------------------------------------- oee


def _read_csv(path: str, required: Sequence[str], what: str) -> pd.DataFrame:
    import pandas as pd

    p = Path(path)
    if not p.exists():
        raise CliError(f"{p}: file not found; check the path (relative to {Path.cwd()})")
    try:
        frame = pd.read_csv(p, sep=None, engine="python", dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, UnicodeDecodeError) as exc:
        raise CliError(f"{p}: cannot be read as CSV ({type(exc).__name__}); {what}") from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    for c in required:
        if c not in frame.columns:
            raise CliError(f"{p}: no column {c!r} (columns: {', '.join(frame.columns)}); {what}")
    if frame.empty:
        raise CliError(f"{p}: no data rows; {what}")
    return frame.apply(lambda s: s.str.strip())


def _times(frame: pd.DataFrame, path: str, column: str = "timestamp") -> tuple[np.ndarray, bool]:
    """Seconds (float) and whether the column held dates."""
    import pandas as pd

    col = frame[column]
    empty = col == ""
    if empty.any():
        raise CliError(f"{path}: empty {column!r} at row(s) {_rows(empty)}; fill them")
    num = pd.to_numeric(col, errors="coerce")
    if not num.isna().any():
        return num.to_numpy(dtype=float), False
    stamps = pd.to_datetime(col, utc=True, errors="coerce", format="ISO8601")
    if stamps.isna().any():
        bad = stamps.isna()
        raise CliError(
            f"{path}: column {column!r} row {_rows(bad)}: {col[bad].iloc[0]!r} is neither "
            "seconds nor an ISO 8601 time (2024-05-02T08:00:00Z); fix the value"
        )
    secs = (stamps - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(seconds=1)
    return secs.to_numpy(dtype=float), True


def _one_time(value: str | None, what: str) -> float | None:
    import pandas as pd

    if not value:
        return None
    secs, _ = _times(pd.DataFrame({"timestamp": [value]}), what)
    return float(secs[0])


def _rows(mask: pd.Series) -> str:
    rows = [str(i + 1) for i in np.flatnonzero(mask.to_numpy())]
    return ", ".join(rows[:5]) + (f" and {len(rows) - 5} more" if len(rows) > 5 else "")


def _load_states(path: str) -> tuple[list[StateChange], bool]:
    import pandas as pd

    from analytics.oee import PackMLState, StateChange

    fix = "the states file needs the header timestamp,machine,state[,cause]"
    frame = _read_csv(path, ["timestamp", "state"], fix)
    t, dated = _times(frame, path)
    machines = frame["machine"] if "machine" in frame.columns else pd.Series(["machine"] * len(frame))
    causes = frame["cause"] if "cause" in frame.columns else pd.Series([""] * len(frame))
    out = []
    for i, (ti, m, s, c) in enumerate(zip(t, machines, frame["state"], causes, strict=True)):
        try:
            state = PackMLState.parse(s)
        except ValueError as exc:
            raise CliError(f"{path}: column 'state' row {i + 1}: {exc}") from None
        if not m:
            raise CliError(f"{path}: empty 'machine' at row {i + 1}; name the machine")
        out.append(StateChange(float(ti), str(m), state, c or None))
    return out, dated


def _load_counts(path: str) -> list[CountSample]:
    import pandas as pd

    from analytics.oee import Counts, CountSample

    fix = "the counts file needs the header timestamp,machine,produced,good,rejected"
    frame = _read_csv(path, ["timestamp"], fix)
    t, _ = _times(frame, path)
    have = [c for c in ("produced", "good", "rejected") if c in frame.columns]
    if len(have) < 2:
        raise CliError(
            f"{path}: needs at least two of the columns produced, good, rejected "
            f"(has {', '.join(have) or 'none'}); {fix}"
        )
    vals: dict[str, np.ndarray] = {}
    for c in have:
        num = pd.to_numeric(frame[c], errors="coerce")
        if num.isna().any():
            bad = num.isna()
            raise CliError(
                f"{path}: column {c!r} row {_rows(bad)}: {frame[c][bad].iloc[0]!r} is not a "
                "number; counters must be numbers (0 if nothing)"
            )
        if (num < 0).any():
            raise CliError(f"{path}: column {c!r} row {_rows(num < 0)}: negative count; fix the value")
        vals[c] = num.to_numpy(dtype=float)
    if "produced" not in vals:
        vals["produced"] = vals["good"] + vals["rejected"]
    elif "good" not in vals:
        vals["good"] = vals["produced"] - vals["rejected"]
    elif "rejected" not in vals:
        vals["rejected"] = vals["produced"] - vals["good"]
    else:
        bad = np.abs(vals["produced"] - vals["good"] - vals["rejected"]) > 1e-9
        if bad.any():
            raise CliError(
                f"{path}: produced != good + rejected at row(s) {_rows(pd.Series(bad))}; "
                "fix the counts or leave one of the three columns out"
            )
    if (vals["good"] < 0).any() or (vals["rejected"] < 0).any():
        raise CliError(f"{path}: good or rejected comes out negative; check the counters")
    machines = frame["machine"] if "machine" in frame.columns else pd.Series(["machine"] * len(frame))
    return [
        CountSample(
            float(t[i]), str(machines.iloc[i]), Counts(vals["produced"][i], vals["good"][i], vals["rejected"][i])
        )
        for i in range(len(frame))
    ]


def _ideal_rates(values: Sequence[str] | None) -> float | dict[str, float] | None:
    if not values:
        return None
    rates: dict[str, float] = {}
    default: float | None = None
    for v in values:
        name, _, num = v.rpartition("=")
        try:
            rate = float(num)
        except ValueError:
            raise CliError(f"--ideal-rate {v!r}: give items per minute, as R or MACHINE=R") from None
        if not rate > 0:
            raise CliError(f"--ideal-rate {v!r}: the rate must be > 0 items per minute")
        if name:
            rates[name] = rate
        else:
            default = rate
    if not rates:
        return default
    if default is not None:
        return _DefaultDict(rates, default)
    return rates


class _DefaultDict(dict[str, float]):
    """Per-machine rates with a default for machines not named."""

    def __init__(self, rates: dict[str, float], default: float) -> None:
        super().__init__(rates)
        self.default = default

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key, self.default)


def _fmt_time(t: float, dated: bool) -> str:
    import pandas as pd

    if not dated:
        return f"{t:g} s"
    return pd.Timestamp(t, unit="s", tz="UTC").isoformat().replace("+00:00", "Z")


def _report_dict(r: OeeReport, dated: bool) -> dict[str, Any]:
    d = r.to_dict()
    if dated:
        d["start"], d["end"] = _fmt_time(r.start_s, True), _fmt_time(r.end_s, True)
    return d


def _cmd_oee(args: argparse.Namespace) -> int:
    from analytics.oee import PackMLState, TimeCategory, line_oee, oee_from_logs

    states, dated = _load_states(args.states)
    counts = _load_counts(args.counts) if args.counts else []
    unknown = sorted({c.machine for c in counts} - {s.machine for s in states})
    if unknown:
        raise CliError(
            f"{args.counts}: machine(s) {', '.join(unknown)} have counts but no state in "
            f"{args.states}; check the machine names"
        )
    state_map: dict[PackMLState, TimeCategory] = {}
    for name in args.planned_state or []:
        try:
            state_map[PackMLState.parse(name)] = "PDOT"
        except ValueError as exc:
            raise CliError(f"--planned-state: {exc}") from None
    options: dict[str, Any] = {
        "ideal_rate_per_min": _ideal_rates(args.ideal_rate),
        "small_stop_s": args.small_stop_s,
        "startup_window_s": args.startup_window_s,
        "cumulative_counts": args.counts_mode == "cumulative",
        "state_map": state_map or None,
    }
    start = _one_time(args.start, "--start")
    end = _one_time(args.end, "--end")
    reports = oee_from_logs(states, counts, start=start, end=end, **options)
    order = args.line.split(",") if args.line else list(reports)
    missing = [m for m in order if m not in reports]
    if missing:
        raise CliError(f"--line: machine(s) {', '.join(missing)} not in {args.states} (machines: {', '.join(reports)})")
    line = line_oee([reports[m] for m in order]) if len(order) > 1 else None
    periods: dict[str, dict[str, OeeReport]] = {}
    if args.periods:
        frame = _read_csv(args.periods, ["name", "start", "end"], "the periods file needs name,start,end")
        a, _ = _times(frame, args.periods, "start")
        b, _ = _times(frame, args.periods, "end")
        for name, ta, tb in zip(frame["name"], a, b, strict=True):
            if tb <= ta:
                raise CliError(f"{args.periods}: period {name!r} ends before it starts; fix start/end")
            periods[name] = oee_from_logs(states, counts, start=float(ta), end=float(tb), **options)
    if args.json:
        _emit_json(
            {
                "command": "oee",
                "states": args.states,
                "counts": args.counts,
                "machines": {m: _report_dict(r, dated) for m, r in reports.items()},
                "line": None if line is None else {"order": order, **line.to_dict()},
                "periods": {p: {m: _report_dict(r, dated) for m, r in rs.items()} for p, rs in periods.items()},
            }
        )
        return 0
    for r in reports.values():
        _print_report(r, dated)
    if line is not None:
        print(
            f"line {' → '.join(order)}: OEE {_pct(line.oee)} = end-of-line good output of {line.end_machine} "
            f"at the bottleneck's ideal rate ({line.bottleneck}, {line.ideal_rate_per_min:g}/min) "
            f"over its planned busy time"
        )
    for p, rs in periods.items():
        print(
            f"period {p}: "
            + "; ".join(
                f"{m} OEE {_pct(r.oee)} (A {_pct(r.availability)}, P {_pct(r.performance)}, Q {_pct(r.quality)})"
                for m, r in rs.items()
            )
        )
    return 0


def _print_report(r: OeeReport, dated: bool) -> None:
    h = 3600.0
    print(
        f"{r.machine}: {_fmt_time(r.start_s, dated)} → {_fmt_time(r.end_s, dated)}, "
        f"planned busy time {r.pbt_s / h:.2f} h"
    )
    print(
        f"  OEE {_pct(r.oee)} = availability {_pct(r.availability)} × performance "
        f"{_pct(r.performance)} × quality {_pct(r.quality)}"
    )
    rate = (
        "unknown (give --ideal-rate R items/min)" if r.ideal_rate_per_min is None else f"{r.ideal_rate_per_min:g}/min"
    )
    print(f"  produced {r.produced:g}, good {r.good:g}, rejected {r.rejected:g}; ideal rate {rate}")
    lo = r.losses
    parts = [
        ("breakdowns", lo.breakdowns_s),
        ("setup", lo.setup_s),
        ("small stops", lo.small_stops_s),
        ("starved/blocked", lo.starved_blocked_s),
        ("reduced speed", lo.reduced_speed_s),
        ("defects", lo.process_defects_s),
        ("start-up rejects", lo.startup_losses_s),
    ]
    print("  losses (min): " + ", ".join(f"{n} {'n/a' if v is None else f'{v / 60:.1f}'}" for n, v in parts))
    if lo.breakdowns_by_cause:
        causes = ", ".join(f"{c} {v / 60:.1f}" for c, v in lo.breakdowns_by_cause.items())
        print(f"  breakdowns by cause (min): {causes}")
    mtbf = "n/a" if r.mtbf_s is None else f"{r.mtbf_s / 60:.1f} min"
    mttr = "n/a" if r.mttr_s is None else f"{r.mttr_s / 60:.1f} min"
    print(f"  failures {r.failures}, MTBF {mtbf}, MTTR {mttr}")
    for note in r.notes:
        print(f"  note: {note}")


# ----------------------------------------------------------------------------- parser


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``analyze`` command and its ``spc``, ``pca`` and ``oee`` sub-commands."""
    parser = sub.add_parser(
        "analyze",
        help="SPC, PCA and OEE on CSV files",
        description="SPC, PCA and OEE on CSV or .dat files (learner projects).",
    )

    def _help(args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return 2

    parser.set_defaults(handler=_help)
    cmds = parser.add_subparsers(dest="analysis", metavar="ANALYSIS")

    spc = cmds.add_parser(
        "spc",
        help="control charts, one per column",
        description="Univariate control charts; each column is an independent series.",
    )
    spc.add_argument("--data", required=True, help="CSV or .dat file")
    which = spc.add_mutually_exclusive_group()
    which.add_argument("--column", action="append", metavar="COL", help="column to chart (repeatable)")
    which.add_argument("--all-columns", action="store_true", help="chart every numeric column")
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
    spc.add_argument("--drop-non-numeric", action="store_true", help="with --all-columns, skip non-numeric columns")
    spc.add_argument(
        "--drop-missing",
        action="store_true",
        help="skip missing cells (reported; rows keep their numbers) instead of failing",
    )
    spc.add_argument("--json", action="store_true", help="machine-readable output")
    spc.set_defaults(handler=_guard("spc", _cmd_spc))

    pca = cmds.add_parser(
        "pca",
        help="multivariate PCA monitoring (T², SPE)",
        description="PCA model on normal reference data; T², SPE and contributions on test data.",
    )
    pca.add_argument("--reference", required=True, help="normal operating data (CSV or .dat)")
    pca.add_argument("--data", required=True, help="data to monitor, same columns")
    comp = pca.add_mutually_exclusive_group()
    comp.add_argument("--components", type=int, metavar="K", help="number of principal components")
    comp.add_argument(
        "--variance",
        type=float,
        default=0.9,
        metavar="V",
        help="choose components explaining this variance fraction (default 0.9)",
    )
    pca.add_argument("--alpha", type=float, default=0.01, help="false-alarm rate of each limit (default 0.01)")
    pca.add_argument(
        "--limits",
        choices=["analytic", "empirical"],
        default="analytic",
        help="analytic (F / Jackson-Mudholkar) or empirical quantiles on normal data",
    )
    pca.add_argument(
        "--calibration",
        help="other normal data for empirical limits (default: 5-fold block cross-validation on the reference)",
    )
    pca.add_argument("--lags", type=int, default=0, help="dynamic PCA: previous rows added to each row")
    pca.add_argument(
        "--signal",
        choices=["either", "t2", "spe", "combined"],
        default="either",
        help="which statistic raises an alarm (default: T² or SPE)",
    )
    pca.add_argument("--column", action="append", metavar="COL", help="use only these columns (repeatable)")
    pca.add_argument("--top", type=int, default=3, help="contributing variables per alarm (default 3)")
    pca.add_argument("--show", type=int, default=10, help="alarm rows printed in the summary (default 10)")
    pca.add_argument("--drop-non-numeric", action="store_true", help="skip non-numeric columns (reported)")
    pca.add_argument("--drop-missing", action="store_true", help="drop rows with missing values (reported)")
    pca.add_argument("--drop-constant", action="store_true", help="drop constant reference columns (reported)")
    pca.add_argument(
        "--transpose-reference",
        action="store_true",
        help="the reference file has one variable per line (as TEP d00.dat)",
    )
    pca.add_argument("--json", action="store_true", help="machine-readable output")
    pca.set_defaults(handler=_guard("pca", _cmd_pca))

    oee = cmds.add_parser(
        "oee",
        help="OEE (ISO 22400-2) from PackML states and counters",
        description="OEE = availability × performance × quality from a PackML state "
        "log and production counters (formats: see the module docs).",
    )
    oee.add_argument("--states", required=True, help="CSV: timestamp,machine,state[,cause]")
    oee.add_argument("--counts", help="CSV: timestamp,machine,produced,good,rejected")
    oee.add_argument(
        "--ideal-rate",
        action="append",
        metavar="R|MACHINE=R",
        help="ideal rate in items per minute, for all or one machine (repeatable)",
    )
    oee.add_argument(
        "--counts-mode",
        choices=["cumulative", "interval"],
        default="cumulative",
        help="counters are cumulative (default) or per interval",
    )
    oee.add_argument("--start", help="range start (seconds or ISO 8601; default: first timestamp)")
    oee.add_argument("--end", help="range end (default: last timestamp)")
    oee.add_argument("--small-stop-s", type=float, default=300.0, help="stops shorter are small stops (300)")
    oee.add_argument(
        "--startup-window-s",
        type=float,
        default=300.0,
        help="rejects this long after a start are start-up losses (300)",
    )
    oee.add_argument(
        "--planned-state",
        action="append",
        metavar="STATE",
        help="count this state as planned downtime, outside planned busy time (repeatable)",
    )
    oee.add_argument("--line", metavar="M1,M2,...", help="line order for the line OEE (last = end of line)")
    oee.add_argument("--periods", help="CSV name,start,end: OEE per shift or batch")
    oee.add_argument("--json", action="store_true", help="machine-readable output")
    oee.set_defaults(handler=_guard("oee", _cmd_oee))
