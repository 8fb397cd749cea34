"""Lossless formats (issue 10): YAML → TBX → YAML and YAML → TSV/CSV (with a header line) →
YAML keep every field of every term; TBX uses TBX-Basic's own data categories where there is
one and admin data categories of our own otherwise."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glossary import imports
from glossary.errors import GlossaryFileError
from glossary.formats import (
    read_csv,
    read_tbx,
    read_tsv,
    terms_to_csv,
    terms_to_tbx,
    terms_to_tsv,
)
from glossary.term import Glossary, Term
from glossary.termcheck import check_terms
from glossary.termload import load_glossary
from glossary.termrules import TERM_KEYS

REPO = Path(__file__).resolve().parents[1]

EVERY_FIELD = """\
source_language: de
target_language: en
name: Every field
terms:
  - source: Achse
    target: axis
    target_plural: axes
    source_plural: Achsen
    pos: noun
    gender: f
  - source: NZZ
    target: NZZ
    match: exact
    case_sensitive: true
    note: Neue Zürcher Zeitung
  - source: Kreml-Herrscher
    target: Kremlin ruler
    target_plural: Kremlin rulers
    forbidden: [Kremlin lord, "Kremlin master | boss", 'back\\slash']
    note: "Line one\\nline two\\twith a tab & <xml> \\"quotes\\" | pipe \\\\ backslash"
    pos: noun
    gender: m
  - source: Waffen für Butter
    target: guns for butter
    status: proposed
    pos: phrase
  - source: alt
    target: old
    target_plural: olds
    status: deprecated
    forbidden: [older]
    pos: adjective
    case_sensitive: true
  - source: gegenseitig
    target: mutual
    match: exact
    pos: adverb
  - source: schmieden
    target: forge
    pos: verb
    status: proposed
    forbidden: [smith]
  - source: Regime
    target: regime
    pos: other
    gender: n
"""


@pytest.fixture
def original(tmp_path: Path) -> Glossary:
    path = tmp_path / "every.yaml"
    path.write_text(EVERY_FIELD, encoding="utf-8")
    return load_glossary(path)


def bare(terms: tuple[Term, ...] | list[Term]) -> list[Term]:
    return [replace(term, line=None) for term in terms]


def test_the_fixture_uses_every_field_and_value(original: Glossary) -> None:
    """So that the round trips below really cover every field."""
    terms = original.terms
    assert {t.pos for t in terms} >= {"noun", "verb", "adjective", "adverb", "phrase", "other"}
    assert {t.status for t in terms} == {"approved", "proposed", "deprecated"}
    assert {t.gender for t in terms} >= {"m", "f", "n"} and {t.match for t in terms} == {
        "inflected",
        "exact",
    }
    assert any(t.case_sensitive for t in terms) and any(t.target_plural for t in terms)
    assert any(len(t.forbidden) > 1 for t in terms) and any("\n" in (t.note or "") for t in terms)


def _into_empty_yaml(tmp_path: Path, content: str, fmt: str) -> list[Term]:
    """Import into a new, empty glossary file, the way the CLI, page and API do."""
    path = tmp_path / f"back-{fmt}.yaml"
    path.write_text(
        "source_language: de\ntarget_language: en\nname: Back\nterms: []\n", encoding="utf-8"
    )
    base = load_glossary(path)
    preview = imports.preview_file(base, content, fmt, "fail")
    assert preview.ok, preview.errors
    imports.apply(path, base, preview, revision=base.revision)
    return bare(load_glossary(path).terms)


@pytest.mark.parametrize("version", [2, 3])
def test_yaml_tbx_yaml_keeps_every_field(original: Glossary, tmp_path: Path, version: int) -> None:
    tbx = terms_to_tbx(original, version=version)
    assert _into_empty_yaml(tmp_path, tbx, "tbx") == bare(original.terms)


@pytest.mark.parametrize("fmt", ["tsv", "csv"])
def test_yaml_tsv_csv_yaml_keeps_every_field(original: Glossary, tmp_path: Path, fmt: str) -> None:
    exported = (
        terms_to_tsv(original.terms, all_fields=True)
        if fmt == "tsv"
        else terms_to_csv(original.terms, all_fields=True)
    )
    assert exported.splitlines()[0].split("\t" if fmt == "tsv" else ",") == list(TERM_KEYS)
    assert _into_empty_yaml(tmp_path, exported, fmt) == bare(original.terms)


def test_the_curated_glossary_survives_every_format(tmp_path: Path) -> None:
    curated = load_glossary(REPO / "terms" / "de-en.yaml")
    for fmt, content in [
        ("tbx", terms_to_tbx(curated)),
        ("tbx", terms_to_tbx(curated, version=3)),
        ("tsv", terms_to_tsv(curated.terms, all_fields=True)),
        (
            "csv",
            terms_to_csv(
                curated.terms, source_language="de", target_language="en", all_fields=True
            ),
        ),
    ]:
        assert _into_empty_yaml(tmp_path, content, fmt) == bare(curated.terms), fmt


def _holders(tbx: str) -> list[ET.Element]:
    return [
        el for el in ET.fromstring(tbx).iter() if el.tag.rsplit("}", 1)[-1] in ("tig", "termSec")
    ]


@pytest.mark.parametrize("version", [2, 3])
def test_tbx_uses_tbx_basic_categories_and_admin_for_the_rest(
    original: Glossary, version: int
) -> None:
    tbx = terms_to_tbx(original, version=version)
    notes = {
        (el.get("type"), el.text)
        for el in ET.fromstring(tbx).iter()
        if el.tag.rsplit("}", 1)[-1] == "termNote"
    }
    assert {
        ("grammaticalNumber", "plural"),
        ("grammaticalNumber", "singular"),
        ("grammaticalGender", "feminine"),
        ("partOfSpeech", "adverb"),
        ("termType", "phrase"),
        ("administrativeStatus", "preferredTerm-admn-sts"),
        ("administrativeStatus", "admittedTerm-admn-sts"),
        ("administrativeStatus", "deprecatedTerm-admn-sts"),
    } <= notes
    admin = {
        (el.get("type"), el.text)
        for el in ET.fromstring(tbx).iter()
        if el.tag.rsplit("}", 1)[-1] == "admin"
    }
    assert admin == {("x-match", "exact"), ("x-caseSensitive", "true")}
    for holder in _holders(tbx):  # TBX order: term, termNotes, then auxiliary admin
        kinds = [child.tag.rsplit("}", 1)[-1] for child in holder]
        assert kinds == sorted(kinds, key=["term", "termNote", "admin"].index), kinds
    plural = [h for h in _holders(tbx) if any(c.text == "axes" for c in h)]
    assert len(plural) == 1  # the plural is a target term of its own


FOREIGN = """<martif type="TBX-Basic"><text><body>
<termEntry id="a"><langSet xml:lang="de"><tig><term>Schere</term></tig></langSet>
  <langSet xml:lang="en"><tig><term>scissors</term>
    <termNote type="grammaticalNumber">plural</termNote></tig></langSet></termEntry>
