"""Glossary YAML files: validation errors with positions, safe loading, revisioned atomic edits
that keep every untouched byte, concurrent editors, and the directory store."""

from __future__ import annotations

import errno
import hashlib
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from glossary.errors import (
    ConflictError,
    GlossaryFileError,
    InputError,
    NotFoundError,
    TermsFolderError,
)
from glossary.store import GlossaryStore
from glossary.term import Glossary, Term
from glossary.termedit import add_term, remove_term, update_term
from glossary.termload import load_glossary, parse_glossary, revision_of
from glossary.termwrite import create_glossary
from glossary.termyaml import dump_term

REPO = Path(__file__).resolve().parents[1]
HEAD = "source_language: de\ntarget_language: en\nname: Test\nterms:\n"  # terms start on line 5


def doc(*term_lines: str) -> str:
    return HEAD + "".join(line + "\n" for line in term_lines)


# --- validation errors: (id, file text, line, column, message fragment) -------------------

ERROR_CASES: list[tuple[str, str, int, int, str]] = [
    ("syntax", HEAD + "  - source: [Kreml\n", 6, 1, "YAML syntax"),
    ("bad-indent", HEAD + "  - source: Kreml\n   target: x\n", 6, 4, "YAML syntax"),
    ("two-documents", HEAD + "---\na: 1\n", 5, 1, "single document"),
    ("top-list", "- source: Kreml\n", 1, 1, "top level must be a mapping"),
    ("empty-file", "", 1, 1, "top level must be a mapping"),
    (
        "missing-terms",
        "source_language: de\ntarget_language: en\nname: T\n",
        1,
        1,
        "missing required key 'terms'",
    ),
    (
        "unknown-top-key",
        HEAD + "  - source: A\n    target: a\nversion: 2\n",
        7,
        1,
        "version: unknown key; allowed keys are source_language, target_language, name, terms",
    ),
    (
        "upper-language",
        "source_language: DE\ntarget_language: en\nname: T\nterms: []\n",
        1,
        18,
        "source_language: must be a 2- or 3-letter lowercase language code",
    ),
    (
        "long-language",
        "source_language: de\ntarget_language: english\nname: T\nterms: []\n",
        2,
        18,
        "target_language: must be a 2- or 3-letter",
    ),
    (
        "empty-name",
        "source_language: de\ntarget_language: en\nname: ''\nterms: []\n",
        3,
        7,
        "name: must not be empty",
    ),
    (
        "terms-not-list",
        "source_language: de\ntarget_language: en\nname: T\nterms: Kreml\n",
        4,
        8,
        "terms: must be a list",
    ),
    ("entry-not-mapping", doc("  - Kreml"), 5, 5, "terms[0]: must be a mapping"),
    ("missing-target", doc("  - source: Kreml"), 5, 5, "terms[0]: missing required key 'target'"),
    (
        "empty-target",
        doc("  - source: Kreml", "    target: ''"),
        6,
        13,
        "terms[0].target: must not be empty",
    ),
    (
        "null-target",
        doc("  - source: Kreml", "    target:"),
        6,
        5,
        "terms[0].target: must not be empty",
    ),
    (
        "blank-source",
        doc("  - source: '  '", "    target: x"),
        5,
        13,
        "terms[0].source: must not be empty",
    ),
    (
        "number-target",
        doc("  - source: Kreml", "    target: 1984"),
        6,
        13,
        "must be a string, not a number",
    ),
    (
        "list-target",
        doc("  - source: Kreml", "    target: [a]"),
        6,
        13,
        "must be a string, not a list",
    ),
    (
        "unknown-term-key",
        doc("  - source: Kreml", "    target: x", "    colour: red"),
        7,
        5,
        "terms[0].colour: unknown key; allowed keys are source, target, target_plural, "
        "source_plural, match",
    ),
    (
        "bad-match",
        doc("  - source: A", "    target: a", "    match: fuzzy"),
        7,
        12,
        "terms[0].match: must be one of inflected, exact, not 'fuzzy'",
    ),
    (
        "yes-is-not-bool",
        doc("  - source: A", "    target: a", "    case_sensitive: yes"),
        7,
        21,
        "terms[0].case_sensitive: must be true or false",
    ),
    (
        "bad-status",
        doc("  - source: A", "    target: a", "    status: done"),
        7,
        13,
        "must be one of approved, proposed, deprecated",
    ),
    (
        "bad-pos",
        doc("  - source: A", "    target: a", "    pos: nomen"),
        7,
        10,
        "terms[0].pos: must be one of noun, verb, adjective, adverb, phrase, other",
    ),
    (
        "bad-gender",
        doc("  - source: A", "    target: a", "    gender: masc"),
        7,
        13,
        "terms[0].gender: must be one of m, f, n",
    ),
    (
        "forbidden-string",
        doc("  - source: A", "    target: a", "    forbidden: b"),
        7,
        16,
        "terms[0].forbidden: must be a list of strings",
    ),
    (
        "forbidden-target",
        doc("  - source: A", "    target: a", "    forbidden: [b, a]"),
        7,
        20,
        "terms[0].forbidden[1]: is the approved target itself",
    ),
    (
        "forbidden-empty",
        doc("  - source: A", "    target: a", "    forbidden:", "      - ''"),
        8,
        9,
        "terms[0].forbidden[0]: must not be empty",
    ),
    (
        "control-char",
        doc("  - source: A", '    target: "a\\ab"'),
        6,
        13,
        "terms[0].target: contains control character U+0007 at position 1",
    ),
    ("line-separator", doc("  - source: A", '    target: "a\\Lb"'), 6, 13, "U+2028"),
    ("padded", doc("  - source: A", "    target: ' a'"), 6, 13, "leading or trailing whitespace"),
    ("too-long", doc("  - source: A", "    target: " + "x" * 1025), 6, 13, "longer than 1024"),
    (
        "duplicate-key",
        doc("  - source: A", "    target: a", "    target: b"),
        7,
        5,
        "duplicate key",
    ),
    (
        "duplicate-source",
        doc("  - source: Kreml", "    target: a", "  - source: KREML", "    target: b"),
        7,
        13,
        "terms[1].source: duplicate of terms[0] 'Kreml' at line 5",
    ),
    (
        "duplicate-dash",
        doc(
            "  - source: Moskau-Pjöngjang",
            "    target: a",
            "  - source: Moskau – Pjöngjang",
            "    target: b",
        ),
        7,
        13,
        "duplicate of terms[0]",
    ),
    (
        "duplicate-eszett",
        doc(
            "  - source: Schulterschluss",
            "    target: a",
            "  - source: Schulterschluß",
            "    target: b",
        ),
        7,
        13,
        "duplicate",
    ),
    (
        "one-case-sensitive",
        doc(
            "  - source: NZZ",
            "    target: a",
            "    case_sensitive: true",
            "  - source: nzz",
            "    target: b",
        ),
        8,
        13,
        "duplicate of terms[0]",
    ),
    (
        "python-tag",
        doc("  - source: A", "    target: !!python/object/apply:os.system [echo]"),
        6,
        13,
        "YAML tags are not allowed in a glossary (found '!!python/object/apply:os.system')",
    ),
    ("str-tag", doc("  - source: A", "    target: !!str 1"), 6, 13, "YAML tags are not allowed"),
    ("anchor", doc("  - source: A", "    target: &t a"), 6, 13, "anchors and aliases"),
    ("alias", doc("  - source: A", "    target: a", "    note: *t"), 7, 11, "anchors and aliases"),
    ("nul-in-yaml", doc("  - source: A", "    target: a\x01b"), 6, 14, "U+0001 is not allowed"),
]


