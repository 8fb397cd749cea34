"""Several glossaries used together for one request: their terms combined by one rule (of two
entries for the same source, the first-named glossary's wins), compiled once per set of
revisions; and, with a disk cache (glossary/cache.py), read and compiled once per content
across processes."""

from __future__ import annotations

import contextlib
import operator
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any

from glossary.cache import DiskCache
from glossary.gcpause import gc_paused
from glossary.match import TermMatcher
from glossary.report import Origin
from glossary.term import Glossary, Term
from glossary.termload import parse_glossary, read_bytes, revision_of
from glossary.termrules import DEFAULT_MAX_BYTES, clashes, duplicate_key


def glossary_name(glossary: Glossary) -> str:
    """The name a glossary goes by in reports: its file name without .yaml (the name the API,
    the page and the CLI use), or its display name when it has no file."""
    return Path(glossary.path).stem if glossary.path else glossary.name


def combined(glossaries: Sequence[Glossary]) -> tuple[list[Term], list[Origin]]:
    """The terms of all glossaries in order, each with its Origin: the one rule for terms
    across glossaries. Where two glossaries define the same source (`termrules.clashes`, the
    rule for duplicates within a file: the matcher's spelling, so "Kreml-Herrscher" and
    "Kreml–Herrscher" are one source), the entry of the glossary named first wins, and its
    Origin names the glossaries it overrode. A glossary named twice counts once."""
    by_name = {glossary_name(g): g for g in reversed(glossaries)}  # the first of each name
    names = sorted(by_name, key=[glossary_name(g) for g in glossaries].index)
    glossaries = [by_name[name] for name in names]
    if len(glossaries) == 1:  # a valid file holds no two entries for one source
        return list(glossaries[0].terms), [Origin(names[0])] * len(glossaries[0].terms)
    terms: list[Term] = []
    owners: list[int] = []  # the glossary of each term kept
    beaten: dict[int, list[str]] = {}  # term kept → the glossaries whose entry it overrode
    by_key: dict[str, list[int]] = {}
    for owner, glossary in enumerate(glossaries):
        for term in glossary.terms:
            key = duplicate_key(term.source, case_sensitive=False)
            same = by_key.setdefault(key, [])
            winner = next((i for i in same if clashes(term, terms[i])), None)
            if winner is None:
                same.append(len(terms))
                owners.append(owner)
                terms.append(term)
            elif owners[winner] != owner and names[owner] not in beaten.get(winner, ()):
                beaten.setdefault(winner, []).append(names[owner])
    plain = [Origin(name) for name in names]
    origins = [
        Origin(names[owner], tuple(beaten[i])) if i in beaten else plain[owner]
        for i, owner in enumerate(owners)
    ]
    return terms, origins


def combined_terms(glossaries: Sequence[Glossary]) -> list[Term]:
    """The terms of `combined`, without their origins."""
    return combined(glossaries)[0]


# --- glossaries and matchers in the disk cache -------------------------------------------

_FIELDS = tuple(f.name for f in fields(Term))
_term_values = operator.attrgetter(*_FIELDS)
# A dataclass keeps each field's default as a class attribute, which an instance whose
# __dict__ lacks the field reads: the cache stores only the fields a term sets.
_DEFAULTS = {f.name: f.default for f in fields(Term) if f.default is not MISSING}


def _set_fields(term: Term) -> dict[str, Any]:
    return {
        name: value
        for name, value in zip(_FIELDS, _term_values(term), strict=True)
        if name not in _DEFAULTS
        or type(value) is not type(_DEFAULTS[name])
        or value != _DEFAULTS[name]
    }


def _terms_from(rows: list[dict[str, Any]]) -> list[Term]:
    """Terms from their set fields (`_set_fields`), as `Term(**row)` builds them, faster: a
    frozen dataclass's __init__ sets each field through object.__setattr__. The cache's
    checksums and its key (content and code version) vouch for the rows."""
    if hasattr(Term, "__slots__"):
        return [Term(**row) for row in rows]
    new, set_attribute, out = object.__new__, object.__setattr__, []
    for row in rows:
        term = new(Term)  # object.__setattr__ raises TypeError for a row that is no dict
        set_attribute(term, "__dict__", row)
        out.append(term)
    return out


def read_glossary(
    path: Path, data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, cache: DiskCache | None = None
) -> Glossary:
    """`termload.parse_glossary(data, str(path))`, from the disk cache when it holds the
    glossary of these exact bytes (keyed by their SHA-256 and the code version)."""
    with gc_paused():
        return _read_glossary(path, data, max_bytes, cache)


