"""The official clients (libretranslatepy, deepl) against a live waitress server on 127.0.0.1.
The tiny real model's words are nonsense: these tests check that the clients accept every
reply, not what the translation says."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import deepl
import pytest
from libretranslatepy import LibreTranslateAPI

from glossary.config import Settings
from glossary.packages import InstalledPackage
from glossary.term import Term
from glossary.termfile import create_glossary
from tests.helpers import live_server
from web.app import create_app


@pytest.fixture
def server(settings: Settings, installed: InstalledPackage, tmp_path: Path) -> Iterator[str]:
    terms = tmp_path / "terms"
    terms.mkdir()
    create_glossary(terms / "politics.yaml", "Politics", "de", "en",
                    [Term("Kreml-Herrscher", "Kremlin ruler")])  # fmt: skip
    app = create_app(dataclasses.replace(settings, terms_dir=terms))
    with live_server(app) as url:
        yield url


def test_libretranslatepy(server: str) -> None:
    client = LibreTranslateAPI(server)
    text = client.translate("Der Kreml-Herrscher spricht.", "de", "en", timeout=60)
    assert isinstance(text, str) and text
    assert client.translate("Der Hund ist nicht hier.", "auto", "en", timeout=60)
    detected = client.detect("Das ist nicht der Hund, den wir haben.", timeout=10)
    assert detected[0]["language"] == "de"
    assert {"code": "de", "name": "German", "targets": ["en"]} in client.languages(timeout=10)


def test_deepl_client(server: str) -> None:
    translator = deepl.Translator("any-key", server_url=server)
    result = translator.translate_text("Der Kreml-Herrscher spricht.", target_lang="EN-GB")
    assert isinstance(result, deepl.TextResult)
    assert result.detected_source_lang == "DE" and result.billed_characters == 28
    many = translator.translate_text(["Der Hund.", "Die Katze."], source_lang="DE",
                                     target_lang="EN-US")  # fmt: skip
    assert len(many) == 2
    created = translator.create_glossary("Mine", "DE", "EN", {"Hund": "hound", "Katze": "cat"})
    assert created.entry_count == 2 and created.ready and created.source_lang == "DE"
    assert created.creation_time.tzinfo is not None
    listed = {g.glossary_id: g for g in translator.list_glossaries()}
    assert created.glossary_id in listed and listed[created.glossary_id].name == "Mine"
    assert "Politics" in {g.name for g in listed.values()}
    assert translator.get_glossary(created.glossary_id).name == "Mine"
    assert translator.get_glossary_entries(created) == {"Hund": "hound", "Katze": "cat"}
    with_glossary = translator.translate_text("Der Hund.", source_lang="DE", target_lang="EN-GB",
                                              glossary=created)  # fmt: skip
    assert isinstance(with_glossary.text, str)
    assert translator.get_usage().character.count > 0
    assert {lang.code for lang in translator.get_source_languages()} == {"DE"}
    assert "EN-GB" in {lang.code for lang in translator.get_target_languages()}
    assert [(p.source_lang, p.target_lang) for p in translator.get_glossary_languages()] == [
        ("de", "en")]
    translator.delete_glossary(created)
    with pytest.raises(deepl.GlossaryNotFoundException):
        translator.get_glossary(created.glossary_id)
    with pytest.raises(deepl.DeepLException, match="Invalid glossary entries"):
        translator.create_glossary_from_csv("Bad", "DE", "EN", "Hund,\n")
