"""Glossaries created, renamed and deleted from the page and the CLI (glossary/management.py),
with defaults, DeepL owners and the change log kept consistent; and term lists paged and
searched on the server, fast at 100,000 terms."""

from __future__ import annotations

import json
import re
import time
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from glossary import history
from glossary.accounts import Accounts
from glossary.config import Settings
from glossary.errors import ConflictError, InputError, NotFoundError
from glossary.management import GlossaryFolder
from glossary.owners import DefaultGlossaries, Owners
from glossary.packages import InstalledPackage
from glossary.term import Glossary, Term
from glossary.termedit import add_term
from glossary.termload import load_glossary
from glossary.termwrite import create_glossary
from tests.helpers import run_glossary
from tests.test_pages import csrf_token

PASSWORD = "correct horse"
UUID = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"


@pytest.fixture
def people(settings: Settings) -> Accounts:
    """A reader, an editor and an admin, each `{role}-person` with PASSWORD."""
    book = Accounts.of(settings)
    for role in ("reader", "editor", "admin"):
        book.add_user(f"{role}-person", PASSWORD, role)
    return book


@pytest.fixture
def app_settings(settings: Settings, terms_dir: Path, people: Accounts) -> Settings:
    """The people exist before the app is built; translating needs no key."""
    return replace(settings, terms_dir=terms_dir, keys_for_translate=False)


@pytest.fixture
def lexicon() -> dict[str, str]:
    return {"hund": "dog"}


def signed_in(app: Flask, role: str) -> FlaskClient:
    client = app.test_client()
    reply = client.post(
        "/login",
        data={
            "name": f"{role}-person",
            "password": PASSWORD,
            "csrf_token": csrf_token(client, "/login"),
        },
    )
    assert reply.status_code == 303
    return client


def post(client: FlaskClient, path: str, **data: str) -> tuple[int, str, str | None]:
    reply = client.post(path, data={"csrf_token": csrf_token(client, "/terms/"), **data})
    return reply.status_code, reply.get_data(as_text=True), reply.headers.get("Location")


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# --- create ---------------------------------------------------------------------------------


def test_an_editor_creates_a_glossary_on_the_page(app: Flask, terms_dir: Path) -> None:
    client = signed_in(app, "editor")
    status, _page, location = post(
        client,
        "/terms/",
        name="wirtschaft",
        title="Wirtschaft",
        source_language="de",
        target_language="en",
    )
    assert status == 303 and location == "/terms/wirtschaft"
    created = load_glossary(terms_dir / "wirtschaft.yaml")
    assert (created.name, created.source_language, created.terms) == ("Wirtschaft", "de", ())
    first = json.loads(history.history_path(terms_dir / "wirtschaft.yaml").read_text())
    assert (first["action"], first["author"], first["via"]) == ("create", "editor-person", "page")
    assert "Created the glossary wirtschaft." in client.get(location).get_data(as_text=True)


@pytest.mark.parametrize(
    "fields, status, message",
    [
        ({"name": "two words"}, 400, "invalid glossary name"),
        ({"name": "p"}, 409, "already exists"),
        ({"name": f"deepl-{UUID}"}, 400, "kept for glossaries made through the DeepL API"),
        ({"name": "x", "source_language": "German"}, 400, "language code"),
    ],
)
def test_create_refusals_are_said_and_change_nothing(
    app: Flask, terms_dir: Path, fields: dict[str, str], status: int, message: str
) -> None:
    before = files(terms_dir)
    got, page, _location = post(signed_in(app, "editor"), "/terms/", **fields)
    assert got == status and message in page
    assert f'value="{fields["name"]}"' in page  # the input is kept
    assert files(terms_dir) == before


def test_forms_are_offered_to_the_roles_that_may_use_them(app: Flask) -> None:
    pages = {
        role: signed_in(app, role).get("/terms/").get_data(as_text=True)
        for role in ("reader", "editor", "admin")
    }
    assert 'id="create-glossary"' not in pages["reader"]
    assert 'id="create-glossary"' in pages["editor"] and 'id="create-glossary"' in pages["admin"]
    assert 'href="/terms/p/manage"' not in pages["editor"]
    assert 'href="/terms/p/manage"' in pages["admin"]
    assert signed_in(app, "editor").get("/terms/p/manage").status_code == 403


