"""Markdown (.md, .markdown), read line by line: headings, paragraphs, list items, block
quotes, footnotes and table cells (with or without outer pipes) are blocks, and so are a list
item's later paragraphs, indented as far as its content; their markers
(#, -, 1., >, [^1]:, |) stay as they were. Fenced and indented code, front matter, HTML
blocks, link reference definitions, thematic breaks and setext underlines are no block: copied
through. Inside a block, **strong**, *emphasis*, [links](url) are marks whose delimiters,
URLs and titles are written back as they were around the English words; inline `code`,
<autolinks> and bare URLs are shown to the model but written back as they were; an image, a
footnote reference, an HTML tag stays as it was; an escaped character is text. A paragraph
wrapped over several lines is translated as one and written on one line, except at a hard
line break (two spaces or a backslash at the line's end), which is kept."""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

from glossary.documents.html import Markup, has_words, kept_spans, render
from glossary.documents.model import Block, Languages, Limits, Mark
from glossary.documents.text import decode_utf8

_BOM = "\ufeff"
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r" {0,3}#{1,6}(?:[ \t]+|$)")
_HEADING_END = re.compile(r"(?:[ \t]+#+)?[ \t]*$")
_BREAK = re.compile(r" {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,}|=+[ \t]*)$")
_ITEM = re.compile(r"[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]+\[[ xX]\])?[ \t]+")
_QUOTE = re.compile(r"(?:[ \t]{0,3}>[ \t]?)+")
_HTML_BLOCK = re.compile(r" {0,3}<(?:[A-Za-z][\w-]*|/[A-Za-z]|!--|\?|!)")
_TABLE_RULE = re.compile(r"[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
_URL = re.compile(r"https?://[^\s<>()]+[^\s<>().,;:!?'\"]")
_AUTOLINK = re.compile(r"<((?:https?|mailto|ftp):[^\s<>]+|[^\s<>@]+@[^\s<>@]+)>")
_INLINE_HTML = re.compile(r"</?[A-Za-z][\w-]*(?:\s[^<>]*)?/?>|<!--.*?-->", re.DOTALL)
_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^)\n]*\)|!\[[^\]\n]*\]\[[^\]\n]*\]")
_LINK_TAIL = re.compile(
    r"\((?:[^()\s]|\([^()\s]*\))*(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\)|\[[^\]\n]*\]"
)
_ESCAPABLE = "\\`*_[]<>#!|"
# A link reference definition ([id]: url) is no block; a footnote's ([^1]: text) marker stays.
_DEFINITION = re.compile(r" {0,3}\[(?!\^)(?:[^\]\\\n]|\\.)+\]:")
_FOOTNOTE = re.compile(r" {0,3}\[\^[^\]\s]+\]:[ \t]*")
_FOOTNOTE_REF = re.compile(r"\[\^[^\]\s]+\]")
# HTML blocks that end at their closing tag (blank lines and all), not at a blank line.
_HTML_RAW = re.compile(r" {0,3}<(script|pre|style|textarea)(?:\s|>|$)", re.IGNORECASE)
_CELL = re.compile(r"(?:\\.|[^|\\]|\\$)+")
# Links and emphasis nested deeper than this are read as text (each level is a recursion).
_MAX_DEPTH = 32
# Stands in the joined lines of a paragraph for a hard line break (see _Reader._flush).
_BREAK_MARK = "\x00"


@dataclass(frozen=True)
class _Line:
    start: int  # offset of the line in the text
    content: int  # where its content starts (after any marker)
    end: int  # where its content ends (before the line break)


