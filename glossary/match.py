"""Find glossary terms in German text, in every form German gives them.

How it works
------------
Compiling: each term's source is split into words and the joiners between them (a space, or
a hyphen/dash). Every word becomes a *slot*: the word plus the way it may vary (noun endings,
adjective endings, or fixed). A rule-based generator lists each slot's forms once (slots are
shared between terms, so a word that recurs in 1,000 terms is inflected once) and all forms go
into one dict keyed by the normalised form (NFC, soft hyphens removed, casefolded, which also
maps ß to ss) pointing at the slots it may fill. The terms then form a trie over slot ids
whose edges carry the joiner that must come before the next word.

Searching: one regex tokenises the text; each token's key is looked up in the form dict and
the trie is walked from every token that can start a term. All matches are collected, then
the longest win (at equal length the earlier start; at equal span a match in the term's own
spelling, then the earlier term). Offsets are indices into the original text.

What counts as a match (decisions, so that callers can rely on them)
-------------------------------------------------------------------
- Whole words only: "Butter" never matches inside "Butterbrot", "Vertrag" never inside
  "Partnerschaftsvertrag". The parts of a hyphenated compound are words, so "Kreml" alone
  does match in "Kreml-Herrscher" unless a longer term (Kreml-Herrscher) covers the span.
- Inflection (match "inflected"): nouns get genitive, dative and plural forms by their ending
  (-s/-es, -e/-er/-en/-n/-nen, umlaut plurals also at the end of compounds, -nis/-nisse,
  -um/-en, -ismus/-ismen, -us/-en/-usse, -or/-oren, -a/-en); lowercase words (adjectives) and
  the non-final words of a multi-word term get the adjective endings -e/-er/-es/-en/-em; the
  first parts of a hyphenated compound and function words (für, von...) stay fixed; a
  leading article takes any form (der Westen / den Westen / des Westens). A term's `gender`
  ("m"/"f"/"n") narrows the noun forms; `pos` "verb" keeps a word fixed, "adj"/"noun" pick
  its endings (otherwise a lowercase word is taken for an adjective, a capitalised one for a
  noun).
- Case: insensitive by default, so headlines in capitals or Title Case match, and lowercase
  terms (adjectives, verbs) match at the start of a sentence. One exception: German
  capitalises nouns, so every form of a noun must start with a capital in the text ("macht",
  "machte", "morgen", "in einer Küche" are not Macht, Morgen, Einer); a word in capitals
  passes, and so does any word of a text with no capital letter at all (no case to go by).
- ß and ss are the same letter (casefold); soft hyphens are ignored; text in NFD is fine.
- Umlauts spelled out (wire feeds, URLs, old systems: Muenchen, Pjoengjang, Aussenminister)
  match a lenient term's ä/ö/ü, when every umlaut of the word is spelled out; an umlaut is
  never simply dropped (schon is not schön, Bar not Bär) and a term's own ae/oe/ue is never
  read as an umlaut (Duell is not Düll). A German word spelled with ae/oe/ue where a term
  has an umlaut is rare enough that the variant applies in every text, not only in texts
  without umlauts (a feed may mix both). `match: exact` keeps the umlauts.
- Adjectives and participles used as nouns (der Angestellte, ein Angestellter, die
  Angestellten; ein Deutscher, die Deutschen; der Verletzte, Verletzter) are told by their
  shape (_nominalised_stem) and take the adjective endings -e/-er/-en besides the noun forms,
  whichever form the entry is in.
- Verbs: a lowercase infinitive (exportieren, handeln, aufrüsten) finds its present and past
  forms and its participles, also with adjective endings (die exportierten Waren); its
  finite forms must be lowercase unless they start a sentence (Rate is not rate). A
  separable verb also finds its joined forms (aufgerüstet, aufzurüsten, aufrüstet) and the
  split clause (Russland rüstet massiv auf): one occurrence on the verb, with both spans in
  `Occurrence.parts`. `pos: verb` forces the verb reading; `pos: adj` prevents it.
- Irregular plurals: an entry's `source_plural` (Praxen, Kakteen, Kaufleute; word for word
  with the source) replaces the plurals the rules guess for the words it changes, and gets
  the dative -n where German adds one (den Kaufleuten; not after n or s); it tells the number
  (plural True), and a `match: exact` term matches it exactly too.
- Zero-width spaces and joiners inside a word and fullwidth letters (NFKC) do not hide a
  term; a word that mixes Latin letters with look-alike Cyrillic or Greek ones ("Krеml") is
  read as Latin, and its occurrence carries a warning (`Occurrence.warnings`) naming them.
- Between the words of a term: any whitespace with at most one line break, and typographic
  quotes („…“ »…« ‚…‘ "…"); a term's hyphen or dash matches hyphen-minus, U+2010, U+2011,
  en/em dash, minus, spaced or not, and a hyphen at a line end. A hyphenated term also matches
  its closed spelling (Kremlherrscher), and a hyphen in the text is also read as a closed
  compound (Sanktions-Regime, Sanktions-<newline>regime find Sanktionsregime). Any other
  punctuation inside a term (Dr. Müller, C&A) must be as written.
- `match: "exact"`: the words as written (case-insensitive unless `case_sensitive`), ß and ss
  distinct, the term's own joiners only (any whitespace for a space), no quotes inside, no
  closed or re-hyphenated spelling. `case_sensitive`: each word must have the term's case
  (still inflected, ß/ss still lenient; the first letter after a hyphen may be lowered in a
  closed spelling).
- Grammatical number (`Occurrence.plural`): from the head word's form when it shows it
  (Verträge, Herrschern, Diktatoren → True; Vertrages, Vertrag → False; the head is the last
  word, or the last before a preposition: *Waffen* für Butter). Else from the determiner
  before the term, or the term's own leading article, skipping up to two lowercase
  adjectives: plural-only words (alle, beide, viele, mehrere, zwei, numbers > 1) → True;
  singular-only ones (ein, dem, des, das, jeder) → False; der/die/den/diese... decide only
  together with the term's `gender` (die Herrscher, gender m → True); else None.
- Duplicate spans of different terms: the term written exactly as the text wins, then the
  one given first. Terms without any letter or digit are ignored; every term is searched
  whatever its `status` (the caller decides what to enforce).

Known limits
------------
- Rules, not a lexicon: irregular plurals outside the rules (Praxis → Praxen, Kaktus →
  Kakteen) are missed unless the entry gives them in `source_plural`, and a noun of unknown
  gender gets the union of its class's endings, so a rare collision is possible (Rat →
  Rate); giving `gender` narrows it.
- ß/ss folding also joins words that differ only there (Maße/Masse); use `match: exact`.
- In ALL-CAPS text, in a text without capitals, and at the start of a sentence the capital
  rule cannot tell another word from a noun (MACHTE → Macht; "Morgen kommt er" → Morgen).
- Verbs: weak conjugation only (glossary/verbs.py); strong and irregular past forms and
  participles (gab, gegeben) are missed, and comparatives of adjectives are not generated.
- A split separable verb is found only when its particle closes the clause (before
  punctuation, a conjunction or the end of the sentence) within 16 words.
"""

from __future__ import annotations

import bisect
import itertools
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import NamedTuple

