"""Imports (issue 10): one preview and one duplicate policy for the page, the CLI, the own API
and the DeepL API; all or nothing in one atomic write that keeps the file's comments and order;
header rows recognised; a SIGKILL mid-import leaves the old file or the new one."""

from __future__ import annotations

import json
import random
import re
import signal
import subprocess
import sys
import time
from dataclasses import replace
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from glossary import bulkedit, errors, imports, termedit, termrules, termwrite
from glossary.config import Settings
from glossary.errors import ConflictError
from glossary.formats import terms_to_tsv
from glossary.term import Glossary, Term
from glossary.termedit import add_term
from glossary.termload import load_glossary, parse_glossary, revision_of
from glossary.termwrite import create_glossary
from tests.conftest import project_terms
from tests.helpers import run_glossary
from tests.test_pages import csrf_token
from tests.workers import process_env

FILE = """\
# Curated for the news desk.
source_language: de
target_language: en
name: Desk
terms:
  # Politics
  - source: Vertrag
    target: treaty  # not "contract"
    note: Diplomacy.
  - source: Kreml
    target: Kremlin

  # Economy
  - source: Haushalt
    target: budget
    status: proposed
"""


@pytest.fixture
def desk(tmp_path: Path) -> Path:
    path = tmp_path / "terms" / "desk.yaml"
    path.parent.mkdir()
    path.write_text(FILE, encoding="utf-8")
    return path


def run_import(
    path: Path, content: str, policy: imports.Policy = "skip", fmt: str = "tsv"
) -> tuple[imports.Preview, Glossary]:
    base = load_glossary(path)
    preview = imports.preview_file(base, content, fmt, policy)
    return preview, imports.apply(path, base, preview, revision=base.revision)


def terms_of(path: Path) -> dict[str, Term]:
    return {t.source: replace(t, line=None) for t in load_glossary(path).terms}


# --- the one duplicate policy --------------------------------------------------------------

# Row 2 new; row 3 the glossary's Kreml with another target; row 4 identical to Haushalt's
# fields the file gives; row 5 a second row for the new source; row 6 an error.
MIXED = (
    "source\ttarget\tstatus\n"
    "Gipfel\tsummit\tapproved\n"
    "kreml\tKremlin palace\tapproved\n"
    "Haushalt\tbudget\tproposed\n"
    "GIPFEL\tpeak\tapproved\n"
)

POLICY_CASES = [
    # policy, added, changed, unchanged, duplicates (where, of, action), errors, Kreml's target,
    # Gipfel's target after
    (
        "skip",
        ["Gipfel"],
        [],
        ["Haushalt"],
        [("line 5", "line 2", "skipped"), ("line 3", "glossary", "skipped")],
        0,
        "Kremlin",
        "summit",
    ),
    (
        "overwrite",
        ["GIPFEL"],
        ["Kreml"],
        ["Haushalt"],
        [("line 5", "line 2", "overwritten"), ("line 3", "glossary", "overwritten")],
        0,
        "Kremlin palace",
        "peak",
    ),
    (
        "fail",
        ["Gipfel"],
        [],
        ["Haushalt"],
        [("line 5", "line 2", "refused"), ("line 3", "glossary", "refused")],
        2,
        "Kremlin",
        None,
    ),
]


@pytest.mark.parametrize(
    ("policy", "added", "changed", "unchanged", "duplicates", "errors", "kreml", "gipfel"),
    POLICY_CASES,
    ids=[c[0] for c in POLICY_CASES],
)
def test_duplicate_policy(
    desk: Path,
    policy: imports.Policy,
    added: list[str],
    changed: list[str],
    unchanged: list[str],
    duplicates: list[tuple[str, str, str]],
    errors: int,
    kreml: str,
    gipfel: str | None,
) -> None:
    base = load_glossary(desk)
    preview = imports.preview_file(base, MIXED, "tsv", policy)
    assert [a.term.source for a in preview.added] == added
    assert [c.old.source for c in preview.changed] == changed
    assert [u.term.source for u in preview.unchanged] == unchanged
    assert [(d.where, d.of, d.action) for d in preview.duplicates] == duplicates
    assert len(preview.errors) == errors and preview.header == ("source", "target", "status")
    before = desk.read_bytes()
    if errors:
        with pytest.raises(imports.ImportRefusedError):
            imports.apply(desk, base, preview, revision=base.revision)
        assert desk.read_bytes() == before  # all or nothing
        assert {(e.where, e.field) for e in preview.errors} == {
            ("line 3", "source"),
            ("line 5", "source"),
        }
        return
    imports.apply(desk, base, preview, revision=base.revision)
    terms = {k.casefold(): v for k, v in terms_of(desk).items()}
    assert terms["kreml"].target == kreml and terms["gipfel"].target == gipfel
    assert terms["vertrag"].note == "Diplomacy." and terms["haushalt"].status == "proposed"


