"""Exclusive locks across processes: an flock on a lock file beside what it guards. One
implementation for glossary files (glossary/termwrite.py) and the package directory
(glossary/packages.py)."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator
from pathlib import Path


def _open_lock(lock_path: Path) -> int:
    """A descriptor holding the flock on the lock file that is at `lock_path` now.

    Lock files may be deleted once what they guard is gone (see `exclusive`), so the flock
    alone proves nothing: a waiter may wake up holding a file that was unlinked meanwhile
    while a newcomer locks a fresh one at the same path. Hence the check, after locking, that
    the path still names the locked inode; when it does not, start over. O_NOFOLLOW: a
    symbolic link planted as a lock file must not make us create a file elsewhere."""
    while True:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            with contextlib.suppress(FileNotFoundError):
                if os.path.samestat(os.fstat(fd), os.lstat(lock_path)):
                    return fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)


def _drop_if_orphan(guarded: Path, lock_path: Path) -> None:
    """Called holding the lock: remove the lock file when what it guards is gone, so lock
    files do not pile up after deletes. Safe because every locker re-checks the inode after
    locking (`_open_lock`): anyone who wakes up on the unlinked file starts over."""
    if not os.path.lexists(guarded):
        with contextlib.suppress(OSError):  # a read-only folder keeps its lock: harmless
            os.unlink(lock_path)


@contextlib.contextmanager
def exclusive(
    lock_path: Path,
    *,
    guarded: Path | None = None,
    failure: Callable[[OSError], Exception] | None = None,
) -> Iterator[None]:
    """Hold the exclusive flock on `lock_path` (created if missing). With `guarded`, the lock
    file is removed on release when that path no longer exists. `failure` turns an OSError
    while taking the lock into the caller's own error; one raised by the body is left alone."""
    try:
        fd = _open_lock(lock_path)
    except OSError as exc:
        if failure is None:
            raise
        raise failure(exc) from exc
    try:
        yield
    finally:
        if guarded is not None:
            _drop_if_orphan(guarded, lock_path)
        os.close(fd)  # closing the descriptor releases the lock


def discard_orphan(lock_path: Path, guarded: Path) -> None:
    """Remove the lock file if what it guards is gone (deleted by hand, by an older version,
    or by a crash between the two unlinks). Never waits: a lock held now belongs to a holder
    that removes it itself when it finds `guarded` gone."""
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_NOFOLLOW)
    except OSError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if os.path.samestat(os.fstat(fd), os.lstat(lock_path)):
            _drop_if_orphan(guarded, lock_path)
    except OSError:
        pass  # held by a writer, or already gone
    finally:
        os.close(fd)