from glossary.lookalike import plain
from glossary.report import Origin
from glossary.term import Term
from glossary.verbs import verb_forms

__all__ = ["Occurrence", "TermMatcher", "term_key"]


@dataclass(frozen=True)
class Occurrence:
    """One term found in a text; `text == input[start:end]`."""

    start: int
    end: int
    text: str
    term: Term
    plural: bool | None
    # what a reader should know: the term was spelled with look-alike letters (lookalike.py)
    warnings: tuple[str, ...] = ()
    # the spans of a term in parts, in text order: a split verb (rüstet … auf); else ()
    parts: tuple[tuple[int, int], ...] = ()

    def moved(self, offset: int) -> Occurrence:
        """The same occurrence with every offset moved by `offset`."""
        parts = tuple((start + offset, end + offset) for start, end in self.parts)
        return replace(self, start=self.start + offset, end=self.end + offset, parts=parts)


# ---------------------------------------------------------------------------------------------
# Tokens and the gaps between them

# A word: starts with a letter or digit; soft hyphens and combining marks (NFD umlauts) may
# follow inside. (An underscore inside a word is kept: a plain character class is 2× faster.)
_WORD_RE = re.compile(r"([^\W_][\w\u00ad\u0300-\u036f]*)")
# A hyphen that glues two tokens into one compound: same line, or at a line end; or a line
# end after a soft hyphen (which the token then ends with). Only matches that start at a
# token's end are used, so no look-behind is needed (it would slow the scan down 4×).
_JOIN_RE = re.compile(
    r"\u00ad[ \t]*\r?\n[ \t]*(?=[^\W_])|[-\u2010\u2011](?:[ \t]*\r?\n[ \t]*)?(?=[^\W_])"
)
_LINEBREAK_HYPHEN_RE = re.compile(r"[-\u2010\u2011][ \t]*\r?\n[ \t]*")
_WHITESPACE_RE = re.compile(r"\s+")
_QUOTES = str.maketrans("", "", "\"'„“”‚‘’»«›‹")
_DASHES = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212")
_HYPHENS = frozenset("-\u2010\u2011")

_SPACE, _DASH = "sp", "hy"  # lenient joiner codes; exact ones are "=" + the gap itself


def _gap_codes(gap: str) -> tuple[str, ...]:
    """The joiner codes a gap between two words satisfies: lenient first, exact last."""
    # Gaps repeat (" ", ", ", " – "): cache the short ones, never a long run of punctuation.
    return _short_gap_codes(gap) if len(gap) <= 8 else _classify_gap(gap)


def _classify_gap(gap: str) -> tuple[str, ...]:
    exact = "=" + (gap[0] if _LINEBREAK_HYPHEN_RE.fullmatch(gap) else _WHITESPACE_RE.sub(" ", gap))
    core = gap.translate(_QUOTES)
    if core.count("\n") > 1:  # a paragraph break ends any term
        return (exact,)
    bare = core.strip()
    if not bare:
        return (_SPACE, exact)
    if len(bare) == 1 and bare in _DASHES:
        return (_DASH, exact)
    return (exact,)


_short_gap_codes = lru_cache(maxsize=4096)(_classify_gap)


def _clean(word: str) -> str:
    word = word.replace("\u00ad", "")
    return word if unicodedata.is_normalized("NFC", word) else unicodedata.normalize("NFC", word)


# (key, raw, index of the next token, end offset, joined over a same-line hyphen)
_Unit = tuple[str, str, int, int, bool]


class _Doc:
    """A text tokenised once: offsets, cleaned words, casefolded keys, compound joins."""

    def __init__(self, text: str) -> None:
        # split() + accumulate() run in C: [gap, word, gap, word, ..., gap] and the offsets.
        pieces = _WORD_RE.split(text)
        offsets = list(itertools.accumulate(map(len, pieces), initial=0))
        self.text = text
        self.starts = offsets[1::2]
        self.ends = offsets[2::2]
        self.gaps = pieces[2::2]  # gaps[k]: the text after token k
        raws = pieces[1::2]
        self.n = len(raws)
        if "\u00ad" in text:
            raws = [r.replace("\u00ad", "") for r in raws]
        if not unicodedata.is_normalized("NFC", text):
            raws = [unicodedata.normalize("NFC", r) for r in raws]
        self.raws = raws
        self.keys = list(map(str.casefold, raws))
        # without a capital anywhere the text cannot show which words are nouns
        self.caseless = text.islower()
        # tokens that may spell an umlaut out (Muenchen): found in C, one regex over the text
        self.spelled = {
            bisect.bisect_right(self.starts, m.start()) - 1 for m in _SPELLED_IN_TEXT.finditer(text)
        }
        # token end before a join gap → True when the gap is a line-break hyphenation
        self.joins = {
            m.start() + (text[m.start()] == "\u00ad"): "\n" in m.group()
            for m in _JOIN_RE.finditer(text)
        }

    def units(self, j: int) -> list[_Unit]:
        """What may fill a term's word at token j: the token, the compounds it starts over
        hyphens, and their spelled-out umlauts read back."""
        units = self._plain_units(j)
        return units + self._read_back(j, units) if self.spelled else units

    def spelled_starts(self) -> list[int]:
        """Tokens whose own units (the token, or a compound it starts) spell an umlaut out."""
        if not self.spelled:
            return []
        starts = set(self.spelled)
        if self.joins:
            starts.update(i - k for i in self.spelled for k in (1, 2) if i - k >= 0)
        return sorted(starts)

    def read_back(self, j: int) -> list[_Unit]:
        """The units of token j with spelled-out umlauts read back (_umlauts_read_back)."""
        return self._read_back(j, self._plain_units(j))

    def _plain_units(self, j: int) -> list[_Unit]:
        units = [(self.keys[j], self.raws[j], j + 1, self.ends[j], False)]
        if self.ends[j] in self.joins:
            units += self.joined(j)
        return units

    def _read_back(self, j: int, units: list[_Unit]) -> list[_Unit]:
        near = range(j, j + 3)
        return [
            back
            for unit in units
            if any(k in self.spelled for k in near[: unit[2] - j])
            for back in _umlauts_read_back(unit)
        ]

    def joined(self, j: int) -> Iterator[_Unit]:
        """Token j glued to up to two following tokens over hyphens: Sanktions-Regime."""
        key, raw, same_line, k = self.keys[j], self.raws[j], False, j
        while k + 1 < self.n and k - j < 2:
            linebreak = self.joins.get(self.ends[k])
            if linebreak is None:
                return
            nxt = self.raws[k + 1]
            key += self.keys[k + 1]
            raw += nxt[:1].lower() + nxt[1:]
            same_line = same_line or not linebreak
            k += 1
            yield (key, raw, k + 1, self.ends[k], same_line)


# ---------------------------------------------------------------------------------------------
# Inflected forms

AMB, SG, PL = 0, 1, 2  # number a form shows: either, singular, plural
_CAP = 4  # packed flag: this form must start with a capital in the text
_LOW = 8  # packed flag: lowercase unless it starts a sentence (a verb's forms: rate, Rate)
_CASE_FLAGS = _CAP | _LOW
_SHIFT = 4  # a packed value is slot id << _SHIFT | flags | number tag

