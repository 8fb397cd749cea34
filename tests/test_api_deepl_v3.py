"""DeepL's v3 glossary endpoints through Flask's test client: one YAML file per dictionary."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from glossary.config import Settings
from glossary.packages import InstalledPackage, install_from_file
from glossary.term import Term
from glossary.termload import load_glossary
from glossary.termwrite import create_glossary
from web.app import create_app
from web.deepl import id_for

AUTH = {"Authorization": "DeepL-Auth-Key anything"}
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
MISSING = "0190a3f5-0000-7000-8000-000000000000"
LEXICON = {"der": "the", "le": "the", "herrscher": "lord", "hund": "dog", "chien": "dog"}


@pytest.fixture
def lexicon(
    settings: Settings, installed: InstalledPackage, model_archives: dict[tuple[str, str], Path]
) -> dict[str, str]:
    """The fake engine stands in for the installed de→en model and for fr→en, a second pair."""
    install_from_file(settings.packages_dir, model_archives[("fr", "en")])
    return LEXICON


def _dictionary(source: str = "de", entries: str = "Hund\thound\n", **extra: str) -> Any:
    return {
        "source_lang": source,
        "target_lang": "en",
        "entries": entries,
        "entries_format": "tsv",
        **extra,
    }


def _create(client: FlaskClient, *dictionaries: Any, name: Any = "Multi") -> Any:
    body = {"name": name, "dictionaries": list(dictionaries) or [_dictionary()]}
    return client.post("/v3/glossaries", json=body, headers=AUTH)


def _entries(client: FlaskClient, ident: str, source: str) -> Any:
    return client.get(
        f"/v3/glossaries/{ident}/entries?source_lang={source.upper()}&target_lang=EN", headers=AUTH
    )


def _translate(client: FlaskClient, text: str, source: str, ident: str) -> Any:
    return client.post(
        "/v2/translate",
        headers=AUTH,
        json={"text": [text], "source_lang": source, "target_lang": "EN-GB", "glossary_id": ident},
    )


def test_create_two_dictionaries_as_two_files(client: FlaskClient, terms_dir: Path) -> None:
    reply = _create(
        client,
        _dictionary("de", "Hund\thound\nHerrscher\tmonarch"),
        _dictionary("fr", "chien,mutt\n", entries_format="csv"),
    )
    assert reply.status_code == 201, reply.json
    info = reply.json
    assert set(info) == {"glossary_id", "name", "dictionaries", "creation_time"}
    assert TIME.fullmatch(info["creation_time"]) and info["name"] == "Multi"
    assert info["dictionaries"] == [
        {"source_lang": "de", "target_lang": "en", "entry_count": 2},
        {"source_lang": "fr", "target_lang": "en", "entry_count": 1},
    ]
    ident = info["glossary_id"]
    files = sorted(p.name for p in terms_dir.glob("deepl-*.yaml"))
    assert files == [f"deepl-{ident}.de-en.yaml", f"deepl-{ident}.fr-en.yaml"]
    french = load_glossary(terms_dir / files[1])
    assert (french.name, french.source_language, french.terms[0].target) == ("Multi", "fr", "mutt")
    assert client.get(f"/v3/glossaries/{ident}", headers=AUTH).json == info
    listed = client.get("/v3/glossaries", headers=AUTH).json["glossaries"]
    assert {g["name"]: len(g["dictionaries"]) for g in listed} == {"Multi": 2, "Politics": 1}
    assert _entries(client, ident, "fr").json == {
        "dictionaries": [
            {
                "source_lang": "fr",
                "target_lang": "en",
                "entries": "chien\tmutt\n",
                "entries_format": "tsv",
            }
        ]
    }


def test_translate_uses_the_dictionary_for_the_pair(client: FlaskClient) -> None:
    ident = _create(client, _dictionary("de"), _dictionary("fr", "chien\tmutt")).json["glossary_id"]
    german = _translate(client, "Der Hund und der Herrscher.", "DE", ident)
    assert german.json["translations"][0]["text"] == "The hound und the lord."
    french = _translate(client, "Le chien.", "FR", ident)
    assert french.json["translations"][0]["text"] == "The mutt."


def test_translate_with_no_dictionary_for_the_pair(client: FlaskClient) -> None:
    ident = _create(client, _dictionary("fr", "chien\tmutt")).json["glossary_id"]
    reply = _translate(client, "Der Hund.", "DE", ident)
    assert reply.status_code == 400 and "no dictionary for de→en" in reply.json["message"]


def test_patch_renames_and_merges(client: FlaskClient, terms_dir: Path) -> None:
    ident = _create(client, _dictionary("de", "Hund\thound\nKatze\tcat")).json["glossary_id"]
    path = terms_dir / f"deepl-{ident}.de-en.yaml"
    text = path.read_text()
    assert "  - source: Hund\n    target: hound\n" in text
    path.write_text(
        text.replace(
            "  - source: Hund\n    target: hound\n",  # edited by hand
            "  # kept by a merge\n  - source: Hund\n    target: hound\n    note: mine\n",
        )
    )
    reply = client.patch(
        f"/v3/glossaries/{ident}",
        headers=AUTH,
        json={
            "name": "Renamed",
            "dictionaries": [
                _dictionary("de", "hund\tdog\nMaus\tmouse"),
                _dictionary("fr", "chien\tmutt"),
            ],
        },
    )
    assert reply.status_code == 200, reply.json
    assert reply.json["name"] == "Renamed"
    assert [d["entry_count"] for d in reply.json["dictionaries"]] == [3, 1]
    merged = load_glossary(path)
    assert [(t.source, t.target, t.note) for t in merged.terms] == [
        ("hund", "dog", "mine"),
        ("Katze", "cat", None),
        ("Maus", "mouse", None),
    ]
    assert "# kept by a merge" in path.read_text() and merged.name == "Renamed"
    assert load_glossary(terms_dir / f"deepl-{ident}.fr-en.yaml").name == "Renamed"
    only_name = client.patch(f"/v3/glossaries/{ident}", headers=AUTH, json={"name": "Third"})
    assert only_name.json["name"] == "Third" and load_glossary(path).terms == merged.terms


def test_put_replaces_or_adds_a_dictionary(client: FlaskClient, terms_dir: Path) -> None:
    ident = _create(client, _dictionary("de", "Hund\thound\nKatze\tcat")).json["glossary_id"]
    reply = client.put(
        f"/v3/glossaries/{ident}/dictionaries", headers=AUTH, json=_dictionary("DE", "Maus\tmouse")
    )
    assert reply.status_code == 200, reply.json
    assert reply.json == {"source_lang": "de", "target_lang": "en", "entry_count": 1}
    assert _entries(client, ident, "de").json["dictionaries"][0]["entries"] == "Maus\tmouse\n"
    added = client.put(
        f"/v3/glossaries/{ident}/dictionaries", headers=AUTH, json=_dictionary("fr", "chien\tmutt")
    )
    assert added.json == {"source_lang": "fr", "target_lang": "en", "entry_count": 1}
    assert load_glossary(terms_dir / f"deepl-{ident}.fr-en.yaml").name == "Multi"


def test_deleting_dictionaries_then_the_glossary(client: FlaskClient, terms_dir: Path) -> None:
    ident = _create(client, _dictionary("de"), _dictionary("fr", "chien\tmutt")).json["glossary_id"]
    url = f"/v3/glossaries/{ident}/dictionaries?source_lang=FR&target_lang=EN"
    assert client.delete(url, headers=AUTH).status_code == 204
    assert client.delete(url, headers=AUTH).status_code == 404
    assert [
        d["source_lang"]
        for d in client.get(f"/v3/glossaries/{ident}", headers=AUTH).json["dictionaries"]
    ] == ["de"]
    assert client.delete(url.replace("FR", "DE"), headers=AUTH).status_code == 204
    assert client.get(f"/v3/glossaries/{ident}", headers=AUTH).status_code == 404
    again = _create(client, _dictionary("de")).json["glossary_id"]
    assert client.delete(f"/v3/glossaries/{again}", headers=AUTH).status_code == 204
    assert not list(terms_dir.glob("deepl-*.yaml"))


def test_v2_and_v3_views_agree(client: FlaskClient, terms_dir: Path) -> None:
    v2 = client.post(
        "/v2/glossaries",
        headers=AUTH,
        json={"name": "Old", "source_lang": "de", "target_lang": "en", "entries": "Hund\thound"},
    ).json
    ident = v2["glossary_id"]
    v3 = client.get(f"/v3/glossaries/{ident}", headers=AUTH).json
    assert v3 == {
        "glossary_id": ident,
        "name": "Old",
        "creation_time": v2["creation_time"],
        "dictionaries": [{"source_lang": "de", "target_lang": "en", "entry_count": 1}],
    }
    client.patch(
        f"/v3/glossaries/{ident}",
        headers=AUTH,
        json={"dictionaries": [_dictionary("de", "Katze\tcat")]},
    )
    assert client.get(f"/v2/glossaries/{ident}", headers=AUTH).json["entry_count"] == 2
    client.put(
        f"/v3/glossaries/{ident}/dictionaries", headers=AUTH, json=_dictionary("fr", "chien\tmutt")
    )
    assert (terms_dir / f"deepl-{ident}.fr-en.yaml").exists()
    several = client.get(f"/v2/glossaries/{ident}", headers=AUTH)
    assert several.status_code == 400 and "/v3" in several.json["message"]
    listed = client.get("/v2/glossaries", headers=AUTH).json["glossaries"]
    assert [g["name"] for g in listed] == ["Politics"]  # v2 lists one-dictionary glossaries
    assert _translate(client, "Le chien.", "FR", ident).json["translations"][0]["text"] == (
        "The mutt."
    )
    assert client.delete(f"/v2/glossaries/{ident}", headers=AUTH).status_code == 204
    assert not list(terms_dir.glob("deepl-*.yaml"))


def test_file_glossaries_are_read_only(client: FlaskClient, terms_dir: Path) -> None:
    ident = id_for("p")
    info = client.get(f"/v3/glossaries/{ident}", headers=AUTH).json
    assert info["name"] == "Politics" and TIME.fullmatch(info["creation_time"])
    assert _entries(client, ident, "de").json["dictionaries"][0]["entries"] == (
        "Herrscher\truler\n"
    )
    before = (terms_dir / "p.yaml").read_bytes()
    for method, url, body in [
        ("patch", f"/v3/glossaries/{ident}", {"name": "X"}),
        ("put", f"/v3/glossaries/{ident}/dictionaries", _dictionary()),
        ("delete", f"/v3/glossaries/{ident}/dictionaries?source_lang=de&target_lang=en", None),
        ("delete", f"/v3/glossaries/{ident}", None),
    ]:
        reply = getattr(client, method)(url, headers=AUTH, json=body)
        assert reply.status_code == 403 and "managed as a file" in reply.json["message"]
    assert (terms_dir / "p.yaml").read_bytes() == before


CREATE_BAD: list[tuple[str, dict[str, Any], str]] = [
    ("no name", {"name": ""}, "'name' not specified"),
    ("name a number", {"name": 3}, "'name' not specified"),
    ("no dictionaries", {"dictionaries": None}, "'dictionaries' not specified"),
    ("empty dictionaries", {"dictionaries": []}, "'dictionaries' not specified"),
    ("dictionaries a string", {"dictionaries": "de-en"}, "'dictionaries' not specified"),
    ("dictionary a list", {"dictionaries": [["de", "en"]]}, "must be an object"),
    ("bad pair", {"dictionaries": [_dictionary("it")]}, "Unsupported glossary"),
    (
        "no source",
        {"dictionaries": [{"target_lang": "en", "entries": "a\tb"}]},
        "'source_lang' not supported",
    ),
    ("same pair twice", {"dictionaries": [_dictionary(), _dictionary("DE")]}, "only one"),
    ("no entries", {"dictionaries": [_dictionary(entries=None)]}, "'entries' not specified"),  # type: ignore[arg-type]
    ("blank entries", {"dictionaries": [_dictionary(entries="\n")]}, "Invalid glossary entries"),
    ("no tab", {"dictionaries": [_dictionary(entries="Hund hound")]}, "Invalid glossary entries"),
    ("duplicate", {"dictionaries": [_dictionary(entries="Hund\ta\nhund\tb")]}, "Invalid glossary"),
    ("control character", {"dictionaries": [_dictionary(entries="Hu\x07nd\tx")]}, "Invalid gloss"),
    ("second one bad", {"dictionaries": [_dictionary(), _dictionary("fr", "x")]}, "Invalid gloss"),
    ("bad format", {"dictionaries": [_dictionary(entries_format="xlsx")]}, "entries_format"),
]


@pytest.mark.parametrize(("label", "change", "message"), CREATE_BAD, ids=[c[0] for c in CREATE_BAD])
def test_create_bad_input(
    client: FlaskClient, terms_dir: Path, label: str, change: dict[str, Any], message: str
) -> None:
    body = {"name": "N", "dictionaries": [_dictionary()], **change}
    reply = client.post("/v3/glossaries", json=body, headers=AUTH)
    assert reply.status_code == 400, reply.json
    assert message in reply.json["message"] and "error" not in reply.json
    assert not list(terms_dir.glob("deepl-*")), "nothing written"


EDIT_BAD: list[tuple[str, str, str, Any, int, str]] = [
    ("get unknown", "get", "", None, 404, "Glossary not found"),
    ("get malformed id", "get", "/../p", None, 404, "not found"),
    ("delete unknown", "delete", "", None, 404, "Glossary not found"),
    ("entries no pair", "get", "{known}/entries", None, 400, "'source_lang' not specified"),
    ("entries no target", "get", "{known}/entries?source_lang=de", None, 400, "'target_lang'"),
    (
        "entries other pair",
        "get",
        "{known}/entries?source_lang=fr&target_lang=en",
        None,
        404,
        "Dictionary not found",
    ),
    ("entries unknown", "get", "/entries?source_lang=de&target_lang=en", None, 404, "Glossary"),
    ("patch nothing", "patch", "{known}", {}, 400, "Nothing to update"),
    ("patch empty name", "patch", "{known}", {"name": " "}, 400, "'name'"),
    (
        "patch bad entries",
        "patch",
        "{known}",
        {"dictionaries": [_dictionary(entries="x")]},
        400,
        "Invalid glossary entries",
    ),
    ("patch empty dictionaries", "patch", "{known}", {"dictionaries": []}, 400, "'dictionaries'"),
    ("patch JSON list", "patch", "{known}", [], 400, "must be an object"),
    ("patch unknown", "patch", "", {"name": "x"}, 404, "Glossary not found"),
    (
        "put bad entries",
        "put",
        "{known}/dictionaries",
        _dictionary(entries="a\tb\tc"),
        400,
        "Invalid glossary entries",
    ),
    ("put bad pair", "put", "{known}/dictionaries", _dictionary("xx"), 400, "Unsupported"),
    ("put unknown", "put", "/dictionaries", _dictionary(), 404, "Glossary not found"),
    ("delete dictionary no pair", "delete", "{known}/dictionaries", None, 400, "'source_lang'"),
    (
        "delete dictionary other pair",
        "delete",
        "{known}/dictionaries?source_lang=fr&target_lang=en",
        None,
        404,
        "Dictionary not found",
    ),
]


@pytest.mark.parametrize(
    ("label", "method", "suffix", "body", "status", "message"),
    EDIT_BAD,
    ids=[c[0] for c in EDIT_BAD],
)
def test_bad_requests(
    client: FlaskClient,
    terms_dir: Path,
    label: str,
    method: str,
    suffix: str,
    body: Any,
    status: int,
    message: str,
) -> None:
    known = _create(client, _dictionary("de", "Hund\thound")).json["glossary_id"]
    path = terms_dir / f"deepl-{known}.de-en.yaml"
    before = path.read_bytes()
    url = "/v3/glossaries/" + (
        suffix.replace("{known}", known) if "{known}" in suffix else MISSING + suffix
    )
    reply = getattr(client, method)(url, headers=AUTH, json=body)
    assert reply.status_code == status, reply.json
    assert message in reply.json["message"] and "error" not in reply.json
    assert path.read_bytes() == before, "the file is unchanged"


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 403),
        ({"Authorization": "DeepL-Auth-Key wrong"}, 403),
        ({"Authorization": "DeepL-Auth-Key k1"}, 201),
    ],
)
def test_writes_need_a_key(
    settings: Settings,
    installed: InstalledPackage,
    tmp_path: Path,
    headers: dict[str, str],
    status: int,
) -> None:
    # an existing folder: reading from a missing one is a 503 (tests/test_terms_folder_faults.py)
    app = create_app(dataclasses.replace(settings, terms_dir=tmp_path, api_keys=("k1",)))
    reply = app.test_client().post(
        "/v3/glossaries", headers=headers, json={"name": "N", "dictionaries": [_dictionary()]}
    )
    assert reply.status_code == status, reply.json
    assert app.test_client().get("/v3/glossaries").status_code == 200  # reads need none


def test_openapi_describes_every_v3_route(app: Flask, client: FlaskClient) -> None:
    paths = client.get("/openapi.json").json["paths"]
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("deepl_v3.")]
    assert len(rules) == 8
    for rule in rules:
        path = rule.rule.replace("<", "{").replace(">", "}")
        assert set(rule.methods or ()) - {"HEAD", "OPTIONS"} <= {m.upper() for m in paths[path]}


def test_hand_named_deepl_file_is_a_file_glossary(client: FlaskClient, terms_dir: Path) -> None:
    create_glossary(terms_dir / "deepl-handmade.yaml", "Hand", "de", "en", [Term("a", "b")])
    for version in ("v2", "v3"):
        reply = client.get(f"/{version}/glossaries", headers=AUTH)
        assert reply.status_code == 200 and "Hand" in {g["name"] for g in reply.json["glossaries"]}
    reply = client.delete(f"/v3/glossaries/{id_for('deepl-handmade')}", headers=AUTH)
    assert reply.status_code == 403