@pytest.mark.parametrize(
    ("text", "line", "column", "fragment"),
    [case[1:] for case in ERROR_CASES],
    ids=[case[0] for case in ERROR_CASES],
)
def test_validation_error_names_file_line_column(
    text: str, line: int, column: int, fragment: str
) -> None:
    with pytest.raises(GlossaryFileError) as caught:
        parse_glossary(text.encode("utf-8"), "terms/t.yaml")
    error = caught.value
    assert (error.path, error.line, error.column) == ("terms/t.yaml", line, column), str(error)
    assert fragment in error.message
    assert str(error) == f"terms/t.yaml:{line}:{column}: {error.message}"
    assert isinstance(error, InputError) and error.http_status == 400 and error.exit_code == 2


def test_non_utf8_names_byte_offset() -> None:
    data = doc("  - source: Kreml", "    target: Kremlin").encode("utf-8")
    data = data.replace(b"Kremlin", b"Kreml\xe4n")
    with pytest.raises(GlossaryFileError) as caught:
        parse_glossary(data, "t.yaml")
    offset = data.index(b"\xe4")
    assert (caught.value.line, caught.value.column) == (6, 18)
    assert f"byte 0xe4 at byte offset {offset}" in caught.value.message


def test_size_limit_is_configurable(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(doc("  - source: A", "    target: a"), encoding="utf-8")
    with pytest.raises(GlossaryFileError, match="limit of 20 bytes"):
        load_glossary(path, max_bytes=20)
    with pytest.raises(GlossaryFileError, match="the limit is 20 bytes"):
        parse_glossary(path.read_bytes(), "big.yaml", max_bytes=20)
    assert len(load_glossary(path).terms) == 1


def test_case_sensitive_pair_may_differ_in_case() -> None:
    text = doc(
        "  - source: AfD",
        "    target: AfD",
        "    case_sensitive: true",
        "  - source: afd",
        "    target: x",
        "    case_sensitive: true",
    )
    assert [t.source for t in parse_glossary(text.encode(), "t.yaml").terms] == ["AfD", "afd"]


def test_deep_nesting_is_refused() -> None:
    text = HEAD + "  - source: A\n    target: a\n    note: " + "[" * 200 + "]" * 200 + "\n"
    with pytest.raises(GlossaryFileError, match="nested deeper than 20 levels"):
        parse_glossary(text.encode(), "t.yaml")


# --- hostile YAML --------------------------------------------------------------------------

BILLION_LAUGHS = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
    )
    + "source_language: de\ntarget_language: en\nname: x\nterms: *i\n"
)