_VOWELS = frozenset("aeiouyäöü")
_UMLAUTS = {"a": "ä", "o": "ö", "u": "ü", "au": "äu", "aa": "ä", "oo": "ö"}
_ADJ_ENDINGS = ("e", "er", "es", "en", "em")
_FEM_EN = ("ung", "heit", "keit", "schaft", "ion", "tät", "ik", "ur", "enz", "anz", "ei", "ie")
_FEM_IN = ("erin", "entin", "antin", "istin", "orin", "ärin", "eurin", "login")
_N_DECL = ("ent", "ant", "ist", "at", "ot", "nom", "graf", "graph", "soph")


def _umlaut(word: str) -> str | None:
    """Umlaut the last full syllable's vowel (Vertrag → Verträg, Vater → Väter); None if
    it has none to umlaut (Herrscher)."""
    lower = word.lower()
    if len(lower) != len(word):
        return None  # not German (İ lowercases to two characters); offsets would shift
    tail = 0
    for ending in ("er", "el", "en", "e"):
        if lower.endswith(ending) and any(c in _VOWELS for c in lower[: -len(ending)]):
            tail = len(ending)
            break
    j = len(word) - tail
    while j > 0 and lower[j - 1] not in _VOWELS:
        j -= 1
    k = j
    while k > 0 and lower[k - 1] in _VOWELS:
        k -= 1
    repl = _UMLAUTS.get(lower[k:j])
    if repl is None:
        return None
    if word[k].isupper():
        repl = repl[0].upper() + repl[1:]
    return word[:k] + repl + word[j:]


def _suffix_noun_forms(w: str, lower: str, g: str | None) -> list[tuple[str, int]] | None:
    """Nouns whose ending decides their declension; None for the rest."""
    if lower.endswith("nis"):
        return [(w, SG), (w + "ses", SG), (w + "se", PL), (w + "sen", PL)]
    if lower.endswith("ismus"):
        return [(w, SG), (w[:-2] + "en", PL)]
    if lower.endswith("us") and len(lower) >= 3 and lower[-3] not in _VOWELS:
        return [(w, SG), (w + "ses", SG), (w + "se", PL), (w + "sen", PL), (w[:-2] + "en", PL)]
    if lower.endswith("tum"):
        u = _umlaut(w) or w
        return [(w, SG), (w + "s", SG), (w + "es", SG), (u + "er", PL), (u + "ern", PL)]
    if lower.endswith("um") and len(lower) > 4:
        return [(w, SG), (w + "s", SG), (w[:-2] + "en", PL), (w[:-2] + "a", PL)]
    if lower.endswith(_FEM_IN) or (g == "f" and lower.endswith("in")):
        return [(w, SG), (w + "nen", PL)]
    if lower.endswith(_FEM_EN):
        genitive = [(w + "s", SG)] if g in ("m", "n") else []
        return [(w, SG), (w + ("n" if lower.endswith("e") else "en"), PL), *genitive]
    if lower.endswith("or") and len(lower) > 3:
        return [(w, SG), (w + "s", SG), (w + "es", SG), (w + "en", PL), (w + "e", PL)]
    return _vowel_noun_forms(w, lower, g)


def _vowel_noun_forms(w: str, lower: str, g: str | None) -> list[tuple[str, int]] | None:
    """Nouns ending in a vowel: Waffe, Ukraine, Thema, Nordkorea, Auto."""
    if lower.endswith("e"):
        forms = [(w, SG), (w + "n", AMB if g == "m" else PL)]
        return forms + ([(w + "s", SG)] if g != "f" else [])
    if lower.endswith("a") and len(lower) > 2:
        return [(w, SG), (w + "s", PL if g == "f" else AMB), (w[:-1] + "en", PL)]
    if lower[-1] in "oiyé" or (lower[-1] == "u" and lower[-2:-1] not in _VOWELS):
        return [(w, SG), (w + "s", AMB)]
    return None


def _er_noun_forms(w: str, lower: str, g: str | None) -> list[tuple[str, int]]:
    """Nouns in -er/-el/-en/-chen/-lein: der/die Herrscher, des Herrschers, den Herrschern."""
    forms = [(w, SG if g == "f" else AMB)]
    if g != "f":
        forms.append((w + "s", SG))
    takes_n = not lower.endswith(("en", "chen", "lein"))
    if takes_n:
        forms.append((w + "n", PL))
    u = _umlaut(w)
    if u is not None:
        forms.append((u, PL))
        if takes_n:
            forms.append((u + "n", PL))
    return forms


def _default_noun_forms(w: str, lower: str, g: str | None) -> list[tuple[str, int]]:
    """Other nouns (mostly ending in a consonant): Vertrag, Macht, Haus, Staat, Putin."""
    forms = [(w, SG)]
    if g != "f":
        if not lower.endswith(("s", "ß", "x", "z")):
            forms.append((w + "s", SG))
        forms += [(w + "es", SG), (w + "e", PL), (w + "er", PL), (w + "ern", PL)]
    forms.append((w + "en", AMB if g == "m" or lower.endswith(_N_DECL) else PL))
    if lower[-1] in "rl":
        forms.append((w + "n", PL))
    u = _umlaut(w)
    if u is not None:
        forms += [(u + "e", PL), (u + "en", PL)]
        if g != "f":
            forms += [(u + "er", PL), (u + "ern", PL)]
    return forms


# Stems of adjectives and participles that German uses as nouns (der Angestellte, ein
# Deutscher, die Reisenden, der Jugendliche), told by their shape: a past participle in
# consonant + t or -en, a present participle in -end, the suffixes -ig, -lich, -isch, -los.
_NOMINAL_E = ("t", "en", "end", "ig", "lich", "isch", "sch", "los")
_NOMINAL_EN = ("en", "end", "ig", "lich", "isch", "los")  # Gefangenen, Reisenden, Jugendlichen


def _nominalised_stem(word: str) -> str | None:
    """The adjective stem of a noun that declines like an adjective, or None. From an entry
    in -e (Angestellte, Deutsche, Verletzte) the stem must end in one of _NOMINAL_E; from one
    in -er or -en (Angestellter, Angestellten): a consonant + t (not -cht, -st: Dichter,
    Minister), a consonant + net (Abgeordneter), -deutsch, or for -en one of _NOMINAL_EN;
    -er is also the ending of agent nouns (Arbeiter, Leiter, Vertreter, Fischer). The regular
    noun forms are kept as well: a word taken for a nominalised adjective loses none."""
    lower = word.lower()
    if lower.endswith("e") and len(lower) >= 6:
        stem = word[:-1]
        nominal = stem.lower().endswith(_NOMINAL_E) and not stem.lower().endswith("cht")
        return stem if nominal else None
    if lower.endswith(("er", "en")) and len(lower) >= 7:
        stem, base = word[:-2], lower[:-2]
        if base.endswith("deutsch") or (lower.endswith("en") and base.endswith(_NOMINAL_EN)):
            return stem
        # angestellt, verletzt, bekannt, beamt; abgeordnet: a consonant + net
        consonant_t = base[-1] == "t" and base[-2] not in _VOWELS and base[-2] not in "hs"
        consonant_net = base.endswith("net") and base[-4] not in _VOWELS
        return stem if consonant_t or consonant_net else None
    return None


