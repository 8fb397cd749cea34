"""Import and export of glossary terms: DeepL's TSV and CSV entry formats, and TBX-Basic.

What each format holds, and so what survives a round trip through it:
- TSV / CSV (DeepL entries): source and target only.
- TBX-Basic: source, target, forbidden wordings (as deprecated target terms), status (the
  target term's administrativeStatus), note, part of speech and the source term's gender.
  It has no place for target_plural, match or case_sensitive; those come back as defaults.

TBX is parsed with defusedxml, so entity declarations (internal "billion laughs" expansion or
external XXE) and external references are refused instead of expanded; a plain DOCTYPE line,
which many TBX v2 files carry, is accepted.
"""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any, cast

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as parse_xml_safely

from glossary.errors import InputError
from glossary.term import Glossary, Status, Term
from glossary.termfile import (
    DEFAULT_MAX_BYTES,
    LANGUAGE_RE,
    MAX_TERM_BYTES,
    check_terms,
    control_character,
    duplicate_key,
)

_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_TBX3_NAMESPACE = "urn:iso:std:iso:30042:ed-2"
_STATUS_TO_TBX = {
    "approved": "preferredTerm-admn-sts",
    "proposed": "admittedTerm-admn-sts",
    "deprecated": "deprecatedTerm-admn-sts",
}
_TBX_TO_STATUS = {value: key for key, value in _STATUS_TO_TBX.items()}
_TBX_TO_STATUS["supersededTerm-admn-sts"] = "deprecated"
_GENDER_TO_TBX = {"m": "masculine", "f": "feminine", "n": "neuter"}
_TBX_TO_GENDER = {value: key for key, value in _GENDER_TO_TBX.items()}
_TBX_TO_POS = {name: name for name in ("noun", "verb", "adjective", "adverb", "other")}
_TBX_TO_POS["propernoun"] = "noun"  # TBX has proper nouns; the glossary calls them nouns


class EntriesError(InputError):
    """Entries that cannot become glossary terms; `line` is 1-based where it is known."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        self.message = message
        self.line = line
        super().__init__(f"line {line}: {message}" if line is not None else message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (partial(EntriesError, line=self.line), (self.message,))


# --- DeepL entries: TSV and CSV ----------------------------------------------------------


def _side(text: str, what: str, line: int | None) -> str:
    """One side of an entry: no control characters, not empty, within DeepL's size limit.

    Surrounding spaces are trimmed rather than refused: they are invisible in a spreadsheet
    and never meant."""
    found = control_character(text)
    if found is not None:
        raise EntriesError(
            f"{what} contains control character U+{ord(found[1]):04X} at position {found[0]}",
            line=line,
        )
    text = text.strip()
    if not text:
        raise EntriesError(f"{what} is empty", line=line)
    if len(text.encode("utf-8")) > MAX_TERM_BYTES:
        raise EntriesError(f"{what} is longer than {MAX_TERM_BYTES} UTF-8 bytes", line=line)
    return text


@dataclass
class _Collector:
    """Builds terms from entries, refusing a source seen before (case-insensitively, as the
    glossary file does)."""

    terms: list[Term] = field(default_factory=list)
    first_line: dict[str, int] = field(default_factory=dict)

    def add(self, source: str, target: str, line: int) -> None:
        source, target = _side(source, "source", line), _side(target, "target", line)
        key = duplicate_key(source, case_sensitive=False)
        if key in self.first_line:
            raise EntriesError(
                f"duplicate source {source!r} (first on line {self.first_line[key]})", line=line
            )
        self.first_line[key] = line
        self.terms.append(Term(source=source, target=target))


def _export_sides(terms: Iterable[Term]) -> Iterator[tuple[str, str]]:
    for number, term in enumerate(terms, 1):
        yield (
            _side(term.source, f"term {number} source", None),
            _side(term.target, f"term {number} target", None),
        )


def terms_to_tsv(terms: Iterable[Term]) -> str:
    """DeepL TSV entries: `source<TAB>target` per line."""
    return "".join(f"{source}\t{target}\n" for source, target in _export_sides(terms))


def terms_from_tsv(text: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> list[Term]:
    """Parse DeepL TSV entries; blank lines are skipped, every other problem names its line."""
    _check_size(text, max_bytes)
    collector = _Collector()
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw[:-1] if raw.endswith("\r") else raw  # CRLF files
        if not line.strip() and "\t" not in line:
            continue
        parts = line.split("\t")
        if len(parts) == 1:
            raise EntriesError("no tab between source and target", line=number)
        if len(parts) > 2:
            raise EntriesError("more than one tab; expected source<TAB>target", line=number)
        collector.add(parts[0], parts[1], number)
    return collector.terms


def terms_to_csv(
    terms: Iterable[Term], *, source_language: str | None = None, target_language: str | None = None
) -> str:
    """DeepL CSV entries: `source,target` (plus both languages when given), standard quoting."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    languages = [source_language, target_language] if source_language and target_language else []
    for source, target in _export_sides(terms):
        writer.writerow([source, target, *languages])
    return buffer.getvalue()