def _read_glossary(path: Path, data: bytes, max_bytes: int, cache: DiskCache | None) -> Glossary:
    revision = revision_of(data)
    key = f"glossary\n{revision}\n{len(data)}"
    if cache is not None:
        stored = cache.load(key)
        with contextlib.suppress(ValueError, TypeError, IndexError, KeyError):
            if stored is not None:
                (name, source, target, count), *chunks = stored
                terms = tuple(term for rows in chunks for term in _terms_from(rows))
                if len(terms) == count:
                    return Glossary(name, source, target, terms, str(path), revision)
    glossary = parse_glossary(data, str(path), max_bytes=max_bytes)
    if cache is not None:
        cache.store(key, lambda: _glossary_pieces(glossary))
    return glossary


def _glossary_pieces(glossary: Glossary) -> Iterator[Any]:
    """What the cache keeps of a glossary: its header, then its terms' set fields in chunks."""
    terms = glossary.terms
    yield (glossary.name, glossary.source_language, glossary.target_language, len(terms))
    for start in range(0, len(terms), 10_000):
        yield [_set_fields(term) for term in terms[start : start + 10_000]]


def load_glossary_cached(
    path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES, cache: DiskCache | None = None
) -> Glossary:
    """`termload.load_glossary` through the disk cache."""
    path = Path(path)
    return read_glossary(path, read_bytes(path, max_bytes), max_bytes=max_bytes, cache=cache)


def _matcher_key(glossaries: Sequence[Glossary]) -> str | None:
    """The disk cache key of the matcher for these glossaries: their revisions and sizes in
    order; None unless every one was read from a file (only then is its revision the hash
    of its content)."""
    if not all(g.path and len(g.revision) == 64 for g in glossaries):
        return None
    return "matcher\n" + "\n".join(f"{g.revision} {len(g.terms)}" for g in glossaries)


class MatcherCache:
    """Compiled matchers, reused while no file has changed (and, with a disk cache, across
    processes). A request never waits for another's compiling: while the matcher for new
    revisions of some files is being compiled, requests for those files get the previous one;
    only when there is none do they wait for it (one compile at a time per list of files)."""

    def __init__(self, size: int = 8, cache: DiskCache | None = None) -> None:
        self._size = size
        self._disk = cache
        self._cache: OrderedDict[tuple[tuple[str, str], ...], TermMatcher] = OrderedDict()
        # the newest matcher of each list of files (as many lists as matchers are kept)
        self._latest: OrderedDict[tuple[str, ...], TermMatcher] = OrderedDict()
        self._compiling: dict[tuple[str, ...], threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, glossaries: Sequence[Glossary]) -> TermMatcher:
        key = tuple((g.path or g.name, g.revision) for g in glossaries)
        files = tuple(path for path, _ in key)
        with self._lock:
            matcher = self._cache.get(key)
            if matcher is not None:
                self._cache.move_to_end(key)
                return matcher
            previous = self._latest.get(files)
            compiling = self._compiling.setdefault(files, threading.Lock())
        if not compiling.acquire(blocking=previous is None):
            assert previous is not None
            return previous  # being compiled by another request: the previous one meanwhile
        try:
            with self._lock:
                matcher = self._cache.get(key)  # compiled while this request waited
            if matcher is None:
                with gc_paused():
                    matcher = self._build(glossaries)
                with self._lock:
                    self._cache[key] = matcher
                    if len(self._cache) > self._size:
                        self._cache.popitem(last=False)
            with self._lock:
                self._latest[files] = matcher
                self._latest.move_to_end(files)
                if len(self._latest) > self._size:
                    self._latest.popitem(last=False)
            return matcher
        finally:
            compiling.release()

    def _build(self, glossaries: Sequence[Glossary]) -> TermMatcher:
        """A matcher for the terms, which it compiles as texts need them; the disk cache keeps
        how its terms are grouped for that, the one part that costs time for every term."""
        terms, origins = combined(glossaries)
        key = _matcher_key(glossaries) if self._disk is not None else None
        if self._disk is not None and key is not None:
            stored = self._disk.load(key)
            with contextlib.suppress(ValueError, TypeError, KeyError, IndexError, AttributeError):
                if stored is not None and stored[0]["terms"] == len(terms):
                    return TermMatcher(terms, origins, buckets=stored[0]["buckets"])
        matcher = TermMatcher(terms, origins)
        if self._disk is not None and key is not None:
            buckets = matcher.buckets()
            self._disk.store(key, lambda: [{"terms": len(terms), "buckets": buckets}])
        return matcher


def load_all(paths: Sequence[str | Path], cache: DiskCache | None = None) -> list[Glossary]:
    return [load_glossary_cached(p, cache=cache) for p in paths]
