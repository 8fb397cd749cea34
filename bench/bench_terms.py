"""Terminology on real text: how often each mode puts the glossary's English into the
translation, and what that costs in quality (chrF, BLEU against human references), in damage
(glued fragments, doubled words) and in time. Runs the small trained de→en Argos package
(shared/models, or $GLOSSARY_TEST_MODEL, or --model) over the dev sets it never saw
(shared/eval-dev: Multi30k validation captions, Tatoeba sentences), one table per set.

How the term pairs are built (deterministic, nothing random, nothing tuned to the results)
------------------------------------------------------------------------------------------
Dictionary: Debian's Ding (package trans-de-en, GPL), read from /usr/share/trans/de-en and
never copied into this repository. Each line is `german | … :: english | …`; only the first
sub-entry of each side is used (the headword's singular sense). Annotations ({m}, [coll.],
(…), <…>, /abbr./) are stripped, `;` splits synonyms. German synonyms that are one word of at
least 4 letters and marked as a noun ({m}, {f}, {n}, {pl}) or an adjective ({adj}) become
headwords: closed classes ({art}, {pron}, {prp}, {num}…), adverbs and unmarked words are left
out (else the article entry "ein; eine {art} :: a; an" makes "eine → an" a term of nearly
every caption). Lines marked as verbs ({v}, {vi}, {vt}, {vr}, or an English side "to …") are
skipped. The English synonyms that are single alphabetic words form the
line's *synonym group* (lowercased unless Ding only ever writes the word capitalised). A
headword keeps one group per line (its senses), in dictionary order.

Natural terms: for each dev pair, German tokens are tried in order, capitalised words that do
not start the sentence first (nouns, the safest), then the rest. A token's candidate headwords
are the token and the token less a German ending (-e -n -en -er -es -s -ern -nen -ens -em),
each also with its umlauts undone and, at the sentence start, lowercased; a candidate counts
only if it is a Ding headword and `TermMatcher([Term(headword, …)]).find(source)` finds it at
exactly that token. Its English is the first synonym, over its groups in order, that the
reference contains as a whole word (singular or `pluralize` form, case-insensitive). At most
2 terms per sentence, with distinct headwords and distinct English. The set's glossary maps
each headword to the English chosen for it most often (ties: alphabetical); it is always
built from the whole set, so --limit only shortens the run.

Forced terms: for each natural glossary term g → e, the first synonym e' in the first Ding
group of g that holds e and has one such that e' ≠ e, neither contains the other and neither
is the other's plural. The glossary is g → e'; the forced reference is the reference with e
(and its plural) replaced by e' (and pluralize(e')) for the terms that occur in the source,
all at once (so a glossary that swaps two words swaps them), keeping the first letter's case
and fitting a preceding "a"/"an". Terms without such an e' are left out.

What is measured
----------------
A sentence *agrees* when the glossary matcher finds at least one term in it and the reference
holds each found term's English (singular or plural) at least as often as it is required
(terms that share an English word share its renderings).
Occurrences, term success, report success, chrF and BLEU (sacrebleu corpus scores) are over the
agreeing sentences. Term success is measured on the output, independently of the pipeline's
report: per occurrence, a whole-word rendering (singular or plural, case-insensitive) must be
there, one per occurrence of that English. Report success is the share the report calls
kept/enforced; above term success, the report claims renderings that are not there. Glued
fragments, doubled words and echoes are counted over every sentence with a term occurrence:
- glued: an output word that starts with a term's English but is longer and is no English
  word, or a non-word right after a term rendering; the vocabulary is Ding's English side,
  every reference word and the words of the off-mode outputs (so only new junk counts);
- doubled: adjacent identical words ("hat hat");
- echoes (forced only): the natural English e within 2 words after a rendering of e'.
Seconds: one run of each mode over the whole set (all sentences, joined as paragraphs), with
its matcher; "off" still matches and reports. The table also times the set without a
glossary. The pairs are cached as JSON under var/bench/, keyed by a hash of the inputs.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import json
import os
import re
import shutil
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, cast

import sacrebleu

from bench.common import CACHE, print_table
from glossary.ct2engine import CTranslate2Engine, RuntimeOptions
from glossary.enforce import MODES, Mode
from glossary.english import capitalize_first, find_phrase, pluralize
from glossary.match import Occurrence, TermMatcher
from glossary.packages import InstalledPackage, install_from_file, list_packages
from glossary.pipeline import Pipeline
from glossary.report import TermReport
from glossary.term import Term

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DING = Path("/usr/share/trans/de-en")
DEV = SHARED / "eval-dev"
SETS = {"m30k": "m30k_val", "tatoeba": "tatoeba_valid"}
DEFAULT_MODEL = Path(
    os.environ.get("GLOSSARY_TEST_MODEL")
    or SHARED / "models" / "translate-de_en-trained_small-0_1.argosmodel"
)
# Part of the cache key: bump when the way pairs are built changes.
BUILD_VERSION = "2"
# The matcher and the English forms decide which pairs are found, so their code is hashed too.
KEY_CODE = ("glossary/match.py", "glossary/english.py", "glossary/term.py")
TERMS_PER_SENTENCE = 2
SETTINGS = ("natural", "forced")

# -- Ding ----------------------------------------------------------------------------------

_BRACKETS = re.compile(r"\{[^{}]*\}|\[[^\[\]]*\]|\([^()]*\)|<[^<>]*>")
_SLASHED = re.compile(r"(?<!\S)/[^/]+/(?!\S)")
_VERB_MARK = re.compile(r"\{v[irt]*\}")
# A noun (gender or plural mark, "{m,f}" too) or an adjective; closed classes ({art}, {pron},
# {prp}, {conj}, {num}), adverbs and unmarked phrases are left out.
_CONTENT_MARK = re.compile(r"\{(?:[mfn](?:,[mfn])?|pl|adj)\}")
_GERMAN_WORD = re.compile(r"[^\W\d_]{4,}")
_LETTERS = re.compile(r"[^\W\d_]+")
_ENDINGS = ("e", "n", "en", "er", "es", "s", "ern", "nen", "ens", "em")
_UMLAUTS = str.maketrans("äöüÄÖÜ", "aouAOU")
# Pieces of English contractions and possessives, which the word regex splits off.
_CLITICS = frozenset(["s", "t", "d", "ll", "m", "re", "ve"])


def _split_top(text: str) -> list[str]:
    """A field's synonyms: split at the `;` that are outside brackets."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char in "([{<":
            depth += 1
        elif char in ")]}>":
            depth = max(depth - 1, 0)
        elif char == ";" and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