def _check_languages(row: list[str], expected: list[str | None], line: int) -> list[str | None]:
    """Language columns must agree with what the caller expects, and across rows."""
    found = [row[2].strip().lower(), row[3].strip().lower()]
    for index, (code, want) in enumerate(zip(found, expected, strict=True)):
        column = ("source_lang", "target_lang")[index]
        if not LANGUAGE_RE.fullmatch(code):
            raise EntriesError(f"{column} {code!r} is not a language code", line=line)
        if want is not None and code != want:
            raise EntriesError(f"{column} is {code!r}, expected {want!r}", line=line)
    return list(found)


def terms_from_csv(
    text: str,
    *,
    source_language: str | None = None,
    target_language: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> list[Term]:
    """Parse DeepL CSV entries (`source,target[,source_lang,target_lang]`); language columns,
    where present, must match the expected languages and each other."""
    _check_size(text, max_bytes)
    expected: list[str | None] = [source_language, target_language]
    collector = _Collector()
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    try:
        for row in reader:
            number, start = start, reader.line_num + 1
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) not in (2, 4):
                raise EntriesError(
                    f"expected 2 or 4 columns (source,target[,source_lang,target_lang]), "
                    f"found {len(row)}",
                    line=number,
                )
            if len(row) == 4:
                expected = _check_languages(row, expected, number)
            collector.add(row[0], row[1], number)
    except csv.Error as exc:
        raise EntriesError(f"malformed CSV: {exc}", line=reader.line_num) from None
    return collector.terms


def _check_size(text: str | bytes, max_bytes: int) -> None:
    size = len(text.encode("utf-8")) if isinstance(text, str) else len(text)
    if size > max_bytes:
        raise EntriesError(f"entries are {size} bytes; the limit is {max_bytes} bytes")


# --- TBX-Basic export --------------------------------------------------------------------


@dataclass(frozen=True)
class _Dialect:
    """Element names of the two TBX generations (ISO 30042:2008 "v2" and :2019 "v3")."""

    root: str
    header: str
    entry: str
    language: str
    term: str


_V2 = _Dialect("martif", "martifHeader", "termEntry", "langSet", "tig")
_V3 = _Dialect("tbx", "tbxHeader", "conceptEntry", "langSec", "termSec")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    element.text = text
    return element


def _term_element(
    parent: ET.Element, dialect: _Dialect, text: str, notes: dict[str, str | None]
) -> None:
    holder = _sub(parent, dialect.term)
    _sub(holder, "term", text)
    for kind, value in notes.items():
        if value is not None:
            _sub(holder, "termNote", value, type=kind)


def _pos_notes(pos: str | None) -> dict[str, str | None]:
    if pos == "phrase":  # a term type in TBX, not a part of speech
        return {"partOfSpeech": "other", "termType": "phrase"}
    return {"partOfSpeech": pos}


