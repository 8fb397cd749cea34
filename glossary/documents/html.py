"""HTML (.html, .htm) through the standard library's parser: a `>` in an attribute value or
a comment, or `</p>` in a script, is what the parser says it is, never the end of a tag.

A block is the inline content between block-level tags (a <p>, a heading, a list item, a
table cell, the text of a <div>, the <title>). Inline elements (<b>, <a href>, <span>, ...)
become marks, written back around the English words with their start and end tags exactly as
they were (attributes untranslated: title and alt stay German). Inside a block, a comment,
an empty element (<br>, <img>) or a tag without its partner is an empty mark written back as
it was; inline code (<code>, <kbd>, <samp>, <var>) and any inline element with
translate="no" or class "notranslate" is shown to the model (so the sentence reads whole) but
written back as it was, over the English words aligned with it. <script>, <style>, <pre>,
<textarea>, <template>, <svg>, <math> and block elements with translate="no" are no block:
copied through. Everything outside the blocks (doctype, comments, tags, whitespace), and any
block whose translation is its own text, is written back byte for byte, less the language:
translated, a lang or xml:lang that named the source language (<html lang="de">, <p
lang="de-DE">) names the target, on every tag whose element's text was translated (a
<q lang="fr"> keeps French; <pre>, <code> and translate="no" keep theirs)."""

from __future__ import annotations

import bisect
import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser

from glossary.documents.model import Block, Languages, Limits, Mark
from glossary.documents.text import decode_utf8

BLOCK_ELEMENTS = frozenset(
    "address article aside blockquote body caption center dd details dialog dir div dl dt "
    "fieldset figcaption figure footer form frameset h1 h2 h3 h4 h5 h6 head header hgroup hr "
    "html legend li main menu nav noscript ol optgroup option p section select summary table "
    "tbody td tfoot th thead title tr ul meta link base col colgroup source track area param "
    "embed object iframe video audio canvas picture".split()
)
# Copied through with everything inside them, whatever they hold.
RAW_ELEMENTS = frozenset("script style pre textarea template svg math".split())
# Inline, shown to the model, written back as they were.
CODE_ELEMENTS = frozenset("code kbd samp var".split())
VOID_ELEMENTS = frozenset(
    "area base br col embed hr img input link meta param source track wbr keygen".split()
)
_SPACES = re.compile(r"[\t\n\r\f]")  # line breaks in HTML text are spaces, not lines
_BOM = "\ufeff"


@dataclass(frozen=True)
class _Event:
    kind: str  # start, end, empty, text, other
    tag: str
    attrs: tuple[tuple[str, str | None], ...]
    start: int
    end: int