@pytest.mark.parametrize("row", ["Vertrag\tpact", "Kreml\tKremlin palace", "Haushalt\tbudget line"])
def test_overwrite_writes_what_single_term_edits_write(
    desk: Path, tmp_path: Path, row: str
) -> None:
    """In place, only the given fields, comments kept: byte for byte what update_term and
    add_term make of the same changes (an entry with a comment, and plain ones)."""
    twin = tmp_path / "twin.yaml"
    twin.write_bytes(desk.read_bytes())
    preview, _ = run_import(desk, f"{row}\nBündnis\talliance\n", "overwrite")
    (change,) = preview.changed
    assert change.new == replace(change.old, target=row.split("\t")[1], line=None)
    one = termedit.update_term(
        twin, change.old.source, change.new, revision=load_glossary(twin).revision
    )
    termedit.add_term(twin, Term("Bündnis", "alliance"), revision=one.revision)
    assert desk.read_bytes() == twin.read_bytes()
    assert desk.read_text(encoding="utf-8").count("\n") == FILE.count("\n") + 2


def test_identical_rows_are_unchanged_so_a_rerun_changes_and_fails_on_nothing(desk: Path) -> None:
    content = "Kreml\tKremlin\nGipfel\tsummit\n"
    first, _ = run_import(desk, content, "fail")
    written = desk.read_bytes()
    again, glossary = run_import(desk, content, "fail")
    assert [a.term.source for a in first.added] == ["Gipfel"]
    assert again.ok and not again.writes and len(again.unchanged) == 2
    assert desk.read_bytes() == written and glossary.revision == revision_of(written)


def test_case_sensitive_terms_count_as_two(tmp_path: Path) -> None:
    path = tmp_path / "cs.yaml"
    create_glossary(
        path,
        "CS",
        "de",
        "en",
        [Term("NZZ", "Neue Zürcher", case_sensitive=True), Term("nzz", "x", case_sensitive=True)],
    )
    base = load_glossary(path)
    text = "source\ttarget\tcase_sensitive\nNzz\ty\ttrue\nNzz\tz\tfalse\n"
    preview = imports.preview_file(base, text, "tsv", "skip")
    assert [a.term.source for a in preview.added] == ["Nzz"]  # a third spelling, also exact
    assert [(d.where, d.of) for d in preview.duplicates] == [("line 3", "line 2")]
    assert preview.ok
    loose = imports.preview_file(base, text, "tsv", "overwrite")  # line 3 wins: not exact
    assert [(e.where, e.field) for e in loose.errors] == [("line 3", "source")]
    assert "more than one" in loose.errors[0].message


# --- header rows and errors ------------------------------------------------------------------

HEADERS = [
    ("names", "source\ttarget\nGipfel\tsummit\n", ("source", "target"), ["Gipfel"]),
    (
        "names-any-case-and-order",
        "Target\tSOURCE\nsummit\tGipfel\n",
        ("target", "source"),
        ["Gipfel"],
    ),
    ("language-codes", "de\ten\nGipfel\tsummit\n", ("source", "target"), ["Gipfel"]),
    ("locale-codes", "de-DE\ten-GB\nGipfel\tsummit\n", ("source", "target"), ["Gipfel"]),
    (
        "our-export",
        terms_to_tsv([Term("Gipfel", "summit", note="a\nb")], all_fields=True),
        tuple(termrules.TERM_KEYS),
        ["Gipfel"],
    ),
    ("not-a-header", "ja\tyes\nGipfel\tsummit\n", None, ["ja", "Gipfel"]),
    ("other-languages-are-terms", "en\tde\n", None, ["en"]),
]


@pytest.mark.parametrize(
    ("text", "header", "sources"), [c[1:] for c in HEADERS], ids=[c[0] for c in HEADERS]
)
def test_header_rows_are_recognised(
    desk: Path, text: str, header: tuple[str, ...] | None, sources: list[str]
) -> None:
    preview, _ = run_import(desk, text)
    assert preview.header == header and preview.ok, preview.errors
    assert [a.term.source for a in preview.added] == sources
    assert {"source", "target", "de", "de-DE", "Target"}.isdisjoint(terms_of(desk))


