"""``gmp-twin shadow``: run a unit's twin in shadow beside its plant's data, and report the residuals.

``shadow run`` reads the plant's values (``source = plc``, written by the bridge from a real kit)
from the historian, steps the unit's model along them (fed with the plant's setpoints, modes and
valve commands), writes its predictions as ``source = sim`` and charts each tag's residual
(plant − twin), raising an alarm when it leaves its control limits. Live by default (it follows
the plant until Ctrl-C or ``--for``); with ``--from`` and ``--to`` it replays a recorded range
as fast as the CPU allows.

``shadow report`` reads a range back: per tag, the residual, its reference and chart, the alarms.

Examples
--------
::

    gmp-twin run --no-twin --tagmap kit.yaml            # the bridge: the kit's values as source plc
    gmp-twin shadow run --unit mps-pa                   # beside it: the twin follows the kit
    gmp-twin shadow run --unit mps-pa --from 2026-12-03T08:00Z --to 2026-12-03T12:00Z
    gmp-twin shadow report --unit mps-pa --last 2h --csv residuals.csv
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import logging
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

NS_PER_S = 1_000_000_000


def _split(values: list[str] | None) -> list[str]:
    return [part.strip() for value in values or () for part in value.split(",") if part.strip()]


def _seconds(flag: str, text: str) -> float:
    from gmp_twin.simulate import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise ValueError(f"{flag}: {exc}") from None


def _time(flag: str, text: str) -> int:
    from historian.export import parse_time

    try:
        return parse_time(text)
    except ValueError:
        raise ValueError(f"{flag} {text!r}: not an ISO 8601 time, e.g. 2026-12-03T08:00Z") from None


def _iso(time_ns: int | None) -> str:
    if time_ns is None:
        return "-"
    return datetime.fromtimestamp(time_ns / NS_PER_S, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def spc_config(args: argparse.Namespace) -> Any:
    """The residual chart settings of the flags (an error names the flag)."""
    from analytics.shadow_spc import ShadowSpcConfig

    values: dict[str, Any] = {}
    for flag, attr in (("window", "window_s"), ("settle", "settle_s"), ("reference", "reference_s")):
        text = getattr(args, flag, None)
        if text is not None:
            values[attr] = _seconds(f"--{flag}", text)
    for flag, attr in (("clear_after", "clear_after_s"), ("hold", "hold_s")):
        text = getattr(args, flag, None)
        if text is not None:
            values[attr] = _seconds(f"--{flag.replace('_', '-')}", text)
    for attr in ("method", "arl0"):
        if getattr(args, attr, None) is not None:
            values[attr] = getattr(args, attr)
    return ShadowSpcConfig(**values)


def build_twin(args: argparse.Namespace, settings: Any) -> Any:
    """The unit's model from the plant file (or a default one of ``--unit-type``), as a ShadowTwin."""
    from gmp_twin.shadow_twin import ShadowTwin
    from twin.plant import UnitConfig, build_unit, load_plant

    plant = load_plant(settings.plant)
    configs = {u.name: u for u in plant.units}
    cfg = configs.get(args.unit)
    if cfg is None:
        if not args.unit_type:
            raise ValueError(
                f"--unit {args.unit!r}: no such unit in {settings.plant} (units: {', '.join(configs)}); "
                "give --unit-type TYPE to shadow it with a default model of that type"
            )
        cfg = UnitConfig(name=args.unit, type=args.unit_type)
    elif args.unit_type and args.unit_type != cfg.type:
        raise ValueError(f"--unit-type {args.unit_type}: unit {args.unit!r} is a {cfg.type} in {settings.plant}")
    unit = build_unit(cfg, seed=settings.seed)
    dt_s = cfg.dt_s or 0.1
    publish_s = _seconds("--publish", args.publish) if args.publish else max(dt_s, 1.0)
    tags = _split(args.tags) or None
    return ShadowTwin(unit, args.unit, args.site or plant.site, dt_s, publish_s, tags, feed_outputs=args.feed_outputs)


async def run(args: argparse.Namespace, settings: Any, stop: asyncio.Event) -> Any:
    """``shadow run``: replay a range or follow the plant until ``stop``."""
    from gmp_twin.shadow_run import ShadowRun
    from historian import open_historian

    twin = build_twin(args, settings)
    config = spc_config(args)
    run_id = settings.run_id or "shadow-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    async with open_historian(settings.historian) as historian:
        shadow = ShadowRun(historian, twin, config, run_id)
        if args.start or args.end:
            if not (args.start and args.end):
                raise ValueError("--from and --to go together (a replay); give neither to follow the plant live")
            chunk = _seconds("--chunk", args.chunk)
            return await shadow.replay(_time("--from", args.start), _time("--to", args.end), chunk_s=chunk)
        poll = _seconds("--poll", args.poll)
        log.info("shadow %s of %s: following the plant (Ctrl-C stops)", run_id, twin.name)
        return await shadow.follow(stop, poll_s=poll)


