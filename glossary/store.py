"""A directory of glossary files (`terms/*.yaml`), reloaded when a file changes and keeping
the last good version of a file that became invalid.

Faults of the folder are said, never papered over: a missing folder is an error for anything
that would apply glossaries (`list`, `get`); an invalid file's last good version is used with a
warning that says so (`warnings`); entries that are not plain files with a valid name, symbolic
links included, are ignored with a warning. Every symbolic link is ignored, even one pointing
inside the folder: following none is the one rule that cannot leak a file from elsewhere, and a
link inside would give one file two names, which an edit through either would split apart.
"""

from __future__ import annotations

import builtins
import logging
import os
import re
import stat as stat_module
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from glossary.cache import DiskCache
from glossary.errors import (
    GlossaryFileError,
    InputError,
    NotFoundError,
    TermsFolderError,
    TermsFolderMissingError,
)
from glossary.glossaries import read_glossary
from glossary.term import Glossary
from glossary.termload import read_bytes, revision_of
from glossary.termrules import DEFAULT_MAX_BYTES
from glossary.termwrite import discard_orphan_lock

log = logging.getLogger("glossary.store")

MAX_NAME_LENGTH = 100  # with ".<name>.yaml.<random>.tmp" beside it, far below NAME_MAX (255)
_NAME_RE = re.compile(r"[A-Za-z0-9_.-]+")
_EXTENSIONS = (".yaml", ".yml")
_LOCK_RE = re.compile(r"\.(.+\.yaml)\.lock")


def name_problem(name: str) -> str | None:
    """Why `name` cannot name a glossary, or None. Names carry no extension: the file of `x`
    is `x.yaml`, and `x.yaml` is refused rather than taken as `x`, so that every glossary has
    exactly one name (ownership and defaults are kept by name)."""
    if len(name) > MAX_NAME_LENGTH:
        return f"is {len(name)} characters long; the limit is {MAX_NAME_LENGTH}"
    if not _NAME_RE.fullmatch(name) or name.startswith("."):
        return "may use only letters, digits, '_', '.' and '-', not starting with '.'"
    for extension in _EXTENSIONS:
        if name.lower().endswith(extension):
            stem = name[: -len(extension)]
            return f"ends in {extension}: name it {stem!r} (its file is {stem}.yaml)"
    return None


def check_name(name: str) -> None:
    """Refuse (InputError, 400) a name that `name_problem` finds fault with."""
    problem = name_problem(name)
    if problem is not None:
        shown = name if len(name) <= MAX_NAME_LENGTH else name[:20] + "…"
        raise InputError(f"invalid glossary name {shown!r}: the name {problem}")


def _clock(seconds: float) -> str:
    """HH:MM in local time, with the date when it is not today."""
    stamp = time.localtime(seconds)
    if time.strftime("%Y-%m-%d", stamp) == time.strftime("%Y-%m-%d"):
        return time.strftime("%H:%M", stamp)
    return time.strftime("%Y-%m-%d %H:%M", stamp)


_Stamp = tuple[int, int, int]  # (inode, size, mtime_ns): a cheap "did it change?"
_GONE = object()  # the file went away while it was being read
_Outcome = Glossary | GlossaryFileError | object


