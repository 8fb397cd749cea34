"""Shared fixtures: every test gets its own package directory and settings; the tiny real
model is built once per session and installed through the real install path. The one web
app fixture, `app`, is built from `app_settings` and `lexicon`, which a module overrides."""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from glossary.config import Settings
from glossary.engines import EngineRegistry
from glossary.packages import InstalledPackage, install_from_file
from glossary.term import Term
from glossary.termwrite import create_glossary
from tests.fakes import PhraseEngine
from tests.modelkit import build_package
from web.app import create_app

REPO = Path(__file__).resolve().parents[1]
# The project's demo text (a copy of ../shared/seed/article-de.txt), so a clone anywhere runs.
ARTICLE = REPO / "examples" / "article-de.txt"
# A fixed key: no test writes the session key into its state folder unless it means to.
TEST_CONFIG = {"TESTING": True, "SECRET_KEY": "test"}


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


def project_terms(tmp_path: Path) -> Path:
    """A private copy of the project's own de→en glossary (`de-en`), in tmp_path/terms."""
    terms = tmp_path / "terms"
    terms.mkdir(exist_ok=True)
    shutil.copy(REPO / "terms" / "de-en.yaml", terms / "de-en.yaml")
    return terms


def build_app(settings: Settings, lexicon: Mapping[str, str] | None = None) -> Flask:
    """The real app factory over the settings. With a lexicon, a PhraseEngine knowing only
    those words stands in for every installed model; without, the real engines run."""
    words = dict(lexicon or {})
    loader = None if lexicon is None else (lambda package: PhraseEngine(words))
    return create_app(
        settings, EngineRegistry(settings, loader=loader), test_config=dict(TEST_CONFIG)
    )


@pytest.fixture
def app_settings(settings: Settings, terms_dir: Path) -> Settings:
    """The settings `app` is built with: `terms_dir` as the terms folder. A module overrides
    this fixture to change them."""
    return dataclasses.replace(settings, terms_dir=terms_dir)


@pytest.fixture
def lexicon() -> Mapping[str, str] | None:
    """The words of the fake engine `app` translates with; None: the real engines. A module
    overrides this fixture (asking for `installed` too where the fake replaces a model)."""
    return None


@pytest.fixture
def app(app_settings: Settings, lexicon: Mapping[str, str] | None) -> Flask:
    return build_app(app_settings, lexicon)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