def print_result(result: Any, out: Any = None) -> None:
    """The summary of a shadow run (``out=None``: ``sys.stdout`` when called, not when imported)."""
    span = (result.end_ns - result.start_ns) / NS_PER_S
    print(
        f"shadow {result.run_id}: unit {result.unit}, {_iso(result.start_ns)} .. {_iso(result.end_ns)} "
        f"({span:.0f} s of plant time in {result.wall_s:.1f} s), {result.sim_points} twin points, "
        f"{result.residuals} residuals",
        file=out,
    )
    print(f"{'tag':<20} {'phase':<10} {'ref mean':>10} {'ref sigma':>10} {'last':>10}  alarm", file=out)
    for tag, st in result.state.items():
        ref = st["reference"] or {}
        cells = [ref.get("mean"), ref.get("sigma"), st["residual"]]
        text = " ".join(f"{c:>10.4g}" if isinstance(c, float) else f"{'-':>10}" for c in cells)
        print(f"{tag:<20} {st['phase']:<10} {text}  {st['state']}", file=out)
    for p in result.alarms:
        print(
            f"alarm raised {_iso(p.time_ns)} {p.fields.get('tag')}: residual {p.fields.get('residual'):.4g}", file=out
        )
    for tag, (count, reason) in result.refused.items():
        print(f"input {tag}: {count} value(s) refused by the model ({reason})", file=out)
    if result.no_plant_data:
        print(f"no plant value for: {', '.join(result.no_plant_data)} (not charted)", file=out)


def _cmd_run(args: argparse.Namespace) -> int:
    from gmp_twin.setting_flags import settings_from

    settings = settings_from(args)

    async def main() -> Any:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        if args.duration:
            loop.call_later(_seconds("--for", args.duration), stop.set)
        return await run(args, settings, stop)

    print_result(asyncio.run(main()))
    return 0


async def report(args: argparse.Namespace, settings: Any) -> Any:
    """``shadow report``: the shadow of a range, read back."""
    from analytics.shadow_report import load_shadow
    from gmp_twin.shadow_twin import default_predicted
    from historian import open_historian
    from twin.plant import UnitConfig, build_unit, load_plant

    plant = load_plant(settings.plant)
    site = args.site or plant.site
    tags = _split(args.tags)
    if not tags:
        configs = {u.name: u for u in plant.units}
        cfg = configs.get(args.unit) or (UnitConfig(name=args.unit, type=args.unit_type) if args.unit_type else None)
        if cfg is None:
            raise ValueError(f"--unit {args.unit!r} is not in {settings.plant}: give --tags or --unit-type")
        tags = default_predicted(build_unit(cfg).tag_specs())
    async with open_historian(settings.historian) as historian:
        if args.end:
            stop = _time("--to", args.end)
        else:
            latest = await historian.latest(site=site, unit=args.unit)
            stop = max((s.time_ns for s in latest.values()), default=time.time_ns()) + 1
        start = _time("--from", args.start) if args.start else stop - round(_seconds("--last", args.last) * NS_PER_S)
        if stop <= start:
            raise ValueError("--to must be after --from")
        return await load_shadow(historian, site, args.unit, tags, start, stop, spc_config(args))


def _write_csv(path: Path, shadow: Any) -> int:
    rows = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["time", "tag", "residual", "samples", "statistic", "lcl", "ucl", "alarm"])
        for item in shadow.tags.values():
            w = item.windows
            for i in range(len(w)):
                cells = [item.statistic[i], item.lcl[i], item.ucl[i]]
                writer.writerow(
                    [_iso_ms(int(w.time_ns[i])), item.tag, f"{w.mean[i]:.6g}", int(w.count[i])]
                    + ["" if c != c else f"{c:.6g}" for c in cells]
                    + [int(item.alarm[i])]
                )
                rows += 1
    return rows


