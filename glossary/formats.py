"""Import and export of glossary terms: TSV and CSV (DeepL's entry formats, extended by a
header line), and TBX-Basic.

What each format holds, and so what survives a round trip through it:
- TSV / CSV without a header line (DeepL entries): source and target only. This is what the
  DeepL APIs read and write.
- TSV / CSV with a header line: the columns it names, any of TERM_KEYS (source, target,
  target_plural, source_plural, match, case_sensitive, forbidden, status, note, pos, gender)
  in any order;
  export with `all_fields=True` writes them all, so every field survives. In a cell,
  `forbidden` wordings are separated by `|` (a `|` or `\\` inside a wording is escaped with a
  backslash); `case_sensitive` is true/false (also yes/no, 1/0); in TSV, a note's line
  breaks, tabs and backslashes are written `\\n`, `\\t`, `\\\\` (CSV quotes them instead). A
  first row naming columns (`source<TAB>target...`), or the glossary's two language codes
  (`de<TAB>en`), is recognised as a header and never imported as a term.
- TBX-Basic: every field. TBX's own data categories where there is one: the target term's
  administrativeStatus for status (preferred / admitted / deprecated), deprecated target terms
  for forbidden wordings, partOfSpeech (and termType phrase), the source term's
  grammaticalGender, the English plural as a target term with grammaticalNumber plural (the
  German plural likewise as a source term), the
  entry's note; admin data categories of our own for what TBX has none for: match and
  case_sensitive (`<admin type="x-match">exact</admin>`, `<admin type="x-caseSensitive">`),
  on the source term.

Readers return rows (`Entries`), one per entry, each a term or the errors that kept it from
being one (where, field, message); what to do with duplicates is decided in
glossary/imports.py, once for every surface.

TBX is parsed with defusedxml, so entity declarations (internal "billion laughs" expansion or
external XXE) and external references are refused instead of expanded; a plain DOCTYPE line,
which many TBX v2 files carry, is accepted.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, cast

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as parse_xml_safely

from glossary.errors import EntriesError, GlossaryFileError, InputError
from glossary.term import Glossary, MatchMode, Status, Term
from glossary.termcheck import check_terms
from glossary.termload import parse_glossary
from glossary.termrules import (
    DEFAULT_MAX_BYTES,
    LANGUAGE_RE,
    MAX_TERM_BYTES,
    TERM_KEYS,
    control_character,
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
_X_MATCH, _X_CASE = "x-match", "x-caseSensitive"  # admin types of our own (no TBX category)

ALL_FIELDS: frozenset[str] = frozenset(TERM_KEYS)
BASIC_FIELDS: frozenset[str] = frozenset({"source", "target"})
LANGUAGE_COLUMNS: tuple[str, str] = ("source_lang", "target_lang")  # DeepL's CSV columns
_TRUE, _FALSE = ("true", "yes", "1", "on"), ("false", "no", "0", "off", "")


# --- rows: what every reader returns ------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One problem: where ("line 3", "entry 2 (id c2)"), the field if it is one field's."""

    where: str
    message: str
    field: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.where}: {self.field + ' ' if self.field else ''}{self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "where": self.where,
            "line": self.line,
            "field": self.field,
            "message": self.message,
        }


@dataclass(frozen=True)
class Row:
    """One entry of an imported file: its term, or the errors that kept it from being one.
    `fields` are the fields the file gives (a two-column TSV row gives source and target; the
    rest are not the file's to change)."""

    where: str
    line: int | None
    term: Term | None
    fields: frozenset[str]
    errors: tuple[RowError, ...] = ()


@dataclass
class Entries:
    """What a reader found: rows, problems of the file as a whole, the header it recognised."""

    rows: list[Row] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    header: tuple[str, ...] | None = None
    header_line: int | None = None
    source_language: str | None = None
    target_language: str | None = None

    def all_errors(self) -> list[RowError]:
        return self.errors + [error for row in self.rows for error in row.errors]

    def first_error(self) -> EntriesError | None:
        found = self.all_errors()
        if not found:
            return None
        first = min(found, key=lambda e: e.line if e.line is not None else 0)
        where = "" if first.line is not None else f"{first.where}: "
        text = f"{first.field} {first.message}" if first.field else first.message
        return EntriesError(where + text, line=first.line)


