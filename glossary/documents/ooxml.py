"""Paragraphs of Office Open XML: WordprocessingML's w:p (DOCX) and DrawingML's a:p (PPTX),
read into a block and rebuilt from its translation.

A paragraph's text is the text of its runs (w:t, a:t; a tab, a line break, a non-breaking or
soft hyphen as its character). Its most common run formatting (rPr, by characters) is the
paragraph's base; a run whose formatting differs (a bold word) is a mark, and so is a
hyperlink. Everything else in the paragraph that is not text (drawings, fields, bookmarks,
footnote references, comment anchors, tracked changes) is an empty mark at its place, so it
moves with the words around it and is written back whole, never dropped. Complex fields
(fldChar begin … end) are kept as they were, their result text included.

Rebuilding: the paragraph's properties (pPr) and its closing properties (a:endParaRPr) stay;
the runs are made again from the translation: plain text with the base formatting, a marked
span with its run's formatting (a copy), inside a copy of its hyperlink."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from lxml import etree

from glossary.documents.model import Block, Mark

Element = etree._Element


@dataclass(frozen=True)
class Dialect:
    """What a paragraph's parts are called in one vocabulary."""

    ns: str
    run_chars: Mapping[str, str]  # run children that stand for a character
    para_chars: Mapping[str, str] = field(default_factory=dict)  # paragraph children (a:br)
    link: str | None = None  # the hyperlink element around runs (w:hyperlink)
    tail: frozenset[str] = frozenset()  # paragraph children that stay last (a:endParaRPr)
    unkeyed: frozenset[str] = frozenset()  # rPr children and attributes that are no formatting

    def name(self, local: str) -> str:
        return f"{{{self.ns}}}{local}"

    def local(self, element: Element) -> str | None:
        tag = element.tag
        if not isinstance(tag, str) or not tag.startswith(f"{{{self.ns}}}"):
            return None
        return tag[len(self.ns) + 2 :]


@dataclass(frozen=True)
class Format:
    props: Element | None  # the run's rPr, copied onto every run of the mark


@dataclass(frozen=True)
class Link:
    shell: Element  # the hyperlink element; its attributes are copied, its runs made anew


@dataclass(frozen=True)
class Inline:
    element: Element  # moved back as it is
    run: Element | None  # the run it sat in (its tag, attributes and rPr wrap it again)


Item = Format | Link | Inline


@dataclass
class Paragraph:
    element: Element
    text: str
    marks: tuple[Mark, ...]
    items: tuple[Item, ...]  # by mark tag
    base: Element | None  # the base rPr


@dataclass
class _Piece:
    text: str
    key: str | None  # None: takes its neighbour's formatting (a:br)
    props: Element | None
    link: Element | None


@dataclass
class _Reader:
    dialect: Dialect
    pieces: list[_Piece] = field(default_factory=list)
    inlines: list[tuple[int, Inline]] = field(default_factory=list)  # (piece index, item)
    depth: int = 0  # inside a complex field

    def key(self, props: Element | None) -> str:
        if props is None:
            return ""
        clean = copy.deepcopy(props)
        for child in list(clean):
            local = self.dialect.local(child)
            if local in self.dialect.unkeyed:
                clean.remove(child)
        for attr in list(clean.attrib):
            if str(attr) in self.dialect.unkeyed:
                del clean.attrib[attr]
        return etree.tostring(clean).decode()

    def inline(self, element: Element, run: Element | None) -> None:
        self.inlines.append((len(self.pieces), Inline(element, run)))

    def paragraph(self, p: Element) -> None:
        d = self.dialect
        for child in p:
            local = d.local(child)
            if local in ("pPr", *d.tail):
                continue
            if local == "r":
                self.run(child, None)
            elif local is not None and local == d.link:
                for inner in child:
                    if d.local(inner) == "r":
                        self.run(inner, child)
                    else:
                        self.inline(inner, None)
            elif local is not None and local in d.para_chars:
                self.pieces.append(_Piece(d.para_chars[local], None, None, None))
            else:
                self.inline(child, None)

    def run(self, run: Element, link: Element | None) -> None:
        d = self.dialect
        fld = [c.get(d.name("fldCharType")) for c in run if d.local(c) == "fldChar"]
        if self.depth or fld:
            self.depth += fld.count("begin") - fld.count("end")
            self.depth = max(self.depth, 0)
            self.inline(run, None)  # a field is kept as it was, result text and all
            return
        props = run.find(d.name("rPr"))
        key = self.key(props)
        for child in run:
            local = d.local(child)
            if local == "rPr":
                continue
            if local == "t":
                self.pieces.append(_Piece(child.text or "", key, props, link))
            elif local in d.run_chars and _plain_break(child, d):
                self.pieces.append(_Piece(d.run_chars[str(local)], key, props, link))
            else:
                self.inline(child, run)


