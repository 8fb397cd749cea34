"""Helpers shared by the benchmarks: a cached model package, timing, and table printing."""

from __future__ import annotations

import hashlib
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from glossary.packages import InstalledPackage, install_from_file, list_packages
from tests.modelkit import BASE, TINY, ModelShape, build_package

CACHE = Path(__file__).resolve().parents[1] / "var" / "bench"
SHAPES = {"tiny": TINY, "base": BASE}


def bench_package(kind: str) -> InstalledPackage:
    """A de→en package of the given size, built once and kept under var/bench/."""
    shape: ModelShape = SHAPES[kind]
    # The folder name carries the shape, so a changed shape is built anew.
    tag = hashlib.sha256(repr(shape).encode()).hexdigest()[:10]
    packages_dir = CACHE / f"{kind}-{tag}" / "packages"
    installed = list_packages(packages_dir)
    if installed:
        return installed[0]
    archive = build_package(packages_dir.parent, shape=shape)
    return install_from_file(packages_dir, archive)


def median_time(run: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [list(map(str, header))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    print(f"\n{title}")
    for n, row in enumerate(cells):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        if n == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
