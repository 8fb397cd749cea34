"""OpenDocument text (.odt) and presentations (.odp) through their XML: each text:p and
text:h is a block, in the body, lists, tables, sections, text boxes, notes, and the master
pages' headers and footers (ODT), or in each slide's shapes and notes (ODP).

A paragraph's text is its character data with ODF's white-space rules applied (text:s, tab
and line-break elements as their characters); text:span styles are marks where they differ
from the paragraph's most common styling, a text:a hyperlink is a mark, and every other
element in the paragraph (a frame, a note, a field, a bookmark, an annotation) is an empty
mark written back whole at its new place. Where a block is: "paragraph 3",
"table 1, row 2, cell 1, paragraph 1", "list 1, item 2, paragraph 1",
"paragraph 4, note 1, paragraph 1", "header 1, paragraph 1", "slide 2, shape 1, paragraph 1".
A paragraph's language is its style's: translated, the styles of content.xml and styles.xml
(the defaults too) whose language was the source's name the target (a span styled French
stays French), and a part is written again only where that or its text changed."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from lxml import etree

from glossary.documents.archive import (
    Archive,
    ParsedPackage,
    check_odf,
    check_odf_tree,
    open_archive,
)
from glossary.documents.model import Block, Languages, Limits, Mark, runs_alike
from glossary.errors import DocumentError

Element = etree._Element
_T = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_O = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_D = "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}"
_S = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"
_P = "{urn:oasis:names:tc:opendocument:xmlns:presentation:1.0}"
_FO = "{urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0}"
_PARAGRAPHS = {f"{_T}p", f"{_T}h"}
# Containers whose paragraphs count as their parent's (a section is no new numbering).
_OPEN = {f"{_T}section", f"{_T}index-body", f"{_T}soft-page-break", f"{_D}text-box"}
_OPEN |= {f"{_T}{n}" for n in ("table-of-content", "illustration-index", "alphabetical-index")}
_ROWS = {f"{_TABLE}table-header-rows", f"{_TABLE}table-rows", f"{_TABLE}table-row-group"}
_CELLS = {f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell"}
_WHITE = re.compile(r"[ \t\r\n]+")


# -- a paragraph --------------------------------------------------------------------------
@dataclass(frozen=True)
class _Format:
    chain: tuple[Element, ...]  # the spans around the text, outermost first


@dataclass(frozen=True)
class _Link:
    shell: Element


@dataclass(frozen=True)
class _Inline:
    element: Element


_Item = _Format | _Link | _Inline


@dataclass
class _Piece:
    text: str
    chain: tuple[Element, ...]
    link: Element | None

    @property
    def key(self) -> tuple[tuple[tuple[str, str], ...], ...]:
        return tuple(
            tuple(sorted((str(k), str(v)) for k, v in s.attrib.items())) for s in self.chain
        )


@dataclass
class _Reader:
    pieces: list[_Piece] = field(default_factory=list)
    inlines: list[tuple[int, _Inline]] = field(default_factory=list)
    spaced: bool = True  # the last character is white space that absorbs the next

    def literal(self, text: str | None, chain: tuple[Element, ...], link: Element | None) -> None:
        if not text:
            return
        text = _WHITE.sub(" ", text)
        if self.spaced:
            text = text.lstrip(" ")
        if text:
            self.pieces.append(_Piece(text, chain, link))
            self.spaced = text.endswith(" ")

    def special(self, text: str, chain: tuple[Element, ...], link: Element | None) -> None:
        self.pieces.append(_Piece(text, chain, link))
        self.spaced = False

    def walk(self, element: Element, chain: tuple[Element, ...], link: Element | None) -> None:
        self.literal(element.text, chain, link)
        for child in element:
            tag = child.tag
            if tag == f"{_T}span":
                self.walk(child, (*chain, child), link)
            elif tag == f"{_T}a":
                self.walk(child, chain, child)
            elif tag == f"{_T}s":
                self.special(" " * int(child.get(f"{_T}c") or 1), chain, link)
            elif tag == f"{_T}tab":
                self.special("\t", chain, link)
            elif tag == f"{_T}line-break":
                self.special("\n", chain, link)
            elif isinstance(tag, str):
                self.inlines.append((len(self.pieces), _Inline(child)))
            self.literal(child.tail, chain, link)


@dataclass
class OdfParagraph:
    element: Element
    text: str
    marks: tuple[Mark, ...]
    items: tuple[_Item, ...]
    base: tuple[Element, ...]


def read_paragraph(p: Element) -> OdfParagraph:
    reader = _Reader()
    reader.walk(p, (), None)
    pieces = reader.pieces
    weights: Counter[tuple[tuple[tuple[str, str], ...], ...]] = Counter()
    for piece in pieces:
        weights[piece.key] += len(piece.text)
    base_key = max(weights, key=lambda k: weights[k]) if weights else ()
    base = next((q.chain for q in pieces if q.key == base_key), ())
    starts, at = [], 0
    for piece in pieces:
        starts.append(at)
        at += len(piece.text)
    starts.append(at)
    items: list[_Item] = []
    marks: list[Mark] = []

    def link_of(q: _Piece) -> int | None:
        return None if q.link is None else id(q.link)

    def format_of(q: _Piece) -> object:
        return None if q.key == base_key else (id(q.link), q.key)

    for start, end, i in runs_alike(pieces, starts, link_of):
        link = pieces[i].link
        assert link is not None
        marks.append(Mark(start, end, len(items)))
        items.append(_Link(link))
    for start, end, i in runs_alike(pieces, starts, format_of):
        marks.append(Mark(start, end, len(items)))
        items.append(_Format(pieces[i].chain))
    for index, item in reader.inlines:
        marks.append(Mark(starts[index], starts[index], len(items)))
        items.append(item)
    text = "".join(q.text for q in pieces)
    return OdfParagraph(p, text, tuple(marks), tuple(items), base)


# -- rebuilding ------------------------------------------------------------------------------
def rebuild(paragraph: OdfParagraph, block: Block) -> None:
    p = paragraph.element
    for child in list(p):
        p.remove(child)
    p.text = None
    text, items = block.text, paragraph.items
    link_at: list[int | None] = [None] * len(text)
    format_at: list[int | None] = [None] * len(text)
    points: dict[int, list[int]] = {}
    for mark in sorted(block.marks, key=lambda m: m.tag):
        item = items[mark.tag]
        if isinstance(item, _Inline):
            points.setdefault(mark.start, []).append(mark.tag)
            continue
        target = link_at if isinstance(item, _Link) else format_at
        for i in range(mark.start, mark.end):
            target[i] = mark.tag
    cuts = sorted({0, len(text), *points, *_changes(link_at), *_changes(format_at)})
    writer = _Writer()
    container, open_link = p, None
    for n, at in enumerate(cuts):
        for tag in points.get(at, []):
            inside = open_link is not None and at < len(text) and link_at[at] == open_link
            element = items[tag]
            assert isinstance(element, _Inline)
            element.element.tail = None
            (container if inside else p).append(element.element)
            if not inside:
                container, open_link = p, None
        if n + 1 == len(cuts):
            break
        link = link_at[at]
        if link != open_link:
            open_link, container = link, p
            if link is not None:
                shell = items[link]
                assert isinstance(shell, _Link)
                container = etree.SubElement(p, shell.shell.tag, dict(shell.shell.attrib))
        fmt = format_at[at]
        chosen = items[fmt] if fmt is not None else None
        chain = chosen.chain if isinstance(chosen, _Format) else paragraph.base
        inner = container
        for span in chain:
            inner = etree.SubElement(inner, span.tag, dict(span.attrib))
        writer.text(inner, text[at : cuts[n + 1]])


def _changes(values: Sequence[int | None]) -> list[int]:
    return [i for i in range(1, len(values)) if values[i] != values[i - 1]]


@dataclass
class _Writer:
    spaced: bool = True  # at the paragraph's start a space would be dropped

    def text(self, parent: Element, text: str) -> None:
        for piece in re.split(r"( +|\t|\n)", text):
            if not piece:
                continue
            if piece == "\t":
                etree.SubElement(parent, f"{_T}tab")
                self.spaced = False
            elif piece == "\n":
                etree.SubElement(parent, f"{_T}line-break")
                self.spaced = False
            elif piece.startswith(" "):
                literal = 0 if self.spaced else 1
                if literal:
                    _append(parent, " ")
                if len(piece) > literal:
                    space = etree.SubElement(parent, f"{_T}s")
                    if len(piece) - literal > 1:
                        space.set(f"{_T}c", str(len(piece) - literal))
                self.spaced = False
            else:
                _append(parent, piece)
                self.spaced = False


def _append(parent: Element, text: str) -> None:
    if len(parent):
        last = parent[-1]
        last.tail = (last.tail or "") + text
    else:
        parent.text = (parent.text or "") + text


# -- where the paragraphs are ---------------------------------------------------------------
def _flattened(container: Element) -> Iterator[Element]:
    for child in container:
        if child.tag in _OPEN:
            yield from _flattened(child)
        else:
            yield child


def _outermost(element: Element, tags: set[str]) -> Iterator[Element]:
    for child in element:
        if child.tag in tags:
            yield child
        else:
            yield from _outermost(child, tags)


def paragraphs(container: Element, prefix: str = "") -> Iterator[tuple[Element, str]]:
    counted = tables = lists = 0
    for child in _flattened(container):
        if child.tag in _PARAGRAPHS:
            counted += 1
            where = f"{prefix}paragraph {counted}"
            yield child, where
            notes = frames = 0
            for inner in _outermost(child, {f"{_T}note-body", f"{_D}text-box"}):
                if inner.tag == f"{_T}note-body":
                    notes += 1
                    yield from paragraphs(inner, f"{where}, note {notes}, ")
                else:
                    frames += 1
                    yield from paragraphs(inner, f"{where}, frame {frames}, ")
        elif child.tag == f"{_T}list":
            lists += 1
            for i, item in enumerate(child.iterchildren(f"{_T}list-item", f"{_T}list-header"), 1):
                yield from paragraphs(item, f"{prefix}list {lists}, item {i}, ")
        elif child.tag == f"{_TABLE}table":
            tables += 1
            for r, row in enumerate(_rows(child), 1):
                for c, cell in enumerate((x for x in row if x.tag in _CELLS), 1):
                    yield from paragraphs(cell, f"{prefix}table {tables}, row {r}, cell {c}, ")


def _rows(table: Element) -> Iterator[Element]:
    for child in table:
        if child.tag == f"{_TABLE}table-row":
            yield child
        elif child.tag in _ROWS:
            yield from _rows(child)


def _shapes(page: Element, prefix: str) -> Iterator[tuple[Element, str]]:
    counted = 0
    for shape in page:
        if not isinstance(shape.tag, str) or not shape.tag.startswith(_D):
            continue
        counted += 1
        where = f"{prefix}shape {counted}, "
        if shape.tag == f"{_D}g":
            yield from _shapes(shape, where)
        else:
            yield from paragraphs(shape, where)


# -- the package ------------------------------------------------------------------------------
def _add(parsed: ParsedPackage, part: str, found: Iterator[tuple[Element, str]]) -> None:
    for p, where in found:
        paragraph = read_paragraph(p)
        if not paragraph.text.strip():
            continue

        def write(block: Block, paragraph: OdfParagraph = paragraph) -> None:
            rebuild(paragraph, block)

        parsed.add(part, Block(paragraph.text, paragraph.marks, where), write)


def _tree(parsed: ParsedPackage, archive: Archive, part: str) -> Element:
    tree = archive.xml(part)
    check_odf_tree(tree, part, archive.what)
    parsed.trees[part] = tree
    return tree.getroot()


def _read(data: bytes, limits: Limits, what: str, mimetype: str) -> ParsedPackage:
    archive = open_archive(data, limits, what)
    check_odf(archive, mimetype)
    parsed = ParsedPackage(archive)
    content = _tree(parsed, archive, "content.xml")
    styles = _tree(parsed, archive, "styles.xml") if archive.has("styles.xml") else None
    kind = "text" if what == "odt" else "presentation"
    body = content.find(f"{_O}body/{_O}{kind}")
    if body is None:
        raise DocumentError(f"not a valid {what} file: content.xml has no office:{kind}")
    _add_styles(parsed, "content.xml", content)
    if styles is not None:
        _add_styles(parsed, "styles.xml", styles)
    if what == "odt":
        _add(parsed, "content.xml", paragraphs(body))
        if styles is not None:
            _add_headers(parsed, styles)
    else:
        for n, page in enumerate(body.iterchildren(f"{_D}page"), 1):
            _add(parsed, "content.xml", _shapes(page, f"slide {n}, "))
            for notes in page.iterchildren(f"{_P}notes"):
                _add(parsed, "content.xml", _shapes(notes, f"slide {n}, notes, "))
    return parsed


def _add_styles(parsed: ParsedPackage, part: str, root: Element) -> None:
    def label(languages: Languages) -> bool:
        return relabel_styles(root, languages)

    parsed.relabels.append((part, label))


def relabel_styles(root: Element, languages: Languages) -> bool:
    """The part's styles (the defaults, named and automatic ones) whose language is the
    source's, in the target's: fo:language and fo:country (none for a bare code such as
    "fr"), and style:rfc-language-tag; the Asian and complex-script languages as they were.
    Whether anything changed."""
    changed = False
    language, _, country = languages.tag.partition("-")
    for props in root.iter(f"{_S}text-properties"):
        if languages.is_source(props.get(f"{_FO}language")):
            props.set(f"{_FO}language", language)
            if country:
                props.set(f"{_FO}country", country)
            elif f"{_FO}country" in props.attrib:
                del props.attrib[f"{_FO}country"]
            changed = True
        if languages.is_source(props.get(f"{_S}rfc-language-tag")):
            props.set(f"{_S}rfc-language-tag", languages.tag)
            changed = True
    return changed


def _add_headers(parsed: ParsedPackage, styles: Element) -> None:
    counted: Counter[str] = Counter()
    for master in styles.iter(f"{_S}master-page"):
        for part in master:
            name = etree.QName(part).localname  # header, footer, header-left, footer-first …
            kind = name.split("-", 1)[0]
            if kind in ("header", "footer"):
                counted[kind] += 1
                _add(parsed, "styles.xml", paragraphs(part, f"{kind} {counted[kind]}, "))


ODT_TYPE = "application/vnd.oasis.opendocument.text"
ODP_TYPE = "application/vnd.oasis.opendocument.presentation"


@dataclass(frozen=True)
class OdtFormat:
    name: str = "odt"
    extensions: tuple[str, ...] = (".odt",)
    media_types: tuple[str, ...] = (ODT_TYPE,)

    def read(self, data: bytes, *, limits: Limits) -> ParsedPackage:
        return _read(data, limits, "odt", ODT_TYPE)


@dataclass(frozen=True)
class OdpFormat:
    name: str = "odp"
    extensions: tuple[str, ...] = (".odp",)
    media_types: tuple[str, ...] = (ODP_TYPE,)

    def read(self, data: bytes, *, limits: Limits) -> ParsedPackage:
        return _read(data, limits, "odp", ODP_TYPE)


ODT = OdtFormat()
ODP = OdpFormat()
