"""Which engine serves a language pair: a direct package, or two packages through English.
Loaded engines are cached, but every use checks that the packages behind the cached engine are
still the installed ones, so a package removed (or replaced) while the server runs is noticed
by translating exactly as by the language lists."""

from __future__ import annotations

import threading
from collections.abc import Callable

from glossary.config import Settings
from glossary.ct2engine import CTranslate2Engine, RuntimeOptions
from glossary.engine import Engine
from glossary.errors import ModelNotInstalledError
from glossary.packages import InstalledPackage, PackageListing
from glossary.pivot import PivotEngine

PIVOT = "en"
Loader = Callable[[InstalledPackage], Engine]


def runtime_from(settings: Settings) -> RuntimeOptions:
    return RuntimeOptions(
        device=settings.device,
        compute_type=settings.compute_type,
        intra_threads=settings.intra_threads,
        inter_threads=settings.inter_threads,
    )


class EngineRegistry:
    def __init__(self, settings: Settings, loader: Loader | None = None) -> None:
        self._settings = settings
        runtime = runtime_from(settings)
        self._load: Loader = loader or (lambda package: CTranslate2Engine(package, runtime))
        # Each engine with the packages it was loaded from.
        self._engines: dict[tuple[str, str], tuple[Engine, tuple[InstalledPackage, ...]]] = {}
        self._lock = threading.Lock()
        # Read again only when the package directory changes (stat calls on every use).
        self._listing = PackageListing(settings.packages_dir)

    def installed(self) -> dict[tuple[str, str], InstalledPackage]:
        # Sorted oldest first, so the newest version of a pair wins.
        return {p.pair: p for p in self._listing.packages()}

    def pairs(self) -> list[tuple[str, str]]:
        """Every pair we can translate: direct packages plus X→en→Y pivots."""
        direct = set(self.installed())
        pivots = {(a, d) for (a, b) in direct for (c, d) in direct if b == PIVOT == c and a != d}
        return sorted(direct | pivots)

    def get(self, from_code: str, to_code: str) -> Engine:
        """The engine for the pair; ModelNotInstalledError when `pairs()` would not list it."""
        installed = self.installed()
        with self._lock:
            self._drop_stale(installed)
            key = (from_code, to_code)
            if key not in self._engines:
                self._engines[key] = self._build(installed, from_code, to_code)
            return self._engines[key][0]

    def _drop_stale(self, installed: dict[tuple[str, str], InstalledPackage]) -> None:
        # The same listing as pairs() decides, so the page and every API agree; translations
        # already running keep their own reference to the dropped engine.
        stale = [
            key
            for key, (_engine, used) in self._engines.items()
            if any(installed.get(package.pair) != package for package in used)
        ]
        for key in stale:
            del self._engines[key]

    def _build(
        self, installed: dict[tuple[str, str], InstalledPackage], from_code: str, to_code: str
    ) -> tuple[Engine, tuple[InstalledPackage, ...]]:
        if (from_code, to_code) in installed:
            package = installed[(from_code, to_code)]
            return self._load(package), (package,)
        first, second = installed.get((from_code, PIVOT)), installed.get((PIVOT, to_code))
        if first is None or second is None or PIVOT in (from_code, to_code):
            raise ModelNotInstalledError(from_code, to_code)
        return PivotEngine(self._load(first), self._load(second)), (first, second)
