"""The glossary's cost: the article through plain CTranslate2, through our pipeline without a
glossary, and with 55 (the curated terms/de-en.yaml), 100 and 10,000 terms, in constrain and
replace mode, on the base-size package (random weights; see bench_engine's docstring)."""

from __future__ import annotations

import argparse
import os
from dataclasses import replace
from functools import partial
from pathlib import Path

import ctranslate2

from bench.bench_match import glossary as synthetic_terms
from bench.common import bench_package, median_time, print_table
from glossary.ct2engine import CTranslate2Engine, RuntimeOptions
from glossary.enforce import Mode
from glossary.engine import DecodeOptions
from glossary.match import TermMatcher
from glossary.pipeline import Pipeline, segments_of
from glossary.term import Term
from glossary.termload import load_glossary

REPO = Path(__file__).resolve().parents[1]
ARTICLE = REPO.parent / "shared" / "seed" / "article-de.txt"


def terms_of_size(size: int) -> list[Term]:
    curated = list(load_glossary(REPO / "terms" / "de-en.yaml").terms)
    if size <= len(curated):
        return curated[:size]
    extra = [replace(t, source=f"{t.source}x") for t in synthetic_terms(size - len(curated))]
    return curated + extra


def plain(translator: ctranslate2.Translator, engine: CTranslate2Engine, text: str) -> None:
    sentences = [s.text for s in segments_of(text, "de")]
    tokens = [engine.encode_source(s) for s in sentences]
    results = translator.translate_batch(tokens, beam_size=4, max_batch_size=32)
    [engine.detokenize(r.hypotheses[0]) for r in results]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=["tiny", "base"], default="base")
    args = parser.parse_args(argv)
    package = bench_package(args.model)
    engine = CTranslate2Engine(package, RuntimeOptions(intra_threads=2))
    translator = ctranslate2.Translator(str(package.model_dir), intra_threads=2)
    text = ARTICLE.read_text(encoding="utf-8")
    count = len(segments_of(text, "de"))
    options = DecodeOptions(beam_size=4, max_batch_size=32)
    base = median_time(partial(plain, translator, engine, text))
    rows: list[tuple[object, ...]] = [
        ("plain CTranslate2", "-", "-", f"{base * 1000:.0f}", f"{count / base:.1f}", "1.00")
    ]
    modes: tuple[Mode, ...] = ("constrain", "replace")
    configs: list[tuple[int, Mode]] = [(0, "off")]
    configs += [(size, mode) for size in (55, 100, 10_000) for mode in modes]
    for size, mode in configs:
        matcher = TermMatcher(terms_of_size(size)) if size else None
        pipeline = Pipeline(engine, options, matcher=matcher, mode=mode)
        found = len(matcher.find(text)) if matcher else 0
        seconds = median_time(partial(pipeline.translate, text))
        rows.append(
            (
                "ours" if size else "ours, no glossary",
                size or "-",
                f"{mode} ({found})",
                f"{seconds * 1000:.0f}",
                f"{count / seconds:.1f}",
                f"{seconds / base:.2f}",
            )
        )
    print_table(
        f"The article ({count} sentences) through the pipeline, {args.model} model, beam 4, "
        f"{os.cpu_count()} cores (median of 3)",
        ["path", "terms", "mode (occurrences)", "ms", "sentences/s", "time / plain"],
        rows,
    )


if __name__ == "__main__":
    main()
