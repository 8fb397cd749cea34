"""The Argos package directory: listing, installing and removing packages in the same layout
argospm writes, so packages installed by either tool are seen by the other."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import tempfile
import threading
import time
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from glossary import filelock
from glossary.errors import InputError, PackageError

METADATA = "metadata.json"
# Real packages unpack to ~100-300 MB; anything past this is a zip bomb or not a model.
DEFAULT_MAX_UNPACKED_BYTES = 4 * 1024**3
STAGING_PREFIX = ".glossary-staging-"
_CHUNK = 1024 * 1024
_REQUIRED_FILES = ("model/model.bin", "model/config.json")
_TOKENIZER_FILES = ("sentencepiece.model", "bpe.model")


@dataclass(frozen=True)
class InstalledPackage:
    path: Path
    from_code: str
    to_code: str
    package_version: str
    from_name: str = ""
    to_name: str = ""
    target_prefix: str = ""
    metadata: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def model_dir(self) -> Path:
        return self.path / "model"

    @property
    def sentencepiece_model(self) -> Path:
        return self.path / "sentencepiece.model"

    @property
    def pair(self) -> tuple[str, str]:
        return self.from_code, self.to_code


def version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key comparing versions part by part, numbers numerically ("1.10" > "1.9").
    A small stand-in for packaging.version so the service needs no extra dependency;
    Argos package versions are plain dotted numbers."""
    parts = re.findall(r"\d+|[A-Za-z]+", version)
    return tuple((1, int(p)) if p.isdigit() else (0, p.lower()) for p in parts)


def read_metadata(package_dir: Path) -> dict[str, Any]:
    path = package_dir / METADATA
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise PackageError(f"{path}: missing (not an Argos package)") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PackageError(f"{path}: unreadable metadata: {exc}") from exc
    if not isinstance(data, dict):
        raise PackageError(f"{path}: metadata must be a JSON object")
    return data


def package_from_dir(package_dir: Path) -> InstalledPackage:
    meta = read_metadata(package_dir)
    if meta.get("type", "translate") != "translate":
        raise PackageError(f"{package_dir}: package type {meta.get('type')!r} is not 'translate'")
    try:
        from_code, to_code = str(meta["from_code"]), str(meta["to_code"])
    except KeyError as exc:
        raise PackageError(f"{package_dir / METADATA}: field {exc.args[0]} is missing") from exc
    return InstalledPackage(
        path=package_dir,
        from_code=from_code,
        to_code=to_code,
        package_version=str(meta.get("package_version", "")),
        from_name=str(meta.get("from_name", "")),
        to_name=str(meta.get("to_name", "")),
        target_prefix=str(meta.get("target_prefix", "") or ""),
        metadata=meta,
    )


def list_packages(packages_dir: Path) -> list[InstalledPackage]:
    """Installed translate packages, sorted by pair, then version (oldest first). Folders that
    are not packages (stray directories, other package types) are skipped rather than breaking
    the listing."""
    if not packages_dir.is_dir():
        return []
    found = []
    for child in sorted(packages_dir.iterdir()):
        if not child.is_dir() or child.name.startswith("."):
            continue
        try:
            found.append(package_from_dir(child))
        except PackageError:
            continue
    return sorted(found, key=lambda p: (p.pair, version_key(p.package_version), p.path.name))


# A listing is not kept while any timestamp in its stamp is younger than this: a change in the
# same timestamp tick (up to 1-2 s on some filesystems) could leave the stamp equal. Change
# times count too, as tools that keep an archive's modification times (tar) cannot fake them.
RACY_SECONDS = 2.0
_Stamp = tuple[Any, ...]
_clock = time.time_ns  # the clock timestamps are compared with (tests move it)


