"""Plain text (.txt): each paragraph (lines between blank lines) is a block. Everything
around the paragraphs (blank lines, indentation, the line endings, a byte order mark, the
final newline) is written back as it was; inside a paragraph the sentences keep the line
breaks between them (glossary/pipeline.py copies the gaps)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from glossary.documents.model import Block, Languages, Limits
from glossary.errors import DocumentError

_BOM = "\ufeff"
# A paragraph: from its first non-blank character to its last, lines without a blank one.
_PARAGRAPH = re.compile(r"\S(?:.*?\S)?(?=\s*(?:\n[ \t\r\f\v]*\n|\Z))", re.DOTALL)


def decode_utf8(data: bytes, what: str = "the document") -> str:
    """The text of UTF-8 bytes; DocumentError naming the line and byte of the first invalid
    sequence (we read no other encoding: a file in Latin-1 or UTF-16 is refused, not guessed)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DocumentError(
            f"{what} is not valid UTF-8: byte {exc.start} (line {line}) is "
            f"0x{data[exc.start]:02x}; save it as UTF-8"
        ) from exc


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each paragraph's text, without the whitespace around it."""
    return [(m.start(), m.end()) for m in _PARAGRAPH.finditer(text)]


@dataclass(frozen=True)
class Skeleton:
    """A text with some spans replaced on writing: `pieces[i]` comes before block i, the last
    piece after the last block."""

    pieces: tuple[str, ...]
    blocks: tuple[Block, ...]

    @classmethod
    def of(cls, text: str, spans: Sequence[tuple[int, int]], locations: Sequence[str]) -> Skeleton:
        pieces, cursor = [], 0
        for start, end in spans:
            pieces.append(text[cursor:start])
            cursor = end
        pieces.append(text[cursor:])
        blocks = tuple(
            Block(text[s:e], (), where) for (s, e), where in zip(spans, locations, strict=True)
        )
        return cls(tuple(pieces), blocks)

    def join(self, texts: Sequence[str]) -> str:
        if len(texts) != len(self.blocks):
            raise ValueError(f"{len(texts)} translations for {len(self.blocks)} blocks")
        out = [self.pieces[0]]
        for text, piece in zip(texts, self.pieces[1:], strict=True):
            out.extend((text, piece))
        return "".join(out)


@dataclass(frozen=True)
class ParsedText:
    skeleton: Skeleton
    bom: bool

    @property
    def blocks(self) -> Sequence[Block]:
        return self.skeleton.blocks

    def write(self, translated: Sequence[Block], language: Languages | None = None) -> bytes:
        # no language markup in the format: `language` changes nothing
        text = self.skeleton.join([b.text for b in translated])
        return ((_BOM if self.bom else "") + text).encode("utf-8")


@dataclass(frozen=True)
class TextFormat:
    name: str = "txt"
    extensions: tuple[str, ...] = (".txt",)
    media_types: tuple[str, ...] = ("text/plain",)

    def read(self, data: bytes, *, limits: Limits) -> ParsedText:
        text = decode_utf8(data)
        bom = text.startswith(_BOM)
        text = text.removeprefix(_BOM)
        spans = paragraph_spans(text)
        locations = [f"paragraph {i}" for i in range(1, len(spans) + 1)]
        return ParsedText(Skeleton.of(text, spans, locations), bom)


TEXT = TextFormat()
