"""``gmp-twin golden``: build a unit's golden batch model, score a batch against it, show it.

``golden build`` simulates N reference batches of a unit of the plant file (seeds 1…N, each
with the normal raw-material and inoculum variability of :data:`gmp_twin.golden_batches.PROFILES`)
on every core, or reads recorded ones (CSV files of ``gmp-twin simulate``, or a historian
range), aligns them on maturity and stores the model (:mod:`analytics.golden`) in
``data/golden/<unit>.npz`` with a ``.json`` summary beside it. ``golden score`` runs one more
batch (another seed, optionally with a disturbance or parameter change) or reads a CSV, scores
it window by window as the live detector does, and says when it left the envelope. ``golden
show`` prints a model's summary.

Examples
--------
::

    gmp-twin golden build --unit bioreactor-1 --batches 30 --duration 230h
    gmp-twin golden build --unit dryer-1 --batches 30
    gmp-twin golden score --unit bioreactor-1 --seed 101 --disturbance feed_concentration=-0.2
    gmp-twin golden build --unit bioreactor-1 --from-csv runs/*.csv
    gmp-twin golden build --unit bioreactor-1 --historian sqlite:///data/gmp-twin.sqlite \\
        --start 2026-12-01T00:00Z --end 2026-12-20T00:00Z
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["register"]


def _pairs(items: list[str] | None, flag: str) -> dict[str, float]:
    out = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        try:
            if not sep:
                raise ValueError
            out[name.strip()] = float(value)
        except ValueError:
            raise ValueError(f"{flag} {item!r}: write name=value, e.g. {flag} feed_concentration=-0.2") from None
    return out


def _unit_cfg(args: argparse.Namespace) -> Any:
    from config_schema.files import ConfigError
    from gmp_twin.golden_batches import PROFILES
    from twin.plant import load_plant

    plant = load_plant(args.plant)
    by_name = {u.name: u for u in plant.units}
    if args.unit not in by_name:
        raise ConfigError(f"{args.plant}: no unit named {args.unit!r}; units: {', '.join(by_name)}")
    cfg = by_name[args.unit]
    if cfg.type not in PROFILES:
        raise ValueError(
            f"--unit {args.unit}: a golden batch is built for batch units ({', '.join(PROFILES)}), not {cfg.type}"
        )
    return plant, cfg


def _settings(args: argparse.Namespace, cfg: Any) -> dict[str, Any]:
    """Variables, maturity, window, batch length and model step from the flags and the unit's profile."""
    from gmp_twin.golden_batches import PROFILES
    from gmp_twin.simulate import parse_duration

    p = PROFILES[cfg.type]
    variables = [t.strip() for t in args.tags.split(",") if t.strip()] if args.tags else list(p.variables)
    window_s = parse_duration(args.window) if args.window else p.window_s
    duration_s = parse_duration(args.duration) if args.duration else p.duration_s
    dt_s = args.dt if args.dt else (cfg.dt_s or 1.0)
    if window_s < dt_s:
        raise ValueError(f"--window {window_s:g} s is shorter than the model step --dt {dt_s:g} s")
    return {"profile": p, "variables": variables, "window_s": window_s, "duration_s": duration_s, "dt_s": dt_s}


def _check_tags(cfg: Any, tags: list[str]) -> list[Any]:
    from twin.plant import build_unit

    specs = {s.name: s for s in build_unit(cfg).tag_specs()}
    unknown = [t for t in tags if t not in specs]
    if unknown:
        raise ValueError(f"--tags: {cfg.name} has no {', '.join(map(repr, unknown))}; tags: {', '.join(specs)}")
    return [specs[t] for t in tags]


