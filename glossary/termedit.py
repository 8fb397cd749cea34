"""Edits of a glossary file's contents: one term added, changed or removed (line surgery,
glossary/bulkedit.py), and the edits that rewrite the document (rename, merge, replace, several
changes at once). Each is one locked, atomic write (glossary/termwrite.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any, cast

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from glossary import bulkedit
from glossary.errors import NotFoundError
from glossary.gcpause import gc_paused
from glossary.term import Glossary, Term
from glossary.termcheck import check_terms
from glossary.termload import read_bytes, revision_of
from glossary.termrules import DEFAULT_MAX_BYTES, duplicate_key, find_source
from glossary.termwrite import (
    current_glossary,
    edit_document,
    rewrite_at_revision,
    stale_revision,
)
from glossary.termyaml import Document, dump, fill, term_map


def _find(seq: Any, source: str, path: Path) -> int:
    """Index of the entry for `source`: exact spelling first, else the one duplicate-key match."""
    sources = [str(entry.get("source", "")) if isinstance(entry, Mapping) else "" for entry in seq]
    return _index_of(sources, source, path)


def _index_of(sources: Sequence[str], source: str, path: Path) -> int:
    index = find_source(sources, source)
    if index is None:
        raise NotFoundError(f"{path}: no term with source {source!r}")
    return index


# One-term edits are line surgery on the original text (glossary/bulkedit.py, as imports):
# only the lines of the entry being added, changed or removed are touched, so every other byte
# (comments, blank lines, quoting, wrapping) stays as written. They start from the glossary as
# the caller read it when that is the revision the edit names (the server's copy), else from
# the file parsed once, and are checked against it: a one-term edit of 100,000 terms neither
# parses the file with the round-trip parser nor compares every pair of terms.


_Plan = tuple[Sequence[Term], Mapping[int, Term], Sequence[int]]  # added, changed, removed


def _edit_terms(
    path: Path,
    revision: str,
    base: Glossary | None,
    max_bytes: int,
    plan: Callable[[Glossary], _Plan],
) -> Glossary:
    path = Path(path)
    if not path.parent.is_dir():
        raise NotFoundError(f"{path}: no such directory for a glossary file")
    if base is None or base.revision != revision:
        base = current_glossary(path, max_bytes)
    if base.revision != revision:
        raise stale_revision(path, revision, base.revision)
    try:
        added, changed, removed = plan(base)
    except NotFoundError:
        # `base` may be a reader's copy that is already stale (the server keeps answering
        # with the version in hand while another request reloads the file): a term missing
        # from it is news only if the file is still at that revision; else the edit names
        # an old revision, which is a conflict, as it would have been under the lock.
        _require_revision(path, revision, max_bytes)
        raise
    known = base

    def build(text: str) -> tuple[str, Glossary]:
        with gc_paused():  # renumbering the terms below an entry that changed length
            return bulkedit.edited(known, text, added, changed, str(path), removed)

    return rewrite_at_revision(path, base, build, max_bytes=max_bytes)


def _require_revision(path: Path, revision: str, max_bytes: int) -> None:
    current = revision_of(read_bytes(path, max_bytes))
    if current != revision:
        raise stale_revision(path, revision, current)


def add_term(
    path: Path,
    term: Term,
    *,
    revision: str,
    base: Glossary | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Glossary:
    """Append a term; returns the glossary as written. `base`, where the caller has it, is
    the glossary as it read it (used when it is at `revision`)."""
    check_terms([term], str(path), ["term"])  # before YAML folds what it cannot hold (U+0085)
    return _edit_terms(path, revision, base, max_bytes, lambda _: ([term], {}, ()))


def update_term(
    path: Path,
    source: str,
    term: Term,
    *,
    revision: str,
    base: Glossary | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Glossary:
    """Replace the entry for `source` with `term` (which may rename it); the entry keeps its
    place and the comments on its unchanged lines."""
    check_terms([term], str(path), ["term"])

    def plan(glossary: Glossary) -> _Plan:
        return [], {_term_index(glossary, source, path): term}, ()

    return _edit_terms(path, revision, base, max_bytes, plan)


def remove_term(
    path: Path,
    source: str,
    *,
    revision: str,
    base: Glossary | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Glossary:
    """Delete the entry for `source`: its own lines go; full-line comments around it stay
    (they usually head a section or the next entry)."""

    def plan(glossary: Glossary) -> _Plan:
        return [], {}, (_term_index(glossary, source, path),)

    return _edit_terms(path, revision, base, max_bytes, plan)


def _term_index(glossary: Glossary, source: str, path: Path) -> int:
    return _index_of([term.source for term in glossary.terms], source, path)


def _block_terms(root: Any) -> Any:
    seq = root["terms"]
    if isinstance(seq, CommentedSeq) and seq.fa.flow_style():
        seq.fa.set_block_style()  # "terms: []" grows into a normal block list
    return seq


def rename_glossary(
    path: Path, name: str, *, revision: str, max_bytes: int = DEFAULT_MAX_BYTES
) -> Glossary:
    """Change the glossary's display name; everything else stays as written."""

    def rewrite(document: Document) -> bytes:
        document.root["name"] = name
        return dump(document)

    return edit_document(path, revision, rewrite, max_bytes)


def merge_terms(
    path: Path, terms: Sequence[Term], *, revision: str, max_bytes: int = DEFAULT_MAX_BYTES
) -> Glossary:
    """Add the terms in one write; one whose source is already there (compared as for
    duplicates) replaces only that entry's target: its note, status and comments stay."""

    def rewrite(document: Document) -> bytes:
        seq = _block_terms(document.root)
        key = partial(duplicate_key, case_sensitive=False)
        index = {
            key(str(e.get("source", ""))): i
            for i, e in enumerate(seq)
            if isinstance(e, CommentedMap)
        }
        for term in terms:
            at = index.get(key(term.source))
            if at is None:
                index[key(term.source)] = len(seq)
                seq.append(term_map(term))
            else:
                seq[at]["source"], seq[at]["target"] = term.source, term.target
        return dump(document)

    return edit_document(path, revision, rewrite, max_bytes)


def replace_terms(
    path: Path, terms: Sequence[Term], *, revision: str, max_bytes: int = DEFAULT_MAX_BYTES
) -> Glossary:
    """Replace every entry with `terms` in one write (the file's header stays)."""

    def rewrite(document: Document) -> bytes:
        document.root["terms"] = CommentedSeq(term_map(term) for term in terms)
        return dump(document)

    return edit_document(path, revision, rewrite, max_bytes)


def apply_changes(
    path: Path,
    changes: Sequence[tuple[str | None, Term | None]],
    *,
    title: str | None = None,
    revision: str,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Glossary:
    """Several term edits in one write (a revert of a change that touched several terms):
    each is (source of the entry to change or remove, None to add; the term to write, None to
    remove), applied in order; `title`, when given, becomes the glossary's name."""
    check_terms([term for _source, term in changes if term is not None], str(path))

    def rewrite(document: Document) -> bytes:
        seq = _block_terms(document.root)
        for source, term in changes:
            if source is None:
                seq.append(term_map(cast(Term, term)))
                continue
            index = _find(seq, source, path)
            if term is None:
                del seq[index]
            elif isinstance(seq[index], CommentedMap):
                fill(seq[index], term)
            else:
                seq[index] = term_map(term)
        if title is not None:
            document.root["name"] = title
        return dump(document)

    return edit_document(path, revision, rewrite, max_bytes)