def _noun_forms(word: str, gender: str | None) -> list[tuple[str, int]]:
    """Forms of a noun, its own spelling first, each tagged SG, PL or AMB."""
    lower = word.lower()
    regular = _regular_noun_forms(word, lower, gender)
    stem = _nominalised_stem(word)
    if stem is None:
        return regular
    # der Angestellte, ein Angestellter, den Angestellten: -en and -e show no number
    nominal = {stem + "e": AMB, stem + "er": SG, stem + "en": AMB}
    return (
        [(word, nominal[word])]
        + [(f, nominal.get(f, t)) for f, t in regular[1:]]
        + [(f, t) for f, t in nominal.items() if f != word and f not in dict(regular)]
    )


def _regular_noun_forms(word: str, lower: str, gender: str | None) -> list[tuple[str, int]]:
    forms = _suffix_noun_forms(word, lower, gender)
    if forms is not None:
        return forms
    if (
        lower.endswith(("er", "el", "en")) and len(lower) > 3 and lower[-3] not in _VOWELS
    ) or lower.endswith(("chen", "lein")):
        return _er_noun_forms(word, lower, gender)
    return _default_noun_forms(word, lower, gender)


def _adj_forms(word: str) -> list[tuple[str, int]]:
    """An adjective with every ending: gegenseitiger → gegenseitig, -e, -er, -es, -en, -em."""
    lower, stem = word.lower(), word
    for ending in ("er", "es", "en", "em", "e"):
        if lower.endswith(ending) and len(lower) - len(ending) >= 3:
            stem = word[: -len(ending)]
            break
    return [(word, AMB), (stem, AMB)] + [(stem + e, AMB) for e in _ADJ_ENDINGS]


# Slot kinds: how a word of a term may vary.
_FIXED, _NOUN, _ADJ, _NOUN_ADJ, _ACRONYM, _EXACT, _ARTICLE, _VERB = range(8)
_DEFINITE = ("der", "die", "das", "den", "dem", "des")
_INDEFINITE = ("ein", "eine", "einen", "einem", "einer", "eines")


_Form = tuple[str, int, int]  # form, number tag, case flag (0, _CAP or _LOW)


def _given_plural(forms: list[tuple[str, int]], plural: str) -> list[tuple[str, int]]:
    """A noun's forms with the plural the glossary gives (Praxis → Praxen) in place of the
    plurals the rules guess, and its dative (Atlanten, but Themen: one ending in n or s has
    none of its own)."""
    plurals = [(plural, PL)]
    if not plural.casefold().endswith(("n", "s")):
        plurals.append((plural + "n", PL))
    return [(f, t) for f, t in forms if t != PL] + plurals


def _slot_forms(kind: int, word: str, gender: str | None, plural: str | None = None) -> list[_Form]:
    """(form, number tag, case flag) for one slot; `plural`: the glossary's plural of a noun."""
    if kind == _NOUN:  # German capitalises nouns: "macht", "morgen" are other words
        nouns = _noun_forms(word, gender)
        return [
            (f, t, _CAP) for f, t in (nouns if plural is None else _given_plural(nouns, plural))
        ]
    if kind == _NOUN_ADJ:
        # It may be an adjective ("Europäischen Union" is singular), so no form tells number.
        nouns = _noun_forms(word, gender)
        if plural is not None:
            nouns = _given_plural(nouns, plural)
        forms = [(word, AMB, 0)] + [(f, AMB, _CAP) for f, _ in nouns[1:]]
        seen = {f for f, _ in nouns}
        return forms + [(f, AMB, 0) for f, _ in _adj_forms(word) if f not in seen]
    if kind == _ADJ:
        return [(f, t, 0) for f, t in _adj_forms(word)]
    if kind == _VERB:  # the infinitive in any case; the rest lowercase but at a start
        verb = verb_forms(word)
        # offen, golden, eigen: it may be an adjective, which keeps its -en
        adjective = [(word + ending, AMB, 0) for ending in ("", *_ADJ_ENDINGS)]
        return adjective if verb is None else adjective + [(f, AMB, _LOW) for f in verb.forms]
    if kind == _ACRONYM:
        return [(word, AMB, 0), (word + "s", AMB, _CAP)]
    if kind == _ARTICLE:  # "der Westen" is also "den Westen", "des Westens"
        articles = _DEFINITE if word.casefold() in _DEFINITE else _INDEFINITE
        return [(word, AMB, 0)] + [(a, AMB, 0) for a in articles]
    return [(word, AMB, 0)]


_UMLAUT_RE = re.compile("[äöüÄÖÜ]")
_SPELLED_IN_TEXT = re.compile("[aou]e", re.IGNORECASE)
_UMLAUT_OF = {"a": "ä", "o": "ö", "u": "ü", "A": "Ä", "O": "Ö", "U": "Ü"}
_MAX_SPELLED = 4  # ae/oe/ue per word read back in every combination: 15 lookups at most


def _umlauts_read_back(unit: _Unit) -> list[_Unit]:
    """A word with spelled-out umlauts (Muenchen, Pjoengjang, Aussenminister: wire feeds, URLs,
    old systems) read back in every combination of its ae/oe/ue (München; Feuer → Feür finds
    nothing): the text is searched with these instead of every form being stored twice. Only
    a word with no umlaut of its own (every umlaut spelled out, never a mix), and never an
    umlaut dropped (schon is not schön). The units are flagged as changed, so exact terms
    refuse them; a form's own ae/oe/ue is never read as an umlaut, as at least one is read
    back."""
    raw = unit[1]
    if _UMLAUT_RE.search(raw) is not None:
        return []
    spots = [m.start() for m in _SPELLED_IN_TEXT.finditer(raw)][:_MAX_SPELLED]
    out = []
    for mask in range(1, 1 << len(spots)):
        chars: list[str] = []
        last = 0
        for bit, at in enumerate(spots):
            if mask >> bit & 1:
                chars += (raw[last:at], _UMLAUT_OF[raw[at]])
                last = at + 2
        restored = "".join(chars) + raw[last:]
        out.append((restored.casefold(), restored, unit[2], unit[3], True))
    return out


def _merge_forms(forms: list[_Form]) -> dict[str, int]:
    """Key → packed tag|flag; a form generated twice with different numbers is AMB, and
    keeps a case flag only if both generations had it."""
    out: dict[str, int] = {}
    for form, tag, flag in forms:
        key = form.casefold()
        packed = tag | flag
        old = out.get(key)
        if old is not None:
            same_tag = (old & 3) == tag
            packed = (tag if same_tag else AMB) | (old & packed & _CASE_FLAGS)
        out[key] = packed
    return out


# ---------------------------------------------------------------------------------------------
# Terms → slots

_FUNCTION_WORDS = frozenset(
    "für von vom zu zum zur mit nach bei beim aus an am auf in im ins über unter gegen ohne um "
    "durch vor hinter neben zwischen bis seit wegen trotz der die das des dem den und oder "
    "sowie ein eine einer eines einem einen als wie de del la le les of the and for".split()
)
_NO_CHECK, _CHECK_CASE, _CHECK_LOWER, _CHECK_RAW = range(4)


