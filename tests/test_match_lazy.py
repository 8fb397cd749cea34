"""The matcher compiles a term only when a text first holds a word that may be a form of its
first word (issue 10: a 100,000-term glossary is ready without compiling all of it). What it
finds must not depend on which terms happen to be compiled already."""

from __future__ import annotations

import threading

import pytest

from bench.bench_match import glossary as synthetic_glossary
from bench.bench_match import text as synthetic_text
from glossary.match import Occurrence, TermMatcher
from glossary.term import Term
from tests import test_match, test_match_phenomena

# Words whose forms change near their start or end: umlauts in the first syllable, short
# stems, Latin plurals, acronyms, compounds, a leading article, soft hyphens.
TRICKY = [
    "Arzt",
    "Ofen",
    "Öl",
    "Ei",
    "Amt",
    "Uhr",
    "hoch",
    "neue Regierung",
    "Museum",
    "Thema",
    "EU-Staat",
    "EU",
    "NATO-Gipfel",
    "der Westen",
    "ein Deutscher",
    "Ärztin",
    "Über\xadnahme",
    "Kreml-Herrscher",
    "Waffen für Butter",
    "Europäische Union",
    "Bus",
    "5G-Netz",
    "Straße",
    "Maß",
    "Öffentlichkeit",
    "Über-Ich",
    "München",
    "Pjöngjang",
    "Außenminister",
    "Steuerprüfer",
    "Aueröl",
    "Müller-Lüdenscheid",
]


def _case_sources() -> list[str]:
    """Every source of the finder's case tables."""
    sources = []
    tables = [*vars(test_match).values(), *vars(test_match_phenomena).values()]
    for value in tables:
        if isinstance(value, list) and value and isinstance(value[0], tuple):
            sources += [row[0] for row in value if isinstance(row[0], str)]
    return sources


def _compiled(terms: list[Term]) -> TermMatcher:
    matcher = TermMatcher(terms)
    matcher.compile_all()
    return matcher


def _spans(occurrences: list[Occurrence]) -> list[tuple[int, int, str, bool | None]]:
    return [(o.start, o.end, o.term.source, o.plural) for o in occurrences]


def _texts(form: str) -> list[str]:
    texts = [f"Heute: {form} und {form[:1].upper() + form[1:]}.", form.upper()]
    if len(form) > 4:  # hyphenated at a line break, the word's start on one line
        texts.append(f"Die {form[:2]}-\n{form[2:]} kam.")
    return texts


@pytest.mark.parametrize("source", sorted({*TRICKY, *_case_sources()}))
def test_every_form_of_a_term_compiles_it_on_first_sight(source: str) -> None:
    """Each form the compiled term knows (read from its form table, the point of this test),
    shown to a fresh matcher that has compiled nothing: the same occurrences."""
    term = Term(source, "x")
    compiled = _compiled([term])
    forms = sorted(compiled._forms.keys())  # type: ignore[union-attr]
    assert forms, source
    whole = [source, source.replace("\xad", "")]
    for text in [t for form in forms for t in _texts(form)] + whole:
        assert _spans(TermMatcher([term]).find(text)) == _spans(compiled.find(text)), text
    assert TermMatcher([term]).find(whole[1]), source  # the source itself is always found


@pytest.mark.parametrize(("source", "plural"), [r[:2] for r in test_match_phenomena.IRREGULAR])
def test_every_form_of_a_given_plural_compiles_it_on_first_sight(source: str, plural: str) -> None:
    """As above, for a term with a `source_plural` (which may start otherwise: Kaufleute)."""
    term = Term(source, "x", source_plural=plural)
    compiled = _compiled([term])
    for form in sorted(compiled._forms.keys()):  # type: ignore[union-attr]
        for text in _texts(form):
            assert _spans(TermMatcher([term]).find(text)) == _spans(compiled.find(text)), text
    assert TermMatcher([term]).find(plural), plural


def test_lazy_matcher_finds_what_a_compiled_one_finds_in_long_text() -> None:
    terms = synthetic_glossary(3000)
    text = synthetic_text(terms, words=4000)
    expected = _spans(_compiled(terms).find(text))
    assert len(expected) > 100
    assert _spans(TermMatcher(terms).find(text)) == expected


def test_searches_in_parallel_while_compiling_find_the_same() -> None:
    """Eight threads search different texts on one matcher that compiles as they go."""
    terms = synthetic_glossary(3000)
    texts = [synthetic_text(terms, words=600, seed=seed) for seed in range(8)]
    compiled = _compiled(terms)
    expected = [_spans(compiled.find(t)) for t in texts]
    lazy = TermMatcher(terms)
    got: list[list[tuple[int, int, str, bool | None]]] = [[] for _ in texts]
    start = threading.Barrier(len(texts))

    def search(k: int) -> None:
        start.wait()
        for _ in range(3):
            got[k] = _spans(lazy.find(texts[k]))

    threads = [threading.Thread(target=search, args=(k,)) for k in range(len(texts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert got == expected
    assert all(expected)


def test_buckets_given_back_find_what_a_fresh_matcher_finds() -> None:
    """The disk cache keeps a matcher's buckets; a matcher built with them is the same."""
    terms = synthetic_glossary(2000)
    lazy = TermMatcher(terms)
    lazy.find("Ein kurzer Satz ohne viel.")  # compiles a few buckets only
    restored = TermMatcher(terms, buckets=lazy.buckets())
    text = synthetic_text(terms, words=3000)
    assert _spans(restored.find(text)) == _spans(_compiled(terms).find(text))
    assert restored.find(text)


UNFIT = [{"a": [0]}, {"a": [0], "b": [0]}, {"a": [0, 1, 2]}, {1: [0, 1]}]


@pytest.mark.parametrize("buckets", UNFIT)
def test_buckets_that_do_not_fit_the_terms_are_refused(buckets: dict[str, list[int]]) -> None:
    with pytest.raises(ValueError, match="do not fit"):
        TermMatcher([Term("Arzt", "doctor"), Term("Amt", "office")], buckets=buckets)