def test_csv_header_with_language_columns(desk: Path) -> None:
    text = "source,target,source_lang,target_lang\nGipfel,summit,de,en\nEnde,end,de,fr\n"
    preview = imports.preview_file(load_glossary(desk), text, "csv", "skip")
    assert [a.term.source for a in preview.added] == ["Gipfel"]
    assert [(e.where, e.field, e.message) for e in preview.errors] == [
        ("line 3", "target_lang", "is 'fr', expected 'en'")
    ]


ERRORS = (
    "source\ttarget\tcase_sensitive\tstatus\tnote\tcolour\n"
    "Gipfel\tsummit\tmaybe\tapproved\t\t\n"
    "Ende\t\tfalse\tapproved\t\t\n"
    "Anfang\tbeginning\tfalse\tdone\t\t\n"
    "Mitte\tmiddle\tfalse\tapproved\tok\t\n"
)


def test_errors_name_line_and_field_and_nothing_is_written(desk: Path) -> None:
    before = desk.read_bytes()
    base = load_glossary(desk)
    preview = imports.preview_file(base, ERRORS, "tsv", "skip")
    assert [(e.line, e.field) for e in preview.errors] == [
        (1, "colour"),
        (2, "case_sensitive"),
        (3, "target"),
        (4, "status"),
    ]
    assert "must be one of approved, proposed, deprecated" in preview.errors[3].message
    assert [a.term.source for a in preview.added] == ["Mitte"]  # the good row is previewed
    with pytest.raises(imports.ImportRefusedError, match="nothing was imported: line 1"):
        imports.apply(desk, base, preview, revision=base.revision)
    assert desk.read_bytes() == before


def test_yaml_and_tbx_must_have_the_glossary_languages(desk: Path) -> None:
    other = (
        "source_language: de\ntarget_language: fr\nname: x\nterms:\n"
        "  - source: Gipfel\n    target: sommet\n"
    )
    preview = imports.preview_file(load_glossary(desk), other, "yaml", "skip")
    assert not preview.ok and "the file is de→fr; the glossary is de→en" in str(preview.errors[0])


@pytest.mark.parametrize(
    ("content", "fmt"),
    [
        ("", "tsv"),
        ("source\ttarget\n\n", "tsv"),
        (
            '<martif><text><body><termEntry><langSet xml:lang="de">'
            "<tig><term>A</term></tig></langSet>"
            '<langSet xml:lang="fr"><tig><term>a</term></tig></langSet></termEntry></body></text>'
            "</martif>",
            "tbx",
        ),
    ],
)
def test_a_file_without_terms_is_an_error_not_a_silent_no_op(
    desk: Path, content: str, fmt: str
) -> None:
    preview = imports.preview_file(load_glossary(desk), content, fmt, "skip")
    assert [e.message for e in preview.errors] == ["no de→en terms in the file"]