<termEntry id="b"><langSet xml:lang="de"><tig><term>Maus</term></tig></langSet>
  <langSet xml:lang="en"><tig><term>mice</term>
    <termNote type="grammaticalNumber">plural</termNote></tig>
  <tig><term>mouse</term></tig></langSet></termEntry>
</body></text></martif>"""


def test_foreign_tbx_plural_forms() -> None:
    rows = read_tbx(FOREIGN, source_language="de", target_language="en").rows
    assert [(r.term.source, r.term.target, r.term.target_plural) for r in rows if r.term] == [
        ("Schere", "scissors", None),  # plural only: still the target, never lost
        ("Maus", "mouse", "mice"),
    ]


def test_tsv_cells_escape_what_tsv_cannot_hold() -> None:
    term = Term("Pakt", "pact", forbidden=("a|b", "c\\d"), note="tab\there\nnew\\line")
    text = terms_to_tsv([term], all_fields=True)
    row = text.splitlines()[1].split("\t")
    assert len(text.splitlines()) == 2 and len(row) == len(TERM_KEYS)
    assert row[TERM_KEYS.index("forbidden")] == "a\\|b|c\\\\d"
    assert row[TERM_KEYS.index("note")] == "tab\\there\\nnew\\\\line"
    assert bare([r.term for r in read_tsv(text).rows if r.term]) == [term]


def test_partial_columns_leave_the_rest_to_the_glossary(tmp_path: Path) -> None:
    rows = read_csv("target,note,source\nsummit,,Gipfel\n").rows
    assert rows[0].fields == frozenset({"source", "target", "note"})
    assert rows[0].term == Term("Gipfel", "summit")


# --- any term, any format --------------------------------------------------------------------

_WORD = st.text(
    st.characters(min_codepoint=32, max_codepoint=0x2FF, blacklist_characters="\x7f"),
    min_size=1,
    max_size=8,
)
_NOTE = st.text(
    st.characters(min_codepoint=9, max_codepoint=0x2FF, blacklist_characters="\x0b\x0c\x0d\x7f"),
    max_size=20,
)


@st.composite
def glossary_terms(draw: st.DrawFn) -> Term:
    source = draw(_WORD).strip() or "x"
    target = draw(_WORD).strip() or "y"
    forbidden = [w.strip() for w in draw(st.lists(_WORD, max_size=3))]
    return Term(
        source=source,
        target=target,
        target_plural=draw(st.none() | _WORD.map(lambda w: w.strip() or None)),
        source_plural=draw(st.none() | st.just(source + "en")),
        match=draw(st.sampled_from(["inflected", "exact"])),
        case_sensitive=draw(st.booleans()),
        forbidden=tuple(dict.fromkeys(w for w in forbidden if w and w != target)),
        status=draw(st.sampled_from(["approved", "proposed", "deprecated"])),
        note=draw(st.none() | _NOTE.map(lambda n: n.strip() or None)),
        pos=draw(st.sampled_from([None, "noun", "verb", "adjective", "adverb", "phrase", "other"])),
        gender=draw(st.sampled_from([None, "m", "f", "n"])),
    )


@settings(max_examples=150, deadline=None)
@given(glossary_terms())
def test_any_term_round_trips_through_every_format(term: Term) -> None:
    try:
        check_terms([term], "generated")
    except GlossaryFileError:
        return  # not a term a glossary could hold (the file's rules refuse it)
    glossary = Glossary("G", "de", "en", (term,))
    assert [r.term for r in read_tsv(terms_to_tsv([term], all_fields=True)).rows] == [term]
    assert [r.term for r in read_csv(terms_to_csv([term], all_fields=True)).rows] == [term]
    for version in (2, 3):
        rows = read_tbx(terms_to_tbx(glossary, version=version)).rows
        assert [r.term for r in rows] == [term]
