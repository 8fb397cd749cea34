"""The role matrix (issue 11): every route of the app's URL map, each role and anonymous.

The table below is the decision, written out by hand: a route added to the app without an
entry here fails `test_every_route_has_a_decision`. API routes are called with a key in a
header, page routes with a signed-in session. The engine is faked (PhraseEngine): the point
is who gets through, not the translation."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from glossary.accounts import Accounts
from glossary.config import Settings
from glossary.engines import EngineRegistry
from glossary.packages import InstalledPackage
from tests.fakes import PhraseEngine
from web.app import create_app

PUBLIC = {
    "static",
    "pages.health",
    "account.login",
    "account.sign_in",
    "account.logout",
    "openapi.openapi",
    "libretranslate.spec",
    "libretranslate.frontend_settings",
    "libretranslate.download_file",  # with the job's key in its address (the view checks)
}
EDITOR = {
    "api.add",
    "api.create",
    "api.delete",
    "api.update",
    "terms.delete_term",
    "terms.import_terms",
    "terms.save_term",
    "terms.edit_term",
    "terms.new_term",
    "terms.create_glossary",
    "terms.revert",
    "api.import_terms",
    "terms.import_confirm",
}
# Renaming or deleting a whole glossary breaks whatever names it (and a delete takes its
# history): admins only, the page that offers it included.
ADMIN = {"account.defaults", "terms.manage", "terms.rename_glossary", "terms.delete_glossary"}
# DeepL glossaries belong to their maker: any identified caller may make and delete their own.
OWNER = {
    "deepl.create",
    "deepl.delete",
    "deepl_v3.create",
    "deepl_v3.delete",
    "deepl_v3.update",
    "deepl_v3.replace_dictionary",
    "deepl_v3.delete_dictionary",
}
READER = {
    "account.overview",
    "api.get",
    "api.languages",
    "api.list_glossaries",
    "api.translate",
    "deepl.entries",
    "deepl.get",
    "deepl.glossary_language_pairs",
    "deepl.languages",
    "deepl.list_glossaries",
    "deepl.translate",
    "deepl.usage",
    "deepl_v3.entries",
    "deepl_v3.get",
    "deepl_v3.list_glossaries",
    "libretranslate.detect_language",
    "libretranslate.languages",
    "libretranslate.translate",
    "pages.index",
    "pages.translate",
    "terms.browse",
    "terms.history_of",
    "terms.export",
    "terms.glossaries",
    "jobs.create",
    "jobs.get",
    "jobs.delete",
    "pages.job",
    # documents (issue 13): a job of the caller's own, like jobs.create
    "libretranslate.translate_file",
    "deepl.document_upload",
    "deepl.document_status",
    "deepl.document_result",
    # the documents page (issue 13): upload as pages.translate, the job its maker's
    "documents.form",
    "documents.upload",
    "documents.job",
    "documents.status",
    "documents.download",
    "documents.report",
}
PAGES = ("pages", "terms", "account", "documents")
ROLES = ("reader", "editor", "admin")
PASSWORD = "correct horse"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
DENIALS = ("an API key is required", "invalid API key", "may not do this")


def need(endpoint: str) -> str:
    for table, role in (
        (PUBLIC, "public"),
        (EDITOR, "editor"),
        (ADMIN, "admin"),
        (OWNER, "owner"),
        (READER, "reader"),
    ):
        if endpoint in table:
            return role
    raise AssertionError(f"no decision for {endpoint}")


def expected(endpoint: str, who: str, anonymous_reads: bool) -> bool:
    required = need(endpoint)
    if required == "public":
        return True
    if who == "anonymous":
        return required == "reader" and anonymous_reads
    return required == "owner" or ROLES.index(who) >= ROLES.index(required)


@pytest.fixture
def keys(settings: Settings) -> dict[str, str]:
    book = Accounts.of(settings)
    for role in ROLES:
        book.add_user(f"{role}-person", PASSWORD, role)
    return {role: book.add_key(f"{role}-key", role) for role in ROLES}


def make_app(settings: Settings, terms_dir: Path, *, keys_for_translate: bool) -> Flask:
    registry = EngineRegistry(settings, loader=lambda package: PhraseEngine({"hund": "dog"}))
    changed = dataclasses.replace(
        settings, terms_dir=terms_dir, keys_for_translate=keys_for_translate
    )
    return create_app(changed, registry, test_config={"TESTING": True, "SECRET_KEY": "s"})


def signed_in(app: Flask, who: str) -> FlaskClient:
    client = app.test_client()
    if who in ROLES:
        page = client.get("/login").get_data(as_text=True)
        token = TOKEN.search(page)
        assert token
        reply = client.post(
            "/login",
            data={"name": f"{who}-person", "password": PASSWORD, "csrf_token": token.group(1)},
        )
        assert reply.status_code == 303, reply.get_data(as_text=True)
    return client


def denied(reply: TestResponse, page: bool) -> bool:
    if page and reply.status_code == 303:
        return reply.headers["Location"].startswith("/login")
    if reply.status_code not in (400, 401, 403):
        return False
    text = reply.get_data(as_text=True)
    return any(message in text for message in DENIALS)


def _own_glossary(app: Flask, key: str | None) -> str:
    """A DeepL glossary made by `key` (by the admin key for anonymous)."""
    reply = app.test_client().post(
        "/v2/glossaries",
        headers={"X-API-Key": key} if key else {},
        json={"name": "N", "source_lang": "DE", "target_lang": "EN", "entries": "Hund\tdog"},
    )
    assert reply.status_code == 201, reply.json
    return str(reply.json["glossary_id"])


def _calls(app: Flask) -> list[tuple[str, str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, rule.rule))
    return sorted(found)


def _url(rule: str, glossary_id: str) -> str:
    return (
        rule.replace("<name>", "p")
        .replace("<path:source>", "Herrscher")
        .replace("<fmt>", "tsv")
        .replace("<glossary_id>", glossary_id)
        .replace("<path:filename>", "app.css")
        .replace("<job_id>", "no-such-job")
        .replace("<change_id>", "no-such-change")
    )


def test_every_route_has_a_decision(settings: Settings, terms_dir: Path) -> None:
    app = make_app(settings, terms_dir, keys_for_translate=False)
    endpoints = {endpoint for endpoint, _m, _r in _calls(app)}
    assert endpoints == PUBLIC | EDITOR | ADMIN | OWNER | READER


@pytest.mark.parametrize("anonymous_reads", [True, False])
@pytest.mark.parametrize("who", ["anonymous", *ROLES])
def test_role_matrix(
    settings: Settings,
    installed: InstalledPackage,
    terms_dir: Path,
    keys: dict[str, str],
    who: str,
    anonymous_reads: bool,
) -> None:
    app = make_app(settings, terms_dir, keys_for_translate=not anonymous_reads)
    key = keys.get(who)
    glossary_id = _own_glossary(app, key or keys["admin"])
    client = signed_in(app, who)
    wrong = []
    for endpoint, method, rule in _calls(app):
        page = endpoint.split(".")[0] in PAGES
        headers = {"X-API-Key": key} if key and not page else {}
        args: dict[str, Any] = {} if page or method == "GET" else {"json": {}}
        reply = client.open(_url(rule, glossary_id), method=method, headers=headers, **args)
        if denied(reply, page) == expected(endpoint, who, anonymous_reads):
            wrong.append((endpoint, method, reply.status_code))
    assert not wrong, wrong


@pytest.mark.parametrize("header", ["X-API-Key", "Authorization"])
def test_a_wrong_key_is_refused_even_where_anonymous_may_read(
    settings: Settings,
    installed: InstalledPackage,
    terms_dir: Path,
    keys: dict[str, str],
    header: str,
) -> None:
    app = make_app(settings, terms_dir, keys_for_translate=False)
    value = "Bearer nope" if header == "Authorization" else "nope"
    reply = app.test_client().get("/api/glossaries", headers={header: value})
    assert reply.status_code == 403 and reply.json["error"] == "invalid API key"
    assert app.test_client().get("/api/glossaries").status_code == 200


def test_open_install_lets_everyone_do_everything(
    settings: Settings, installed: InstalledPackage, terms_dir: Path
) -> None:
    app = make_app(settings, terms_dir, keys_for_translate=True)
    client = app.test_client()
    for endpoint, method, rule in _calls(app):
        page = endpoint.split(".")[0] in PAGES
        args: dict[str, Any] = {} if page or method == "GET" else {"json": {}}
        reply = client.open(_url(rule, _own_glossary(app, None)), method=method, **args)
        assert not denied(reply, page), (endpoint, method, reply.status_code)