def test_a_merged_term_is_checked_as_a_whole(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    create_glossary(path, "F", "de", "en", [Term("Herrscher", "ruler", forbidden=("despot",))])
    preview = imports.preview_file(load_glossary(path), "Herrscher\tdespot\n", "tsv", "overwrite")
    assert [(e.where, e.field) for e in preview.errors] == [("line 1", "forbidden")]


# --- the write: one, atomic, careful of the file ------------------------------------------


def test_an_import_is_one_atomic_write(desk: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writes: list[Path] = []
    real = termwrite.atomic_write

    def counting(path: Path, data: bytes, **kwargs: Any) -> None:
        writes.append(path)
        real(path, data, **kwargs)

    monkeypatch.setattr(termwrite, "atomic_write", counting)
    text = "".join(f"Wort{i}\tword {i}\n" for i in range(500)) + "Kreml\tKremlin palace\n"
    preview, glossary = run_import(desk, text, "overwrite")
    assert writes == [desk] and len(preview.added) == 500 and len(preview.changed) == 1
    assert len(glossary.terms) == 503


def test_stale_revision_is_a_conflict_and_writes_nothing(desk: Path) -> None:
    base = load_glossary(desk)
    preview = imports.preview_file(base, "Gipfel\tsummit\n", "tsv", "skip")
    moved = add_term(desk, Term("Ende", "end"), revision=base.revision)
    with pytest.raises(ConflictError):
        imports.apply(desk, base, preview, revision=base.revision)
    with pytest.raises(ConflictError):  # the caller's revision must be the previewed one
        imports.apply(desk, moved, preview, revision=moved.revision)
    assert "Gipfel" not in terms_of(desk)


def test_returned_glossary_is_what_a_fresh_parse_reads(desk: Path) -> None:
    text = "source\ttarget\tnote\nVertrag\tpact\tline one\\nline two\nNeu\tnew\t\n"
    _, glossary = run_import(desk, text, "overwrite")
    fresh = load_glossary(desk)
    assert glossary.terms == fresh.terms and glossary.revision == fresh.revision  # lines too
    assert fresh.terms[0].note == "line one\nline two"


LAYOUTS = [
    ("crlf", FILE.replace("\n", "\r\n")),
    ("bom", "\ufeff" + FILE),
    ("dash-alone", FILE.replace("  - source: Kreml\n", "  -\n    source: Kreml\n")),
    (
        "block-note",
        FILE.replace(
            "    note: Diplomacy.\n", "    note: |\n      Diplomacy.\n      # not a comment\n\n"
        ),
    ),
    (
        "comment-inside",
        FILE.replace(
            "    target: Kremlin\n", "    # spelled as the wires do\n    target: Kremlin\n"
        ),
    ),
    ("other-key-after-terms", FILE.replace("name: Desk\n", "") + "name: Desk\n"),
    ("indent-0", FILE.replace("\n  - ", "\n- ").replace("\n    ", "\n  ").replace("  # ", "# ")),
    (
        "flow-list",
        "source_language: de\ntarget_language: en\nname: Desk\nterms: "
        "[{source: Vertrag, target: treaty, note: Diplomacy.}, "
        "{source: Kreml, target: Kremlin}, "
        "{source: Haushalt, target: budget, status: proposed}]\n",
    ),
    ("empty", "source_language: de\ntarget_language: en\nname: Desk\nterms: []\n"),
]


@pytest.mark.parametrize("text", [c[1] for c in LAYOUTS], ids=[c[0] for c in LAYOUTS])
def test_every_layout_gets_the_same_terms_and_keeps_its_comments(tmp_path: Path, text: str) -> None:
    path = tmp_path / "g.yaml"
    path.write_bytes(text.encode("utf-8"))
    before = {t.source: replace(t, line=None) for t in load_glossary(path).terms}
    update = "source\ttarget\tnote\nKreml\tKremlin palace\tWire spelling.\nGipfel\tsummit\t\n"
    _, glossary = run_import(path, update, "overwrite")
    after = load_glossary(path)
    assert glossary.terms == after.terms
    expected = dict(before)
    expected["Kreml"] = replace(
        before.get("Kreml", Term("Kreml", "")), target="Kremlin palace", note="Wire spelling."
    )
    expected["Gipfel"] = Term("Gipfel", "summit")
    assert {t.source: replace(t, line=None) for t in after.terms} == expected
    new_text = path.read_bytes().decode("utf-8")
    for comment in re.findall(r"#[^\r\n]*", text.replace("# not a comment", "")):
        assert comment in new_text
    assert new_text.count("\r\n") == (new_text.count("\n") if "\r\n" in text else 0)
    assert new_text.startswith("\ufeff") == text.startswith("\ufeff")


# --- the emitter: what it writes plain is read back the same by YAML 1.1 and 1.2 ---------------

TRICKY = [
    "yes",
    "No",
    "on",
    "1e3",
    "0o17",
    "0x1F",
    "1_000",
    "null",
    "~",
    "true",
    ".inf",
    "2024-01-01",
    "=",
    "<<",
    "- x",
    "a: b",
    "a:",
    "#x",
    "x #y",
    "'q'",
    '"q"',
    "[a]",
    "a,b",
    "{a}",
    "50%",
    "@x",
    "`x`",
    "!x",
    "&x",
    "*x",
    "|x",
    ">x",
    "?x",
    "%x",
    "ß",
    "\u00a0x",
    "é",
    "x\\y",
    "Kreml–Herrscher",
    "a\tb",
    "\ufeffx",
    "x\u2028y",
    "😀",
    "a'b\"c",
    ": x",
    "x:y",
]


@pytest.mark.parametrize("flow", [False, True])
def test_emitted_scalars_read_back_as_written(flow: bool) -> None:
    for text in TRICKY:
        written = bulkedit.scalar(text, flow=flow)
        document = f"k: [{written}]\n" if flow else f"k: {written}\n"
        assert YAML(typ="rt").load(document)["k"] == ([text] if flow else text), written
        assert yaml.load(document, yaml.SafeLoader)["k"] == ([text] if flow else text), written


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12), st.booleans())
def test_any_string_is_emitted_so_that_both_yaml_versions_read_it(text: str, flow: bool) -> None:
    written = bulkedit.scalar(text, flow=flow)
    document = f"k: [{written}]\n" if flow else f"k: {written}\n"
    expected = [text] if flow else text
    assert YAML(typ="rt").load(document)["k"] == expected
    assert yaml.load(document, yaml.SafeLoader)["k"] == expected


