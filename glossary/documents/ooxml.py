"""Paragraphs of Office Open XML: WordprocessingML's w:p (DOCX) and DrawingML's a:p (PPTX),
read into a block and rebuilt from its translation.

A paragraph's text is the text of its runs (w:t, a:t; a tab, a line break, a non-breaking or
soft hyphen as its character). Its most common run formatting (rPr, by characters) is the
paragraph's base; a run whose formatting differs (a bold word) is a mark, and so is each
element around runs (a hyperlink, a tracked insertion, a smart tag; nested as they were).
Everything else in the paragraph that is not text (drawings, fields, bookmarks, footnote
references, comment anchors, tracked deletions, a hyperlink around a picture only) is an
empty mark at its place, so it moves with the words around it and is written back whole,
never dropped. Complex fields (fldChar begin … end) are kept as they were, result included.

Rebuilding: the paragraph's properties (pPr) and its closing properties (a:endParaRPr) stay;
the runs are made again from the translation: plain text with the base formatting, a marked
span with its run's formatting (a copy), inside copies of its containers.

A run's language is formatting only by its primary subtag (de-DE and de-AT are one, a French
run in a German paragraph is a mark), so that `relabel` can put the target language on what
was the source's and leave the French run French."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field

from lxml import etree

from glossary.documents.model import Block, Languages, Mark, primary, runs_alike

Element = etree._Element


@dataclass(frozen=True)
class Dialect:
    """What a paragraph's parts are called in one vocabulary."""

    ns: str
    run_chars: Mapping[str, str]  # run children that stand for a character
    para_chars: Mapping[str, str] = field(default_factory=dict)  # paragraph children (a:br)
    containers: frozenset[str] = frozenset()  # elements around runs (w:hyperlink, w:ins)
    tail: frozenset[str] = frozenset()  # paragraph children that stay last (a:endParaRPr)
    unkeyed: frozenset[str] = frozenset()  # rPr children and attributes that are no formatting
    # Where a run's language is: an attribute of the rPr (DrawingML's lang) or of its child
    # (Word's w:lang w:val).
    language_attribute: str = "lang"
    language_element: str | None = None

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
    shell: Element  # a hyperlink or tracked insertion; its attributes copied, runs made anew


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
    links: tuple[Element, ...]  # the containers around it, outermost first


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
        # The region (de-DE, de-AT) is no formatting, the language is: a French quote in a
        # German paragraph is a mark, so it keeps its language when the rest is relabelled.
        return f"{etree.tostring(clean).decode()}|{language_of(props, self.dialect)}"

    def inline(self, element: Element, run: Element | None) -> None:
        self.inlines.append((len(self.pieces), Inline(element, run)))

    def paragraph(self, p: Element) -> None:
        d = self.dialect
        for child in p:
            if d.local(child) not in ("pPr", *d.tail):
                self.content(child, ())

    def content(self, child: Element, links: tuple[Element, ...]) -> None:
        d = self.dialect
        local = d.local(child)
        if local == "r":
            self.run(child, links)
        elif local is not None and local in d.containers and self.has_text(child):
            for inner in child:
                self.content(inner, (*links, child))
        elif local is not None and local in d.para_chars:
            self.pieces.append(_Piece(d.para_chars[local], None, None, links))
        else:
            self.inline(child, None)  # a container without words (a linked picture) too

    def has_text(self, element: Element) -> bool:
        return any(t.text for t in element.iter(self.dialect.name("t")))

    def run(self, run: Element, links: tuple[Element, ...]) -> None:
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
                self.pieces.append(_Piece(child.text or "", key, props, links))
            elif local in d.run_chars and _plain_break(child, d):
                self.pieces.append(_Piece(d.run_chars[str(local)], key, props, links))
            else:
                self.inline(child, run)


