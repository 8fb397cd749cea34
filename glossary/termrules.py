"""The rules every reader and writer of glossaries shares: limits, the keys and values a
file may hold, what counts as a control character, and when two terms are the same term.

The limits are DeepL's: 10 MB a glossary (its dictionary limit, the default here) and 1024
UTF-8 bytes a term."""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Sequence

from glossary.match import term_key
from glossary.term import Term

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_TERM_BYTES = 1024

TOP_KEYS: tuple[str, ...] = ("source_language", "target_language", "name", "terms")
TERM_KEYS: tuple[str, ...] = (
    "source",
    "target",
    "target_plural",
    "source_plural",
    "match",
    "case_sensitive",
    "forbidden",
    "status",
    "note",
    "pos",
    "gender",
)
POS_VALUES: tuple[str, ...] = ("noun", "verb", "adjective", "adverb", "phrase", "other")
GENDERS: tuple[str, ...] = ("m", "f", "n")

LANGUAGE_RE = re.compile(r"[a-z]{2,3}")  # ISO 639-1/-2/-3 codes, as written in the file


def control_character(text: str, *, allow: str = "") -> tuple[int, str] | None:
    """(index, character) of the first C0/C1 control or line/paragraph separator in `text`.

    These never belong in a term; they also break TSV, CSV and XML 1.0."""
    for index, char in enumerate(text):
        if char in allow:
            continue
        if unicodedata.category(char) == "Cc" or char in "\u2028\u2029":
            return index, char
    return None


def duplicate_key(source: str, *, case_sensitive: bool) -> str:
    """The form under which two sources count as the same term: the matcher's own
    (`match.term_key`: dash variants, spacing around dashes, soft hyphens, quotes between
    words and Unicode normalisation are ignored, and casefold() folds ß to ss), because the
    matcher finds such spellings as one term (issue 3): two entries for them could never both
    apply."""
    return term_key(source, case_sensitive=case_sensitive)


def clashes(term: Term, other: Term) -> bool:
    """Whether two terms have the same source (the rule for duplicates in one file and, in
    glossary/glossaries.py, across glossaries): they fold to the same key, unless both are
    case-sensitive and differ in case."""
    if duplicate_key(term.source, case_sensitive=False) != duplicate_key(
        other.source, case_sensitive=False
    ):
        return False
    both_sensitive = term.case_sensitive and other.case_sensitive
    return not both_sensitive or duplicate_key(term.source, case_sensitive=True) == duplicate_key(
        other.source, case_sensitive=True
    )


def find_source(sources: Sequence[str], source: str) -> int | None:
    """Index of the entry that `source` names, for an edit or a look-up by source (CLI, pages,
    APIs): its exact spelling, else the only source with the same `duplicate_key`, else None.
    Exact first because two case-sensitive terms may share the folded key (US, us): a folded
    key that two entries share names neither."""
    with contextlib.suppress(ValueError):
        return sources.index(source)
    key = duplicate_key(source, case_sensitive=False)
    folded = [i for i, s in enumerate(sources) if duplicate_key(s, case_sensitive=False) == key]
    return folded[0] if len(folded) == 1 else None


def first_duplicate(terms: Sequence[Term]) -> tuple[int, int] | None:
    """(index, index of the earlier term) of the first term that `clashes` with an earlier
    one, or None."""
    first: dict[str, int] = {}
    same_key: dict[str, list[int]] = {}  # only keys held by more than one term
    for index, term in enumerate(terms):
        folded = duplicate_key(term.source, case_sensitive=False)
        if first.setdefault(folded, index) == index:
            continue
        earlier = same_key.setdefault(folded, [first[folded]])
        for other_index in earlier:
            if clashes(term, terms[other_index]):
                return index, other_index
        earlier.append(index)
    return None


_FEW_FRESH = 32  # beyond this many new terms, one pass over every key is cheaper


def first_duplicate_among(terms: Sequence[Term], fresh: Sequence[int]) -> tuple[int, int] | None:
    """(index, index) of a pair of `terms` that clash, at least one of them at an index in
    `fresh`, or None: for terms of which all the others came from one valid file (no two of
    them clash). With few fresh terms, only the terms that share a word with one of them are
    compared, found by one search of all the sources as a single text: a one-term edit of a
    100,000-term glossary folds a handful of keys instead of every one."""
    if len(fresh) > _FEW_FRESH:
        return first_duplicate(terms)
    folded = unicodedata.normalize("NFC", "\n".join(t.source for t in terms).replace("\xad", ""))
    text = folded.casefold()  # as duplicate_key folds each word: NFC, then casefold
    pairs = []
    for index in fresh:
        key = duplicate_key(terms[index].source, case_sensitive=False)
        needle = max(re.findall(r"\w+", key), key=len, default=key)
        other, counted = 0, 0  # the term at each hit: the line breaks before it, counted on
        for found in re.finditer(re.escape(needle), text):
            other += text.count("\n", counted, found.start())
            counted = found.start()
            if other != index and clashes(terms[index], terms[other]):
                pairs.append((max(index, other), min(index, other)))
    return min(pairs, default=None)