# --- the CLI ---------------------------------------------------------------------------------


def test_cli_dry_run_then_import_then_rerun(
    env: dict[str, str], desk: Path, tmp_path: Path
) -> None:
    upload = tmp_path / "new.tsv"
    upload.write_text(
        "source\ttarget\nGipfel\tsummit\nKreml\tKremlin palace\ngipfel\tpeak\n", encoding="utf-8"
    )
    before = desk.read_bytes()
    dry = run_glossary(env, "terms", "import", "--glossary", str(desk), str(upload), "--dry-run")
    out = dry.stdout.decode()
    assert dry.returncode == 0 and desk.read_bytes() == before, dry.stderr.decode()
    assert (
        "+ line 2: Gipfel → summit" in out
        and "! line 3: Kreml duplicates the glossary's" in out
        and "! line 4: gipfel duplicates line 2 'Gipfel': skipped" in out
    )
    assert "header (source, target)" in out
    assert (
        "would import: 1 added, 0 changed, 0 unchanged, 2 duplicates, 0 errors"
        in dry.stderr.decode()
    )
    fail = run_glossary(
        env, "terms", "import", "--glossary", str(desk), str(upload), "--on-duplicate", "fail"
    )
    assert fail.returncode == 2 and desk.read_bytes() == before
    assert "✗ line 3: source 'Kreml' is already in the glossary" in fail.stderr.decode()
    done = run_glossary(
        env,
        "terms",
        "import",
        "--glossary",
        str(desk),
        str(upload),
        "--on-duplicate",
        "overwrite",
        "--json",
    )
    assert done.returncode == 0, done.stderr.decode()
    assert json.loads(done.stdout)["counts"] == {
        "added": 1,
        "changed": 1,
        "unchanged": 0,
        "duplicates": 2,
        "errors": 0,
    }
    assert terms_of(desk)["gipfel"].target == "peak"  # the last row wins
    assert terms_of(desk)["Kreml"].target == "Kremlin palace"
    again = run_glossary(
        env,
        "terms",
        "import",
        "--glossary",
        str(desk),
        str(upload),
        "--on-duplicate",
        "overwrite",
        "--json",
    )
    assert json.loads(again.stdout)["counts"]["unchanged"] == 2 and again.returncode == 0


# --- the own API -----------------------------------------------------------------------------


@pytest.fixture
def app_settings(settings: Settings, tmp_path: Path) -> Settings:
    """The project's glossary and no model."""
    return replace(settings, terms_dir=project_terms(tmp_path))


def test_api_preview_apply_and_revision_checks(
    app: Flask, env: dict[str, str], tmp_path: Path
) -> None:
    client = app.test_client()
    path = tmp_path / "terms" / "de-en.yaml"
    content = "source\ttarget\nGipfeltreffen\tsummit\nKreml-Herrscher\tKremlin boss\n"
    body = {"format": "tsv", "content": content, "on_duplicate": "overwrite"}
    before = path.read_bytes()
    dry = client.post("/api/glossaries/de-en/import", json=body | {"dry_run": True})
    assert dry.status_code == 200 and path.read_bytes() == before
    assert dry.json["applied"] is False and dry.json["counts"]["added"] == 1
    assert dry.json["changed"][0]["old"]["target"] == "Kremlin ruler"
    assert dry.json["changed"][0]["new"]["target"] == "Kremlin boss"
    # the CLI's --dry-run --json gives the same preview
    upload = tmp_path / "up.tsv"
    upload.write_text(content, encoding="utf-8")
    cli = run_glossary(
        env,
        "terms",
        "import",
        "--glossary",
        str(path),
        str(upload),
        "--on-duplicate",
        "overwrite",
        "--dry-run",
        "--json",
    )
    assert {k: v for k, v in json.loads(cli.stdout).items() if k != "glossary"} == {
        k: v for k, v in dry.json.items() if k not in ("glossary", "applied")
    }
    assert client.post("/api/glossaries/de-en/import", json=body).status_code == 428
    stale = client.post(
        "/api/glossaries/de-en/import", json=body, headers={"If-Match": '"' + "0" * 64 + '"'}
    )
    assert stale.status_code == 412 and path.read_bytes() == before
    done = client.post(
        "/api/glossaries/de-en/import", json=body, headers={"If-Match": dry.headers["ETag"]}
    )
    assert done.status_code == 200 and done.json["applied"] is True
    assert done.headers["ETag"].strip('"') == revision_of(path.read_bytes())
    terms = client.get("/api/glossaries/de-en").json["terms"]
    assert {t["source"]: t["target"] for t in terms}["Kreml-Herrscher"] == "Kremlin boss"