class _Inline:
    """A block's raw content into text for the model and marks with their markup; `breaks`:
    the raw text of each hard line break, in order, that _BREAK_MARK stands for."""

    def __init__(self, breaks: Sequence[str] = ()) -> None:
        self.text: list[str] = []
        self.length = 0
        self.marks: list[Mark] = []
        self.markup: list[Markup] = []
        self.breaks = list(breaks)
        self.depth = 0  # links and emphasis open around the text being read
        self._brackets: dict[str, dict[int, int]] = {}
        self._delimiters: dict[str, _Closers] = {}

    def _emphasis(self, s: str) -> _Closers:
        found = self._delimiters.get(s)
        if found is None:
            found = self._delimiters[s] = _Closers(s)
        return found

    def _closers(self, s: str) -> dict[int, int]:
        found = self._brackets.get(s)
        if found is None:
            found = self._brackets[s] = _brackets(s)
        return found

    def add(self, text: str) -> None:
        self.text.append(text)
        self.length += len(text)

    def opaque(self, shown: str, raw: str) -> None:
        start = self.length
        self.add(shown)
        self.marks.append(Mark(start, self.length, len(self.markup)))
        self.markup.append(Markup(raw, opaque=True))

    def point(self, raw: str, line_break: bool = False) -> None:
        self.marks.append(Mark(self.length, self.length, len(self.markup)))
        self.markup.append(Markup(raw, line_break=line_break))

    def parse(self, s: str) -> None:
        i = 0
        while i < len(s):
            i = self._step(s, i)

    def _around(self, before: str, inner: str, after: str) -> None:
        at, start = len(self.markup), self.length
        self.markup.append(Markup(before, after))
        self.depth += 1
        self.parse(inner)
        self.depth -= 1
        self.marks.append(Mark(start, self.length, at))

    def _step(self, s: str, i: int) -> int:
        c = s[i]
        if c == _BREAK_MARK and self.breaks:
            self.point(self.breaks.pop(0), line_break=True)
            self.add("\n")  # the segmenter sees a line; written as the break alone
            return i + 1
        if c == "\\" and i + 1 < len(s) and s[i + 1] in _ESCAPABLE:
            self.add(s[i + 1])  # the writer escapes it again where it must (_escape)
            return i + 2
        if c == "`":
            return self._code(s, i)
        if c == "!" and (m := _IMAGE.match(s, i)):
            self.point(m.group())
            return m.end()
        if c == "[" and (m := _FOOTNOTE_REF.match(s, i)):
            self.point(m.group())
            return m.end()
        nests = self.depth < _MAX_DEPTH  # deeper, brackets and asterisks are text
        if nests and c == "[" and (end := _link(s, i, self._closers(s))):
            label_end, tail_end = end
            self._around("[", s[i + 1 : label_end], s[label_end:tail_end])
            return tail_end
        if c == "<":
            if m := _AUTOLINK.match(s, i):
                self.opaque(m.group(1), m.group())
                return m.end()
            if m := _INLINE_HTML.match(s, i):
                self.point(m.group())
                return m.end()
        if nests and c in "*_" and (found := _emphasis(s, i, self._emphasis(s))):
            delimiter, close = found
            self._around(delimiter, s[i + len(delimiter) : close], delimiter)
            return close + len(delimiter)
        if c == "h" and (m := _URL.match(s, i)) and (i == 0 or not s[i - 1].isalnum()):
            self.opaque(m.group(), m.group())
            return m.end()
        self.add(c)
        return i + 1

    def _code(self, s: str, i: int) -> int:
        run = len(s[i:]) - len(s[i:].lstrip("`"))
        close = s.find("`" * run, i + run)
        while close >= 0 and close + run < len(s) and s[close + run] == "`":
            close = s.find("`" * run, close + run + 1)
        if close < 0:
            self.add(s[i : i + run])
            return i + run
        shown = s[i + run : close]
        self.opaque(shown.strip() or shown, s[i : close + run])
        return close + run


def _link(s: str, i: int, closers: dict[int, int]) -> tuple[int, int] | None:
    """Where the label of a link at s[i] ends (its "]") and where the link ends."""
    j = closers.get(i)
    if j is None:
        return None
    # [label](url), [label][ref], or [label] alone (a shortcut reference, or brackets of the
    # text): the brackets are written back as they were
    tail = _LINK_TAIL.match(s, j + 1)
    return (j, tail.end()) if tail else (j, j + 1)


def _brackets(s: str) -> dict[int, int]:
    """Where each "[" of `s` that is closed has its "]" (an escaped one is text), found in
    one pass: looking for each one's from there costs the square of a line of "["."""
    found: dict[int, int] = {}
    opened: list[int] = []
    i = 0
    while i < len(s):
        if s[i] == "\\":
            i += 2
            continue
        if s[i] == "[":
            opened.append(i)
        elif s[i] == "]" and opened:
            found[opened.pop()] = i
        i += 1
    return found