def test_billion_laughs_is_refused_quickly() -> None:
    started = time.perf_counter()
    with pytest.raises(GlossaryFileError, match="anchors and aliases") as caught:
        parse_glossary(BILLION_LAUGHS.encode(), "bomb.yaml")
    assert time.perf_counter() - started < 1.0
    assert (caught.value.line, caught.value.column) == (1, 4)


def test_python_object_tag_constructs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = doc("  - source: A", f"    target: !!python/object/apply:os.system ['touch {marker}']")
    started = time.perf_counter()
    with pytest.raises(GlossaryFileError, match="tags are not allowed"):
        parse_glossary(text.encode(), "evil.yaml")
    assert time.perf_counter() - started < 1.0
    assert not marker.exists()


# --- loading ------------------------------------------------------------------------------

COMMENTED = """\
# Politics glossary: hand-written, with comments that must survive edits.
source_language: de   # German
target_language: en
name: "Politics"
terms:
  # --- People ---
  - source: Wladimir Putin   # full name first
    target: Vladimir Putin
    forbidden: [Wladimir Putin]
  - source: 'Kim Jong Un'
    target: Kim Jong Un
    note: |
      Passes through.
      # this line is part of the note, not a comment

  # --- Places ---
  - source: Pjöngjang
    target: Pyongyang    # romanised
  # a comment after the last entry
"""


