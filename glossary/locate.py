"""Where a missing term belongs in a hypothesis.

First by the model's own rendering of the German words: the words the model gives for them when
they are translated alone (n-best, batched, cached) are looked for in the hypothesis, and of
several matches the one attending most to the source span wins. Only when no rendering is
there does attention alone decide; most Argos models are converted without guided alignment,
so attention is the first head of the last layer and often points one word off or to an
article, which is why articles at the edge of an attention span are left in place."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from glossary.alignment import aligned_range
from glossary.english import pluralize, words
from glossary.tokens import SPACE, wordy

Span = tuple[int, int]  # half-open token range; start == end is an insertion point
_FINAL = frozenset([".", "!", "?", ";", ":", "…", ",", "...", "?!", "!?"])
DETERMINERS = frozenset(
    "a an the this that these those his her its their my your our some any".split()
)
# Words at the edge of an attention span that belong to the sentence, not to the term: the
# first head of the last layer often spreads a noun's attention onto its article, numeral or
# preposition ("two girls", "in prison", "like cats").
EDGE_WORDS = DETERMINERS | frozenset(
    "one two three four five six seven eight nine ten many several both all each every no "
    "another in on at of to for with like from by into onto after before under over and or "
    "near through across behind beside between around up down out off along against toward "
    "towards without about as than while is are was were".split()
)


@dataclass(frozen=True)
class Word:
    start: int
    end: int
    key: str  # lower-case, without a possessive 's


def hypothesis_words(tokens: Sequence[str]) -> list[Word]:
    """Words as token ranges; punctuation pieces are words with an empty key."""
    out: list[Word] = []
    start = 0
    for i in range(1, len(tokens) + 1):
        if (
            i == len(tokens)
            or tokens[i].startswith(SPACE)
            or not (_inner(tokens, i) and _inner(tokens, i - 1))
        ):
            found = words("".join(tokens[start:i]).replace(SPACE, " "))
            key = found[0] if found else ""
            out.append(Word(start, i, key.removesuffix("'s").removesuffix("’s")))
            start = i
    return out


def _inner(tokens: Sequence[str], i: int) -> bool:
    """A piece that can sit inside a word: letters, digits, or the apostrophe of "woman's"
    (one followed by letters; a closing quote is not)."""
    if tokens[i] == SPACE:  # a lone word-start piece belongs to the word after it
        return i + 1 < len(tokens) and not tokens[i + 1].startswith(SPACE)
    if tokens[i] in ("'", "’"):  # between letters only: "woman's", not "'Warms"
        return (
            0 < i < len(tokens) - 1
            and wordy(tokens[i - 1])
            and wordy(tokens[i + 1])
            and not tokens[i + 1].startswith(SPACE)
        )
    return wordy(tokens[i])


def rendering_keys(text: str) -> list[tuple[str, ...]]:
    """Word sequences a rendering may take in a sentence: as given and in the other number,
    without a leading article."""
    found = words(text)
    while found and found[0] in DETERMINERS:
        found = found[1:]
    if not found or all(w in DETERMINERS for w in found):
        return []
    variants = {tuple(found), tuple(words(pluralize(" ".join(found))))}
    if found[-1].endswith("s") and len(found[-1]) > 3:
        variants.add((*found[:-1], found[-1][:-1]))
    return sorted(variants, key=lambda v: (-len(v), v))


class Renderings:
    """The model's n-best translations of source phrases alone, cached (bounded)."""

    def __init__(
        self, translate: Callable[[list[str]], list[list[str]]], limit: int = 20_000
    ) -> None:
        self._translate, self._limit = translate, limit
        self._cache: OrderedDict[str, list[tuple[str, ...]]] = OrderedDict()

    def prepare(self, phrases: Sequence[str]) -> None:
        missing = sorted({p for p in phrases if p not in self._cache})
        if not missing:
            return
        for phrase, texts in zip(missing, self._translate(missing), strict=True):
            keys = dict.fromkeys(k for t in texts for k in rendering_keys(t))
            self._cache[phrase] = list(keys)
        while len(self._cache) > self._limit:
            self._cache.popitem(last=False)

    def keys(self, phrase: str) -> list[tuple[str, ...]]:
        return self._cache.get(phrase, [])


