"""Several glossaries used together for one request: their terms combined, compiled once per
set of revisions."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from glossary.match import TermMatcher
from glossary.term import Glossary, Term
from glossary.termfile import load_glossary


def combined_terms(glossaries: Sequence[Glossary]) -> list[Term]:
    """Terms of all glossaries in order; where two define the same source term, the glossary
    named first wins."""
    seen: set[str] = set()
    terms = []
    for glossary in glossaries:
        for term in glossary.terms:
            key = term.source if term.case_sensitive else term.source.casefold()
            if key not in seen:
                seen.add(key)
                terms.append(term)
    return terms


class MatcherCache:
    """Compiling a large glossary takes time; reuse the matcher while no file has changed."""

    def __init__(self, size: int = 8) -> None:
        self._size = size
        self._cache: dict[tuple[tuple[str, str], ...], TermMatcher] = {}
        self._lock = threading.Lock()

    def get(self, glossaries: Sequence[Glossary]) -> TermMatcher:
        key = tuple((g.path or g.name, g.revision) for g in glossaries)
        with self._lock:
            matcher = self._cache.get(key)
        if matcher is None:
            matcher = TermMatcher(combined_terms(glossaries))
            with self._lock:
                if len(self._cache) >= self._size:
                    self._cache.pop(next(iter(self._cache)))
                self._cache[key] = matcher
        return matcher


def load_all(paths: Sequence[str | Path]) -> list[Glossary]:
    return [load_glossary(Path(p)) for p in paths]