def _gender(term: Term) -> str | None:
    g = (term.gender or "").strip().lower()
    return {"der": "m", "die": "f", "das": "n"}.get(g, g[:1] if g[:1] in ("m", "f", "n") else None)


def _split_term(source: str) -> tuple[list[str], list[str]]:
    """A term's words (cleaned) and the raw gaps between them."""
    if source.isalpha() and unicodedata.is_normalized("NFC", source):
        return [source], []  # most terms: one plain word
    pieces = _WORD_RE.split(source)
    return [_clean(w) for w in pieces[1::2]], pieces[2:-1:2]


def term_key(source: str, *, case_sensitive: bool = False) -> str:
    """The spelling under which two sources are one term for the matcher: its words (soft
    hyphens removed, NFC) and what joins them, as a lenient term reads them (any hyphen or
    dash, spaced or not, is "-"; whitespace, with quotes, is " "; other punctuation stays as
    written, its whitespace collapsed), casefolded (which maps ß to ss) unless
    `case_sensitive`. Quotes and punctuation around the words do not count. A glossary file
    may not hold two entries with one key, and of several glossaries the first-named one's
    entry wins (glossary/termrules.py, glossary/glossaries.py)."""
    source = source.replace("\xad", "")  # also one beside a dash, where no word holds it
    words, gaps = _split_term(source)
    if not words:
        key = " ".join(source.split())
    elif len(words) == 1:
        key = words[0]
    else:
        parts = [words[0]]
        for word, gap in zip(words[1:], gaps, strict=True):
            code = _gap_codes(gap)[0]
            parts += ("-" if code == _DASH else " " if code == _SPACE else code[1:], word)
        key = "".join(parts)
    return key if case_sensitive else key.casefold()


def _closed_spelling(words: list[str], gaps: list[str]) -> tuple[list[str], list[str]] | None:
    """Kreml-Herrscher → Kremlherrscher; None when the term has no compound hyphen."""
    if not any(g in _HYPHENS for g in gaps):
        return None
    out_words, out_gaps = [words[0]], []
    for word, gap in zip(words[1:], gaps, strict=True):
        if gap in _HYPHENS:
            out_words[-1] += word[:1].lower() + word[1:]
        else:
            out_words.append(word)
            out_gaps.append(gap)
    return out_words, out_gaps


def _plural_words(term: Term, words: list[str]) -> dict[int, str]:
    """The words of the term's `source_plural` that differ from its source's, by index (the
    noun of "klinische Praxis" → {1: "Praxen"}); none where the two do not pair word for
    word."""
    if term.source_plural is None:
        return {}
    plural, _ = _split_term(_searchable(term.source_plural))
    if len(plural) != len(words):
        return {}
    return {k: p for k, (p, w) in enumerate(zip(plural, words, strict=True)) if p != w}


def _head_slot(words: list[str]) -> int:
    """The word that shows the number: the last one before a preposition or article
    (Waffen für Butter → Waffen), else the last (gegenseitiger Beistand → Beistand)."""
    for k in range(1, len(words)):
        if words[k].casefold() in _FUNCTION_WORDS:
            return k - 1
    return len(words) - 1


_BUCKET = 5  # letters that name a bucket of terms
_NO_UMLAUTS = str.maketrans("äöü", "aou")
_PROBED_LIMIT = 200_000  # word heads remembered as compiled; forgotten beyond that


def _bucketed(terms: Sequence[Term]) -> dict[str, list[int]]:
    buckets: dict[str, list[int]] = {}
    for index, term in enumerate(terms):
        for bucket in _term_buckets(term):
            buckets.setdefault(bucket, []).append(index)
    return buckets


def _checked_buckets(buckets: dict[str, list[int]], count: int) -> dict[str, list[int]]:
    """Buckets from a cache, if they hold each of `count` terms (ValueError if not)."""
    seen = {i for indices in buckets.values() for i in indices}
    if seen != set(range(count)) or not all(isinstance(b, str) for b in buckets):
        raise ValueError("the cached buckets do not fit these terms")
    return buckets


_SPELLED_RE = re.compile("[aou]e")


def _umlauts_back(key: str) -> str:
    """A word's ae/oe/ue read as umlauts, folded as buckets fold them (Muenchen → munchen):
    the bucket of a term whose umlaut the text spelled out."""
    return _SPELLED_RE.sub(lambda m: m.group()[0], key)


def _searchable(source: str) -> str:
    """A term's source read as `find` reads a text (lookalike.plain)."""
    searched = plain(source)
    return source if searched is None else searched.text


def _term_buckets(term: Term) -> tuple[str, ...]:
    """The buckets a term is compiled with: its first word's (_word_bucket), and for a verb
    those of its forms that start otherwise (gekauft, aufgerüstet, the split "rüstet")."""
    first = _term_bucket(term.source)
    if term.source_plural is not None:  # Kaufmann, Kaufleute
        return tuple(dict.fromkeys([first, _term_bucket(term.source_plural)]))
    if term.match == "exact" or not term.source.islower() or not term.source.isalpha():
        return (first,)
    verb = verb_forms(term.source.casefold())
    if verb is None:
        return (first,)
    return tuple(dict.fromkeys([first, *map(_word_bucket, (*verb.forms, *verb.finite))]))


def _term_bucket(source: str) -> str:
    """The bucket a term is compiled with: the first letters of its first word, casefolded,
    umlauts folded (Arzt, Ärzte), leaving out the last two, where inflection changes a short
    word (hoch, hohe); every form of the word starts with them. "" for terms that start with
    an article, whose first word has every article's forms."""
    words, _ = _split_term(_searchable(source).replace("\xad", ""))
    if not words or _leading_article(words):
        return ""
    return _word_bucket(words[0])


def _word_bucket(word: str) -> str:
    word = word.casefold()
    return word[: max(1, min(_BUCKET, len(word) - 2))].translate(_NO_UMLAUTS)


def _leading_article(words: list[str]) -> bool:
    return len(words) > 1 and words[0].casefold() in (*_DEFINITE, *_INDEFINITE)


def _word_kind(word: str, joiner: str | None, multi: bool, pos: str) -> int:
    """How one word of a lenient term varies; `joiner` is the code after it (None if last)."""
    if joiner == _DASH or not word[0].isalpha():
        return _FIXED  # the first part of a compound does not inflect
    if multi and word.casefold() in _FUNCTION_WORDS:
        return _FIXED
    if len(word) > 1 and word.isupper():
        return _ACRONYM
    if not multi and (pos.startswith("verb") or (not pos and word[0].islower())):
        if verb_forms(word.casefold()) is not None:  # exportieren, aufrüsten, handeln
            return _VERB
        if pos.startswith("verb"):
            return _FIXED
    if not multi and pos.startswith(("noun", "proper", "name")):
        return _NOUN
    if (not multi and pos.startswith("adj")) or word[0].islower():
        return _ADJ
    if joiner is None or not word.lower().endswith(_ADJ_ENDINGS):
        return _NOUN
    return _NOUN_ADJ  # "Europäische Union", "Neue Zürcher Zeitung": may be an adjective


# ---------------------------------------------------------------------------------------------
# The matcher


