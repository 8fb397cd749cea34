"""Import/export: DeepL TSV and CSV entries (each error names its line), TBX-Basic v2/v3 round
trips, foreign TBX files, and hostile XML refused."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from pathlib import Path

import pytest

from glossary.errors import EntriesError, GlossaryFileError, InputError
from glossary.formats import glossary_from_tbx, terms_to_csv, terms_to_tbx, terms_to_tsv

# The strict DeepL entry readers live beside the duplicate policy they apply (issue 10).
from glossary.imports import terms_from_csv, terms_from_tsv
from glossary.term import Glossary, Term
from glossary.termload import load_glossary

REPO = Path(__file__).resolve().parents[1]


def pairs(terms: list[Term]) -> list[tuple[str, str]]:
    return [(term.source, term.target) for term in terms]


# --- TSV ----------------------------------------------------------------------------------

TSV_CASES: list[tuple[str, str, list[tuple[str, str]]]] = [
    ("one", "Kreml\tKremlin\n", [("Kreml", "Kremlin")]),
    ("no-final-newline", "Kreml\tKremlin", [("Kreml", "Kremlin")]),
    (
        "blank-lines-skipped",
        "\nKreml\tKremlin\n\n   \nPutin\tPutin\n\n",
        [("Kreml", "Kremlin"), ("Putin", "Putin")],
    ),
    ("crlf", "Kreml\tKremlin\r\nPutin\tPutin\r\n", [("Kreml", "Kremlin"), ("Putin", "Putin")]),
    ("spaces-trimmed", "  Kreml \t Kremlin  \n", [("Kreml", "Kremlin")]),
    (
        "punctuation-kept",
        "Achse Moskau–Pjöngjang\tMoscow–Pyongyang axis\n",
        [("Achse Moskau–Pjöngjang", "Moscow–Pyongyang axis")],
    ),
    (
        "quotes-are-text",
        '"Waffen für Butter"\t"guns for butter"\n',
        [('"Waffen für Butter"', '"guns for butter"')],
    ),
    ("empty", "", []),
]


@pytest.mark.parametrize(
    ("text", "expected"), [c[1:] for c in TSV_CASES], ids=[c[0] for c in TSV_CASES]
)
def test_tsv_import(text: str, expected: list[tuple[str, str]]) -> None:
    assert pairs(terms_from_tsv(text)) == expected


TSV_ERRORS: list[tuple[str, str, int, str]] = [
    ("no-tab", "Kreml\tKremlin\n\nPutin Putin\n", 3, "no tab between source and target"),
    ("second-tab", "Kreml\tKremlin\tx\n", 1, "more than one tab"),
    ("empty-source", "Kreml\tKremlin\n\tPutin\n", 2, "source is empty"),
    ("empty-target", "Kreml\t \n", 1, "target is empty"),
    ("tab-only", "\t\n", 1, "source is empty"),
    # the message of the shared duplicate policy (glossary/imports.py, issue 10)
    (
        "duplicate",
        "Kreml\tKremlin\nPutin\tPutin\nKREML\tx\n",
        3,
        "source 'KREML' is a duplicate (first on line 1)",
    ),
    ("duplicate-dash", "Moskau-Pjöngjang\ta\nMoskau–Pjöngjang\tb\n", 2, "is a duplicate"),
    ("c0", "Kre\x07ml\tKremlin\n", 1, "source contains control character U+0007 at position 3"),
    ("c1", "Kreml\tKrem\x85lin\n", 1, "target contains control character U+0085"),
    ("lone-cr", "Kreml\tKrem\rlin\n", 1, "U+000D"),
    ("line-separator", "Kreml\tKremlin\u2028\n", 1, "U+2028"),
    ("paragraph-separator", "A\ta\nKreml\u2029\tKremlin\n", 2, "U+2029"),
    ("too-long", "Kreml\t" + "x" * 1025 + "\n", 1, "longer than 1024 UTF-8 bytes"),
]


@pytest.mark.parametrize(
    ("text", "line", "fragment"), [c[1:] for c in TSV_ERRORS], ids=[c[0] for c in TSV_ERRORS]
)
def test_tsv_errors_name_the_line(text: str, line: int, fragment: str) -> None:
    with pytest.raises(EntriesError) as caught:
        terms_from_tsv(text)
    assert caught.value.line == line
    assert fragment in caught.value.message
    assert str(caught.value) == f"line {line}: {caught.value.message}"
    assert isinstance(caught.value, InputError) and caught.value.http_status == 400


def test_tsv_size_limit() -> None:
    with pytest.raises(EntriesError, match="limit is 10 bytes"):
        terms_from_tsv("Kreml\tKremlin\n", max_bytes=10)


EXPORT_REFUSALS = [
    ("tab", Term("Kre\tml", "Kremlin"), "term 1 source contains control character U+0009"),
    ("newline", Term("Kreml", "Krem\nlin"), "term 1 target contains control character U+000A"),
]


@pytest.mark.parametrize(
    ("term", "fragment"), [c[1:] for c in EXPORT_REFUSALS], ids=[c[0] for c in EXPORT_REFUSALS]
)
def test_export_refuses_what_the_format_cannot_hold(term: Term, fragment: str) -> None:
    for export in (terms_to_tsv, terms_to_csv):
        with pytest.raises(EntriesError, match=re.escape(fragment)):
            export([term])


def test_tsv_export_format() -> None:
    assert (
        terms_to_tsv([Term("Kreml", "Kremlin"), Term("Putin", "Putin")])
        == "Kreml\tKremlin\nPutin\tPutin\n"
    )


# --- CSV ----------------------------------------------------------------------------------

CSV_CASES: list[tuple[str, str, list[tuple[str, str]]]] = [
    ("plain", "Kreml,Kremlin\nPutin,Putin\n", [("Kreml", "Kremlin"), ("Putin", "Putin")]),
    ("quoted-comma", '"Waffen, Butter","guns, butter"\n', [("Waffen, Butter", "guns, butter")]),
    ("doubled-quote", '"„Deal“ ""X""",x\n', [('„Deal“ "X"', "x")]),
    (
        "languages",
        "Kreml,Kremlin,de,en\nPutin,Putin,DE,EN\n",
        [("Kreml", "Kremlin"), ("Putin", "Putin")],
    ),
    ("blank-lines", "\nKreml,Kremlin\n\n", [("Kreml", "Kremlin")]),
    ("crlf", "Kreml,Kremlin\r\nPutin,Putin\r\n", [("Kreml", "Kremlin"), ("Putin", "Putin")]),
]


