"""``gmp-twin analyze oee``: OEE (ISO 22400) from PackML state and counter logs."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gmp_twin.analyze.report import CliError, Numbers, emit_json

# pandas, scipy and the analytics modules load only when an analysis runs: every other
# ``gmp-twin`` command builds this parser too and should start fast.
if TYPE_CHECKING:
    import pandas as pd

    from analytics.oee import CountSample, LineOee, OeeReport, StateChange


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


def _simulate_frame(path: str) -> pd.DataFrame | None:
    """A ``gmp-twin simulate`` file (``.csv`` or ``.parquet``) as text columns, or ``None`` for any
    other file; a simulate file of a unit that is not a filling line is an error that says so."""
    import pandas as pd

    from gmp_twin.simulate_meta import read_meta

    p = Path(path)
    if not p.exists():
        return None
    try:
        meta = read_meta(p)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if meta is not None and meta.get("unit_type") != "filling_line":
        raise CliError(
            f"{p}: a `gmp-twin simulate` file of {meta.get('unit')} ({meta.get('unit_type')}), which has no "
            "PackML machines; OEE needs a filling line's: gmp-twin simulate --unit line-1 --duration 8h --out line.csv"
        )
    if p.suffix == ".parquet":
        try:
            frame = pd.read_parquet(p)
        except (OSError, ValueError) as exc:
            raise CliError(f"{p}: cannot be read as Parquet ({type(exc).__name__}: {exc})") from None
        frame.columns = [str(c).strip().lower() for c in frame.columns]
        header = list(frame.columns)
    else:
        with p.open(encoding="utf-8", errors="replace") as f:
            header = [c.strip().lower() for c in f.readline().split(",")]
        frame = None
    if "time_s" not in header or not any(c.endswith("_state") for c in header):
        if p.suffix == ".parquet":
            raise CliError(f"{p}: no time_s and <machine>_state columns; give a `gmp-twin simulate --unit line-1` file")
        return None
    if frame is None:
        return _read_csv(path, ["time_s"], "a `gmp-twin simulate` file has a time_s column")
    return frame.astype(str)


def _wide(path: str) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, float]] | None:
    """A ``gmp-twin simulate`` file (``time_s``, ``<machine>_state``, ``<machine>_produced``...,
    CSV or Parquet) as long state and count frames (timestamp, machine, ...) and each machine's
    highest speed setpoint (``<machine>_speed_sp``, items/min: the ideal rate by default);
    ``None`` for any other file."""
    import pandas as pd

    frame = _simulate_frame(path)
    if frame is None:
        return None
    machines = [c.removesuffix("_state") for c in frame.columns if c.endswith("_state")]
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


def _fmt_time(t: float, dated: bool, num: Numbers | None = None) -> str:
    """An ISO 8601 instant (the same in every language), or seconds (for ``num``'s reader)."""
    import pandas as pd

    if not dated:
        return f"{t:g} s" if num is None else f"{num.num(t)} s"
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
    _print_summary(args.lang, reports, dated, order, line, periods)
    return 0


def _print_summary(
    lang: str,
    reports: dict[str, OeeReport],
    dated: bool,
    order: list[str],
    line: LineOee | None,
    periods: dict[str, dict[str, OeeReport]],
) -> None:
    """Each machine's report, the line OEE and the OEE per period, in ``lang``."""
    from dashboard.i18n import t

    num = Numbers(lang)
    for r in reports.values():
        _print_report(r, dated, num)
    if line is not None:
        print(
            t(
                "analyze.oee.line",
                lang,
                order=" → ".join(order),
                oee=num.pct(line.oee),
                end=line.end_machine,
                bottleneck=line.bottleneck,
                rate=num.num(line.ideal_rate_per_min),
            )
        )
    for p, rs in periods.items():
        machines = "; ".join(
            t(
                "analyze.oee.period_machine",
                lang,
                machine=m,
                oee=num.pct(r.oee),
                availability=num.pct(r.availability),
                performance=num.pct(r.performance),
                quality=num.pct(r.quality),
            )
            for m, r in rs.items()
        )
        print(t("analyze.oee.period", lang, period=p, machines=machines))


def _print_report(r: OeeReport, dated: bool, num: Numbers) -> None:
    from dashboard.i18n import t
    from gmp_twin.analyze.notes import note_text

    lang = num.lang
    start, end = _fmt_time(r.start_s, dated, num), _fmt_time(r.end_s, dated, num)
    print(t("analyze.oee.machine", lang, machine=r.machine, start=start, end=end, hours=num.num(r.pbt_s / 3600, 2)))
    print(
        t(
            "analyze.oee.formula",
            lang,
            oee=num.pct(r.oee),
            availability=num.pct(r.availability),
            performance=num.pct(r.performance),
            quality=num.pct(r.quality),
        )
    )
    rate = (
        t("analyze.oee.rate_unknown", lang) if r.ideal_rate_per_min is None else f"{num.num(r.ideal_rate_per_min)}/min"
    )
    counts = {"produced": num.num(r.produced), "good": num.num(r.good), "rejected": num.num(r.rejected)}
    print(t("analyze.oee.counts", lang, rate=rate, **counts))
    lo = r.losses
    parts = [
        ("breakdowns", lo.breakdowns_s),
        ("setup", lo.setup_s),
        ("small_stops", lo.small_stops_s),
        ("starved_blocked", lo.starved_blocked_s),
        ("reduced_speed", lo.reduced_speed_s),
        ("defects", lo.process_defects_s),
        ("startup", lo.startup_losses_s),
    ]
    losses = ", ".join(
        f"{t(f'analyze.oee.loss.{key}', lang)} {num.na if v is None else num.num(v / 60, 1)}" for key, v in parts
    )
    print(t("analyze.oee.losses", lang, losses=losses))
    if lo.breakdowns_by_cause:
        causes = ", ".join(f"{c} {num.num(v / 60, 1)}" for c, v in lo.breakdowns_by_cause.items())
        print(t("analyze.oee.by_cause", lang, causes=causes))
    mtbf = num.na if r.mtbf_s is None else f"{num.num(r.mtbf_s / 60, 1)} min"
    mttr = num.na if r.mttr_s is None else f"{num.num(r.mttr_s / 60, 1)} min"
    print(t("analyze.oee.failures", lang, failures=num.num(r.failures), mtbf=mtbf, mttr=mttr))
    for note in r.notes:
        print("  " + t("analyze.note", lang, note=note_text(note, lang)))
