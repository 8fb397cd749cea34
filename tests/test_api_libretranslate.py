"""The LibreTranslate-compatible API through Flask's test client (the tiny real model: its
words are nonsense, so these tests check plumbing and shapes, never wording)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from glossary.accounts import Accounts
from glossary.config import Settings
from glossary.engines import EngineRegistry
from glossary.packages import InstalledPackage
from glossary.term import Term
from glossary.termwrite import create_glossary
from tests.fakes import PhraseEngine
from web.app import create_app


@pytest.fixture
def app_settings(settings: Settings, installed: InstalledPackage, tmp_path: Path) -> Settings:
    """The tiny real model installed, not a fake, and a glossary of the module's own."""
    terms = tmp_path / "terms"
    terms.mkdir()
    create_glossary(
        terms / "politics.yaml", "Politics", "de", "en", [Term("Kreml-Herrscher", "Kremlin ruler")]
    )
    return dataclasses.replace(settings, terms_dir=terms, max_chars=2000)


def test_translate_json_string(client: FlaskClient) -> None:
    reply = client.post("/translate", json={"q": "Der Hund.", "source": "de", "target": "en"})
    assert reply.status_code == 200, reply.json
    body = reply.json
    assert isinstance(body["translatedText"], str) and body["translatedText"]
    assert body["terms"] == []
    assert "detectedLanguage" not in body and "alternatives" not in body
    assert reply.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("kind", ["form", "multipart", "query"])
def test_translate_form_kinds(client: FlaskClient, kind: str) -> None:
    fields = {"q": "Der Hund.", "source": "de", "target": "en"}
    if kind == "query":
        reply = client.post("/translate", query_string=fields)
    else:
        reply = client.post(
            "/translate",
            data=fields,
            content_type=(
                "multipart/form-data"
                if kind == "multipart"
                else "application/x-www-form-urlencoded"
            ),
        )
    assert reply.status_code == 200, reply.json
    assert isinstance(reply.json["translatedText"], str)


def test_translate_list_auto_and_alternatives(client: FlaskClient) -> None:
    reply = client.post(
        "/translate",
        json={
            "q": ["Der Hund ist nicht mit dem Auto gefahren.", "Die Katze."],
            "source": "auto",
            "target": "en",
            "alternatives": 2,
        },
    )
    assert reply.status_code == 200, reply.json
    body = reply.json
    assert len(body["translatedText"]) == 2
    assert all(isinstance(t, str) for t in body["translatedText"])
    assert body["detectedLanguage"][0]["language"] == "de"
    assert 0 <= body["detectedLanguage"][0]["confidence"] <= 100
    assert body["alternatives"] == [[], []]


def test_translate_reports_glossary_terms(client: FlaskClient) -> None:
    reply = client.post(
        "/translate",
        json={
            "q": "Der Kreml-Herrscher spricht.",
            "source": "de",
            "target": "en",
            "glossary": "politics",
        },
    )
    assert reply.status_code == 200, reply.json
    [report] = reply.json["terms"]
    assert report["term"] == {"source": "Kreml-Herrscher", "target": "Kremlin ruler", "note": None}
    assert report["source"]["text"] == "Kreml-Herrscher"
    assert report["status"] in ("kept", "enforced"), report
    assert "Kremlin ruler" in reply.json["translatedText"]


def test_translate_html_keeps_tags(client: FlaskClient) -> None:
    reply = client.post(
        "/translate",
        json={"q": "<p>Der Hund.</p>", "source": "de", "target": "en", "format": "html"},
    )
    assert reply.status_code == 200, reply.json
    text = reply.json["translatedText"]
    assert text.startswith("<p>") and text.endswith("</p>")


BAD: list[tuple[str, dict[str, Any], int, str]] = [
    ("missing q", {"json": {"source": "de", "target": "en"}}, 400, "missing q"),
    ("empty q", {"json": {"q": "", "source": "de", "target": "en"}}, 400, "missing q"),
    ("q not text", {"json": {"q": 5, "source": "de", "target": "en"}}, 400, "q must be"),
    ("q list of numbers", {"json": {"q": [1], "source": "de", "target": "en"}}, 400, "q must"),
    ("missing source", {"json": {"q": "x", "target": "en"}}, 400, "missing source"),
    ("missing target", {"json": {"q": "x", "source": "de"}}, 400, "missing target"),
    ("source not text", {"json": {"q": "x", "source": 1, "target": "en"}}, 400, "string"),
    (
        "unknown language",
        {"json": {"q": "x", "source": "xx", "target": "en"}},
        400,
        "xx is not supported",
    ),
    (
        "bad format",
        {"json": {"q": "x", "source": "de", "target": "en", "format": "pdf"}},
        400,
        "format",
    ),
    (
        "bad alternatives",
        {"json": {"q": "x", "source": "de", "target": "en", "alternatives": "many"}},
        400,
        "alternatives",
    ),
    (
        "glossary not text",
        {"json": {"q": "x", "source": "de", "target": "en", "glossary": 3}},
        400,
        "glossary",
    ),
    (
        "unknown glossary",
        {"json": {"q": "x", "source": "de", "target": "en", "glossary": "nope"}},
        404,
        "nope",
    ),
    (
        "glossary name escapes",
        {"json": {"q": "x", "source": "de", "target": "en", "glossary": "../x"}},
        400,
        "invalid glossary name",
    ),
    (
        "glossary of another pair",
        {"json": {"q": "x", "source": "fr", "target": "en", "glossary": "politics"}},
        400,
        "not fr→en",
    ),
    (
        "too long",
        {"json": {"q": "a" * 2001, "source": "de", "target": "en"}},
        400,
        "exceeds text limit",
    ),
    ("invalid JSON", {"data": b"{", "content_type": "application/json"}, 400, "JSON"),
    ("JSON array", {"json": ["q"]}, 400, "must be an object"),
    (
        "invalid UTF-8 JSON",
        {"data": b'{"q": "\xff"}', "content_type": "application/json"},
        400,
        "JSON",
    ),
    (
        "invalid UTF-8 form",
        {"data": b"q=%ff&source=de&target=en", "content_type": "application/x-www-form-urlencoded"},
        400,
        "UTF-8",
    ),
    (
        "oversize body",
        {"data": b"q=" + b"a" * 200_000, "content_type": "application/x-www-form-urlencoded"},
        413,
        "limit",
    ),
    ("unsupported body", {"data": b"q", "content_type": "text/plain"}, 415, "content type"),
]