def _emphasis(s: str, i: int, closers: _Closers) -> tuple[str, int] | None:
    """The delimiter at s[i] (**, __, * or _) and where its closing one starts. After a run
    of three, the one that closes first is the inner one: "***fett** kursiv*" is emphasis
    around strong, "***kursiv* fett**" strong around emphasis."""
    c, after = s[i], i + min(closers.runs[i], 2)  # where the text after the opener starts
    if after >= len(s) or s[after].isspace():
        return None
    if c == "_" and i > 0 and s[i - 1].isalnum():
        return None
    double = closers.first(c * 2, i + 3) if closers.runs[i] >= 2 else None
    single = closers.first(c, i + 2)
    if closers.runs[i] >= 3 and single is not None and double is not None:
        return (c, single) if double < single else (c * 2, double)
    if double is not None:
        return c * 2, double
    return None if single is None else (c, single)


class _Closers:
    """Where emphasis may close in one string, by delimiter, found in one pass each: looking
    from each opener costs the square of a line of unclosed ones."""

    def __init__(self, s: str) -> None:
        self.s = s
        self.runs = [1] * (len(s) + 1)  # how many of the same character start at each place
        for p in range(len(s) - 2, -1, -1):
            if s[p] == s[p + 1]:
                self.runs[p] = self.runs[p + 1] + 1
        self.found: dict[str, tuple[list[int], list[int]]] = {}

    def first(self, delimiter: str, start: int) -> int | None:
        """Where the first closing `delimiter` at or after `start` begins."""
        if delimiter not in self.found:
            self.found[delimiter] = self._find(delimiter)
        places, closes = self.found[delimiter]
        k = bisect.bisect_left(places, start)
        return closes[k] if k < len(places) else None

    def _find(self, delimiter: str) -> tuple[list[int], list[int]]:
        s, c, size = self.s, delimiter[0], len(delimiter)
        places, closes = [], []
        for p in range(1, len(s)):
            if s[p] != c or self.runs[p] < size:
                continue
            run = self.runs[p]
            doubled = size == 1 and (s.startswith(delimiter, p + 1) or s[p - 1] == c)
            intraword = c == "_" and p + run < len(s) and s[p + run].isalnum()
            # "*kursiv **fett***": the last of a run of three closes the single one
            last_of_three = size == 1 and run == 1 and p >= 3 and s[p - 2 : p] == c * 2
            if last_of_three and s[p - 3] != c and not s[p - 3].isspace() and not intraword:
                places.append(p)
                closes.append(p)
            elif not s[p - 1].isspace() and not doubled and not intraword:
                places.append(p)
                # "**fett *kursiv***": the strong closes with the last two of the run
                closes.append(p + (run - 2 if size == 2 else 0))
        return places, closes


def _escape(text: str) -> str:
    """Translated text as Markdown: characters that would start markup are escaped; a line
    break no hard break stands for (one the translation moved) is a space."""
    return re.sub(r"([\\`*_\[\]<])", r"\\\1", text).replace("\n", " ")