def _plain_break(child: Element, d: Dialect) -> bool:
    # A page or column break is no line break of the text: it stays an element.
    kind = child.get(d.name("type"))
    return d.local(child) != "br" or kind in (None, "textWrapping")


def read_paragraph(p: Element, dialect: Dialect) -> Paragraph:
    reader = _Reader(dialect)
    reader.paragraph(p)
    pieces = reader.pieces
    for i, piece in enumerate(pieces):  # a line break takes the formatting before it
        if piece.key is None:
            near = next((q for q in [*pieces[i::-1], *pieces[i:]] if q.key is not None), None)
            piece.key, piece.props = (near.key, near.props) if near else ("", None)
    weights: Counter[str] = Counter()
    for piece in pieces:
        weights[str(piece.key)] += len(piece.text)
    base_key = max(weights, key=lambda k: weights[k]) if weights else ""
    base = next((q.props for q in pieces if q.key == base_key), None)
    starts, at = [], 0
    for piece in pieces:
        starts.append(at)
        at += len(piece.text)
    starts.append(at)
    items: list[Item] = []
    marks: list[Mark] = []

    # Links first: a link and a format over the same words nest with the link outside.
    def link_of(q: _Piece) -> int | None:
        return None if q.link is None else id(q.link)

    for start, end, first in _groups(pieces, starts, link_of):
        link = pieces[first].link
        assert link is not None
        marks.append(Mark(start, end, len(items)))
        items.append(Link(link))

    def format_of(q: _Piece) -> tuple[int, str] | None:
        return None if q.key == base_key else (id(q.link), str(q.key))

    for start, end, first in _groups(pieces, starts, format_of):
        marks.append(Mark(start, end, len(items)))
        items.append(Format(pieces[first].props))
    for index, item in reader.inlines:
        marks.append(Mark(starts[index], starts[index], len(items)))
        items.append(item)
    text = "".join(q.text for q in pieces)
    return Paragraph(p, text, tuple(marks), tuple(items), base)


def _groups(
    pieces: Sequence[_Piece], starts: Sequence[int], key: Callable[[_Piece], object]
) -> list[tuple[int, int, int]]:
    """(start, end, first piece) of each run of consecutive non-empty pieces with the same
    key that is not None."""
    found: list[tuple[int, int, int]] = []
    current: object = None
    for i, piece in enumerate(pieces):
        if not piece.text:
            continue
        k = key(piece)
        if k is not None and k == current and found and found[-1][1] == starts[i]:
            found[-1] = (found[-1][0], starts[i + 1], found[-1][2])
        elif k is not None:
            found.append((starts[i], starts[i + 1], i))
        current = k
    return found