class _Collector(HTMLParser):
    """The parser's events, each with its extent in the text (they tile it)."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=False)
        self.text = text
        self.lines = [0] + [m.end() for m in re.finditer("\n", text)]
        self.found: list[tuple[str, str, tuple[tuple[str, str | None], ...], int]] = []

    def _add(self, kind: str, tag: str = "", attrs: Sequence[tuple[str, str | None]] = ()) -> None:
        line, column = self.getpos()
        self.found.append((kind, tag, tuple(attrs), self.lines[line - 1] + column))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._add("empty" if tag in VOID_ELEMENTS else "start", tag, attrs)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._add("empty", tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        self._add("end", tag)

    def handle_data(self, data: str) -> None:
        self._add("text")

    def handle_entityref(self, name: str) -> None:
        self._add("text")

    def handle_charref(self, name: str) -> None:
        self._add("text")

    def handle_comment(self, data: str) -> None:
        self._add("other")

    def handle_decl(self, decl: str) -> None:
        self._add("other")

    def handle_pi(self, data: str) -> None:
        self._add("other")

    def unknown_decl(self, data: str) -> None:
        self._add("other")


def _events(text: str) -> list[_Event]:
    collector = _Collector(text)
    collector.feed(text)
    collector.close()
    found = collector.found
    if not found:  # an empty text: no event at all
        return []
    ends = [start for *_, start in found[1:]] + [len(text)]
    return [
        _Event(kind, tag, attrs, start, end)
        for (kind, tag, attrs, start), end in zip(found, ends, strict=True)
        if end > start
    ]


def _matching(events: Sequence[_Event]) -> dict[int, int]:
    """The index of each start tag's end tag: the first that brings the count of open
    elements of its name back to where it was (in one pass, not one per element)."""
    found: dict[int, int] = {}
    opened: dict[str, list[int]] = {}
    for j, event in enumerate(events):
        if event.kind == "start":
            opened.setdefault(event.tag, []).append(j)
        elif event.kind == "end" and opened.get(event.tag):
            found[opened[event.tag].pop()] = j
    return found


def _untranslatable(event: _Event) -> bool:
    attrs = dict(event.attrs)
    classes = (attrs.get("class") or "").split()
    return (attrs.get("translate") or "").strip().lower() == "no" or "notranslate" in classes


@dataclass(frozen=True)
class Markup:
    """What a mark stands for: the raw text at its start and at its end; `opaque` marks are
    written back as `before` alone, in place of the English words under them. A `line_break`
    (an empty mark: <br>, a Markdown hard break) stands for the "\n" its reader put in the
    text after it, so that "\n" is not written a second time."""

    before: str
    after: str = ""
    opaque: bool = False
    line_break: bool = False
    offset: int = -1  # where `before` is in the document, for relabelling its tags' lang


@dataclass
class _Run:
    """Inline content being gathered into one block."""

    start: int  # where its raw text starts
    end: int = 0
    text: list[str] = field(default_factory=list)
    length: int = 0
    marks: list[Mark] = field(default_factory=list)
    markup: list[Markup] = field(default_factory=list)
    # open inline elements: tag, index of its markup, start in the text, its raw start tag,
    # and where that tag starts in the document
    open: list[tuple[str, int, int, str, int]] = field(default_factory=list)

    def add_text(self, text: str) -> None:
        self.text.append(text)
        self.length += len(text)

    def point(self, raw: str, offset: int, line_break: bool = False) -> None:
        self.marks.append(Mark(self.length, self.length, len(self.markup)))
        self.markup.append(Markup(raw, line_break=line_break, offset=offset))


@dataclass(frozen=True)
class _Region:
    start: int
    end: int
    markup: tuple[Markup, ...]
    lead: str  # whitespace inside the region before the block's text
    trail: str


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.events = _events(text)
        self.matching = _matching(self.events)
        # for each event, the index of the first block-level tag from there on
        self.next_block = [len(self.events)] * (len(self.events) + 1)
        for j in range(len(self.events) - 1, -1, -1):
            block = self.events[j].tag in BLOCK_ELEMENTS
            self.next_block[j] = j if block else self.next_block[j + 1]
        self.lines = [0] + [m.end() for m in re.finditer("\n", text)]
        self.blocks: list[Block] = []
        self.regions: list[_Region] = []
        self.run: _Run | None = None
        self.element = "document"
        # the start tags with a lang or xml:lang whose element's text is translated
        self.labelled: list[tuple[int, int]] = []

    def read(self) -> None:
        i = 0
        while i < len(self.events):
            i = self._step(i)
        self._flush()

    def _step(self, i: int) -> int:
        event = self.events[i]
        if event.kind in ("start", "empty") and (
            event.tag in RAW_ELEMENTS
            or (event.tag in BLOCK_ELEMENTS and _untranslatable(event) and event.kind == "start")
        ):
            self._flush()
            return self._skip(i)
        opaque = event.kind == "start" and (event.tag in CODE_ELEMENTS or _untranslatable(event))
        if not opaque and any(name in _LANG_ATTRIBUTES for name, _ in event.attrs):
            self.labelled.append((event.start, event.end))
        if event.tag in BLOCK_ELEMENTS and event.kind != "text":
            self._flush()
            self.element = event.tag
            return i + 1
        if opaque:
            return self._opaque(i)
        self._inline(event)
        return i + 1

    def _skip(self, i: int, inline: bool = False) -> int:
        """The index after the element starting at events[i] (its matching end tag); an
        `inline` one never closed ends where its block does (an unclosed <code> does not
        take the rest of the document with it)."""
        if self.events[i].kind == "empty":
            return i + 1
        if (end := self.matching.get(i)) is not None:
            return end + 1
        return self.next_block[i + 1] if inline else len(self.events)

    def _raw(self, event: _Event) -> str:
        return self.text[event.start : event.end]

    def _current(self, event: _Event) -> _Run:
        if self.run is None:
            self.run = _Run(event.start)
        self.run.end = event.end
        return self.run

    def _opaque(self, i: int) -> int:
        after = self._skip(i, inline=True)
        run = self._current(self.events[i])
        inner = [e for e in self.events[i:after] if e.kind == "text"]
        shown = "".join(_SPACES.sub(" ", html.unescape(self._raw(e))) for e in inner)
        start = run.length
        run.add_text(shown)
        raw = self.text[self.events[i].start : self.events[after - 1].end]
        run.marks.append(Mark(start, run.length, len(run.markup)))
        run.markup.append(Markup(raw, opaque=True))
        run.end = self.events[after - 1].end
        return after

    def _inline(self, event: _Event) -> None:
        run = self._current(event)
        raw = self._raw(event)
        if event.kind == "text":
            run.add_text(_SPACES.sub(" ", html.unescape(raw)))
        elif event.kind == "start":
            run.open.append((event.tag, len(run.markup), run.length, raw, event.start))
            run.markup.append(Markup(raw, offset=event.start))  # empty unless its end comes
        elif event.kind == "end" and any(tag == event.tag for tag, *_ in run.open):
            while run.open:
                tag, at, start, before, offset = run.open.pop()
                if tag == event.tag and start == run.length:
                    # Around no text (<a href><img></a>): one empty mark, written as it was.
                    run.marks = [m for m in run.marks if m.tag < at]
                    run.markup[at] = Markup(self.text[offset : event.end], offset=offset)
                    run.marks.append(Mark(start, start, at))
                    break
                if tag == event.tag:
                    run.marks.append(Mark(start, run.length, at))
                    run.markup[at] = Markup(before, raw, offset=offset)
                    break
                run.marks.append(Mark(start, start, at))  # closed implicitly: kept as it was
        elif event.kind == "empty" and event.tag == "br":
            run.point(raw, event.start, line_break=True)
            run.add_text("\n")  # a line break the segmenter sees; written as the tag alone
        else:
            run.point(raw, event.start)

    def _flush(self) -> None:
        run, self.run = self.run, None
        if run is None:
            return
        for _, at, start, _, _ in run.open:  # a start tag without its end: kept where it was
            run.marks.append(Mark(start, start, at))
        text = "".join(run.text)
        if not has_words(text, run.marks, run.markup):
            return
        # The whitespace around the text stays outside the block, up to the first or last tag.
        lead = min([len(text) - len(text.lstrip()), *(m.start for m in run.marks)])
        # a <br>'s "\n" is its own: it stays in the block with it
        ends = [m.end + run.markup[m.tag].line_break for m in run.marks]
        end = max([len(text.rstrip()), *ends])
        body = text[lead:end]
        marks = tuple(
            sorted(
                (Mark(m.start - lead, m.end - lead, m.tag) for m in run.marks), key=lambda m: m.tag
            )
        )
        line = bisect.bisect_right(self.lines, run.start)
        number = len(self.blocks) + 1
        location = f"paragraph {number} (<{self.element}>, line {line})"
        self.blocks.append(Block(body, marks, location))
        raw = self.text[run.start : run.end]
        before, after = _raw_space(raw, text[:lead]), _raw_space(raw[::-1], text[end:][::-1])
        self.regions.append(_Region(run.start, run.end, tuple(run.markup), before, after[::-1]))


def kept_spans(block: Block, markup: Sequence[Markup]) -> list[tuple[int, int]]:
    """The spans of a block's text that are written back as they were (code, translate="no",
    a URL), whatever their translation: a glossary term there is not in the document."""
    return [(m.start, m.end) for m in block.marks if markup[m.tag].opaque]


def has_words(text: str, marks: Sequence[Mark], markup: Sequence[Markup]) -> bool:
    """Whether a block has text of its own to translate: not only whitespace, nor only code
    (a paragraph that is one <code>, one URL), which would be written back as it was."""
    shown = list(text)
    for mark in marks:
        if markup[mark.tag].opaque:
            shown[mark.start : mark.end] = " " * (mark.end - mark.start)
    return bool("".join(shown).strip())


def _raw_space(raw: str, space: str) -> str:
    """The whitespace `space` at the start of a block as the document has it (line breaks
    and tabs, which the block's text reads as spaces); as read where an entity made it."""
    found = raw[: len(space)]
    return found if len(found) == len(space) and not found.strip(" \t\n\r\f") else space


@dataclass(frozen=True)
class ParsedHtml:
    text: str
    bom: bool
    blocks: tuple[Block, ...]
    regions: tuple[_Region, ...]
    labelled: tuple[tuple[int, int], ...] = ()  # start tags with a lang, in document order

    def kept(self, index: int) -> list[tuple[int, int]]:
        return kept_spans(self.blocks[index], self.regions[index].markup)

    def write(self, translated: Sequence[Block], language: Languages | None = None) -> bytes:
        if len(translated) != len(self.blocks):
            raise ValueError(f"{len(translated)} translations for {len(self.blocks)} blocks")
        out, cursor = [_BOM if self.bom else ""], 0
        for source, block, region in zip(self.blocks, translated, self.regions, strict=True):
            out.append(self._copy(cursor, region.start, language))
            if block.text == source.text and block.marks == source.marks:
                out.append(self._copy(region.start, region.end, language))
            else:
                markup = self._relabelled(region.markup, language)
                out.append(region.lead + render(block, markup, _escape_html) + region.trail)
            cursor = region.end
        out.append(self._copy(cursor, len(self.text), language))
        return "".join(out).encode("utf-8")

    def _copy(self, start: int, end: int, language: Languages | None) -> str:
        """The document's text[start:end], its start tags' lang naming the target where it
        named the source (with `language`)."""
        if language is None:
            return self.text[start:end]
        out: list[str] = []
        cursor = start
        at = bisect.bisect_left(self.labelled, (start, start))
        while at < len(self.labelled) and self.labelled[at][1] <= end:
            a, b = self.labelled[at]
            out.extend((self.text[cursor:a], relabel_tag(self.text[a:b], language)))
            cursor, at = b, at + 1
        out.append(self.text[cursor:end])
        return "".join(out)

    def _relabelled(
        self, markup: tuple[Markup, ...], language: Languages | None
    ) -> tuple[Markup, ...]:
        if language is None:
            return markup
        return tuple(
            m
            if m.offset < 0 or m.opaque
            else replace(m, before=self._copy(m.offset, m.offset + len(m.before), language))
            for m in markup
        )


_LANG_ATTRIBUTES = ("lang", "xml:lang")
_TAG_NAME = re.compile(r"<[^\s/>]*")
_BETWEEN = re.compile(r"[\s/]*")
_ATTRIBUTE = re.compile(r"""([^\s/>"'=][^\s/>=]*)(?:(\s*=\s*)("[^"]*"|'[^']*'|[^\s>]*))?""")


def relabel_tag(raw: str, language: Languages) -> str:
    """A start tag with its lang and xml:lang in the target language where they named the
    source ("<p class=a lang='de-DE'>" is "<p class=a lang='en-GB'>"), all else as it was."""
    name = _TAG_NAME.match(raw)
    at = name.end() if name else 0
    out = [raw[:at]]
    while (gap := _BETWEEN.match(raw, at)) and (found := _ATTRIBUTE.match(raw, gap.end())):
        out.append(raw[at : gap.end()])
        value = found.group(3)
        quoted = value is not None and value[:1] in ("'", '"')
        inner = value[1:-1] if value is not None and quoted else value
        if (
            value is not None
            and found.group(1).lower() in _LANG_ATTRIBUTES
            and language.is_source(html.unescape(inner or ""))
        ):
            quote = value[0] if quoted else ""
            out.append(f"{found.group(1)}{found.group(2)}{quote}{language.tag}{quote}")
        else:
            out.append(found.group(0))
        at = found.end()
    out.append(raw[at:])
    return "".join(out)


def render(block: Block, markup: Sequence[Markup], escape: Callable[[str], str]) -> str:
    """A block's text escaped, each mark's markup around its span, nested as
    translate.move_marks keeps them (an inner mark closes first, an outer one opens first);
    the text under an opaque mark is left out, its markup stands for it."""
    # position, order (ends, then starts and points), tie, tie, markup; at one position,
    # starts and points go in document order (the markup's index): a <br> that opened its
    # <span> stays inside it, one before it stays before
    events: list[tuple[int, int, int, int, str]] = []
    skip: list[tuple[int, int]] = []
    for mark in block.marks:
        found = markup[mark.tag]
        if mark.start == mark.end:
            events.append((mark.start, 1, mark.tag, 0, found.before + found.after))
            if found.line_break and block.text[mark.start : mark.start + 1] in ("\n", " "):
                # its own line break, or the space the translation put in the break's place
                skip.append((mark.start, mark.start + 1))
            continue
        if found.opaque:
            skip.append((mark.start, mark.end))
        events.append((mark.start, 1, mark.tag, -mark.end, found.before))
        if found.after:
            events.append((mark.end, 0, -mark.start, -mark.tag, found.after))
    events.sort()
    out, cursor = [], 0
    for position, *_, written in events:
        out.append(_escaped(block.text, cursor, position, skip, escape))
        out.append(written)
        cursor = max(cursor, position)
    out.append(_escaped(block.text, cursor, len(block.text), skip, escape))
    return "".join(out)


def _escaped(
    text: str,
    start: int,
    end: int,
    skip: Sequence[tuple[int, int]],
    escape: Callable[[str], str],
) -> str:
    keep = [(start, end)]
    for a, b in skip:
        keep = [p for x, y in keep for p in ((x, min(y, a)), (max(x, b), y)) if p[1] > p[0]]
    return "".join(escape(text[x:y]) for x, y in keep)


def _escape_html(text: str) -> str:
    # A "\n" that no <br> stands for (one the translation moved): a space, as HTML reads it.
    return html.escape(text, quote=False).replace("\n", " ")


def read_html(text: str) -> ParsedHtml:
    """The blocks of an HTML text (a page or a fragment)."""
    bom = text.startswith(_BOM)
    text = text.removeprefix(_BOM)
    reader = _Reader(text)
    reader.read()
    return ParsedHtml(
        text, bom, tuple(reader.blocks), tuple(reader.regions), tuple(reader.labelled)
    )


@dataclass(frozen=True)
class HtmlFormat:
    name: str = "html"
    extensions: tuple[str, ...] = (".html", ".htm")
    media_types: tuple[str, ...] = ("text/html", "application/xhtml+xml")

    def read(self, data: bytes, *, limits: Limits) -> ParsedHtml:
        return read_html(decode_utf8(data))


HTML = HtmlFormat()
