"""The own JSON API: translate with the full report, glossaries and terms with the revision as
ETag / If-Match."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from glossary.config import Settings
from glossary.packages import InstalledPackage
from glossary.termload import load_glossary
from web.app import create_app


@pytest.fixture
def app_settings(settings: Settings, terms_dir: Path) -> Settings:
    return dataclasses.replace(settings, terms_dir=terms_dir, max_chars=1000)


@pytest.fixture
def lexicon(installed: InstalledPackage) -> dict[str, str]:
    """The fake engine stands in for the installed de→en model."""
    return {"der": "the", "herrscher": "lord", "spricht": "speaks"}


@pytest.mark.parametrize(
    ("mode", "text", "status"),
    [
        ("constrain", "The ruler speaks.", "enforced"),
        ("replace", "The ruler speaks.", "enforced"),
        ("off", "The lord speaks.", "missed"),
    ],
)
def test_fake_engine_translate_with_report(
    client: FlaskClient, mode: str, text: str, status: str
) -> None:
    reply = client.post(
        "/api/translate",
        json={"text": "Der Herrscher spricht.", "source": "de", "target": "en", "mode": mode},
    )
    assert reply.status_code == 200, reply.json
    body = reply.json
    assert body["text"] == text and body["glossaries"] == ["Politics"] and body["mode"] == mode
    assert [t["status"] for t in body["terms"]] == [status]
    assert body["summary"][status] == 1
    assert body["sentences"][0]["source"]["text"] == "Der Herrscher spricht."


def test_fake_engine_named_glossary_is_used(client: FlaskClient) -> None:
    reply = client.post(
        "/api/translate",
        json={"text": "Der Herrscher.", "source": "de", "target": "en", "glossaries": ["p"]},
    )
    assert reply.json["glossaries"] == ["Politics"]


@pytest.mark.parametrize("omitted", [{}, {"glossaries": None}])
def test_an_empty_glossary_list_enforces_none_and_no_list_the_defaults(
    client: FlaskClient, omitted: dict[str, Any]
) -> None:
    asked = {"text": "Der Herrscher spricht.", "source": "de", "target": "en"}
    default = client.post("/api/translate", json=asked | omitted).json
    assert default["glossaries"] == ["Politics"] and default["text"] == "The ruler speaks."
    assert [t["status"] for t in default["terms"]] == ["enforced"]
    none = client.post("/api/translate", json=asked | {"glossaries": []}).json
    assert none["glossaries"] == [] and none["terms"] == [] and none["text"] == "The lord speaks."


BAD: list[tuple[str, Any, int, str]] = [
    ("not JSON content type", None, 415, "JSON"),
    ("JSON list", ["x"], 400, "object"),
    ("missing text", {"source": "de", "target": "en"}, 400, "'text'"),
    ("text a number", {"text": 1, "source": "de", "target": "en"}, 400, "'text'"),
    (
        "glossaries a string",
        {"text": "x", "source": "de", "target": "en", "glossaries": "p"},
        400,
        "glossaries",
    ),
    ("bad mode", {"text": "x", "source": "de", "target": "en", "mode": "force"}, 400, "mode"),
    ("too long", {"text": "x" * 1001, "source": "de", "target": "en"}, 400, "limit"),
    (
        "unknown glossary",
        {"text": "x", "source": "de", "target": "en", "glossaries": ["q"]},
        404,
        "q",
    ),
    ("no model", {"text": "x", "source": "de", "target": "fr"}, 503, "install"),
]


@pytest.mark.parametrize(("label", "body", "status", "message"), BAD, ids=[c[0] for c in BAD])
def test_fake_engine_translate_bad_input(
    client: FlaskClient, label: str, body: Any, status: int, message: str
) -> None:
    if body is None:
        reply = client.post("/api/translate", data="text=x")
    else:
        reply = client.post("/api/translate", json=body)
    assert reply.status_code == status, reply.json
    assert message in reply.json["error"]


def test_fake_engine_glossary_crud_with_etags(client: FlaskClient, terms_dir: Path) -> None:
    listed = client.get("/api/glossaries").json
    assert [g["name"] for g in listed["glossaries"]] == ["p"] and listed["errors"] == {}
    read = client.get("/api/glossaries/p")
    etag = read.headers["ETag"]
    assert read.json["terms"] == [{"source": "Herrscher", "target": "ruler"}]
    assert client.get("/api/glossaries/p", headers={"If-None-Match": etag}).status_code == 304

    new = {"source": "Kanzler", "target": "chancellor", "note": "head of government"}
    assert client.post("/api/glossaries/p/terms", json=new).status_code == 428
    added = client.post("/api/glossaries/p/terms", json=new, headers={"If-Match": etag})
    assert added.status_code == 201, added.json
    assert added.headers["ETag"] != etag
    stale = client.post(
        "/api/glossaries/p/terms", json={"source": "A", "target": "b"}, headers={"If-Match": etag}
    )
    assert stale.status_code == 412 and "reload" in stale.json["error"]

    etag = added.headers["ETag"]
    changed = client.put(
        "/api/glossaries/p/terms/Kanzler",
        headers={"If-Match": etag},
        json={"source": "Kanzler", "target": "Chancellor", "status": "proposed"},
    )
    assert changed.status_code == 200, changed.json
    assert load_glossary(terms_dir / "p.yaml").terms[1].target == "Chancellor"
    gone = client.delete(
        "/api/glossaries/p/terms/Kanzler", headers={"If-Match": changed.headers["ETag"]}
    )
    assert gone.status_code == 200 and len(gone.json["terms"]) == 1
    missing = client.delete(
        "/api/glossaries/p/terms/Kanzler", headers={"If-Match": gone.headers["ETag"]}
    )
    assert missing.status_code == 404


def test_fake_engine_source_plural_through_the_api(client: FlaskClient, terms_dir: Path) -> None:
    """A term added with its irregular German plural is stored and found in that plural."""
    etag = client.get("/api/glossaries/p").headers["ETag"]
    term = {"source": "Praxis", "target": "practice", "target_plural": "practices"}
    term["source_plural"] = "Praxen"
    added = client.post("/api/glossaries/p/terms", json=term, headers={"If-Match": etag})
    assert added.status_code == 201, added.json
    assert load_glossary(terms_dir / "p.yaml").terms[1].source_plural == "Praxen"
    asked = {"text": "Die Praxen sind voll.", "source": "de", "target": "en", "glossaries": ["p"]}
    (found,) = client.post("/api/translate", json=asked).json["terms"]
    assert found["source"]["text"] == "Praxen" and found["form"] == "practices", found


def test_create_glossary(client: FlaskClient, terms_dir: Path) -> None:
    reply = client.post(
        "/api/glossaries",
        json={
            "name": "sport",
            "source_language": "de",
            "target_language": "en",
            "terms": [{"source": "Tor", "target": "goal"}],
        },
    )
    assert reply.status_code == 201, reply.json
    assert load_glossary(terms_dir / "sport.yaml").terms[0].target == "goal"
    again = client.post(
        "/api/glossaries", json={"name": "sport", "source_language": "de", "target_language": "en"}
    )
    assert again.status_code == 409


TERM_BAD: list[tuple[str, dict[str, Any], int]] = [
    ("missing target", {"source": "X"}, 400),
    ("bad match", {"source": "X", "target": "y", "match": "fuzzy"}, 400),
    ("bad status", {"source": "X", "target": "y", "status": "maybe"}, 400),
    ("case_sensitive a string", {"source": "X", "target": "y", "case_sensitive": "yes"}, 400),
    ("forbidden a string", {"source": "X", "target": "y", "forbidden": "z"}, 400),
    ("unknown field", {"source": "X", "target": "y", "colour": "red"}, 400),
    ("duplicate source", {"source": "herrscher", "target": "y"}, 400),
    ("control character", {"source": "X\u0007", "target": "y"}, 400),
]


@pytest.mark.parametrize(("label", "term", "status"), TERM_BAD, ids=[c[0] for c in TERM_BAD])
def test_term_bad_input(client: FlaskClient, label: str, term: dict[str, Any], status: int) -> None:
    etag = client.get("/api/glossaries/p").headers["ETag"]
    reply = client.post("/api/glossaries/p/terms", json=term, headers={"If-Match": etag})
    assert reply.status_code == status, reply.json
    assert "error" in reply.json


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/glossaries/nope", 404),
        ("/api/glossaries/..%2Fetc", 404),
        ("/api/glossaries/.hidden", 400),
    ],
)
def test_glossary_names(client: FlaskClient, path: str, status: int) -> None:
    reply = client.get(path)
    assert reply.status_code == status and "error" in reply.json


def test_writes_need_a_key_when_keys_are_configured(
    settings: Settings, installed: InstalledPackage, terms_dir: Path
) -> None:
    client = create_app(
        dataclasses.replace(settings, terms_dir=terms_dir, api_keys=("k1",))
    ).test_client()
    etag = client.get("/api/glossaries/p").headers["ETag"]
    term = {"source": "Tor", "target": "goal"}
    for headers, status in [
        ({}, 401),
        ({"Authorization": "Bearer no"}, 403),
        ({"X-API-Key": "k1"}, 201),
    ]:
        reply = client.post(
            "/api/glossaries/p/terms", json=term, headers={"If-Match": etag, **headers}
        )
        assert reply.status_code == status, reply.json


def test_openapi_describes_every_api_route(app: Flask, client: FlaskClient) -> None:
    document = client.get("/openapi.json").json
    assert document["openapi"] == "3.1.0"
    paths = document["paths"]
    api_blueprints = {"libretranslate", "deepl", "deepl_v3", "api", "openapi"}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in api_blueprints:
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)  # <path:source> is {source}
        assert path in paths, path
        documented = {m.upper() for m in paths[path]}
        assert set(rule.methods or ()) - {"HEAD", "OPTIONS"} <= documented, path
    assert client.get("/spec").json == document
