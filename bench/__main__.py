"""`make bench`: every benchmark, one table each."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = [
    "bench.bench_engine",
    "bench.bench_pipeline",
    "bench.bench_match",
    "bench.bench_service",
    "bench.bench_terms",
    "bench.bench_load",
    "bench.bench_scale",
    "bench.bench_documents",
]


def main() -> None:
    for name in BENCHMARKS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            print(f"\n{name}: not available ({exc})", file=sys.stderr)
            continue
        module.main([])


if __name__ == "__main__":
    main()