def _strip(text: str) -> str:
    """One Ding field without its annotations, whitespace normalised."""
    previous = None
    while previous != text:  # nested brackets go from the inside out
        previous, text = text, _BRACKETS.sub(" ", text)
    return " ".join(_SLASHED.sub(" ", text).split())


@dataclass
class Ding:
    groups: list[tuple[str, ...]]  # per line: its English single-word synonyms
    senses: dict[str, list[int]]  # German headword → its groups, in dictionary order
    vocabulary: set[str]  # every lowercased word on Ding's English side


def parse_ding(path: Path) -> Ding:
    raw: list[tuple[list[str], list[str]]] = []
    vocabulary: set[str] = set()
    lowercase: set[str] = set()
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("#") or " :: " not in line:
                continue
            german, _, english = line.rstrip("\n").partition(" :: ")
            vocabulary.update(_LETTERS.findall(english.lower()))
            de_first, en_first = german.split("|", 1)[0], english.split("|", 1)[0]
            if _VERB_MARK.search(de_first):
                continue
            en_alts = [a.strip() for a in _strip(en_first).split(";")]
            if any(a.lower().startswith("to ") for a in en_alts):
                continue
            heads = [
                g
                for a in _split_top(de_first)
                if _CONTENT_MARK.search(a) and _GERMAN_WORD.fullmatch(g := _strip(a))
            ]
            english_words = [a for a in en_alts if a.isalpha() and len(a) >= 2]
            lowercase.update(a for a in english_words if a.islower())
            if heads and english_words:
                raw.append((heads, english_words))
    groups: list[tuple[str, ...]] = []
    senses: dict[str, list[int]] = defaultdict(list)
    for heads, english_words in raw:
        cased = [w.lower() if w.lower() in lowercase else w for w in english_words]
        groups.append(tuple(dict.fromkeys(cased)))
        for head in dict.fromkeys(heads):
            senses[head].append(len(groups) - 1)
    return Ding(groups, dict(senses), vocabulary)