def write(tmp_path: Path, text: str = COMMENTED, name: str = "g.yaml") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def test_load_sets_path_revision_and_lines(tmp_path: Path) -> None:
    path = write(tmp_path)
    glossary = load_glossary(path)
    assert glossary.path == str(path)
    assert glossary.revision == hashlib.sha256(path.read_bytes()).hexdigest()
    assert glossary.revision == revision_of(path.read_bytes())
    assert [(t.source, t.line) for t in glossary.terms] == [
        ("Wladimir Putin", 7),
        ("Kim Jong Un", 10),
        ("Pjöngjang", 17),
    ]
    note = glossary.terms[1].note
    assert note == "Passes through.\n# this line is part of the note, not a comment"


def test_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        load_glossary(tmp_path / "nope.yaml")


DUMP_CASES: list[tuple[Term, dict[str, object]]] = [
    (Term("A", "a"), {"source": "A", "target": "a"}),
    (
        Term("A", "a", match="exact", case_sensitive=True),
        {"source": "A", "target": "a", "match": "exact", "case_sensitive": True},
    ),
    (
        Term(
            "A",
            "a",
            target_plural="as",
            forbidden=("b",),
            status="proposed",
            note="n",
            pos="noun",
            gender="f",
            line=9,
        ),
        {
            "source": "A",
            "target": "a",
            "target_plural": "as",
            "forbidden": ["b"],
            "status": "proposed",
            "note": "n",
            "pos": "noun",
            "gender": "f",
        },
    ),
]


@pytest.mark.parametrize(("term", "expected"), DUMP_CASES)
def test_dump_term_writes_only_non_defaults(term: Term, expected: dict[str, object]) -> None:
    assert dump_term(term) == expected
    assert list(dump_term(term)) == list(expected)


# --- edits keep every untouched byte ------------------------------------------------------

NEW_TERM_LINES = "  - source: Nordkorea\n    target: North Korea\n    pos: noun\n    gender: n\n"
NEW_TERM = Term("Nordkorea", "North Korea", pos="noun", gender="n")
LAST_ENTRY = "  - source: Pjöngjang\n    target: Pyongyang    # romanised\n"

Edit = Callable[[Path, str], Glossary]  # (path, revision) -> new state

EDIT_CASES: list[tuple[str, Edit, str]] = [
    (
        "add-after-last-entry-before-trailing-comment",
        lambda p, r: add_term(p, NEW_TERM, revision=r),
        COMMENTED.replace(LAST_ENTRY, LAST_ENTRY + NEW_TERM_LINES),
    ),
    (
        "update-keeps-eol-comments-of-unchanged-keys",
        lambda p, r: update_term(
            p, "Pjöngjang", Term("Pjöngjang", "Pyongyang", forbidden=("Pjöngjang",)), revision=r
        ),
        COMMENTED.replace(LAST_ENTRY, LAST_ENTRY + "    forbidden: [Pjöngjang]\n"),
    ),
    (
        "update-found-case-insensitively-may-rename",
        lambda p, r: update_term(p, "wladimir putin", Term("W. Putin", "V. Putin"), revision=r),
        COMMENTED.replace(
            "  - source: Wladimir Putin   # full name first\n    target: Vladimir Putin\n"
            "    forbidden: [Wladimir Putin]\n",
            # An end-of-line comment keeps its column.
            "  - source: W. Putin         # full name first\n    target: V. Putin\n",
        ),
    ),
    (
        "remove-middle-keeps-section-comment",
        lambda p, r: remove_term(p, "Kim Jong Un", revision=r),
        COMMENTED.replace(
            "  - source: 'Kim Jong Un'\n    target: Kim Jong Un\n"
            "    note: |\n      Passes through.\n"
            "      # this line is part of the note, not a comment\n",
            "",  # the blank line before the next section stays
        ),
    ),
    (
        "remove-first-keeps-heading",
        lambda p, r: remove_term(p, "Wladimir Putin", revision=r),
        COMMENTED.replace(
            "  - source: Wladimir Putin   # full name first\n    target: Vladimir Putin\n"
            "    forbidden: [Wladimir Putin]\n",
            "",
        ),
    ),
    (
        "remove-last-keeps-trailing-comment",
        lambda p, r: remove_term(p, "Pjöngjang", revision=r),
        COMMENTED.replace(LAST_ENTRY, ""),
    ),
]


