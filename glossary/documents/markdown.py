"""Markdown (.md, .markdown), read line by line: headings, paragraphs, list items, block
quotes and table cells are blocks; their markers (#, -, 1., >, |) stay as they were. Fenced
and indented code, front matter, HTML blocks, thematic breaks and setext underlines are no
block: copied through. Inside a block, **strong**, *emphasis*, [links](url) are marks whose
delimiters, URLs and titles are written back as they were around the English words; inline
`code`, <autolinks> and bare URLs are shown to the model but written back as they were; an
image, an HTML tag stays as it was; an escaped character is text. A paragraph wrapped
over several lines is translated as one and written on one line."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from glossary.documents.html import Markup, render
from glossary.documents.model import Block, Limits, Mark
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


@dataclass(frozen=True)
class _Line:
    start: int  # offset of the line in the text
    content: int  # where its content starts (after any marker)
    end: int  # where its content ends (before the line break)


class _Inline:
    """A block's raw content into text for the model and marks with their markup."""

    def __init__(self) -> None:
        self.text: list[str] = []
        self.length = 0
        self.marks: list[Mark] = []
        self.markup: list[Markup] = []

    def add(self, text: str) -> None:
        self.text.append(text)
        self.length += len(text)

    def opaque(self, shown: str, raw: str) -> None:
        start = self.length
        self.add(shown)
        self.marks.append(Mark(start, self.length, len(self.markup)))
        self.markup.append(Markup(raw, opaque=True))

    def point(self, raw: str) -> None:
        self.marks.append(Mark(self.length, self.length, len(self.markup)))
        self.markup.append(Markup(raw))

    def parse(self, s: str) -> None:
        i = 0
        while i < len(s):
            i = self._step(s, i)

    def _around(self, before: str, inner: str, after: str) -> None:
        at, start = len(self.markup), self.length
        self.markup.append(Markup(before, after))
        self.parse(inner)
        self.marks.append(Mark(start, self.length, at))

    def _step(self, s: str, i: int) -> int:
        c = s[i]
        if c == "\\" and i + 1 < len(s) and s[i + 1] in _ESCAPABLE:
            self.add(s[i + 1])  # the writer escapes it again where it must (_escape)
            return i + 2
        if c == "`":
            return self._code(s, i)
        if c == "!" and (m := _IMAGE.match(s, i)):
            self.point(m.group())
            return m.end()
        if c == "[" and (end := _link(s, i)):
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
        if c in "*_" and (found := _emphasis(s, i)):
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


def _link(s: str, i: int) -> tuple[int, int] | None:
    """Where the label of a link at s[i] ends (its "]") and where the link ends."""
    depth = 0
    for j in range(i, len(s)):
        if s[j] == "\\":
            continue
        depth += {"[": 1, "]": -1}.get(s[j], 0)
        if depth == 0:
            tail = _LINK_TAIL.match(s, j + 1)
            return (j, tail.end()) if tail else None
    return None


def _emphasis(s: str, i: int) -> tuple[str, int] | None:
    """The delimiter at s[i] (**, __, * or _) and where its closing one starts."""
    for delimiter in (s[i] * 2, s[i]):
        if not s.startswith(delimiter, i) or i + len(delimiter) >= len(s):
            continue
        if s[i + len(delimiter)].isspace():
            continue
        if delimiter[0] == "_" and i > 0 and s[i - 1].isalnum():
            continue
        close = i + len(delimiter)
        while (close := s.find(delimiter, close + 1)) > 0:
            after = close + len(delimiter)
            doubled = len(delimiter) == 1 and (
                s.startswith(delimiter, after) or s[close - 1] == delimiter
            )
            intraword = delimiter[0] == "_" and after < len(s) and s[after].isalnum()
            if not s[close - 1].isspace() and not doubled and not intraword:
                return delimiter, close
    return None


