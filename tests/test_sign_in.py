"""Signing in to the page through Flask's test client: wrong and right passwords, the `next`
page (never another site), the name in the page header, signing out, and the accounts file
as the one truth on every request (a removed user is out at once, a changed role applies at
once); a fresh session, and so a fresh CSRF token, at sign-in."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from glossary.accounts import Accounts
from glossary.config import Settings
from tests.conftest import project_terms
from tests.test_pages import TOKEN

PASSWORD = "alice-password"
WHO = re.compile(r'<nav class="who">(.*?)</nav>', re.S)


@pytest.fixture
def book(settings: Settings) -> Accounts:
    accounts = Accounts.of(settings)
    accounts.add_user("alice", PASSWORD, "editor")
    accounts.add_user("root", "root-password", "admin")
    return accounts


@pytest.fixture
def app_settings(settings: Settings, book: Accounts, tmp_path: Path) -> Settings:
    """The project's glossary and no model; the accounts exist before the app is built."""
    return replace(settings, terms_dir=project_terms(tmp_path))


def token(client: FlaskClient, path: str = "/login") -> str:
    found = TOKEN.search(client.get(path).get_data(as_text=True))
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def sign_in(
    client: FlaskClient,
    name: str,
    password: str,
    next_page: str | None = "/terms/",
    csrf: str | None = None,
) -> TestResponse:
    data = {"csrf_token": csrf or token(client), "name": name, "password": password}
    if next_page is not None:
        data["next"] = next_page
    return client.post("/login", data=data)


def header(client: FlaskClient, path: str = "/account") -> str:
    found = WHO.search(client.get(path).get_data(as_text=True))
    assert found, "no <nav class=who> in the page header"
    return found.group(1)


# --- signing in and out ----------------------------------------------------------------------


def test_wrong_password_or_unknown_name_is_401_with_a_message(client: FlaskClient) -> None:
    for name, password in [("alice", "wrong-password"), ("nobody", PASSWORD), ("alice", "")]:
        reply = sign_in(client, name, password)
        assert reply.status_code == 401, (name, password)
        page = reply.get_data(as_text=True)
        assert "Unknown name or wrong password." in page
        assert "Location" not in reply.headers
        assert "Sign in" in header(client)  # still anonymous
        assert "alice" not in header(client)


def test_right_password_goes_to_next_and_shows_the_name(client: FlaskClient) -> None:
    assert "alice" not in header(client)
    reply = sign_in(client, "alice", PASSWORD, next_page="/terms/de-en?q=Kreml")
    assert reply.status_code == 303
    assert reply.headers["Location"] == "/terms/de-en?q=Kreml"
    shown = header(client)
    assert "alice" in shown and "Sign out" in shown and "Sign in" not in shown


@pytest.mark.parametrize(
    "next_page",
    [
        "//evil.example",
        "https://evil.example",
        "https://evil.example/terms/",
        "/\\evil.example",
        "\\\\evil.example",
        "evil.example",
        "javascript:alert(1)",
        "",
        None,
    ],
)
def test_next_on_another_site_goes_home(client: FlaskClient, next_page: str | None) -> None:
    reply = sign_in(client, "alice", PASSWORD, next_page=next_page)
    assert reply.status_code == 303
    assert reply.headers["Location"] == "/"


def test_next_with_a_tab_goes_home(client: FlaskClient) -> None:
    reply = sign_in(client, "alice", PASSWORD, next_page="/\t/evil.example")
    assert reply.status_code == 303
    assert reply.headers["Location"] == "/"


@pytest.mark.parametrize(
    "next_page", ["/\n/evil.example", "/\r/evil.example"], ids=["newline", "carriage-return"]
)
def test_next_with_a_line_break_is_not_a_500(client: FlaskClient, next_page: str) -> None:
    reply = sign_in(client, "alice", PASSWORD, next_page=next_page)
    assert reply.status_code == 303
    assert reply.headers["Location"] == "/"


def test_login_page_keeps_only_a_safe_next(client: FlaskClient) -> None:
    safe = client.get("/login?next=/terms/de-en").get_data(as_text=True)
    assert 'name="next" value="/terms/de-en"' in safe
    unsafe = client.get("/login?next=//evil.example").get_data(as_text=True)
    assert 'name="next" value="/"' in unsafe and "evil.example" not in unsafe