def _escape_cell(text: str) -> str:
    """A table cell's text: a pipe would end the cell."""
    return _escape(text).replace("|", "\\|")


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.lines: list[_Line] = []
        at = 0
        for line in text.splitlines(keepends=True):
            body = line.rstrip("\r\n")
            self.lines.append(_Line(at, at, at + len(body)))
            at += len(line)
        self.starts = [line.start for line in self.lines]
        self.breakable = _BREAK_MARK not in text  # else hard breaks are read as spaces
        self.blocks: list[Block] = []
        self.spans: list[tuple[int, int]] = []
        self.markup: list[tuple[Markup, ...]] = []
        self.cells: list[bool] = []  # per block: a table cell, where "|" must be escaped
        self.paragraph: list[_Line] = []
        self.table = False  # inside a table, after its delimiter row
        self.item = 0  # the column a list item's content starts at, while in a list

    def raw(self, line: _Line) -> str:
        return self.text[line.start : line.end]

    def read(self) -> None:
        i = self._front_matter()
        while i < len(self.lines):
            i = self._line(i)
        self._flush()

    def _front_matter(self) -> int:
        if not self.lines or self.raw(self.lines[0]).rstrip() != "---":
            return 0
        for j in range(1, len(self.lines)):
            if self.raw(self.lines[j]).rstrip() in ("---", "..."):
                return j + 1
        return 0

    def _line(self, i: int) -> int:
        line = self.lines[i]
        raw = self.raw(line)
        if not raw.strip():
            self._flush()
            self.table = False
            return i + 1
        if inside := self._in_item(raw):
            # a later paragraph (or code) of a list item: read without the item's indentation
            line = _Line(line.start + inside, line.start + inside, line.end)
            raw = self.raw(line)
        if fence := _FENCE.match(raw):
            self._flush()
            return self._fenced(i, fence.group(1), inside)
        if raw.startswith(("    ", "\t")) and not self.paragraph:
            return i + 1  # indented code
        if _HTML_BLOCK.match(raw) and not self.paragraph:
            return self._html_block(i)
        if _BREAK.match(raw):
            self._flush()  # a thematic break, or a setext heading's underline
            return i + 1
        if self._is_row(i):
            self._flush()
            self._table_row(line)
            return i + 1
        if _DEFINITION.match(raw) and not self.paragraph:
            return i + 1  # a link reference definition: copied through
        prefix = _QUOTE.match(raw)
        quoted = prefix.end() if prefix else 0
        rest = raw[quoted:]
        if heading := _HEADING.match(rest):
            self._flush()
            end = _HEADING_END.search(rest, heading.end())
            stop = end.start() if end else len(rest)
            self._single(line.start + quoted + heading.end(), line.start + quoted + stop)
            return i + 1
        if (item := _ITEM.match(rest)) or (item := _FOOTNOTE.match(rest)):
            self._flush()
            if not quoted:
                self.item = inside + item.end()
            quoted += item.end()
        start = line.start + quoted
        self.paragraph.append(
            _Line(line.start, start + _lead(self.text, start, line.end), line.end)
        )
        return i + 1

    def _in_item(self, raw: str) -> int:
        """How many spaces of `raw` are a list item's indentation, where a line after a blank
        one is indented as far as the item's content; 0 otherwise (and a line indented less
        that is no item ends the list)."""
        if not self.item or self.paragraph:
            return 0
        if len(raw) - len(raw.lstrip(" ")) >= self.item:
            return self.item
        if not _ITEM.match(raw):
            self.item = 0
        return 0

    def _fenced(self, i: int, fence: str, indent: int = 0) -> int:
        for j in range(i + 1, len(self.lines)):
            raw = self.raw(self.lines[j])
            closing = _FENCE.match(raw[min(indent, len(raw) - len(raw.lstrip(" "))) :])
            if closing and closing.group(1)[0] == fence[0] and len(closing.group(1)) >= len(fence):
                return j + 1
        return len(self.lines)

    def _html_block(self, i: int) -> int:
        """The line after an HTML block: a comment ends with its "-->", a <script>, <pre>,
        <style> or <textarea> with its end tag, blank lines and all; any other at a blank
        line (CommonMark's kinds 1, 2 and 6/7)."""
        self._flush()
        first = self.raw(self.lines[i])
        raw = _HTML_RAW.match(first)
        end = "-->" if first.lstrip().startswith("<!--") else f"</{raw.group(1)}" if raw else ""
        if end:
            for j in range(i, len(self.lines)):
                if end in self.raw(self.lines[j]).lower():
                    return j + 1
            return len(self.lines)
        while i < len(self.lines) and self.raw(self.lines[i]).strip():
            i += 1
        return i

    def _is_row(self, i: int) -> bool:
        """A table's row: between pipes, or any line with a pipe in a table, or a line with
        a pipe that its delimiter row follows (a table without outer pipes)."""
        raw = self.raw(self.lines[i])
        if raw.lstrip().startswith("|") and raw.rstrip().endswith("|"):
            return True
        if "|" not in raw:
            return False
        if self.table:
            return True
        following = self.raw(self.lines[i + 1]) if i + 1 < len(self.lines) else ""
        self.table = "|" in following and bool(_TABLE_RULE.match(following))
        return self.table

    def _table_row(self, line: _Line) -> None:
        raw = self.raw(line)
        if _TABLE_RULE.match(raw):
            return
        for cell in _CELL.finditer(raw):
            content = cell.group()
            if content.strip():
                lead = len(content) - len(content.lstrip())
                start = line.start + cell.start() + lead
                self._single(start, start + len(content.strip()), cell=True)

    def _single(self, start: int, end: int, cell: bool = False) -> None:
        if end > start:
            self._add(start, end, self.text[start:end], cell=cell)

    def _flush(self) -> None:
        lines, self.paragraph = self.paragraph, []
        if not lines:
            return
        pieces = [self.text[line.content : line.end].strip() for line in lines]
        breaks: list[str] = []
        if self.breakable:
            for k, line in enumerate(lines[:-1]):
                body = self.text[line.content : line.end]
                if body.endswith("  ") or (len(body) - len(body.rstrip("\\"))) % 2 == 1:
                    # a hard line break: its backslash or spaces, the line end and whatever
                    # the next line starts with (indentation, a quote's ">") stay as they were
                    kept = body.rstrip() if body.endswith(" ") else body[:-1]
                    breaks.append(self.text[line.content + len(kept) : lines[k + 1].content])
                    pieces[k] = kept.strip() + _BREAK_MARK
        content = "".join(
            piece + ("" if piece.endswith(_BREAK_MARK) or k == len(pieces) - 1 else " ")
            for k, piece in enumerate(pieces)
        )
        last = lines[-1]
        end = last.content + len(self.text[last.content : last.end].rstrip())
        self._add(lines[0].content, end, content, breaks=breaks)

    def _add(
        self, start: int, end: int, content: str, breaks: Sequence[str] = (), cell: bool = False
    ) -> None:
        inline = _Inline(breaks)
        inline.parse(content)
        text = "".join(inline.text)
        if not has_words(text, inline.marks, inline.markup):
            return
        number = len(self.blocks) + 1
        line = bisect.bisect_right(self.starts, start)  # the line `start` is on, from 1
        self.blocks.append(Block(text, tuple(inline.marks), f"paragraph {number} (line {line})"))
        self.spans.append((start, end))
        self.markup.append(tuple(inline.markup))
        self.cells.append(cell)