class _Cand(NamedTuple):
    """A match before overlaps are resolved."""

    start: int
    end: int
    term: int
    tags: tuple[int, ...]  # number tag of each slot's form
    first: int  # index of the first token
    head: int  # index of the slot whose tag gives the number
    particle: tuple[int, int] | None = None  # a split verb's particle: rüstet … auf


_Hits = int | tuple[int, ...]  # the packed slot value(s) of a form: an int for one, else a tuple


class TermMatcher:
    """Compiled glossary terms; `find` returns their occurrences in a text.

    `origins`, one per term when given, say where each term came from (`origin`); matchers
    built from glossaries have them (glossary/glossaries.py)."""

    def __init__(
        self,
        terms: Iterable[Term],
        origins: Sequence[Origin] | None = None,
        *,
        buckets: dict[str, list[int]] | None = None,
    ) -> None:
        """`buckets`: what `buckets()` gave for the same terms in the same order (a disk
        cache keyed by content, glossary/glossaries.py); ValueError when it does not fit."""
        self._terms = tuple(terms)
        self._set_origins(origins)
        # form key → packed (slot id << _SHIFT | case flags | number tag) of the slots it fills
        self._forms: dict[str, _Hits] = {}
        self._slot_ids: dict[tuple[int, str, str | None, int, str | None], int] = {}
        self._checks: list[tuple[int, frozenset[str], bool] | None] = []
        # The trie, as flat dicts of ints and strings: the garbage collector does not track
        # them, so a 100k-term matcher does not slow every later collection down.
        self._root: dict[int, int] = {}  # first slot id → node
        self._edges: dict[tuple[int, str, int], int] = {}  # (node, joiner, slot id) → node
        self._codes: dict[int, tuple[str, ...]] = {}  # node → joiners it has edges for
        self._ends: dict[int, tuple[tuple[int, ...], int]] = {}  # node → (terms, head slot)
        # a separable verb's finite forms → (term, particle): "rüstet" → aufrüsten, "auf"
        self._split: dict[str, list[tuple[int, str]]] = {}
        self._node_count = 0
        # of each compiled term: its source as the text's words fold, whether it starts with
        # an article (which then is the determiner to look at), its gender
        self._source_keys: dict[int, str] = {}
        self._leads: dict[int, int] = {}
        self._genders: dict[int, str | None] = {}
        # Terms are compiled when a text first holds a word that may be a form of their
        # first word (by its first letters, _term_bucket): a text's words name the buckets.
        self._lock = threading.Lock()
        self._buckets = (
            _checked_buckets(buckets, len(self._terms))
            if buckets is not None
            else _bucketed(self._terms)
        )
        self._pending = dict(self._buckets)
        self._probed: set[str] = set()  # word heads whose buckets are compiled
        self._compile(("",))  # terms that start with an article: every text may hold one

    @property
    def terms(self) -> tuple[Term, ...]:
        return self._terms

    def _set_origins(self, origins: Sequence[Origin] | None) -> None:
        if origins is not None and len(origins) != len(self._terms):
            raise ValueError(f"{len(origins)} origins for {len(self._terms)} terms")
        self._origins = None if origins is None else tuple(origins)
        # one shared Origin (one glossary, nothing overridden): no lookup per term needed
        first = self._origins[0] if self._origins else None
        one = (
            first is not None
            and self._origins is not None
            and self._origins.count(first) == len(self._origins)
        )
        self._one_origin = first if one else None
        self._by_id: dict[int, int] | None = None  # id(term) → index, built on first use

    def origin(self, term: Term) -> Origin | None:
        """Where `term`, one of this matcher's (an Occurrence's term), came from; None when
        the matcher was given no origins."""
        if self._one_origin is not None or self._origins is None:
            return self._one_origin
        by_id = self._by_id
        if by_id is None:
            by_id = self._by_id = {id(t): i for i, t in enumerate(self._terms)}
        index = by_id.get(id(term))
        return None if index is None else self._origins[index]

    def buckets(self) -> dict[str, list[int]]:
        """Which terms are compiled together, as the disk cache keeps it (plain values)."""
        return self._buckets

    def compile_all(self) -> None:
        """Compile every term not compiled yet, one bucket at a time, so that searches
        meanwhile wait for one bucket at most."""
        for bucket in list(self._pending):
            self._compile((bucket,))

    # -- compiling ------------------------------------------------------------------------

    def _compile(self, buckets: Iterable[str]) -> None:
        """Compile the terms of these buckets. A bucket leaves `_pending` only once its terms
        are in the tables, so a search that finds it gone may use them; a search that finds
        it pending waits here for the lock."""
        with self._lock:
            for bucket in buckets:
                indices = self._pending.get(bucket)
                if indices is None:
                    continue  # compiled while this search waited
                for index in indices:
                    if index not in self._source_keys:  # a verb sits in several buckets
                        self._add_term(index, self._terms[index])
                del self._pending[bucket]
            if not self._pending:
                self._slot_ids = {}  # only needed while compiling

    def _compile_for(self, doc: _Doc) -> None:
        """Compile the terms whose first word may be one of the text's words."""
        pending = self._pending
        keys = set(doc.keys)
        if doc.joins:  # Eu-\nropa: a word begun on one line and ended on the next
            for i in range(doc.n):
                if doc.ends[i] in doc.joins:
                    keys.update(unit[0] for unit in doc.joined(i))
        heads = {key[:_BUCKET] for key in keys}
        heads.update(_umlauts_back(key)[:_BUCKET] for key in keys if _SPELLED_RE.search(key))
        heads -= self._probed
        wanted = set()
        for head in heads:
            folded = head.translate(_NO_UMLAUTS)
            for length in range(1, len(folded) + 1):
                if folded[:length] in pending:
                    wanted.add(folded[:length])
        if wanted:
            self._compile(sorted(wanted))
        if len(self._probed) > _PROBED_LIMIT:
            self._probed = set()
        self._probed |= heads  # only now: their terms are compiled

    def _add_term(self, index: int, term: Term) -> None:
        source = _searchable(term.source)
        self._source_keys[index] = _clean(source).casefold()
        gender = self._genders[index] = _gender(term)
        words, gaps = _split_term(source)
        lead = bool(words) and _leading_article(words)
        self._leads[index] = int(lead)
        if not words:
            return
        exact = term.match == "exact"
        if (
            not exact
            and len(words) == 1
            and words[0][-1:] == "n"
            and _word_kind(words[0], None, False, (term.pos or "").lower()) == _VERB
        ):
            self._add_split(index, words[0].casefold())
        plurals = _plural_words(term, words)
        variants = [(words, gaps, plurals)]
        closed = None if exact else _closed_spelling(words, gaps)
        if closed is not None:
            variants.append((*closed, {}))
        if exact and plurals:  # an exact term's plural is one more exact spelling
            variants.append(([plurals.get(k, w) for k, w in enumerate(words)], gaps, {}))
        for v_words, v_gaps, v_plurals in variants:
            codes = [_gap_codes(g)[-1 if exact else 0] for g in v_gaps]
            sids = self._term_slots(term, v_words, codes, exact, lead, gender, v_plurals)
            self._insert(sids, codes, index, _head_slot(v_words))

    def _add_split(self, index: int, word: str) -> None:
        verb = verb_forms(word)
        if verb is None or not verb.particle:
            return
        for form in verb.finite:
            entries = self._split.setdefault(form, [])
            if (index, verb.particle) not in entries:
                entries.append((index, verb.particle))

    def _term_slots(
        self,
        term: Term,
        words: list[str],
        codes: list[str],
        exact: bool,
        lead: bool,
        gender: str | None,
        plurals: dict[int, str],
    ) -> list[int]:
        """The slot of each word of one spelling of a term (`lead`: it starts with an
        article; `gender`: the term's, as _gender gives it; `plurals`: the glossary's plural
        of a word, by its index)."""
        pos, multi = (term.pos or "").lower(), len(words) > 1
        if exact:
            check = _CHECK_RAW if term.case_sensitive else _CHECK_LOWER
            return [self._slot(_EXACT, w, None, check) for w in words]
        check = _CHECK_CASE if term.case_sensitive else _NO_CHECK
        sids = []
        for k, word in enumerate(words):
            kind = _word_kind(word, codes[k] if k < len(codes) else None, multi, pos)
            if k == 0 and lead:
                kind = _ARTICLE
            noun = kind in (_NOUN, _NOUN_ADJ)
            plural = plurals.get(k) if noun else None
            sids.append(self._slot(kind, word, gender if noun else None, check, plural))
        return sids

    def _slot(
        self, kind: int, word: str, gender: str | None, check: int, plural: str | None = None
    ) -> int:
        """The id of a slot, generating its forms the first time it is seen."""
        base = word.casefold() if check == _NO_CHECK else word
        if plural is not None and check == _NO_CHECK:
            plural = plural.casefold()
        key = (kind, base, gender, check, plural)
        sid = self._slot_ids.get(key)
        if sid is not None:
            return sid
        sid = len(self._checks)
        self._slot_ids[key] = sid
        forms = _slot_forms(kind, base, gender, plural)
        table = self._forms
        for form_key, packed in _merge_forms(forms).items():
            value = (sid << _SHIFT) | packed
            old = table.get(form_key)  # one slot: its int; more: a tuple (saves a tuple each)
            table[form_key] = (
                value if old is None else (old, value) if isinstance(old, int) else (*old, value)
            )
        if check == _NO_CHECK:
            self._checks.append(None)
        else:
            allowed = frozenset(_check_form(check, f) for f, _, _ in forms)
            self._checks.append((check, allowed, kind == _EXACT))
        return sid

    def _new_node(self) -> int:
        self._node_count += 1
        return self._node_count

    def _insert(self, sids: list[int], codes: list[str], index: int, head: int) -> None:
        node = self._root.get(sids[0])
        if node is None:
            node = self._root[sids[0]] = self._new_node()
        for code, sid in zip(codes, sids[1:], strict=True):
            child = self._edges.get((node, code, sid))
            if child is None:
                child = self._edges[(node, code, sid)] = self._new_node()
                known = self._codes.get(node, ())
                if code not in known:
                    self._codes[node] = (*known, code)
            node = child
        terms, _ = self._ends.get(node, ((), head))
        if index not in terms:
            self._ends[node] = ((*terms, index), head)

    # -- searching ------------------------------------------------------------------------

    def find(self, text: str) -> list[Occurrence]:
        """Occurrences in text order, non-overlapping, the longest winning. Zero-width
        characters, fullwidth letters and look-alike letters of another script do not hide a
        term (glossary/lookalike.py); offsets are the original text's."""
        if not text or not (self._root or self._pending):
            return []
        searched = plain(text)
        if searched is None:
            return self._find(text)
        occurrences = []
        for occ in self._find(searched.text):
            start, end = searched.span(occ.start, occ.end)
            warnings = searched.warnings(occ.start, occ.end)
            parts = tuple(searched.span(*part) for part in occ.parts)
            occurrences.append(
                replace(
                    occ, start=start, end=end, text=text[start:end], warnings=warnings, parts=parts
                )
            )
        return occurrences

    def _find(self, text: str) -> list[Occurrence]:
        doc = _Doc(text)
        if self._pending:
            self._compile_for(doc)
        cands: list[_Cand] = []
        get, joins = self._forms.get, doc.joins
        split = self._split
        for i, key in enumerate(doc.keys):  # the hot loop: most tokens start no term
            if split and key in split:
                self._split_verbs(doc, i, split[key], cands)
            hits = get(key)
            if hits is not None:
                self._start(doc, i, (key, doc.raws[i], i + 1, doc.ends[i], False), hits, cands)
            if joins and doc.ends[i] in joins:
                for unit in doc.joined(i):
                    hits = get(unit[0])
                    if hits is not None:
                        self._start(doc, i, unit, hits, cands)
        for i in doc.spelled_starts():
            for unit in doc.read_back(i):
                hits = get(unit[0])
                if hits is not None:
                    self._start(doc, i, unit, hits, cands)
        return [self._occurrence(doc, c) for c in self._select(doc, cands)]

    def _split_verbs(
        self, doc: _Doc, i: int, entries: list[tuple[int, str]], cands: list[_Cand]
    ) -> None:
        """Separable verbs whose finite form is token i and whose particle closes the clause
        (Russland rüstet massiv auf)."""
        raw = doc.raws[i]
        if (
            raw[:1].isupper()
            and not raw.isupper()
            and not doc.caseless
            and not _starts_sentence(doc, i)
        ):
            return  # a capitalised word inside a sentence is a noun (die Rüste)
        for term, particle in entries:
            j = _closing_particle(doc, i, particle)
            if j is not None:
                cands.append(
                    _Cand(
                        doc.starts[i], doc.ends[i], term, (AMB,), i, 0, (doc.starts[j], doc.ends[j])
                    )
                )

    def _start(self, doc: _Doc, i: int, unit: _Unit, hits: _Hits, cands: list[_Cand]) -> None:
        """Start a walk for every slot of `hits` that begins a term."""
        root, checks = self._root, self._checks
        for value in (hits,) if isinstance(hits, int) else hits:
            node = root.get(value >> _SHIFT)
            if node is None:
                continue
            # the common case needs no call: no capital required, no case/exactness check
            if (value & _CASE_FLAGS or checks[value >> _SHIFT] is not None) and not self._accepts(
                value, unit, doc, i
            ):
                continue
            self._extend(doc, node, unit, (value & 3,), i, cands)

    def _accepts(self, value: int, unit: _Unit, doc: _Doc, index: int) -> bool:
        """Whether a token (`unit`, starting at token `index`) may fill the slot `value`
        points at: capital or lowercase (unless the text has no capitals), case, exactness."""
        if value & _CASE_FLAGS and not doc.caseless:
            first = unit[1][:1]
            if value & _CAP and first.islower():
                return False
            if (
                value & _LOW
                and first.isupper()
                and not unit[1].isupper()
                and not _starts_sentence(doc, index)
            ):
                return False
        check = self._checks[value >> _SHIFT]
        if check is None:
            return True
        mode, allowed, exact = check
        if exact and unit[4]:
            return False  # exact terms refuse a hyphen inserted into a closed word
        return _check_form(mode, unit[1]) in allowed

    def _extend(
        self,
        doc: _Doc,
        node: int,
        last: _Unit,
        tags: tuple[int, ...],
        first: int,
        cands: list[_Cand],
    ) -> None:
        """Record the terms ending at `node`, then try every continuation after `last`."""
        ends = self._ends.get(node)
        if ends is not None:
            start = doc.starts[first]
            for term in ends[0]:
                cands.append(_Cand(start, last[3], term, tags, first, ends[1]))
        known = self._codes.get(node)
        if known is None:
            return
        j = last[2]
        if j >= doc.n:
            return
        codes = [c for c in _gap_codes(doc.gaps[j - 1]) if c in known]
        if not codes:
            return
        for unit in doc.units(j):
            hits = self._forms.get(unit[0])
            if hits is None:
                continue
            for value in (hits,) if isinstance(hits, int) else hits:
                for code in codes:
                    child = self._edges.get((node, code, value >> _SHIFT))
                    if child is not None and self._accepts(value, unit, doc, j):
                        self._extend(doc, child, unit, (*tags, value & 3), first, cands)

    def _select(self, doc: _Doc, cands: list[_Cand]) -> list[_Cand]:
        """Longest first, then earliest, then own spelling, then glossary order."""
        spans = Counter((c.start, c.end) for c in cands)

        def rank(c: _Cand) -> tuple[int, int, bool, int]:
            own = (
                spans[c.start, c.end] > 1
                and _clean(doc.text[c.start : c.end]).casefold() == self._source_keys[c.term]
            )
            return (c.start - c.end, c.start, not own, c.term)

        starts: list[int] = []
        ends: list[int] = []
        chosen: list[_Cand] = []
        for c in sorted(cands, key=rank):
            k = bisect.bisect_right(starts, c.start)
            if (k > 0 and ends[k - 1] > c.start) or (k < len(starts) and starts[k] < c.end):
                continue
            starts.insert(k, c.start)
            ends.insert(k, c.end)
            chosen.append(c)
        chosen.sort(key=lambda c: c.start)
        return chosen

    def _occurrence(self, doc: _Doc, c: _Cand) -> Occurrence:
        term = self._terms[c.term]
        tag = c.tags[c.head]
        if tag != AMB:
            return Occurrence(c.start, c.end, doc.text[c.start : c.end], term, tag == PL)
        if c.particle is not None:
            parts = ((c.start, c.end), c.particle)
            return Occurrence(c.start, c.end, doc.text[c.start : c.end], term, None, parts=parts)
        plural = _determiner_number(doc, c.first + self._leads[c.term], self._genders[c.term])
        return Occurrence(c.start, c.end, doc.text[c.start : c.end], term, plural)


