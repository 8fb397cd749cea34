"""Glossaries at newsroom scale (issue 10): synthetic 10,000- and 100,000-term glossary files
(German compounds, adjective phrases, "X für Y" phrases and hyphenated compounds; some with
an English plural, a note, gender and part of speech, forbidden wordings, comments between
sections) in a temporary terms folder, and per size:

- cold load: a fresh process with nothing cached builds a TranslationService (fake engine:
  the model is beside the point) and translates two sentences with the glossary; the time
  from before the service is built to the finished translation, imports excluded;
- warm load: the same in another fresh process, the file unchanged since the cold one;
- peak RSS of the cold and the warm process (the kernel's maximum resident set size);
- `glossary find` on the command line, wall time of the whole process (interpreter start and
  imports included), cold (nothing cached) and warm (file unchanged since the cold run);
- one-term edit of a copy of the file: `termedit.add_term` reading the file itself, and the
  median of five edits (add, update, remove) made from the glossary already loaded, as the
  page, the API and the CLI make them.

Every measurement runs in a subprocess of its own, so neither time nor memory carries over.
Goals (issue 10, 100,000 terms, 2 cores): cold ≤ 2 s, warm ≤ 0.2 s, ≤ 300 MB RSS, one edit
≤ 0.2 s. Run: `python -m bench.bench_scale [--sizes 10000,100000]`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
NAME = "big"

_ENGLISH = (
    "policy",
    "council",
    "treaty",
    "ruler",
    "market",
    "border",
    "tax",
    "court",
    "office",
    "union",
    "reform",
    "crisis",
    "alliance",
    "agency",
    "budget",
    "ministry",
    "summit",
    "envoy",
    "sanction",
    "regime",
    "pension",
    "levy",
    "tariff",
    "charter",
)
_NOTES = (
    "Desk usage since 2023",
    "Only in economic coverage",
    "Prefer the short form in headlines",
    "Used by the agency wire",
    "Not for quotes from officials",
)
_POS = ("noun", "noun", "noun", "phrase", "adjective")


def _sources(size: int, rng: random.Random) -> list[str]:
    from bench.bench_match import _term_source
    from glossary.termrules import duplicate_key

    seen: set[str] = set()
    out: list[str] = []
    while len(out) < size:
        source = _term_source(rng)
        key = duplicate_key(source, case_sensitive=False)
        if key not in seen:
            seen.add(key)
            out.append(source)
    return out


def glossary_yaml(size: int, seed: int = 7) -> tuple[str, list[str]]:
    """(the file's text, the sources in order)."""
    rng = random.Random(seed)
    sources = _sources(size, rng)
    lines = [
        f"# Synthetic glossary of {size:,} terms (bench/bench_scale.py).",
        "source_language: de",
        "target_language: en",
        f"name: Synthetic {size:,}",
        "terms:",
    ]
    for i, source in enumerate(sources):
        if i % 500 == 0:
            lines.append(f"  # --- section {i // 500 + 1} " + "-" * 40)
        words = [rng.choice(_ENGLISH) for _ in range(1 + (" " in source or "-" in source))]
        target = " ".join(words) + f" {i}"
        lines += [f"  - source: {source}", f"    target: {target}"]
        if rng.random() < 0.25:
            lines.append(f"    target_plural: {' '.join(words)}s {i}")
        if rng.random() < 0.05:
            lines.append(f"    forbidden: [{words[0]}-{i}]")
        if rng.random() < 0.15:
            lines.append(f'    note: "{rng.choice(_NOTES)}"')
        if rng.random() < 0.5:
            lines.append(f"    pos: {rng.choice(_POS)}")
        if " " not in source and rng.random() < 0.5:
            lines.append(f"    gender: {rng.choice('mfn')}")
    return "\n".join(lines) + "\n", sources


def sample_text(sources: list[str], seed: int = 11) -> str:
    rng = random.Random(seed)
    picked = rng.sample(sources, 6)
    return (
        f"Der Bericht über {picked[0]} und {picked[1]} erschien gestern. "
        f"Nach {picked[2]} kam {picked[3]}, dann {picked[4]} und {picked[5]}.\n"
    )


# --- children: each measurement in a fresh process --------------------------------------------


def _child_translate(terms_dir: Path, state_dir: Path, text: str) -> dict[str, Any]:
    from glossary.config import Settings
    from glossary.service import TranslationService
    from tests.fakes import UppercaseEngine

    class Registry:
        def get(self, from_code: str, to_code: str) -> UppercaseEngine:
            return UppercaseEngine(from_code, to_code)

    empty = state_dir / "none"
    settings = Settings(
        packages_dir=empty,
        downloads_dir=empty,
        index_url="",
        terms_dir=terms_dir,
        state_dir=state_dir,
    )
    start = time.perf_counter()
    service = TranslationService(settings, engines=Registry())  # type: ignore[arg-type]
    result = service.translate(text, "de", "en", [NAME], mode="replace")
    seconds = time.perf_counter() - start
    cache = getattr(service, "cache", None)  # the disk cache, where this version has one
    if cache is not None:
        cache.flush()  # its writes finish before the process ends (not timed)
    return {"seconds": seconds, "terms": len(result.terms)}


def _child_edit(path: Path) -> dict[str, Any]:
    """One add_term that reads the file itself, then the median of five edits (add, update,
    remove) as the page, the API and the CLI make them: from the copy already loaded."""
    from glossary.term import Term
    from glossary.termedit import add_term, remove_term, update_term
    from glossary.termload import load_glossary, revision_of

    start = time.perf_counter()
    glossary = add_term(
        path,
        Term("Zwölftonmusikbegeisterung", "twelve-tone zeal"),
        revision=revision_of(path.read_bytes()),
    )
    alone = time.perf_counter() - start
    size = len(glossary.terms)
    glossary = load_glossary(path)
    middle = glossary.terms[len(glossary.terms) // 2].source
    edits = [
        lambda g: add_term(
            path, Term("Kernfusionsforschung", "fusion research"), revision=g.revision, base=g
        ),
        lambda g: update_term(path, middle, Term(middle, "renamed"), revision=g.revision, base=g),
        lambda g: remove_term(path, "Kernfusionsforschung", revision=g.revision, base=g),
        lambda g: update_term(path, middle, Term(middle, "again"), revision=g.revision, base=g),
        lambda g: add_term(
            path, Term("Kernfusionsforschung", "fusion research"), revision=g.revision, base=g
        ),
    ]
    times = []
    for edit in edits:
        start = time.perf_counter()
        glossary = edit(glossary)
        times.append(time.perf_counter() - start)
    return {"seconds": alone, "loaded": statistics.median(times), "terms": size}


def _child(argv: list[str]) -> None:
    kind, *rest = argv
    if kind == "translate":
        terms_dir, state_dir, text_file = map(Path, rest)
        out = _child_translate(terms_dir, state_dir, text_file.read_text(encoding="utf-8"))
    else:
        out = _child_edit(Path(rest[0]))
    print(json.dumps(out), flush=True)
    os._exit(0)  # no waiting for the scheduler's threads


def _run(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in MB, stdout) of a child process."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        if process.returncode != 0:
            raise RuntimeError(f"{command} failed: {err.read().decode()[-2000:]}")
        return wall, usage.ru_maxrss / 1024, out.read().decode()


def measure(size: int, root: Path) -> list[str]:
    text, sources = glossary_yaml(size)
    terms_dir, state_dir = root / f"terms-{size}", root / f"state-{size}"
    terms_dir.mkdir()
    path = terms_dir / f"{NAME}.yaml"
    path.write_text(text, encoding="utf-8")
    old = time.time() - 60  # not "written within the clock's granularity"
    os.utime(path, (old, old))
    text_file = root / "text.txt"
    text_file.write_text(sample_text(sources), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO), "GLOSSARY_TERMS_DIR": str(terms_dir)}
    child = [sys.executable, "-m", "bench.bench_scale", "--child"]

    loads = []
    for _ in ("cold", "warm"):
        _, rss, out = _run(
            [*child, "translate", str(terms_dir), str(state_dir), str(text_file)], env
        )
        result = json.loads(out)
        assert result["terms"] >= 6, result  # the glossary was really used
        loads.append((result["seconds"], rss))

    cli = []
    cli_state = root / f"cli-state-{size}"
    cli_state.mkdir()  # the CLI caches only in a state folder that exists
    for _ in ("cold", "warm"):
        wall, rss, out = _run(
            [sys.executable, "-m", "glossary.cli", "find", str(text_file), "--glossary", str(path)],
            {**env, "GLOSSARY_STATE_DIR": str(cli_state)},
        )
        assert len(json.loads(out)) >= 6
        cli.append((wall, rss))

    copy = root / f"edit-{size}" / f"{NAME}.yaml"
    copy.parent.mkdir()
    shutil.copy(path, copy)
    _, _, out = _run([*child, "edit", str(copy)], env)
    edit = json.loads(out)
    assert edit["terms"] == size + 1

    return [
        f"{size:,}",
        f"{os.path.getsize(path) / 1e6:.1f}",
        f"{loads[0][0]:.2f}",
        f"{loads[1][0]:.2f}",
        f"{loads[0][1]:.0f} / {loads[1][1]:.0f}",
        f"{cli[0][0]:.2f} / {cli[1][0]:.2f}",
        f"{cli[0][1]:.0f} / {cli[1][1]:.0f}",
        f"{edit['seconds']:.2f} / {edit['loaded']:.3f}",
    ]


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        _child(argv[1:])
        return
    from bench.common import print_table

    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_scale",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--sizes", default="10000,100000")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        rows = [measure(int(size), Path(tmp)) for size in args.sizes.split(",")]
    print_table(
        f"Glossaries at scale ({os.cpu_count()} cores; goals at 100k: cold ≤ 2 s, warm ≤ 0.2 s, "
        "≤ 300 MB, edit ≤ 0.2 s)",
        [
            "terms",
            "file MB",
            "cold load s",
            "warm load s",
            "peak RSS MB cold / warm",
            "`glossary find` s cold / warm",
            "find RSS MB cold / warm",
            "one edit s: file read / loaded",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
