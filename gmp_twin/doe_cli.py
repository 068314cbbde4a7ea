"""``gmp-twin doe``: a QbD design of experiments on a simulated unit, and its design space.

Example (the dryer's defaults, spelled out)::

    gmp-twin doe --unit dryer-1 --factors inlet_temperature=50:80,air_flow=200:450 --design ccd \\
        --responses drying_time,max_product_temperature,final_lod \\
        --spec 'drying_time<=30' --spec 'max_product_temperature<=40' --spec 'final_lod<=2.5' \\
        --probability 0.9 --verify 11 --out data/doe/dryer-1

What it does, and the files it writes: :mod:`gmp_twin.doe_study`, :mod:`analytics.doe_results`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from analytics.doe_design import DESIGNS, Factor
from analytics.doe_fit import MODELS
from analytics.doe_space import Spec, parse_spec
from config_schema.files import ConfigError
from gmp_twin.cli_lang import add_lang_flag
from gmp_twin.doe_units import UNIT_DOE, resolve_factor, unit_doe

__all__ = ["parse_factors", "register"]


def _number(text: str, flag: str, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{flag}: {what} {text!r} is not a number") from None


def parse_factors(text: str, unit_type: str) -> list[Factor]:
    """``name=low:high,...`` → factors, with the unit of what each acts on.

    >>> [(f.name, f.low, f.high, f.unit) for f in parse_factors("inlet_temperature=50:80", "fluid_bed_dryer")]
    [('inlet_temperature', 50.0, 80.0, '°C')]
    >>> parse_factors("inlet_temperature=50-80", "fluid_bed_dryer")
    Traceback (most recent call last):
    ...
    ValueError: --factors 'inlet_temperature=50-80': use name=low:high, e.g. inlet_temperature=50:80
    """
    out = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, eq, rng = part.partition("=")
        low, colon, high = rng.partition(":")
        if not (eq and colon and name.strip()):
            raise ValueError(f"--factors {part!r}: use name=low:high, e.g. inlet_temperature=50:80")
        d = resolve_factor(unit_type, name.strip())
        lo, hi = _number(low, "--factors", f"{name} low"), _number(high, "--factors", f"{name} high")
        try:
            out.append(Factor(name.strip(), lo, hi, d.unit))
        except ValueError as exc:
            raise ValueError(f"--factors: {exc}") from None
    if not out:
        raise ValueError("--factors: give at least one factor, e.g. inlet_temperature=50:80")
    return out


def _pairs(items: list[str] | None, flag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        for part in (p.strip() for p in item.split(",")):
            name, eq, value = part.partition("=")
            if not (eq and name.strip() and value.strip()):
                raise ValueError(f"{flag} {part!r}: use name=value")
            out[name.strip()] = value.strip()
    return out


def _specs(items: list[str] | None) -> list[Spec]:
    return [parse_spec(p) for item in items or [] for p in item.split(",") if p.strip()]


def build_study(args: argparse.Namespace) -> tuple[Any, str]:
    """The :class:`gmp_twin.doe_study.Study` of the command line, and the plant file's path."""
    from gmp_twin.doe_study import Study
    from twin.plant import load_plant

    plant = load_plant(args.plant)
    cfg = next((u for u in plant.units if u.name == args.unit), None)
    if cfg is None:
        raise ConfigError(f"{args.plant}: no unit named {args.unit!r}; units: {', '.join(u.name for u in plant.units)}")
    doe = unit_doe(cfg.type)
    factors = parse_factors(args.factors or doe.default_factors, cfg.type)
    responses = [r.strip() for r in (args.responses or ",".join(doe.default_responses)).split(",") if r.strip()]
    specs = _specs(args.spec)
    if not args.spec:  # the unit's example specs, for the responses studied
        specs = [s for s in _specs(list(doe.default_specs)) if s.response in responses]
    for s in specs:  # a spec on a response not listed: study it too
        if s.response not in responses:
            responses.append(s.response)
    transforms = _pairs(args.transform, "--transform")
    for name, how in transforms.items():
        if how not in ("log", "none"):
            raise ValueError(f"--transform {name}={how}: use log or none")
        if name not in responses:
            raise ValueError(f"--transform {name}: not among the responses ({', '.join(responses)})")
    held = {k: _number(v, "--hold", k) for k, v in _pairs(args.hold, "--hold").items()}
    jitter = {k: _number(v, "--jitter", k) for k, v in _pairs(args.jitter, "--jitter").items()}
    for name in jitter:
        if name not in [f.name for f in factors]:
            raise ValueError(f"--jitter {name}: not a factor ({', '.join(f.name for f in factors)})")
    axes = None
    if args.axes:
        parts = [a.strip() for a in args.axes.split(",")]
        if len(parts) != 2:
            raise ValueError(f"--axes {args.axes}: name two factors, e.g. --axes inlet_temperature,air_flow")
        axes = (parts[0], parts[1])
    from gmp_twin.simulate import parse_duration

    study = Study(
        unit_name=cfg.name,
        unit_type=cfg.type,
        factors=factors,
        responses=responses,
        specs=specs,
        params=dict(cfg.params),
        initial=dict(cfg.initial),
        design=args.design,
        center=args.center,
        levels=args.levels,
        resolution=args.resolution,
        runs=args.runs,
        model=None if args.model == "auto" else args.model,
        transforms=transforms,
        probability=args.probability,
        draws=args.draws,
        grid=args.grid,
        axes=axes,
        held=held,
        jitter=jitter,
        variability=args.variability,
        seed=args.seed,
        dt_s=args.dt,
        duration_s=parse_duration(args.duration) if args.duration else None,
        jobs=args.jobs,
        verify=args.verify,
    )
    return study, str(args.plant)


