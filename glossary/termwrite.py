"""Writing glossary files: each edit is read-check-write under the file's lock (a revision
check, then an atomic write and its change-log entry), so concurrent editors never lose an
edit and a crash never leaves half a file. Creating, deleting and renaming files too."""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from glossary import filelock, history
from glossary.atomicwrite import atomic_write, fsync_dir, link_new, sweep_stale_temps
from glossary.errors import (
    BrokenFileError,
    ConflictError,
    GlossaryFileError,
    InputError,
    NotFoundError,
    TermsFolderError,
)
from glossary.term import Glossary, Term
from glossary.termcheck import build_glossary, check_terms
from glossary.termload import parse_glossary, read_bytes, revision_of
from glossary.termrules import DEFAULT_MAX_BYTES
from glossary.termyaml import DEFAULT_INDENT, Document, decode, dump, load_document, term_map


def lock_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.lock")


def locked(path: Path) -> contextlib.AbstractContextManager[None]:
    """Exclusive flock on `.<name>.yaml.lock` beside the file, across read-check-write; the
    lock file goes when the glossary file has gone."""
    return filelock.exclusive(
        lock_path(path), guarded=path, failure=lambda exc: write_failure(exc, path)
    )


def discard_orphan_lock(path: Path) -> None:
    """Remove the lock file of glossary file `path` if the glossary file is gone."""
    filelock.discard_orphan(lock_path(path), path)


_READ_ONLY = (errno.EACCES, errno.EPERM, errno.EROFS)


def write_failure(exc: OSError, path: Path) -> TermsFolderError:
    """A clear error for a glossary file that cannot be written, instead of a bare OSError
    (which reached users as a 500)."""
    if exc.errno in _READ_ONLY:
        return TermsFolderError(
            f"the terms folder {path.parent} is read-only: cannot save glossary {path.stem}; "
            "nothing was changed"
        )
    return TermsFolderError(
        f"cannot save glossary {path.stem} in the terms folder {path.parent}: "
        f"{exc.strerror or exc}; nothing was changed"
    )


