"""Each glossary's change log (glossary/history.py): every write from the page, the API, the
CLI and the library is one entry with its author, surface, revisions and the terms before and
after; the page and `glossary terms history` show it a page at a time; one change is reverted
as an edit with a revision check; a failed append keeps the edit and says so; writes without an
entry show as gaps."""

from __future__ import annotations

import itertools
import json
import multiprocessing
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from glossary import history, termedit
from glossary.accounts import Accounts
from glossary.config import Settings
from glossary.errors import ConflictError
from glossary.term import Glossary, Term
from glossary.termedit import add_term, remove_term, update_term
from glossary.termload import load_glossary
from glossary.termwrite import create_glossary
from tests.helpers import run_glossary
from tests.test_pages import csrf_token, make_app
from tests.test_roles import make_app as roles_app

REVISION = re.compile(r'name="revision" value="([0-9a-f]+)"')
CHANGE = re.compile(r'id="change-([0-9a-f]+)"')
PASSWORD = "correct horse"


def entries(path: Path) -> list[dict[str, Any]]:
    """The log as written, oldest first."""
    lines = history.history_path(path).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def assert_chain(path: Path) -> None:
    """Each entry starts at the revision the one before ended at, the last at the file's."""
    found = entries(path)
    for older, newer in itertools.pairwise(found):
        assert newer["revision_before"] == older["revision_after"], (older, newer)
    assert found[-1]["revision_after"] == load_glossary(path).revision


@pytest.fixture(autouse=True)
def nobody_after() -> Iterator[None]:
    """set_author lasts for the thread (as it does for a command): not into the next test."""
    yield
    history.set_author(None)


@pytest.fixture
def glossary_file(tmp_path: Path) -> Path:
    path = tmp_path / "g" / "p.yaml"
    path.parent.mkdir()
    create_glossary(
        path,
        "Politics",
        "de",
        "en",
        [Term("Herrscher", "ruler"), Term("Bündnis", "alliance", note="NATO")],
    )
    return path


# --- the diff --------------------------------------------------------------------------------


def test_term_changes_ignore_line_numbers_and_pair_renamed_sources() -> None:
    a, b, c = Term("A", "a", line=1), Term("B", "b", line=3), Term("C", "c", line=5)
    shifted = [replace(b, line=2), replace(c, line=4)]
    assert history.term_changes([a, b, c], shifted) == [
        history.Change({"source": "A", "target": "a"}, None)
    ]
    renamed = history.term_changes([a, b], [a, Term("B2", "b")])
    assert renamed == [
        history.Change({"source": "B", "target": "b"}, {"source": "B2", "target": "b"})
    ]
    mixed = history.term_changes([a, b, c], [Term("a", "A!"), c, Term("D", "d")])
    assert {(ch.kind, ch.source) for ch in mixed} == {
        ("update", "a"),
        ("add", "D"),
        ("remove", "B"),
    }
    assert history.term_changes([a, b], [b, a]) == []  # reordered only


HAND_WRITTEN = """\
# a hand-written glossary
source_language: de
target_language: en
name: Hand
terms:
  # people
  - source: Herrscher   # ruler
    target: ruler
    note: |
      two lines
      of note

  - source: Bündnis
    target: alliance
    forbidden: [union]
  - {source: Kanzler, target: chancellor}
  - source: Tyrann
    target: tyrant
"""


@pytest.mark.parametrize(
    "edit",
    [
        lambda p, r: update_term(p, "Herrscher", Term("Herrscher", "lord", note="one"), revision=r),
        lambda p, r: update_term(p, "Kanzler", Term("Bundeskanzler", "chancellor"), revision=r),
        lambda p, r: remove_term(p, "Bündnis", revision=r),
        lambda p, r: remove_term(p, "Herrscher", revision=r),
        lambda p, r: add_term(p, Term("Gipfel", "summit"), revision=r),
        lambda p, r: termedit.merge_terms(
            p, [Term("Tyrann", "despot"), Term("Neu", "new")], revision=r
        ),
        lambda p, r: termedit.replace_terms(p, [Term("Tyrann", "tyrant")], revision=r),
    ],
)
def test_narrowed_diff_equals_the_full_diff(tmp_path: Path, edit: Any) -> None:
    """The log compares only the entries whose lines changed; it must find what comparing
    every term finds, comments, block notes and flow entries included."""
    path = tmp_path / "hand.yaml"
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    before = load_glossary(path)
    after = edit(path, before.revision)
    logged = [history.Change(c["before"], c["after"]) for c in entries(path)[-1]["changes"]]
    full = history.term_changes(before.terms, after.terms)
    assert logged and sorted(map(repr, logged)) == sorted(map(repr, full))


