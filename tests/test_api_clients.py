"""The official clients (libretranslatepy, deepl) against a live waitress server on 127.0.0.1.
The tiny real model's words are nonsense: these tests check that the clients accept every
reply, not what the translation says."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import deepl
import pytest
from deepl.api_data import MultilingualGlossaryDictionaryEntries as Entries
from libretranslatepy import LibreTranslateAPI

from glossary.config import Settings
from glossary.packages import InstalledPackage, install_from_file
from glossary.term import Term
from glossary.termwrite import create_glossary
from tests.helpers import live_server
from web.app import create_app


@pytest.fixture
def server(settings: Settings, installed: InstalledPackage, tmp_path: Path) -> Iterator[str]:
    terms = tmp_path / "terms"
    terms.mkdir()
    create_glossary(
        terms / "politics.yaml", "Politics", "de", "en", [Term("Kreml-Herrscher", "Kremlin ruler")]
    )
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
    many = translator.translate_text(
        ["Der Hund.", "Die Katze."], source_lang="DE", target_lang="EN-US"
    )
    assert len(many) == 2
    created = translator.create_glossary("Mine", "DE", "EN", {"Hund": "hound", "Katze": "cat"})
    assert created.entry_count == 2 and created.ready and created.source_lang == "DE"
    assert created.creation_time.tzinfo is not None
    listed = {g.glossary_id: g for g in translator.list_glossaries()}
    assert created.glossary_id in listed and listed[created.glossary_id].name == "Mine"
    assert "Politics" in {g.name for g in listed.values()}
    assert translator.get_glossary(created.glossary_id).name == "Mine"
    assert translator.get_glossary_entries(created) == {"Hund": "hound", "Katze": "cat"}
    with_glossary = translator.translate_text(
        "Der Hund.", source_lang="DE", target_lang="EN-GB", glossary=created
    )
    assert isinstance(with_glossary.text, str)
    assert translator.get_usage().character.count > 0
    assert {lang.code for lang in translator.get_source_languages()} == {"DE"}
    assert "EN-GB" in {lang.code for lang in translator.get_target_languages()}
    assert [(p.source_lang, p.target_lang) for p in translator.get_glossary_languages()] == [
        ("de", "en")
    ]
    translator.delete_glossary(created)
    with pytest.raises(deepl.GlossaryNotFoundException):
        translator.get_glossary(created.glossary_id)
    with pytest.raises(deepl.DeepLException, match="Invalid glossary entries"):
        translator.create_glossary_from_csv("Bad", "DE", "EN", "Hund,\n")


@pytest.fixture
def two_pair_server(
    settings: Settings,
    installed: InstalledPackage,
    tmp_path: Path,
    model_archives: dict[tuple[str, str], Path],
) -> Iterator[str]:
    install_from_file(settings.packages_dir, model_archives[("fr", "en")])
    app = create_app(dataclasses.replace(settings, terms_dir=tmp_path / "terms"))
    with live_server(app) as url:
        yield url


def test_deepl_client_multilingual_glossaries(two_pair_server: str, tmp_path: Path) -> None:
    client = deepl.DeepLClient("any-key", server_url=two_pair_server)
    created = client.create_multilingual_glossary(
        "Multi",
        [
            Entries("DE", "EN", {"Hund": "hound", "Katze": "cat"}),
            Entries("FR", "EN", {"chien": "mutt"}),
        ],
    )
    assert [(d.source_lang, d.target_lang, d.entry_count) for d in created.dictionaries] == [
        ("DE", "EN", 2),
        ("FR", "EN", 1),
    ]
    assert created.creation_time.tzinfo is not None
    files = sorted(p.name for p in (tmp_path / "terms").glob("*.yaml"))
    assert files == [f"deepl-{created.glossary_id}.{pair}.yaml" for pair in ("de-en", "fr-en")]
    assert [g.name for g in client.list_multilingual_glossaries()] == ["Multi"]
    assert client.get_multilingual_glossary(created.glossary_id).name == "Multi"
    [german] = client.get_multilingual_glossary_entries(created, "DE", "EN-GB").dictionaries
    assert german.entries == "Hund\thound\nKatze\tcat\n"  # the client passes the TSV through
    updated = client.update_multilingual_glossary_dictionary(
        created, Entries("DE", "EN", {"Maus": "mouse", "Hund": "dog"})
    )
    assert updated.dictionaries[0].entry_count == 3
    renamed = client.update_multilingual_glossary_name(created, "Renamed")
    assert renamed.name == "Renamed" and len(renamed.dictionaries) == 2
    replaced = client.replace_multilingual_glossary_dictionary(
        created, Entries("FR", "EN", {"chat": "cat"})
    )
    assert (replaced.source_lang, replaced.entry_count) == ("FR", 1)
    for text, source in [("Der Hund.", "DE"), ("Le chat.", "FR")]:
        result = client.translate_text(
            text, source_lang=source, target_lang="EN-GB", glossary=renamed
        )
        assert isinstance(result, deepl.TextResult) and result.detected_source_lang == source
    client.delete_multilingual_glossary_dictionary(created, renamed.dictionaries[1])
    client.delete_multilingual_glossary_dictionary(created, source_lang="DE", target_lang="EN")
    with pytest.raises(deepl.GlossaryNotFoundException):
        client.get_multilingual_glossary(created.glossary_id)
    again = client.create_multilingual_glossary_from_csv("Csv", "DE", "EN", "Hund,hound\n")
    client.delete_multilingual_glossary(again)
    with pytest.raises(deepl.GlossaryNotFoundException):
        client.get_multilingual_glossary_entries(again, "DE", "EN")
    duplicate = Entries("DE", "EN", {"Hund": "a", "HUND": "b"})
    with pytest.raises(deepl.DeepLException, match="Invalid glossary entries"):
        client.create_multilingual_glossary("Bad", [duplicate])
    assert not list((tmp_path / "terms").glob("*.yaml"))
