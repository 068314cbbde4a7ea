"""Benchmarks (``make bench``). Each ``bench/bench_*.py`` has ``run(quick: bool) -> dict``."""
