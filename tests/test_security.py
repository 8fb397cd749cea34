"""Security (issue 5): stored XSS through every term field is text on every page and in the
API JSON; CSRF on every form (enumerated from the app's URL map); API keys for every write
when configured; no path traversal through glossary names in any route that takes one."""

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
from glossary.term import Term
from glossary.termwrite import create_glossary
from tests.conftest import build_app

LEXICON = {"der": "the", "herrscher": "lord", "spricht": "speaks"}
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
REVISION = re.compile(r'name="revision" value="([0-9a-f]+)"')
PAYLOADS = {
    "target": "ruler<img src=x onerror=alert(1)>",
    "target_plural": '"><svg onload=alert(2)>',
    "note": "<script>alert('note')</script>",
    "forbidden": ["<iframe src=javascript:alert(3)>"],
}
SOURCE_PAYLOAD = "Zar<b onmouseover=alert(4)>"
TITLE_PAYLOAD = "<script>alert('title')</script>"
RAW = [
    *(v for v in PAYLOADS.values() if isinstance(v, str)),
    *PAYLOADS["forbidden"],
    SOURCE_PAYLOAD,
    TITLE_PAYLOAD,
]


@pytest.fixture
def lexicon(installed: InstalledPackage) -> dict[str, str]:
    """The fake engine stands in for the installed de→en model."""
    return LEXICON