# -- rebuilding ------------------------------------------------------------------------------
def rebuild(paragraph: Paragraph, block: Block, dialect: Dialect) -> None:
    """The paragraph's runs made again from `block` (its translation, marks on the English)."""
    p = paragraph.element
    d = dialect
    head = [c for c in p if d.local(c) == "pPr"]
    tail = [c for c in p if d.local(c) in d.tail]
    for child in list(p):
        p.remove(child)
    p.extend(head)
    text, items = block.text, paragraph.items
    link_at: list[int | None] = [None] * len(text)
    format_at: list[int | None] = [None] * len(text)
    points: dict[int, list[int]] = {}
    for mark in sorted(block.marks, key=lambda m: m.tag):
        item = items[mark.tag]
        if isinstance(item, Inline):
            points.setdefault(mark.start, []).append(mark.tag)
            continue
        target = link_at if isinstance(item, Link) else format_at
        for i in range(mark.start, mark.end):
            target[i] = mark.tag
    cuts = sorted({0, len(text), *points, *_changes(link_at), *_changes(format_at)})
    container, open_link = p, None
    for n, at in enumerate(cuts):
        for tag in points.get(at, []):
            inside = open_link is not None and at < len(text) and link_at[at] == open_link
            _place(items[tag], container if inside else p, d)
            if not inside:
                container, open_link = p, None
        if n + 1 == len(cuts):
            break
        segment = text[at : cuts[n + 1]]
        link = link_at[at]
        if link != open_link:
            open_link, container = link, p
            if link is not None:
                shell = items[link]
                assert isinstance(shell, Link)
                container = etree.SubElement(p, shell.shell.tag, dict(shell.shell.attrib))
        fmt = format_at[at]
        chosen = items[fmt] if fmt is not None else None
        props = chosen.props if isinstance(chosen, Format) else paragraph.base
        _append_runs(container, segment, props, d)
    p.extend(tail)


def _changes(values: Sequence[int | None]) -> list[int]:
    return [i for i in range(1, len(values)) if values[i] != values[i - 1]]


def _place(item: Item, parent: Element, d: Dialect) -> None:
    if not isinstance(item, Inline):
        return  # a format or link left with no words has nothing to show
    element = item.element
    element.tail = None
    if item.run is None:
        parent.append(element)
        return
    run = etree.SubElement(parent, item.run.tag, dict(item.run.attrib))
    props = item.run.find(d.name("rPr"))
    if props is not None:
        run.append(copy.deepcopy(props))
    run.append(element)


def _written(chars: Mapping[str, str]) -> dict[str, str]:
    """Character → the element written for it: the first that reads as it (w:br, not w:cr)."""
    found: dict[str, str] = {}
    for name, char in chars.items():
        found.setdefault(char, name)
    return found


def _append_runs(parent: Element, text: str, props: Element | None, d: Dialect) -> None:
    """Runs for `text` with the formatting `props`: characters that are elements of their
    own (a tab, a line break) as those, paragraph-level ones (a:br) between runs."""
    para = _written(d.para_chars)
    inrun = _written(d.run_chars)
    run: Element | None = None
    pending = ""

    def flush() -> None:
        nonlocal pending
        if pending:
            assert run is not None
            t = etree.SubElement(run, d.name("t"))
            t.text = pending
            if pending != pending.strip() and d.ns == WORD_NS:
                t.set(XML_SPACE, "preserve")
            pending = ""

    for char in text:
        if char in para:
            flush()
            run = None
            br = etree.SubElement(parent, d.name(para[char]))
            if props is not None:
                br.append(copy.deepcopy(props))
            continue
        if run is None:
            run = etree.SubElement(parent, d.name("r"))
            if props is not None:
                run.append(copy.deepcopy(props))
        if char in inrun:
            flush()
            etree.SubElement(run, d.name(inrun[char]))
        else:
            pending += char
    flush()


XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
WORD_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
DRAWING_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"

WORD = Dialect(
    ns=WORD_NS,
    run_chars={
        "tab": "\t",
        "br": "\n",
        "cr": "\n",
        "noBreakHyphen": "\u2011",
        "softHyphen": "\u00ad",
    },
    link="hyperlink",
    unkeyed=frozenset({"lang", "noProof", "rPrChange"}),
)
DRAWING = Dialect(
    ns=DRAWING_NS,
    run_chars={},
    para_chars={"br": "\n"},
    tail=frozenset({"endParaRPr"}),
    unkeyed=frozenset({"lang", "altLang", "dirty", "err", "smtClean", "smtId", "noProof"}),
)
