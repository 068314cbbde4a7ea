"""``gmp-twin scenario list|validate|run`` and ``gmp-twin score``.

``scenario run`` plays a scenario headless as fast as possible with the live detectors and
writes the ground truth and the alarms to a JSON-lines file; ``score`` reads that file, or a
run's events from the historian (``--run RUN_ID``, the id ``gmp-twin run`` prints and writes
on every fault event; a classroom's run id covers every team plant), and reports detection
delays and false alarms, then the teams' and students' exercise scores
(:mod:`analytics.exercise_scoring`): as text, or as JSON with the detectors' keys and
``exercise`` (plus ``team_runs``, the detectors per team plant, for a classroom's run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from config_schema.files import ConfigError
from gmp_twin.cli_lang import add_lang_flag

DEFAULT_OUT = Path("data/runs")


def _plant_and_targets(plant_path: Path) -> tuple[Any, Any]:
    from twin.faults.manager import plant_targets
    from twin.plant import build_plant, load_plant, unit_steps
    from twin.runtime import TwinRuntime

    plant = load_plant(plant_path)
    runtime = TwinRuntime(build_plant(plant), unit_dt_s=unit_steps(plant))
    return plant, plant_targets(runtime)


def _cmd_list(args: argparse.Namespace) -> int:
    from twin.faults.scenarios import load_library

    _, targets = _plant_and_targets(args.plant)
    library = load_library(args.dir, targets)
    if args.json:
        print(json.dumps([s.summary(args.lang) for s in library.values()], indent=2, ensure_ascii=False))
        return 0
    from dashboard.i18n import fmt_number, t

    hidden = f" [{t('cli.hidden', args.lang)}]"
    for s in library.values():
        units = ", ".join(s.units)
        hours = fmt_number(s.duration_s / 3600, args.lang, 1, group=False)
        print(f"{s.name:32s} {hours:>6s} h  {units:28s} {getattr(s.title, args.lang)}{hidden if s.hidden else ''}")
    return 0


def _report_text(lang: str) -> dict[str, str]:
    """The score table's words in ``lang`` (analytics keeps English; the catalogue has both)."""
    from analytics.scoring import REPORT_TEXT
    from dashboard.i18n import t

    return {key: t(key, lang) for key in REPORT_TEXT}


def _cmd_validate(args: argparse.Namespace) -> int:
    from twin.faults.scenarios import load_scenario, scenario_files

    _, targets = _plant_and_targets(args.plant)
    files = args.files or scenario_files(args.dir)
    if not files:
        raise ConfigError(f"no scenario files in {args.dir}")
    errors = []
    for path in files:
        try:
            load_scenario(path, targets)
            print(f"ok  {path}")
        except ConfigError as exc:
            errors.append(str(exc))
    if errors:
        raise ConfigError("\n".join(errors))
    return 0


def _resolve(name_or_path: str, directory: Path) -> Path:
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml"):
        return path
    candidate = directory / f"{name_or_path}.yaml"
    if not candidate.is_file():
        names = ", ".join(p.stem for p in sorted(directory.glob("*.yaml")))
        raise ConfigError(f"no scenario {name_or_path!r} in {directory}; scenarios: {names}")
    return candidate


def _cmd_run(args: argparse.Namespace) -> int:
    from analytics.detectors import load_detectors
    from analytics.scoring import format_report, score_events
    from gmp_twin.playback import play
    from twin.faults.scenarios import load_scenario

    plant, targets = _plant_and_targets(args.plant)
    scenario = load_scenario(_resolve(args.scenario, args.dir), targets)
    detectors = None
    if args.detectors is not None and Path(args.detectors).exists():
        units = {name: list(u.tags) for name, u in targets.units.items()}
        detectors = load_detectors(args.detectors, units)

    def progress(fraction: float) -> None:
        if sys.stderr.isatty():
            print(f"\r{scenario.name}: {fraction:6.1%}", end="", file=sys.stderr, flush=True)

    result = play(scenario, plant, detectors, seed=args.seed, progress=progress)
    out = args.out or DEFAULT_OUT / f"{result.run_id}.jsonl"
    result.write(out)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    print(
        f"{scenario.name}: {result.sim_s / 3600:.2f} h simulated in {result.wall_s:.1f} s "
        f"({result.speedup:,.0f}x); {len(result.events)} events -> {out}",
        file=sys.stderr,
    )
    report = score_events(result.events, grace_s=args.grace, window_s=args.window)
    print(json.dumps(report, indent=2) if args.json else format_report(report, _report_text(args.lang)))
    return 0