# -- pairs ---------------------------------------------------------------------------------


def renderings(text: str, english: str) -> int:
    """Whole-word renderings of a single-word English target, singular or plural."""
    spans = set(find_phrase(text, english)) | set(find_phrase(text, pluralize(english)))
    return len(spans)


@cache
def _single_matcher(head: str) -> TermMatcher:
    return TermMatcher([Term(head, head)])


def _candidates(token: str, at_start: bool) -> list[str]:
    bases = [token] + [
        token[: -len(e)] for e in _ENDINGS if token.endswith(e) and len(token) - len(e) >= 4
    ]
    out: list[str] = []
    for base in bases:
        for form in (base, base.translate(_UMLAUTS)):
            out.append(form)
            if at_start:
                out.append(form.lower())
    return list(dict.fromkeys(out))


def natural_pairs(source: str, reference: str, ding: Ding) -> list[tuple[str, str]]:
    """The (headword, English) pairs of one sentence, at most TERMS_PER_SENTENCE."""
    tokens = list(_LETTERS.finditer(source))
    nouns = [k for k, m in enumerate(tokens) if k > 0 and m.group()[:1].isupper()]
    order = nouns + [k for k in range(len(tokens)) if k not in set(nouns)]
    pairs: list[tuple[str, str]] = []
    for k in order:
        match = tokens[k]
        if len(pairs) >= TERMS_PER_SENTENCE:
            break
        for head in _candidates(match.group(), k == 0):
            if head not in ding.senses or any(head == g for g, _ in pairs):
                continue
            found = _single_matcher(head).find(source)
            if not any(o.start == match.start() and o.end == match.end() for o in found):
                continue
            english = next(
                (
                    w
                    for i in ding.senses[head]
                    for w in ding.groups[i]
                    if renderings(reference, w) and all(w.lower() != e.lower() for _, e in pairs)
                ),
                None,
            )
            if english is not None:
                pairs.append((head, english))
                break
    return pairs


def _distinct(a: str, b: str) -> bool:
    a, b = a.lower(), b.lower()
    return a not in b and b not in a and pluralize(a).lower() != b and pluralize(b).lower() != a


def forced_target(head: str, english: str, ding: Ding) -> str | None:
    for index in ding.senses.get(head, []):
        group = ding.groups[index]
        if any(w.lower() == english.lower() for w in group):
            other = next((w for w in group if _distinct(w, english)), None)
            if other is not None:
                return other
    return None


def build_pairs(pairs: Sequence[tuple[str, str]], ding: Ding) -> dict[str, Any]:
    chosen: Counter[tuple[str, str]] = Counter()
    terms_per_sentence = []
    for source, reference in pairs:
        found = natural_pairs(source, reference, ding)
        chosen.update(found)
        terms_per_sentence.append(len(found))
    best: dict[str, tuple[int, str]] = {}
    for (head, english), count in chosen.items():
        if head not in best or (-count, english) < (-best[head][0], best[head][1]):
            best[head] = (count, english)
    natural = [(head, english, count) for head, (count, english) in sorted(best.items())]
    forced = [
        (head, english, other)
        for head, english, _ in natural
        if (other := forced_target(head, english, ding)) is not None
    ]
    return {
        "natural": natural,
        "forced": forced,
        "sentence_terms": Counter(terms_per_sentence).most_common(),
    }


# -- cache ---------------------------------------------------------------------------------


def _digest(paths: Iterable[Path], *extra: str) -> str:
    h = hashlib.sha256("\0".join(extra).encode())
    for path in paths:
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _set_files(name: str) -> tuple[Path, Path]:
    return DEV / f"{SETS[name]}.de", DEV / f"{SETS[name]}.en"