@pytest.mark.parametrize(
    ("edit", "expected"), [c[1:] for c in EDIT_CASES], ids=[c[0] for c in EDIT_CASES]
)
def test_edit_changes_only_the_entry_byte_for_byte(
    tmp_path: Path, edit: Edit, expected: str
) -> None:
    path = write(tmp_path)
    before = load_glossary(path)
    after = edit(path, before.revision)
    assert path.read_text(encoding="utf-8") == expected
    assert after == load_glossary(path)
    assert after.revision == revision_of(expected.encode("utf-8")) != before.revision


def test_edits_keep_crlf_and_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeff" + COMMENTED.replace("\n", "\r\n"))
    glossary = add_term(path, NEW_TERM, revision=load_glossary(path).revision)
    expected = COMMENTED.replace(LAST_ENTRY, LAST_ENTRY + NEW_TERM_LINES).replace("\n", "\r\n")
    assert path.read_bytes() == ("\ufeff" + expected).encode("utf-8")
    assert glossary.terms[-1] == replace(NEW_TERM, line=19)


def test_create_then_grow_and_shrink(tmp_path: Path) -> None:
    path = tmp_path / "new.yaml"
    glossary = create_glossary(path, "New", "de", "en", [])
    assert path.read_text() == "source_language: de\ntarget_language: en\nname: New\nterms: []\n"
    glossary = add_term(path, Term("A", "a"), revision=glossary.revision)
    glossary = add_term(path, Term("B", "b", forbidden=("c",)), revision=glossary.revision)
    assert path.read_text().endswith(
        "terms:\n  - source: A\n    target: a\n  - source: B\n    target: b\n    forbidden: [c]\n"
    )
    glossary = remove_term(path, "A", revision=glossary.revision)
    glossary = remove_term(path, "B", revision=glossary.revision)
    assert glossary.terms == () and path.read_text().endswith("terms: []\n")


def test_create_writes_what_it_returns_and_refuses_to_overwrite(tmp_path: Path) -> None:
    terms = [Term("Kreml", "Kremlin", note="a: b # not a comment", forbidden=("x, y",))]
    path = tmp_path / "c.yaml"
    created = create_glossary(path, "C", "de", "en", terms)
    assert created == load_glossary(path)
    assert [replace(t, line=None) for t in created.terms] == terms
    before = path.read_bytes()
    with pytest.raises(ConflictError, match="already exists"):
        create_glossary(path, "Other", "de", "en", [])
    assert path.read_bytes() == before


def test_create_refuses_invalid_terms_and_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(GlossaryFileError, match="duplicate"):
        create_glossary(tmp_path / "d.yaml", "D", "de", "en", [Term("A", "a"), Term("a", "b")])
    assert not (tmp_path / "d.yaml").exists()


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def test_stale_revision_is_a_conflict_and_changes_nothing(tmp_path: Path) -> None:
    path = write(tmp_path)
    stale = load_glossary(path).revision
    current = add_term(path, Term("Kreml", "Kremlin"), revision=stale).revision
    before = path.read_bytes()
    with pytest.raises(ConflictError) as caught:
        remove_term(path, "Kreml", revision=stale)
    assert stale in str(caught.value) and current in str(caught.value)
    assert caught.value.http_status == 409
    assert path.read_bytes() == before