# --- rename -----------------------------------------------------------------------------------


def test_rename_moves_file_and_history_and_keeps_the_default(
    app: Flask, settings: Settings, terms_dir: Path
) -> None:
    DefaultGlossaries.of(settings).mark(["p"])
    path = terms_dir / "p.yaml"
    add_term(path, Term("Bündnis", "alliance"), revision=load_glossary(path).revision)
    client = signed_in(app, "admin")
    status, _page, location = post(client, "/terms/p/rename", new_name="politik", title="Politik")
    assert status == 303 and location == "/terms/politik"
    assert files(terms_dir) == [
        ".politik.yaml.history.jsonl",
        ".politik.yaml.lock",
        "politik.yaml",
    ]  # no file, lock or log left under the old name
    assert load_glossary(terms_dir / "politik.yaml").name == "Politik"
    assert DefaultGlossaries.of(settings).marked() == ["politik"]
    actions = [e.action for e in history.read(terms_dir / "politik.yaml").entries]
    assert actions == ["rename", "title", "add", "create"]
    assert client.get("/terms/p").status_code == 404
    assert "Bündnis" in client.get("/terms/politik").get_data(as_text=True)
    used = app.extensions["glossary.service"].glossaries_for("de", "en")  # a request naming none
    assert [g.name for g in used] == ["Politik"]


def test_rename_title_only_and_refusals(app: Flask, terms_dir: Path) -> None:
    create_glossary(terms_dir / "q.yaml", "Q", "de", "en", [])
    client = signed_in(app, "admin")
    assert post(client, "/terms/p/rename", new_name="p", title="Politik")[0] == 303
    assert load_glossary(terms_dir / "p.yaml").name == "Politik"
    before = {name: (terms_dir / name).read_bytes() for name in ("p.yaml", "q.yaml")}
    status, page, _location = post(client, "/terms/p/rename", new_name="q", title="Other")
    assert status == 409 and "already exists" in page  # and the title was left alone
    status, page, _location = post(client, "/terms/p/rename", new_name=f"deepl-{UUID}")
    assert status == 400 and "DeepL API" in page
    assert {name: (terms_dir / name).read_bytes() for name in before} == before
    assert history.history_path(terms_dir / "p.yaml").exists()


def test_an_edit_after_a_rename_does_not_bring_the_old_name_back(
    terms_dir: Path, settings: Settings
) -> None:
    folder = GlossaryFolder.of(replace(settings, terms_dir=terms_dir))
    stale = load_glossary(terms_dir / "p.yaml")
    assert folder.rename("p", "neu") == "neu"
    with pytest.raises(NotFoundError):
        add_term(terms_dir / "p.yaml", Term("Gipfel", "summit"), revision=stale.revision)
    assert files(terms_dir) == [".neu.yaml.history.jsonl", ".neu.yaml.lock", "neu.yaml"]


# --- delete -----------------------------------------------------------------------------------


def test_delete_needs_the_name_typed_and_takes_log_lock_and_default(
    app: Flask, settings: Settings, terms_dir: Path
) -> None:
    DefaultGlossaries.of(settings).mark(["p"])
    client = signed_in(app, "admin")
    status, page, _location = post(client, "/terms/p/delete-glossary", confirm="q")
    assert status == 400 and "to confirm" in page and (terms_dir / "p.yaml").exists()
    status, _page, location = post(client, "/terms/p/delete-glossary", confirm="p")
    assert status == 303 and location == "/terms/"
    assert files(terms_dir) == []
    assert DefaultGlossaries.of(settings).marked() == []
    assert "Deleted the glossary p." in client.get("/terms/").get_data(as_text=True)