def _check_writable(path: Path) -> None:
    """A glossary file without write permission is read-only on purpose. Checked by its mode
    bits too because the rename that replaces it would succeed regardless (and root passes
    every access check)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    if not mode & 0o222 or not os.access(path, os.W_OK):
        raise TermsFolderError(
            f"the glossary file {path} is read-only: cannot save glossary {path.stem}; "
            "nothing was changed"
        )


def edit_document(
    path: Path, revision: str, rewrite: Callable[[Document], bytes], max_bytes: int
) -> Glossary:
    """Lock, check the revision, rewrite, validate the new bytes, write atomically."""
    path = Path(path)
    if not path.parent.is_dir():
        raise NotFoundError(f"{path}: no such directory for a glossary file")
    with locked(path):
        data = read_bytes(path, max_bytes)
        # Validity before the revision: readers hold the last valid version, whose revision
        # never matches an invalid file, so checking the revision first answered "reload"
        # to every edit, forever.
        document, before = _valid_document(path, data, max_bytes)
        current = revision_of(data)
        if revision != current:
            raise stale_revision(path, revision, current)
        _check_writable(path)
        new_data = rewrite(document)
        glossary = parse_glossary(new_data, str(path), max_bytes=max_bytes)
        sweep_stale_temps(path)
        try:
            atomic_write(path, new_data)
        except OSError as exc:
            raise write_failure(exc, path) from exc
        # the change log, still under the lock: before as re-read here, after as written
        history.record_edit(path, replace(before, revision=current), glossary, (data, new_data))
        return glossary


def _valid_document(path: Path, data: bytes, max_bytes: int) -> tuple[Document, Glossary]:
    """The file's document and glossary, or BrokenFileError when the file on disk is not a
    valid glossary."""
    try:
        document = load_document(data, str(path), max_bytes)
        glossary = build_glossary(document.root, str(path))
    except GlossaryFileError as exc:
        raise broken(path, exc) from exc
    return document, glossary


def stale_revision(path: Path, named: str, current: str) -> ConflictError:
    """The refusal of an edit that names revision `named` of a file now at `current`."""
    return ConflictError(
        f"{path}: the edit names revision {named}, but the file is at revision {current}; "
        "reload it and apply the edit again"
    )


def current_glossary(path: Path, max_bytes: int) -> Glossary:
    """The file as it is, or BrokenFileError when it is not a valid glossary."""
    data = read_bytes(path, max_bytes)
    try:
        return parse_glossary(data, str(path), max_bytes=max_bytes)
    except GlossaryFileError as exc:
        raise broken(path, exc) from exc


def broken(path: Path, exc: GlossaryFileError) -> BrokenFileError:
    where = f" at line {exc.line}" if exc.line is not None else ""
    return BrokenFileError(
        f"glossary {path.stem}: the file {path} is invalid{where} ({exc.message}); it must "
        "be fixed (or restored) before it can be edited; nothing was changed"
    )


def rewrite_at_revision(
    path: Path,
    base: Glossary,
    build: Callable[[str], tuple[str, Glossary]],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Glossary:
    """One atomic write of a new text computed from the file as it is (imports: thousands of
    terms in one write, glossary/bulkedit.py). Under the lock the file must still be exactly
    `base`, the glossary parsed from it (ConflictError otherwise); that also proves it valid
    without parsing it again. `build` gets its text and returns the new text and the glossary
    it holds, checked by the caller. Written and recorded in the change log as every edit."""
    path = Path(path)
    if not path.parent.is_dir():
        raise NotFoundError(f"{path}: no such directory for a glossary file")
    with locked(path):
        data = read_bytes(path, max_bytes)
        current = revision_of(data)
        if current != base.revision:
            try:
                parse_glossary(data, str(path), max_bytes=max_bytes)
            except GlossaryFileError as exc:  # as `edit_document` says it: no revision would do
                raise broken(path, exc) from exc
            raise stale_revision(path, base.revision, current)
        _check_writable(path)
        text, glossary = build(decode(data, str(path), max_bytes))
        new_data = text.encode("utf-8")
        if len(new_data) > max_bytes:
            raise GlossaryFileError(
                f"the edit would make the file {len(new_data)} bytes; the limit is {max_bytes} "
                "bytes; nothing was changed",
                path=str(path),
            )
        glossary = replace(glossary, path=str(path), revision=revision_of(new_data))
        sweep_stale_temps(path)
        try:
            atomic_write(path, new_data)
        except OSError as exc:
            raise write_failure(exc, path) from exc
        history.record_edit(path, base, glossary, (data, new_data))
        return glossary


def create_glossary(
    path: Path, name: str, source_language: str, target_language: str, terms: Sequence[Term]
) -> Glossary:
    """Write a new glossary file; refuses (ConflictError) if `path` already exists."""
    path = Path(path)
    check_terms(terms, str(path))
    entries = CommentedSeq(term_map(term) for term in terms)
    if not terms:
        entries.fa.set_flow_style()
    root = CommentedMap(
        [
            ("source_language", source_language),
            ("target_language", target_language),
            ("name", name),
            ("terms", entries),
        ]
    )
    data = dump(Document(root, "", DEFAULT_INDENT))
    glossary = parse_glossary(data, str(path))
    with locked(path):
        try:
            atomic_write(path, data, exclusive=True)
        except FileExistsError:
            raise ConflictError(f"{path} already exists; it was not overwritten") from None
        except OSError as exc:
            raise write_failure(exc, path) from exc
        history.record_created(path, glossary)
    return glossary


def delete_glossary(path: Path) -> None:
    """Delete a glossary file, and its lock file with it, under the lock: an edit in flight
    finishes first, and one waiting behind the delete finds the file gone (NotFoundError)
    instead of writing it back."""
    path = Path(path)
    with locked(path):
        try:
            path.unlink()
        except FileNotFoundError:
            raise NotFoundError(f"{path}: no such glossary file") from None
        except OSError as exc:
            raise write_failure(exc, path) from exc
        history.discard(path)  # its change log goes with it, as its lock file does


def move_glossary(path: Path, new_path: Path) -> None:
    """Give a glossary file a new name in the same folder, with its change log, holding both
    names' locks (taken in a fixed order): an edit in flight finishes first, one waiting finds
    the old file gone (NotFoundError), and an existing file is never replaced
    (ConflictError)."""
    path, new_path = Path(path), Path(new_path)
    if path == new_path:
        raise InputError(f"{path}: the new name is the old one; nothing was renamed")
    first, second = sorted([path, new_path])
    with locked(first), locked(second):
        if not path.is_file() or path.is_symlink():
            raise NotFoundError(f"{path}: no such glossary file")
        revision = revision_of(path.read_bytes())
        try:
            link_new(str(path), new_path)  # link, then unlink the old name
        except FileExistsError:
            raise ConflictError(f"{new_path} already exists; nothing was renamed") from None
        except OSError as exc:
            raise write_failure(exc, new_path) from exc
        history.move(path, new_path)
        fsync_dir(path.parent)
        history.record_renamed(new_path, path.stem, new_path.stem, revision)