def language_of(props: Element | None, d: Dialect) -> str:
    """The primary language a run's formatting names ("de" of de-DE); "" where none."""
    if props is None:
        return ""
    holder = props if d.language_element is None else props.find(d.name(d.language_element))
    value = None if holder is None else holder.get(d.language_attribute)
    return primary(value) if value else ""


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

    # Containers first, outer ones before inner: marks over the same words nest by tag.
    for depth in range(max((len(q.links) for q in pieces), default=0)):

        def link_of(q: _Piece, depth: int = depth) -> int | None:
            return id(q.links[depth]) if len(q.links) > depth else None

        for start, end, first in runs_alike(pieces, starts, link_of):
            marks.append(Mark(start, end, len(items)))
            items.append(Link(pieces[first].links[depth]))

    def format_of(q: _Piece) -> tuple[tuple[int, ...], str] | None:
        return None if q.key == base_key else (tuple(map(id, q.links)), str(q.key))

    for start, end, first in runs_alike(pieces, starts, format_of):
        marks.append(Mark(start, end, len(items)))
        items.append(Format(pieces[first].props))
    for index, item in reader.inlines:
        marks.append(Mark(starts[index], starts[index], len(items)))
        items.append(item)
    text = "".join(q.text for q in pieces)
    return Paragraph(p, text, tuple(marks), tuple(items), base)


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
    links_at: list[tuple[int, ...]] = [()] * len(text)
    format_at: list[int | None] = [None] * len(text)
    points: dict[int, list[int]] = {}
    # outer containers first, as _nested put them: by start, then the longest, then by tag
    for mark in sorted(block.marks, key=lambda m: (m.start, -m.end, m.tag)):
        item = items[mark.tag]
        if isinstance(item, Inline):
            points.setdefault(mark.start, []).append(mark.tag)
        elif isinstance(item, Link):
            for i in range(mark.start, mark.end):
                links_at[i] = (*links_at[i], mark.tag)
        else:
            for i in range(mark.start, mark.end):
                format_at[i] = mark.tag
    cuts = sorted({0, len(text), *points, *_changes(links_at), *_changes(format_at)})
    stack = _Stack(p, items)
    for n, at in enumerate(cuts):
        for tag in sorted(points.get(at, [])):
            both = links_at[at] if at < len(text) else ()
            stack.keep(_common(stack.tags(), both))
            _place(items[tag], stack.top(), d)
        if n + 1 == len(cuts):
            break
        stack.open(links_at[at])
        fmt = format_at[at]
        chosen = items[fmt] if fmt is not None else None
        props = chosen.props if isinstance(chosen, Format) else paragraph.base
        _append_runs(stack.top(), text[at : cuts[n + 1]], props, d)
    p.extend(tail)


# -- languages -------------------------------------------------------------------------------
def relabel(paragraph: Paragraph, dialect: Dialect, languages: Languages) -> bool:
    """The paragraph's runs, its paragraph mark and closing properties that named the source
    language now name the target (a run in another language keeps it); what it holds as it
    was (a field, a drawing: `Inline` items) is left alone. Whether anything changed."""
    kept = {id(item.element) for item in paragraph.items if isinstance(item, Inline)}
    return relabel_all(paragraph.element, dialect, languages, kept)


def relabel_all(
    root: Element, dialect: Dialect, languages: Languages, kept: Set[int] = frozenset()
) -> bool:
    """Every language under `root` (less the subtrees in `kept`, by id) that named the
    source language relabelled to the target; whether anything changed."""
    changed = False
    attribute, holder = dialect.language_attribute, dialect.language_element
    wanted = None if holder is None else dialect.name(holder)
    stack = [root]
    while stack:
        element = stack.pop()
        if id(element) in kept:
            continue
        if (wanted is None or element.tag == wanted) and languages.is_source(
            element.get(attribute)
        ):
            element.set(attribute, languages.tag)
            changed = True
        stack.extend(child for child in element if isinstance(child.tag, str))
    return changed


def _common(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


@dataclass
class _Stack:
    """The containers open where the runs are being written (a hyperlink, an insertion)."""

    p: Element
    items: Sequence[Item]
    opened: list[tuple[int, Element]] = field(default_factory=list)

    def tags(self) -> list[int]:
        return [tag for tag, _ in self.opened]

    def top(self) -> Element:
        return self.opened[-1][1] if self.opened else self.p

    def keep(self, depth: int) -> None:
        del self.opened[depth:]

    def open(self, wanted: Sequence[int]) -> None:
        self.keep(_common(self.tags(), wanted))
        for tag in wanted[len(self.opened) :]:
            shell = self.items[tag]
            assert isinstance(shell, Link)
            element = etree.SubElement(self.top(), shell.shell.tag, dict(shell.shell.attrib))
            self.opened.append((tag, element))


def _changes(values: Sequence[object]) -> list[int]:
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
            if d.ns == WORD_NS and (pending != pending.strip() or "  " in pending):
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
    containers=frozenset({"hyperlink", "ins", "moveTo", "smartTag", "customXml", "dir", "bdo"}),
    unkeyed=frozenset({"lang", "noProof", "rPrChange"}),
    language_attribute=f"{{{WORD_NS}}}val",
    language_element="lang",
)
DRAWING = Dialect(
    ns=DRAWING_NS,
    run_chars={},
    para_chars={"br": "\n"},
    tail=frozenset({"endParaRPr"}),
    unkeyed=frozenset({"lang", "altLang", "dirty", "err", "smtClean", "smtId", "noProof"}),
)