@pytest.mark.parametrize(
    ("text", "expected"), [c[1:] for c in CSV_CASES], ids=[c[0] for c in CSV_CASES]
)
def test_csv_import(text: str, expected: list[tuple[str, str]]) -> None:
    assert pairs(terms_from_csv(text, source_language="de", target_language="en")) == expected


CSV_ERRORS: list[tuple[str, str, int, str]] = [
    ("three-columns", "Kreml,Kremlin\nPutin,Putin,de\n", 2, "expected 2 or 4 columns"),
    ("one-column", "Kreml\n", 1, "found 1"),
    ("wrong-language", "Kreml,Kremlin,de,fr\n", 1, "target_lang is 'fr', expected 'en'"),
    (
        "bad-language",
        "Kreml,Kremlin,deutsch,en\n",
        1,
        "source_lang 'deutsch' is not a language code",
    ),
    ("empty-target", "Kreml,\n", 1, "target is empty"),
    ("duplicate", "Kreml,a\n\nkreml,b\n", 3, "source 'kreml' is a duplicate (first on line 1)"),
    ("newline-in-field", 'A,a\n"Kre\nml",Kremlin\n', 2, "source contains control character U+000A"),
    ("line-after-multiline", 'A,"x\ny"\nB,b\n', 1, "target contains control character U+000A"),
    ("unterminated-quote", 'Kreml,"Kremlin\n', 1, "malformed CSV"),
    ("c1", "Kreml,Krem\x9flin\n", 1, "U+009F"),
]


@pytest.mark.parametrize(
    ("text", "line", "fragment"), [c[1:] for c in CSV_ERRORS], ids=[c[0] for c in CSV_ERRORS]
)
def test_csv_errors_name_the_line(text: str, line: int, fragment: str) -> None:
    with pytest.raises(EntriesError) as caught:
        terms_from_csv(text, source_language="de", target_language="en")
    assert caught.value.line == line
    assert fragment in caught.value.message


def test_csv_language_columns_must_agree_between_rows() -> None:
    with pytest.raises(EntriesError, match="line 2: source_lang is 'fr', expected 'de'"):
        terms_from_csv("A,a,de,en\nB,b,fr,en\n")


def test_csv_export_quotes_and_languages() -> None:
    terms = [Term('„Waffen für Butter“, "Deal"', "guns, butter"), Term("Kreml", "Kremlin")]
    text = terms_to_csv(terms, source_language="de", target_language="en")
    assert text == '"„Waffen für Butter“, ""Deal""","guns, butter",de,en\nKreml,Kremlin,de,en\n'
    assert terms_to_csv(terms[1:]) == "Kreml,Kremlin\n"


# --- round trips --------------------------------------------------------------------------


def curated() -> Glossary:
    return load_glossary(REPO / "terms" / "de-en.yaml")