def snapshot(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


# --- stored XSS ------------------------------------------------------------------------------


def _store_hostile_terms(client: FlaskClient) -> None:
    """Through the own API, as a script would: every text field carries markup."""
    etag = client.get("/api/glossaries/p").headers["ETag"]
    reply = client.put(
        "/api/glossaries/p/terms/Herrscher",
        headers={"If-Match": etag},
        json={"source": "Herrscher", **PAYLOADS},
    )
    assert reply.status_code == 200, reply.json
    reply = client.post(
        "/api/glossaries/p/terms",
        headers={"If-Match": reply.headers["ETag"]},
        json={"source": SOURCE_PAYLOAD, "target": "tsar"},
    )
    assert reply.status_code == 201, reply.json
    created = client.post(
        "/api/glossaries",
        json={
            "name": "x",
            "title": TITLE_PAYLOAD,
            "source_language": "de",
            "target_language": "en",
            "terms": [{"source": "Kanzler", "target": "chancellor", "note": PAYLOADS["note"]}],
        },
    )
    assert created.status_code == 201, created.json


def _assert_inert(page: str) -> None:
    for payload in RAW:
        assert payload not in page, payload
    assert "onerror=alert(1)" not in page.replace("&lt;img src=x onerror=alert(1)&gt;", "")
    assert "&lt;script&gt;alert(" in page or "&lt;img" in page or "&lt;b onmouseover" in page


def test_stored_xss_is_text_on_every_page(app: Flask) -> None:
    client = app.test_client()
    _store_hostile_terms(client)
    pages = [
        "/terms/",
        "/terms/p",
        "/terms/p?q=Zar",
        "/terms/x",
        "/terms/p/edit?source=Herrscher",
        f"/terms/p/edit?source={SOURCE_PAYLOAD}",
        "/terms/p/new",
        "/",
    ]
    for path in pages:
        reply = client.get(path)
        assert reply.status_code == 200, path
        _assert_inert(reply.get_data(as_text=True)) if path != "/terms/p/new" else None
    token = TOKEN.search(client.get("/").get_data(as_text=True))
    assert token
    translated = client.post(
        "/",
        data={
            "csrf_token": token.group(1),
            "pair": "de:en",
            "mode": "replace",
            "glossary": ["p", "x"],
            "text": "Der Herrscher spricht. <script>alert(9)</script>",
        },
    )
    page = translated.get_data(as_text=True)
    assert translated.status_code == 200 and "<mark" in page
    _assert_inert(page)
    assert "<script>alert(9)</script>" not in page


def test_stored_xss_is_a_json_string_in_the_apis(app: Flask) -> None:
    client = app.test_client()
    _store_hostile_terms(client)
    glossary = client.get("/api/glossaries/p")
    assert glossary.mimetype == "application/json"
    stored = {t["source"]: t for t in glossary.json["terms"]}
    assert stored["Herrscher"] | PAYLOADS == stored["Herrscher"]  # kept exactly, as text
    for path, body in [
        ("/translate", {"q": "Der Herrscher.", "source": "de", "target": "en"}),
        (
            "/api/translate",
            {"text": "Der Herrscher.", "source": "de", "target": "en", "mode": "replace"},
        ),
    ]:
        reply = client.post(path, json=body)
        assert reply.status_code == 200 and reply.mimetype == "application/json"
        assert reply.json["terms"][0]["term"]["note"] == PAYLOADS["note"]
    tbx = client.get("/terms/p/export.tbx").get_data(as_text=True)
    assert "<script>" not in tbx and "&lt;script&gt;" in tbx


# --- CSRF on every form ----------------------------------------------------------------------

PAGE_BLUEPRINTS = ("pages", "terms", "account", "documents")


def _form_routes(app: Flask) -> list[str]:
    return sorted(
        rule.rule.replace("<name>", "p")
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in PAGE_BLUEPRINTS and "POST" in (rule.methods or ())
    )


def test_every_form_route_is_enumerated(app: Flask) -> None:
    assert _form_routes(app) == [
        "/",
        "/account/defaults",
        "/documents/",
        "/login",
        "/logout",
        "/terms/",
        "/terms/p/delete",
        "/terms/p/delete-glossary",
        "/terms/p/edit",
        "/terms/p/history/<change_id>/revert",
        "/terms/p/import",
        "/terms/p/import/confirm",
        "/terms/p/new",
        "/terms/p/rename",
    ]


@pytest.mark.parametrize("token", ["missing", "forged", "other session"])
def test_every_form_refuses_a_post_without_the_token(
    app: Flask, terms_dir: Path, token: str
) -> None:
    client = app.test_client()
    page = client.get("/terms/p").get_data(as_text=True)
    revision = REVISION.search(page)
    assert revision
    fields = {
        "revision": revision.group(1),
        "source": "Herrscher",
        "original": "Herrscher",
        "target": "despot",
        "text": "Der Herrscher.",
        "pair": "de:en",
    }
    if token == "forged":
        fields["csrf_token"] = "forged"
    elif token == "other session":
        other = TOKEN.search(app.test_client().get("/").get_data(as_text=True))
        assert other
        fields["csrf_token"] = other.group(1)
    before = snapshot(terms_dir)
    for path in _form_routes(app):
        reply = client.post(path, data=fields)
        assert reply.status_code in (400, 403), path
        assert "expired or did not come from this site" in reply.get_data(as_text=True), path
        assert "despot" not in reply.get_data(as_text=True)
    assert snapshot(terms_dir) == before
    # the same form with the session's own token goes through (the refusal was the token's)
    fields["csrf_token"] = TOKEN.search(page).group(1)  # type: ignore[union-attr]
    assert client.post("/terms/p/edit", data=fields).status_code == 303


# --- API keys on every write -----------------------------------------------------------------

KEY = "k-secret"
DEEPL_BODY = {"name": "N", "source_lang": "de", "target_lang": "en", "entries": "Hund\tdog"}


def _writes(client: FlaskClient, terms_dir: Path) -> list[tuple[str, str, dict[str, Any]]]:
    """Every write route of the APIs with a body it would accept."""
    v2 = client.post(
        "/v2/glossaries", json=DEEPL_BODY, headers={"Authorization": f"DeepL-Auth-Key {KEY}"}
    ).json["glossary_id"]
    v3, v3b = (
        client.post(
            "/v3/glossaries",
            headers={"Authorization": f"DeepL-Auth-Key {KEY}"},
            json={
                "name": "M",
                "dictionaries": [
                    {
                        "source_lang": "de",
                        "target_lang": "en",
                        "entries": "Hund\tdog",
                        "entries_format": "tsv",
                    }
                ],
            },
        ).json["glossary_id"]
        for _ in range(2)
    )
    term = {"source": "Kanzler", "target": "chancellor"}
    return [
        ("POST", "/v2/glossaries", {"json": DEEPL_BODY}),
        ("DELETE", f"/v2/glossaries/{v2}", {}),
        (
            "POST",
            "/v3/glossaries",
            {
                "json": {
                    "name": "O",
                    "dictionaries": [
                        {
                            "source_lang": "de",
                            "target_lang": "en",
                            "entries": "a\tb",
                            "entries_format": "tsv",
                        }
                    ],
                }
            },
        ),
        ("PATCH", f"/v3/glossaries/{v3}", {"json": {"name": "renamed"}}),
        (
            "PUT",
            f"/v3/glossaries/{v3}/dictionaries",
            {
                "json": {
                    "source_lang": "de",
                    "target_lang": "en",
                    "entries": "a\tb",
                    "entries_format": "tsv",
                }
            },
        ),
        (
            "DELETE",
            f"/v3/glossaries/{v3}/dictionaries",
            {"query_string": {"source_lang": "de", "target_lang": "en"}},
        ),
        ("DELETE", f"/v3/glossaries/{v3b}", {}),
        (
            "POST",
            "/api/glossaries",
            {"json": {"name": "q", "source_language": "de", "target_language": "en"}},
        ),
        ("POST", "/api/glossaries/p/terms", {"json": term}),
        (
            "PUT",
            "/api/glossaries/p/terms/Herrscher",
            {"json": {"source": "Herrscher", "target": "despot"}},
        ),
        ("DELETE", "/api/glossaries/p/terms/Herrscher", {}),
        (
            "POST",
            "/api/glossaries/p/import",
            {"json": {"format": "tsv", "content": "Panzer\ttank\n"}},
        ),
    ]


def test_every_api_write_is_enumerated(app: Flask) -> None:
    writes = {
        (m, r.rule)
        for r in app.url_map.iter_rules()
        for m in (r.methods or ())
        if m in ("POST", "PUT", "PATCH", "DELETE")
        and r.endpoint.split(".")[0] not in PAGE_BLUEPRINTS
        and not r.rule.endswith(("/translate", "/detect", "/languages", "/usage"))
        and not r.rule.startswith(("/api/jobs", "/translate_file", "/v2/document"))
    }  # translations (text and document jobs among them); see test_roles
    assert len(writes) == 12, sorted(writes)  # 11 + the import (issue 10)


@pytest.mark.parametrize(("key", "status"), [(None, (401, 403)), ("wrong", (403,))])
def test_writes_need_a_key_when_keys_are_configured(
    app_settings: Settings,
    lexicon: dict[str, str],
    terms_dir: Path,
    key: str | None,
    status: tuple[int, ...],
) -> None:
    app = build_app(dataclasses.replace(app_settings, api_keys=(KEY,)), lexicon)
    client = app.test_client()
    writes = _writes(client, terms_dir)
    before = snapshot(terms_dir)
    etag = client.get("/api/glossaries/p").headers["ETag"]
    for method, path, args in writes:
        headers = {"If-Match": etag}
        if key:
            headers |= {
                "Authorization": f"DeepL-Auth-Key {key}" if "/v" in path[:3] else f"Bearer {key}"
            }
        reply = client.open(path, method=method, headers=headers, **args)
        assert reply.status_code in status, (method, path, reply.get_data()[:200])
    assert snapshot(terms_dir) == before


def test_writes_need_no_key_when_keys_are_off(app: Flask, terms_dir: Path) -> None:
    client = app.test_client()
    for method, path, args in _writes(client, terms_dir):
        etag = client.get("/api/glossaries/p").headers["ETag"]
        reply = client.open(path, method=method, headers={"If-Match": etag}, **args)
        assert reply.status_code < 300, (method, path, reply.get_data()[:200])


# --- path traversal through glossary names ---------------------------------------------------

TRAVERSALS = [
    "../secret",
    "..%2Fsecret",
    "%2e%2e%2fsecret",
    "%2E%2E/secret",
    "..\\secret",
    "..%5Csecret",
    "%2Ftmp%2Fsecret",
    "/etc/passwd",
    "secret%00",
    "p%00.yaml",
    "..",
    ".",
    "%2e%2e",
    "....//secret",
    "p/../../secret",
]


def _name_routes(app: Flask) -> list[tuple[str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        if "name" not in rule.arguments and "glossary_id" not in rule.arguments:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append(
                (method, rule.rule.replace("<path:source>", "Herrscher").replace("<fmt>", "yaml"))
            )
    return found


@pytest.mark.parametrize("name", TRAVERSALS)
def test_no_path_traversal_through_glossary_names(
    app: Flask, terms_dir: Path, tmp_path: Path, settings: Settings, name: str
) -> None:
    secret = tmp_path / "secret.yaml"
    create_glossary(secret, "GEHEIM-TITEL", "de", "en", [Term("Geheimnis", "GEHEIM")])
    outside = snapshot(tmp_path)
    client = app.test_client()
    token = TOKEN.search(client.get("/").get_data(as_text=True))
    assert token
    routes = _name_routes(app)
    assert len(routes) >= 17
    body = {
        "source": "Herrscher",
        "target": "x",
        "csrf_token": token.group(1),
        "revision": "0",
        "name": name,
    }
    for method, rule in routes:
        path = rule.replace("<name>", name).replace("<glossary_id>", name)
        json_api = rule.startswith(("/api", "/v2", "/v3"))
        args: dict[str, Any] = {"json": body} if json_api else {"data": body}
        if method in ("GET", "DELETE"):
            args = {}
        reply = client.open(path, method=method, headers={"If-Match": "0"}, **args)
        assert 400 <= reply.status_code < 500, (method, path, reply.status_code)
        text = reply.get_data(as_text=True)
        assert "GEHEIM" not in text and "root:" not in text, (method, path)
    # translate requests naming the glossary
    for path, ask in [
        ("/translate", {"q": "Geheimnis", "source": "de", "target": "en", "glossary": name}),
        (
            "/api/translate",
            {"text": "Geheimnis", "source": "de", "target": "en", "glossaries": [name]},
        ),
    ]:
        reply = client.post(path, json=ask)
        assert 400 <= reply.status_code < 500 and "GEHEIM" not in reply.get_data(as_text=True)
    created = client.post(
        "/api/glossaries", json={"name": name, "source_language": "de", "target_language": "en"}
    )
    assert 400 <= created.status_code < 500
    # what the service keeps about itself (sessions, compiled-glossary caches) is its own
    state = str(settings.state_dir.relative_to(tmp_path))
    after = {k: v for k, v in snapshot(tmp_path).items() if not k.startswith(state)}
    before = {k: v for k, v in outside.items() if not k.startswith(state)}
    assert after | before == after and set(after) - set(before) <= {
        f"terms/{n}" for n in snapshot(terms_dir)
    }