def _stat_key(path: str) -> tuple[int, int, int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


def directory_stamp(packages_dir: Path) -> tuple[_Stamp, int]:
    """What changes whenever the listing could: the package directory itself (an entry
    added, removed or renamed in by argospm or by our installer), each package folder (replaced
    by a rename: a new inode) and each metadata.json (rewritten in place, as argospm's unzip
    does). Only stat calls, no reads. Also returns the newest modification or change time
    seen (ns)."""
    top = _stat_key(str(packages_dir))
    if top is None:
        return ("missing",), 0
    entries: list[tuple[Any, ...]] = []
    try:
        with os.scandir(packages_dir) as scan:
            found = sorted(scan, key=lambda e: e.name)
    except OSError:
        return ("unreadable", top), _clock()
    for entry in found:
        if entry.name.startswith("."):
            continue  # hidden entries are never listed
        try:
            link_inode = entry.inode()
        except OSError:
            link_inode = -1
        folder = _stat_key(entry.path)
        meta = _stat_key(os.path.join(entry.path, METADATA))
        entries.append((entry.name, link_inode, folder, meta))
    keys = [top] + [key for entry in entries for key in entry[2:] if key is not None]
    newest = max(max(key[3], key[4]) for key in keys)
    return (top, tuple(entries)), newest


class PackageListing:
    """`list_packages` for one directory, kept until the directory changes: the stamp (stat
    calls only) is checked on every call, the metadata files are read again only when it
    differs. A package removed, added or replaced is seen on the next call."""

    def __init__(self, packages_dir: Path) -> None:
        self.packages_dir = packages_dir
        self._lock = threading.Lock()
        self._kept: tuple[_Stamp, tuple[InstalledPackage, ...]] | None = None

    def packages(self) -> tuple[InstalledPackage, ...]:
        with self._lock:
            stamp, newest = directory_stamp(self.packages_dir)
            if self._kept is not None and self._kept[0] == stamp:
                return self._kept[1]
            # Stamp first, then read: a change while reading gives a new stamp next time.
            listed = tuple(list_packages(self.packages_dir))
            racy = newest > _clock() - int(RACY_SECONDS * 1e9)
            self._kept = None if racy else (stamp, listed)
            return listed


def find_package(packages_dir: Path, from_code: str, to_code: str) -> InstalledPackage | None:
    """The newest installed package for exactly this pair, or None."""
    matches = [p for p in list_packages(packages_dir) if p.pair == (from_code, to_code)]
    return matches[-1] if matches else None


@contextmanager
def package_lock(packages_dir: Path) -> Iterator[None]:
    """Serialises installs and removals across processes (two `make run`s at once, say).
    The lock file sits beside the package directory, not in it: argostranslate treats every
    entry of the package directory as a package."""

    def failure(exc: OSError) -> PackageError:
        return PackageError(f"cannot use package directory {packages_dir}: {exc}")

    try:
        packages_dir.mkdir(parents=True, exist_ok=True)
        real = packages_dir.resolve()
    except OSError as exc:
        raise failure(exc) from exc
    with filelock.exclusive(real.parent / f".{real.name}.glossary.lock", failure=failure):
        yield


def _make_staging(packages_dir: Path) -> Path:
    """A fresh directory on the same filesystem as the package directory (so rename is atomic)
    but outside it (so no tool lists a half-written package). Call with the lock held: leftovers
    of a killed earlier run are deleted here, as no other install can be using them. A
    symlinked package directory is resolved: its target's parent shares its filesystem."""
    real = packages_dir.resolve()
    prefix = f"{STAGING_PREFIX}{real.name}-"
    for stale in real.parent.iterdir():
        if stale.name.startswith(prefix) and stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
    return Path(tempfile.mkdtemp(dir=real.parent, prefix=prefix))


@dataclass(frozen=True)
class _Plan:
    """What a checked archive will unpack to."""

    folder: str
    members: list[tuple[zipfile.ZipInfo, PurePosixPath]]


def _open_archive(archive: Path) -> zipfile.ZipFile:
    if not archive.is_file():
        raise PackageError(f"{archive}: no such file")
    try:
        return zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise PackageError(f"{archive}: not a zip archive (.argosmodel files are): {exc}") from exc


def _member_path(archive: Path, info: zipfile.ZipInfo) -> PurePosixPath:
    """The member's path, refusing anything that could land outside the staging folder."""
    name = info.filename
    path = PurePosixPath(name)
    if path.is_absolute() or "\\" in name or re.match(r"[A-Za-z]:", name) or ".." in path.parts:
        raise PackageError(f"{archive}: member {name!r} points outside the package folder")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise PackageError(f"{archive}: member {name!r} is a symbolic link")
    return path


def _top_folder(archive: Path, members: list[tuple[zipfile.ZipInfo, PurePosixPath]]) -> str:
    tops = sorted({path.parts[0] for _, path in members if path.parts})
    if len(tops) != 1:
        shown = ", ".join(tops[:5]) or "none"
        raise PackageError(
            f"{archive}: {len(tops)} top-level entries ({shown}); "
            "an Argos package holds exactly one top-level folder"
        )
    loose = [info.filename for info, path in members if len(path.parts) == 1 and not info.is_dir()]
    if loose or tops[0].startswith("."):
        raise PackageError(f"{archive}: top-level entry {tops[0]!r} is not a package folder")
    return tops[0]


def _check_metadata(archive: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    if info.file_size > _CHUNK:
        raise PackageError(f"{archive}: {info.filename} is implausibly large")
    try:
        data = json.loads(zf.read(info).decode("utf-8"))
    except (zipfile.BadZipFile, UnicodeDecodeError, ValueError) as exc:
        raise PackageError(f"{archive}: {info.filename} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise PackageError(f"{archive}: {info.filename} must hold a JSON object")
    if data.get("type", "translate") != "translate":
        raise PackageError(f"{archive}: package type {data.get('type')!r} is not 'translate'")
    for key in ("from_code", "to_code"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise PackageError(f"{archive}: {info.filename} lacks the field {key!r}")


def _plan_install(archive: Path, zf: zipfile.ZipFile, max_unpacked_bytes: int) -> _Plan:
    """Checks the whole archive before a single byte is written."""
    members = [(info, _member_path(archive, info)) for info in zf.infolist()]
    folder = _top_folder(archive, members)
    files = {str(path): info for info, path in members if not info.is_dir()}
    missing = [name for name in (METADATA, *_REQUIRED_FILES) if f"{folder}/{name}" not in files]
    if not any(f"{folder}/{name}" in files for name in _TOKENIZER_FILES):
        missing.append(" or ".join(_TOKENIZER_FILES))
    if missing:
        raise PackageError(f"{archive}: not an Argos package, missing {', '.join(missing)}")
    total = sum(info.file_size for info, _ in members)
    if total > max_unpacked_bytes:
        raise PackageError(
            f"{archive}: unpacks to {total} bytes, more than the limit of {max_unpacked_bytes}"
        )
    _check_metadata(archive, zf, files[f"{folder}/{METADATA}"])
    return _Plan(folder=folder, members=members)


def _extract_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, budget: int) -> int:
    """Copies one member in chunks; returns the bytes written. Counts what really comes out
    rather than trusting the sizes the archive declares."""
    written = 0
    with zf.open(info) as source, open(target, "wb") as sink:
        while chunk := source.read(_CHUNK):
            written += len(chunk)
            if written > budget:
                raise PackageError(f"{info.filename}: unpacks past the size limit")
            sink.write(chunk)
    return written


def _extract(archive: Path, zf: zipfile.ZipFile, plan: _Plan, dest: Path, limit: int) -> None:
    budget = limit
    try:
        for info, path in plan.members:
            target = dest.joinpath(*path.parts)
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            budget -= _extract_member(zf, info, target, budget)
    except PackageError as exc:
        raise PackageError(f"{archive}: {exc}") from exc
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise PackageError(f"{archive}: corrupt archive: {exc}") from exc
    except OSError as exc:
        raise PackageError(f"{archive}: cannot unpack into {dest}: {exc}") from exc


def _swap_in(new: Path, target: Path, staging: Path) -> None:
    """Moves the unpacked package into place with renames only, so the package directory never
    shows a half package; a package already in that folder is moved aside first and restored
    if the second rename fails."""
    aside = staging / "previous"
    had_old = target.exists() or target.is_symlink()
    if had_old:
        os.replace(target, aside)
    try:
        os.replace(new, target)
    except OSError:
        if had_old:
            os.replace(aside, target)
        raise


def install_from_file(
    packages_dir: Path, archive: Path, max_unpacked_bytes: int = DEFAULT_MAX_UNPACKED_BYTES
) -> InstalledPackage:
    """Installs an `.argosmodel` file into `packages_dir/<its top folder>`, the folder argospm
    would use, replacing a package already there. A bad archive raises PackageError naming
    the file and the problem, and leaves the package directory as it was."""
    with _open_archive(archive) as zf:
        plan = _plan_install(archive, zf, max_unpacked_bytes)
        with package_lock(packages_dir):
            staging = _make_staging(packages_dir)
            try:
                _extract(archive, zf, plan, staging, max_unpacked_bytes)
                package_from_dir(staging / plan.folder)
                _swap_in(staging / plan.folder, packages_dir / plan.folder, staging)
            except OSError as exc:
                raise PackageError(f"{archive}: cannot install into {packages_dir}: {exc}") from exc
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    return package_from_dir(packages_dir / plan.folder)


def remove_package(packages_dir: Path, from_code: str, to_code: str) -> InstalledPackage:
    """Removes every installed package for the pair (so the pair is really gone, not replaced
    by an older version) and returns the newest of them, the one that was in use. Folders are
    renamed out of the package directory before deletion, so an interrupted removal never
    leaves a half package behind."""
    with package_lock(packages_dir):
        matches = [p for p in list_packages(packages_dir) if p.pair == (from_code, to_code)]
        if not matches:
            installed = ", ".join(f"{p.from_code}→{p.to_code}" for p in list_packages(packages_dir))
            raise InputError(
                f"no {from_code}→{to_code} package is installed in {packages_dir} "
                f"(installed: {installed or 'none'})"
            )
        staging = _make_staging(packages_dir)
        try:
            for number, package in enumerate(matches):
                os.replace(package.path, staging / str(number))
        except OSError as exc:
            raise PackageError(f"cannot remove {from_code}→{to_code}: {exc}") from exc
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return matches[-1]