def test_tsv_and_csv_round_trip_the_curated_glossary() -> None:
    terms = list(curated().terms)
    assert pairs(terms_from_tsv(terms_to_tsv(terms))) == pairs(terms)
    assert pairs(
        terms_from_csv(terms_to_csv(terms, source_language="de", target_language="en"))
    ) == pairs(terms)


TRICKY = [Term('He said "no", twice', "x,y"), Term("Äußerung ß", "utterance"), Term("a'b;c", "d|e")]


def test_csv_round_trips_tricky_text() -> None:
    assert pairs(terms_from_csv(terms_to_csv(TRICKY))) == pairs(TRICKY)


def tbx_fields(term: Term) -> Term:
    """What TBX export keeps: every field since issue 10 (target_plural, match and
    case_sensitive included); only the file position (line) is not the term's."""
    return replace(term, line=None)


@pytest.mark.parametrize("version", [2, 3])
def test_tbx_round_trips_the_curated_glossary(version: int) -> None:
    original = curated()
    back = glossary_from_tbx(terms_to_tbx(original, version=version))
    assert (back.name, back.source_language, back.target_language) == (
        "Politics and news (de→en)",
        "de",
        "en",
    )
    assert list(back.terms) == [tbx_fields(term) for term in original.terms]


EVERY_FIELD = Glossary(
    "Every field <&>",
    "de",
    "en",
    (
        Term(
            "Kreml-Herrscher",
            "Kremlin ruler",
            forbidden=("Kremlin lord", "Kremlin master"),
            note='Line one\nline two & <three> "four"',
            pos="noun",
            gender="m",
        ),
        Term("Waffen für Butter", "guns for butter", status="proposed", pos="phrase"),
        Term("alt", "old", status="deprecated", forbidden=("older",), pos="adjective"),
        Term("gegenseitig", "mutual", pos="adverb", gender=None),
        Term("schmieden", "forge", pos="verb"),
        Term("Regime", "regime", pos="other", gender="n"),
        Term("Pakt", "pact", gender="m"),
        Term("Bündnis", "alliance", gender="f"),
    ),
)


@pytest.mark.parametrize("version", [2, 3])
def test_tbx_round_trips_every_field_it_can_hold(version: int) -> None:
    back = glossary_from_tbx(terms_to_tbx(EVERY_FIELD, version=version).encode("utf-8"))
    assert back == replace(EVERY_FIELD, terms=tuple(tbx_fields(t) for t in EVERY_FIELD.terms))


def test_tbx_export_shapes() -> None:
    v2 = terms_to_tbx(EVERY_FIELD)
    assert v2.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<martif type="TBX-Basic"')
    assert "<termEntry" in v2 and '<langSet xml:lang="de">' in v2 and "<tig>" in v2
    assert '<termNote type="administrativeStatus">deprecatedTerm-admn-sts</termNote>' in v2
    assert '<termNote type="grammaticalGender">masculine</termNote>' in v2
    v3 = terms_to_tbx(EVERY_FIELD, version=3)
    assert 'xmlns="urn:iso:std:iso:30042:ed-2"' in v3 and 'style="dca"' in v3
    assert "<conceptEntry" in v3 and "<langSec" in v3 and "<termSec>" in v3
    with pytest.raises(InputError):
        terms_to_tbx(EVERY_FIELD, version=4)


# --- foreign TBX --------------------------------------------------------------------------

FOREIGN_V2 = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE martif SYSTEM "TBXcoreStructV02.dtd">
<martif type="TBX-Basic" xml:lang="en-GB">
  <martifHeader><fileDesc><titleStmt><title>Agency termbase</title></titleStmt></fileDesc>
  </martifHeader>
  <text><body>
    <termEntry id="e1">
      <descrip type="subjectField">politics</descrip>
      <langSet xml:lang="de-DE">
        <note>Epithet in commentary.</note>
        <tig><term>Kreml-Herrscher</term>
          <termNote type="partOfSpeech">properNoun</termNote>
          <termNote type="grammaticalGender">masculine</termNote></tig>
        <ntig><termGrp><term>Kremlherrscher</term></termGrp></ntig>
      </langSet>
      <langSet xml:lang="en-GB">
        <tig><term>Kremlin master</term>
          <termNote type="administrativeStatus">supersededTerm-admn-sts</termNote></tig>
        <tig><term>Kremlin boss</term>
          <termNote type="administrativeStatus">admittedTerm-admn-sts</termNote></tig>
        <tig><term>Kremlin ruler</term>
          <termNote type="administrativeStatus">preferredTerm-admn-sts</termNote></tig>
      </langSet>
    </termEntry>
    <termEntry id="e2">
      <langSet xml:lang="de"><tig><term>nur Deutsch</term></tig></langSet>
    </termEntry>
  </body></text>
