"""Shared fixtures: every test gets its own package directory and settings; the tiny real
model is built once per session and installed through the real install path."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from glossary.config import Settings
from glossary.packages import InstalledPackage, install_from_file
from glossary.term import Term
from glossary.termfile import create_glossary
from tests.modelkit import build_package

REPO = Path(__file__).resolve().parents[1]
# The project's demo text (a copy of ../shared/seed/article-de.txt), so a clone anywhere runs.
ARTICLE = REPO / "examples" / "article-de.txt"


@pytest.fixture(scope="session")
def model_archives(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """Tiny .argosmodel files for de→en, en→fr and fr→en (the last two make pivots possible)."""
    out = tmp_path_factory.mktemp("archives")
    pairs = [("de", "en"), ("en", "fr"), ("fr", "en")]
    return {pair: build_package(out, *pair, seed=11 + i) for i, pair in enumerate(pairs)}


@pytest.fixture
def tiny_archive(model_archives: dict[tuple[str, str], Path]) -> Path:
    return model_archives[("de", "en")]


def isolated_env(home: Path) -> dict[str, str]:
    """An environment where nothing points at the real home directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARGOS_", "XDG_"))}
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_CACHE_HOME=str(home / "cache"),
        ARGOS_PACKAGES_DIR=str(home / "packages"),
        ARGOS_COMPUTE_TYPE="float32",
        GLOSSARY_STATE_DIR=str(home / "state"),
        # never the repo's terms/: no test may write there (a test that wants a folder makes one)
        GLOSSARY_TERMS_DIR=str(home / "terms"),
        # A dead local port: nothing in the tests may reach the real index.
        ARGOS_PACKAGE_INDEX="http://127.0.0.1:9/",
    )
    return env


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    environment = isolated_env(tmp_path / "home")
    for key in list(os.environ):
        if key.startswith(("ARGOS_", "XDG_")):
            monkeypatch.delenv(key)
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    yield environment


@pytest.fixture
def settings(env: dict[str, str]) -> Settings:
    return Settings.from_env(env)


@pytest.fixture
def installed(settings: Settings, tiny_archive: Path) -> InstalledPackage:
    return install_from_file(settings.packages_dir, tiny_archive)


@pytest.fixture
def terms_dir(tmp_path: Path) -> Path:
    """A glossary folder with one small de→en glossary, `p` ("Politics"): Herrscher → ruler."""
    terms = tmp_path / "terms"
    terms.mkdir()
    create_glossary(terms / "p.yaml", "Politics", "de", "en", [Term("Herrscher", "ruler")])
    return terms


@pytest.fixture
def article() -> str:
    return ARTICLE.read_text(encoding="utf-8")