def read_pairs(name: str) -> list[tuple[str, str]]:
    de, en = (p.read_text(encoding="utf-8").splitlines() for p in _set_files(name))
    if len(de) != len(en):
        raise SystemExit(f"{name}: {len(de)} German lines but {len(en)} English ones")
    return [(d.strip(), e.strip()) for d, e in zip(de, en, strict=True) if d.strip() and e.strip()]


class PairCache:
    """Ding is parsed only when something is not cached yet."""

    def __init__(self) -> None:
        self._ding: Ding | None = None
        self._ding_key = _digest([DING], BUILD_VERSION)
        self._code = [REPO / p for p in KEY_CODE]

    def ding(self) -> Ding:
        if self._ding is None:
            print(f"parsing {DING} …", file=sys.stderr)
            self._ding = parse_ding(DING)
        return self._ding

    def _cached(self, path: Path, build: Callable[[], Any]) -> Any:
        if path.is_file():
            return json.loads(path.read_text(encoding="utf-8"))
        data = build()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)
        return data

    def vocabulary(self) -> set[str]:
        path = CACHE / f"ding-vocabulary-{self._ding_key}.json"
        return set(self._cached(path, lambda: sorted(self.ding().vocabulary)))

    def pairs(self, name: str) -> dict[str, Any]:
        key = _digest([*_set_files(name), *self._code], BUILD_VERSION, self._ding_key)
        path = CACHE / f"terms-{name}-{key}.json"
        return dict(self._cached(path, lambda: build_pairs(read_pairs(name), self.ding())))


# -- the model -----------------------------------------------------------------------------


def trained_package(model: Path) -> InstalledPackage:
    """The package installed once under var/bench/trained/packages, again only when the
    archive changes."""
    root = CACHE / "trained"
    packages_dir, stamp = root / "packages", root / "source.json"
    info = model.stat()
    ident = {"path": str(model.resolve()), "size": info.st_size, "mtime": info.st_mtime_ns}
    installed = [p for p in list_packages(packages_dir) if p.pair == ("de", "en")]
    if installed and stamp.is_file() and json.loads(stamp.read_text()) == ident:
        return installed[-1]
    shutil.rmtree(packages_dir, ignore_errors=True)
    package = install_from_file(packages_dir, model)
    stamp.write_text(json.dumps(ident))
    return package


# -- translating ---------------------------------------------------------------------------


@dataclass
class Run:
    outputs: list[str]
    reports: list[list[TermReport]]
    seconds: float


def translate_lines(pipeline: Pipeline, lines: Sequence[str]) -> Run:
    """All lines as one document, one paragraph each; per line if that does not map back."""
    text = "\n\n".join(lines)
    starts, offset = [], 0
    for line in lines:
        starts.append(offset)
        offset += len(line) + 2
    begin = time.perf_counter()
    result = pipeline.translate(text)
    seconds = time.perf_counter() - begin
    spans: list[list[int]] = [[] for _ in lines]
    mapped = True
    for n, sentence in enumerate(result.sentences):
        index = bisect.bisect_right(starts, sentence.source_start) - 1
        if index < 0 or sentence.source_end > starts[index] + len(lines[index]):
            mapped = False
            break
        spans[index].append(n)
    if mapped and all(spans):
        outputs, reports = [], []
        for index, members in enumerate(spans):
            first, last = result.sentences[members[0]], result.sentences[members[-1]]
            outputs.append(result.text[first.target_start : last.target_end])
            reports.append(
                [
                    r.shifted(-starts[index], -first.target_start)
                    for n in members
                    for r in result.sentences[n].terms
                ]
            )
        return Run(outputs, reports, seconds)
    print("the document did not map back to its lines; translating line by line", file=sys.stderr)
    outputs, reports = [], []
    begin = time.perf_counter()
    for line in lines:
        one = pipeline.translate(line)
        outputs.append(one.text)
        reports.append(one.terms)
    return Run(outputs, reports, time.perf_counter() - begin)


# -- scoring -------------------------------------------------------------------------------