# --- every surface writes its entry -----------------------------------------------------------


def test_library_edits_are_logged_with_before_after_and_a_chain(glossary_file: Path) -> None:
    history.set_author("anna", kind="given", via="script")
    revision = load_glossary(glossary_file).revision
    revision = add_term(glossary_file, Term("Gipfel", "summit"), revision=revision).revision
    revision = update_term(
        glossary_file, "Herrscher", Term("Herrscher", "lord"), revision=revision
    ).revision
    revision = remove_term(glossary_file, "Bündnis", revision=revision).revision
    termedit.rename_glossary(glossary_file, "Politik", revision=revision)
    found = entries(glossary_file)
    assert [e["action"] for e in found] == ["create", "add", "update", "remove", "title"]
    assert {e["author"] for e in found[1:]} == {"anna"} and found[1]["via"] == "script"
    assert found[2]["changes"] == [
        {
            "before": {"source": "Herrscher", "target": "ruler"},
            "after": {"source": "Herrscher", "target": "lord"},
        }
    ]
    assert found[3]["changes"][0]["before"] == {
        "source": "Bündnis",
        "target": "alliance",
        "note": "NATO",
    }
    assert found[3]["changes"][0]["after"] is None
    assert found[4]["title"] == {"before": "Politics", "after": "Politik"}
    assert_chain(glossary_file)


def test_a_refused_edit_writes_no_entry(glossary_file: Path) -> None:
    count = len(entries(glossary_file))
    with pytest.raises(ConflictError):
        add_term(glossary_file, Term("Gipfel", "summit"), revision="0" * 64)
    assert len(entries(glossary_file)) == count


def _signed_in(app: Flask, name: str) -> FlaskClient:
    client = app.test_client()
    reply = client.post(
        "/login",
        data={"name": name, "password": PASSWORD, "csrf_token": csrf_token(client, "/login")},
    )
    assert reply.status_code == 303
    return client


def _edit_on_page(client: FlaskClient, source: str, target: str) -> None:
    path = f"/terms/de-en/edit?source={source}"
    page = client.get(path).get_data(as_text=True)
    found = REVISION.search(page)
    assert found, page
    data = {
        "csrf_token": csrf_token(client, path),
        "revision": found.group(1),
        "original": source,
        "source": source,
        "target": target,
        "status": "approved",
        "match": "inflected",
    }
    assert client.post("/terms/de-en/edit", data=data).status_code == 303


def test_page_and_api_edits_name_the_user_and_the_key(settings: Settings, tmp_path: Path) -> None:
    book = Accounts.of(settings)
    book.add_user("erika", PASSWORD, "editor")
    key = book.add_key("ci-bot", "editor")
    app = make_app(settings, tmp_path, engine=False)
    path = tmp_path / "terms" / "de-en.yaml"
    _edit_on_page(_signed_in(app, "erika"), "Kreml-Herrscher", "Kremlin boss")
    api = app.test_client()
    revision = api.get("/api/glossaries/de-en", headers={"X-API-Key": key}).headers["ETag"]
    reply = api.post(
        "/api/glossaries/de-en/terms",
        json={"source": "Gipfel", "target": "summit"},
        headers={"X-API-Key": key, "If-Match": revision},
    )
    assert reply.status_code == 201
    page_entry, api_entry = entries(path)[-2:]
    assert (page_entry["author"], page_entry["author_kind"], page_entry["via"]) == (
        "erika",
        "user",
        "page",
    )
    assert page_entry["changes"][0]["after"]["target"] == "Kremlin boss"
    assert (api_entry["author"], api_entry["author_kind"], api_entry["via"]) == (
        "ci-bot",
        "key",
        "api",
    )
    assert api_entry["changes"] == [
        {"before": None, "after": {"source": "Gipfel", "target": "summit"}}
    ]
    # the request's author does not stay behind in the thread for the next caller
    assert history.author().name is None