@pytest.mark.parametrize("edit", ["update", "remove"])
def test_edit_from_a_stale_copy_is_a_conflict_not_a_missing_term(tmp_path: Path, edit: str) -> None:
    """A server answers with its copy in hand while another request reloads the file, so a
    client can read, and name, a revision from before a term it added itself: the edit is
    refused as stale (412), not as a missing term (404), as the concurrent-editors test
    found."""
    path = write(tmp_path)
    old = load_glossary(path)
    add_term(path, Term("Kreml", "Kremlin"), revision=old.revision)
    before = path.read_bytes()
    with pytest.raises(ConflictError, match=old.revision):
        if edit == "update":
            update_term(
                path, "Kreml", Term("Kreml", "the Kremlin"), revision=old.revision, base=old
            )
        else:
            remove_term(path, "Kreml", revision=old.revision, base=old)
    assert path.read_bytes() == before


def test_edit_of_a_missing_term_at_the_current_revision_is_not_found(tmp_path: Path) -> None:
    path = write(tmp_path)
    current = load_glossary(path)
    with pytest.raises(NotFoundError, match="no term with source 'Kreml'"):
        remove_term(path, "Kreml", revision=current.revision, base=current)


INVALID_EDITS: list[tuple[str, Edit, str]] = [
    ("duplicate", lambda p, r: add_term(p, Term("PJÖNGJANG", "x"), revision=r), "duplicate"),
    (
        "empty-target",
        lambda p, r: update_term(p, "Pjöngjang", Term("Pjöngjang", ""), revision=r),
        "must not be empty",
    ),
    ("bad-enum", lambda p, r: add_term(p, Term("X", "x", pos="thing"), revision=r), "pos"),
    ("unknown-source", lambda p, r: remove_term(p, "Berlin", revision=r), "no term"),
]


@pytest.mark.parametrize(
    ("edit", "fragment"), [c[1:] for c in INVALID_EDITS], ids=[c[0] for c in INVALID_EDITS]
)
def test_invalid_edit_is_refused_and_file_unchanged(
    tmp_path: Path, edit: Edit, fragment: str
) -> None:
    path = write(tmp_path)
    with pytest.raises(InputError, match=fragment):
        edit(path, load_glossary(path).revision)
    assert path.read_text(encoding="utf-8") == COMMENTED
    assert leftovers(tmp_path) == []


def test_crash_before_rename_leaves_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path)
    revision = load_glossary(path).revision

    def crash(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(TermsFolderError, match="No space"):  # said, not a bare OSError
        add_term(path, NEW_TERM, revision=revision)
    assert path.read_text(encoding="utf-8") == COMMENTED
    assert leftovers(tmp_path) == []
    monkeypatch.undo()
    add_term(path, NEW_TERM, revision=revision)  # the same edit goes through afterwards
    assert load_glossary(path).terms[-1].source == "Nordkorea"


def test_edit_keeps_file_mode(tmp_path: Path) -> None:
    path = write(tmp_path)
    path.chmod(0o640)
    add_term(path, NEW_TERM, revision=load_glossary(path).revision)
    assert path.stat().st_mode & 0o777 == 0o640


def _add_with_retry(path: str, worker: int) -> None:
    """One editor process: read the revision, add, and on a conflict read again and retry."""
    for number in range(10):
        term = Term(f"Begriff {worker}-{number}", f"term {worker}-{number}")
        while True:
            try:
                add_term(Path(path), term, revision=load_glossary(Path(path)).revision)
                break
            except ConflictError:
                continue


def test_concurrent_editors_lose_nothing(tmp_path: Path) -> None:
    path = write(tmp_path)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_add_with_retry, args=(str(path), w)) for w in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0, 0, 0, 0]
    sources = {term.source for term in load_glossary(path).terms}
    assert {f"Begriff {w}-{n}" for w in range(4) for n in range(10)} <= sources
    assert len(sources) == 43
    assert path.read_text(encoding="utf-8").startswith(COMMENTED.split("  # a comment after")[0])
    assert leftovers(tmp_path) == []