_OPENERS = " \t\r\n\"'„“”‚‘’»«›‹([–—-"


_CLAUSE_END = (".", ",", ";", ":", "!", "?", ")", "–", "—", '"', "“", "”", "»", "«")
_SENTENCE_END = frozenset(".!?;:")
_CONJUNCTIONS = frozenset(("und", "oder", "aber", "sondern", "denn", "doch"))
_SPLIT_REACH = 16  # tokens between a split verb and its particle, at most


def _closing_particle(doc: _Doc, i: int, particle: str) -> int | None:
    """The token after token i, in the same sentence, that is `particle` closing the clause
    (before punctuation, a conjunction or the end), or None."""
    for j in range(i + 1, min(doc.n, i + 1 + _SPLIT_REACH)):
        if _SENTENCE_END.intersection(doc.gaps[j - 1]):
            return None
        capitalised = doc.raws[j][:1].isupper() and not doc.raws[j].isupper()
        if doc.keys[j] != particle or capitalised:
            continue
        after = doc.gaps[j].lstrip(" \t")
        if (
            j + 1 >= doc.n
            or after.startswith(_CLAUSE_END)
            or "\n" in after
            or (not after.strip() and doc.keys[j + 1] in _CONJUNCTIONS)
        ):
            return j
    return None


def _starts_sentence(doc: _Doc, index: int) -> bool:
    """Whether token `index` begins a sentence, a line or the text (a capital there says
    nothing about the word)."""
    if index == 0:
        return True
    gap = doc.gaps[index - 1]
    return "\n" in gap or gap.rstrip(_OPENERS)[-1:] in (".", "!", "?", ":", ";")


