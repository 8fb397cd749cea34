"""A disk cache of glossaries read from their files and of how a matcher groups their terms
(issue 10), so that a process starting on an unchanged glossary (a server restart, another
worker, the next `glossary find`) need not parse and sort them again.

The cache is an optimisation only: every miss, every entry that fails a check and every
error reading or writing it falls back to parsing and compiling, and nothing it holds is ever
used for anything but the exact content it was made from:
- entries are keyed by content: the SHA-256 revisions of the glossary files (and, for a
  matcher, the names of its glossaries in order), plus the code version (a hash of the source
  of the modules that parse and compile, and the Python version), so a changed file or a new
  version of the code never finds an old entry (stale), and an entry is never shared between
  different content (foreign);
- each file repeats its full key, which must equal the one looked up, and a SHA-256 of its
  key and payload, which must match (a torn or corrupted file is a miss);
- the payload is `marshal` data (plain values: no code runs when it is read, unlike pickle),
  in a folder that must belong to this user and be writable by no one else (created 0700,
  files 0600): otherwise the cache is off;
- written to a temporary file and renamed into place; the oldest entries go beyond a size
  budget.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import marshal
import os
import stat
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

log = logging.getLogger("glossary.cache")

_MAGIC = b"glossary-cache 2\n"
_DIGEST = 32
DEFAULT_BUDGET = 1024 * 1024 * 1024  # bytes on disk before the oldest entries go
# The modules whose code decides what a cached value holds.
_SOURCES = (
    "cache.py",
    "glossaries.py",
    "match.py",
    "term.py",
    "termrules.py",
    "termyaml.py",
    "termcheck.py",
    "termload.py",
    "termread.py",
)
_version: str | None = None


def code_version() -> str:
    """A hash of the code that produces cached values, and of the Python that runs it."""
    global _version
    if _version is None:
        digest = hashlib.sha256(f"{sys.version}\n{marshal.version}\n".encode())
        here = Path(__file__).resolve().parent
        for name in _SOURCES:
            digest.update(name.encode() + b"\0" + (here / name).read_bytes() + b"\0")
        _version = digest.hexdigest()
    return _version


class DiskCache:
    """Values of plain types (what `marshal` stores) under string keys, in `directory`; each
    value a list of pieces, written one at a time (a large value never has to exist twice in
    memory, as the object and its serialisation).

    A file: the magic line; the SHA-256 of all that follows it; the length of the key and the
    full key; then each piece as its length and its marshal data."""

    def __init__(
        self, directory: Path, *, budget: int = DEFAULT_BUDGET, make_parents: bool = True
    ) -> None:
        """`make_parents`: whether a first write may create the folders above `directory`
        (a command line run far from any state folder should leave no new folders behind)."""
        self.directory = Path(directory)
        self.budget = budget
        self.make_parents = make_parents
        self._lock = threading.Lock()
        self._writers: list[threading.Thread] = []
        self._warned = False

    def _file(self, key: str) -> Path:
        name = hashlib.sha256(f"{code_version()}\n{key}".encode()).hexdigest()[:40]
        return self.directory / f"{name}.cache"

    def _full_key(self, key: str) -> bytes:
        return f"{code_version()}\n{key}".encode()

    def _usable(self, create: bool) -> bool:
        """Whether the folder is there (created if `create`), ours, and writable by no one
        else; a folder that fails the check turns the cache off, with one warning."""
        try:
            if create:
                self.directory.mkdir(mode=0o700, parents=self.make_parents, exist_ok=True)
            info = os.lstat(self.directory)
        except OSError:
            return False
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o022:
            return True
        if not self._warned:
            self._warned = True
            log.warning(
                "not using the cache folder %s: it must be a folder of this user's "
                "that no one else can write to",
                self.directory,
            )
        return False

    def load(self, key: str) -> list[Any] | None:
        """The pieces stored under `key`, or None (missing, or failing a check)."""
        path = self._file(key)
        try:
            if not self._usable(create=False):
                return None
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            return None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o022:
                return None
            with os.fdopen(fd, "rb", closefd=False) as handle:
                data = handle.read()
        except OSError:
            return None
        finally:
            os.close(fd)
        value = self._decode(data, self._full_key(key))
        if value is not None:
            with contextlib.suppress(OSError):
                os.utime(path)  # recently used: pruned last
        return value

    @staticmethod
    def _decode(data: bytes, full_key: bytes) -> list[Any] | None:
        start = len(_MAGIC) + _DIGEST
        if len(data) < start + 4 or not data.startswith(_MAGIC):
            return None
        view = memoryview(data)
        if hashlib.sha256(view[start:]).digest() != data[len(_MAGIC) : start]:
            return None  # torn or corrupted
        at = start + 4 + int.from_bytes(data[start : start + 4], "big")
        if data[start + 4 : at] != full_key:
            return None  # another entry whose file name collided: never used
        pieces = []
        try:
            while at < len(data):
                length = int.from_bytes(data[at : at + 8], "big")
                pieces.append(marshal.loads(view[at + 8 : at + 8 + length]))
                at += 8 + length
        except (EOFError, ValueError, TypeError):
            return None
        return pieces

    def store(
        self, key: str, make: Callable[[], Iterable[Any]], *, background: bool = True
    ) -> None:
        """Store the pieces `make()` gives (values of marshal's plain types; a generator makes
        each when it is written); errors are logged and otherwise ignored. In the background
        by default, `make` included: a thread that the interpreter waits for at exit, so a
        command line finishes its write."""
        if not background:
            self._write(key, make)
            return
        thread = threading.Thread(target=self._write, args=(key, make), name="glossary-cache-write")
        with self._lock:
            self._writers = [t for t in self._writers if t.is_alive()] + [thread]
        thread.start()

    def flush(self) -> None:
        """Wait for the writes in flight (tests, and callers about to exit)."""
        with self._lock:
            writers = list(self._writers)
        for thread in writers:
            thread.join()

    def _write(self, key: str, make: Callable[[], Iterable[Any]]) -> None:
        try:
            if not self._usable(create=True):
                return
            full_key = self._full_key(key)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(_MAGIC + bytes(_DIGEST))  # the digest goes there at the end
                    head = len(full_key).to_bytes(4, "big") + full_key
                    digest = hashlib.sha256(head)
                    out.write(head)
                    for piece in make():
                        data = marshal.dumps(piece, 2)  # version 2: no table of every object
                        length = len(data).to_bytes(8, "big")
                        digest.update(length)
                        digest.update(data)
                        out.write(length)
                        out.write(data)
                        del data
                    out.seek(len(_MAGIC))
                    out.write(digest.digest())
                os.replace(tmp, self._file(key))
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
            self._prune()
        except Exception as exc:  # an optimisation only: never a failure of the caller
            log.info("could not write the glossary cache in %s: %s", self.directory, exc)

    def _prune(self) -> None:
        """Remove the least recently used entries beyond the budget."""
        entries = []
        stale = time.time_ns() - 3600 * 10**9  # a temporary file a killed writer left
        with os.scandir(self.directory) as listing:
            for entry in listing:
                if not entry.is_file(follow_symlinks=False):
                    continue
                info = entry.stat(follow_symlinks=False)
                if entry.name.endswith(".cache"):
                    entries.append((info.st_mtime_ns, info.st_size, entry.path))
                elif entry.name.endswith(".tmp") and info.st_mtime_ns < stale:
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)
        total = sum(size for _, size, _ in entries)
        for _, size, path in sorted(entries):
            if total <= self.budget:
                break
            with contextlib.suppress(OSError):
                os.unlink(path)
                total -= size