# --- the store -----------------------------------------------------------------------------


def test_store_lists_and_gets(tmp_path: Path) -> None:
    write(tmp_path, name="b.yaml")
    write(tmp_path, doc("  - source: A", "    target: a"), name="a.yaml")
    (tmp_path / "notes.txt").write_text("not a glossary")
    store = GlossaryStore(tmp_path)
    assert store.names() == ["a", "b"]
    assert [g.name for g in store.list()] == ["Test", "Politics"]
    assert store.get("b").terms[0].target == "Vladimir Putin"
    with pytest.raises(NotFoundError):
        store.get("c")


def test_store_keeps_last_good_version_and_reports(tmp_path: Path) -> None:
    path = write(tmp_path)
    store = GlossaryStore(tmp_path)
    good = store.get("g")
    path.write_text(COMMENTED.replace("target: Pyongyang", "target: ''"), encoding="utf-8")
    assert store.get("g") is good
    error = store.errors["g"]
    assert (error.line, error.column) == (18, 13) and "must not be empty" in error.message
    assert [g.name for g in store.list()] == ["Politics"]
    path.write_text(COMMENTED.replace("Pyongyang", "P'yŏngyang"), encoding="utf-8")
    assert store.get("g").terms[-1].target == "P'yŏngyang"
    assert store.errors == {}


def test_store_sees_edits_and_deletions(tmp_path: Path) -> None:
    path = write(tmp_path)
    store = GlossaryStore(tmp_path)
    added = add_term(path, NEW_TERM, revision=store.get("g").revision)
    assert store.get("g") == added
    path.unlink()
    with pytest.raises(NotFoundError):
        store.get("g")
    assert store.list() == []


def test_store_reports_a_file_that_never_was_valid(tmp_path: Path) -> None:
    write(tmp_path, "terms: [", name="bad.yaml")
    store = GlossaryStore(tmp_path)
    assert store.list() == []
    assert "YAML syntax" in str(store.errors["bad"])
    with pytest.raises(GlossaryFileError):
        store.get("bad")


TRAVERSALS = ["../secret", "..", ".", ".hidden", "a/b", "a\\b", "", "x y", "/etc/passwd", "ü"]


@pytest.mark.parametrize("name", TRAVERSALS)
def test_store_refuses_names_that_leave_the_directory(tmp_path: Path, name: str) -> None:
    (tmp_path / "secret.yaml").write_text(COMMENTED)
    store = GlossaryStore(tmp_path / "terms")
    (tmp_path / "terms").mkdir()
    with pytest.raises(InputError, match="invalid glossary name"):
        store.get(name)


def test_store_refuses_a_symlink_out_of_the_directory(tmp_path: Path) -> None:
    (tmp_path / "outside.yaml").write_text(COMMENTED)
    (tmp_path / "terms").mkdir()
    (tmp_path / "terms" / "link.yaml").symlink_to(tmp_path / "outside.yaml")
    with pytest.raises(InputError, match="symbolic link"):  # every link is ignored
        GlossaryStore(tmp_path / "terms").get("link")


def test_store_is_thread_safe_under_edits(tmp_path: Path) -> None:
    path = write(tmp_path)
    store = GlossaryStore(tmp_path)
    failures: list[BaseException] = []

    def read() -> None:
        try:
            for _ in range(50):
                assert store.get("g").terms[0].source == "Wladimir Putin"
        except BaseException as exc:  # collected for the assertion below
            failures.append(exc)

    readers = [threading.Thread(target=read) for _ in range(4)]
    for reader in readers:
        reader.start()
    for number in range(5):
        add_term(path, Term(f"T{number}", "t"), revision=load_glossary(path).revision)
    for reader in readers:
        reader.join()
    assert failures == []
    assert len(store.get("g").terms) == 8


# --- the curated glossary -------------------------------------------------------------------

