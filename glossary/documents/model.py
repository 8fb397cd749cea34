"""What every document format reads into and writes back from: a list of blocks, each one unit
that is translated as a whole (a paragraph, a table cell, a list item, a subtitle cue), with
its inline markup as marks over the block's text. The translation of a block keeps the marks,
moved onto the English words that render the German ones (glossary/documents/translate.py);
the format's writer puts the markup back around them. Markup is never translated node by
node, and what must stay untranslated (code, scripts, translate="no") is no block at all."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar


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

    def write(self, translated: Sequence[Block], language: Languages | None = None) -> bytes:
        """The document with each block replaced by its translation (as many, in order; the
        marks on the English text). With `language`, what the writer translated says it is
        in the target language where the document said it was in the source language (a
        French quote stays French); formats without language markup ignore it."""
        ...


# The tag a translation is marked with: the bare code, save English, which the glossary
# spells British (terms/de-en.yaml: defence, programme), so en-GB, for a spell checker that
# agrees with the enforced terms. A German region (de-DE) is never carried over: it is wrong
# for any other language.
_TAGS = {"en": "en-GB"}


@dataclass(frozen=True)
class Languages:
    """The language a document was read as (`source`, "de") and the one it was translated
    into (`target`, "en"), for the writers to relabel the text they translated."""

    source: str
    target: str

    @property
    def tag(self) -> str:
        """The target as a BCP 47 tag ("en-GB", "fr")."""
        code = self.target.strip().lower()
        return _TAGS.get(code, code)

    def is_source(self, tag: str | None) -> bool:
        """Whether a document's language tag ("de-DE", "de_AT", "DE") names the source."""
        return tag is not None and primary(tag) == primary(self.source)


def primary(tag: str) -> str:
    """The primary language subtag, lower case: "de" of "de-DE"."""
    return re.split(r"[-_]", tag.strip(), maxsplit=1)[0].lower()


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


class _HasText(Protocol):
    @property
    def text(self) -> str: ...


_P = TypeVar("_P", bound=_HasText)


def runs_alike(
    pieces: Sequence[_P], starts: Sequence[int], key: Callable[[_P], object]
) -> list[tuple[int, int, int]]:
    """(start, end, first piece) of each run of consecutive non-empty pieces with the same
    key that is not None: the marks of an office paragraph's runs, by formatting or by link
    (`starts[i]` is where piece i begins in the paragraph's text, `starts[-1]` its end)."""
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