@dataclass
class Setting:
    name: str
    terms: list[Term]
    references: list[str]
    occurrences: list[list[Occurrence]]
    agreeing: list[bool]
    echo: dict[str, set[str]] = field(default_factory=dict)  # e' (lower) → forms of e


def _per_target(occurrences: Sequence[Occurrence]) -> Counter[str]:
    """Occurrences per English target: two terms with one target share its renderings."""
    return Counter(o.term.target.lower() for o in occurrences)


def agrees(reference: str, occurrences: Sequence[Occurrence]) -> bool:
    return bool(occurrences) and all(
        renderings(reference, target) >= n for target, n in _per_target(occurrences).items()
    )


def force_reference(reference: str, replacements: dict[str, str]) -> str:
    """Each natural English word (and its plural) replaced by the forced one, all at once (a
    glossary may swap two words), with a preceding "a"/"an" fitted to the new word."""
    if not replacements:
        return reference
    new: dict[str, str] = {}
    for english, other in replacements.items():
        new[english.lower()] = other
        new[pluralize(english).lower()] = pluralize(other)
    words = "|".join(re.escape(w) for w in sorted(new, key=len, reverse=True))
    pattern = re.compile(rf"(?<!\w)(?:(an?)(\s+))?({words})(?!\w)", re.IGNORECASE)

    def swap(m: re.Match[str]) -> str:
        word = new[m.group(3).lower()]
        word = capitalize_first(word) if m.group(3)[:1].isupper() else word
        article = m.group(1)
        if article is None:
            return word
        fitted = "an" if word[:1].lower() in "aeiou" else "a"
        return (capitalize_first(fitted) if article[:1].isupper() else fitted) + m.group(2) + word

    return pattern.sub(swap, reference)


def make_settings(pairs: Sequence[tuple[str, str]], built: dict[str, Any]) -> list[Setting]:
    sources = [s for s, _ in pairs]
    natural_terms = [Term(g, e) for g, e, _ in built["natural"]]
    matcher = TermMatcher(natural_terms)
    occurrences = [matcher.find(s) for s in sources]
    references = [r for _, r in pairs]
    natural = Setting(
        "natural",
        natural_terms,
        references,
        occurrences,
        [agrees(r, o) for r, o in zip(references, occurrences, strict=True)],
    )
    forced_terms = [Term(g, e2) for g, _, e2 in built["forced"]]
    natural_of = {g: e for g, e, _ in built["forced"]}
    matcher = TermMatcher(forced_terms)
    occurrences = [matcher.find(s) for s in sources]
    forced_refs = [
        force_reference(r, {natural_of[o.term.source]: o.term.target for o in occ})
        for r, occ in zip(references, occurrences, strict=True)
    ]
    echo = {e2.lower(): {e.lower(), pluralize(e).lower()} for _, e, e2 in built["forced"]}
    forced = Setting(
        "forced",
        forced_terms,
        forced_refs,
        occurrences,
        [agrees(r, o) for r, o in zip(forced_refs, occurrences, strict=True)],
        echo,
    )
    return [natural, forced]


def term_success(output: str, occurrences: Sequence[Occurrence]) -> int:
    return sum(min(n, renderings(output, target)) for target, n in _per_target(occurrences).items())


def damage(
    output: str, occurrences: Sequence[Occurrence], vocabulary: set[str], echo: dict[str, set[str]]
) -> tuple[int, int, int]:
    """(glued fragments, doubled words, echoes) in one output."""
    forms: dict[str, str] = {}
    for occ in occurrences:
        target = occ.term.target.lower()
        forms[target] = forms[pluralize(target).lower()] = target
    words = [w.lower() for w in _LETTERS.findall(output)]
    glued = doubled = echoes = 0
    for i, word in enumerate(words):
        if i and word == words[i - 1]:
            doubled += 1
        if word in forms:
            if i + 1 < len(words) and words[i + 1] not in vocabulary:
                glued += 1
            if any(w in echo.get(forms[word], ()) for w in words[i + 1 : i + 3]):
                echoes += 1
        elif word not in vocabulary and any(word.startswith(f) for f in forms):
            glued += 1
    return glued, doubled, echoes