def test_api_errors_are_400_with_the_preview_and_write_nothing(app: Flask, tmp_path: Path) -> None:
    client = app.test_client()
    path = tmp_path / "terms" / "de-en.yaml"
    before = path.read_bytes()
    etag = client.get("/api/glossaries/de-en").headers["ETag"]
    reply = client.post(
        "/api/glossaries/de-en/import",
        headers={"If-Match": etag},
        json={"format": "csv", "content": "Gipfel,summit\nEnde,\n"},
    )
    assert reply.status_code == 400 and path.read_bytes() == before
    assert reply.json["errors"] == [
        {"where": "line 2", "line": 2, "field": "target", "message": "is empty"}
    ]
    assert reply.json["error"].startswith("nothing was imported")
    for bad in (
        {"format": "docx", "content": "x"},
        {"format": "tsv", "content": "a\tb", "on_duplicate": "merge"},
        {"format": "tsv", "content": "a\tb", "dry_run": "yes"},
        {"format": "tsv", "content": "a\tb", "extra": 1},
    ):
        assert (
            client.post(
                "/api/glossaries/de-en/import",
                json=bad | {"dry_run": True} if "dry_run" not in bad else bad,
            ).status_code
            == 400
        ), bad
    assert (
        client.post(
            "/api/glossaries/nope/import",
            json={"format": "tsv", "content": "a\tb", "dry_run": True},
        ).status_code
        == 404
    )


# --- the page: upload → preview → confirm --------------------------------------------------


def _upload(
    client: FlaskClient, text: str, filename: str = "new.tsv", policy: str = "skip"
) -> tuple[int, str]:
    data = {
        "csrf_token": csrf_token(client, "/terms/de-en"),
        "on_duplicate": policy,
        "file": (BytesIO(text.encode("utf-8")), filename),
    }
    reply = client.post("/terms/de-en/import", data=data, content_type="multipart/form-data")
    return reply.status_code, reply.get_data(as_text=True)


def _confirm_form(page: str, client: FlaskClient, **changes: str) -> dict[str, str]:
    fields = dict(
        re.findall(
            r'<input type="hidden" name="([^"]+)" value="([^"]*)"',
            page.split('id="import-confirm"')[1],
        )
    )
    return fields | {"do": "import", "on_duplicate": fields["previewed"]} | changes


def test_page_preview_lists_everything_and_confirm_imports(app: Flask, tmp_path: Path) -> None:
    client = app.test_client()
    path = tmp_path / "terms" / "de-en.yaml"
    before = path.read_bytes()
    text = (
        "source\ttarget\tstatus\nGipfeltreffen\tsummit\tproposed\n"
        "Kreml-Herrscher\tKremlin boss\tapproved\ngipfeltreffen\tsummit meeting\tapproved\n"
        "Ende\t\tapproved\n"
    )
    status, page = _upload(client, text, policy="overwrite")
    assert status == 400 and path.read_bytes() == before  # an error: no confirm button
    assert 'id="import-errors"' in page and "<td>line 5</td><td>target</td>" in page
    assert 'id="confirm-import"' not in page and 'id="import-header"' in page
    status, page = _upload(client, text.rsplit("Ende", 1)[0], policy="overwrite")
    assert status == 200 and path.read_bytes() == before
    assert "<del>Kremlin ruler</del>" in page and "<ins>Kremlin boss</ins>" in page
    assert "<td>line 4</td><td>gipfeltreffen</td><td>line 2 (Gipfeltreffen)</td>" in page
    reply = client.post("/terms/de-en/import/confirm", data=_confirm_form(page, client))
    assert reply.status_code == 303
    terms = {t.source: t for t in load_glossary(path).terms}
    assert terms["gipfeltreffen"].target == "summit meeting"
    assert terms["Kreml-Herrscher"].target == "Kremlin boss"
    again = client.post("/terms/de-en/import/confirm", data=_confirm_form(page, client))
    assert again.status_code == 410  # the kept upload is gone once imported


