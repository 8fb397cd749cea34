"""What every document format reads into and writes back from: a list of blocks, each one unit
that is translated as a whole (a paragraph, a table cell, a list item, a subtitle cue), with
its inline markup as marks over the block's text. The translation of a block keeps the marks,
moved onto the English words that render the German ones (glossary/documents/translate.py);
the format's writer puts the markup back around them. Markup is never translated node by
node, and what must stay untranslated (code, scripts, translate="no") is no block at all."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Mark:
    """Inline markup over `text[start:end]` of its block. `tag` is the reader's own index of
    the element (a bold run, an <a href>, a <span>): only the writer of the same format knows
    what it stands for."""

    start: int
    end: int
    tag: int


@dataclass(frozen=True)
class Block:
    """One unit translated as a whole, and where it is, for the term report: "paragraph 3",
    "slide 2, shape 1, paragraph 1", "cue 14"."""

    text: str
    marks: tuple[Mark, ...] = ()
    location: str = ""


class Parsed(Protocol):
    """A document as read: its blocks, and whatever its writer needs to rebuild it."""

    @property
    def blocks(self) -> Sequence[Block]: ...

    def write(self, translated: Sequence[Block]) -> bytes:
        """The document with each block replaced by its translation (as many, in order; the
        marks on the English text)."""
        ...


class DocumentFormat(Protocol):
    """A reader and writer for one kind of file."""

    @property
    def name(self) -> str: ...  # "docx": what the APIs and the report call it

    @property
    def extensions(self) -> tuple[str, ...]: ...  # (".docx",)

    @property
    def media_types(self) -> tuple[str, ...]: ...  # the first is the one written

    def read(self, data: bytes, *, limits: Limits) -> Parsed:
        """The document's blocks; DocumentError for anything that is not a valid, safe file of
        this format (which part, line or byte, where the format says it)."""
        ...


@dataclass(frozen=True)
class Limits:
    """What a document may take: its size as uploaded, what its archive may unpack to (a zip
    bomb is refused before it is inflated), and how many blocks it may hold."""

    max_bytes: int = 20 * 1024 * 1024
    max_unpacked_bytes: int = 200 * 1024 * 1024
    max_ratio: int = 100  # unpacked / packed size of one archive member
    max_members: int = 10_000  # files in an archive (DOCX, PPTX, ODT)
    max_blocks: int = 50_000
