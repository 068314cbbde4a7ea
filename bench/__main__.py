"""Run benchmarks and print one JSON document: ``{"<name>": {...}, ...}``.

Usage: ``python -m bench [NAME ...] [--quick]``. Names are the ``bench_<name>.py`` modules.
Benchmarks report measured figures and, where a target exists, ``target`` and ``pass``
so a script can compare runs; they never fail the process on a missed target.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
import time

import bench


def main(argv: list[str] | None = None) -> int:
    names = sorted(m.name[6:] for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_"))
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", choices=[*names, []], help="benchmarks to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="fewer replications, for a smoke run")
    args = parser.parse_args(argv)
    out: dict[str, object] = {}
    for name in args.names or names:
        module = importlib.import_module(f"bench.bench_{name}")
        t0 = time.perf_counter()
        print(f"running bench {name} ...", file=sys.stderr, flush=True)
        result = module.run(quick=args.quick)
        result["wall_s"] = round(time.perf_counter() - t0, 2)
        out[name] = result
    json.dump(out, sys.stdout, indent=2, default=float)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
