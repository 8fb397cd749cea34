"""Response headers (issue 11): no framing by other sites, no MIME sniffing, a referrer policy
and a content security policy on every response; SameSite session cookies; redirects that
never repeat the Host header (relative, or on GLOSSARY_PUBLIC_URL), the trailing-slash ones
Werkzeug builds from the request included."""

from __future__ import annotations

import dataclasses
import http.client
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from glossary.config import Settings
from glossary.packages import InstalledPackage
from tests.conftest import build_app, project_terms
from tests.helpers import live_server
from tests.test_pages import LEXICON, TOKEN

EVIL = {"Host": "evil.example"}
PAGES = [
    "/",
    "/terms/",
    "/terms/de-en",
    "/terms/de-en/new",
    "/terms/de-en/edit?source=Tyrann",
    "/login",
]
OTHERS = [
    "/health",
    "/api/languages",
    "/languages",
    "/v2/languages",
    "/openapi.json",
    "/static/app.js",
    "/static/app.css",
    "/terms/de-en/export.tsv",
    "/no-such-page",
]
INLINE = re.compile(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=|javascript:", re.I)


@pytest.fixture
def app_settings(settings: Settings, tmp_path: Path) -> Settings:
    # Served on every address, so any Host header reaches the views (on loopback alone an open
    # install refuses foreign Host headers outright: see test_ownership's rebinding test).
    return dataclasses.replace(settings, terms_dir=project_terms(tmp_path), host="0.0.0.0")


@pytest.fixture
def lexicon(installed: InstalledPackage) -> dict[str, str]:
    return LEXICON


@pytest.mark.parametrize("path", PAGES + OTHERS)
def test_every_response_forbids_framing_and_sniffing(client: FlaskClient, path: str) -> None:
    reply = client.get(path)
    assert reply.status_code in (200, 404), (path, reply.status_code)
    assert reply.headers["X-Frame-Options"] == "DENY"
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.headers["Referrer-Policy"] == "same-origin"
    policy = reply.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert (
        "default-src 'self'" if reply.mimetype == "text/html" else "default-src 'none'"
    ) in policy


@pytest.mark.parametrize("path", PAGES)
def test_pages_run_nothing_the_policy_would_block(client: FlaskClient, path: str) -> None:
    """default-src 'self' forbids inline scripts, styles and event handlers: no page has any,
    so the policy breaks nothing (the script and stylesheet come from /static)."""
    reply = client.get(path)
    assert reply.status_code == 200 and reply.mimetype == "text/html", path
    page = reply.get_data(as_text=True)
    assert INLINE.search(page) is None, INLINE.search(page)
    assert '<script src="/static/app.js"' in page


def test_the_session_cookie_is_same_site_and_http_only(client: FlaskClient) -> None:
    cookie = client.get("/").headers["Set-Cookie"]
    assert "SameSite=Lax" in cookie and "HttpOnly" in cookie


@pytest.mark.parametrize(
    "path, location",
    [
        ("/terms", "/terms/"),
        ("/terms?x=1", "/terms/?x=1"),
    ],
)
def test_trailing_slash_redirects_ignore_the_host_header(
    client: FlaskClient, path: str, location: str
) -> None:
    reply = client.get(path, headers=EVIL)
    assert reply.status_code == 308
    assert reply.headers["Location"] == location


def test_form_redirects_ignore_the_host_header(client: FlaskClient) -> None:
    page = client.get("/terms/de-en", headers=EVIL).get_data(as_text=True)
    revision = re.search(r'name="revision" value="([0-9a-f]+)"', page)
    token = TOKEN.search(page)
    assert revision is not None and token is not None
    data = {"csrf_token": token.group(1), "revision": revision.group(1), "source": "Tyrann"}
    reply = client.post("/terms/de-en/delete", data=data, headers=EVIL)
    assert reply.status_code == 303
    assert reply.headers["Location"] == "/terms/de-en"


def test_redirects_use_the_public_url_when_one_is_configured(
    app_settings: Settings, lexicon: dict[str, str]
) -> None:
    public = dataclasses.replace(app_settings, public_url="https://glossary.example/")
    client = build_app(public, lexicon).test_client()
    reply = client.get("/terms?x=1", headers=EVIL)
    assert reply.headers["Location"] == "https://glossary.example/terms/?x=1"


def test_redirects_through_the_real_server_ignore_the_host_header(app: Flask) -> None:
    """Waitress passes the Host header on as the client sent it; a path that starts with two
    slashes must not turn into a redirect to another host either."""
    with live_server(app) as base:
        port = int(base.rsplit(":", 1)[1])
        for path in ("/terms", "//terms"):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                connection.request("GET", path, headers=EVIL)
                reply = connection.getresponse()
                location = reply.getheader("Location") or ""
            finally:
                connection.close()
            assert reply.status == 308, (path, reply.status)
            assert "evil.example" not in location and location.startswith("/"), location
            assert not location.startswith("//"), location
