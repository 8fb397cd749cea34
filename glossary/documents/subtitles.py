"""Subtitles: SubRip (.srt) and WebVTT (.vtt). Each cue is one block ("cue N", counting from
1); its lines are joined into one text, so a sentence that runs over two lines (or two cues'
worth of line breaks) is translated whole. Cue numbers, identifiers, timings and settings,
the WEBVTT header and NOTE, STYLE and REGION blocks are written back byte for byte; the
translation is wrapped into as many lines as the cue had (more only where a line would pass
MAX_LINE characters, up to two), a dialogue line starting with "-" stays a line of its own.
Inline tags (<i>, <b>, <u>, <font ...>, <c.x>, <v Name>) are marks, written back around the
English words as they were; so is an SSA override ({\\an8}). Cues that follow one another
without a blank line between them are told apart by their timing lines."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate

from glossary.documents.model import Block, Languages, Limits, Mark
from glossary.documents.text import decode_utf8, paragraph_spans
from glossary.errors import DocumentError

MAX_LINE = 42  # characters a subtitle line should not pass (a common broadcast rule)
_EXACT_WORDS = 60  # a cue of more words is wrapped by _filled
_BOM = "\ufeff"
_TIME = r"(?:\d+:)?\d{1,2}:\d{2}[,.]\d{3}"
_TIMING = re.compile(rf"\s*{_TIME}\s*-->\s*{_TIME}(?:\s.*)?")
# <i>, </i>, <c.x>, <v Name>; a karaoke timestamp <00:01.500>; an SSA override {\an8}
_TAG = re.compile(r"<(/?)([A-Za-z][\w.]*)(?:[^<>]*)>|<\d[\d:.]*>|\{\\[^{}\n]*\}")
_KEPT_VTT = ("WEBVTT", "NOTE", "STYLE", "REGION")


@dataclass(frozen=True)
class _Cue:
    start: int  # the cue text's extent in the file
    end: int
    tags: tuple[str, ...]  # per mark tag: the raw tag text opening it
    closers: tuple[str, ...]  # and the one closing it ("" for an empty mark)
    lines: int


def _line_ends(text: str) -> list[int]:
    return [m.start() for m in re.finditer("\n", text)]


def _cue_text(lines: Sequence[str]) -> tuple[str, list[Mark], list[str], list[str]]:
    """The cue's text for the model (lines joined by a space; a dialogue line by a line
    break) and its tags as marks."""
    raw = ""
    for i, line in enumerate(lines):
        if i:
            raw += "\n" if line.lstrip().startswith("-") else " "
        raw += line.rstrip("\r")
    text, marks = "", []
    opens: list[str] = []
    closes: list[str] = []
    pending: list[tuple[str, int, int]] = []  # name, mark tag, start
    cursor = 0
    for found in _TAG.finditer(raw):
        text += raw[cursor : found.start()]
        cursor = found.end()
        name = (found.group(2) or "").split(".")[0].lower()
        if found.group(1) and any(p[0] == name for p in pending):
            while pending:
                open_name, tag, at = pending.pop()
                if open_name == name:
                    marks.append(Mark(at, len(text), tag))
                    closes[tag] = found.group()
                    break
                marks.append(Mark(at, at, tag))
        elif found.group(2) and not found.group(1):
            pending.append((name, len(opens), len(text)))
            opens.append(found.group())
            closes.append("")
        else:
            marks.append(Mark(len(text), len(text), len(opens)))
            opens.append(found.group())
            closes.append("")
    text += raw[cursor:]
    marks += [Mark(at, at, tag) for _, tag, at in pending]
    return text, sorted(marks, key=lambda m: m.tag), opens, closes


class _Reader:
    def __init__(self, text: str, vtt: bool) -> None:
        self.text, self.vtt = text, vtt
        self.newlines = _line_ends(text)
        self.blocks: list[Block] = []
        self.cues: list[_Cue] = []

    def read(self) -> None:
        spans = paragraph_spans(self.text)
        if self.vtt and (not spans or not self.text[spans[0][0] :].startswith("WEBVTT")):
            raise DocumentError("not a WebVTT file: it must start with WEBVTT (line 1)")
        for start, end in spans:
            chunk = self.text[start:end]
            if self.vtt and chunk.startswith(_KEPT_VTT):
                continue
            lines = chunk.split("\n")
            offsets = list(accumulate((len(line) + 1 for line in lines), initial=start))
            for first, last in _cue_lines(lines):
                self._cue(offsets[first], lines[first:last])

    def _cue(self, start: int, lines: list[str]) -> None:
        timing = next((i for i, line in enumerate(lines[:2]) if "-->" in line), None)
        where = bisect.bisect_left(self.newlines, start) + 1  # the line `start` is on
        if timing is None:
            raise DocumentError(f"line {where}: a cue must have a timing (00:00:01,000 --> …)")
        if not _TIMING.fullmatch(lines[timing].rstrip("\r")):
            raise DocumentError(f"line {where + timing}: {lines[timing].strip()!r} is no timing")
        if not self.vtt and timing == 1 and not lines[0].strip().isdigit():
            raise DocumentError(f"line {where}: {lines[0].strip()!r} is no cue number")
        body = lines[timing + 1 :]
        if not any(line.strip() for line in body):
            return
        offset = start + sum(len(line) + 1 for line in lines[: timing + 1])
        text, marks, opens, closes = _cue_text(body)
        number = len(self.cues) + 1
        self.blocks.append(Block(text, tuple(marks), f"cue {number}"))
        end = start + len("\n".join(lines).rstrip("\r"))  # a line's "\r" stays outside
        self.cues.append(_Cue(offset, end, tuple(opens), tuple(closes), len(body)))


def _cue_lines(lines: Sequence[str]) -> list[tuple[int, int]]:
    """The cues of a chunk of lines between blank ones, as (first line, end line): one, or
    several where cues follow without a blank line between them (a timing line later in
    the chunk starts the next cue, with the number on the line before it), so that no
    timing is taken for text."""
    timings = [i for i, line in enumerate(lines) if i > 1 and _TIMING.fullmatch(line.rstrip("\r"))]
    starts = [0]
    for t in timings:
        cut = t - 1 if lines[t - 1].strip().isdigit() and t - 1 > starts[-1] + 1 else t
        if cut > starts[-1] + 1:
            starts.append(cut)
    return list(zip(starts, [*starts[1:], len(lines)], strict=True))


def _wrap(text: str, lines: int) -> list[str]:
    """The text in `lines` balanced lines (more, up to two, where one would pass MAX_LINE);
    a line break already in the text (a dialogue line) is kept."""
    if text.startswith("-") and "\n" not in text:
        # dialogue whose speakers' lines the translation joined: each starts with a dash
        text = re.sub(r"\s(?=-\s)", "\n", text)
    if "\n" in text:
        return text.split("\n")
    words = text.split(" ")
    count = max(1, min(lines, len(words)))
    while count < min(2, len(words)) and len(text) > MAX_LINE:
        count += 1
    return _balanced(words, count)


def _balanced(words: list[str], count: int) -> list[str]:
    """`words` in `count` lines whose longest is as short as can be."""
    n = len(words)
    prefix = [0, *accumulate(len(w) + 1 for w in words)]

    def width(i: int, j: int) -> int:  # of the line words[i:j]
        return prefix[j] - prefix[i] - 1

    if n > _EXACT_WORDS:
        return _filled(words, count, width)
    # best[k][j]: the shortest longest line of words[:j] in k lines, and where the last starts
    best: list[list[tuple[int, int]]] = [[(0, 0)] + [(10**9, 0)] * n]
    for k in range(1, count + 1):
        row = [(10**9, 0)] * (n + 1)
        for j in range(k, n + 1):
            row[j] = min((max(best[k - 1][i][0], width(i, j)), i) for i in range(k - 1, j))
        best.append(row)
    lines, j = [], n
    for k in range(count, 0, -1):
        i = best[k][j][1]
        lines.append(" ".join(words[i:j]))
        j = i
    return lines[::-1]


def _filled(words: list[str], count: int, width: Callable[[int, int], int]) -> list[str]:
    """A long cue's words in at most `count` lines, each filled up to the shortest width at
    which they fit (found by bisection: the exact balance costs the square of the words)."""

    def lines_at(limit: int) -> list[tuple[int, int]]:
        found, start = [], 0
        for j in range(1, len(words) + 1):
            if j - start > 1 and width(start, j) > limit:
                found.append((start, j - 1))
                start = j - 1
        return [*found, (start, len(words))]

    low = max(len(w) for w in words)
    high = width(0, len(words))
    while low < high:
        middle = (low + high) // 2
        if len(lines_at(middle)) <= count:
            high = middle
        else:
            low = middle + 1
    return [" ".join(words[i:j]) for i, j in lines_at(low)]


@dataclass(frozen=True)
class ParsedSubtitles:
    text: str
    bom: bool
    newline: str
    blocks: tuple[Block, ...]
    cues: tuple[_Cue, ...]

    def write(self, translated: Sequence[Block], language: Languages | None = None) -> bytes:
        # no language markup in the format: `language` changes nothing
        if len(translated) != len(self.blocks):
            raise ValueError(f"{len(translated)} translations for {len(self.blocks)} cues")
        out, cursor = [_BOM if self.bom else ""], 0
        for source, block, cue in zip(self.blocks, translated, self.cues, strict=True):
            out.append(self.text[cursor : cue.start])
            if block == source:
                out.append(self.text[cue.start : cue.end])
            else:
                out.append(self._render(block, cue))
            cursor = cue.end
        out.append(self.text[cursor:])
        return "".join(out).encode("utf-8")

    def _render(self, block: Block, cue: _Cue) -> str:
        flat = block.text
        lines = _wrap(flat, cue.lines)
        breaks, at = set(), 0
        for line in lines[:-1]:
            at += len(line)
            breaks.add(at)  # the space (or line break) after this line becomes a new line
            at += 1
        # in the order html.render puts them: ends (inner first), then starts and points in
        # the cue's order
        events: list[tuple[int, int, int, int, str]] = []
        for mark in block.marks:
            opening, closing = cue.tags[mark.tag], cue.closers[mark.tag]
            if mark.start == mark.end:
                events.append((mark.start, 1, mark.tag, 0, opening + closing))
            else:
                events.append((mark.start, 1, mark.tag, 0, opening))
                events.append((mark.end, 0, -mark.start, -mark.tag, closing))
        events.sort()
        out: list[str] = []
        cursor = 0
        for position, *_, written in events:
            out.append(_lines(flat, cursor, position, breaks, self.newline))
            out.append(written)
            cursor = position
        out.append(_lines(flat, cursor, len(flat), breaks, self.newline))
        return "".join(out)


def _lines(text: str, start: int, end: int, breaks: set[int], newline: str) -> str:
    return "".join(newline if i in breaks else text[i] for i in range(start, end))


def _read(data: bytes, vtt: bool) -> ParsedSubtitles:
    text = decode_utf8(data)
    bom = text.startswith(_BOM)
    text = text.removeprefix(_BOM)
    reader = _Reader(text, vtt)
    reader.read()
    newline = "\r\n" if "\r\n" in text else "\n"
    return ParsedSubtitles(text, bom, newline, tuple(reader.blocks), tuple(reader.cues))


@dataclass(frozen=True)
class SrtFormat:
    name: str = "srt"
    extensions: tuple[str, ...] = (".srt",)
    media_types: tuple[str, ...] = ("application/x-subrip", "text/srt", "text/plain")

    def read(self, data: bytes, *, limits: Limits) -> ParsedSubtitles:
        return _read(data, vtt=False)


@dataclass(frozen=True)
class VttFormat:
    name: str = "vtt"
    extensions: tuple[str, ...] = (".vtt",)
    media_types: tuple[str, ...] = ("text/vtt", "text/plain")

    def read(self, data: bytes, *, limits: Limits) -> ParsedSubtitles:
        return _read(data, vtt=True)


SRT = SrtFormat()
VTT = VttFormat()
