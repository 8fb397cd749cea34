"""Sentences per second through our engine vs plain CTranslate2 and vs argostranslate's own
translate code, on the same package; batch sizes 1/8/32, beam 1 and 4.

The package has random weights (no real model can be downloaded here); a bias on </s> makes its
outputs about as long as their sources, as a real model's are. Wording is nonsense, so only
speed is comparable, and absolute figures are indicative of a base-size model, not exact."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from functools import partial

import ctranslate2

from bench.common import CACHE, bench_package, median_time, print_table
from glossary.ct2engine import CTranslate2Engine, RuntimeOptions
from glossary.engine import DecodeOptions
from glossary.packages import InstalledPackage
from tests.modelkit import training_sentences


def plain_ctranslate2(model_dir: str, tokens: list[list[str]], beam: int, batch: int) -> None:
    translator = _translators.get(model_dir)
    if translator is None:
        translator = ctranslate2.Translator(model_dir, compute_type="auto", intra_threads=2)
        _translators[model_dir] = translator
    # The same length cap as ours: random weights sometimes never end a sentence, and
    # without a cap one runaway output dominates the time.
    limit = int(max(len(t) for t in tokens) * 2) + 10
    translator.translate_batch(
        tokens,
        beam_size=beam,
        max_batch_size=batch,
        replace_unknowns=True,
        max_decoding_length=limit,
    )


_translators: dict[str, ctranslate2.Translator] = {}


def argos_seconds(package: InstalledPackage, sentences: list[str], beam: int) -> float | None:
    """Median seconds of argostranslate's own translate path (bench/argos_plain.py), in a
    process of its own because argos reads its settings at import."""
    home = CACHE / "argos-home"
    listing = home / "sentences.txt"
    home.mkdir(parents=True, exist_ok=True)
    listing.write_text("\n".join(sentences), encoding="utf-8")
    env = {
        **os.environ,
        "ARGOS_PACKAGES_DIR": str(package.path.parent),
        "XDG_DATA_HOME": str(home),
        "XDG_CONFIG_HOME": str(home),
        "XDG_CACHE_HOME": str(home),
        "ARGOS_BEAM_SIZE": str(beam),
        "ARGOS_INTRA_THREADS": "2",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bench.argos_plain", str(package.path.parent), str(listing), "3"],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    if done.returncode != 0:
        print(f"argostranslate did not run: {done.stderr.strip().splitlines()[-1:]}")
        return None
    return float(done.stdout.split()[0])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=["tiny", "base"], default="base")
    parser.add_argument("--sentences", type=int, default=64)
    args = parser.parse_args(argv)
    package = bench_package(args.model)
    engine = CTranslate2Engine(package, RuntimeOptions(intra_threads=2))
    sentences = training_sentences(args.sentences, seed=3)
    tokens = [engine.encode_source(s) for s in sentences]
    rows: list[tuple[object, ...]] = []
    for beam in (1, 4):
        for batch in (1, 8, 32):
            options = DecodeOptions(beam_size=beam, max_batch_size=batch)
            ours = median_time(partial(engine.translate_batch, sentences, None, options))
            plain = median_time(
                partial(plain_ctranslate2, str(package.model_dir), tokens, beam, batch)
            )
            rows.append(
                (
                    beam,
                    batch,
                    f"{len(sentences) / ours:.1f}",
                    f"{len(sentences) / plain:.1f}",
                    f"{plain / ours:.2f}",
                    "",
                )
            )
        argos = argos_seconds(package, sentences, beam)
        if argos is not None:
            rows.append((beam, "argos", "", "", "", f"{len(sentences) / argos:.1f}"))
    print_table(
        f"Engine throughput, {args.model} model, {len(sentences)} sentences, "
        f"{os.cpu_count()} cores (sentences/s, median of 3)",
        ["beam", "batch", "ours", "plain CTranslate2", "ours/plain", "argostranslate"],
        rows,
    )
    print(
        "argostranslate: its own translate code (batch_type=tokens, its default batch 32), "
        "with stanza/minisbd stubbed out and sentences split for it (bench/argos_plain.py)"
    )


if __name__ == "__main__":
    main()