def _escape(text: str) -> str:
    """Translated text as Markdown: characters that would start markup are escaped."""
    return re.sub(r"([\\`*_\[\]<])", r"\\\1", text)


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.lines: list[_Line] = []
        at = 0
        for line in text.splitlines(keepends=True):
            body = line.rstrip("\r\n")
            self.lines.append(_Line(at, at, at + len(body)))
            at += len(line)
        self.blocks: list[Block] = []
        self.spans: list[tuple[int, int]] = []
        self.markup: list[tuple[Markup, ...]] = []
        self.paragraph: list[_Line] = []

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
            return i + 1
        if fence := _FENCE.match(raw):
            self._flush()
            return self._fenced(i, fence.group(1))
        if raw.startswith(("    ", "\t")) and not self.paragraph:
            return i + 1  # indented code
        if _HTML_BLOCK.match(raw) and not self.paragraph:
            return self._html_block(i)
        if _BREAK.match(raw):
            self._flush()  # a thematic break, or a setext heading's underline
            return i + 1
        if raw.lstrip().startswith("|") and raw.rstrip().endswith("|"):
            self._flush()
            self._table_row(line)
            return i + 1
        prefix = _QUOTE.match(raw)
        quoted = prefix.end() if prefix else 0
        rest = raw[quoted:]
        if heading := _HEADING.match(rest):
            self._flush()
            end = _HEADING_END.search(rest, heading.end())
            stop = end.start() if end else len(rest)
            self._single(line.start + quoted + heading.end(), line.start + quoted + stop)
            return i + 1
        if item := _ITEM.match(rest):
            self._flush()
            quoted += item.end()
        start = line.start + quoted
        self.paragraph.append(
            _Line(line.start, start + _lead(self.text, start, line.end), line.end)
        )
        return i + 1

    def _fenced(self, i: int, fence: str) -> int:
        for j in range(i + 1, len(self.lines)):
            closing = _FENCE.match(self.raw(self.lines[j]))
            if closing and closing.group(1)[0] == fence[0] and len(closing.group(1)) >= len(fence):
                return j + 1
        return len(self.lines)

    def _html_block(self, i: int) -> int:
        self._flush()
        while i < len(self.lines) and self.raw(self.lines[i]).strip():
            i += 1
        return i

    def _table_row(self, line: _Line) -> None:
        raw = self.raw(line)
        if _TABLE_RULE.match(raw):
            return
        for cell in re.finditer(r"(?<=\|)([^|]*?(?:\\\|[^|]*?)*)(?=\|)", raw):
            content = cell.group(1)
            if content.strip():
                lead = len(content) - len(content.lstrip())
                start = line.start + cell.start() + lead
                self._single(start, start + len(content.strip()))

    def _single(self, start: int, end: int) -> None:
        if end > start:
            self._add(start, end, self.text[start:end])

    def _flush(self) -> None:
        lines, self.paragraph = self.paragraph, []
        if not lines:
            return
        content = " ".join(self.text[line.content : line.end].strip() for line in lines)
        self._add(lines[0].content, len(self.text[: lines[-1].end].rstrip()), content)

    def _add(self, start: int, end: int, content: str) -> None:
        inline = _Inline()
        inline.parse(content)
        text = "".join(inline.text)
        if not text.strip():
            return
        number = len(self.blocks) + 1
        line = self.text.count("\n", 0, start) + 1
        self.blocks.append(Block(text, tuple(inline.marks), f"paragraph {number} (line {line})"))
        self.spans.append((start, end))
        self.markup.append(tuple(inline.markup))


def _lead(text: str, start: int, end: int) -> int:
    return len(text[start:end]) - len(text[start:end].lstrip())


@dataclass(frozen=True)
class ParsedMarkdown:
    text: str
    bom: bool
    blocks: tuple[Block, ...]
    spans: tuple[tuple[int, int], ...]
    markup: tuple[tuple[Markup, ...], ...]

    def write(self, translated: Sequence[Block]) -> bytes:
        if len(translated) != len(self.blocks):
            raise ValueError(f"{len(translated)} translations for {len(self.blocks)} blocks")
        out, cursor = [_BOM if self.bom else ""], 0
        for source, block, (start, end), markup in zip(
            self.blocks, translated, self.spans, self.markup, strict=True
        ):
            out.append(self.text[cursor:start])
            same = block.text == source.text and block.marks == source.marks
            out.append(self.text[start:end] if same else render(block, markup, _escape))
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
            text, bom, tuple(reader.blocks), tuple(reader.spans), tuple(reader.markup)
        )


MARKDOWN = MarkdownFormat()