def _cmd_score(args: argparse.Namespace) -> int:
    from analytics.exercise_scoring import format_teams, score_exercise
    from analytics.scoring import format_report, score_events
    from gmp_twin.playback import read_events

    if args.file:
        events = read_events(args.file)
    else:
        events = asyncio.run(_historian_events(args.historian, args.run, args.days))
        if not any(args.run in (p.fields.get("run_id"), p.fields.get("class_run")) for p in events):
            raise ConfigError(
                f"no events of run {args.run!r} in {args.historian} over the last {args.days:g} days; "
                "the run id is printed by `gmp-twin run` and shown on the instructor console"
            )
    report = score_events(events, grace_s=args.grace, run_id=args.run, window_s=args.window)
    # A classroom's run: each team plant's detectors are scored on that team's own run.
    team_runs = {
        rid: score_events(team_events, grace_s=args.grace, run_id=rid, window_s=args.window)
        for rid, team_events in _team_runs(events, args.run).items()
    }
    exercise = score_exercise(events, run_id=args.run)
    if args.json:
        out = {**report, **({"team_runs": team_runs} if team_runs else {}), "exercise": exercise}
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return 0
    words = _report_text(args.lang)
    tables = [format_report(report, words)] if report["faults"] or not team_runs else []
    tables += [f"{rid}\n{format_report(r, words)}" for rid, r in team_runs.items()]
    print("\n\n".join([*tables, format_teams(exercise, _team_text(args.lang))]))
    return 0


def _team_text(lang: str) -> dict[str, str]:
    from analytics.exercise_scoring import TEAM_TEXT
    from dashboard.i18n import t

    return {key: t(key, lang) for key in TEAM_TEXT}


def _team_runs(events: list[Any], class_run: str | None) -> dict[str, list[Any]]:
    """The events of each team plant of classroom run ``class_run``, by team run id (their alarms by site)."""
    if not class_run:
        return {}
    runs: dict[str, list[Any]] = {}
    for p in events:
        rid = p.fields.get("run_id")
        if p.fields.get("class_run") == class_run and rid and rid != class_run:
            runs.setdefault(str(rid), [])
    out = {}
    for rid in sorted(runs):
        sites = {p.tags.get("site") for p in events if p.fields.get("run_id") == rid}
        out[rid] = [
            p
            for p in events
            if p.fields.get("run_id") == rid
            or (
                p.tags.get("kind", "").startswith("alarm_")
                and not p.fields.get("run_id")
                and p.tags.get("site") in sites
            )
        ]
    return out


async def _historian_events(url: str, run_id: str, days: float) -> list[Any]:
    from historian import open_historian

    now = time.time_ns()
    start = now - round(days * 86400e9)
    stop = now + round(60 * 86400e9)  # accelerated runs stamp events ahead of the wall clock
    async with open_historian(url) as historian:
        run_events = await historian.events(start, stop, kinds=None, limit=1_000_000)
    mine = [p for p in run_events if run_id in (p.fields.get("run_id"), p.fields.get("class_run"))]
    if not mine:
        return run_events
    first, last = mine[0].time_ns, max(p.time_ns for p in mine)
    # The run's window (plus the detectors' lag) holds its alarms, which carry no run id.
    return [p for p in run_events if first <= p.time_ns <= last + round(600e9)]


def register(sub: argparse._SubParsersAction) -> None:
    scen = sub.add_parser("scenario", help="training scenarios: list, validate, run headless")
    scen_sub = scen.add_subparsers(dest="scenario_command", required=True, metavar="ACTION")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--plant", type=Path, default=Path("config/plant.yaml"), help="plant file")
    common.add_argument("--dir", type=Path, default=Path("config/scenarios"), help="scenario library")
    add_lang_flag(common)

    ls = scen_sub.add_parser("list", parents=[common], help="the scenario library")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(handler=_cmd_list)

    val = scen_sub.add_parser("validate", parents=[common], help="check scenario files against the plant")
    val.add_argument("files", nargs="*", type=Path, help="files (default: the whole library)")
    val.set_defaults(handler=_cmd_validate)

    run = scen_sub.add_parser("run", parents=[common], help="play a scenario headless, accelerated, and score it")
    run.add_argument("scenario", help="scenario name (from --dir) or a .yaml file")
    run.add_argument("--detectors", type=Path, default=Path("config/detectors.yaml"), help="detectors file")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--out", type=Path, help="events file (default data/runs/<run id>.jsonl)")
    run.add_argument("--grace", type=float, default=120.0, help="seconds after a fault ends that still count")
    run.add_argument("--window", type=float, default=10.0, help="detector averaging window, seconds (early stamp)")
    run.add_argument("--json", action="store_true", help="print the score as JSON")
    run.set_defaults(handler=_cmd_run)

    score = sub.add_parser(
        "score", help="a scenario run's detectors (delays, false alarms) and its teams' exercise scores"
    )
    score.add_argument("--run", help="run id (events in the historian, or a filter on --file)")
    score.add_argument("--file", type=Path, help="events file from `gmp-twin scenario run`")
    score.add_argument("--historian", default="sqlite:///data/gmp-twin.sqlite", help="historian URL")
    score.add_argument("--days", type=float, default=30.0, help="how far back to look for the run")
    score.add_argument("--grace", type=float, default=120.0, help="seconds after a fault ends that still count")
    score.add_argument("--window", type=float, default=10.0, help="detector averaging window, seconds (early stamp)")
    score.add_argument("--json", action="store_true")
    add_lang_flag(score)
    score.set_defaults(handler=_check_score)


def _check_score(args: argparse.Namespace) -> int:
    if not args.run and not args.file:
        raise ConfigError("score: give --run RUN_ID (events in the historian) or --file EVENTS.jsonl")
    return _cmd_score(args)