_FIELD_MESSAGE = re.compile(r"(?:term|terms\[\d+\])\.(\w+)(?:\[\d+\])?: (.*)", re.S)


def field_error(exc: GlossaryFileError, where: str, line: int | None) -> RowError:
    """A GlossaryFileError about one term ("term.note: ...") as a RowError naming the field."""
    found = _FIELD_MESSAGE.fullmatch(exc.message)
    if found and found.group(1) in TERM_KEYS:
        return RowError(where, found.group(2), found.group(1), line)
    return RowError(where, exc.message, None, line)


def _plainly_valid(term: Term, sides_checked: bool) -> bool:
    """A term that the file's rules cannot refuse: source and target already checked as
    `_side` checks them (what `check_terms` checks of them), every other field at its default
    but a note without control characters. Most rows of a big import are such; checking them
    again would take most of the import's time."""
    return (
        sides_checked
        and term.target_plural is None
        and term.source_plural is None
        and not term.forbidden
        and term.pos is None
        and term.gender is None
        and term.match == "inflected"
        and term.status == "approved"
        and not term.case_sensitive
        and (
            term.note is None
            or (
                term.note == term.note.strip()
                and control_character(term.note, allow="\n\t") is None
            )
        )
    )


def _validated(
    term: Term, where: str, line: int | None, fields: frozenset[str], sides_checked: bool = False
) -> Row:
    """A row whose term passed the glossary file's own rules (duplicates aside)."""
    if _plainly_valid(term, sides_checked):
        return Row(where, line, term, fields)
    try:
        check_terms([term], "import", ["term"])
    except GlossaryFileError as exc:
        return Row(where, line, None, fields, (field_error(exc, where, line),))
    return Row(where, line, term, fields)


# --- cells: TSV and CSV -------------------------------------------------------------------


class _CellError(ValueError):
    pass