def test_cli_edits_name_the_author_or_the_os_user(env: dict[str, str], glossary_file: Path) -> None:
    named = run_glossary(
        env,
        "terms",
        "add",
        "--glossary",
        str(glossary_file),
        "--source",
        "Gipfel",
        "--target",
        "summit",
        "--author",
        "desk-7",
    )
    assert named.returncode == 0, named.stderr
    plain = run_glossary(
        env, "terms", "remove", "--glossary", str(glossary_file), "--source", "Gipfel"
    )
    assert plain.returncode == 0, plain.stderr
    add, remove = entries(glossary_file)[-2:]
    assert (add["author"], add["author_kind"], add["via"]) == ("desk-7", "given", "cli")
    assert remove["author_kind"] == "os-user" and remove["via"] == "cli"
    assert remove["changes"] == [
        {"before": {"source": "Gipfel", "target": "summit"}, "after": None}
    ]


# --- reading it -------------------------------------------------------------------------------


def test_history_page_is_paginated_newest_first(settings: Settings, terms_dir: Path) -> None:
    app = roles_app(settings, terms_dir, keys_for_translate=False)
    path = terms_dir / "p.yaml"
    revision = load_glossary(path).revision
    for i in range(59):  # with the creation, 60 entries: pages of 50
        revision = add_term(path, Term(f"Wort{i}", f"word {i}"), revision=revision).revision
    client = app.test_client()
    first = client.get("/terms/p/history").get_data(as_text=True)
    assert len(CHANGE.findall(first)) == 50
    assert "Wort58<" in first and "Wort9<" in first and "Wort8<" not in first
    assert first.index("Wort58<") < first.index("Wort57<")  # newest first
    assert "/terms/p/history?page=2" in first
    second = client.get("/terms/p/history?page=2").get_data(as_text=True)
    assert len(CHANGE.findall(second)) == 10  # Wort8 … Wort0 and the creation
    assert "Wort0<" in second and "Herrscher" in second and "page=3" not in second
    assert "/terms/p/history?page=1" in second
    assert not set(CHANGE.findall(first)) & set(CHANGE.findall(second))


def test_cli_history_lists_and_pages(env: dict[str, str], glossary_file: Path) -> None:
    history.set_author("anna", via="script")
    revision = load_glossary(glossary_file).revision
    update_term(glossary_file, "Herrscher", Term("Herrscher", "lord"), revision=revision)
    shown = run_glossary(env, "terms", "history", "--glossary", str(glossary_file), "--limit", "1")
    assert shown.returncode == 0, shown.stderr
    text = shown.stdout.decode()
    assert "\tanna\tscript\tupdate" in text and '"target": "lord"' in text
    assert "create" not in text and "--offset 1" in shown.stderr.decode()
    as_json = run_glossary(env, "terms", "history", "--glossary", str(glossary_file), "--json")
    data = json.loads(as_json.stdout)
    assert [e["action"] for e in data["entries"]] == ["update", "create"]
    assert data["unrecorded"] is False


def test_a_write_without_an_entry_shows_as_a_gap(settings: Settings, tmp_path: Path) -> None:
    app = make_app(settings, tmp_path, engine=False)
    path = tmp_path / "terms" / "de-en.yaml"
    client = app.test_client()
    add_term(path, Term("Gipfel", "summit"), revision=load_glossary(path).revision)
    assert 'id="unrecorded"' not in client.get("/terms/de-en/history").get_data(as_text=True)
    path.write_text(
        path.read_text(encoding="utf-8").replace("summit", "summit meeting"), encoding="utf-8"
    )  # by hand
    assert 'id="unrecorded"' in client.get("/terms/de-en/history").get_data(as_text=True)
    add_term(path, Term("Treffen", "meeting"), revision=load_glossary(path).revision)
    page = client.get("/terms/de-en/history").get_data(as_text=True)
    assert 'id="unrecorded"' not in page and 'class="gap"' in page