def _matches(hyp_words: Sequence[Word], key: tuple[str, ...]) -> list[Span]:
    keys = [w.key for w in hyp_words]
    spans = []
    for i in range(len(keys) - len(key) + 1):
        if tuple(keys[i : i + len(key)]) == key:
            spans.append((hyp_words[i].start, hyp_words[i + len(key) - 1].end))
    return spans


def _overlap(a: Span, b: Span) -> bool:
    return a[0] < b[1] and a[1] > b[0]


def _free(span: Span, claimed: Sequence[Span]) -> bool:
    return not any(span[0] < b and span[1] > a for a, b in claimed)


def _free_or_around(span: Span, claimed: Sequence[Span]) -> bool:
    """Free, or holding claimed words whole: a longer rendering may take back the words a
    nested shorter term counted as its own."""
    return all(
        not (span[0] < b and span[1] > a) or (span[0] <= a and b <= span[1] and (a, b) != span)
        for a, b in claimed
    )


def rendering_matches(hyp_words: Sequence[Word], keys: Sequence[tuple[str, ...]]) -> list[Span]:
    return [span for key in keys for span in _matches(hyp_words, key)]


def by_rendering(
    hyp_words: Sequence[Word],
    keys: Sequence[tuple[str, ...]],
    mass: np.ndarray,
    claimed: Sequence[Span],
    size: int = 1,
    others: Sequence[Span] = (),
) -> Span | None:
    """The free match of any rendering whose tokens attend most to the source span."""
    found: list[tuple[float, Span]] = []
    for key in keys:
        for span in _matches(hyp_words, key):
            if _free_or_around(span, claimed):
                weight = float(mass[span[0] : span[1]].mean()) if mass.size >= span[1] else 0.0
                found.append((weight, span))
    if not found:
        return None
    best = max(found, key=lambda f: f[0])[1]
    # "soccer ball" over "soccer" when both render "Fußball" and "ball" attends to it too; not
    # "group of people" over "group" when "people" renders another term of the sentence
    # (`others`) or attends elsewhere.
    while wider := [
        s
        for _, s in found
        if s != best
        and s[0] <= best[0]
        and best[1] <= s[1]
        and _attends(mass, s, best)
        and not any(_overlap(s, o) and not _overlap(best, o) for o in others)
    ]:
        best = max(wider, key=lambda s: s[1] - s[0])
    return _grown(hyp_words, best, mass, claimed, size)


def _attends(mass: np.ndarray, wide: Span, core: Span, least: float = 0.3) -> bool:
    """Whether each token that `wide` adds to `core` attends to the term at least `least`."""
    extra = [*range(wide[0], core[0]), *range(core[1], wide[1])]
    return mass.size >= wide[1] and all(float(mass[t]) >= least for t in extra)


def _grown(
    hyp_words: Sequence[Word], span: Span, mass: np.ndarray, claimed: Sequence[Span], size: int
) -> Span:
    """A rendering of part of a multi-word term ("butter" for "Waffen für Butter") widened by
    the neighbouring words that attend mostly to the term, articles and prepositions excepted,
    up to as many words as the term's English has."""

    def aligned(word: Word) -> bool:
        return (
            bool(word.key)
            and word.key not in EDGE_WORDS
            and mass.size >= word.end
            and float(mass[word.start : word.end].min()) >= 0.5
            and _free((word.start, word.end), claimed)
        )

    first = next(k for k, w in enumerate(hyp_words) if w.start == span[0])
    last = next(k for k, w in enumerate(hyp_words) if w.end == span[1])
    while last - first + 1 < size and first > 0 and aligned(hyp_words[first - 1]):
        first -= 1
    while last - first + 1 < size and last + 1 < len(hyp_words) and aligned(hyp_words[last + 1]):
        last += 1
    return hyp_words[first].start, hyp_words[last].end