def _side(text: str, what: str, line: int | None) -> str:
    """Source or target: no control characters, not empty, within DeepL's size limit.

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


def _required(text: str) -> str:
    try:
        return _side(text, "", None)
    except EntriesError as exc:
        raise _CellError(exc.message.strip()) from None


def _optional(text: str) -> str | None:
    return text.strip() or None


def _flag(text: str) -> bool:
    value = text.strip().casefold()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise _CellError(f"must be true or false, not {text.strip()!r}")


def join_wordings(wordings: Iterable[str]) -> str:
    """Forbidden wordings in one cell: `a|b`, a `|` or `\\` inside one escaped."""
    return "|".join(w.replace("\\", "\\\\").replace("|", "\\|") for w in wordings)


def split_wordings(cell: str) -> tuple[str, ...]:
    """The inverse of `join_wordings`; blank wordings are dropped."""
    items, current, chars = [], [], iter(cell)
    for char in chars:
        if char == "\\":
            current.append(next(chars, "\\"))
        elif char == "|":
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    return tuple(item.strip() for item in items if item.strip())


_TSV_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}
_TSV_UNESCAPES = {"\\": "\\", "n": "\n", "t": "\t", "r": "\r"}
_TSV_ESCAPED = re.compile(r"\\(.)", re.S)


def _tsv_escape(text: str) -> str:
    return "".join(_TSV_ESCAPES.get(char, char) for char in text)


def _tsv_unescape(text: str) -> str:
    return _TSV_ESCAPED.sub(lambda m: _TSV_UNESCAPES.get(m.group(1), m.group(0)), text)


_CELL_READERS: dict[str, Callable[[str], Any]] = {
    "source": _required,
    "target": _required,
    "target_plural": _optional,
    "source_plural": _optional,
    "match": lambda t: t.strip() or "inflected",
    "case_sensitive": _flag,
    "forbidden": split_wordings,
    "status": lambda t: t.strip() or "approved",
    "note": _optional,
    "pos": _optional,
    "gender": _optional,
}


def _row(cells: dict[str, str], line: int) -> Row:
    """A term from named cells (TERM_KEYS; language columns are checked by the caller)."""
    where, fields = f"line {line}", frozenset(k for k in cells if k in _CELL_READERS)
    values: dict[str, Any] = {}
    errors = []
    for key in TERM_KEYS:
        if key in cells:
            try:
                values[key] = _CELL_READERS[key](cells[key])
            except _CellError as exc:
                errors.append(RowError(where, str(exc), key, line))
    for key in ("source", "target"):
        if key not in cells:
            errors.append(RowError(where, "is missing", key, line))
    if errors:
        return Row(where, line, None, fields, tuple(errors))
    return _validated(Term(**values), where, line, fields, sides_checked=True)


def _cells(term: Term, *, tsv: bool) -> list[str]:
    """One export row of every field, in TERM_KEYS order."""
    note = term.note or ""
    return [
        term.source,
        term.target,
        term.target_plural or "",
        term.source_plural or "",
        term.match,
        "true" if term.case_sensitive else "false",
        join_wordings(term.forbidden),
        term.status,
        _tsv_escape(note) if tsv else note,
        term.pos or "",
        term.gender or "",
    ]


def _export_sides(terms: Iterable[Term]) -> Iterator[tuple[Term, str, str]]:
    for number, term in enumerate(terms, 1):
        yield (
            term,
            _side(term.source, f"term {number} source", None),
            _side(term.target, f"term {number} target", None),
        )


def terms_to_tsv(terms: Iterable[Term], *, all_fields: bool = False) -> str:
    """DeepL TSV entries (`source<TAB>target` per line); with `all_fields`, a header line
    naming every field, then every field of each term."""
    if not all_fields:
        return "".join(f"{source}\t{target}\n" for _, source, target in _export_sides(terms))
    lines = ["\t".join(TERM_KEYS)]
    lines += ["\t".join(_cells(term, tsv=True)) for term, _, _ in _export_sides(terms)]
    return "\n".join(lines) + "\n"


def terms_to_csv(
    terms: Iterable[Term],
    *,
    source_language: str | None = None,
    target_language: str | None = None,
    all_fields: bool = False,
) -> str:
    """DeepL CSV entries: `source,target` (plus both languages when given), standard quoting;
    with `all_fields`, a header line naming every field (and the language columns when
    given), then every field of each term."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    languages = [source_language, target_language] if source_language and target_language else []
    if all_fields:
        writer.writerow([*TERM_KEYS, *(LANGUAGE_COLUMNS if languages else ())])
    for term, source, target in _export_sides(terms):
        cells = _cells(term, tsv=False) if all_fields else [source, target]
        writer.writerow([*cells, *languages])
    return buffer.getvalue()


# --- header rows --------------------------------------------------------------------------


def _column_name(cell: str) -> str:
    return re.sub(r"[\s-]+", "_", cell.strip().casefold())


def _primary(code: str) -> str:
    """ "de-DE" → "de": glossary files name languages, not locales."""
    return code.strip().split("-")[0].split("_")[0].lower()


def read_header(
    cells: Sequence[str], line: int, source_language: str | None, target_language: str | None
) -> tuple[tuple[str, ...], list[RowError]] | None:
    """The columns a first row names, with the problems of that header, or None when the row
    is not a header: it is one when it names both `source` and `target` (any of TERM_KEYS
    and the language columns may follow, in any order), or when it is exactly the glossary's
    two language codes (`de<TAB>en`)."""
    names = [_column_name(cell) for cell in cells]
    if "source" in names and "target" in names:
        known = (*TERM_KEYS, *LANGUAGE_COLUMNS)
        errors = [
            RowError(
                f"line {line}",
                f"unknown column; known columns are {', '.join(known)}",
                name or "(empty)",
                line,
            )
            for name in names
            if name not in known
        ]
        errors += [
            RowError(f"line {line}", "is named twice", name, line)
            for name in sorted({n for n in names if names.count(n) > 1})
        ]
        return tuple(names), errors
    wanted = [source_language, target_language]
    if None not in wanted and len(names) == 2 and [_primary(n) for n in cells] == wanted:
        return ("source", "target"), []
    return None