def _entry_element(body: ET.Element, dialect: _Dialect, glossary: Glossary, index: int) -> None:
    term = glossary.terms[index]
    entry = _sub(body, dialect.entry, id=f"c{index + 1}")
    if term.note:
        _sub(entry, "note", term.note)
    source = _sub(entry, dialect.language, **{_XML_LANG: glossary.source_language})
    gender = _GENDER_TO_TBX.get(term.gender or "")
    _term_element(
        source, dialect, term.source, {**_pos_notes(term.pos), "grammaticalGender": gender}
    )
    target = _sub(entry, dialect.language, **{_XML_LANG: glossary.target_language})
    status = _STATUS_TO_TBX[term.status]
    _term_element(
        target, dialect, term.target, {**_pos_notes(term.pos), "administrativeStatus": status}
    )
    for wording in term.forbidden:
        deprecated = _STATUS_TO_TBX["deprecated"]
        _term_element(target, dialect, wording, {"administrativeStatus": deprecated})


def terms_to_tbx(glossary: Glossary, *, version: int = 2) -> str:
    """A TBX-Basic document, one concept entry a term. Version 2 (`martif`, ISO 30042:2008)
    is what most CAT tools import; version 3 (`tbx`, ISO 30042:2019, DCA style) is the
    current standard."""
    if version not in (2, 3):
        raise InputError(f"TBX version must be 2 or 3, not {version}")
    check_terms(glossary.terms, "TBX export")
    dialect = _V2 if version == 2 else _V3
    root = ET.Element(dialect.root, {"type": "TBX-Basic", _XML_LANG: glossary.target_language})
    if version == 3:
        root.set("style", "dca")
        root.set("xmlns", _TBX3_NAMESPACE)  # set by hand: ET's prefix registry is global state
    description = _sub(_sub(root, dialect.header), "fileDesc")
    _sub(_sub(description, "titleStmt"), "title", glossary.name)
    _sub(_sub(description, "sourceDesc"), "p", "Exported by glossary-mt")
    body = _sub(_sub(root, "text"), "body")
    for index in range(len(glossary.terms)):
        _entry_element(body, dialect, glossary, index)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


# --- TBX-Basic import --------------------------------------------------------------------


def _local(tag: object) -> str:
    """Element name without its namespace (v3 files use one, v2 files none)."""
    return str(tag).rsplit("}", 1)[-1]


def _children(element: ET.Element, *names: str) -> list[ET.Element]:
    return [child for child in element if _local(child.tag) in names]


def _text_of(element: ET.Element) -> str:
    return " ".join("".join(element.itertext()).split())


@dataclass(frozen=True)
class _TbxTerm:
    text: str
    notes: dict[str, str]

    @property
    def status(self) -> str | None:
        return _TBX_TO_STATUS.get(self.notes.get("administrativeStatus", ""))

    @property
    def pos(self) -> str | None:
        if self.notes.get("termType") == "phrase":
            return "phrase"
        return _TBX_TO_POS.get(self.notes.get("partOfSpeech", "").lower())


def _tbx_terms(language: ET.Element) -> list[_TbxTerm]:
    """The terms of one langSet/langSec: tig, ntig (v2) or termSec (v3)."""
    found = []
    for holder in _children(language, "tig", "ntig", "termSec"):
        term = next((el for el in holder.iter() if _local(el.tag) == "term"), None)
        if term is None or not _text_of(term):
            continue
        notes = {
            el.get("type", ""): _text_of(el)
            for el in holder.iter()
            if _local(el.tag) in ("termNote", "descrip", "admin")
        }
        found.append(_TbxTerm(_text_of(term), notes))
    return found


def _primary_language(element: ET.Element) -> str:
    """ "de-DE" → "de": glossary files name languages, not locales."""
    return element.get(_XML_LANG, "").split("-")[0].split("_")[0].lower()


