"""Whole-glossary edits (rename, merge, replace) in one atomic, revisioned write."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from glossary.errors import ConflictError
from glossary.term import Term
from glossary.termedit import merge_terms, rename_glossary, replace_terms
from glossary.termload import load_glossary

FILE = """\
# Curated for the news desk.
source_language: de
target_language: en
name: News
terms:
  # Politics
  - source: Vertrag
    target: treaty
    note: Not "contract" in diplomacy.
"""


@pytest.fixture
def path(tmp_path: Path) -> Path:
    target = tmp_path / "news.yaml"
    target.write_text(FILE, encoding="utf-8")
    return target


def test_merge_adds_and_retargets_keeping_notes_and_comments(path: Path) -> None:
    rev = load_glossary(path).revision
    merged = merge_terms(path, [Term("vertrag", "pact"), Term("Bündnis", "alliance")], revision=rev)
    text = path.read_text(encoding="utf-8")
    assert "# Curated for the news desk." in text and "# Politics" in text
    assert [(t.source, t.target, t.note) for t in merged.terms] == [
        ("vertrag", "pact", 'Not "contract" in diplomacy.'),
        ("Bündnis", "alliance", None),
    ]


def test_replace_and_rename(path: Path) -> None:
    replaced = replace_terms(path, [Term("Krieg", "war")], revision=load_glossary(path).revision)
    assert [t.source for t in replaced.terms] == ["Krieg"]
    renamed = rename_glossary(path, "Desk", revision=replaced.revision)
    assert renamed.name == "Desk" and renamed.terms == replaced.terms


@pytest.mark.parametrize(
    "edit",
    [
        lambda p: merge_terms(p, [Term("Krieg", "war")], revision="0" * 64),
        lambda p: replace_terms(p, [], revision="0" * 64),
        lambda p: rename_glossary(p, "X", revision="0" * 64),
    ],
)
def test_stale_revision_changes_nothing(path: Path, edit: object) -> None:
    with pytest.raises(ConflictError):
        edit(path)  # type: ignore[operator]
    assert path.read_text(encoding="utf-8") == FILE


def test_edit_sweeps_temp_files_a_killed_writer_left(path: Path) -> None:
    stale = path.parent / f".{path.name}.abc123.tmp"
    fresh = path.parent / f".{path.name}.def456.tmp"
    stale.write_text("half a file")
    fresh.write_text("maybe a live writer")
    os.utime(stale, (0, 0))
    rename_glossary(path, "Desk", revision=load_glossary(path).revision)
    assert not stale.exists() and fresh.exists()