def _check_form(mode: int, word: str) -> str:
    """The spelling a case-sensitive or exact slot compares."""
    if mode == _CHECK_LOWER:
        return word.lower()
    if mode == _CHECK_CASE:
        return word.replace("ß", "ss").replace("ẞ", "SS")
    return word


# ---------------------------------------------------------------------------------------------
# Number from the determiner


def _determiners() -> dict[str, tuple[frozenset[str], bool]]:
    """Determiner → (genders it can be singular with, whether it can be plural)."""
    table: dict[str, tuple[str, bool]] = {
        "der": ("mf", True),
        "die": ("f", True),
        "das": ("n", False),
        "des": ("mn", False),
        "dem": ("mn", False),
        "den": ("m", True),
        "dies": ("n", False),
    }
    for stem in ("ein", "kein", "mein", "dein", "sein", "ihr", "unser", "eur"):
        plural = stem != "ein"
        base = "euer" if stem == "eur" else stem
        table |= {
            base: ("mn", False),
            stem + "e": ("f", plural),
            stem + "en": ("m", plural),
            stem + "em": ("mn", False),
            stem + "er": ("mf", plural),
            stem + "es": ("mn", False),
        }
    for stem in ("dies", "jen", "welch", "solch", "jed"):
        plural = stem != "jed"
        table |= {
            stem + "er": ("mf", plural),
            stem + "e": ("f", plural),
            stem + "es": ("mn", False),
            stem + "em": ("mn", False),
            stem + "en": ("m", plural),
        }
    plural_only = (
        "alle allen aller beide beiden beider viele vielen vieler mehrere mehreren "
        "mehrerer einige einigen einiger wenige wenigen zahlreiche zahlreichen "
        "sämtliche sämtlichen etliche etlichen zwei drei vier fünf sechs sieben acht "
        "neun zehn elf zwölf zwanzig dreissig hundert tausend hunderte hunderten "
        "tausende tausenden dutzende dutzenden"
    )
    table |= {w: ("", True) for w in plural_only.split()}
    return {w: (frozenset(g), p) for w, (g, p) in table.items()}


_DETERMINERS = _determiners()


def _determiner_number(doc: _Doc, first: int, gender: str | None) -> bool | None:
    """Number shown by the determiner before token `first`, skipping ≤ 2 adjectives."""
    j, skipped = first - 1, 0
    while j >= 0 and _SPACE in _gap_codes(doc.gaps[j]):
        word = doc.keys[j]
        if word in _DETERMINERS:
            genders, can_plural = _DETERMINERS[word]
            can_singular = bool(genders) if gender is None else gender in genders
            return None if can_plural == can_singular else can_plural
        if word.isascii() and word.isdigit():
            return int(word) != 1
        if skipped < 2 and doc.raws[j][:1].islower() and word.endswith(_ADJ_ENDINGS):
            skipped, j = skipped + 1, j - 1
            continue
        return None
    return None