</martif>
"""


def test_foreign_tbx_v2_maps_to_terms() -> None:
    glossary = glossary_from_tbx(FOREIGN_V2)
    assert (glossary.name, glossary.source_language, glossary.target_language) == (
        "Agency termbase",
        "de",
        "en",
    )
    # Preferred target wins over earlier ones; superseded → forbidden; the admitted synonym
    # has no place in a term; each source wording (tig or ntig) becomes a term.
    ruler = Term(
        "Kreml-Herrscher",
        "Kremlin ruler",
        forbidden=("Kremlin master",),
        note="Epithet in commentary.",
        pos="noun",
        gender="m",
    )
    other = replace(ruler, source="Kremlherrscher", pos=None, gender=None)
    assert list(glossary.terms) == [ruler, other]
    assert glossary_from_tbx(FOREIGN_V2, name="Mine").name == "Mine"


THREE_LANGUAGES = """<tbx xmlns="urn:iso:std:iso:30042:ed-2" type="TBX-Basic"><text><body>
<conceptEntry id="c1">
  <langSec xml:lang="fr"><termSec><term>Kremlin</term></termSec></langSec>
  <langSec xml:lang="de"><termSec><term>Kreml</term></termSec></langSec>
  <langSec xml:lang="en"><termSec><term>Kremlin</term></termSec></langSec>
</conceptEntry></body></text></tbx>"""


def test_tbx_with_three_languages_needs_them_named() -> None:
    with pytest.raises(EntriesError, match="3 languages"):
        glossary_from_tbx(THREE_LANGUAGES)
    glossary = glossary_from_tbx(THREE_LANGUAGES, source_language="de", target_language="en")
    assert pairs(list(glossary.terms)) == [("Kreml", "Kremlin")]


def test_tbx_duplicate_sources_are_refused_with_entry_ids() -> None:
    text = FOREIGN_V2.replace("Kremlherrscher", "KREML-HERRSCHER")
    with pytest.raises(GlossaryFileError, match=r"entry 1 \(id e1\)\.source: duplicate"):
        glossary_from_tbx(text)


# --- hostile or broken XML ----------------------------------------------------------------

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE martif [\n<!ENTITY lol "lol">\n'
    + "".join(
        f'<!ENTITY lol{i + 1} "{("&lol" + (str(i) if i else "") + ";") * 10}">\n' for i in range(9)
    )
    + ']>\n<martif type="TBX-Basic"><text><body><termEntry><note>&lol9;</note></termEntry>'
    + "</body></text></martif>"
)
XXE = (
    '<?xml version="1.0"?>\n<!DOCTYPE martif [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    '<martif><text><body><termEntry><langSet xml:lang="de"><tig><term>&xxe;</term></tig></langSet>'
    "</termEntry></body></text></martif>"
)
PARAMETER_ENTITY = (
    '<?xml version="1.0"?>\n'
    '<!DOCTYPE martif [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/x.dtd"> %remote;]>\n'
    "<martif/>"
)

TBX_REFUSALS: list[tuple[str, str | bytes, str]] = [
    ("billion-laughs", BILLION_LAUGHS, "TBX refused"),
    ("xxe-file", XXE, "TBX refused"),
    ("parameter-entity", PARAMETER_ENTITY, "TBX refused"),
    ("not-xml", "Kreml\tKremlin\n", "line 1: TBX is not well-formed XML"),
    ("unclosed", "<martif>\n<text>\n</martif>", "line 3: TBX is not well-formed XML"),
    ("other-root", "<html><body/></html>", "root element is <html>"),
    (
        "one-language",
        '<martif><text><body><termEntry><langSet xml:lang="de">'
        "<tig><term>A</term></tig></langSet></termEntry></body></text></martif>",
        "two languages",
    ),
    (
        "bad-language",
        '<martif><text><body><termEntry><langSet xml:lang="deutsch">'
        '<tig><term>A</term></tig></langSet><langSet xml:lang="en"><tig><term>a</term></tig>'
        "</langSet></termEntry></body></text></martif>",
        "'deutsch' is not a 2- or 3-letter language code",
    ),
]


@pytest.mark.parametrize(
    ("text", "fragment"), [c[1:] for c in TBX_REFUSALS], ids=[c[0] for c in TBX_REFUSALS]
)
def test_tbx_refusals(text: str | bytes, fragment: str) -> None:
    started = time.perf_counter()
    with pytest.raises(EntriesError) as caught:
        glossary_from_tbx(text)
    assert time.perf_counter() - started < 1.0
    assert fragment in str(caught.value)


def test_tbx_size_limit() -> None:
    with pytest.raises(EntriesError, match="limit"):
        glossary_from_tbx(FOREIGN_V2, max_bytes=100)