@pytest.mark.parametrize(
    ("label", "request_args", "status", "message"), BAD, ids=[case[0] for case in BAD]
)
def test_translate_bad_input(
    client: FlaskClient, label: str, request_args: dict[str, Any], status: int, message: str
) -> None:
    reply = client.post("/translate", **request_args)
    assert reply.status_code == status, reply.data
    assert set(reply.json) == {"error"}
    assert message in reply.json["error"]


def test_model_missing_is_503_with_instructions(client: FlaskClient) -> None:
    reply = client.post("/translate", json={"q": "x", "source": "de", "target": "fr"})
    assert reply.status_code == 503
    assert "glossary models install" in reply.json["error"]


def test_detect(client: FlaskClient) -> None:
    reply = client.post("/detect", data={"q": "Das ist nicht der Hund, den wir haben."})
    assert reply.status_code == 200
    assert reply.json[0]["language"] == "de" and reply.json[0]["confidence"] > 50
    assert client.post("/detect", data={}).status_code == 400


def test_languages_get_and_form_body(client: FlaskClient) -> None:
    for reply in (
        client.get("/languages"),
        client.get(
            "/languages", data={"api_key": ""}, content_type="application/x-www-form-urlencoded"
        ),
    ):
        assert reply.status_code == 200
        assert {"code": "de", "name": "German", "targets": ["en"]} in reply.json
        assert {"code": "en", "name": "English", "targets": []} in reply.json


def test_frontend_settings_and_spec(client: FlaskClient) -> None:
    body = client.get("/frontend/settings").json
    assert body["charLimit"] == 2000 and body["apiKeys"] is False
    assert body["language"]["source"] == {"code": "de", "name": "German"}
    assert client.get("/spec").json["openapi"].startswith("3.1")


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("get", "/no-such-page", 404), ("get", "/translate", 405), ("put", "/detect", 405)],
)
def test_json_404_405(client: FlaskClient, method: str, path: str, status: int) -> None:
    reply = getattr(client, method)(path)
    assert reply.status_code == status
    assert reply.is_json and "error" in reply.json


def test_cors_preflight(client: FlaskClient) -> None:
    reply = client.options("/translate")
    assert reply.headers["Access-Control-Allow-Origin"] == "*"


KEYED = [("", False, 400), ("wrong", False, 403), ("secret", False, 200)]


@pytest.mark.parametrize(("key", "_", "status"), KEYED)
def test_api_key_for_translate(
    settings: Settings, installed: InstalledPackage, tmp_path: Path, key: str, _: bool, status: int
) -> None:
    # an existing folder: translating without one is a 503 (tests/test_terms_folder_faults.py)
    app = create_app(
        dataclasses.replace(
            settings, terms_dir=tmp_path, api_keys=("secret",), keys_for_translate=True
        )
    )
    reply = app.test_client().post(
        "/translate", data={"q": "Hund", "source": "de", "target": "en", "api_key": key}
    )
    assert reply.status_code == status, reply.json
    if status != 200:
        assert set(reply.json) == {"error"}


def test_keys_configured_but_not_for_translate(
    settings: Settings, installed: InstalledPackage, tmp_path: Path
) -> None:
    app = create_app(dataclasses.replace(settings, terms_dir=tmp_path, api_keys=("k",)))
    reply = app.test_client().post("/translate", data={"q": "Hund", "source": "de", "target": "en"})
    assert reply.status_code == 200
    front = app.test_client().get("/frontend/settings").json
    assert (front["apiKeys"], front["keyRequired"]) == (True, False)


def test_frontend_settings_follow_keys_made_with_the_cli(
    settings: Settings, installed: InstalledPackage, tmp_path: Path
) -> None:
    app = create_app(dataclasses.replace(settings, terms_dir=tmp_path, keys_for_translate=True))
    assert app.test_client().get("/frontend/settings").json["keyRequired"] is False  # open
    Accounts.of(settings).add_key("frontend", "reader")
    front = app.test_client().get("/frontend/settings").json
    assert (front["apiKeys"], front["keyRequired"]) == (True, True)


def test_fake_engine_wording_and_enforced_term(
    settings: Settings, installed: InstalledPackage, tmp_path: Path
) -> None:
    terms = tmp_path / "terms"
    terms.mkdir()
    create_glossary(terms / "p.yaml", "P", "de", "en", [Term("Herrscher", "ruler")])
    engine = PhraseEngine({"der": "the", "herrscher": "lord", "spricht": "speaks"})
    registry = EngineRegistry(settings, loader=lambda package: engine)
    app = create_app(dataclasses.replace(settings, terms_dir=terms), registry)
    body = (
        app.test_client()
        .post("/translate", json={"q": "Der Herrscher spricht.", "source": "de", "target": "en"})
        .json
    )
    assert body["translatedText"] == "The ruler speaks."
    assert [t["status"] for t in body["terms"]] == ["enforced"]