def test_page_confirm_after_a_change_is_a_conflict_with_a_new_preview(
    app: Flask, tmp_path: Path
) -> None:
    client = app.test_client()
    path = tmp_path / "terms" / "de-en.yaml"
    status, page = _upload(client, "Gipfeltreffen\tsummit\n")
    assert status == 200
    add_term(
        path, Term("Gipfeltreffen", "summit meeting"), revision=load_glossary(path).revision
    )  # someone else, meanwhile
    changed = path.read_bytes()
    reply = client.post("/terms/de-en/import/confirm", data=_confirm_form(page, client))
    text = reply.get_data(as_text=True)
    assert reply.status_code == 409 and path.read_bytes() == changed
    assert "changed since the preview" in text and 'id="confirm-import"' not in text
    assert "the glossary's Gipfeltreffen" in text  # now a duplicate, skipped


def test_page_confirm_imports_only_what_was_previewed(app: Flask, tmp_path: Path) -> None:
    client = app.test_client()
    path = tmp_path / "terms" / "de-en.yaml"
    status, page = _upload(client, "Kreml-Herrscher\tKremlin boss\n")
    before = path.read_bytes()
    assert status == 200
    form = _confirm_form(page, client, on_duplicate="overwrite")  # not what the preview showed
    reply = client.post("/terms/de-en/import/confirm", data=form)
    assert reply.status_code == 200 and path.read_bytes() == before
    assert "<ins>Kremlin boss</ins>" in reply.get_data(as_text=True)  # the new preview
    other = app.test_client()  # another session cannot use the token
    form = _confirm_form(page, client) | {"csrf_token": csrf_token(other, "/terms/de-en")}
    assert other.post("/terms/de-en/import/confirm", data=form).status_code == 410
    for token in ("../../secret", "x" * 43 + "/", ""):
        form = _confirm_form(page, client, token=token)
        assert client.post("/terms/de-en/import/confirm", data=form).status_code == 410
    assert path.read_bytes() == before