def _check_languages(
    found: Sequence[str], expected: list[str | None], line: int
) -> list[str | None] | RowError:
    """Language columns must agree with what the caller expects, and across rows."""
    codes = [code.strip().lower() for code in found]
    for index, (code, want) in enumerate(zip(codes, expected, strict=True)):
        column = LANGUAGE_COLUMNS[index]
        if not LANGUAGE_RE.fullmatch(code):
            return RowError(f"line {line}", f"{code!r} is not a language code", column, line)
        if want is not None and code != want:
            return RowError(f"line {line}", f"is {code!r}, expected {want!r}", column, line)
    return list(codes)


@dataclass
class _Table:
    """Rows of cells (TSV or CSV) becoming Entries; `columns` once a header is read."""

    entries: Entries
    source_language: str | None
    target_language: str | None
    headers: bool
    tsv: bool
    columns: tuple[str, ...] | None = None
    seen_row: bool = False
    expected: list[str | None] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.expected = [self.source_language, self.target_language]

    def add(self, cells: list[str], line: int) -> None:
        first, self.seen_row = not self.seen_row, True
        if first and self.headers:
            header = read_header(cells, line, self.source_language, self.target_language)
            if header is not None:
                self.columns, errors = header
                self.entries.header, self.entries.header_line = self.columns, line
                self.entries.errors.extend(errors)
                return
        if self.columns is None:
            self._positional(cells, line)
        else:
            self._named(cells, line, self.columns)

    def _fail(self, line: int, message: str, column: str | None = None) -> None:
        error = RowError(f"line {line}", message, column, line)
        self.entries.rows.append(Row(f"line {line}", line, None, BASIC_FIELDS, (error,)))

    def _positional(self, cells: list[str], line: int) -> None:
        if self.tsv and len(cells) == 1:
            return self._fail(line, "no tab between source and target")
        if self.tsv and len(cells) > 2:
            return self._fail(line, "more than one tab; expected source<TAB>target")
        if not self.tsv and len(cells) not in (2, 4):
            return self._fail(
                line,
                "expected 2 or 4 columns (source,target[,source_lang,"
                f"target_lang]), found {len(cells)}",
            )
        if len(cells) == 4:
            checked = _check_languages(cells[2:], self.expected, line)
            if isinstance(checked, RowError):
                return self._fail(line, checked.message, checked.field)
            self.expected = checked
        self.entries.rows.append(_row({"source": cells[0], "target": cells[1]}, line))
        return None

    def _named(self, cells: list[str], line: int, columns: tuple[str, ...]) -> None:
        if len(cells) > len(columns):
            return self._fail(
                line, f"{len(cells)} cells, but the header names {len(columns)} columns"
            )
        named = dict(zip(columns, [*cells, *[""] * (len(columns) - len(cells))], strict=True))
        if self.tsv and "note" in named:
            named["note"] = _tsv_unescape(named["note"])
        languages = [named.pop(c, None) for c in LANGUAGE_COLUMNS]
        if None not in languages:
            checked = _check_languages(cast(list[str], languages), self.expected, line)
            if isinstance(checked, RowError):
                return self._fail(line, checked.message, checked.field)
            self.expected = checked
        self.entries.rows.append(_row(named, line))
        return None


def _check_size(text: str | bytes, max_bytes: int) -> None:
    size = len(text.encode("utf-8")) if isinstance(text, str) else len(text)
    if size > max_bytes:
        raise EntriesError(f"entries are {size} bytes; the limit is {max_bytes} bytes")