def test_a_torn_line_costs_only_itself(glossary_file: Path) -> None:
    with history.history_path(glossary_file).open("ab") as log:
        log.write(b'{"id": "torn", "time": "2024-')  # a crash in the middle of an append
    add_term(
        glossary_file, Term("Gipfel", "summit"), revision=load_glossary(glossary_file).revision
    )
    page = history.read(glossary_file)
    assert [e.action for e in page.entries] == ["add", "create"] and page.unreadable == 1


# --- a failed append --------------------------------------------------------------------------


def test_failed_append_keeps_the_edit_and_says_so(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(settings, tmp_path, engine=False)
    path = tmp_path / "terms" / "de-en.yaml"
    blocker = history.history_path(path)
    blocker.mkdir()  # the log cannot be opened for appending (even by root)
    client = app.test_client()
    page = client.get("/terms/de-en/edit?source=Tyrann").get_data(as_text=True)
    found = REVISION.search(page)
    assert found
    data = {
        "csrf_token": csrf_token(client),
        "revision": found.group(1),
        "original": "Tyrann",
        "source": "Tyrann",
        "target": "despot",
        "status": "approved",
        "match": "inflected",
    }
    reply = client.post("/terms/de-en/edit", data=data)
    assert reply.status_code == 303  # the edit stands
    assert {t.source: t.target for t in load_glossary(path).terms}["Tyrann"] == "despot"
    assert "history entry could not be written" in reply.headers["X-Glossary-History-Error"]
    assert "history entry could not be written" in caplog.text
    assert "could not be written to the glossary" in client.get(reply.location).get_data(
        as_text=True
    )
    blocker.rmdir()
    add_term(path, Term("Gipfel", "summit"), revision=load_glossary(path).revision)
    shown = client.get("/terms/de-en/history").get_data(as_text=True)
    assert 'class="gap"' not in shown  # only one entry: nothing older to compare with
    assert "X-Glossary-History-Error" not in client.get("/terms/de-en").headers


def test_failed_append_is_a_warning_in_the_cli(env: dict[str, str], glossary_file: Path) -> None:
    history.history_path(glossary_file).unlink()
    history.history_path(glossary_file).mkdir()
    done = run_glossary(
        env,
        "terms",
        "add",
        "--glossary",
        str(glossary_file),
        "--source",
        "Gipfel",
        "--target",
        "summit",
    )
    assert done.returncode == 0
    assert b"warning: glossary p: the change was saved, but its history entry" in done.stderr
    assert "Gipfel" in {t.source for t in load_glossary(glossary_file).terms}


def test_a_link_in_place_of_the_log_is_not_followed(glossary_file: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("keep\n", encoding="utf-8")
    history.history_path(glossary_file).unlink()
    history.history_path(glossary_file).symlink_to(elsewhere)
    history.set_author(None)
    add_term(
        glossary_file, Term("Gipfel", "summit"), revision=load_glossary(glossary_file).revision
    )
    assert elsewhere.read_text(encoding="utf-8") == "keep\n"
    assert history.problems() and "could not be written" in history.problems()[0]


# --- reverting --------------------------------------------------------------------------------


def test_revert_from_the_page(settings: Settings, tmp_path: Path) -> None:
    app = make_app(settings, tmp_path, engine=False)
    path = tmp_path / "terms" / "de-en.yaml"
    original = path.read_bytes()
    client = app.test_client()
    _edit_on_page(client, "Kreml-Herrscher", "Kremlin boss")
    page = client.get("/terms/de-en/history").get_data(as_text=True)
    change = CHANGE.findall(page)[0]
    assert "Kremlin ruler" in page and "Kremlin boss" in page and "Revert" in page
    reply = client.post(
        f"/terms/de-en/history/{change}/revert", data={"csrf_token": csrf_token(client)}
    )
    assert reply.status_code == 303
    assert path.read_bytes() == original  # line surgery both ways: the very same file
    last = entries(path)[-1]
    assert last["action"] == "revert" and last["reverts"] == change
    assert last["changes"][0]["after"]["target"] == "Kremlin ruler"
    assert f"undoes {change}" in client.get("/terms/de-en/history").get_data(as_text=True)


def test_revert_refused_when_the_term_changed_since(settings: Settings, tmp_path: Path) -> None:
    app = make_app(settings, tmp_path, engine=False)
    path = tmp_path / "terms" / "de-en.yaml"
    client = app.test_client()
    _edit_on_page(client, "Kreml-Herrscher", "Kremlin boss")
    change = entries(path)[-1]["id"]
    _edit_on_page(client, "Kreml-Herrscher", "Kremlin chief")
    before = path.read_bytes()
    reply = client.post(
        f"/terms/de-en/history/{change}/revert", data={"csrf_token": csrf_token(client)}
    )
    text = reply.get_data(as_text=True)
    assert reply.status_code == 409 and "glossary changed since" in text
    assert "Kreml-Herrscher" in text and "nothing was changed" in text
    assert path.read_bytes() == before
    # an unrelated edit since does not stand in the way
    other = entries(path)[-1]["id"]
    add_term(path, Term("Gipfel", "summit"), revision=load_glossary(path).revision)
    assert (
        client.post(
            f"/terms/de-en/history/{other}/revert", data={"csrf_token": csrf_token(client)}
        ).status_code
        == 303
    )
    targets = {t.source: t.target for t in load_glossary(path).terms}
    assert targets["Kreml-Herrscher"] == "Kremlin boss" and targets["Gipfel"] == "summit"


def test_revert_of_a_removal_and_of_an_addition(glossary_file: Path) -> None:
    removed = remove_term(glossary_file, "Bündnis", revision=load_glossary(glossary_file).revision)
    removal = entries(glossary_file)[-1]["id"]
    add_term(glossary_file, Term("Gipfel", "summit"), revision=removed.revision)
    addition = entries(glossary_file)[-1]["id"]
    history.revert(glossary_file, removal)
    back = {t.source: t for t in load_glossary(glossary_file).terms}
    assert back["Bündnis"].note == "NATO"  # every field comes back
    history.revert(glossary_file, addition)
    assert "Gipfel" not in {t.source for t in load_glossary(glossary_file).terms}
    with pytest.raises(ConflictError, match="Bündnis"):  # it is there again
        history.revert(glossary_file, removal)


def test_revert_of_a_several_term_change_is_one_write(glossary_file: Path) -> None:
    start = load_glossary(glossary_file)
    termedit.replace_terms(
        glossary_file,
        [Term("Herrscher", "lord"), Term("Gipfel", "summit")],
        revision=start.revision,
    )
    bulk = entries(glossary_file)[-1]
    assert bulk["action"] == "edit" and len(bulk["changes"]) == 3
    count = len(entries(glossary_file))
    reverted = history.revert(glossary_file, bulk["id"])
    assert {(t.source, t.target, t.note) for t in reverted.terms} == {
        (t.source, t.target, t.note) for t in start.terms
    }
    assert len(entries(glossary_file)) == count + 1  # one write, one entry
    assert entries(glossary_file)[-1]["reverts"] == bulk["id"]


def test_revert_of_a_title_change(glossary_file: Path) -> None:
    termedit.rename_glossary(
        glossary_file, "Politik", revision=load_glossary(glossary_file).revision
    )
    history.revert(glossary_file, entries(glossary_file)[-1]["id"])
    assert load_glossary(glossary_file).name == "Politics"


def test_cli_revert_and_its_conflict(env: dict[str, str], glossary_file: Path) -> None:
    revision = load_glossary(glossary_file).revision
    update_term(glossary_file, "Herrscher", Term("Herrscher", "lord"), revision=revision)
    change = entries(glossary_file)[-1]["id"]
    done = run_glossary(
        env, "terms", "revert", "--glossary", str(glossary_file), change, "--author", "desk-7"
    )
    assert done.returncode == 0, done.stderr
    assert {t.source: t.target for t in load_glossary(glossary_file).terms}["Herrscher"] == "ruler"
    last = entries(glossary_file)[-1]
    assert (last["action"], last["reverts"], last["author"]) == ("revert", change, "desk-7")
    again = run_glossary(env, "terms", "revert", "--glossary", str(glossary_file), change)
    assert again.returncode == 3 and b"changed since" in again.stderr  # "lord" is gone
    unknown = run_glossary(env, "terms", "revert", "--glossary", str(glossary_file), "nope")
    assert unknown.returncode == 2 and b"no change 'nope'" in unknown.stderr


def test_creation_is_not_revertible(glossary_file: Path) -> None:
    created = entries(glossary_file)[0]
    assert created["action"] == "create" and created["title"]["before"] is None
    with pytest.raises(Exception, match="cannot be reverted"):
        history.revert(glossary_file, created["id"])


# --- concurrent writers -----------------------------------------------------------------------


def _writer(path: str, writer: int, edits: int) -> list[tuple[str, str]]:
    """Adds `edits` terms, retrying stale revisions; returns the (before, after) revision of
    each acknowledged edit."""
    history.set_author(f"writer-{writer}", via="test")
    acked = []
    for i in range(edits):
        while True:
            current = load_glossary(Path(path))
            try:
                done = add_term(
                    Path(path), Term(f"W{writer}x{i}", f"w {writer} {i}"), revision=current.revision
                )
            except ConflictError:
                continue
            acked.append((current.revision, done.revision))
            break
    return acked


@pytest.mark.slow  # concurrent writers
def test_every_acknowledged_edit_has_its_entry_under_concurrency(glossary_file: Path) -> None:
    writers, edits = 4, 12
    with multiprocessing.get_context("spawn").Pool(writers) as pool:
        results = pool.starmap(_writer, [(str(glossary_file), w, edits) for w in range(writers)])
    acked = {pair for result in results for pair in result}
    logged = {(e["revision_before"], e["revision_after"]) for e in entries(glossary_file)[1:]}
    assert len(acked) == writers * edits and logged == acked
    assert_chain(glossary_file)
    authors = [e["author"] for e in entries(glossary_file)[1:]]
    assert sorted(set(authors)) == [f"writer-{w}" for w in range(writers)]


# --- where the log lives ----------------------------------------------------------------------


def test_the_log_is_a_hidden_file_beside_the_glossary(glossary_file: Path) -> None:
    from glossary.store import GlossaryStore

    log = history.history_path(glossary_file)
    assert log == glossary_file.parent / ".p.yaml.history.jsonl" and log.is_file()
    assert GlossaryStore(glossary_file.parent).names() == ["p"]
    copy = glossary_file.parent / "q.yaml"  # a file copied in by hand starts without a log
    shutil.copy(glossary_file, copy)
    assert history.read(copy).entries == [] and not os.path.exists(history.history_path(copy))


def test_history_of_an_unknown_glossary_is_404(settings: Settings, tmp_path: Path) -> None:
    client = make_app(settings, tmp_path, engine=False).test_client()
    assert client.get("/terms/nope/history").status_code == 404
    reply = client.post("/terms/de-en/history/abc/revert", data={"csrf_token": csrf_token(client)})
    assert reply.status_code == 404 and "no change &#39;abc&#39;" in reply.get_data(as_text=True)


def test_an_unchanged_file_writes_no_entry(glossary_file: Path) -> None:
    """`record_edit` with the same bytes on both sides writes nothing."""
    current: Glossary = load_glossary(glossary_file)
    count = len(entries(glossary_file))
    history.record_edit(glossary_file, current, current)
    assert len(entries(glossary_file)) == count