def test_deepl_glossaries_are_an_admins_to_rename_and_delete(
    app: Flask, settings: Settings, terms_dir: Path, installed: InstalledPackage
) -> None:
    key = Accounts.of(settings).add_key("client", "reader")
    made = []
    for _ in range(2):
        reply = app.test_client().post(
            "/v2/glossaries",
            headers={"X-API-Key": key},
            json={"name": "N", "source_lang": "DE", "target_lang": "EN", "entries": "Hund\tdog"},
        )
        assert reply.status_code == 201
        made.append(reply.json["glossary_id"])
    owners = Owners.of(settings)
    assert all(owners.owner(ident) for ident in made)
    folder = GlossaryFolder(
        app.extensions["glossary.service"].store, DefaultGlossaries.of(settings), owners
    )
    with pytest.raises(InputError, match="only its owner"):
        folder.delete(f"deepl-{made[0]}")
    client = signed_in(app, "admin")
    assert post(client, f"/terms/deepl-{made[0]}/rename", new_name="adopted")[0] == 303
    assert owners.owner(made[0]) is None and (terms_dir / "adopted.yaml").exists()
    assert (
        post(client, f"/terms/deepl-{made[1]}/delete-glossary", confirm=f"deepl-{made[1]}")[0]
        == 303
    )
    assert owners.owner(made[1]) is None
    assert not list(terms_dir.glob(f"*{made[1]}*"))


# --- the CLI ----------------------------------------------------------------------------------


