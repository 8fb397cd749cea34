"""The DeepL-compatible API through Flask's test client."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from glossary.config import Settings
from glossary.packages import InstalledPackage
from glossary.termload import load_glossary
from web.app import create_app

AUTH = {"Authorization": "DeepL-Auth-Key anything"}
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


@pytest.fixture
def lexicon(installed: InstalledPackage) -> dict[str, str]:
    """The fake engine stands in for the installed de→en model."""
    return {"der": "the", "herrscher": "lord", "hund": "dog", "ist": "is"}


def _create(client: FlaskClient, entries: str = "Hund\thound\n", **extra: str) -> Any:
    body = {
        "name": "Mine",
        "source_lang": "de",
        "target_lang": "en",
        "entries": entries,
        "entries_format": "tsv",
    }
    body.update(extra)
    return client.post("/v2/glossaries", json=body, headers=AUTH)


def test_fake_engine_translate_json_and_form(client: FlaskClient) -> None:
    reply = client.post(
        "/v2/translate",
        headers=AUTH,
        json={
            "text": ["Der Herrscher.", "Der Hund ist."],
            "target_lang": "EN-US",
            "formality": "default",
            "split_sentences": "1",
            "unknown_option": 1,
        },
    )
    assert reply.status_code == 200, reply.json

    def status(text: str) -> list[dict[str, object]]:  # our extension: per-sentence status
        return [
            {
                "source": {"start": 0, "end": len(text), "text": text},
                "status": "translated",
                "reason": None,
            }
        ]

    assert reply.json == {
        "translations": [
            {
                "detected_source_language": "DE",
                "text": "The ruler.",
                "billed_characters": 14,
                "sentences": status("Der Herrscher."),
            },
            {
                "detected_source_language": "DE",
                "text": "The dog is.",
                "billed_characters": 13,
                "sentences": status("Der Hund ist."),
            },
        ]
    }
    form = client.post(
        "/v2/translate",
        headers=AUTH,
        data={"text": ["Der Hund.", "Hund"], "target_lang": "EN-GB", "source_lang": "DE"},
    )
    assert [t["text"] for t in form.json["translations"]] == ["The dog.", "Dog"]


def test_fake_engine_glossary_id_uses_exactly_that_glossary(client: FlaskClient) -> None:
    created = _create(client).json
    reply = client.post(
        "/v2/translate",
        headers=AUTH,
        json={
            "text": ["Der Herrscher und der Hund."],
            "source_lang": "DE",
            "target_lang": "EN-GB",
            "glossary_id": created["glossary_id"],
        },
    )
    assert reply.status_code == 200, reply.json
    assert reply.json["translations"][0]["text"] == "The lord und the hound."


def test_glossary_lifecycle(client: FlaskClient, terms_dir: Path) -> None:
    created = _create(client, "Hund\thound\n\nKatze\tcat\r\n")
    assert created.status_code == 201, created.json
    info = created.json
    assert info["entry_count"] == 2 and info["ready"] is True and info["name"] == "Mine"
    assert (info["source_lang"], info["target_lang"]) == ("de", "en")
    assert TIME.fullmatch(info["creation_time"])
    path = terms_dir / f"deepl-{info['glossary_id']}.yaml"
    assert load_glossary(path).name == "Mine"
    listed = client.get("/v2/glossaries", headers=AUTH).json["glossaries"]
    assert {g["name"] for g in listed} == {"Mine", "Politics"}
    assert all(TIME.fullmatch(g["creation_time"]) for g in listed)
    ident = info["glossary_id"]
    assert client.get(f"/v2/glossaries/{ident}", headers=AUTH).json == info
    entries = client.get(
        f"/v2/glossaries/{ident}/entries", headers={**AUTH, "Accept": "text/tab-separated-values"}
    )
    assert entries.headers["Content-Type"] == "text/tab-separated-values; charset=UTF-8"
    assert entries.data.decode() == "Hund\thound\nKatze\tcat\n"
    refused = client.get(
        f"/v2/glossaries/{ident}/entries", headers={**AUTH, "Accept": "application/json"}
    )
    assert refused.status_code == 415 and "message" in refused.json
    assert client.delete(f"/v2/glossaries/{ident}", headers=AUTH).status_code == 204
    assert not path.exists()
    assert client.get(f"/v2/glossaries/{ident}", headers=AUTH).status_code == 404


def test_file_glossaries_cannot_be_deleted_here(client: FlaskClient, terms_dir: Path) -> None:
    [listed] = client.get("/v2/glossaries", headers=AUTH).json["glossaries"]
    reply = client.delete(f"/v2/glossaries/{listed['glossary_id']}", headers=AUTH)
    assert reply.status_code == 403 and (terms_dir / "p.yaml").exists()


def test_csv_entries(client: FlaskClient) -> None:
    reply = _create(client, '"Hund, groß",big dog,de,en\nKatze,cat\n', entries_format="csv")
    assert reply.status_code == 201, reply.json
    assert reply.json["entry_count"] == 2


@pytest.mark.parametrize("kind", ["query", "form"])
def test_languages(client: FlaskClient, kind: str) -> None:
    if kind == "query":
        reply = client.get("/v2/languages?type=target", headers=AUTH)
    else:
        reply = client.get("/v2/languages", data={"type": "target"}, headers=AUTH)
    assert reply.json == [
        {"language": "EN-GB", "name": "English", "supports_formality": False},
        {"language": "EN-US", "name": "English", "supports_formality": False},
    ]
    assert client.get("/v2/languages").json == [{"language": "DE", "name": "German"}]


def test_usage_and_pairs(client: FlaskClient) -> None:
    usage = client.get("/v2/usage", headers=AUTH).json
    assert set(usage) == {"character_count", "character_limit"}
    pairs = client.get("/v2/glossary-language-pairs").json
    assert pairs == {"supported_languages": [{"source_lang": "de", "target_lang": "en"}]}


TRANSLATE_BAD: list[tuple[str, dict[str, Any], int, str]] = [
    ("no text", {"target_lang": "EN"}, 400, "'text' not specified"),
    ("text a number", {"text": 3, "target_lang": "EN"}, 400, "'text'"),
    ("no target", {"text": ["x"]}, 400, "'target_lang' not specified"),
    ("unknown target", {"text": ["x"], "target_lang": "XX"}, 400, "'target_lang' not supported"),
    ("target a number", {"text": ["x"], "target_lang": 5}, 400, "'target_lang' not supported"),
    (
        "pair without model",
        {"text": ["x"], "source_lang": "FR", "target_lang": "EN"},
        400,
        "'source_lang' not supported",
    ),
    (
        "glossary without source",
        {"text": ["x"], "target_lang": "EN", "glossary_id": "0190a3f5-0000-7000-8000-000000000000"},
        400,
        "requires the source_lang",
    ),
    (
        "unknown glossary",
        {
            "text": ["x"],
            "target_lang": "EN",
            "source_lang": "DE",
            "glossary_id": "0190a3f5-0000-7000-8000-000000000000",
        },
        404,
        "Glossary not found",
    ),
    (
        "malformed glossary id",
        {"text": ["x"], "target_lang": "EN", "source_lang": "DE", "glossary_id": "../p"},
        404,
        "Glossary not found",
    ),
]


@pytest.mark.parametrize(
    ("label", "body", "status", "message"), TRANSLATE_BAD, ids=[c[0] for c in TRANSLATE_BAD]
)
def test_translate_bad_input(
    client: FlaskClient, label: str, body: dict[str, Any], status: int, message: str
) -> None:
    reply = client.post("/v2/translate", json=body, headers=AUTH)
    assert reply.status_code == status, reply.json
    assert message in reply.json["message"]


@pytest.mark.parametrize(
    ("label", "args", "status"),
    [
        ("invalid JSON", {"data": b"{", "content_type": "application/json"}, 400),
        ("JSON list", {"json": []}, 400),
        (
            "invalid UTF-8",
            {
                "data": b"text=%ff&target_lang=EN",
                "content_type": "application/x-www-form-urlencoded",
            },
            400,
        ),
        ("oversize", {"data": b"x" * 1_000_000, "content_type": "application/json"}, 413),
    ],
)
def test_body_errors_are_deepl_shaped(
    settings: Settings,
    installed: InstalledPackage,
    tmp_path: Path,
    label: str,
    args: dict[str, Any],
    status: int,
) -> None:
    app = create_app(dataclasses.replace(settings, terms_dir=tmp_path, max_chars=1000))
    reply = app.test_client().post("/v2/translate", headers=AUTH, **args)
    assert reply.status_code == status
    assert "message" in reply.json and "error" not in reply.json


GLOSSARY_BAD: list[tuple[str, dict[str, str], str]] = [
    ("no tab", {"entries": "Hund hound"}, "Invalid glossary entries provided"),
    ("two tabs", {"entries": "Hund\thound\tx"}, "Invalid glossary entries provided"),
    ("duplicate", {"entries": "Hund\ta\nhund\tb"}, "Invalid glossary entries provided"),
    ("empty side", {"entries": "Hund\t "}, "Invalid glossary entries provided"),
    ("control character", {"entries": "Hu\u0085nd\tx"}, "Invalid glossary entries provided"),
    ("no entries", {"entries": "\n\n"}, "Invalid glossary entries provided"),
    ("bad format", {"entries_format": "xlsx"}, "entries_format"),
    ("bad pair", {"source_lang": "fr"}, "Unsupported glossary"),
    ("no name", {"name": ""}, "'name'"),
]


@pytest.mark.parametrize(
    ("label", "change", "message"), GLOSSARY_BAD, ids=[c[0] for c in GLOSSARY_BAD]
)
def test_create_glossary_bad_input(
    client: FlaskClient, label: str, change: dict[str, str], message: str
) -> None:
    reply = _create(client, **change)
    assert reply.status_code == 400, reply.json
    assert message in reply.json["message"]


def test_unknown_paths_and_methods(client: FlaskClient) -> None:
    missing = client.get("/v2/nothing")
    assert missing.status_code == 404 and set(missing.json) == {"message"}
    reply = client.put("/v2/translate")
    assert reply.status_code == 405 and "message" in reply.json and "POST" in reply.headers["Allow"]


@pytest.mark.parametrize(
    ("keys_for_translate", "headers", "path", "status"),
    [
        (False, {}, "/v2/usage", 200),
        (True, {}, "/v2/usage", 403),
        (True, {"Authorization": "DeepL-Auth-Key wrong"}, "/v2/usage", 403),
        (True, {"Authorization": "DeepL-Auth-Key k1"}, "/v2/usage", 200),
        (False, {"Authorization": "DeepL-Auth-Key wrong"}, "/v2/glossaries", 403),
        (False, {"Authorization": "DeepL-Auth-Key k1"}, "/v2/glossaries", 201),
    ],
)
def test_api_keys(
    settings: Settings,
    installed: InstalledPackage,
    tmp_path: Path,
    keys_for_translate: bool,
    headers: dict[str, str],
    path: str,
    status: int,
) -> None:
    app = create_app(
        dataclasses.replace(
            settings,
            terms_dir=tmp_path / "t",
            api_keys=("k1",),
            keys_for_translate=keys_for_translate,
        )
    )
    client = app.test_client()
    if path == "/v2/glossaries":
        reply = client.post(
            path,
            headers=headers,
            json={"name": "N", "source_lang": "DE", "target_lang": "EN", "entries": "a\tb"},
        )
    else:
        reply = client.get(path, headers=headers)
    assert reply.status_code == status, reply.json
