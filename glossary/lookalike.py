"""Characters that hide a term from the finder without changing how the text reads: zero-width
spaces and joiners inside a word, fullwidth letters (Ｋｒｅｍｌ, which NFKC maps to Kreml) and
letters of another script that look like Latin ones (a Cyrillic "е" in "Krеml").

`plain` gives the text the finder should search, with a map back to the original offsets;
a term found through look-alike letters is reported with a warning, because the text a
reader sees and the text a machine searches (or a model translates) differ there."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
# Cyrillic and Greek letters drawn like Latin ones, as Unicode's confusables list pairs them
_LOOKALIKES = str.maketrans(
    {
        "а": "a",
        "е": "e",
        "о": "o",
        "р": "p",
        "с": "c",
        "у": "y",
        "х": "x",
        "і": "i",
        "ј": "j",
        "ѕ": "s",
        "ԁ": "d",
        "ԛ": "q",
        "ԝ": "w",
        "һ": "h",
        "ӏ": "l",
        "А": "A",
        "В": "B",
        "Е": "E",
        "К": "K",
        "М": "M",
        "Н": "H",
        "О": "O",
        "Р": "P",
        "С": "C",
        "Т": "T",
        "Х": "X",
        "І": "I",
        "Ј": "J",
        "Ѕ": "S",
        "ο": "o",
        "α": "a",
        "ι": "i",
        "κ": "k",
        "ν": "v",
        "ρ": "p",
        "τ": "t",
        "υ": "u",
        "Α": "A",
        "Β": "B",
        "Ε": "E",
        "Ζ": "Z",
        "Η": "H",
        "Ι": "I",
        "Κ": "K",
        "Μ": "M",
        "Ν": "N",
        "Ο": "O",
        "Ρ": "P",
        "Τ": "T",
        "Υ": "Y",
        "Χ": "X",
    }
)
# Anything `plain` may change; most texts hold none of it and are searched as they are.
_SUSPECT_RE = re.compile("[\u200b-\u200d\u2060\ufeff\uff01-\uff5e\u0370-\u03ff\u0400-\u052f]")
_WORD_RE = re.compile(r"[^\W\d_]+")
_LATIN_RE = re.compile("[A-Za-z\u00c0-\u024f]")


@dataclass(frozen=True)
class Plain:
    """The text to search; `origin[i]` is the original offset of its character i (one more
    entry: the original length); `lookalikes` the offsets (in `text`) of letters read as
    Latin ones, with the character the original has there."""

    text: str
    origin: list[int]
    lookalikes: dict[int, str]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of `text[start:end]`."""
        return self.origin[start], self.origin[end - 1] + 1

    def warnings(self, start: int, end: int) -> tuple[str, ...]:
        """What to tell about `text[start:end]`: its look-alike letters."""
        found = [(i, c) for i, c in self.lookalikes.items() if start <= i < end]
        if not found:
            return ()
        letters = ", ".join(f"{c!r} ({unicodedata.name(c)})" for _, c in sorted(found))
        return (f"spelled with letters of another script that look like Latin ones: {letters}",)


def plain(text: str) -> Plain | None:
    """The text without zero-width characters, with fullwidth forms as NFKC maps them and
    look-alike letters read as Latin inside words that mix them with Latin letters; None
    when there is nothing to change (the common case, one regex search)."""
    if _SUSPECT_RE.search(text) is None:
        return None
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        if char in _ZERO_WIDTH:
            continue
        if "\uff01" <= char <= "\uff5e":
            char = unicodedata.normalize("NFKC", char)
        chars.append(char)
        origin.append(index)
    origin.append(len(text))
    searched = "".join(chars)
    lookalikes: dict[int, str] = {}
    for word in _WORD_RE.finditer(searched):
        value = word.group()
        latin = value.translate(_LOOKALIKES)
        # only a word that mixes scripts and is all Latin once read so: "Krеml", not "Мир"
        if latin != value and _LATIN_RE.search(value) and max(latin) < "\u0250":
            for offset, (old, new) in enumerate(zip(value, latin, strict=True)):
                if old != new:
                    lookalikes[word.start() + offset] = old
            chars[word.start() : word.end()] = latin
    if not lookalikes and len(chars) == len(text) and searched == text:
        return None
    return Plain("".join(chars), origin, lookalikes)