def _entry_terms(entry: ET.Element, source: str, target: str) -> list[Term]:
    """The terms of one concept entry: one per source wording, all sharing the target.

    The target is the first preferred target term, else the first one not deprecated; other
    deprecated target terms become `forbidden`. Further admitted target synonyms have no place
    in a glossary term and are dropped. Entries lacking either language are skipped."""
    by_language: dict[str, list[_TbxTerm]] = {source: [], target: []}
    for language in _children(entry, "langSet", "langSec"):
        code = _primary_language(language)
        if code in by_language:
            by_language[code].extend(_tbx_terms(language))
    sources, targets = by_language[source], by_language[target]
    if not sources or not targets:
        return []
    main = next((t for t in targets if t.status == "approved"), None)
    main = main or next((t for t in targets if t.status != "deprecated"), targets[0])
    forbidden = tuple(t.text for t in targets if t is not main and t.status == "deprecated")
    notes = ["".join(el.itertext()).strip() for el in entry.iter() if _local(el.tag) == "note"]
    return [
        Term(
            source=wording.text,
            target=main.text,
            forbidden=tuple(dict.fromkeys(forbidden)),
            status=cast(Status, main.status or "approved"),
            note="\n".join(note for note in notes if note) or None,
            pos=wording.pos or main.pos,
            gender=_TBX_TO_GENDER.get(wording.notes.get("grammaticalGender", "")),
        )
        for wording in sources
    ]


def _parse_tbx(text: str | bytes, max_bytes: int) -> ET.Element:
    _check_size(text, max_bytes)
    try:
        root: ET.Element = parse_xml_safely(text)
    except DefusedXmlException as exc:
        raise EntriesError(
            f"TBX refused: {exc}; entity declarations and external references are not "
            "allowed (they are how XML expansion bombs and XXE attacks work)"
        ) from None
    except ET.ParseError as exc:
        raise EntriesError(f"TBX is not well-formed XML: {exc}", line=exc.position[0]) from None
    if _local(root.tag) not in ("martif", "tbx"):
        raise EntriesError(
            f"not a TBX file: the root element is <{_local(root.tag)}>, expected <martif> or <tbx>"
        )
    return root


def _tbx_languages(
    entries: list[ET.Element], source: str | None, target: str | None
) -> tuple[str, str]:
    """Source and target language: as given, else in order of first appearance."""
    seen: list[str] = []
    for entry in entries:
        for language in _children(entry, "langSet", "langSec"):
            code = _primary_language(language)
            if code and code not in seen:
                seen.append(code)
    if (source is None or target is None) and len(seen) > 2:
        raise EntriesError(
            f"TBX holds {len(seen)} languages ({', '.join(seen)}); name the source and the "
            "target language"
        )
    source = source or (seen[0] if seen else None)
    target = target or next((code for code in seen if code != source), None)
    if source is None or target is None:
        raise EntriesError(f"TBX needs terms in two languages; found {', '.join(seen) or 'none'}")
    for code in (source, target):
        if not code or not LANGUAGE_RE.fullmatch(code):
            raise EntriesError(f"TBX: {code!r} is not a 2- or 3-letter language code")
    return source, target


def _title(root: ET.Element) -> str | None:
    for element in root.iter():
        if _local(element.tag) == "title" and _text_of(element):
            return _text_of(element)
    return None


def glossary_from_tbx(
    text: str | bytes,
    name: str | None = None,
    *,
    source_language: str | None = None,
    target_language: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Glossary:
    """A glossary from a TBX (v2 `martif` or v3 `tbx`) document; see `_entry_terms` for how
    concept entries become terms. The name is `name`, else the file's title. Languages are
    the primary subtags ("de-AT" → "de"); pass them when the file holds more than two.

    Bytes are handed to the XML parser as they are, so a declared encoding is honoured."""
    root = _parse_tbx(text, max_bytes)
    entries = [el for el in root.iter() if _local(el.tag) in ("termEntry", "conceptEntry")]
    source, target = _tbx_languages(entries, source_language, target_language)
    terms: list[Term] = []
    labels: list[str] = []
    for number, entry in enumerate(entries, 1):
        found = _entry_terms(entry, source, target)
        terms.extend(found)
        ident = entry.get("id")
        labels.extend([f"entry {number}" + (f" (id {ident})" if ident else "")] * len(found))
    check_terms(terms, "TBX", labels)
    title = name or _title(root) or "Imported glossary"
    return Glossary(title, source, target, tuple(terms))