REQUIRED_TERMS = {
    "Kreml-Herrscher": "Kremlin ruler",
    "Waffen für Butter": "guns for butter",
    "Nordkorea-Diktator": "North Korean dictator",
    "Achse Moskau–Pjöngjang": "Moscow–Pyongyang axis",
    "Schulterschluss": "close alliance",
    "Sanktionsregime": "sanctions regime",
    "Partnerschaftsvertrag": "partnership treaty",
    "Atomwaffenprogramm": "nuclear weapons programme",
    "Wladimir Putin": "Vladimir Putin",
    "Pjöngjang": "Pyongyang",
    "Kim Jong Un": "Kim Jong Un",
    "Nordkorea": "North Korea",
    "Kreml": "Kremlin",
    "Weltmacht": "world power",
    "Feindbild": "bogeyman",
    "Staatsbesuch": "state visit",
    "gegenseitiger Beistand": "mutual assistance",
    "Vertragspartei": "contracting party",
    "Nachrichtenagentur": "news agency",
    "Machthaber": "ruler",
    "Artilleriegeschoss": "artillery shell",
    "Überlebenswille": "will to survive",
    "Neue Zürcher Zeitung": "Neue Zürcher Zeitung",
    "Corona-Pandemie": "COVID-19 pandemic",
    "Russen-Präsident": "Russian president",
    "Diktator": "dictator",
    "Regime": "regime",
}


def test_curated_glossary_loads_with_the_required_terms() -> None:
    glossary = load_glossary(REPO / "terms" / "de-en.yaml")
    assert glossary.name == "Politics and news (de→en)"
    assert (glossary.source_language, glossary.target_language) == ("de", "en")
    assert len(glossary.terms) >= 35
    targets = {term.source: term.target for term in glossary.terms}
    assert {source: targets.get(source) for source in REQUIRED_TERMS} == REQUIRED_TERMS
    ruler = next(t for t in glossary.terms if t.source == "Kreml-Herrscher")
    assert set(ruler.forbidden) >= {"Kremlin lord", "Kremlin master"}
    assert next(t for t in glossary.terms if t.source == "Schulterschluss").note
    assert all(term.enforced for term in glossary.terms)
    assert "programme" in (REPO / "terms" / "de-en.yaml").read_text(encoding="utf-8")[:400]


def test_create_without_hard_links_still_refuses_to_overwrite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(src: str, dst: str) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    path = tmp_path / "fs.yaml"
    create_glossary(path, "FS", "de", "en", [Term("A", "a")])
    assert len(load_glossary(path).terms) == 1
    with pytest.raises(ConflictError):
        create_glossary(path, "FS", "de", "en", [])
    assert len(load_glossary(path).terms) == 1
    assert leftovers(tmp_path) == []


SOURCE_PLURAL = """\
source_language: de
target_language: en
name: Plurals
terms:
  - source: Praxis
    target: practice
    source_plural: Praxen
  - source: klinische Praxis
    target: clinical practice
    source_plural: {plural}
"""


def test_source_plural_is_read_and_written_back(tmp_path: Path) -> None:
    glossary = parse_glossary(SOURCE_PLURAL.format(plural="klinische Praxen").encode(), "p.yaml")
    assert [t.source_plural for t in glossary.terms] == ["Praxen", "klinische Praxen"]
    path = tmp_path / "p.yaml"
    create_glossary(path, "Plurals", "de", "en", glossary.terms)
    assert [t.source_plural for t in load_glossary(path).terms] == ["Praxen", "klinische Praxen"]
    assert "source_plural: Praxen\n" in path.read_text(encoding="utf-8")


def test_source_plural_must_pair_word_for_word() -> None:
    with pytest.raises(GlossaryFileError) as caught:
        parse_glossary(SOURCE_PLURAL.format(plural="Praxen").encode(), "p.yaml")
    assert (caught.value.line, caught.value.column) == (10, 20)
    assert "terms[1].source_plural: must have as many words as the source (2)" in str(caught.value)
