"""The Argos package directory: reading installed packages (the same layout argospm writes)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from glossary.errors import PackageError

METADATA = "metadata.json"


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
    """Installed translate packages, sorted by pair. Folders that are not packages (stray
    directories, other package types) are skipped rather than breaking the listing."""
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
    return sorted(found, key=lambda p: (p.pair, p.package_version))


def find_package(packages_dir: Path, from_code: str, to_code: str) -> InstalledPackage | None:
    """The newest installed package for exactly this pair, or None."""
    matches = [p for p in list_packages(packages_dir) if p.pair == (from_code, to_code)]
    return matches[-1] if matches else None
