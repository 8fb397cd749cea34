"""PowerPoint presentations (.pptx) through their PresentationML: each paragraph (a:p) of
every shape's text, of table cells and of the speaker notes is a block, read and rebuilt by
glossary/documents/ooxml.py (its DrawingML dialect: hyperlinks sit in a run's formatting, so
a linked word is a formatting mark). Slides are counted in the order the presentation shows
them, shapes in the order of the slide's shape tree (a group's shapes inside it):
"slide 2, shape 1, paragraph 1", "slide 1, shape 3, row 2, cell 1, paragraph 1",
"slide 1, shape 2, shape 1, paragraph 1", "slide 3, notes, shape 2, paragraph 1". Layouts
and masters (their prompt texts) are not translated. Translated, the runs' and paragraph
ends' lang (PowerPoint writes one on every run) that named the source language name the
target; the masters' default languages are left as they are."""

from __future__ import annotations

from collections.abc import Iterator
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
    DRAWING,
    DRAWING_NS,
    Element,
    Paragraph,
    read_paragraph,
    relabel,
)
from glossary.documents.ooxml import rebuild as rebuild_paragraph
from glossary.errors import DocumentError

MAIN_TYPE = "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"
_P = "{http://schemas.openxmlformats.org/presentationml/2006/main}"
_A = f"{{{DRAWING_NS}}}"
_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_SHAPES = {f"{_P}{n}" for n in ("sp", "grpSp", "graphicFrame", "cxnSp", "pic", "contentPart")}


def _text_body(body: Element | None, prefix: str) -> Iterator[tuple[Element, str]]:
    if body is None:
        return
    for n, p in enumerate(body.iterchildren(f"{_A}p"), 1):
        yield p, f"{prefix}paragraph {n}"


def shapes(tree: Element, prefix: str) -> Iterator[tuple[Element, str]]:
    """The paragraphs of a shape tree's shapes, with where they are."""
    counted = 0
    for shape in tree:
        if shape.tag not in _SHAPES:
            continue
        counted += 1
        where = f"{prefix}shape {counted}, "
        if shape.tag == f"{_P}grpSp":
            yield from shapes(shape, where)
        elif shape.tag == f"{_P}sp":
            yield from _text_body(shape.find(f"{_P}txBody"), where)
        elif shape.tag == f"{_P}graphicFrame":
            table = shape.find(f".//{_A}tbl")
            if table is None:
                continue
            for r, row in enumerate(table.iterchildren(f"{_A}tr"), 1):
                for c, cell in enumerate(row.iterchildren(f"{_A}tc"), 1):
                    yield from _text_body(cell.find(f"{_A}txBody"), f"{where}row {r}, cell {c}, ")


def _add(parsed: ParsedPackage, part: str, found: Iterator[tuple[Element, str]]) -> None:
    for p, where in found:
        paragraph = read_paragraph(p, DRAWING)
        if not paragraph.text.strip():
            continue

        def write(block: Block, paragraph: Paragraph = paragraph) -> None:
            rebuild_paragraph(paragraph, block, DRAWING)

        def label(languages: Languages, paragraph: Paragraph = paragraph) -> bool:
            return relabel(paragraph, DRAWING, languages)

        parsed.add(part, Block(paragraph.text, paragraph.marks, where), write, label)


def _shape_tree(parsed: ParsedPackage, part: str) -> Element:
    root = parsed.archive.xml(part).getroot()
    parsed.trees[part] = root.getroottree()
    tree = root.find(f"{_P}cSld/{_P}spTree")
    if tree is None:
        raise DocumentError(f"not a valid pptx file: {part} has no shape tree")
    return tree


def read_pptx(data: bytes, limits: Limits) -> ParsedPackage:
    archive = open_archive(data, limits, "pptx")
    check_ooxml(archive)
    main = main_part(archive, MAIN_TYPE, "pptx")
    parsed = ParsedPackage(archive)
    related = relationships(archive, main)
    listed = archive.xml(main).getroot().find(f"{_P}sldIdLst")
    ids = [] if listed is None else [str(s.get(f"{_R}id")) for s in listed]
    for number, rid in enumerate(ids, 1):
        kind, slide = related.get(rid, ("", ""))
        if kind != "slide" or not archive.has(slide):
            raise DocumentError(f"not a valid pptx file: slide {number} ({rid}) is missing")
        _add(parsed, slide, shapes(_shape_tree(parsed, slide), f"slide {number}, "))
        notes = [p for k, p in relationships(archive, slide).values() if k == "notesSlide"]
        for part in notes[:1]:
            if archive.has(part) and part not in parsed.trees:
                where = f"slide {number}, notes, "
                _add(parsed, part, shapes(_shape_tree(parsed, part), where))
    return parsed


@dataclass(frozen=True)
class PptxFormat:
    name: str = "pptx"
    extensions: tuple[str, ...] = (".pptx",)
    media_types: tuple[str, ...] = (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    )

    def read(self, data: bytes, *, limits: Limits) -> ParsedPackage:
        return read_pptx(data, limits)


PPTX = PptxFormat()
