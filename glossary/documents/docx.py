"""Word documents (.docx) through their WordprocessingML: each paragraph of the body, of
table cells (nested tables too), text boxes, headers, footers, footnotes and endnotes is a
block (glossary/documents/ooxml.py reads and rebuilds it). Where a block is:
"paragraph 3", "table 1, row 2, cell 1, paragraph 1", "paragraph 4, text box 1, paragraph 1",
"header 1, paragraph 1", "footnote 2, paragraph 1". Paragraphs are counted as Word has
them, empty ones too, so "paragraph 3" is the third of the body; a text box Word also wrote
as a VML fallback is one block, written into both. The package is read and
written through glossary/documents/archive.py: macros and external references refused, every
part we did not change written back as it was. Translated, the paragraphs' runs and the
document's default and style languages (styles.xml) that named the source language name the
target (a run marked French stays French); styles.xml is written again only where it did."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from glossary.documents.archive import (
    ParsedPackage,
    check_ooxml,
    main_part,
    open_archive,
    relationships,
)
from glossary.documents.model import Block, Languages, Limits
from glossary.documents.ooxml import (
    WORD,
    WORD_NS,
    Element,
    Paragraph,
    read_paragraph,
    rebuild,
    relabel,
    relabel_all,
)
from glossary.errors import DocumentError

MAIN_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_W = f"{{{WORD_NS}}}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_CONTAINERS = {f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml"}  # their paragraphs are ours
# Parts beside the body, in the order their blocks follow it.
_SIDE_PARTS = ("header", "footer", "footnotes", "endnotes")


def _number(path: str) -> int:
    digits = re.findall(r"\d+", path.rsplit("/", 1)[-1])
    return int(digits[-1]) if digits else 0


def _flattened(container: Element) -> Iterator[Element]:
    """The container's children, content controls and custom XML opened up."""
    for child in container:
        if child.tag in _CONTAINERS:
            yield from _flattened(child)
        else:
            yield child


def _outermost(element: Element, tag: str) -> Iterator[Element]:
    """The outermost `tag` elements inside, less those of a fallback (see _twin)."""
    for child in element:
        if child.tag == tag:
            yield child
        elif child.tag != f"{_MC}Fallback":
            yield from _outermost(child, tag)


def _twin(p: Element) -> Element | None:
    """Word writes a text box twice, as a drawing (mc:Choice) and as VML (mc:Fallback): the
    fallback's paragraph that matches `p` of the choice, which is translated with it and so
    neither counted nor reported twice."""
    choice = next((a for a in p.iterancestors(f"{_MC}Choice")), None)
    if choice is None:
        return None
    alternate = choice.getparent()
    fallback = None if alternate is None else alternate.find(f"{_MC}Fallback")
    if fallback is None:
        return None
    ours, theirs = list(choice.iter(f"{_W}p")), list(fallback.iter(f"{_W}p"))
    return theirs[ours.index(p)] if len(ours) == len(theirs) else None


def paragraphs(container: Element, prefix: str = "") -> Iterator[tuple[Element, str]]:
    """Every paragraph in the container, with where it is."""
    counted = tables = 0
    for child in _flattened(container):
        if child.tag == f"{_W}p":
            counted += 1
            where = f"{prefix}paragraph {counted}"
            yield child, where
            for k, box in enumerate(_outermost(child, f"{_W}txbxContent"), 1):
                yield from paragraphs(box, f"{where}, text box {k}, ")
        elif child.tag == f"{_W}tbl":
            tables += 1
            for r, row in enumerate(child.iterchildren(f"{_W}tr"), 1):
                for c, cell in enumerate(row.iterchildren(f"{_W}tc"), 1):
                    yield from paragraphs(cell, f"{prefix}table {tables}, row {r}, cell {c}, ")


def _notes(root: Element, kind: str) -> Iterator[tuple[Element, str]]:
    """Footnotes or endnotes, less the separators Word keeps among them."""
    counted = 0
    for note in root.iterchildren(f"{_W}{kind}"):
        if note.get(f"{_W}type") in ("separator", "continuationSeparator", "continuationNotice"):
            continue
        counted += 1
        yield from paragraphs(note, f"{kind} {counted}, ")


def _add(parsed: ParsedPackage, part: str, found: Iterator[tuple[Element, str]]) -> None:
    for p, where in found:
        paragraph = read_paragraph(p, WORD)
        if not paragraph.text.strip():
            continue
        twin = _twin(p)
        copies = [paragraph]
        if twin is not None:
            other = read_paragraph(twin, WORD)
            if (other.text, other.marks) == (paragraph.text, paragraph.marks):
                copies.append(other)  # the same runs: the same translation fits it

        def write(block: Block, copies: list[Paragraph] = copies) -> None:
            for paragraph in copies:
                rebuild(paragraph, block, WORD)

        def label(languages: Languages, copies: list[Paragraph] = copies) -> bool:
            return any([relabel(paragraph, WORD, languages) for paragraph in copies])

        parsed.add(part, Block(paragraph.text, paragraph.marks, where), write, label)


def _add_styles(parsed: ParsedPackage, related: Iterable[tuple[str, str]]) -> None:
    """The document's default and style languages (styles.xml), which a run without a
    w:lang of its own is in: relabelled with the runs, where they named the source."""
    for path in sorted({p for k, p in related if k == "styles"}):
        if path in parsed.trees or not parsed.archive.has(path):
            continue
        root = parsed.archive.xml(path).getroot()
        parsed.trees[path] = root.getroottree()

        def label(languages: Languages, root: Element = root) -> bool:
            return relabel_all(root, WORD, languages)

        parsed.relabels.append((path, label))


def read_docx(data: bytes, limits: Limits) -> ParsedPackage:
    archive = open_archive(data, limits, "docx")
    check_ooxml(archive)
    main = main_part(archive, MAIN_TYPE, "docx")
    parsed = ParsedPackage(archive)
    tree = parsed.trees[main] = archive.xml(main)
    body = tree.getroot().find(f"{_W}body")
    if body is None:
        raise DocumentError(f"not a valid docx file: {main} has no body")
    _add(parsed, main, paragraphs(body))
    related = relationships(archive, main).values()
    _add_styles(parsed, related)
    side = [
        (kind, path)
        for kind in _SIDE_PARTS
        for path in sorted({p for k, p in related if k == kind}, key=lambda p: (_number(p), p))
    ]
    for kind, path in side:
        if path in parsed.trees or not archive.has(path):
            continue
        root = archive.xml(path).getroot()
        parsed.trees[path] = root.getroottree()
        if kind in ("footnotes", "endnotes"):
            _add(parsed, path, _notes(root, kind[:-1]))
        else:
            _add(parsed, path, paragraphs(root, f"{kind} {_number(path) or 1}, "))
    return parsed


@dataclass(frozen=True)
class DocxFormat:
    name: str = "docx"
    extensions: tuple[str, ...] = (".docx",)
    media_types: tuple[str, ...] = (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )

    def read(self, data: bytes, *, limits: Limits) -> ParsedPackage:
        return read_docx(data, limits)


DOCX = DocxFormat()