def test_cli_create_list_rename_delete(env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "cli-terms"
    env = {**env, "GLOSSARY_TERMS_DIR": str(folder)}
    made = run_glossary(env, "glossaries", "create", "neu", "--title", "Neu", "--author", "bo")
    assert made.returncode == 0, made.stderr
    assert run_glossary(env, "defaults", "set", "neu").returncode == 0
    listed = run_glossary(env, "glossaries", "list")
    assert listed.stdout.decode() == "neu\tNeu\tde-en\t0\n"
    renamed = run_glossary(env, "glossaries", "rename", "neu", "alt", "--title", "Alt")
    assert renamed.returncode == 0, renamed.stderr
    rows = json.loads(run_glossary(env, "glossaries", "list", "--json").stdout)
    assert [(r["name"], r["title"], r["term_count"]) for r in rows] == [("alt", "Alt", 0)]
    state = json.loads((Path(env["GLOSSARY_STATE_DIR"]) / "defaults.json").read_text())
    assert state["defaults"] == ["alt"]
    log = run_glossary(env, "terms", "history", "--glossary", str(folder / "alt.yaml"), "--json")
    assert [(e["action"], e["author"]) for e in json.loads(log.stdout)["entries"]][-1] == (
        "create",
        "bo",
    )
    refused = run_glossary(env, "glossaries", "delete", "alt")
    assert refused.returncode == 2 and b"--yes" in refused.stderr and (folder / "alt.yaml").exists()
    gone = run_glossary(env, "glossaries", "delete", "alt", "--yes")
    assert gone.returncode == 0 and list(folder.iterdir()) == []
    again = run_glossary(env, "glossaries", "delete", "alt", "--yes")
    assert again.returncode == 2 and b"no such glossary" in again.stderr


def test_folder_create_refuses_an_existing_file(settings: Settings, terms_dir: Path) -> None:
    folder = GlossaryFolder.of(replace(settings, terms_dir=terms_dir))
    before = (terms_dir / "p.yaml").read_bytes()
    with pytest.raises(ConflictError):
        folder.create("p")
    assert (terms_dir / "p.yaml").read_bytes() == before


# --- paging and searching on the server -------------------------------------------------------

ROW = re.compile(r"<tr>\s*<td>([^<]+)</td>")


def write_glossary(path: Path, count: int) -> None:
    """A glossary of `count` terms, written as text (the YAML emitter is slow at scale)."""
    lines = ["source_language: de", "target_language: en", "name: Big", "terms:"]
    for i in range(count):
        lines += [f"  - source: Wort{i:06d}", f"    target: word {i}"]
        if i % 10 == 0:
            lines.append("    status: proposed")
        if i % 7 == 0:
            lines.append(f"    note: Nota bene {i}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_browse_pages_and_the_links_keep_the_filters(app: Flask, terms_dir: Path) -> None:
    write_glossary(terms_dir / "big.yaml", 250)
    client = app.test_client()
    first = client.get("/terms/big").get_data(as_text=True)
    assert ROW.findall(first)[:2] == ["Wort000000", "Wort000001"] and len(ROW.findall(first)) == 100
    assert "250 of 250 terms match." in first and "page 1 of 3" in first
    third = client.get("/terms/big?page=3").get_data(as_text=True)
    assert ROW.findall(third)[0] == "Wort000200" and len(ROW.findall(third)) == 50
    assert client.get("/terms/big?page=99").get_data(as_text=True) == third  # the last page
    assert client.get("/terms/big?page=x").get_data(as_text=True) == first
    # status filter (25 proposed terms: one page) and a search (notes too, any case)
    proposed = client.get("/terms/big?status=proposed").get_data(as_text=True)
    assert "25 of 250 terms match." in proposed and len(ROW.findall(proposed)) == 25
    noted = client.get("/terms/big?q=NOTA+bene&status=proposed").get_data(as_text=True)
    assert ROW.findall(noted) == [f"Wort{i:06d}" for i in range(0, 250, 70)]
    many = client.get("/terms/big?q=word+1&match=inflected").get_data(as_text=True)
    links = set(re.findall(r'href="(/terms/big\?page=[^"]+)"', many))
    assert "/terms/big?page=2&amp;q=word+1&amp;match=inflected" in links
    assert all("q=word+1" in link and "match=inflected" in link for link in links)
    # a term deleted from page 2 of a search leads back to page 2 of that search
    client = signed_in(app, "editor")
    second = client.get("/terms/big?q=word+1&page=2").get_data(as_text=True)
    action = re.search(r'action="(/terms/big/delete\?[^"]+)"', second)
    revision = re.search(r'name="revision" value="([0-9a-f]+)"', second)
    assert action and revision and "page=2" in action.group(1)
    reply = client.post(
        action.group(1).replace("&amp;", "&"),
        data={
            "csrf_token": csrf_token(client, "/terms/big"),
            "revision": revision.group(1),
            "source": ROW.findall(second)[0],
        },
    )
    assert reply.status_code == 303
    assert reply.headers["Location"] == "/terms/big?q=word+1&page=2"
    gone = ROW.findall(second)[0]
    assert gone not in {t.source for t in load_glossary(terms_dir / "big.yaml").terms}


def big_glossary(count: int) -> Glossary:
    terms = tuple(
        Term(
            f"Wort{i:06d}",
            f"word {i}",
            note=f"Nota bene {i}" if i % 7 == 0 else None,
            status="proposed" if i % 10 == 0 else "approved",
            line=2 * i + 5,
        )
        for i in range(count)
    )
    return Glossary("Big", "de", "en", terms, path="big.yaml", revision="r1")


def test_a_100k_glossary_page_answers_in_under_a_second(
    app: Flask, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The page's own work at 100,000 terms (the glossary as the store holds it in memory;
    loading it is the store's part): first view, a search over every term, a later page."""
    store = app.extensions["glossary.service"].store
    big = big_glossary(100_000)
    real_get = store.get
    monkeypatch.setattr(store, "get", lambda name: big if name == "big" else real_get(name))
    client = app.test_client()
    timings = {}
    for label, query in [
        ("first page", ""),
        ("search (first)", "?q=nota+BENE+99"),
        ("search again", "?q=word+99999"),
        ("status + page 40", "?status=approved&page=40"),
        ("last page", "?page=1000"),
    ]:
        began = time.perf_counter()
        reply = client.get(f"/terms/big{query}")
        timings[label] = time.perf_counter() - began
        assert reply.status_code == 200
        page = reply.get_data(as_text=True)
        assert len(page) < 200_000  # one page of terms, not the glossary
        if label == "search (first)":
            assert ROW.findall(page)[:2] == ["Wort000994", "Wort009905"]
        if label == "search again":
            assert ROW.findall(page) == ["Wort099999"]
        if label == "last page":
            assert ROW.findall(page)[-1] == "Wort099999"
    with capsys.disabled():
        shown = ", ".join(f"{label} {seconds * 1000:.0f} ms" for label, seconds in timings.items())
        print(f"\n100k-term page: {shown}")
    assert max(timings.values()) < 1.0, timings