class GlossaryStore:
    """The glossaries in one directory (`<name>.yaml`), reloaded when they change.

    A file that becomes invalid does not replace its last good version: `get` keeps returning
    that, `errors` says why the new content was refused and `warnings` says both in a sentence
    for people. Safe to share between threads.

    Reloads never block requests: a changed file is read and parsed outside the store's lock
    by the request that notices the change, one reload at a time per file, and swapped in
    when ready; meanwhile other requests get the version in hand. Only a glossary that has no
    good version yet is waited for. With a disk `cache` (glossary/cache.py), a file read
    before, by this process or another, is not parsed again."""

    def __init__(
        self, directory: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, cache: DiskCache | None = None
    ) -> None:
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.cache = cache
        self._lock = threading.RLock()
        self._reloading: dict[str, threading.Lock] = {}  # one reload at a time per file
        self._good: dict[str, Glossary] = {}
        self._loaded_at: dict[str, float] = {}  # when the good version was read (time.time)
        self._stamps: dict[str, _Stamp | None] = {}
        self._errors: dict[str, GlossaryFileError] = {}
        self._ignored: dict[str, str] = {}  # file name → why it is not a glossary
        self._warned: set[tuple[str, str]] = set()

    def path(self, name: str) -> Path:
        """The file for a glossary name; refuses names that could leave the directory, and a
        symbolic link (404: for the store such a glossary does not exist)."""
        check_name(name)
        candidate = self.directory / f"{name}.yaml"
        if candidate.is_symlink():
            raise NotFoundError(
                f"no glossary named {name!r}: {candidate} is a symbolic link, and links in the "
                "terms folder are ignored (never followed)"
            )
        if not candidate.resolve().is_relative_to(self.directory.resolve()):
            raise InputError(f"glossary {name!r} resolves outside {self.directory}")
        return candidate

    def new_path(self, name: str) -> Path:
        """The file for a new glossary `name`, creating the terms folder when it is missing:
        creating a glossary is the one use that does not need the folder to be there."""
        path = self.path(name)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TermsFolderError(
                f"cannot create the terms folder {self.directory}: {exc.strerror or exc}"
            ) from exc
        return path

    def require_folder(self) -> None:
        """TermsFolderMissingError (503) unless the terms folder is there: without it every
        request would silently translate with no glossary."""
        if not self.directory.is_dir():
            raise TermsFolderMissingError(self.directory)

    def names(self) -> builtins.list[str]:
        """Names of the plain glossary files present now (valid or not); an absent folder has
        none (creating the first glossary creates it). Other entries are skipped, see the
        module docstring."""
        return sorted(self._scan()[0])

    def _scan(self) -> tuple[set[str], set[str]]:
        """(glossary names, names of the `.lock` files whose glossary file is gone)."""
        try:
            with os.scandir(self.directory) as listing:
                entries = list(listing)
        except (FileNotFoundError, NotADirectoryError):
            entries = []  # said by require_folder and folder_warnings
        except OSError as exc:
            raise TermsFolderError(
                f"cannot read the terms folder {self.directory}: {exc.strerror or exc}"
            ) from exc
        names: set[str] = set()
        ignored: dict[str, str] = {}
        locks: set[str] = set()
        for entry in entries:
            lock = _LOCK_RE.fullmatch(entry.name)
            if lock is not None:
                locks.add(lock.group(1))
            if entry.name.startswith(".") or not entry.name.endswith(".yaml"):
                continue
            why = self._not_a_glossary(entry)
            if why is None:
                names.add(entry.name[: -len(".yaml")])
            else:
                ignored[entry.name] = why
        present = {entry.name for entry in entries}
        with self._lock:
            self._ignored = ignored
        for file_name, why in ignored.items():
            self._warn_once(file_name, why)
        return names, {lock for lock in locks if lock not in present}

    @staticmethod
    def _not_a_glossary(entry: os.DirEntry[str]) -> str | None:
        if entry.is_symlink():
            return "it is a symbolic link, and links in the terms folder are never followed"
        if not entry.is_file(follow_symlinks=False):
            return "it is not a plain file"
        problem = name_problem(entry.name[: -len(".yaml")])
        return None if problem is None else f"the glossary name {problem}"

    def _warn_once(self, file_name: str, why: str) -> None:
        with self._lock:
            if (file_name, why) in self._warned:
                return
            self._warned.add((file_name, why))
        log.warning("ignoring %s in the terms folder %s: %s", file_name, self.directory, why)

    @property
    def errors(self) -> dict[str, GlossaryFileError]:
        """Why the current content of a file was refused, by name (after the last refresh)."""
        with self._lock:
            return dict(self._errors)

    def warning(self, name: str) -> str | None:
        """For people: the glossary's file is invalid, and whether its last valid version is
        in use (since when) or nothing is. As of the last refresh."""
        with self._lock:
            exc = self._errors.get(name)
            if exc is None:
                return None
            problem = exc.message if exc.line is None else f"line {exc.line}: {exc.message}"
            if name in self._good:
                since = _clock(self._loaded_at[name])
                return f"glossary {name}: using the last valid version from {since}; {problem}"
            return f"glossary {name}: the file is invalid and is not used; {problem}"

    def warnings(self, names: Iterable[str] | None = None) -> builtins.list[str]:
        """Warnings for the given glossary names; with none given, for the whole folder:
        `folder_warnings` and every invalid file."""
        if names is None:
            return self.folder_warnings() + self.warnings(sorted(self.errors))
        return [w for w in (self.warning(name) for name in names) if w is not None]

    def folder_warnings(self) -> builtins.list[str]:
        """After a refresh: the folder is missing, or which entries in it are ignored."""
        self.refresh()
        if not self.directory.is_dir():
            return [str(TermsFolderMissingError(self.directory))]
        with self._lock:
            ignored = sorted(self._ignored.items())
        return [
            f"{file_name} in the terms folder {self.directory} is ignored: {why}"
            for file_name, why in ignored
        ]

    def warnings_for(self, glossaries: Iterable[Glossary]) -> builtins.list[str]:
        """Warnings for glossaries this store returned (e.g. the ones a translation used), for
        a `warnings` field in API replies."""
        return self.warnings(Path(g.path).stem for g in glossaries if g.path)

    def get(self, name: str) -> Glossary:
        """The glossary `name`, reloaded if its file changed; the last good version if the
        file is now invalid; its error if it never was valid."""
        path = self.path(name)
        self.require_folder()
        self._refresh_one(name, path)
        with self._lock:
            if name in self._good:
                return self._good[name]
            if name in self._errors:
                raise self._errors[name]
        raise NotFoundError(f"no glossary named {name!r} in {self.directory}")

    def refresh(self) -> None:
        """Re-check every file; forget glossaries whose file is gone (and remove the lock
        files left beside files that are gone)."""
        present, orphans = self._scan()
        for file_name in orphans:
            discard_orphan_lock(self.directory / file_name)
        with self._lock:
            for name in set(self._stamps) - present:
                self._forget(name)
        for name in sorted(present):
            self._refresh_one(name, self.directory / f"{name}.yaml")

    def _forget(self, name: str) -> None:
        self._good.pop(name, None)
        self._loaded_at.pop(name, None)
        self._errors.pop(name, None)
        self._stamps.pop(name, None)

    def _refresh_one(self, name: str, path: Path) -> None:
        """Bring `name` up to date with its file, unless another request is doing so right
        now and a good version is in hand: then that version stays in use until the new one
        is ready (the store's lock is never held while a file is read or parsed)."""
        try:
            stat = path.lstat()  # never through a link, even one swapped in since the scan
        except FileNotFoundError:
            stat = None
        if stat is None or not stat_module.S_ISREG(stat.st_mode):
            with self._lock:
                self._forget(name)
            return
        stamp: _Stamp | None = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        with self._lock:
            if self._stamps.get(name) == stamp:
                return
            reloading = self._reloading.setdefault(name, threading.Lock())
            in_hand = name in self._good
        if not reloading.acquire(blocking=not in_hand):
            return  # another request is reloading this file: use the version in hand
        try:
            with self._lock:
                if self._stamps.get(name) == stamp:
                    return  # reloaded while this request waited
                current = self._good.get(name)
            if time.time_ns() - stat.st_mtime_ns < 2_000_000_000:
                # Written within the clock's granularity: a same-size rewrite in the same tick
                # would look unchanged, so re-hash next time rather than trust this stamp.
                stamp = None
            outcome = self._read(path, current)
            with self._lock:
                self._apply(name, outcome)
                if outcome is not _GONE:
                    self._stamps[name] = stamp
        finally:
            reloading.release()

    def _read(self, path: Path, current: Glossary | None) -> _Outcome:
        """The file's glossary (or `current` when its content is the same), its error, or
        _GONE. Slow for a large file: called without the store's lock."""
        try:
            data = read_bytes(path, self.max_bytes)
            if current is not None and current.revision == revision_of(data):
                return current
            return read_glossary(path, data, max_bytes=self.max_bytes, cache=self.cache)
        except GlossaryFileError as exc:
            return exc
        except NotFoundError:
            return _GONE

    def _apply(self, name: str, outcome: _Outcome) -> None:
        """Record what `_read` found (holding the store's lock)."""
        if outcome is _GONE:
            self._forget(name)
        elif isinstance(outcome, GlossaryFileError):
            self._errors[name] = outcome
        elif isinstance(outcome, Glossary):
            if self._good.get(name) is not outcome:
                self._good[name] = outcome
                self._loaded_at[name] = time.time()
            self._errors.pop(name, None)

    def list(self) -> builtins.list[Glossary]:
        """Every glossary with a good version, by name, after a refresh; refuses
        (TermsFolderMissingError) when the folder is missing."""
        self.require_folder()
        self.refresh()
        with self._lock:
            return [self._good[name] for name in sorted(self._good)]