def by_attention(
    tokens: Sequence[str],
    attention: np.ndarray,
    source_indices: Sequence[int],
    claimed: Sequence[Span],
    term_words: Sequence[str] = (),
    least: float = 0.0,
) -> Span | None:
    """The aligned words, without articles at their edges; None if nothing free is aligned.
    Words that attend to the term less than `least` are taken for other words' translations
    (the model left the term out): the term then goes before them."""
    span = aligned_range(tokens, attention, source_indices)
    if span is None:
        return None
    inside = [w for w in hypothesis_words(tokens) if span[0] <= w.start and w.end <= span[1]]
    wanted = [j for j in source_indices if j < attention.shape[1]]
    weak = float(attention[span[0] : span[1], wanted].sum(axis=1).max(initial=0.0)) < least
    if inside and (weak or all(not w.key or w.key in EDGE_WORDS - set(term_words) for w in inside)):
        # Only "on" or "the" attends to the term: the model left the term out; it goes before.
        point = inside[0].start
        return (point, point) if all(not (a < point < b) for a, b in claimed) else None
    while len(inside) > 1 and (
        not inside[0].key or inside[0].key in EDGE_WORDS - set(term_words[:1])
    ):
        inside = inside[1:]
    while len(inside) > 1 and (
        not inside[-1].key or inside[-1].key in EDGE_WORDS - set(term_words[-1:])
    ):
        inside = inside[:-1]
    if not inside:
        return None
    span = (inside[0].start, inside[-1].end)
    return span if _free(span, claimed) else None


def insertion_point(tokens: Sequence[str], mass: np.ndarray, claimed: Sequence[Span]) -> int:
    """Where a term with no free words of its own goes: before the word that attends most to
    the source span, outside the claimed words; the end of the sentence (before its final
    stop, after a closing quote) when no word attends there."""
    units = hypothesis_words(tokens)
    if mass.size and float(mass.max()) > 0.0:
        ranked = sorted(
            (w for w in units if w.key),
            key=lambda w: -float(mass[w.start : w.end].max(initial=0.0)),
        )
        for word in ranked:
            if all(not (a <= word.start < b) for a, b in claimed):
                return word.start
    last = len(tokens)
    for word in reversed(units):
        if word.key or "".join(tokens[word.start : word.end]).strip(SPACE) not in _FINAL:
            break
        last = word.start
    return last


def without_possessive(tokens: Sequence[str], span: Span) -> Span:
    """The span less a closing possessive ("dog" of "dog's"), which stays with the sentence."""
    start, end = span
    if end - start > 2 and tokens[end - 1] == "s" and tokens[end - 2] in ("'", "’"):
        return start, end - 2
    if end - start > 1 and tokens[end - 1] in ("'s", "’s"):
        return start, end - 1
    return span


def anchored(
    hyp_words: Sequence[Word], span: Span, term_words: Sequence[str], claimed: Sequence[Span]
) -> Span:
    """A span widened over the neighbouring words that the term shares with it: when the
    located words render only part of a multi-word term ("butter" of "guns for butter" in
    "weapons for butter"), the words beside them that are the term's other words belong to the
    same rendering, and the one remaining word at an edge is what the model said instead."""
    index = {w.start: k for k, w in enumerate(hyp_words)}
    first = index.get(span[0])
    ends = [k for k, w in enumerate(hyp_words) if w.end == span[1]]
    if first is None or not ends or not term_words:
        return span
    last = ends[0]
    keys = [hyp_words[k].key for k in range(first, last + 1)]
    at = next(
        (
            j
            for j in range(len(term_words) - len(keys) + 1)
            if list(term_words[j : j + len(keys)]) == keys
        ),
        None,
    )
    if at is None:
        return span
    before, after = at, len(term_words) - at - len(keys)

    def usable(k: int) -> bool:
        word = hyp_words[k]
        return (
            bool(word.key)
            and word.key not in DETERMINERS
            and _free((word.start, word.end), claimed)
        )

    def instead(k: int) -> bool:
        return hyp_words[k].key not in EDGE_WORDS

    while (
        before
        and first > 0
        and usable(first - 1)
        and (
            hyp_words[first - 1].key == term_words[before - 1]
            or (before == 1 and instead(first - 1))
        )
    ):
        first, before = first - 1, before - 1
    while (
        after
        and last + 1 < len(hyp_words)
        and usable(last + 1)
        and (
            hyp_words[last + 1].key == term_words[len(term_words) - after]
            or (after == 1 and instead(last + 1))
        )
    ):
        last, after = last + 1, after - 1
    return hyp_words[first].start, hyp_words[last].end
