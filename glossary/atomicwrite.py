"""Writing a file so that a crash at any moment leaves either the old bytes or the new ones:
a temp file beside it, fsync, rename (or link, to never replace), fsync of the folder."""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import tempfile
import time
from pathlib import Path

STALE_TEMP_SECONDS = 60.0


def fsync_dir(folder: Path) -> None:
    """Make a rename, link or unlink in `folder` durable."""
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def link_new(tmp_name: str, path: Path) -> None:
    """Publish a new file without ever replacing one: link() fails if `path` exists. Where a
    filesystem has no hard links, fall back to check-then-rename, which the caller's lock
    still makes safe against other writers that take it."""
    try:
        os.link(tmp_name, path)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        if path.exists():
            raise FileExistsError(errno.EEXIST, "file exists", str(path)) from None
        os.replace(tmp_name, path)
        return
    os.unlink(tmp_name)


def sweep_stale_temps(path: Path) -> None:
    """Remove temp files a killed writer left beside `path`. Call under the file's lock, so
    no live writer of this file has one in flight; the age check is a second guard."""
    cutoff = time.time() - STALE_TEMP_SECONDS
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        with contextlib.suppress(OSError):
            if stale.stat().st_mtime < cutoff:
                stale.unlink()


def atomic_write(path: Path, data: bytes, *, exclusive: bool = False) -> None:
    """Temp file in the same directory, write, fsync, rename over (or link, when `exclusive`,
    which fails instead of replacing), then fsync the directory so the rename is durable.
    The file keeps its permission bits."""
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        if exclusive:
            link_new(tmp_name, path)
        else:
            os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    fsync_dir(path.parent)
