"""Small JSON files the service keeps about itself (accounts, owners of DeepL glossaries,
the default glossaries): re-read when they change on disk, so a CLI change reaches a running
server, and replaced atomically, so a crash leaves the old file or the new one."""

from __future__ import annotations

import copy
import json
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from glossary.errors import InputError


class StateFile:
    """One JSON object on disk; `default` when the file does not exist yet. Thread-safe."""

    def __init__(self, path: Path, default: dict[str, Any]) -> None:
        self.path = Path(path)
        self._default = default
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._data: dict[str, Any] = copy.deepcopy(default)

    def exists(self) -> bool:
        return self.path.exists()

    def get(self) -> dict[str, Any]:
        """The current content (do not change it; use `update`)."""
        with self._lock:
            return self._load()

    def update(self, edit: Callable[[dict[str, Any]], Any]) -> None:
        """Apply `edit` to a copy of the current content and write it."""
        with self._lock:
            data = copy.deepcopy(self._load())
            edit(data)
            write_private_json(self.path, data)
            self._stamp = None

    def _load(self) -> dict[str, Any]:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._stamp, self._data = None, copy.deepcopy(self._default)
            return self._data
        stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            self._data = self._read()
            self._stamp = stamp
        return self._data

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"{self.path}: cannot read: {exc}") from exc
        if not isinstance(data, dict):
            raise InputError(f"{self.path}: must hold a JSON object")
        return {**copy.deepcopy(self._default), **data}


def write_private_json(path: Path, data: Any) -> None:
    """Atomically, readable by the owner only: the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=2, sort_keys=True, ensure_ascii=False)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