def test_sign_out(client: FlaskClient) -> None:
    assert sign_in(client, "alice", PASSWORD).status_code == 303
    assert client.get("/terms/de-en/new").status_code == 200  # an editor's page
    out = client.post("/logout", data={"csrf_token": token(client, "/account")})
    assert (out.status_code, out.headers["Location"]) == (303, "/")
    shown = header(client)
    assert "alice" not in shown and "Sign in" in shown
    again = client.get("/terms/de-en/new")
    assert again.status_code == 303
    assert again.headers["Location"] == "/login?next=/terms/de-en/new"


def test_sign_out_needs_the_forms_token(client: FlaskClient) -> None:
    assert sign_in(client, "alice", PASSWORD).status_code == 303
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 400
    assert "alice" in header(client)


# --- the accounts file decides on every request ----------------------------------------------


def test_removed_user_loses_access_on_the_next_request(
    client: FlaskClient, settings: Settings
) -> None:
    assert sign_in(client, "alice", PASSWORD).status_code == 303
    assert client.get("/terms/de-en/new").status_code == 200
    Accounts.of(settings).remove_user("alice")  # as `glossary users remove alice` does
    gone = client.get("/terms/de-en/new")
    assert gone.status_code == 303 and gone.headers["Location"].startswith("/login")
    assert "alice" not in header(client)
    # Her session cookie cannot make changes either.
    etag = client.get("/api/glossaries/de-en").headers["ETag"]
    edit = client.post(
        "/api/glossaries/de-en/terms",
        headers={"If-Match": etag},
        json={"source": "Wal", "target": "whale"},
    )
    assert edit.status_code == 401


def test_changed_role_applies_on_the_next_request(client: FlaskClient, settings: Settings) -> None:
    book = Accounts.of(settings)
    assert sign_in(client, "alice", PASSWORD).status_code == 303
    assert client.get("/terms/de-en/new").status_code == 200
    defaults = {"csrf_token": token(client, "/account"), "default": "de-en"}
    refused = client.post("/account/defaults", data=defaults)
    assert refused.status_code == 403 and "editor" in refused.get_data(as_text=True)

    book.add_user("alice", PASSWORD, "reader")  # as `glossary users add alice --role reader`
    denied = client.get("/terms/de-en/new")
    assert denied.status_code == 403 and "reader" in denied.get_data(as_text=True)
    assert client.get("/terms/de-en").status_code == 200  # reading still works

    book.add_user("alice", PASSWORD, "admin")
    marked = client.post("/account/defaults", data={**defaults, "default": "de-en"})
    assert (marked.status_code, marked.headers["Location"]) == (303, "/account")
    assert book.open() is False
    assert Path(settings.state_dir / "defaults.json").is_file()


def test_a_new_password_ends_the_sessions_signed_in_before(
    client: FlaskClient, settings: Settings
) -> None:
    assert sign_in(client, "alice", PASSWORD).status_code == 303
    assert "alice" in header(client)
    Accounts.of(settings).add_user("alice", "another password", "editor")
    assert "alice" not in header(client)
    assert client.get("/terms/de-en/new").status_code == 303  # to the sign-in page


def test_session_and_csrf_token_are_new_after_sign_in(client: FlaskClient) -> None:
    before = token(client, "/login")
    assert token(client, "/login") == before  # one token per session...
    assert sign_in(client, "alice", PASSWORD, csrf=before).status_code == 303
    after = token(client, "/account")
    assert after != before  # ...and a new session at sign-in
    # The token from before signing in is worth nothing now.
    assert client.post("/logout", data={"csrf_token": before}).status_code == 400
    assert "alice" in header(client)
    assert client.post("/logout", data={"csrf_token": after}).status_code == 303


def test_keeps_the_interface_language_across_sign_in(client: FlaskClient) -> None:
    client.get("/login?lang=de")
    assert sign_in(client, "alice", PASSWORD).status_code == 303
    assert 'lang="de"' in client.get("/account").get_data(as_text=True)


def test_account_page_does_not_call_anonymous_signed_in(client: FlaskClient) -> None:
    page = client.get("/account").get_data(as_text=True)
    assert "Signed in as" not in page