def read_tsv(
    text: str,
    *,
    source_language: str | None = None,
    target_language: str | None = None,
    headers: bool = True,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Entries:
    """TSV rows; blank lines are skipped, every problem names its line. With `headers`, a
    first row that is a header (see `read_header`) names the columns; without one, each row
    is DeepL's `source<TAB>target`."""
    _check_size(text, max_bytes)
    table = _Table(Entries(), source_language, target_language, headers, tsv=True)
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw[:-1] if raw.endswith("\r") else raw  # CRLF files
        if not line.strip() and "\t" not in line:
            continue
        table.add(line.split("\t"), number)
    return table.entries


def read_csv(
    text: str,
    *,
    source_language: str | None = None,
    target_language: str | None = None,
    headers: bool = True,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Entries:
    """CSV rows (standard quoting). Without a header, DeepL's `source,target[,source_lang,
    target_lang]`; language columns, where present, must match the expected languages and
    each other."""
    _check_size(text, max_bytes)
    table = _Table(Entries(), source_language, target_language, headers, tsv=False)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    try:
        for row in reader:
            number, start = start, reader.line_num + 1
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            table.add(row, number)
    except csv.Error as exc:
        table.entries.errors.append(
            RowError(f"line {reader.line_num}", f"malformed CSV: {exc}", None, reader.line_num)
        )
    return table.entries


def read_yaml(data: bytes, name: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Entries:
    """A glossary file's terms as rows (every field given). The file must be valid as a
    whole, by the glossary file's own rules: its first problem is the one error."""
    try:
        glossary = parse_glossary(data, name, max_bytes=max_bytes)
    except GlossaryFileError as exc:
        where = f"line {exc.line}" if exc.line is not None else name
        return Entries(errors=[field_error(exc, where, exc.line)])
    rows = [
        Row(f"line {t.line}", t.line, replace(t, line=None), ALL_FIELDS) for t in glossary.terms
    ]
    return Entries(
        rows, source_language=glossary.source_language, target_language=glossary.target_language
    )


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
    parent: ET.Element,
    dialect: _Dialect,
    text: str,
    notes: dict[str, str | None],
    admin: dict[str, str | None] | None = None,
) -> None:
    """A term with its termNotes, then its admin data (TBX puts auxiliary info last)."""
    holder = _sub(parent, dialect.term)
    _sub(holder, "term", text)
    for kind, value in notes.items():
        if value is not None:
            _sub(holder, "termNote", value, type=kind)
    for kind, value in (admin or {}).items():
        if value is not None:
            _sub(holder, "admin", value, type=kind)


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
    admin = {
        _X_MATCH: None if term.match == "inflected" else term.match,
        _X_CASE: "true" if term.case_sensitive else None,
    }
    source_notes = {**_pos_notes(term.pos), "grammaticalGender": gender}
    _term_element(
        source,
        dialect,
        term.source,
        {**source_notes, "grammaticalNumber": "singular" if term.source_plural else None},
        admin,
    )
    if term.source_plural:  # the German plural: the same term, in the plural
        _term_element(
            source, dialect, term.source_plural, {**source_notes, "grammaticalNumber": "plural"}
        )
    target = _sub(entry, dialect.language, **{_XML_LANG: glossary.target_language})
    status = _STATUS_TO_TBX[term.status]
    number = "singular" if term.target_plural else None
    _term_element(
        target,
        dialect,
        term.target,
        {**_pos_notes(term.pos), "grammaticalNumber": number, "administrativeStatus": status},
    )
    if term.target_plural:  # the English plural: the same term, in the plural
        _term_element(
            target,
            dialect,
            term.target_plural,
            {**_pos_notes(term.pos), "grammaticalNumber": "plural", "administrativeStatus": status},
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


_XML_SPACE = re.compile(r"[ \t\r\n]+")


def _text_of(element: ET.Element) -> str:
    """An element's text, XML whitespace (not every Unicode space: NBSP is text) collapsed."""
    return _XML_SPACE.sub(" ", "".join(element.itertext())).strip(" ")


@dataclass(frozen=True)
class _TbxTerm:
    text: str
    notes: dict[str, str]

    @property
    def status(self) -> str | None:
        return _TBX_TO_STATUS.get(self.notes.get("administrativeStatus", ""))

    @property
    def plural(self) -> bool:
        return self.notes.get("grammaticalNumber", "").lower() == "plural"

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


def _main_target(targets: list[_TbxTerm]) -> _TbxTerm:
    """The first preferred target term, else the first one not deprecated, else the first;
    plural forms only where there is nothing else."""
    singular = [t for t in targets if not t.plural] or targets
    main = next((t for t in singular if t.status == "approved"), None)
    return main or next((t for t in singular if t.status != "deprecated"), singular[0])


def _entry_terms(entry: ET.Element, source: str, target: str) -> list[Term]:
    """The terms of one concept entry: one per source wording, all sharing the target.

    The target is the first preferred target term, else the first one not deprecated; a
    target term in the plural (grammaticalNumber) is its plural; other deprecated target
    terms become `forbidden`. Further admitted target synonyms have no place in a glossary
    term and are dropped. Entries lacking either language are skipped."""
    by_language: dict[str, list[_TbxTerm]] = {source: [], target: []}
    for language in _children(entry, "langSet", "langSec"):
        code = _primary_language(language)
        if code in by_language:
            by_language[code].extend(_tbx_terms(language))
    sources, targets = by_language[source], by_language[target]
    if not sources or not targets:
        return []
    main = _main_target(targets)
    # a deprecated plural is a forbidden wording, unless the term itself is deprecated
    plural = next(
        (
            t
            for t in targets
            if t is not main
            and t.plural
            and (t.status != "deprecated" or main.status == "deprecated")
        ),
        None,
    )
    forbidden = tuple(
        t.text for t in targets if t is not main and t is not plural and t.status == "deprecated"
    )
    notes = ["".join(el.itertext()).strip() for el in entry.iter() if _local(el.tag) == "note"]
    # a source term in the plural is the plural of the (first) singular one, not a term
    plurals = [w for w in sources if w.plural]
    if len(plurals) < len(sources):
        sources = [w for w in sources if not w.plural]
    else:
        plurals = []
    return [
        Term(
            source=wording.text,
            target=main.text,
            target_plural=plural.text if plural else None,
            source_plural=plurals[0].text if plurals and number == 0 else None,
            match=cast(MatchMode, wording.notes.get(_X_MATCH, "").strip() or "inflected"),
            case_sensitive=wording.notes.get(_X_CASE, "").strip().lower() in _TRUE,
            forbidden=tuple(dict.fromkeys(forbidden)),
            status=cast(Status, main.status or "approved"),
            note="\n".join(note for note in notes if note) or None,
            pos=wording.pos or main.pos,
            gender=_TBX_TO_GENDER.get(wording.notes.get("grammaticalGender", "")),
        )
        for number, wording in enumerate(sources)
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


def _tbx_entries(
    root: ET.Element, source_language: str | None, target_language: str | None
) -> tuple[str, str, list[tuple[str, Term]]]:
    """(source, target, [(label, term)]) of every concept entry of a TBX document."""
    entries = [el for el in root.iter() if _local(el.tag) in ("termEntry", "conceptEntry")]
    source, target = _tbx_languages(entries, source_language, target_language)
    found: list[tuple[str, Term]] = []
    for number, entry in enumerate(entries, 1):
        ident = entry.get("id")
        label = f"entry {number}" + (f" (id {ident})" if ident else "")
        found.extend((label, term) for term in _entry_terms(entry, source, target))
    return source, target, found


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
    source, target, found = _tbx_entries(root, source_language, target_language)
    terms = [term for _, term in found]
    check_terms(terms, "TBX", [label for label, _ in found])
    title = name or _title(root) or "Imported glossary"
    return Glossary(title, source, target, tuple(terms))


def read_tbx(
    text: str | bytes,
    *,
    source_language: str | None = None,
    target_language: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Entries:
    """A TBX document's terms as rows (every field given), each checked on its own; a file
    that is not TBX at all raises EntriesError."""
    root = _parse_tbx(text, max_bytes)
    source, target, found = _tbx_entries(root, source_language, target_language)
    rows = [_validated(term, label, None, ALL_FIELDS) for label, term in found]
    return Entries(rows, source_language=source, target_language=target)