def test_page_import_of_400_terms(
    app: Flask, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client = app.test_client()
    path = tmp_path / "terms" / "de-en.yaml"
    text = "".join(f"Begriff{i}\tterm {i}\n" for i in range(400))
    started = time.perf_counter()
    status, page = _upload(client, text)
    previewed = time.perf_counter()
    reply = client.post("/terms/de-en/import/confirm", data=_confirm_form(page, client))
    done = time.perf_counter()
    assert status == 200 and reply.status_code == 303
    assert sum(t.source.startswith("Begriff") for t in load_glossary(path).terms) == 400
    assert list((tmp_path / "home" / "state" / "imports").glob("*.json")) == []
    with capsys.disabled():
        print(
            f"\nweb import of 400 terms: preview {previewed - started:.2f} s, confirm "
            f"{done - previewed:.2f} s"
        )


# --- DeepL: the same policy -------------------------------------------------------------------


def test_deepl_merge_overwrites_target_keeps_the_rest_in_one_write(tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    path.write_text(
        "source_language: de\ntarget_language: en\nname: D\nterms:\n"
        "  # kept\n  - source: Hund\n    target: dog\n    note: pet\n",
        encoding="utf-8",
    )
    merged = imports.merge(
        path, load_glossary(path), imports.terms_from_tsv("hund\thound\nKatze\tcat\n")
    )
    assert [(t.source, t.target, t.note) for t in merged.terms] == [
        ("hund", "hound", "pet"),
        ("Katze", "cat", None),
    ]
    assert "  # kept\n" in path.read_text(encoding="utf-8")
    with pytest.raises(errors.EntriesError, match="line 2: source 'HUND' is a duplicate"):
        imports.terms_from_tsv("Hund\ta\nHUND\tb\n")  # DeepL refuses duplicate sources


# --- a SIGKILL mid-import ----------------------------------------------------------------------

KILLS = 20


def crash_importer(path: Path, scratch: Path, seed: int) -> None:
    """Imports 1,500 terms (overwrite: every one changes) in a loop until killed; before each
    import the same one into a copy, printing `next <revision>`, after it `done <revision>`."""
    import shutil

    base = load_glossary(path)
    print("start", base.revision, flush=True)
    for step in range(1_000_000):
        text = "".join(f"Wort{i}\tword {i} v{seed}.{step}\n" for i in range(1500))
        copy = Path(shutil.copy(path, scratch / path.name))
        preview = imports.preview_file(base, text, "tsv", "overwrite")
        expected = imports.apply(
            copy, replace(base, path=str(copy)), preview, revision=base.revision
        ).revision
        print("next", expected, flush=True)
        base = imports.apply(path, base, preview, revision=base.revision)  # as a reload reads
        print("done" if base.revision == expected else "mismatch", base.revision, flush=True)


@pytest.mark.slow  # 20 SIGKILLs
def test_sigkill_mid_import_leaves_the_old_or_the_new_file(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    terms, scratch = tmp_path / "terms", tmp_path / "scratch"
    terms.mkdir()
    scratch.mkdir()
    path = terms / "crash.yaml"
    create_glossary(path, "Crash", "de", "en", [Term("Herrscher", "ruler")])
    rng = random.Random(20240619)
    mid = at_new = 0
    for kill in range(KILLS):
        worker = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys; from pathlib import Path; from tests.test_imports "
                "import crash_importer; crash_importer(Path(sys.argv[1]), Path(sys.argv[2]), "
                "int(sys.argv[3]))",
                str(path),
                str(scratch),
                str(kill),
            ],
            env=process_env(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert worker.stdout is not None
        read = [worker.stdout.readline().decode().strip()]
        if kill % 2:  # at any moment
            time.sleep(rng.uniform(0.0, 1.2))
        else:  # inside the import itself: it takes about 0.3 s here
            while read[-1] and not read[-1].startswith("next "):
                read.append(worker.stdout.readline().decode().strip())
            time.sleep(rng.uniform(0.0, 0.4))
        worker.send_signal(signal.SIGKILL)
        rest, errors = worker.communicate(timeout=60)
        lines = [*read, *rest.decode().splitlines()]
        assert lines[0].startswith("start "), errors.decode()
        assert not any(line.startswith("mismatch") for line in lines), lines
        finished = [line.split()[1] for line in lines if line.startswith(("start ", "done "))]
        allowed = {finished[-1]}
        if lines[-1].startswith("next "):
            allowed.add(lines[-1].split()[1])
            mid += 1
        found = revision_of(path.read_bytes())
        assert found in allowed, f"kill {kill}: {found} not in {allowed}"
        at_new += lines[-1].startswith("next ") and found == lines[-1].split()[1]
        glossary = parse_glossary(path.read_bytes(), str(path))  # whole and valid
        assert len(glossary.terms) in (1, 1501)
    with capsys.disabled():
        print(
            f"\nimport crash safety: {KILLS} SIGKILLs, {mid} inside an import ({at_new} "
            "after the rename)"
        )


def test_page_export_carries_every_field_and_speaks_german(app: Flask) -> None:
    client = app.test_client()
    full = client.get("/terms/de-en/export.tsv").get_data(as_text=True).splitlines()
    basic = client.get("/terms/de-en/export.tsv?fields=basic").get_data(as_text=True)
    assert full[0].split("\t") == list(termrules.TERM_KEYS)
    assert "\nKreml-Herrscher\tKremlin ruler\n" in basic  # DeepL's two columns, no header
    assert all(
        line.count("\t") == 1 and not line.startswith("source\t") for line in basic.splitlines()
    )
    data = {
        "csrf_token": csrf_token(client, "/terms/de-en"),
        "on_duplicate": "skip",
        "file": (BytesIO(b"Gipfeltreffen\tsummit\n"), "x.tsv"),
    }
    page = client.post(
        "/terms/de-en/import?lang=de", data=data, content_type="multipart/form-data"
    ).get_data(as_text=True)
    assert "Importvorschau" in page and "Noch ist nichts gespeichert." in page


def test_a_broken_file_refuses_the_import_as_every_edit_does(app: Flask, tmp_path: Path) -> None:
    desk = tmp_path / "desk.yaml"
    desk.write_text(FILE, encoding="utf-8")
    base = load_glossary(desk)
    preview = imports.preview_file(base, "Gipfel\tsummit\n", "tsv", "skip")
    desk.write_text(FILE + "  - source: Vertrag\n    target: duplicate\n", encoding="utf-8")
    broken = desk.read_bytes()
    with pytest.raises(errors.BrokenFileError, match="invalid"):
        imports.apply(desk, base, preview, revision=base.revision)
    assert desk.read_bytes() == broken
    client = app.test_client()  # the page: the store still serves the last valid version
    status, page = _upload(client, "Gipfeltreffen\tsummit\n")
    path = tmp_path / "terms" / "de-en.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "  - bad\n", encoding="utf-8")
    reply = client.post("/terms/de-en/import/confirm", data=_confirm_form(page, client))
    assert reply.status_code == 409 and "is invalid" in reply.get_data(as_text=True)
    assert path.read_text(encoding="utf-8").endswith("  - bad\n") and status == 200