def _lead(text: str, start: int, end: int) -> int:
    return len(text[start:end]) - len(text[start:end].lstrip())


@dataclass(frozen=True)
class ParsedMarkdown:
    text: str
    bom: bool
    blocks: tuple[Block, ...]
    spans: tuple[tuple[int, int], ...]
    markup: tuple[tuple[Markup, ...], ...]
    cells: tuple[bool, ...]

    def kept(self, index: int) -> list[tuple[int, int]]:
        return kept_spans(self.blocks[index], self.markup[index])

    def write(self, translated: Sequence[Block], language: Languages | None = None) -> bytes:
        # no language markup in the format: `language` changes nothing
        if len(translated) != len(self.blocks):
            raise ValueError(f"{len(translated)} translations for {len(self.blocks)} blocks")
        out, cursor = [_BOM if self.bom else ""], 0
        for source, block, (start, end), markup, cell in zip(
            self.blocks, translated, self.spans, self.markup, self.cells, strict=True
        ):
            out.append(self.text[cursor:start])
            same = block.text == source.text and block.marks == source.marks
            escape = _escape_cell if cell else _escape
            out.append(self.text[start:end] if same else render(block, markup, escape))
            cursor = end
        out.append(self.text[cursor:])
        return "".join(out).encode("utf-8")


@dataclass(frozen=True)
class MarkdownFormat:
    name: str = "md"
    extensions: tuple[str, ...] = (".md", ".markdown")
    media_types: tuple[str, ...] = ("text/markdown", "text/x-markdown", "text/plain")

    def read(self, data: bytes, *, limits: Limits) -> ParsedMarkdown:
        text = decode_utf8(data)
        bom = text.startswith(_BOM)
        text = text.removeprefix(_BOM)
        reader = _Reader(text)
        reader.read()
        return ParsedMarkdown(
            text,
            bom,
            tuple(reader.blocks),
            tuple(reader.spans),
            tuple(reader.markup),
            tuple(reader.cells),
        )


MARKDOWN = MarkdownFormat()
