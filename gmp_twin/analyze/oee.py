"""``gmp-twin analyze oee``: OEE (ISO 22400) from PackML state and counter logs."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gmp_twin.analyze.report import CliError, emit_json, pct

# pandas, scipy and the analytics modules load only when an analysis runs: every other
# ``gmp-twin`` command builds this parser too and should start fast.
if TYPE_CHECKING:
    import pandas as pd

    from analytics.oee import CountSample, OeeReport, StateChange


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


def _wide(path: str) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, float]] | None:
    """A ``gmp-twin simulate`` file (``time_s``, ``<machine>_state``, ``<machine>_produced``...)
    as long state and count frames (timestamp, machine, ...) and each machine's highest speed
    setpoint (``<machine>_speed_sp``, items/min: the ideal rate by default); ``None`` for any
    other file."""
    import pandas as pd

    p = Path(path)
    if not p.exists():
        return None
    with p.open(encoding="utf-8", errors="replace") as f:
        header = [c.strip().lower() for c in f.readline().split(",")]
    machines = [c.removesuffix("_state") for c in header if c.endswith("_state")]
    if "time_s" not in header or not machines:
        return None
    frame = _read_csv(path, ["time_s"], "a `gmp-twin simulate` file has a time_s column")
    states = pd.concat(
        pd.DataFrame({"timestamp": frame["time_s"], "machine": m, "state": frame[f"{m}_state"]}) for m in machines
    )
    counted = [m for m in machines if {f"{m}_{c}" for c in ("produced", "good", "rejected")} <= set(frame.columns)]
    counts = pd.concat(
        [
            pd.DataFrame(
                {
                    "timestamp": frame["time_s"],
                    "machine": m,
                    **{c: frame[f"{m}_{c}"] for c in ("produced", "good", "rejected")},
                }
            )
            for m in counted
        ]
        or [pd.DataFrame(columns=["timestamp", "machine", "produced", "good", "rejected"])]
    )
    rates = {
        m: float(pd.to_numeric(frame[f"{m}_speed_sp"], errors="coerce").max())
        for m in machines
        if f"{m}_speed_sp" in frame.columns
    }
    return states.reset_index(drop=True), counts.reset_index(drop=True), {m: r for m, r in rates.items() if r > 0}


def _load_states(path: str, frame: pd.DataFrame | None = None) -> tuple[list[StateChange], bool]:
    import pandas as pd

    from analytics.oee import PackMLState, StateChange

    fix = "the states file needs the header timestamp,machine,state[,cause]"
    if frame is None:
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


def _load_counts(path: str, frame: pd.DataFrame | None = None) -> list[CountSample]:
    import pandas as pd

    from analytics.oee import Counts, CountSample

    fix = "the counts file needs the header timestamp,machine,produced,good,rejected"
    if frame is None:
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


def cmd_oee(args: argparse.Namespace) -> int:
    from analytics.oee import PackMLState, TimeCategory, line_oee, oee_from_logs

    # A `gmp-twin simulate --unit line-1` file holds both the states and the counters.
    wide = _wide(args.states)
    states, dated = _load_states(args.states, wide[0] if wide else None)
    if args.counts:
        counts = _load_counts(args.counts)
    else:
        counts = _load_counts(args.states, wide[1]) if wide is not None and len(wide[1]) else []
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
        # A simulate file without --ideal-rate: each machine's speed setpoint.
        "ideal_rate_per_min": _ideal_rates(args.ideal_rate) or (wide[2] if wide is not None and wide[2] else None),
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
        emit_json(
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
            f"line {' → '.join(order)}: OEE {pct(line.oee)} = end-of-line good output of {line.end_machine} "
            f"at the bottleneck's ideal rate ({line.bottleneck}, {line.ideal_rate_per_min:g}/min) "
            f"over its planned busy time"
        )
    for p, rs in periods.items():
        print(
            f"period {p}: "
            + "; ".join(
                f"{m} OEE {pct(r.oee)} (A {pct(r.availability)}, P {pct(r.performance)}, Q {pct(r.quality)})"
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
        f"  OEE {pct(r.oee)} = availability {pct(r.availability)} × performance "
        f"{pct(r.performance)} × quality {pct(r.quality)}"
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
