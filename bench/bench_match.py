"""Term finding speed on synthetic German-like glossaries (1k to 100k terms) and a 10,000-word
text, median of 5 runs each: a matcher ready (terms grouped, nothing compiled: the matcher
compiles a term when a text first holds a word that may be its form), every term compiled,
the first search (which compiles what the text needs) and a search after it.

Targets (issue 3): a 100,000-term glossary compiles in < 5 s and is searched over 10,000
words in < 50 ms. Run: `python -m bench.bench_match [--sizes 1000,10000] [--repeat 5]`."""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable

from bench.common import print_table
from glossary.match import TermMatcher
from glossary.term import Term

_ONSETS = [
    "b",
    "br",
    "d",
    "f",
    "fl",
    "g",
    "gr",
    "h",
    "k",
    "kl",
    "kr",
    "l",
    "m",
    "n",
    "p",
    "pf",
    "r",
    "s",
    "sch",
    "schw",
    "st",
    "str",
    "t",
    "tr",
    "w",
    "z",
    "zw",
]
_VOWELS = ["a", "e", "i", "o", "u", "ä", "ö", "ü", "au", "ei", "ie", "eu"]
_CODAS = [
    "",
    "b",
    "ch",
    "cht",
    "d",
    "f",
    "g",
    "k",
    "l",
    "ld",
    "m",
    "n",
    "nd",
    "ng",
    "nk",
    "r",
    "rg",
    "rt",
    "s",
    "ss",
    "st",
    "t",
    "tz",
]
_NOUN_ENDINGS = [
    "",
    "",
    "",
    "ung",
    "heit",
    "schaft",
    "er",
    "e",
    "nis",
    "ismus",
    "um",
    "or",
    "tät",
    "ion",
    "el",
    "in",
    "ei",
    "ik",
]
_ADJ_SUFFIXES = ["isch", "lich", "ig", "bar", "sam"]
_PREPOSITIONS = ["für", "von", "gegen", "mit", "ohne"]
_FILLER = (
    "der die das und in zu den nicht von sie ist des sich mit dem dass er es ein ich "
    "auf so eine auch als an nach wie im für man aber aus durch wenn nur war noch "
    "werden bei hat wir was wird sein einen welche sind oder zur um haben einer mir "
    "über ihm diese einem ihr uns da zum kann doch vor dieser mich ihn du hatte seine "
    "mehr am denn nun unter sehr selbst schon hier bis habe ihre dann ihnen seiner "
    "alle wieder meine zeit gegen vom ganz einzelnen wo muss ohne eines können sei"
).split()


def _stem(rng: random.Random) -> str:
    return "".join(rng.choice(part) for part in (_ONSETS, _VOWELS, _CODAS))


def _noun(rng: random.Random) -> str:
    parts = [_stem(rng) for _ in range(rng.choice((1, 2, 2, 3)))]
    return ("".join(parts) + rng.choice(_NOUN_ENDINGS)).capitalize()


def _term_source(rng: random.Random) -> str:
    shape = rng.random()
    if shape < 0.6:
        return _noun(rng)
    if shape < 0.8:
        return f"{_stem(rng)}{rng.choice(_ADJ_SUFFIXES)}er {_noun(rng)}"
    if shape < 0.9:
        return f"{_noun(rng)} {rng.choice(_PREPOSITIONS)} {_noun(rng)}"
    return f"{_noun(rng)}-{_noun(rng)}"


def glossary(size: int, seed: int = 7) -> list[Term]:
    rng = random.Random(seed)
    sources: dict[str, None] = {}
    while len(sources) < size:
        sources.setdefault(_term_source(rng))
    return [Term(source=s, target=f"t{i}") for i, s in enumerate(sources)]


def text(terms: list[Term], words: int = 10_000, seed: int = 11) -> str:
    """Filler words, random pseudo-words and glossary terms, some inflected."""
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < words:
        roll = rng.random()
        if roll < 0.55:
            out.append(rng.choice(_FILLER))
        elif roll < 0.75:
            out.append(_noun(rng) + rng.choice(("", "s", "en")))
        else:
            source = rng.choice(terms).source
            out.extend((source + rng.choice(("", "", "s", "e", "en", "n"))).split())
        if rng.random() < 0.07:
            out[-1] += rng.choice((".", ",", ":"))
    return " ".join(out[:words])


def _median_ms(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2] * 1000


def measure(size: int, repeat: int) -> list[str]:
    """One table row: compile and search times for a glossary of `size` terms."""
    terms = glossary(size)
    sample = text(terms)
    ready_ms = _median_ms(lambda: TermMatcher(terms), repeat)
    compile_ms = _median_ms(lambda: TermMatcher(terms).compile_all(), repeat)
    first_ms = _median_ms(lambda: TermMatcher(terms).find(sample), repeat)
    matcher = TermMatcher(terms)
    found = matcher.find(sample)
    search_ms = _median_ms(lambda: matcher.find(sample), repeat)
    return [
        f"{size:,}",
        f"{len(sample.split()):,}",
        f"{ready_ms:,.0f}",
        f"{compile_ms:,.0f}",
        f"{first_ms:,.0f}",
        f"{search_ms:.1f}",
        f"{len(found):,}",
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,3000,10000,30000,100000")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    rows = [measure(int(size), args.repeat) for size in args.sizes.split(",")]
    print_table(
        f"Term matching (median of {args.repeat}; targets at 100k: < 5,000 / < 50 ms)",
        [
            "terms",
            "text words",
            "ready ms",
            "compile all ms",
            "first search ms",
            "search ms",
            "occurrences",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
