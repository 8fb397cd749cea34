"""Sentences per second through our engine vs plain CTranslate2 called the way argostranslate
calls it, on the same package; batch sizes 1/8/32, beam 1 and 4.

The package has random weights (no real model can be downloaded here), so every output runs
to the length limit: absolute speeds are lower than with a real model; ratios carry over."""

from __future__ import annotations

import argparse
import os
from functools import partial

import ctranslate2

from bench.common import bench_package, median_time, print_table
from glossary.ct2engine import CTranslate2Engine, RuntimeOptions
from glossary.engine import DecodeOptions
from tests.modelkit import training_sentences


def plain_argos_style(package_dir: str, tokens: list[list[str]], beam: int, batch: int) -> None:
    translator = _translators.setdefault(
        package_dir, ctranslate2.Translator(package_dir, compute_type="auto", intra_threads=2)
    )
    longest = max(len(t) for t in tokens)
    translator.translate_batch(
        tokens, beam_size=beam, max_batch_size=batch, replace_unknowns=True,
        max_decoding_length=int(longest * 2) + 10,
    )


_translators: dict[str, ctranslate2.Translator] = {}


def argos_translate_status() -> str:
    try:
        import argostranslate.translate  # noqa: F401
    except Exception as exc:  # report whatever stops it, it is the finding
        return f"argostranslate.translate cannot run here: {type(exc).__name__}: {exc}"
    return "argostranslate.translate imports (not benchmarked: its splitter needs the network)"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=["tiny", "base"], default="base")
    parser.add_argument("--sentences", type=int, default=64)
    args = parser.parse_args(argv)
    package = bench_package(args.model)
    engine = CTranslate2Engine(package, RuntimeOptions(intra_threads=2))
    sentences = training_sentences(args.sentences, seed=3)
    tokens = [engine.encode_source(s) for s in sentences]
    rows = []
    for beam in (1, 4):
        for batch in (1, 8, 32):
            options = DecodeOptions(beam_size=beam, max_batch_size=batch)
            ours = median_time(partial(engine.translate_batch, sentences, None, options))
            plain = median_time(
                partial(plain_argos_style, str(package.model_dir), tokens, beam, batch))
            rows.append((beam, batch, f"{len(sentences) / ours:.1f}",
                         f"{len(sentences) / plain:.1f}", f"{plain / ours:.2f}"))
    print_table(
        f"Engine throughput, {args.model} model, {len(sentences)} sentences, "
        f"{os.cpu_count()} cores (sentences/s, median of 3)",
        ["beam", "batch", "ours", "plain CTranslate2", "ours/plain"], rows,
    )
    print(argos_translate_status())


if __name__ == "__main__":
    main()
