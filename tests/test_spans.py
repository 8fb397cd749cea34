"""Target spans per occurrence (glossary.spans) and the English article rule: each occurrence
claims words of its own, longer wordings first."""

from __future__ import annotations

import pytest

from glossary.english import indefinite_article
from glossary.match import Occurrence
from glossary.spans import assign_spans, required_form
from glossary.term import Term

KREMLIN = Term("Kreml", "Kremlin")
RULER = Term("Kreml-Herrscher", "Kremlin ruler")
DICTATOR = Term("Diktator", "dictator")
NK_DICTATOR = Term("Nordkoreas Diktator", "North Korean dictator")
TREATY = Term("Vertrag", "treaty", target_plural="treaties")


def occ(term: Term, start: int = 0, plural: bool | None = None) -> Occurrence:
    return Occurrence(start, start + len(term.source), term.source, term, plural)


def spans(text: str, *occurrences: Occurrence) -> list[str | None]:
    return [None if s is None else text[s[0] : s[1]] for s in assign_spans(text, occurrences)]


def test_a_term_inside_a_longer_terms_english_is_not_covered_by_it() -> None:
    text = "The Kremlin ruler stays."
    assert spans(text, occ(KREMLIN), occ(RULER, 10)) == [None, "Kremlin ruler"]


def test_the_shorter_term_takes_a_rendering_outside_the_longer_one() -> None:
    text = "The Kremlin ruler stays in the Kremlin."
    assert spans(text, occ(KREMLIN, 30), occ(RULER)) == ["Kremlin", "Kremlin ruler"]
    got = assign_spans(text, [occ(KREMLIN, 30), occ(RULER)])
    assert got[0] == (31, 38)


def test_two_occurrences_need_two_renderings() -> None:
    text = "The dictator met the North Korean dictator."
    both = spans(text, occ(DICTATOR), occ(NK_DICTATOR, 20), occ(DICTATOR, 40))
    assert both == ["dictator", "North Korean dictator", None]


def test_plural_form_is_found_whole() -> None:
    text = "Two treaties and a treaty."
    assert spans(text, occ(TREATY, plural=True), occ(TREATY)) == ["treaties", "treaty"]
    assert required_form(occ(TREATY, plural=True)) == "treaties"


def test_no_span_is_claimed_twice() -> None:
    text = "Kremlin, Kremlin ruler and the Kremlin ruler."
    found = assign_spans(text, [occ(RULER), occ(KREMLIN), occ(RULER), occ(KREMLIN)])
    claimed = [s for s in found if s is not None]
    assert len(claimed) == 3
    for a, b in claimed:
        assert all(not (a < d and b > c) for c, d in claimed if (c, d) != (a, b))


@pytest.mark.parametrize(
    ("word", "article"),
    [
        ("umbrella", "an"),
        ("apple", "an"),
        ("hour", "an"),
        ("university", "a"),
        ("European", "a"),
        ("one-off", "a"),
        ("titfer", "a"),
        ("honest man", "an"),
    ],
)
def test_indefinite_article(word: str, article: str) -> None:
    assert indefinite_article(word) == article