def _iso_ms(time_ns: int) -> str:
    return datetime.fromtimestamp(time_ns / NS_PER_S, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def print_report(shadow: Any, out: Any = None) -> None:
    print(f"shadow of {shadow.unit} ({shadow.site}), {_iso(shadow.start_ns)} .. {_iso(shadow.stop_ns)}", file=out)
    runs = sorted({str(p.fields.get("run_id")) for p in shadow.started})
    print(f"shadow runs: {', '.join(runs) or 'none in the range'}", file=out)
    head = f"{'tag':<18} {'plant':>7} {'resid':>7} {'mean':>9} {'ref mean':>9} {'sigma':>9} {'lag1':>6}"
    print(head + f" {'from':<6} {'last z':>7} {'out':>5} {'alarms':>6}  first alarm", file=out)
    for row in shadow.rows():
        f = _cells(row)
        print(
            f"{row['tag']:<18} {row['plant_samples']:>7} {row['residuals']:>7} {f('residual_mean')} "
            f"{f('reference_mean')} {f('reference_sigma')} {f('reference_lag1', '>6.2f')} "
            f"{row['reference_from'] or '-':<6} {f('last_z', '>7.1f')} {row['windows_out']:>5} "
            f"{row['alarms_raised']:>6}  {_iso(row['first_alarm_ns'])}",
            file=out,
        )
        if row["note"]:
            print(f"  {row['tag']}: {row['note']}", file=out)


def _cells(row: dict[str, Any]) -> Any:
    """A formatter of the row's numbers: ``f(key, spec)``, a dash for a missing one."""

    def f(key: str, spec: str = ">9.3g") -> str:
        value = row[key]
        return format(value, spec) if value is not None else format("-", spec.split(".")[0].rstrip("g"))

    return f


def _cmd_report(args: argparse.Namespace) -> int:
    from gmp_twin.setting_flags import settings_from

    settings = settings_from(args)
    shadow = asyncio.run(report(args, settings))
    if not shadow.tags:
        raise SystemExit(f"no plant or twin value of unit {args.unit!r} in the range")
    if args.json:
        doc = {
            "site": shadow.site,
            "unit": shadow.unit,
            "start": _iso(shadow.start_ns),
            "stop": _iso(shadow.stop_ns),
            "tags": shadow.rows(),
        }
        print(json.dumps(doc, ensure_ascii=False, indent=1))
    else:
        print_report(shadow)
    if args.csv:
        rows = _write_csv(Path(args.csv), shadow)
        print(f"{args.csv}: {rows} residual windows", file=sys.stderr)
    return 0


def _common(p: argparse.ArgumentParser) -> None:
    from gmp_twin.setting_flags import add_setting_flags

    add_setting_flags(p, {"plant", "historian", "seed", "run_id"})
    p.add_argument("--unit", required=True, help="the unit (its name in the historian and the plant file)")
    p.add_argument("--unit-type", help="its model type when the plant file has no unit of that name (e.g. mps_pa)")
    p.add_argument("--site", help="the plant's site in the historian (default: the plant file's)")
    p.add_argument("--tags", action="append", help="tags to predict and chart, comma-separated (default: "
                   "the unit's measurements and control-loop outputs)")  # fmt: skip
    p.add_argument("--window", help="residual window per chart point (default 10s)")
    p.add_argument("--settle", help="plant time after the start not charted while the twin catches up (default 5min)")
    p.add_argument("--reference", help="then this long gives each residual's centre and sigma (default 30min)")
    p.add_argument("--method", choices=("ewma", "shewhart", "cusum"), help="residual chart (default ewma)")
    p.add_argument("--arl0", type=float, help="in-control ARL of each tag's chart, in windows (default 20000)")


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``shadow run`` and ``shadow report``."""
    p = sub.add_parser("shadow", help="run a unit's twin in shadow beside its plant's data; residuals and alarms")
    cmds = p.add_subparsers(dest="shadow_command", required=True, metavar="{run,report}")

    r = cmds.add_parser("run", help="follow the plant live (or replay --from/--to), write the twin and its alarms")
    _common(r)
    r.add_argument("--from", dest="start", help="replay from this time (ISO 8601, UTC unless an offset is given)")
    r.add_argument("--to", dest="end", help="replay up to this time (excluded)")
    r.add_argument("--for", dest="duration", help="live: stop after this long (wall time), e.g. 8h")
    r.add_argument("--publish", help="grid of the twin's predictions (default 1s, or the model step if longer)")
    r.add_argument("--feed-outputs", action="store_true", help="also feed the control loops' outputs (open loop)")
    r.add_argument("--clear-after", help="an alarm clears after this long without a signal (default 2min)")
    r.add_argument("--hold", help="after an input change (setpoint, mode), charts held this long (default 1min)")
    r.add_argument("--poll", default="1s", help="live: how often the historian is read (default 1s)")
    r.add_argument("--chunk", default="10min", help="replay: plant time per round (default 10min)")
    r.set_defaults(handler=_cmd_run)

    q = cmds.add_parser("report", help="residuals, references, charts and alarms of a range, per tag")
    _common(q)
    q.add_argument("--from", dest="start", help="start (ISO 8601); default: --last before --to")
    q.add_argument("--to", dest="end", help="end (excluded); default: just after the unit's newest value")
    q.add_argument("--last", default="1h", help="without --from: this long up to --to (default 1h)")
    q.add_argument("--json", action="store_true", help="the table as JSON")
    q.add_argument("--csv", help="write the residual windows (time, tag, residual, chart) to this CSV file")
    q.set_defaults(handler=_cmd_report)
