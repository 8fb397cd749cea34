"""A directory of glossary files (`terms/*.yaml`), reloaded when a file changes and keeping
the last good version of a file that became invalid."""

from __future__ import annotations

import builtins
import re
import threading
import time
from pathlib import Path

from glossary.errors import InputError
from glossary.term import Glossary
from glossary.termfile import (
    DEFAULT_MAX_BYTES,
    GlossaryFileError,
    NotFoundError,
    parse_glossary,
    read_bytes,
    revision_of,
)

_NAME_RE = re.compile(r"[A-Za-z0-9_.-]+")
_Stamp = tuple[int, int, int]  # (inode, size, mtime_ns): a cheap "did it change?"


class GlossaryStore:
    """The glossaries in one directory (`<name>.yaml`), reloaded when they change.

    A file that becomes invalid does not replace its last good version: `get` keeps returning
    that and `errors` says why the new content was refused. Safe to share between threads."""

    def __init__(self, directory: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self._lock = threading.RLock()
        self._good: dict[str, Glossary] = {}
        self._stamps: dict[str, _Stamp | None] = {}
        self._errors: dict[str, GlossaryFileError] = {}

    def path(self, name: str) -> Path:
        """The file for a glossary name; refuses names that could leave the directory."""
        if not _NAME_RE.fullmatch(name) or name.startswith("."):
            raise InputError(
                f"invalid glossary name {name!r}: use letters, digits, '_', '.' and '-', "
                "not starting with '.'"
            )
        candidate = self.directory / f"{name}.yaml"
        if not candidate.resolve().is_relative_to(self.directory.resolve()):
            raise InputError(f"glossary {name!r} resolves outside {self.directory}")
        return candidate

    def names(self) -> builtins.list[str]:
        """Names of the glossary files present now (valid or not)."""
        if not self.directory.is_dir():
            return []
        return sorted(
            p.stem
            for p in self.directory.glob("*.yaml")
            if _NAME_RE.fullmatch(p.stem) and not p.name.startswith(".")
        )

    @property
    def errors(self) -> dict[str, GlossaryFileError]:
        """Why the current content of a file was refused, by name (after the last refresh)."""
        with self._lock:
            return dict(self._errors)

    def get(self, name: str) -> Glossary:
        """The glossary `name`, reloaded if its file changed; the last good version if the
        file is now invalid; its error if it never was valid."""
        path = self.path(name)
        with self._lock:
            self._refresh_one(name, path)
            if name in self._good:
                return self._good[name]
            if name in self._errors:
                raise self._errors[name]
        raise NotFoundError(f"no glossary named {name!r} in {self.directory}")

    def refresh(self) -> None:
        """Re-check every file; forget glossaries whose file is gone."""
        with self._lock:
            present = set(self.names())
            for name in set(self._stamps) - present:
                self._forget(name)
            for name in sorted(present):
                self._refresh_one(name, self.directory / f"{name}.yaml")

    def _forget(self, name: str) -> None:
        self._good.pop(name, None)
        self._errors.pop(name, None)
        self._stamps.pop(name, None)

    def _refresh_one(self, name: str, path: Path) -> None:
        try:
            stat = path.stat()
        except FileNotFoundError:
            self._forget(name)
            return
        stamp: _Stamp | None = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        if self._stamps.get(name) == stamp:
            return
        if time.time_ns() - stat.st_mtime_ns < 2_000_000_000:
            # Written within the clock's granularity: a same-size rewrite in the same tick
            # would look unchanged, so re-hash next time rather than trust this stamp.
            stamp = None
        self._load(name, path)
        self._stamps[name] = stamp

    def _load(self, name: str, path: Path) -> None:
        try:
            data = read_bytes(path, self.max_bytes)
            current = self._good.get(name)
            if current is not None and current.revision == revision_of(data):
                self._errors.pop(name, None)
                return
            self._good[name] = parse_glossary(data, str(path), max_bytes=self.max_bytes)
            self._errors.pop(name, None)
        except GlossaryFileError as exc:
            self._errors[name] = exc
        except NotFoundError:
            self._forget(name)

    def list(self) -> builtins.list[Glossary]:
        """Every glossary with a good version, by name, after a refresh."""
        self.refresh()
        with self._lock:
            return [self._good[name] for name in sorted(self._good)]
