"""Owned DeepL glossaries, the default set, and no cross-site writes (issue 11), through the
Flask test client. The engine is faked (PhraseEngine): what matters is which glossaries a
request may see and use, which the reply's `glossaries` field and the term report show."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from glossary.accounts import Accounts
from glossary.config import Settings
from glossary.packages import InstalledPackage
from tests.conftest import build_app

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
PLANT = {"name": "plant", "source_lang": "DE", "target_lang": "EN", "entries": "Herrscher\tpuppet"}


LEXICON = {"herrscher": "lord"}


@pytest.fixture
def lexicon(installed: InstalledPackage) -> dict[str, str]:
    """The fake engine stands in for the installed de→en model."""
    return LEXICON


@pytest.fixture
def keys(settings: Settings) -> dict[str, str]:
    book = Accounts.of(settings)
    book.add_user("boss", "admin-password", "admin")
    return {
        name: book.add_key(name, role)
        for name, role in (("alice", "reader"), ("bob", "editor"), ("root", "admin"))
    }


@pytest.fixture
def app_settings(settings: Settings, terms_dir: Path, keys: dict[str, str]) -> Settings:
    """The accounts and keys exist before the app is built."""
    return dataclasses.replace(settings, terms_dir=terms_dir)


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"DeepL-Auth-Key {key}"}


def used(client: FlaskClient, headers: dict[str, str] | None = None) -> list[str]:
    reply = client.post(
        "/api/translate",
        headers=headers or {},
        json={"text": "Der Herrscher.", "source": "de", "target": "en"},
    )
    assert reply.status_code == 200, reply.json
    return list(reply.json["glossaries"])


def test_fake_engine_deepl_glossary_belongs_to_its_key(app: Flask, keys: dict[str, str]) -> None:
    client = app.test_client()
    made = client.post("/v2/glossaries", headers=auth(keys["alice"]), json=PLANT)
    assert made.status_code == 201, made.json
    ident = made.json["glossary_id"]
    mine = {
        g["glossary_id"]
        for g in client.get("/v2/glossaries", headers=auth(keys["alice"])).json["glossaries"]
    }
    assert ident in mine
    for other in ({}, auth(keys["bob"]), auth(keys["root"])):  # admins too, as at DeepL
        listed = client.get("/v2/glossaries", headers=other).json["glossaries"]
        assert ident not in {g["glossary_id"] for g in listed}
        assert client.get(f"/v2/glossaries/{ident}", headers=other).status_code == 404
        assert (
            client.get(
                f"/v3/glossaries/{ident}/entries?source_lang=de&target_lang=en", headers=other
            ).status_code
            == 404
        )
        assert client.delete(f"/v2/glossaries/{ident}", headers=other).status_code in (403, 404)
        reply = client.post(
            "/v2/translate",
            headers=other,
            json={
                "text": ["Der Herrscher."],
                "source_lang": "DE",
                "target_lang": "EN",
                "glossary_id": ident,
            },
        )
        assert reply.status_code in (403, 404), reply.json
    assert (
        client.get(
            f"/v2/glossaries/{ident}/entries",
            headers=auth(keys["alice"]),
        )
        .get_data(as_text=True)
        .strip()
        == "Herrscher\tpuppet"
    )
    assert client.delete(f"/v2/glossaries/{ident}", headers=auth(keys["alice"])).status_code == 204


def test_fake_engine_owned_glossary_is_never_a_default(app: Flask, keys: dict[str, str]) -> None:
    client = app.test_client()
    made = client.post("/v2/glossaries", headers=auth(keys["alice"]), json=PLANT)
    assert made.status_code == 201
    for headers in ({}, auth(keys["alice"]), auth(keys["root"])):
        assert used(client, headers) == ["Politics"]
    reply = client.post(
        "/v2/translate",
        headers=auth(keys["bob"]),
        json={"text": ["Der Herrscher."], "source_lang": "DE", "target_lang": "EN"},
    )
    assert "puppet" not in reply.json["translations"][0]["text"]
    # ... but its owner may name it
    reply = client.post(
        "/v2/translate",
        headers=auth(keys["alice"]),
        json={
            "text": ["Der Herrscher."],
            "source_lang": "DE",
            "target_lang": "EN",
            "glossary_id": made.json["glossary_id"],
        },
    )
    assert "puppet" in reply.json["translations"][0]["text"]


def test_fake_engine_other_keys_glossary_is_hidden_in_the_own_api_and_pages(
    app: Flask,
    keys: dict[str, str],
) -> None:
    client = app.test_client()
    ident = client.post("/v2/glossaries", headers=auth(keys["alice"]), json=PLANT).json[
        "glossary_id"
    ]
    name = f"deepl-{ident}"
    bob = {"X-API-Key": keys["bob"]}
    assert name not in {
        g["name"] for g in client.get("/api/glossaries", headers=bob).json["glossaries"]
    }
    assert client.get(f"/api/glossaries/{name}", headers=bob).status_code == 404
    reply = client.post(
        "/api/translate",
        headers=bob,
        json={"text": "Der Herrscher.", "source": "de", "target": "en", "glossaries": [name]},
    )
    assert reply.status_code == 404
    # an admin may see it to tidy up
    root = {"X-API-Key": keys["root"]}
    assert client.get(f"/api/glossaries/{name}", headers=root).status_code == 200
    assert name not in client.get("/terms/").get_data(as_text=True)


def sign_in(client: FlaskClient, name: str, password: str) -> str:
    token = TOKEN.search(client.get("/login").get_data(as_text=True))
    assert token
    reply = client.post(
        "/login", data={"name": name, "password": password, "csrf_token": token.group(1)}
    )
    assert reply.status_code == 303
    again = TOKEN.search(client.get("/account").get_data(as_text=True))
    assert again
    return again.group(1)


def test_fake_engine_admin_marks_the_defaults_in_the_page(app: Flask, terms_dir: Path) -> None:
    client = app.test_client()
    assert used(client) == ["Politics"]  # a fresh install: every file-managed glossary
    token = sign_in(client, "boss", "admin-password")
    page = client.get("/account").get_data(as_text=True)
    assert 'name="default" value="p" checked' in page
    reply = client.post("/account/defaults", data={"csrf_token": token})  # none ticked
    assert reply.status_code == 303
    assert used(app.test_client()) == []
    client.post("/account/defaults", data={"csrf_token": token, "default": "p"})
    assert used(app.test_client()) == ["Politics"]
    index = app.test_client().get("/").get_data(as_text=True)
    assert re.search(r'name="glossary" value="p"[^>]*checked', index)


# --- cross-site writes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://localhost:8080"},
    ],
)
def test_open_install_refuses_cross_site_writes(
    settings: Settings, lexicon: dict[str, str], terms_dir: Path, headers: dict[str, str]
) -> None:
    # no accounts, no keys: everything else is open
    app = build_app(dataclasses.replace(settings, terms_dir=terms_dir), lexicon)
    client = app.test_client()
    before = sorted(p.name for p in terms_dir.iterdir())
    reply = client.post("/v2/glossaries", data=PLANT, headers=headers)
    assert reply.status_code == 403, reply.json
    assert "another site" in reply.json["message"]
    page = client.post(
        "/terms/p/new", data={"source": "Russland", "target": "Ruritania"}, headers=headers
    )
    assert page.status_code == 403 and "another site" in page.get_data(as_text=True)
    assert sorted(p.name for p in terms_dir.iterdir()) == before
    assert "puppet" not in client.post(
        "/api/translate", json={"text": "Der Herrscher.", "source": "de", "target": "en"}
    ).get_data(as_text=True)


def test_cross_site_reads_and_keyed_writes_go_through(
    settings: Settings, lexicon: dict[str, str], terms_dir: Path
) -> None:
    keyed = dataclasses.replace(settings, terms_dir=terms_dir, api_keys=("ci:editor:k-1",))
    app = build_app(keyed, lexicon)
    client = app.test_client()
    evil = {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}
    # translating changes nothing, so LibreTranslate's browser clients may call it
    assert (
        client.post(
            "/translate", data={"q": "Herrscher", "source": "de", "target": "en"}, headers=evil
        ).status_code
        == 200
    )
    # a key in a header is something no other site's page can make a browser send
    reply = client.post("/v2/glossaries", json=PLANT, headers=evil | auth("k-1"))
    assert reply.status_code == 201, reply.json
    # ... but a key in the form body is not
    reply = client.post("/v2/glossaries", data=PLANT | {"auth_key": "k-1"}, headers=evil)
    assert reply.status_code == 403
    same = {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}
    assert client.post("/v2/glossaries", json=PLANT, headers=same | auth("k-1")).status_code == 201


def test_json_apis_refuse_form_bodies(
    settings: Settings, lexicon: dict[str, str], terms_dir: Path
) -> None:
    client = build_app(dataclasses.replace(settings, terms_dir=terms_dir), lexicon).test_client()
    for path in ("/api/glossaries", "/api/glossaries/p/terms", "/v3/glossaries"):
        for body in ({"data": {"name": "x"}}, {"data": "x", "content_type": "text/plain"}):
            reply = client.post(path, **body)  # type: ignore[arg-type]
            assert reply.status_code == 415, (path, reply.json)
    assert client.get("/api/glossaries/p").status_code == 200


@pytest.mark.parametrize(
    ("host", "accounts", "status"),
    [
        ("127.0.0.1", False, 421),  # open and on loopback: only loopback names are ours
        ("0.0.0.0", False, 200),  # served on every address (start-up warned about it)
        ("127.0.0.1", True, 200),  # with accounts, every request proves who it is anyway
    ],
)
def test_open_install_on_loopback_refuses_dns_rebinding(
    settings: Settings,
    lexicon: dict[str, str],
    terms_dir: Path,
    host: str,
    accounts: bool,
    status: int,
) -> None:
    if accounts:
        Accounts.of(settings).add_user("boss", "admin-password", "admin")
    served = dataclasses.replace(settings, terms_dir=terms_dir, host=host)
    client = build_app(served, lexicon).test_client()
    rebound = {"Host": "attacker.example:5000", "Origin": "http://attacker.example:5000"}
    reply = client.get("/api/glossaries", headers=rebound)
    assert reply.status_code == status, reply.get_data(as_text=True)
    for name in ("localhost:5000", "127.0.0.1:5000", "[::1]:5000"):
        assert client.get("/api/glossaries", headers={"Host": name}).status_code == 200


def test_fake_engine_an_empty_glossary_list_is_none(app: Flask) -> None:
    client = app.test_client()
    body = {"text": "Der Herrscher.", "source": "de", "target": "en"}
    assert client.post("/api/translate", json=body).json["glossaries"] == ["Politics"]
    reply = client.post("/api/translate", json=body | {"glossaries": []})
    assert reply.json["glossaries"] == [] and "ruler" not in reply.json["text"]