def _cmd_doe(args: argparse.Namespace) -> int:
    from gmp_twin.doe_report import summary_text, write_study
    from gmp_twin.doe_study import run_study

    study, plant = build_study(args)
    out = Path(args.out or f"data/doe/{study.unit_name}")

    def progress(stage: str, done: int, total: int) -> None:
        if not args.quiet and (done == total or done % max(1, total // 10) == 0):
            print(f"  {stage}: {done}/{total}", file=sys.stderr, flush=True)

    if not args.quiet:
        print(f"gmp-twin doe: {study.unit_name}, design {study.design}, {len(study.factors)} factors", file=sys.stderr)
    result = run_study(study, progress)
    summary = write_study(result, out, lang=args.lang, plant=plant)
    print(summary_text(summary, out, args.lang))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``doe`` command."""
    units = ", ".join(sorted(UNIT_DOE))
    p = sub.add_parser(
        "doe",
        help="design of experiments on a simulated unit: response surfaces and the QbD design space",
        description=(
            "Build a design, simulate its batches in parallel, fit response surfaces (coefficients, R², Q²) "
            "and compute the design space: where every CQA meets its spec with probability >= p, by Monte "
            f"Carlo over model and process uncertainty. Unit types: {units}."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "defaults per unit type:\n"
            + "\n".join(
                f"  {d.unit_type}: --factors {d.default_factors} --responses {','.join(d.default_responses)} "
                f"--spec {' --spec '.join(d.default_specs)}"
                for d in UNIT_DOE.values()
            )
        ),
    )
    p.add_argument("--plant", default="config/plant.yaml", help="plant file (default config/plant.yaml)")
    p.add_argument("--unit", required=True, help="unit name in the plant file, e.g. dryer-1 or bioreactor-1")
    p.add_argument(
        "--factors",
        help="name=low:high,... : a named factor ("
        + "; ".join(f"{d.unit_type}: {', '.join(d.factors)}" for d in UNIT_DOE.values())
        + "), a setpoint tag or a numeric parameter of the unit",
    )
    p.add_argument("--design", default="ccd", choices=list(DESIGNS), help="design (default ccd, face-centred)")
    p.add_argument("--center", type=int, help="centre points (default 3 for ff2/frac/ccd/ccc/cci/bbd)")
    p.add_argument("--levels", type=int, default=3, help="levels per factor of --design full (default 3)")
    p.add_argument("--resolution", type=int, default=4, help="resolution of --design frac (default 4)")
    p.add_argument("--runs", type=int, help="number of runs of --design lhs")
    p.add_argument("--responses", help="comma-separated: named responses or final:TAG, max:TAG, min:TAG, mean:TAG")
    p.add_argument(
        "--spec",
        action="append",
        metavar="SPEC",
        help="name<=v, name>=v or name=low:high (repeatable or comma-separated; default: the unit's example specs)",
    )
    p.add_argument(
        "--model", default="auto", choices=["auto", *MODELS], help="polynomial (default: largest the design fits)"
    )
    p.add_argument(
        "--transform",
        action="append",
        metavar="RESP=log|none",
        help="fit a response on a log scale or not (default log for "
        + ", ".join(r for d in UNIT_DOE.values() for r, spec in d.responses.items() if spec.log)
        + ")",
    )
    p.add_argument("--probability", type=float, default=0.9, help="required P(all CQAs in spec) (default 0.9)")
    p.add_argument("--draws", type=int, default=1000, help="Monte Carlo draws (default 1000)")
    p.add_argument("--grid", type=int, default=41, help="design-space grid points per axis (default 41)")
    p.add_argument("--axes", help="the two factors to plot (default: the first two)")
    p.add_argument(
        "--hold", action="append", metavar="NAME=VALUE", help="value of a factor not plotted (default: centre)"
    )
    p.add_argument(
        "--jitter",
        action="append",
        metavar="NAME=SD",
        help="SD of a factor around its setpoint on the plant (default per factor, e.g. inlet_temperature 0.5 °C)",
    )
    p.add_argument(
        "--variability",
        default="normal",
        choices=["normal", "none"],
        help="batch variability of the runs: normal (raw material, analyser error) or none (nominal process)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the runs' variability and the Monte Carlo (default 0)")
    p.add_argument(
        "--dt",
        type=float,
        help="model step, s (default: " + ", ".join(f"{d.unit_type} {d.dt_s:g}" for d in UNIT_DOE.values()) + ")",
    )
    p.add_argument(
        "--duration",
        help="longest batch, e.g. 3h or 230h (default: "
        + ", ".join(f"{d.unit_type} {d.duration_s / 3600:g}h" for d in UNIT_DOE.values())
        + ")",
    )
    p.add_argument("--jobs", type=int, help="worker processes (default: every core)")
    p.add_argument(
        "--verify",
        type=int,
        default=0,
        metavar="N",
        help="also simulate the nominal process on an N x N grid and compare its edge of failure with the model's",
    )
    p.add_argument("--out", help="result directory (default data/doe/<unit>)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    add_lang_flag(p)
    p.set_defaults(handler=_cmd_doe)
