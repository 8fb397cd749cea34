"""Which glossaries a request gets: named ones exactly, none when it names an empty list, all
of the pair's when it does not say. A fake engine stands in; the wording is beside the point."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from glossary.config import Settings
from glossary.engines import EngineRegistry
from glossary.errors import InputError
from glossary.packages import InstalledPackage
from glossary.service import TranslationService
from glossary.term import Term
from glossary.termwrite import create_glossary
from tests.fakes import PhraseEngine


@pytest.fixture
def service(settings: Settings, installed: InstalledPackage, terms_dir: Path) -> TranslationService:
    create_glossary(terms_dir / "fr.yaml", "French", "fr", "en", [Term("roi", "king")])
    create_glossary(terms_dir / "q.yaml", "More", "de", "en", [Term("Hund", "hound")])
    registry = EngineRegistry(settings, loader=lambda package: PhraseEngine({"der": "the"}))
    return TranslationService(dataclasses.replace(settings, terms_dir=terms_dir), registry)


@pytest.mark.parametrize(
    ("names", "expected"),
    [(None, ["Politics", "More"]), ([], []), (["q"], ["More"]), (["q", "p"], ["More", "Politics"])],
)
def test_fake_engine_glossary_choice(
    service: TranslationService, names: list[str] | None, expected: list[str]
) -> None:
    assert [g.name for g in service.glossaries_for("de", "en", names)] == expected
    found = {
        t.term.source
        for t in service.translate("Der Herrscher und der Hund.", "de", "en", names).terms
    }
    chosen = {t.source for g in service.glossaries_for("de", "en", names) for t in g.terms}
    assert found == chosen & {"Herrscher", "Hund"}


def test_fake_engine_glossary_of_another_pair_is_refused(service: TranslationService) -> None:
    with pytest.raises(InputError, match="fr→en, not de→en"):
        service.glossaries_for("de", "en", ["fr"])