@dataclass
class Scores:
    sentences: int
    occurrences: int
    success: int
    reported: int
    chrf: float
    bleu: float
    glued: int
    doubled: int
    echoes: int
    flagged: list[int]  # lines with damage, for --show


def score(setting: Setting, run: Run, vocabulary: set[str]) -> Scores:
    rows = [i for i, ok in enumerate(setting.agreeing) if ok]
    occurrences = sum(len(setting.occurrences[i]) for i in rows)
    success = sum(term_success(run.outputs[i], setting.occurrences[i]) for i in rows)
    reported = sum(r.status in ("kept", "enforced") for i in rows for r in run.reports[i])
    hyps = [run.outputs[i] for i in rows]
    refs = [[setting.references[i] for i in rows]]
    chrf = sacrebleu.corpus_chrf(hyps, refs).score if rows else 0.0
    bleu = sacrebleu.corpus_bleu(hyps, refs).score if rows else 0.0
    glued = doubled = echoes = 0
    flagged = []
    for i, occ in enumerate(setting.occurrences):
        if occ:
            g, d, e = damage(run.outputs[i], occ, vocabulary, setting.echo)
            glued, doubled, echoes = glued + g, doubled + d, echoes + e
            if g or d or e:
                flagged.append(i)
    return Scores(
        len(rows), occurrences, success, reported, chrf, bleu, glued, doubled, echoes, flagged
    )


# -- the benchmark -------------------------------------------------------------------------


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.3f}" if whole else "-"


