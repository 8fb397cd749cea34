"""Which words of an English sentence render which term occurrence.

Each occurrence gets a span of its own: a rendering counted for one occurrence can't count for
another, and a term whose English sits inside a longer term's English ("Kremlin" in "Kremlin
ruler") is only covered by a rendering outside it. Longer wordings claim their words first."""

from __future__ import annotations

from collections.abc import Sequence

from glossary.english import find_phrase, pluralize
from glossary.match import Occurrence
from glossary.term import Term

Span = tuple[int, int]


def required_form(occurrence: Occurrence) -> str:
    """The English wording an occurrence needs: plural where the German is, but only for nouns
    (a German noun is capitalised; English adjectives and verbs have no plural: "small girls",
    not "smalls girls")."""
    term = occurrence.term
    if occurrence.plural and (term.target_plural or _noun(term.source)):
        return term.target_plural or pluralize(term.target)
    return str(term.target)


def _noun(source: str) -> bool:
    head = source.split()[-1] if source.split() else ""
    return head[:1].isupper()


def accepted_forms(term: Term) -> tuple[str, ...]:
    """Singular and plural, longest first: 'treaties' must not be found as 'treatie'."""
    forms = {term.target, term.target_plural or pluralize(term.target)}
    return tuple(sorted(forms, key=len, reverse=True))


def assign_spans(text: str, occurrences: Sequence[Occurrence]) -> list[Span | None]:
    """Per occurrence, the character span of its own rendering in `text`, or None. Terms with
    longer wordings choose first; within a term, occurrences take renderings in text order.
    Each term's renderings are searched once, so this stays linear in the occurrences."""
    taken = bytearray(len(text))
    found: dict[Term, list[Span]] = {}
    result: list[Span | None] = [None] * len(occurrences)
    order = sorted(
        range(len(occurrences)), key=lambda i: -len(accepted_forms(occurrences[i].term)[0])
    )
    for i in order:
        term = occurrences[i].term
        if term not in found:
            found[term] = sorted(
                {
                    span
                    for form in accepted_forms(term)
                    for span in find_phrase(text, form, term.case_sensitive)
                },
                key=lambda s: (s[0], -s[1]),
            )
        for start, end in found[term]:
            if taken.find(1, start, end) == -1:
                taken[start:end] = b"\x01" * (end - start)
                result[i] = (start, end)
                break
    return result