def _progress(quiet: bool) -> Any:
    tty = sys.stderr.isatty()

    def show(done: int, total: int) -> None:
        if quiet:
            return
        if tty:
            print(f"\r  {done}/{total} batches", end="" if done < total else "\n", file=sys.stderr, flush=True)
        elif done == total or done % max(1, total // 5) == 0:
            print(f"  {done}/{total} batches", file=sys.stderr, flush=True)

    return show


def _cmd_build(args: argparse.Namespace) -> int:
    from analytics.golden import default_model_path
    from analytics.golden_build import build_model
    from gmp_twin.golden_batches import BatchSpec, simulate_many
    from gmp_twin.golden_sources import read_csv_batches, read_historian_batches

    _, cfg = _unit_cfg(args)
    s = _settings(args, cfg)
    p, variables = s["profile"], s["variables"]
    specs = _check_tags(cfg, variables)
    maturity = args.maturity or p.maturity
    tags = list(dict.fromkeys([*variables, maturity, p.clock[0], *([p.active[0]] if p.active else [])]))
    _check_tags(cfg, tags)
    noise = [sp.noise_sd if sp.kind == "measurement" else 0.0 for sp in specs]
    wall0 = time.perf_counter()
    if args.from_csv:
        batches = read_csv_batches(args.from_csv, tags, p.clock[0], s["window_s"])
        source: dict[str, Any] = {"source": "csv", "files": [str(f) for f in args.from_csv]}
    elif args.historian:
        from historian.export import parse_time

        if not (args.start and args.end):
            raise ValueError("--historian needs --start and --end (ISO 8601, e.g. 2026-12-01T00:00Z)")
        batches = read_historian_batches(
            args.historian, args.site, cfg.name, tags, p.clock[0], s["window_s"], parse_time(args.start),
            parse_time(args.end),
        )  # fmt: skip
        source = {"source": "historian", "url": args.historian, "start": args.start, "end": args.end}
    else:
        if args.batches < 3:
            raise ValueError(f"--batches {args.batches}: a golden batch needs at least 3 reference batches")
        seeds = list(range(args.seed, args.seed + args.batches))
        record_s = min(10.0, s["window_s"] / 4) if s["dt_s"] < 10.0 else s["dt_s"]
        jobs = [
            BatchSpec(cfg.model_dump(), seed, s["dt_s"], s["duration_s"], record_s, s["window_s"], tuple(tags),
                      vary=not args.no_variability)
            for seed in seeds
        ]  # fmt: skip
        workers = args.workers or os.cpu_count() or 1
        print(f"golden build: {len(jobs)} {cfg.name} batches, dt {s['dt_s']:g} s, {workers} processes", file=sys.stderr)
        batches = simulate_many(jobs, args.workers, _progress(args.quiet))
        source = {
            "source": "simulated",
            "seeds": [seeds[0], seeds[-1]],
            "dt_s": s["dt_s"],
            "duration_s": s["duration_s"],
            "variability": [] if args.no_variability else [v.describe() for v in p.variability],
        }
    sim_s = time.perf_counter() - wall0
    maturity_unit = args.maturity_unit if args.maturity else p.maturity_unit
    # The profile's tolerance is in its own maturity's unit: another maturity needs its own.
    tolerance = args.tolerance if args.tolerance is not None else (0.0 if args.maturity else p.tolerance)
    built = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    model = build_model(
        batches, unit=cfg.name, unit_type=cfg.type, variables=variables, units=[sp.unit for sp in specs],
        maturity=maturity, maturity_unit=maturity_unit, clock=p.clock, active=p.active,
        window_s=s["window_s"], noise_sd=noise, reading_s=args.reading_s, alpha=args.alpha,
        n_components=args.components, tolerance=tolerance, consecutive=args.consecutive,
        info={**source, "plant": str(args.plant), "built": built, "shown": [v for v in p.shown if v in variables]},
    )  # fmt: skip
    out = Path(args.out) if args.out else default_model_path(cfg.name)
    model.info["build_s"] = round(time.perf_counter() - wall0, 1)
    model.save(out)
    print(_summary(model, out), file=sys.stderr)
    print(
        f"{out}: {model.n_batches} batches in {sim_s:.1f} s, model in {model.info['build_s'] - sim_s:.1f} s",
        file=sys.stderr,
    )
    return 0


def _summary(model: Any, path: Path) -> str:
    info, mu = model.info, model.maturity_unit
    names = ", ".join(f"{v} [{u}]" if u else v for v, u in zip(model.variables, model.units, strict=True))
    t2_over, spe_over = 100 * info.get("reference_t2_over_limit", 0), 100 * info.get("reference_spe_over_limit", 0)
    lines = [
        f"{path}: golden batch of {model.unit} ({model.unit_type}), {model.n_batches} reference batches",
        f"  maturity {model.maturity} ({mu}) {model.grid[0]:.4g} to {model.grid[-1]:.4g}, "
        f"{len(model.grid)} points; windows of {model.window_s:g} s",
        f"  variables: {names}",
        f"  envelope: mean ±2σ/±{model.sigma_limit:g}σ; maturity tolerance ±{info.get('tolerance', 0):g} {mu}",
        f"  batch-level PCA: {model.n_components} component(s) by {info.get('components_rule')}; "
        f"T²/SPE limits per maturity at alpha = {model.alpha:g}, raised x{info.get('t2_limit_factor', 1):.3g} / "
        f"x{info.get('spe_limit_factor', 1):.3g} so that at most {100 * info.get('batch_alpha', 0):g} % of the "
        f"reference batches would alarm ({info.get('consecutive', 3)} points in a row)",
        f"  reference batches scored by models that left them out: T² over its limit in "
        f"{t2_over:.2f} % of points, SPE in {spe_over:.2f} %",
    ]
    return "\n".join(lines)


def _cmd_score(args: argparse.Namespace) -> int:
    import numpy as np

    from analytics.golden import GoldenModel, default_model_path
    from analytics.golden_build import window_means
    from analytics.golden_live import score_batch
    from gmp_twin.golden_batches import BatchSpec, run_batch

    model = GoldenModel.load(args.model or default_model_path(args.unit))
    if args.unit and args.unit != model.unit:
        raise ValueError(f"--unit {args.unit}: the model is the golden batch of {model.unit}")
    tags = model.watched()
    if args.csv:
        import pandas as pd

        frame = pd.read_csv(args.csv)
        missing = [t for t in ("time_s", *tags) if t not in frame.columns]
        if missing:
            raise ValueError(f"--csv {args.csv}: no column {', '.join(map(repr, missing))}")
        time_s, cols = frame["time_s"].to_numpy(float), {t: frame[t].to_numpy(float) for t in tags}
        what = str(args.csv)
    else:
        args.unit = model.unit
        _, cfg = _unit_cfg(args)
        from gmp_twin.simulate import parse_duration

        duration = parse_duration(args.duration) if args.duration else model.info.get("duration_s")
        dt_s = args.dt or float(model.info.get("dt_s") or cfg.dt_s or 1.0)
        spec = BatchSpec(
            cfg.model_dump(), args.seed, dt_s, duration, dt_s if dt_s >= 1.0 else 1.0, model.window_s, tuple(tags),
            params=_pairs(args.param, "--param"), disturbances=_pairs(args.disturbance, "--disturbance"), readings=True,
        )  # fmt: skip
        run = run_batch(spec)
        time_s, cols = run["time_s"], {t: run[t] for t in tags}
        what = f"seed {args.seed}" + "".join(f", {d}" for d in (args.disturbance or []) + (args.param or []))
    w = window_means(time_s, cols, model.window_s)
    active = np.array([model.is_active({t: float(w[t][i]) for t in tags}) for i in range(len(w["_t"]))])
    vals = np.column_stack([w[v] for v in model.variables])
    scores = score_batch(model, w[model.maturity], vals, n=w["_n"], active=active, consecutive=args.consecutive)
    result = _score_result(model, scores)
    result["batch"] = what
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        print(_score_text(model, result))
    return 0


def _score_result(model: Any, scores: list[Any]) -> dict[str, Any]:
    """First alarm per rule, alarm raises (an alarm is one run of alarmed windows), windows outside."""
    span = float(model.grid[-1] - model.grid[0]) or 1.0
    first: dict[str, float] = {}
    raises, prev, outside = 0, False, 0
    for s in scores:
        for r in s.rules:
            first.setdefault(r, s.maturity)
        raises += int(s.alarm and not prev)
        prev = s.alarm
        outside += int(bool(s.outside))
    left = min(first.values()) if first else None
    return {
        "windows": len(scores),
        "windows_outside": outside,
        "alarms": raises,
        "first_alarm": first,
        "left_envelope_at": left,
        "left_envelope_fraction": None if left is None else round((left - float(model.grid[0])) / span, 4),
        "maturity_unit": model.maturity_unit,
    }


def _score_text(model: Any, r: dict[str, Any]) -> str:
    u = r["maturity_unit"]
    if r["left_envelope_at"] is None:
        where = "stayed inside its golden envelope (no alarm)"
    else:
        rules = ", ".join(f"{k} at {v:.4g} {u}" for k, v in r["first_alarm"].items())
        where = (
            f"left its golden envelope at {r['left_envelope_at']:.4g} {u} "
            f"({100 * r['left_envelope_fraction']:.1f} % of the batch): {rules}"
        )
    return (
        f"{model.unit} {r['batch']}: {where}; {r['alarms']} alarm(s) by the rule "
        f"'3 windows in a row'; {r['windows_outside']} of {r['windows']} windows had a variable outside ±3σ"
    )


def _cmd_show(args: argparse.Namespace) -> int:
    from analytics.golden import GoldenModel, default_model_path

    path = Path(args.model) if args.model else default_model_path(args.unit)
    model = GoldenModel.load(path)
    print(_summary(model, path))
    if args.json:
        print(json.dumps(model.meta(), indent=1, default=float))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``golden`` command and its ``build``, ``score`` and ``show`` subcommands."""
    p = sub.add_parser("golden", help="golden batch: build a unit's envelope and batch-level model, score a batch")
    gsub = p.add_subparsers(dest="golden_cmd", required=True)

    b = gsub.add_parser("build", help="simulate (or read) reference batches and store the golden batch model")
    b.add_argument("--unit", required=True, help="a bioreactor or dryer unit of the plant file")
    b.add_argument("--plant", default="config/plant.yaml", help="plant file (default config/plant.yaml)")
    b.add_argument("--batches", type=int, default=30, help="reference batches to simulate (default 30)")
    b.add_argument("--seed", type=int, default=1, help="first batch seed (default 1: seeds 1..N)")
    b.add_argument("--duration", help="batch length, e.g. 230h (bioreactor default: 230h; dryer: to its end-point)")
    b.add_argument("--dt", type=float, help="model step, s (default: the unit's dt_s in the plant file)")
    b.add_argument("--window", help="window of the means, e.g. 300s (bioreactor 300s, dryer 20s)")
    b.add_argument("--tags", help="variables, comma-separated (default: the unit's CPPs and PAT CQAs)")
    b.add_argument("--maturity", help="maturity tag (default: batch_time or drying_time), e.g. feed_total")
    b.add_argument("--maturity-unit", default="", help="unit of --maturity, e.g. l")
    b.add_argument(
        "--tolerance",
        type=float,
        help="how early or late a good batch may be, maturity units (bioreactor 4 h, dryer 1 min)",
    )
    b.add_argument("--alpha", type=float, default=0.01, help="false-alarm rate of each T²/SPE limit point (0.01)")
    b.add_argument("--components", type=int, help="batch-level PCA components (default: by cross-validation)")
    b.add_argument("--consecutive", type=int, default=3, help="windows in a row for an alarm (default 3)")
    b.add_argument("--reading-s", type=float, default=1.0, help="seconds between two live readings (default 1)")
    b.add_argument("--no-variability", action="store_true", help="simulate every batch with the nominal parameters")
    b.add_argument("--workers", type=int, help="processes (default: every core)")
    b.add_argument("--from-csv", nargs="+", metavar="FILE", help="recorded batches (gmp-twin simulate CSV/Parquet)")
    b.add_argument("--historian", help="read recorded batches from this historian URL (with --start, --end)")
    b.add_argument("--site", help="historian site tag (default: any)")
    b.add_argument("--start", help="historian range start, ISO 8601")
    b.add_argument("--end", help="historian range end, ISO 8601")
    b.add_argument("--out", help="model file (default data/golden/<unit>.npz)")
    b.add_argument("--quiet", action="store_true", help="no progress")
    b.set_defaults(handler=_cmd_build)

    s = gsub.add_parser("score", help="score one batch (simulated or a CSV) against a golden batch model")
    s.add_argument("--unit", help="unit (default: the model's)")
    s.add_argument("--model", help="model file (default data/golden/<unit>.npz)")
    s.add_argument("--plant", default="config/plant.yaml", help="plant file (default config/plant.yaml)")
    s.add_argument("--seed", type=int, default=101, help="batch seed (default 101, not a reference seed)")
    s.add_argument("--duration", help="batch length (default: the reference batches')")
    s.add_argument("--dt", type=float, help="model step, s (default: the reference batches')")
    s.add_argument("--disturbance", action="append", help="name=value, e.g. feed_concentration=-0.2 (repeatable)")
    s.add_argument("--param", action="append", help="parameter override name=value, e.g. initial_lod_pct=24")
    s.add_argument("--csv", help="score this recorded batch instead (a gmp-twin simulate CSV)")
    s.add_argument("--consecutive", type=int, default=3, help="windows in a row for an alarm (default 3)")
    s.add_argument("--json", action="store_true", help="print the result as JSON")
    s.set_defaults(handler=_cmd_score)

    w = gsub.add_parser("show", help="print a golden batch model's summary")
    w.add_argument("--unit", help="unit (reads data/golden/<unit>.npz)")
    w.add_argument("--model", help="model file")
    w.add_argument("--json", action="store_true", help="also print its metadata as JSON")
    w.set_defaults(handler=_cmd_show)