def _dump(
    directory: Path, name: str, setting: Setting, mode: str, sources: Sequence[str], run: Run
) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / f"{name}-{setting.name}-{mode}.jsonl").open("w", encoding="utf-8") as out:
        for i, source in enumerate(sources):
            record = {
                "line": i,
                "source": source,
                "reference": setting.references[i],
                "output": run.outputs[i],
                "agreeing": setting.agreeing[i],
                "terms": [r.to_dict() for r in run.reports[i]],
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def _show(
    count: int,
    name: str,
    setting: Setting,
    mode: str,
    scores: Scores,
    sources: Sequence[str],
    runs: dict[str, Run],
    run: Run,
) -> None:
    if not count or not scores.flagged:
        return
    print(
        f"\n{name}, {setting.name}, {mode}: {len(scores.flagged)} outputs with glued, "
        f"doubled or echoed words; the first {min(count, len(scores.flagged))}:"
    )
    off = runs.get("off")
    for i in scores.flagged[:count]:
        terms = ", ".join(f"{o.text}→{o.term.target}" for o in setting.occurrences[i])
        print(f"  [{i}] {sources[i]}\n      terms: {terms}\n      ref: {setting.references[i]}")
        if off is not None and mode != "off":
            print(f"      off: {off.outputs[i]}")
        print(f"      {mode}: {run.outputs[i]}")


def run_set(
    name: str,
    engine: CTranslate2Engine,
    cache: PairCache,
    args: argparse.Namespace,
    modes: Sequence[Mode],
) -> None:
    all_pairs = read_pairs(name)
    built = cache.pairs(name)
    pairs = all_pairs[: args.limit] if args.limit else all_pairs
    sources = [s for s, _ in pairs]
    settings = make_settings(pairs, built)
    spread = ", ".join(f"{n} terms: {c}" for n, c in sorted(built["sentence_terms"]))
    print(
        f"\n{name}: {len(built['natural'])} natural terms, {len(built['forced'])} forced "
        f"(sentences of the whole set by natural terms found: {spread})"
    )
    base = translate_lines(Pipeline(engine), sources)
    runs: dict[str, dict[str, Run]] = {}
    for setting in settings:
        matcher = TermMatcher(setting.terms)
        runs[setting.name] = {
            mode: translate_lines(Pipeline(engine, matcher=matcher, mode=mode), sources)
            for mode in modes
        }
    vocabulary = cache.vocabulary() | _CLITICS
    for setting in settings:
        for text in setting.references:
            vocabulary.update(w.lower() for w in _LETTERS.findall(text))
        vocabulary.update(t.target.lower() for t in setting.terms)
        vocabulary.update(pluralize(t.target).lower() for t in setting.terms)
        if "off" in runs[setting.name]:
            for text in runs[setting.name]["off"].outputs:
                vocabulary.update(w.lower() for w in _LETTERS.findall(text))
    rows: list[list[object]] = [
        [
            "-",
            "off, no glossary",
            "-",
            "-",
            "-",
            "-",
            "-",
            "-",
            "-",
            "-",
            "-",
            f"{base.seconds:.1f}",
            "-",
        ]
    ]
    shown: list[tuple[Setting, str, Scores, Run]] = []
    for setting in settings:
        off_seconds = runs[setting.name]["off"].seconds if "off" in runs[setting.name] else None
        for mode, run in runs[setting.name].items():
            s = score(setting, run, vocabulary)
            shown.append((setting, mode, s, run))
            rows.append(
                [
                    setting.name,
                    mode,
                    f"{s.sentences}/{sum(map(bool, setting.occurrences))}",
                    s.occurrences,
                    _share(s.success, s.occurrences),
                    _share(s.reported, s.occurrences),
                    f"{s.chrf:.1f}",
                    f"{s.bleu:.1f}",
                    s.glued,
                    s.doubled,
                    s.echoes if setting.echo else "-",
                    f"{run.seconds:.1f}",
                    f"{run.seconds / off_seconds:.2f}" if off_seconds else "-",
                ]
            )
            if args.dump:
                _dump(Path(args.dump), name, setting, mode, sources, run)
    print_table(
        f"Terms on {name} ({len(pairs)} sentences), trained small model, beam 4, 2 threads: "
        "sentences = agreeing / with a term; occurrences, successes, chrF, BLEU over agreeing "
        "sentences; glued, doubled, echoes over all sentences with a term",
        [
            "setting",
            "mode",
            "sentences",
            "occurrences",
            "term success",
            "report success",
            "chrF",
            "BLEU",
            "glued",
            "doubled",
            "echoes",
            "s",
            "× off",
        ],
        rows,
    )
    for setting in settings:
        off = runs[setting.name].get("off")
        if off is not None:
            differ = sum(a != b for a, b in zip(off.outputs, base.outputs, strict=True))
            if differ:
                print(f"note: {setting.name} off differs from no glossary in {differ} outputs")
    for setting, mode, s, run in shown:
        _show(args.show, name, setting, mode, s, sources, runs[setting.name], run)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_terms",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    parser.add_argument("--limit", type=int, default=0, help="sentences per set (default all)")
    parser.add_argument("--sets", default="m30k,tatoeba", help="comma-separated: m30k,tatoeba")
    parser.add_argument("--modes", default="off,replace,constrain")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--dump", metavar="DIR", help="write one JSONL per set, setting, mode")
    parser.add_argument(
        "--show",
        type=int,
        default=0,
        metavar="K",
        help="print K damaged outputs per setting and mode",
    )
    args = parser.parse_args(argv)
    sets = [s for s in args.sets.split(",") if s]
    modes = cast(list[Mode], [m for m in args.modes.split(",") if m])
    if unknown := [s for s in sets if s not in SETS] + [m for m in modes if m not in MODES]:
        parser.error(f"unknown set or mode: {', '.join(unknown)}")
    missing = [
        (p, why)
        for p, why in [
            (args.model, "the trained model (--model or $GLOSSARY_TEST_MODEL)"),
            (DING, "Debian's Ding dictionary (`make ding` installs trans-de-en)"),
            *[(f, "a dev set") for s in sets for f in _set_files(s)],
        ]
        if not p.is_file()
    ]
    if missing:
        for path, why in missing:
            print(f"bench_terms: skipped, {path} is missing: {why}")
        return
    engine = CTranslate2Engine(trained_package(args.model), RuntimeOptions(intra_threads=2))
    engine.translate_batch(["Ein Hund läuft."], None, Pipeline(engine).options)  # warm-up
    cache = PairCache()
    for name in sets:
        run_set(name, engine, cache, args, modes)


if __name__ == "__main__":
    main()
